"""Held-out public Keras programs (keras-io examples) run with only their imports changed
(`from pyengine import keras`, `import pyengine as tf`), tiny sizes and synthetic data in place
of the downloads (vision/mnist_convnet is in tests/test_keras_examples.py):
timeseries/timeseries_classification_from_scratch
(Conv1D + BatchNormalization FCN, ModelCheckpoint to .h5 + load_model, ReduceLROnPlateau,
EarlyStopping) and structured_data/collaborative_filtering_movielens (subclassed Model with
Embedding regularizers, layers.Dot, tf.nn.sigmoid, Adam(lr=)). The program text is kept; the
changes are marked `# changed:`. Also: Embedding's embeddings_regularizer."""
import numpy as np

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


def test_keras_io_timeseries_classification_from_scratch(tmp_path):
    # changed: synthetic univariate series (class 1 carries a sine) in place of FordA
    rng = np.random.default_rng(0)
    n, T = 80, 32
    y_all = rng.choice([-1, 1], n)
    x_all = rng.standard_normal((n, T)) + np.where(y_all[:, None] > 0,
                                                   np.sin(np.arange(T) / 2.0), 0.0)
    x_train, y_train = x_all[:64], y_all[:64].astype(int)
    x_test, y_test = x_all[64:], y_all[64:].astype(int)
    np.random.seed(0)

    classes = np.unique(np.concatenate((y_train, y_test), axis=0))
    assert list(classes) == [-1, 1]
    x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
    x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))
    num_classes = len(np.unique(y_train))
    idx = np.random.permutation(len(x_train))
    x_train = x_train[idx]
    y_train = y_train[idx]
    y_train[y_train == -1] = 0
    y_test[y_test == -1] = 0

    def make_model(input_shape):
        input_layer = keras.layers.Input(input_shape)

        conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
        conv1 = keras.layers.BatchNormalization()(conv1)
        conv1 = keras.layers.ReLU()(conv1)

        conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
        conv2 = keras.layers.BatchNormalization()(conv2)
        conv2 = keras.layers.ReLU()(conv2)

        conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
        conv3 = keras.layers.BatchNormalization()(conv3)
        conv3 = keras.layers.ReLU()(conv3)

        gap = keras.layers.GlobalAveragePooling1D()(conv3)

        output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

        return keras.models.Model(inputs=input_layer, outputs=output_layer)

    model = make_model(input_shape=x_train.shape[1:])
    # changed: keras.utils.plot_model(model, show_shapes=True) removed (needs pydot + graphviz)
    epochs = 8  # changed: 8 (the program: 500)
    batch_size = 32
    best = str(tmp_path / "best_model.h5")  # changed: a temporary path
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            best, save_best_only=True, monitor="val_loss"
        ),
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001
        ),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
    ]
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        callbacks=callbacks,
        validation_split=0.2,
        verbose=1,
    )
    model = keras.models.load_model(best)
    y_pred = model.predict(x_test).argmax(axis=1)
    print("Test accuracy", np.mean(y_pred == y_test))  # changed: sklearn's accuracy_score
    loss = history.history["loss"]
    assert loss[-1] < 0.6 * loss[0] and y_pred.shape == (16,)
    # the checkpoint holds the best epoch: its loss on the validation split is min(val_loss)
    split = int(len(x_train) * (1 - 0.2))
    val_loss = model.evaluate(x_train[split:], y_train[split:], verbose=0)[0]
    np.testing.assert_allclose(val_loss, min(history.history["val_loss"]), rtol=1e-4)


def test_keras_io_collaborative_filtering_movielens():
    # changed: synthetic ratings from hidden user/movie factors in place of MovieLens
    rng = np.random.default_rng(0)
    num_users, num_movies = 20, 30
    u = rng.integers(0, num_users, 600)
    m = rng.integers(0, num_movies, 600)
    pu, pm = rng.standard_normal(num_users), rng.standard_normal(num_movies)
    y = 1 / (1 + np.exp(-2 * pu[u] * pm[m]))
    x = np.stack([u, m], 1)
    min_rating, max_rating = 0.5, 5.0
    x_train, x_test, y_train, y_test = x[:540], x[540:], y[:540], y[540:]
    EMBEDDING_SIZE = 8  # changed: 8 (the program: 50)

    class RecommenderNet(keras.Model):
        def __init__(
            self, num_users, num_movies, embedding_size, min_rating, max_rating, **kwargs
        ):
            super(RecommenderNet, self).__init__(**kwargs)
            self.num_users = num_users
            self.num_movies = num_movies
            self.embedding_size = embedding_size
            self.min_rating = min_rating
            self.max_rating = max_rating
            self.user_embedding = layers.Embedding(
                num_users,
                embedding_size,
                embeddings_initializer="he_normal",
                embeddings_regularizer=keras.regularizers.l2(1e-6),
            )
            self.user_bias = layers.Embedding(num_users, 1)
            self.movie_embedding = layers.Embedding(
                num_movies,
                embedding_size,
                embeddings_initializer="he_normal",
                embeddings_regularizer=keras.regularizers.l2(1e-6),
            )
            self.movie_bias = layers.Embedding(num_movies, 1)

        def call(self, inputs):
            user_vector = self.user_embedding(inputs[:, 0])
            user_bias = self.user_bias(inputs[:, 0])
            movie_vector = self.movie_embedding(inputs[:, 1])
            movie_bias = self.movie_bias(inputs[:, 1])
            dot_user_movie = layers.Dot(axes=1)([user_vector, movie_vector])
            # Add all the components (including bias)
            x = dot_user_movie + user_bias + movie_bias
            # The sigmoid activation forces the rating to between 0 and 1
            x = tf.nn.sigmoid(x)
            return x

    inputs = layers.Input(shape=(2,))
    model = RecommenderNet(num_users, num_movies, EMBEDDING_SIZE, min_rating, max_rating)
    outputs = model(inputs)
    opt = keras.optimizers.Adam(lr=0.01)  # changed: lr 0.01 (the program: 0.001)
    model.compile(loss=tf.keras.losses.BinaryCrossentropy(), optimizer=opt)
    history = model.fit(
        x=x_train,
        y=y_train,
        batch_size=128,
        epochs=10,  # changed: 10 (the program: 5)
        verbose=1,
        validation_data=(x_test, y_test),
    )
    user_movie_array = np.hstack(([[3]] * 5, [[1], [2], [3], [4], [5]]))
    ratings = model.predict(user_movie_array).flatten()
    top_ratings_indices = ratings.argsort()[-10:][::-1]
    assert ratings.shape == (5,) and sorted(top_ratings_indices) == [0, 1, 2, 3, 4]
    loss = history.history["loss"]
    assert loss[-1] < loss[0] - 0.05 and history.history["val_loss"][-1] < \
        history.history["val_loss"][0]
    assert len(model.losses) == 2  # the two embeddings_regularizer penalties


def test_embedding_regularizer_adds_the_penalty():
    emb = layers.Embedding(4, 3, embeddings_regularizer=keras.regularizers.l2(0.5))
    emb(np.array([[0, 1]]))
    (penalty,) = emb.losses
    w = emb.embeddings.detach().numpy()
    np.testing.assert_allclose(float(penalty.detach().numpy()),
                               0.5 * np.sum(w.astype(np.float64) ** 2), rtol=1e-5)
    assert layers.Embedding(4, 3).losses == []


def test_keras_io_timeseries_weather_forecasting(tmp_path):
    """timeseries_dataset_from_array as a Dataset (.take, batches of Tensors), LSTM, checkpoint
    of the weights only. changed: synthetic 7-feature series as NumPy arrays in place of the
    Jena climate CSV through pandas (`features.loc[a:b]` -> `features[a:b]`, `[[1]]` ->
    `[:, [1]]`); 700 rows, past 72, future 12 (the program: 420551, 720, 72)."""
    rng = np.random.default_rng(0)
    n = 700
    t = np.arange(n)
    raw = np.stack([np.sin(t / 20.0 + k) + 0.1 * rng.standard_normal(n) for k in range(7)], 1)
    split_fraction = 0.715
    train_split = int(split_fraction * int(raw.shape[0]))
    step = 6
    past = 72
    future = 12
    learning_rate = 0.01  # changed: 0.01 (the program: 0.001)
    batch_size = 32
    epochs = 4

    def normalize(data, train_split):
        data_mean = data[:train_split].mean(axis=0)
        data_std = data[:train_split].std(axis=0)
        return (data - data_mean) / data_std

    features = normalize(raw, train_split)
    train_data = features[0 : train_split]
    val_data = features[train_split:]
    start = past + future
    end = start + train_split
    x_train = train_data[:, [i for i in range(7)]]
    y_train = features[start:end][:, [1]]
    sequence_length = int(past / step)
    dataset_train = keras.preprocessing.timeseries_dataset_from_array(
        x_train,
        y_train,
        sequence_length=sequence_length,
        sampling_rate=step,
        batch_size=batch_size,
    )
    x_end = len(val_data) - past - future
    label_start = train_split + past + future
    x_val = val_data[:x_end][:, [i for i in range(7)]]
    y_val = features[label_start:][:, [1]]
    dataset_val = keras.preprocessing.timeseries_dataset_from_array(
        x_val,
        y_val,
        sequence_length=sequence_length,
        sampling_rate=step,
        batch_size=batch_size,
    )
    for batch in dataset_train.take(1):
        inputs, targets = batch
    print("Input shape:", inputs.numpy().shape)
    print("Target shape:", targets.numpy().shape)
    assert inputs.numpy().shape == (batch_size, sequence_length, 7)
    assert targets.numpy().shape == (batch_size, 1)

    inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
    lstm_out = keras.layers.LSTM(32)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    model.summary()
    path_checkpoint = str(tmp_path / "model_checkpoint.h5")  # changed: a temporary path
    es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)
    modelckpt_callback = keras.callbacks.ModelCheckpoint(
        monitor="val_loss",
        filepath=path_checkpoint,
        verbose=1,
        save_weights_only=True,
        save_best_only=True,
    )
    history = model.fit(
        dataset_train,
        epochs=epochs,
        validation_data=dataset_val,
        callbacks=[es_callback, modelckpt_callback],
    )
    predictions = []
    for x, y in dataset_val.take(5):
        predictions.append([x[0][:, 1].numpy(), y[0].numpy(), model.predict(x)[0]])
    assert len(predictions) == min(5, len(dataset_val)) == 2
    assert predictions[0][0].shape == (sequence_length,)
    loss = history.history["loss"]
    assert loss[-1] < 0.3 * loss[0]
    model.load_weights(path_checkpoint)
    best = min(history.history["val_loss"])
    np.testing.assert_allclose(model.evaluate(dataset_val, verbose=0), best, rtol=1e-4)


def test_lookup_output_mode_binary_is_multi_hot():
    """keras-io structured_data_classification_from_scratch (Keras 3 version) passes Keras'
    deprecated output_mode="binary", which Keras maps to "multi_hot" (and "tf-idf" to "tf_idf")."""
    for cls, vocab, x in ((layers.IntegerLookup, [1, 2, 3], np.array([1, 3])),
                          (layers.StringLookup, ["a", "b", "c"], np.array(["a", "c"]))):
        binary = cls(vocabulary=vocab, mask_token=None, num_oov_indices=0,
                     output_mode="binary")
        multi = cls(vocabulary=vocab, mask_token=None, num_oov_indices=0,
                    output_mode="multi_hot")
        np.testing.assert_array_equal(np.asarray(binary(x)), [1, 0, 1])
        np.testing.assert_array_equal(np.asarray(binary(x)), np.asarray(multi(x)))
    tfidf = layers.IntegerLookup(vocabulary=[1, 2], idf_weights=[0.5, 0.25], mask_token=None,
                                 num_oov_indices=0, output_mode="tf-idf")
    np.testing.assert_allclose(np.asarray(tfidf(np.array([1, 1, 2]))), [1.0, 0.25])
