"""The DOT text of a computation graph: ``to_dot(J)``, and ``Marks`` for a step-by-step view.

Node ids are a counter in topological order (never ``id()``), so the same model gives the
same DOT text in every run and process. An element-wise op that declares ``broadcasts = True``
gets the shape change on the edge of an argument it broadcast (``(4, 1) → (4, 400)``).
"""

from __future__ import annotations

import dataclasses

from .. import checks
from ..autograd import topological_order
from ..errors import ArgumentTypeError, TinygradEduError
from ..tensor import Tensor
from .labels import _attributes, _layer_box, _legend, _quote, _value_label
from .names import _op_label, _readable_name, _shape, layer_of, role_of
from .style import (
    DEFAULT_MAX_NODES,
    FONT,
    MARK_COLOUR,
    MARK_OP_FILL,
    OP_COLOUR,
    RANKDIRS,
    ROLES,
)


class GraphTooLargeError(TinygradEduError, ValueError):
    """The graph has more nodes than ``max_nodes``."""


@dataclasses.dataclass(frozen=True)
class Marks:
    """What one picture of a step-by-step view lights (``to_dot(J, marks=...)``; used by
    ``tinygrad_edu.backprop_view``). Tensors are the graph's own; with ``collapse_layers`` a
    mark on a tensor inside a collapsed layer lights that layer's box.

    ``current``: tensors whose box is outlined (the gradient this step computes);
    ``ops``: tensors whose op ellipse is lit (the rules that run); ``edges``:
    ``(input tensor, tensor its op made) -> label`` for the lit edges (the gradient flowing
    back along them), or a tuple of labels, one per edge of that pair (``A * A`` has two);
    ``rows``: ``tensor -> lines`` shown in its box in green (a gradient
    already computed: its name, then its values or statistics; a collapsed layer shows the
    first lines); ``caption``: a line above the picture.
    """

    current: tuple = ()
    ops: tuple = ()
    edges: dict = dataclasses.field(default_factory=dict)
    rows: dict = dataclasses.field(default_factory=dict)
    caption: str = ""

def _equations_of(root: Tensor) -> tuple[dict, list]:
    """(tensor -> the lines of its backward equation, the footnotes), from ``explain``."""
    try:
        from ..explain import explain
    except ImportError as error:
        raise ImportError(
            "draw(..., equations=True) needs tinygrad_edu.explain, which could not be "
            f"imported ({error}); draw without equations=True"
        ) from error
    by_tensor: dict = {}
    notes: dict = {}
    for equation in explain(root):
        by_tensor.setdefault(equation.target, []).append(str(equation.text))
        notes.update(dict.fromkeys(getattr(equation, "notes", ())))
    return by_tensor, list(notes)


def _layers(order: list, consumers: dict) -> dict:
    """tensor -> layer index: from the name (W2, Z2 -> 2); an unnamed intermediate or
    constant takes the layer of its consumers when they all agree (``W1 @ X`` -> 1)."""
    layer = {t: layer_of(t.name) for t in order}
    for t in reversed(order):  # consumers come later in topological order
        if layer[t] is None and not t.name and (t._ctx is not None or t.data.size <= 1):
            found = {layer[c] for c in consumers.get(t, ())}
            if len(found) == 1:
                layer[t] = found.pop()
    return layer


def to_dot(
    root: Tensor,
    *,
    show_data: bool = False,
    show_grad: bool = False,
    rankdir: str = "LR",
    equations: bool = False,
    cluster_layers: bool = True,
    collapse_layers: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    legend: bool = True,
    marks: Marks | None = None,
) -> str:
    """The DOT text of the graph that computed ``root`` (see ``draw`` for the options;
    ``marks`` lights tensors, ops and edges, see ``Marks``)."""
    checks.tensor(root, "viz", "root", hint="Give the Tensor to draw, e.g. the cost J.")
    for arg, value in (("show_data", show_data), ("show_grad", show_grad),
                       ("equations", equations), ("cluster_layers", cluster_layers),
                       ("collapse_layers", collapse_layers), ("legend", legend)):
        checks.boolean(value, "viz", arg)
    checks.choice(rankdir, "viz", "rankdir", RANKDIRS)
    max_nodes = checks.integer(max_nodes, "viz", "max_nodes", minimum=1)
    if marks is not None and not isinstance(marks, Marks):
        raise ArgumentTypeError(f"viz: marks must be a viz.Marks or None, not "
                                f"{checks.describe_value(marks)}")
    order = topological_order(root, only_requires_grad=False)
    number = {t: i for i, t in enumerate(order)}
    consumers: dict = {}
    for t in order:
        if t._ctx is not None:
            for p in t._ctx.parents:
                consumers.setdefault(p, []).append(t)
    layer = _layers(order, consumers) if (cluster_layers or collapse_layers) else {}
    layered = sorted({v for v in layer.values() if v is not None})

    collapsed = set(layered) if collapse_layers else set()
    drawn = [t for t in order if layer.get(t) not in collapsed]
    n_nodes = len(collapsed) + sum(1 if t._ctx is None else 2 for t in drawn)
    if n_nodes > max_nodes:
        raise GraphTooLargeError(_too_large_message(n_nodes, len(order), max_nodes, layered,
                                                    collapse_layers))
    equations_of, notes = _equations_of(root) if equations else ({}, [])

    def node_of(t: Tensor) -> str:  # the DOT node a tensor's value is drawn as
        l = layer.get(t)
        return f"layer{l}" if l in collapsed else f"t{number[t]}"

    marks = marks or Marks()
    current, lit_ops = set(marks.current), set(marks.ops)

    out = [
        "digraph computation_graph {\n",
        f'\tgraph [rankdir={rankdir} fontname="{FONT}" fontsize=11 nodesep=0.25 ranksep=0.3 '
        'newrank=true]\n',
        f'\tnode [fontname="{FONT}" fontsize=11 shape=plain]\n',
        f'\tedge [fontname="{FONT}" fontsize=9 color="#555555" fontcolor="#1f4e99" '
        'arrowsize=0.6]\n',
    ]
    node_lines: dict = {l: [] for l in [None, *layered]}
    edges = []
    for t in drawn:
        i = number[t]
        role = role_of(t, root)
        tooltip = f"{t.name or _readable_name(t)} {_shape(t.shape)}: {role}"
        label = _value_label(t, role, show_data, show_grad, equations_of.get(t, []),
                             marks.rows.get(t, ()))
        lines = node_lines[layer.get(t)]
        outline = (f' shape=box style=rounded margin=0.03 color="{MARK_COLOUR}" penwidth=3 '
                   f'id="current{i}"') if t in current else ""
        lines.append(f"\tt{i} [label={label} tooltip={_quote(tooltip)}{outline}]\n")
        if t._ctx is None:
            continue
        ctx = t._ctx
        op_text = _op_label(ctx.name, ctx.attributes(), getattr(ctx, "viz_symbol", None),
                            getattr(ctx, "course_defaults", None))
        fill, ring = (MARK_OP_FILL, f' color="{MARK_COLOUR}" penwidth=2.5') if t in lit_ops \
            else (OP_COLOUR, "")
        lines.append(f"\tf{i} [label={_quote(op_text)} "
                     f'shape=ellipse style=filled fillcolor="{fill}" height=0.3 '
                     f"margin=0.04 tooltip={_quote(ctx.name)}{ring}]\n")
        arguments_seen: list = []
        for p in ctx.parents:  # one edge per argument: a + a has two
            broadcast = (getattr(ctx, "broadcasts", False) and p.shape != t.shape
                         and not (p._ctx is None and not p.name and p.data.size == 1))
            texts = [f" {_shape(p.shape)} → {_shape(t.shape)} "] if broadcast else []
            mark = marks.edges.get((p, t))
            if isinstance(mark, tuple):  # one label per argument: a * a has two edges
                mark = mark[min(sum(q is p for q in arguments_seen), len(mark) - 1)]
            arguments_seen.append(p)
            if mark is not None:
                texts.append(f" {mark} ")
            attrs = [f"label={_quote(chr(10).join(texts))}"] if texts else []
            if mark is not None:
                attrs.append(f'color="{MARK_COLOUR}" fontcolor="{MARK_COLOUR}" penwidth=2.5')
            if layer.get(p) is not None and layer.get(t) not in (None, layer.get(p)):
                attrs.append("minlen=2")  # A1 and W2 on different ranks: layers side by side
            edges.append(f"\t{node_of(p)} -> f{i}{_attributes(attrs)}\n")
        edges.append(f"\tf{i} -> t{i}\n")
    for l in sorted(collapsed):
        members = [t for t in order if layer.get(t) == l]
        marked = [marks.rows[t][0] for t in members if marks.rows.get(t)]
        outline = ""
        if current.intersection(members):  # the step's tensor is in this layer
            outline = (f' shape=box style=rounded margin=0.03 color="{MARK_COLOUR}" penwidth=3 '
                       f'id="current_layer{l}"')
        elif lit_ops.intersection(members):  # only the rule that runs is
            outline = (f' shape=box style="rounded,dashed" margin=0.03 color="{MARK_COLOUR}" '
                       f'penwidth=2 id="rule_layer{l}"')
        node_lines[None].append(f"\tlayer{l} [label={_layer_box(l, members, root, marked)}"
                                f"{outline}]\n")
        sources: dict = {}  # edges into the box from outside it, one per source
        for t in members:
            for p in t._ctx.parents if t._ctx is not None else ():
                if layer.get(p) != l:
                    texts = sources.setdefault(node_of(p), [])
                    mark = marks.edges.get((p, t))
                    if mark is not None:
                        texts.extend(mark if isinstance(mark, tuple) else [mark])
        for source, texts in sources.items():
            attrs = [f"label={_quote(' ' + ', '.join(texts) + ' ')}",
                     f'color="{MARK_COLOUR}" fontcolor="{MARK_COLOUR}" penwidth=2.5'] \
                if texts else []
            edges.append(f"\t{source} -> layer{l}{_attributes(attrs)}\n")
    for l, lines in node_lines.items():
        if l is None or l in collapsed:
            out.extend(lines)
        elif lines:
            out.append(f"\tsubgraph cluster_layer{l} {{\n\t\tlabel={_quote(f'layer {l}')} "
                       'style="rounded,dashed" color="#888888" fontcolor="#555555"\n')
            out.extend("\t" + line for line in lines)
            out.append("\t}\n")
    out.extend(edges)
    if legend:
        roles = [r for r in ROLES if any(role_of(t, root) == r for t in drawn)]
        out.append(f"\tlegend [label={_legend(roles, bool(collapsed), notes)}]\n")
    if marks.caption:  # above the picture, left-aligned lines
        caption = "".join(_quote(line)[1:-1] + "\\l" for line in marks.caption.split("\n"))
        out.append(f'\tlabel="{caption}" labelloc=t labeljust=l fontsize=13 '
                   f'fontcolor="{MARK_COLOUR}"\n')
    elif notes and not legend:  # the footnotes of the equations (¹ ...) under the picture
        out.append(f"\tlabel={_quote(chr(10).join(notes))} labelloc=b labeljust=l fontsize=9\n")
    out.append("}\n")
    return "".join(out)


def _too_large_message(n_nodes: int, n_tensors: int, max_nodes: int, layered: list,
                       collapse_layers: bool) -> str:
    advice = f"pass max_nodes={n_nodes} (or more) to draw it all (Graphviz gets slow beyond a " \
             "few thousand nodes)"
    if layered and not collapse_layers:
        advice += (f", or collapse_layers=True to draw one box per layer (this graph has "
                   f"{len(layered)} layers)")
    return (f"viz: the graph has {n_nodes} nodes ({n_tensors} tensors and their ops), more than "
            f"max_nodes={max_nodes}: {advice}. The same model with fewer layers (or a loop run "
            "for fewer steps) shows the same structure in a smaller picture.")
