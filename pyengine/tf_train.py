"""tf.train's checkpoint-state names for `import pyengine as tf`: the `checkpoint` text file
TensorFlow keeps beside its checkpoints (`model_checkpoint_path: "weights_epoch_3"`), written
when a model saves weights in TensorFlow's format (a path without .h5 / .keras; the weights
themselves are pyengine's .npz content), read by latest_checkpoint. tf.train.Checkpoint and
CheckpointManager (tf_checkpoint.py) write it too."""
import os
import re

_LINE = re.compile(r'^\s*(model_checkpoint_path|all_model_checkpoint_paths)\s*:\s*"(.*)"\s*$')


def _state_path(checkpoint_dir, latest_filename):
    return os.path.join(os.fspath(checkpoint_dir), latest_filename or "checkpoint")


def _read_state(checkpoint_dir, latest_filename=None):
    """(model_checkpoint_path, [all paths]) of the state file, or None when there is none."""
    path = _state_path(checkpoint_dir, latest_filename)
    if not os.path.isfile(path):
        return None
    latest, every = None, []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            m = _LINE.match(line)
            if m is None:
                raise ValueError(f"[tf.train.latest_checkpoint] {path} line {n} is not a "
                                 f"checkpoint state entry: {line.strip()!r}")
            value = bytes(m.group(2), "utf-8").decode("unicode_escape")
            if m.group(1) == "model_checkpoint_path":
                latest = value
            else:
                every.append(value)
    return latest, every


def update_checkpoint_state(checkpoint_dir, model_checkpoint_path, latest_filename=None):
    """Records model_checkpoint_path as the latest checkpoint of checkpoint_dir (relative to
    it, as TensorFlow writes it); earlier paths stay in all_model_checkpoint_paths."""
    checkpoint_dir = os.fspath(checkpoint_dir)
    rel = os.path.relpath(os.path.abspath(model_checkpoint_path), os.path.abspath(checkpoint_dir))
    old = _read_state(checkpoint_dir, latest_filename) if os.path.isfile(
        _state_path(checkpoint_dir, latest_filename)) else None
    every = [p for p in (old[1] if old else []) if p != rel] + [rel]

    def q(p):
        return '"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"'
    text = f"model_checkpoint_path: {q(rel)}\n" + "".join(
        f"all_model_checkpoint_paths: {q(p)}\n" for p in every)
    path = _state_path(checkpoint_dir, latest_filename)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The path of the latest checkpoint recorded in checkpoint_dir's state file, or None when
    there is no state file or the checkpoint it names is gone (as TensorFlow)."""
    state = _read_state(checkpoint_dir, latest_filename)
    if state is None or not state[0]:
        return None
    path = state[0]
    if not os.path.isabs(path):
        path = os.path.join(os.fspath(checkpoint_dir), path)
    return path if os.path.exists(path) or os.path.exists(path + ".index") else None


def __getattr__(name):
    # tf.train.Checkpoint / CheckpointManager live in tf_checkpoint.py, which writes this
    # module's state file (imported on first use: no import cycle)
    if name in ("Checkpoint", "CheckpointManager", "CheckpointReader", "list_variables",
                "load_checkpoint", "load_variable"):
        from . import tf_checkpoint
        return getattr(tf_checkpoint, name)
    raise AttributeError(f"module 'pyengine.tf_train' (tf.train) has no attribute '{name}'")
