"""The measure of the GAN examples: a small convnet (pe.nn) trained on the real digits in the
same script labels generated samples; a GAN is good when most samples get a confident label and
every digit appears."""
import numpy as np

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F


class Judge(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                 nn.Dropout(0.25), nn.Linear(64 * 5 * 5, 10))

    def forward(self, x):
        return self.net(x)


def train_judge(images, labels, seed=0, epochs=1):
    """images (N, 28, 28) in [0, 1], labels (N,) -> a trained Judge (eval mode)."""
    pe.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = (images[:, None] * 2 - 1).astype(np.float32)  # [-1, 1], as the generators' tanh
    judge = Judge()
    opt = pe.optim.Adam(judge.parameters(), lr=1e-3)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(order), 128):
            idx = order[i:i + 128]
            opt.zero_grad()
            F.cross_entropy(judge(pe.from_numpy(x[idx])), pe.from_numpy(labels[idx])).backward()
            opt.step()
    judge.eval()
    return judge


def report(judge, samples):
    """samples (N, 28, 28) in [-1, 1]: prints and returns (confident share, per-digit shares)."""
    with pe.no_grad():
        probs = F.softmax(judge(pe.from_numpy(np.ascontiguousarray(
            samples[:, None], np.float32))), dim=1).numpy()
    confident = probs.max(1) > 0.9
    shares = np.bincount(probs.argmax(1)[confident], minlength=10) / max(1, confident.sum())
    print(f"confident samples (p > 0.9): {confident.mean():.1%} of {len(samples):,}")
    print("digit shares among them: " + " ".join(f"{d}:{s:.1%}" for d, s in enumerate(shares)))
    print(f"every digit >= 5%: {bool((shares >= 0.05).all())}")
    return float(confident.mean()), shares
