"""MPI worker: Keras compile / fit with DistributedOptimizer, BroadcastGlobalVariablesCallback,
MetricAverageCallback and a rank-0-only ModelCheckpoint, each rank fitting its shard (the last
batch of an epoch is smaller than batch_size). Checks one model across ranks.
argv[1]: the checkpoint path (rank 0 writes it; the test checks that it exists)."""
import sys

import numpy as np

import pyengine as pe
import pyengine.distributed.keras as hvd
from pyengine import keras
from common import assert_same_on_all_ranks

hvd.init()
rank, size = hvd.rank(), hvd.size()
pe.manual_seed(rank)  # different initial weights per rank: the broadcast callback must fix them

rng = np.random.default_rng(0)
x = rng.normal(size=(101, 8)).astype(np.float32)
y = (x[:, 0] * x[:, 1] > 0).astype(np.float32)
x_shard, y_shard = hvd.shard((x, y))
assert len(x_shard) == -(-len(x) // size)  # padded to equal shards

model = keras.Sequential([keras.layers.Dense(16, activation="relu", input_dim=8),
                          keras.layers.Dense(1, activation="sigmoid")])
opt = hvd.DistributedOptimizer(keras.optimizers.Adam(learning_rate=0.01))
model.compile(optimizer=opt, loss="binary_crossentropy", metrics=["accuracy"])
initial = [w.copy() for w in model.get_weights()]
callbacks = [hvd.callbacks.BroadcastGlobalVariablesCallback(0),
             hvd.callbacks.MetricAverageCallback(),
             *hvd.root_only([keras.callbacks.ModelCheckpoint(sys.argv[1])])]
history = model.fit(x_shard, y_shard, batch_size=10, epochs=3, verbose=hvd.verbose(),
                    callbacks=callbacks)

assert_same_on_all_ranks(model.get_weights(), "weights after fit")
assert_same_on_all_ranks([np.array(history.history["loss"])], "averaged epoch losses")
assert opt.iterations == 3 * -(-len(x_shard) // 10)
if rank != 0:
    assert not any(np.array_equal(a, b) for a, b in zip(initial, model.get_weights()))
first, last = history.history["loss"][0], history.history["loss"][-1]
assert last < first, (first, last)
print(f"OK keras_fit rank {rank} of {size}", flush=True)

# a second fit starts from a stepped optimizer: its state is broadcast too
model.fit(x_shard, y_shard, batch_size=10, epochs=1, verbose=0,
          callbacks=[hvd.callbacks.BroadcastGlobalVariablesCallback(0)])
assert_same_on_all_ranks(model.get_weights(), "weights after a second fit")

# ranks with different numbers of steps per epoch: an error on every rank, not a hang
try:
    model.fit(x[:10 + 10 * rank], y[:10 + 10 * rank], batch_size=10, epochs=1, verbose=0,
              callbacks=[hvd.callbacks.BroadcastGlobalVariablesCallback(0)])
    raise AssertionError("no error for unequal step counts")
except ValueError as e:
    assert "number of steps per epoch" in str(e), e
print(f"OK keras_fit steps check rank {rank}", flush=True)
