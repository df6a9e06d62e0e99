"""keras.utils.plot_model and model_to_dot: a model's layer graph as a picture.

Keras builds the graph with pydot and renders it with Graphviz, and raises ImportError when
either is missing. Here the graph is written as DOT text by this module (no pydot), rendered by
Graphviz's `dot` program when it is on the PATH, and otherwise drawn with matplotlib (the
`pyengine[plot]` extra) in layers: a layer sits one row below the deepest layer it reads. A
`.dot` / `.gv` file name writes the DOT text itself and needs neither. One box per layer (a
layer called twice is one box with several edges, as in Keras)."""
import os
import shutil
import subprocess

from . import tree


class DotGraph:
    """What model_to_dot returns (Keras returns a pydot.Dot): boxes, edges and the DOT text.
    nodes: {id: (label lines, cluster names from the outermost)}; edges: [(from id, to id)]."""

    def __init__(self, name, rankdir, dpi):
        self.name, self.rankdir, self.dpi = name, rankdir, dpi
        self.nodes, self.edges = {}, []

    def to_string(self):
        """The graph in Graphviz's DOT language (pydot's Dot.to_string)."""
        lines = [f"digraph {_quote(self.name)} {{",
                 f"  graph [rankdir={self.rankdir}, concentrate=true, dpi={int(self.dpi)}];",
                 '  node [shape=box, style="rounded", fontname="Helvetica"];']
        clusters = {}  # cluster path -> node ids directly inside it
        for nid, (_, path) in self.nodes.items():
            clusters.setdefault(path, []).append(nid)

        def emit(path, indent):
            for nid in clusters.get(path, []):
                label = "\\n".join(_escape(s) for s in self.nodes[nid][0])
                lines.append(f"{indent}{_quote(nid)} [label=\"{label}\"];")
            children = sorted({p[:len(path) + 1] for p in clusters if len(p) > len(path)
                               and p[:len(path)] == path})
            for child in children:
                lines.append(f"{indent}subgraph {_quote('cluster_' + '/'.join(child))} {{")
                lines.append(f"{indent}  label={_quote(child[-1])};")
                emit(child, indent + "  ")
                lines.append(f"{indent}}}")
        emit((), "  ")
        for a, b in self.edges:
            lines.append(f"  {_quote(a)} -> {_quote(b)};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def layers_by_depth(self):
        """Rows for drawing: row r holds the boxes whose longest path from a source is r."""
        depth = {nid: 0 for nid in self.nodes}
        incoming = {nid: [] for nid in self.nodes}
        for a, b in self.edges:
            incoming[b].append(a)
        for _ in range(len(self.nodes)):  # longest-path relaxation over a DAG
            changed = False
            for nid, srcs in incoming.items():
                d = max((depth[s] + 1 for s in srcs), default=0)
                if d != depth[nid]:
                    depth[nid], changed = d, True
            if not changed:
                break
        rows = {}
        for nid in self.nodes:  # insertion order: the model's order
            rows.setdefault(depth[nid], []).append(nid)
        return [rows[r] for r in sorted(rows)]


def _quote(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _escape(s):
    return str(s).replace("\\", "\\\\").replace('"', '\\"')


def _shape_text(x):
    return str(tree.map_structure(
        lambda t: t.shape if isinstance(t.shape, str) else tuple(t.shape), x))


def _dtype_text(x):
    return str(tree.map_structure(lambda t: str(getattr(t, "dtype", "?")), x))


def _activation_name(layer):
    act = getattr(layer, "activation", None)
    if act is None or isinstance(act, str):
        return act
    return getattr(act, "__name__", type(act).__name__)


def _label(layer, inputs, outputs, opts):
    cls = type(layer).__name__
    lines = [f"{layer.name} ({cls})" if opts["show_layer_names"] else cls]
    if opts["show_layer_activations"] and _activation_name(layer) is not None:
        lines.append(f"Activation: {_activation_name(layer)}")
    if opts["show_shapes"]:
        if inputs is not None:
            lines.append(f"Input shape: {_shape_text(inputs)}")
        lines.append(f"Output shape: {_shape_text(outputs)}")
    if opts["show_dtype"]:
        if inputs is not None:
            lines.append(f"Input dtype: {_dtype_text(inputs)}")
        lines.append(f"Output dtype: {_dtype_text(outputs)}")
    if opts["show_trainable"]:
        lines.append(f"Trainable: {bool(layer.trainable)}")
    return lines


def _inputs_of(node):
    parents = node.parents
    return None if not parents else (parents[0] if len(parents) == 1 else parents)


def _add_model(graph, model, opts, path):
    """Adds model's layers to graph (nested models expanded when asked); returns (entry ids,
    exit ids): the boxes an edge into / out of this model attaches to."""
    from .layers.input_layer import InputLayer
    from .model import Model
    from .sequential import Sequential

    def box(layer, inputs, outputs):
        """Adds the layer's box (or its expanded model); returns its (entries, exits)."""
        if opts["expand_nested"] and isinstance(layer, Model) and layer is not model and \
                (getattr(layer, "_nodes", None) is not None or isinstance(layer, Sequential)):
            return _add_model(graph, layer, opts, path + (layer.name,))
        nid = "/".join(path + (layer.name,))
        if nid not in graph.nodes:
            graph.nodes[nid] = (_label(layer, inputs, outputs, opts), path)
        return [nid], [nid]

    ends = {}  # id(layer) -> (entries, exits)
    if isinstance(model, Sequential):
        outs = model.__dict__.get("_graph_outs")
        graph_built = bool(outs) and len(outs) == len(model.layers) + 1
        chain = []
        if graph_built:
            chain.append(box(outs[0]._keras_history[0], None, outs[0]))
        for i, layer in enumerate(model.layers):
            ins, out = (outs[i], outs[i + 1]) if graph_built else (None, None)
            if out is None and opts["show_shapes"]:
                out = _Shaped(getattr(layer, "_last_output_shape", None))
            chain.append(box(layer, ins, out))
        for (_, exits), (entries, _) in zip(chain, chain[1:]):
            graph.edges += [(a, b) for a in exits for b in entries]
        return (chain[0][0], chain[-1][1]) if chain else ([], [])
    if getattr(model, "_nodes", None) is None:  # subclassed: one box, as Keras draws it
        nid = "/".join(path + (model.name,))
        graph.nodes[nid] = (_label(model, None, _Shaped(getattr(model, "_last_output_shape",
                                                                None)), opts)
                            if opts["show_shapes"] else _label(model, None, None, opts), path)
        return [nid], [nid]
    for layer in model._graph_layers:
        if isinstance(layer, InputLayer):
            ends[id(layer)] = box(layer, None, layer._inbound_nodes[0].outputs)
    for node in model._nodes:
        ends[id(node.layer)] = box(node.layer, _inputs_of(node), node.outputs)
    for node in model._nodes:
        for p in node.parents:
            src = ends.get(id(p._keras_history[0]))
            if src is not None:
                graph.edges += [(a, b) for a in src[1] for b in ends[id(node.layer)][0]
                                if (a, b) not in graph.edges]
    entries = [i for t in model.inputs for i in ends[id(t._keras_history[0])][0]]
    exits = [i for t in model.outputs for i in ends[id(t._keras_history[0])][1]]
    return entries, exits


class _Shaped:
    """A stand-in with .shape / .dtype for a layer whose output is known only by its shape."""

    def __init__(self, shape):
        self.shape = tuple(shape) if shape is not None else "?"
        self.dtype = "?"


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, **kwargs):
    """The model's layer graph (a DotGraph; .to_string() is its DOT text). Arguments as
    keras.utils.model_to_dot."""
    from .model import Model
    if kwargs:
        raise TypeError(f"[model_to_dot] unexpected arguments {sorted(kwargs)}")
    if not isinstance(model, Model):
        raise TypeError(f"[model_to_dot] expected a keras Model, received {type(model).__name__}")
    if not model.built:
        raise ValueError(f"[model_to_dot] the model '{model.name}' has not yet been built. "
                         "Build it first by calling build() or by calling it on a batch of data")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"[model_to_dot] rankdir must be 'TB' or 'LR'. Received: {rankdir!r}")
    if not isinstance(dpi, (int, float)) or isinstance(dpi, bool) or dpi <= 0:
        raise ValueError(f"[model_to_dot] dpi must be a positive number. Received: {dpi!r}")
    opts = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                show_layer_names=show_layer_names, expand_nested=expand_nested,
                show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    graph = DotGraph(model.name, rankdir, dpi)
    _add_model(graph, model, opts, ())
    return graph


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draws the model's layer graph into to_file (keras.utils.plot_model). The extension picks
    the format: .dot / .gv the DOT text; .png, .svg, .pdf, .jpg through Graphviz's `dot` when
    installed, else matplotlib. Returns an IPython Image when IPython is importable (not for
    .pdf / .dot), as Keras does, else None."""
    graph = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                         show_layer_names=show_layer_names, rankdir=rankdir,
                         expand_nested=expand_nested, dpi=dpi,
                         show_layer_activations=show_layer_activations,
                         show_trainable=show_trainable, **kwargs)
    to_file = os.fspath(to_file)
    ext = os.path.splitext(to_file)[1].lower().lstrip(".")
    if ext in ("dot", "gv"):
        with open(to_file, "w", encoding="utf-8") as f:
            f.write(graph.to_string())
        return None
    if ext not in ("png", "svg", "pdf", "jpg", "jpeg"):
        raise ValueError(f"[plot_model] cannot write '{to_file}': the extension must be one of "
                         ".png, .svg, .pdf, .jpg, .dot, .gv")
    if not _render_with_graphviz(graph, to_file, ext):
        _render_with_matplotlib(graph, to_file, ext)
    if ext != "pdf":
        try:
            from IPython import display
            return display.Image(filename=to_file)
        except ImportError:
            pass
    return None


def _render_with_graphviz(graph, to_file, ext):
    dot = shutil.which("dot")
    if dot is None:
        return False
    fmt = "jpg" if ext == "jpeg" else ext
    r = subprocess.run([dot, f"-T{fmt}", "-o", to_file], input=graph.to_string(),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"[plot_model] Graphviz's dot failed on '{to_file}': "
                           f"{r.stderr.strip()[-500:]}")
    return True


def _render_with_matplotlib(graph, to_file, ext):
    try:  # the object API: no pyplot, so the user's backend and figures are left alone
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyBboxPatch
    except ImportError:
        raise ImportError("[plot_model] drawing to '" + to_file + "' needs Graphviz's `dot` "
                          "program or matplotlib (pip install pyengine[plot]); a .dot file name "
                          "writes the graph as DOT text without either") from None
    rows = graph.layers_by_depth()
    lr = graph.rankdir == "LR"
    width = max(len(r) for r in rows)
    longest = max(max(len(s) for s in lines) for lines, _ in graph.nodes.values())
    lines_per_box = max(len(lines) for lines, _ in graph.nodes.values())
    box_w, box_h = max(1.5, 0.085 * longest), 0.25 + 0.2 * lines_per_box  # inches
    gap_w, gap_h = box_w + 1.0, box_h + 0.5
    fig_w = (len(rows) if lr else width) * gap_w + 0.5 + (0 if lr else 0.8)  # room for the
    fig_h = (width if lr else len(rows)) * gap_h + 0.5 + (0.8 if lr else 0)  # bowed edges
    fig = Figure(figsize=(fig_w, fig_h))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, fig_w)
    ax.set_ylim(0, fig_h)
    ax.axis("off")
    where = {}
    for r, row in enumerate(rows):
        for k, nid in enumerate(row):
            offset = (width - len(row)) / 2 + k  # centre each row
            if lr:
                where[nid] = (0.25 + (r + 0.5) * gap_w, fig_h - 0.25 - (offset + 0.5) * gap_h)
            else:
                where[nid] = (0.25 + (offset + 0.5) * gap_w, fig_h - 0.25 - (r + 0.5) * gap_h)
    row_of = {nid: r for r, row in enumerate(rows) for nid in row}
    for a, b in graph.edges:
        (xa, ya), (xb, yb) = where[a], where[b]
        skip = row_of[b] - row_of[a] > 1  # passes rows between: bowed around their boxes
        if lr:
            start, end = (xa + box_w / 2, ya), (xb - box_w / 2, yb)
            if skip:
                start, end = (xa, ya - box_h / 2), (xb, yb - box_h / 2)
        else:
            start, end = (xa, ya - box_h / 2), (xb, yb + box_h / 2)
            if skip:
                start, end = (xa + box_w / 2, ya), (xb + box_w / 2, yb)
        ax.annotate("", xy=end, xytext=start, arrowprops=dict(
            arrowstyle="->", color="0.3", lw=1,
            connectionstyle=f"arc3,rad={0.25 if lr else -0.25}" if skip else "arc3"))
    for nid, (x, y) in where.items():
        lines, path = graph.nodes[nid]
        title = "/".join(path + (lines[0],)) if path else lines[0]
        ax.add_patch(FancyBboxPatch(
            (x - box_w / 2, y - box_h / 2), box_w, box_h, boxstyle="round,pad=0.02",
            facecolor="#eef3fb" if not path else "#f6f1e7", edgecolor="0.35"))
        ax.text(x, y, "\n".join([title] + lines[1:]), ha="center", va="center", fontsize=8,
                family="DejaVu Sans")
    fig.savefig(to_file, format="jpg" if ext == "jpeg" else ext, dpi=graph.dpi)
