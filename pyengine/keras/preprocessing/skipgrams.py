"""keras.preprocessing.sequence.skipgrams and make_sampling_table (Keras 2 / tf.keras'
word2vec helpers; keras-io node2vec_movielens builds its training pairs with them). They draw
from Python's `random` module, as Keras does, so `random.seed(...)` (or `seed=` for the final
shuffle) reproduces Keras' pairs."""
import random

import numpy as np


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True,
              categorical=False, sampling_table=None, seed=None):
    """(couples, labels) from a sequence of word indices (0 is skipped, not a word):
    [wi, wj] with label 1 for every wj within `window_size` of wi, then
    int(len(positives) * negative_samples) pairs [some wi, a random index in
    [1, vocabulary_size)] with label 0 (categorical: [0, 1] / [1, 0]). A word is kept with
    probability sampling_table[wi] when a table is given (make_sampling_table). shuffle mixes
    couples and labels the same way.

    >>> couples, labels = skipgrams([1, 2, 3], 4, window_size=1, negative_samples=0,
    ...                             shuffle=False)
    >>> couples, labels
    ([[1, 2], [2, 1], [2, 3], [3, 2]], [1, 1, 1, 1])
    """
    if not isinstance(vocabulary_size, (int, np.integer)) or vocabulary_size < 2:
        raise ValueError(f"[skipgrams] vocabulary_size must be an int >= 2 (index 0 is not a "
                         f"word). Received: {vocabulary_size!r}")
    if window_size < 0 or negative_samples < 0:
        raise ValueError(f"[skipgrams] window_size and negative_samples must be >= 0. "
                         f"Received: {window_size!r}, {negative_samples!r}")
    couples, labels = [], []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([wi, sequence[j]])
                labels.append([0, 1] if categorical else 1)
    if negative_samples > 0 and couples:
        n = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, vocabulary_size - 1)]
                    for i in range(n)]
        labels += [[1, 0] if categorical else 0 for _ in range(n)]
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(10e6))
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels


def make_sampling_table(size, sampling_factor=1e-5):
    """p[i]: the probability of keeping the i-th most frequent word, from Zipf's law (word2vec's
    subsampling): min(1, f / sqrt(f)) with f = sampling_factor * rank * (ln rank + gamma) ..."""
    gamma = 0.577
    rank = np.arange(size)
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1.0, f / np.sqrt(f))
