"""The embedding projector files of keras.callbacks.TensorBoard(embeddings_freq=...), written
without TensorFlow: `log_dir/projector_config.pbtxt` (the projector plugin's text protobuf)
and one tab-separated values file per embedding, named in the config's `tensor_path` (the
projector reads a TSV tensor when the config names one instead of a checkpoint variable).

Two modes, as the Keras versions that wrote them:
- Keras 2.2 (`embeddings_data` given): the outputs of the layers named in
  `embeddings_layer_names` (default: every Embedding layer) on `embeddings_data`, flattened
  per sample, tensor names `<layer>_embedding`;
- tf.keras 2 / Keras 3 (no `embeddings_data`): the weight matrices of the Embedding layers,
  tensor names `<layer>/embeddings`.
`embeddings_metadata`: one file name for all, or a dict layer name -> file name (relative to
log_dir, as the projector resolves them)."""
import os

import numpy as np


def check_args(embeddings_freq, embeddings_layer_names, embeddings_metadata, embeddings_data):
    if isinstance(embeddings_freq, bool) or not isinstance(embeddings_freq, int) \
            or embeddings_freq < 0:
        raise ValueError(f"[TensorBoard] embeddings_freq must be an int >= 0. Received: "
                         f"{embeddings_freq!r}")
    if not embeddings_freq and (embeddings_layer_names or embeddings_data is not None
                                or embeddings_metadata is not None):
        raise ValueError("[TensorBoard] embeddings_layer_names / embeddings_metadata / "
                         "embeddings_data need embeddings_freq > 0")
    if embeddings_layer_names is not None and (
            isinstance(embeddings_layer_names, str)
            or not all(isinstance(n, str) for n in embeddings_layer_names)):
        raise TypeError("[TensorBoard] embeddings_layer_names must be a list of layer names")
    if embeddings_metadata is not None and not isinstance(embeddings_metadata, (str, dict)):
        raise TypeError("[TensorBoard] embeddings_metadata must be a file name or a dict "
                        "layer name -> file name")


def _layers(model, names, need_embedding_layers):
    from .layers import Embedding
    if names:
        found = []
        for n in names:
            try:
                found.append(model.get_layer(n))
            except ValueError:
                raise ValueError(f"[TensorBoard] embeddings_layer_names names {n!r}, which is "
                                 f"not a layer of the model") from None
        if need_embedding_layers:
            for layer in found:
                if not isinstance(layer, Embedding):
                    raise ValueError(f"[TensorBoard] {layer.name!r} is not an Embedding layer: "
                                     "without embeddings_data only Embedding weights are "
                                     "written (give embeddings_data for layer outputs)")
        return found
    found = [layer for layer in model.layers if isinstance(layer, Embedding)]
    if not found:
        raise ValueError("[TensorBoard] embeddings_freq > 0 but the model has no Embedding "
                         "layer; name the layers in embeddings_layer_names (with "
                         "embeddings_data)")
    return found


def _metadata_for(metadata, name):
    if metadata is None:
        return None
    if isinstance(metadata, str):
        return metadata
    return metadata.get(name)


def write(callback, model):
    """Writes the embeddings of this epoch and the projector config (overwriting the last)."""
    data = callback.embeddings_data
    layers = _layers(model, callback.embeddings_layer_names, data is None)
    if isinstance(callback.embeddings_metadata, dict):
        unknown = set(callback.embeddings_metadata) - {layer.name for layer in layers}
        if unknown:
            raise ValueError(f"[TensorBoard] embeddings_metadata names layers that are not "
                             f"embedded: {sorted(unknown)}")
    tensors = []
    if data is None:
        for layer in layers:
            tensors.append((layer.name, f"{layer.name}/embeddings",
                            np.asarray(layer.get_weights()[0])))
    else:
        from .model import Model
        probe = Model(model.inputs, [layer.output for layer in layers])
        outs = probe.predict(data, batch_size=callback.batch_size, verbose=0)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        for layer, out in zip(layers, outs):
            out = np.asarray(out)
            tensors.append((layer.name, f"{layer.name}_embedding", out.reshape(len(out), -1)))
    os.makedirs(callback.log_dir, exist_ok=True)
    lines = []
    for layer_name, tensor_name, values in tensors:
        fname = tensor_name.replace("/", "_") + ".tsv"
        np.savetxt(os.path.join(callback.log_dir, fname), values.astype(np.float64),
                   delimiter="\t", fmt="%.8g")
        lines.append("embeddings {")
        lines.append(f'  tensor_name: "{tensor_name}"')
        meta = _metadata_for(callback.embeddings_metadata, layer_name)
        if meta is not None:
            lines.append(f'  metadata_path: "{meta}"')
        lines.append(f'  tensor_path: "{fname}"')
        lines += [f"  tensor_shape: {d}" for d in values.shape]
        lines.append("}")
    with open(os.path.join(callback.log_dir, "projector_config.pbtxt"), "w") as f:
        f.write("\n".join(lines) + "\n")
