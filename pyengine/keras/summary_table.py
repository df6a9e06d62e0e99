"""model.summary()'s table: one row per layer (name (type), output shape, parameter count, and
for a functional model the layers it is connected to), with Keras' options: line_length (table
width), positions (where each column ends: fractions of the width, or absolute characters),
show_trainable (a 'Trainable' Y/N column), expand_nested (the layers inside nested models,
indented under their model) and layer_range ([first, last] layer names or regular
expressions, both ends included)."""
import re

from . import tree


def _shape_of(layer, node=None):
    if node is not None:
        return str(tree.map_structure(lambda t: t.shape, node.outputs))
    if layer._inbound_nodes:
        return str(tree.map_structure(lambda t: t.shape, layer._inbound_nodes[-1].outputs))
    return "?" if layer._last_output_shape is None else str(layer._last_output_shape)


def _rows(model, expand_nested, depth=0):
    """(layer, depth, name, shape, params, connected-to or None), in the model's order."""
    from .layers.input_layer import InputLayer
    rows = []
    if getattr(model, "_nodes", None) is not None:
        for lyr in model._graph_layers:
            nodes = lyr._inbound_nodes[:1] if isinstance(lyr, InputLayer) else \
                [n for n in lyr._inbound_nodes if n in model._nodes]
            for n in nodes:
                links = [f"{p._keras_history[0].name}[{p._keras_history[1]}]"
                         f"[{p._keras_history[2]}]" for p in n.parents]
                rows.append((lyr, depth, _shape_of(lyr, n), ", ".join(links) or "-"))
                rows += _nested(lyr, expand_nested, depth)
    else:
        for lyr in model.layers:
            rows.append((lyr, depth, _shape_of(lyr), None))
            rows += _nested(lyr, expand_nested, depth)
    return rows


def _nested(layer, expand_nested, depth):
    if not expand_nested or not hasattr(layer, "layers") or not hasattr(layer, "_nodes"):
        return []
    return _rows(layer, True, depth + 1)


def _select(rows, layer_range, owner):
    if layer_range is None:
        return rows
    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2 or \
            not all(isinstance(s, str) for s in layer_range):
        raise ValueError(f"[{owner}.summary] layer_range must be a list of 2 strings (first and "
                         f"last layer names or patterns). Received: layer_range={layer_range!r}")
    names = [r[0].name for r in rows]
    first = next((i for i, n in enumerate(names) if re.match(layer_range[0], n)), None)
    last = next((i for i in range(len(names) - 1, -1, -1)
                 if re.match(layer_range[1], names[i])), None)
    if first is None or last is None or last < first:
        raise ValueError(f"[{owner}.summary] layer_range={list(layer_range)} matches no range "
                         f"of layers (layers: {', '.join(names)})")
    return rows[first:last + 1]


_DEFAULT_ENDS = {3: [0.45, 0.84, 1.0], 4: [0.3, 0.56, 0.68, 1.0],
                 5: [0.28, 0.52, 0.62, 0.9, 1.0]}


def _columns(line_length, positions, n_cols, owner):
    """Absolute end of each column."""
    if positions is None:
        positions = _DEFAULT_ENDS[n_cols]
    if len(positions) != n_cols:
        raise ValueError(f"[{owner}.summary] positions needs {n_cols} column ends for this "
                         f"table. Received: positions={positions!r}")
    if all(p <= 1 for p in positions):
        positions = [int(line_length * p) for p in positions]
    positions = [int(p) for p in positions]
    if any(b <= a for a, b in zip([0] + positions, positions)):
        raise ValueError(f"[{owner}.summary] positions must increase. Received: "
                         f"positions={positions!r}")
    return positions


def _format(fields, ends, whole=()):
    """fields padded to their column ends; a text too long for its column is cut with '...'
    unless its index is in `whole` (a parameter count is never cut: it overflows)."""
    out, start = "", 0
    for k, (text, end) in enumerate(zip(fields, ends)):
        width = end - start
        text = str(text)
        if len(text) > width - 1 and k not in whole:
            text = text[:max(width - 4, 0)] + "..." if width > 4 else text[:max(width - 1, 0)]
        out += text.ljust(width)
        start = end
    return out.rstrip()


def summary_lines(model, line_length=None, positions=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    owner = model.name
    connect = getattr(model, "_nodes", None) is not None
    if line_length is None:
        line_length = 98 if connect else 65
    if isinstance(line_length, bool) or not isinstance(line_length, int) or line_length < 20:
        raise ValueError(f"[{owner}.summary] line_length must be an int >= 20. Received: "
                         f"line_length={line_length!r}")
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connect else []) \
        + (["Trainable"] if show_trainable else [])
    ends = _columns(line_length, positions, len(header), owner)
    rows = _select(_rows(model, expand_nested), layer_range, owner)
    line, thick = "_" * line_length, "=" * line_length
    out = [f'Model: "{model.name}"', line, _format(header, ends), thick]
    for i, (lyr, depth, shape, links) in enumerate(rows):
        unbuilt = not lyr.built and not lyr.weights  # Keras 3's listing of an unbuilt layer
        fields = ["  " * depth + f"{lyr.name} ({type(lyr).__name__})",
                  "?" if shape == "None" else shape,
                  "0 (unbuilt)" if unbuilt else f"{lyr.count_params():,}"] + \
            ([links] if connect else [])
        if show_trainable:
            fields.append("Y" if lyr.trainable else "N")
        out.append(_format(fields, ends, whole=(2,)))
        out.append(thick if i == len(rows) - 1 else line)
    total = model.count_params()
    trainable = int(sum(w._data.size for w in model.trainable_weights))
    out += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}", line]
    return out
