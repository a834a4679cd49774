"""Draw the computation graph autodiff recorded: ``draw(J)``, ``render(J, "graph.svg")``.

    >>> from tinygrad_edu import viz
    >>> g = viz.draw(J)                   # a graphviz.Digraph; Jupyter shows it inline
    >>> g = viz.draw(J, show_data=True, show_grad=True, rankdir="TB")
    >>> viz.render(J, "two_layer.svg")    # or .png / .dot; returns the path written
    >>> print(viz.to_dot(J))              # the DOT text alone (no graphviz package needed)

What the picture shows (the course's ``x → z = wᵀx + b → a = σ(z) → L(a, y)``):

* one box per tensor (a *value node*: name in the course's notation, shape, dtype when not
  float64, and with ``show_data`` / ``show_grad`` the values and the gradient: in full for
  small arrays, as mean/min/max/norm for big ones), coloured by role: parameters (leaves that
  require grad: W1, b1), inputs (leaves without grad: X, Y), constants (unnamed numbers such as
  1.0), intermediates (Z1, A1, ...) and the loss/output (the root); a legend says which is which;
* one small ellipse per op (``@``, ``+``, ``σ``, ``tanh``, ``cross-entropy``, ...), with one
  edge per argument (``a + a`` has two);
* the shape change on every edge where broadcasting happened, e.g. ``(4, 1) → (4, 400)`` from
  b1 into the add: that is where the backward pass sums, ``db = 1/m Σ dZ``;
* one cluster per layer (``layer 1`` holds W1, b1, Z1, A1; the index comes from the names), or
  with ``collapse_layers=True`` one box per layer, for deep models;
* with ``equations=True`` each tensor's backward equation (``dZ2 = (A2 - Y) / m``) under its
  box, from ``tinygrad_edu.explain``.

In Jupyter (``draw`` with the default ``rankdir=None``) a picture wider than
``NOTEBOOK_WIDTH`` pixels is shown top to bottom, so its labels keep their size in the
column. ``to_dot(..., marks=Marks(...))`` lights tensors, ops and edges and adds lines to
boxes: the hook ``viz.backprop(J)`` (``tinygrad_edu.backprop_view``) draws its steps with.

Node ids are a counter in topological order (never ``id()``), so the same model gives the same
DOT text in every run and process. A graph with more than ``max_nodes`` nodes (default 500) is
refused with a message saying how to raise the limit or collapse the layers.

Rendering needs a Graphviz program; ``find_renderer`` looks, in this order, at the
``renderer=`` argument or the ``TINYGRAD_EDU_DOT`` environment variable, ``dot`` on PATH, and
``graphviz-pure`` (a pip-installable Rust port of Graphviz, no PDF) in this Python's scripts
folder or on PATH. Without one, ``render`` still writes the ``.dot`` file and raises
``RendererNotFoundError`` saying how to install one, and a notebook shows the DOT source and
that hint instead of a traceback. The ``graphviz`` Python package (for ``draw``'s Digraph) is
imported only inside ``draw``.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from . import checks
from .autograd import topological_order
from .errors import ArgumentTypeError, TinygradEduError
from .tensor import Tensor

RENDER_HINT = (
    'install a Graphviz renderer: pip install "tinygrad_edu[render]" (brings graphviz-pure), '
    "or the system package graphviz (apt install graphviz / brew install graphviz / "
    "conda install graphviz)"
)
RENDERER_ENV = "TINYGRAD_EDU_DOT"
DEFAULT_MAX_NODES = 500
SMALL_ARRAY = 12  # arrays with at most this many values are shown in full, larger ones summarised
RANKDIRS = ("LR", "TB", "RL", "BT")
NOTEBOOK_WIDTH = 860  # px: a Jupyter column; wider left-to-right pictures are shown top-down
_PX_PER_PT = 4 / 3

# role -> (fill colour, legend text)
ROLES = {
    "parameter": ("#fcd9a4", "parameter (requires grad: W, b)"),
    "input": ("#b9dcf5", "input / data (no grad: X, Y)"),
    "constant": ("#e6e6e6", "constant"),
    "intermediate": ("#d8efd0", "intermediate (Z, A)"),
    "output": ("#f7b0b0", "loss / output (the root)"),
}
OP_COLOUR = "#ffffff"
EQUATION_COLOUR = "#8a3b00"
MARK_COLOUR = "#d62728"  # Marks: the step's tensor, op and edges (the backprop view)
MARK_OP_FILL = "#ffe082"
GRAD_COLOUR = "#1b5e20"  # Marks.rows: gradients already computed
FONT = "Helvetica"


class RendererNotFoundError(TinygradEduError, RuntimeError):
    """No Graphviz program (``dot`` or ``graphviz-pure``) was found to turn DOT into a picture."""


class RenderError(TinygradEduError, RuntimeError):
    """The Graphviz program ran but failed (a format it cannot write, a broken graph)."""


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


# ---------------------------------------------------------------------------------------------
# how ops and values are labelled
# ---------------------------------------------------------------------------------------------

# op name -> the symbol drawn in its node (course notation where it has one)
_OP_SYMBOLS = {
    "add": "+", "sub": "−", "mul": "×", "div": "÷", "neg": "−x", "pow": "x^k", "matmul": "@",
    "maximum": "max", "minimum": "min", "exp": "exp", "log": "log", "sqrt": "√", "abs": "|x|",
    "sigmoid": "σ", "tanh": "tanh", "relu": "relu", "leaky_relu": "leaky_relu", "clip": "clip",
    "sum": "Σ", "mean": "mean", "max": "max", "min": "min",
    "binary_cross_entropy": "cross-entropy", "binary_cross_entropy_with_logits":
    "cross-entropy (logits)", "mse_loss": "squared error", "l2_penalty": "L2 penalty",
}
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "**"}
_ELEMENTWISE_BINARY = {"add", "sub", "mul", "div", "pow", "maximum", "minimum"}
_LAYER_NAME = re.compile(r"^[A-Za-z_]+\[?(\d+)\]?$")  # W1, b1, Z1, A1, W[2]: layer 1, 2


def _op_label(op: str, attributes: dict, symbol: str | None = None,
              defaults: dict | None = None) -> str:
    """The text of an op's node. An op may declare its ``viz_symbol`` and the
    ``course_defaults`` of its settings (not drawn when the op has them)."""
    if op == "pow" and "exponent" in attributes:
        return f"x^{_number(attributes['exponent'])}"
    symbol = symbol or _OP_SYMBOLS.get(op, op)
    shown = {k: v for k, v in attributes.items() if v is not None and k not in ("kept_shape",)}
    for key, value in (defaults or {}).items():
        if key in shown and shown[key] == value:
            del shown[key]
    if op == "transpose" and shown.get("axes") in (None, (1, 0)):
        shown.pop("axes", None)  # the plain matrix transpose
    if op in ("sum", "mean", "max", "min") and not shown.get("keepdims"):
        shown.pop("keepdims", None)
    if op in ("binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss") and \
            shown.get("reduction") == "mean":
        shown.pop("reduction")  # the course's default: 1/m Σ
    if op == "l2_penalty" and "lam" in shown:
        shown["λ"] = shown.pop("lam")  # λ/2 Σ W²
    if not shown:
        return symbol
    settings = ", ".join(f"{k}={_number(v)}" for k, v in shown.items())
    return f"{symbol} ({settings})"


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _shape(shape: tuple) -> str:
    """``(4, 400)``; a 0-d tensor (a cost) is a ``scalar``."""
    return "(" + ", ".join(map(str, shape)) + ")" if shape else "scalar"


def layer_of(name: str | None) -> int | None:
    """The course's layer index in a tensor name: ``W2``, ``b2``, ``Z2``, ``A2`` -> 2."""
    if not name:
        return None
    match = _LAYER_NAME.match(name)
    return int(match.group(1)) if match else None


def role_of(t: Tensor, root: Tensor) -> str:
    """``"output"`` (the root), ``"parameter"`` (a leaf that requires grad), ``"input"`` (a
    named leaf without grad, or an unnamed array such as a numpy X passed to a layer),
    ``"constant"`` (an unnamed one-element leaf such as 1.0) or ``"intermediate"``."""
    if t is root:
        return "output"
    if t._ctx is not None:
        return "intermediate"
    if t.requires_grad:
        return "parameter"
    if t.name or t.data.size > 1:
        return "input"
    return "constant"


def _expression(t: Tensor, depth: int = 3) -> str | None:
    """A short formula for a tensor from its named inputs (``W1 @ X``, ``σ(wᵀ @ X)``), looking
    at most ``depth`` unnamed ops deep; None when there is none under 25 characters."""
    if t.name:
        return t.name
    if t._ctx is None:
        return _number(t.data.item()) if t.data.size == 1 else None
    op, parents = t._ctx.name, t._ctx.parents
    if depth == 0 or op == "getitem" or len(parents) > 2:
        return None
    names, wrapped = [], []  # wrapped: in parentheses when the input is itself a + b, ...
    for p in parents:
        name = _expression(p, depth - 1)
        if name is None:
            return None
        names.append(name)
        compound = not p.name and p._ctx is not None and p._ctx.name in _INFIX
        wrapped.append(f"({name})" if compound else name)
    if len(names) == 2:
        text = f"{wrapped[0]} {_INFIX[op]} {wrapped[1]}" if op in _INFIX else None
    elif op == "transpose":
        text = f"{wrapped[0]}ᵀ"
    else:
        text = f"{_OP_SYMBOLS.get(op, op)}({names[0]})"
    return text if text is not None and len(text) <= 24 else None


def _readable_name(t: Tensor) -> str:
    """A name for an unnamed tensor: a formula of named inputs (``W1 @ X``), else the op."""
    expression = _expression(t)
    if expression is not None:
        return expression
    if t._ctx is None:
        return "constant" if t.data.size <= 1 else "input"
    return t._ctx.name


def _array_lines(values: np.ndarray) -> list[str]:
    """Small arrays in full (one line per row), big ones as mean, min, max and norm."""
    if values.size <= SMALL_ARRAY:
        text = np.array2string(values, separator=", ", max_line_width=48,
                               formatter={"float_kind": _four_digits})
        return text.splitlines()
    if values.dtype.kind == "b":
        return [f"{int(values.sum())} of {values.size} true"]
    with np.errstate(all="ignore"):  # inf/nan arrays: show what numpy says, without warnings
        numbers = values.astype(np.float64)
        return [
            f"mean {numbers.mean():.4g}  norm {np.linalg.norm(numbers.ravel()):.4g}",
            f"min {numbers.min():.4g}  max {numbers.max():.4g}",
        ]


def _four_digits(value: float) -> str:
    return f"{value:.4g}"


def _cell(text_html: str, *, bold: bool = False, size: int | None = None,
          colour: str | None = None, align: str = "CENTER") -> str:
    if bold:
        text_html = f"<B>{text_html}</B>"
    if size or colour:
        attrs = (f' POINT-SIZE="{size}"' if size else "") + (f' COLOR="{colour}"' if colour else "")
        text_html = f"<FONT{attrs}>{text_html}</FONT>"
    return f'<TR><TD ALIGN="{align}" BALIGN="LEFT">{text_html}</TD></TR>'


def _lines(lines: Iterable[str]) -> str:
    return '<BR ALIGN="LEFT"/>'.join(html.escape(line) for line in lines)


EQUATION_WIDTH = 30  # characters per equation line in a box (longer calls wrap after a comma)


def _equation_lines(text: str) -> list[str]:
    """One equation as the lines drawn under its box: the course's form (after ``"  = "``)
    on a line of its own and long calls wrapped after a comma, so that one long formula
    (``db1 = np.sum(dZ1, axis=1, keepdims=True)``) does not make its box, and the whole
    picture, twice as wide."""
    first, separator, course = text.partition("  = ")
    parts = [first] + ([f"  = {course.strip()}"] if separator else [])
    lines = []
    for part in parts:
        pieces = part.split(", ")
        current = pieces[0]
        for piece in pieces[1:]:
            if len(current) + 2 + len(piece) > EQUATION_WIDTH:
                lines.append(current + ",")
                current = "      " + piece
            else:
                current += ", " + piece
        lines.append(current)
    return lines


def _value_label(t: Tensor, role: str, show_data: bool, show_grad: bool,
                 equations: list[str], marked: list[str] = ()) -> str:
    rows = []
    if t.name:
        rows.append(_cell(html.escape(t.name), bold=True))
    else:
        rows.append(_cell(f"<I>{html.escape(_readable_name(t))}</I>"))
    details = _shape(t.shape)
    if t.dtype != np.float64:
        details += f" {t.dtype}"
    if t.requires_grad:
        details += " · grad"
    rows.append(_cell(html.escape(details), size=9))
    if show_data:
        rows.append(_cell(_lines(["data", *_array_lines(t.data)]), size=9, align="LEFT"))
    if show_grad and t.requires_grad:
        grad = ["grad: None"] if t.grad is None else ["grad", *_array_lines(np.asarray(t.grad))]
        rows.append(_cell(_lines(grad), size=9, align="LEFT"))
    if equations:
        lines = [line for text in equations for line in _equation_lines(text)]
        rows.append(_cell(_lines(lines), size=9, colour=EQUATION_COLOUR, align="LEFT"))
    if marked:
        rows.append(_cell(_lines(marked), size=9, colour=GRAD_COLOUR, align="LEFT"))
    colour = ROLES[role][0]
    return (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" '
            f'BGCOLOR="{colour}">{"".join(rows)}</TABLE>>')


def _attributes(attrs: list[str]) -> str:
    return f" [{' '.join(attrs)}]" if attrs else ""


def _quote(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# ---------------------------------------------------------------------------------------------
# the graph
# ---------------------------------------------------------------------------------------------


def _equations_of(root: Tensor) -> dict:
    """tensor -> the lines of its backward equation, from ``tinygrad_edu.explain``."""
    try:
        from .explain import explain
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
            broadcast = (ctx.name in _ELEMENTWISE_BINARY and p.shape != t.shape
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


def _layer_box(l: int, members: list, root: Tensor, marked: list = ()) -> str:
    """The one box drawn for layer ``l`` with collapse_layers: its named tensors and ops
    (and, from ``Marks.rows``, the gradients of its tensors already computed)."""
    named = [f"{t.name} {_shape(t.shape)}" for t in members if t.name]
    ops = sorted({t._ctx.name for t in members if t._ctx is not None})
    role = "output" if any(t is root for t in members) else "intermediate"  # never Tensor ==
    rows = [_cell(f"layer {l}", bold=True), _cell(_lines(named), size=9, align="LEFT")]
    if ops:
        rows.append(_cell(html.escape("ops: " + ", ".join(ops)), size=9))
    if marked:
        rows.append(_cell(_lines(textwrap.wrap("computed: " + ", ".join(marked), 30)), size=9,
                          colour=GRAD_COLOUR, align="LEFT"))
    return (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
            f'BGCOLOR="{ROLES[role][0]}">{"".join(rows)}</TABLE>>')


def _legend(roles: list, collapsed: bool, notes: list | None = None) -> str:
    rows = ['<TR><TD COLSPAN="2"><FONT POINT-SIZE="9"><B>legend</B></FONT></TD></TR>']
    entries = [ROLES[role] for role in roles]
    if collapsed:
        entries.append((ROLES["intermediate"][0], "layer l: W, b, Z, A of one layer"))
    for colour, text in entries:
        rows.append(f'<TR><TD BGCOLOR="{colour}" WIDTH="14"> </TD>'
                    f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9">{html.escape(text)}</FONT></TD></TR>')
    rows.append('<TR><TD COLSPAN="2"><FONT POINT-SIZE="9">ellipse: an op; edge label: '
                "broadcast</FONT></TD></TR>")
    for note in notes or ():  # the equations' footnotes (¹ the floor in dA), wrapped to the
        # width of the rows above so the colour swatches keep their size
        rows.append(f'<TR><TD COLSPAN="2" ALIGN="LEFT" BALIGN="LEFT"><FONT POINT-SIZE="9" '
                    f'COLOR="{EQUATION_COLOUR}">{_lines(textwrap.wrap(note, 36))}'
                    "</FONT></TD></TR>")
    return ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2" COLOR="#999999">'
            f'{"".join(rows)}</TABLE>>')


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


def draw(
    root: Tensor,
    *,
    show_data: bool = False,
    show_grad: bool = False,
    rankdir: str | None = None,
    equations: bool = False,
    cluster_layers: bool = True,
    collapse_layers: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    legend: bool = True,
    renderer: str | os.PathLike | None = None,
) -> Any:
    """The computation graph of ``root`` (e.g. the cost J) as a ``graphviz.Digraph``.

    ``show_data`` / ``show_grad``: the values / the gradients in each box (call
    ``J.backward()`` first for the gradients); arrays of more than 12 values are summarised.
    ``rankdir``: "LR" (left to right, like the course's pictures), "TB", "RL" or "BT"; the
    default None is "LR", except that a notebook shows a picture wider than
    ``NOTEBOOK_WIDTH`` pixels top to bottom (so its labels keep their size in the column).
    ``equations``: each tensor's backward equation under its box (``tinygrad_edu.explain``).
    ``cluster_layers``: frame W1, b1, Z1, A1 as "layer 1", ...; ``collapse_layers``: draw one
    box per layer instead. ``max_nodes``: refuse bigger graphs (GraphTooLargeError).
    ``renderer``: the Graphviz program used to display it (see ``find_renderer``).

    ``.source`` is the DOT text (the same as ``to_dot``); in Jupyter the graph shows inline,
    or, when no renderer is installed, as DOT text with a line saying how to install one.
    Needs the ``graphviz`` Python package (``pip install "tinygrad_edu[render]"``).
    """
    if renderer is not None:
        checks.path(renderer, "viz.draw", "renderer")
    options = {"show_data": show_data, "show_grad": show_grad, "equations": equations,
               "cluster_layers": cluster_layers, "collapse_layers": collapse_layers,
               "max_nodes": max_nodes, "legend": legend}
    source = to_dot(root, rankdir="LR" if rankdir is None else rankdir, **options)
    graph = _digraph_class()(name="computation_graph")
    graph.body.extend(source.splitlines(keepends=True)[1:-1])  # Digraph adds the braces
    graph.renderer = renderer
    if rankdir is None:  # the notebook's choice: top to bottom when too wide
        graph.top_down = functools.partial(to_dot, root, rankdir="TB", **options)
    return graph


def backprop(root: Tensor, **options: Any) -> Any:
    """The backward pass of ``root`` step by step: a ``BackpropView`` (Jupyter shows it with
    a slider; ``.save("backprop.html")``, ``.frames("slides/")``). The options and the
    pictures are described in ``tinygrad_edu.backprop_view``, which builds on this module
    (so it is imported here, when called)."""
    from .backprop_view import backprop as make_view

    return make_view(root, **options)


@functools.cache
def _digraph_class() -> type:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            'viz.draw needs the graphviz Python package: pip install "tinygrad_edu[render]". '
            "viz.to_dot(J) gives the DOT text without it, and viz.render(J, path) needs only a "
            "renderer program."
        ) from None

    class ComputationGraph(graphviz.Digraph):
        """A ``graphviz.Digraph`` that renders with ``find_renderer``'s program (``dot`` or
        ``graphviz-pure``) and, in a notebook, falls back to its DOT text and an install hint."""

        renderer: Any = None
        top_down: Any = None  # the DOT text drawn top to bottom, for a notebook's column

        def pipe(self, format: str | None = None, *args: Any, encoding: str | None = None,
                 **kwargs: Any) -> Any:
            data = _run_renderer(self.source, format or "svg", find_renderer(self.renderer))
            return data.decode(encoding) if encoding else data

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                              **_: Any) -> dict:
            try:
                svg = self.pipe("svg", encoding="utf-8")
                if self.top_down is not None and svg_width_px(svg) > NOTEBOOK_WIDTH:
                    program = find_renderer(self.renderer)
                    svg = _run_renderer(self.top_down(), "svg", program).decode("utf-8")
                return {"image/svg+xml": svg}
            except (RendererNotFoundError, RenderError, OSError) as error:
                note = f"(the graph as DOT text: {error})"
                return {
                    "text/plain": f"{self.source}\n{note}",
                    "text/html": f"<pre>{html.escape(self.source)}</pre><p>{html.escape(note)}"
                                 "</p>",
                }

    return ComputationGraph


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------


def svg_width_px(svg: str) -> float:
    """The width of an SVG picture in CSS pixels (Graphviz writes points: 1 pt = 4/3 px)."""
    match = re.search(r'<svg[^>]*\swidth="([\d.]+)(pt|px)?"', svg)
    if match is None:
        raise ValueError("svg_width_px: the <svg> element has no width attribute")
    return float(match.group(1)) * (_PX_PER_PT if match.group(2) == "pt" else 1)



def _script_dirs() -> list[Path]:
    """Where pip puts executables for this Python: the scripts folder, next to python."""
    dirs = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    return list(dict.fromkeys(dirs))


def find_renderer(renderer: str | os.PathLike | None = None) -> str | None:
    """The Graphviz program to use, or None: ``renderer`` (a path or a command name), else
    the ``TINYGRAD_EDU_DOT`` environment variable, else ``dot`` on PATH, else
    ``graphviz-pure`` in this Python's scripts folder or on PATH.

    An override that does not exist raises RendererNotFoundError (no silent fallback).
    """
    if renderer is not None:
        checks.path(renderer, "viz.find_renderer", "renderer")
    override = renderer if renderer is not None else os.environ.get(RENDERER_ENV) or None
    if override is not None:
        found = shutil.which(str(override))
        if found is None:
            where = "renderer=" if renderer is not None else f"${RENDERER_ENV}="
            raise RendererNotFoundError(
                f"viz: the renderer {where}{override!s} is not an executable program; give the "
                "path of dot or graphviz-pure, or unset it to search the usual places"
            )
        return found
    found = shutil.which("dot")
    if found:
        return found
    names = ["graphviz-pure.exe", "graphviz-pure"] if os.name == "nt" else ["graphviz-pure"]
    for folder in _script_dirs():
        for name in names:
            candidate = folder / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return shutil.which("graphviz-pure")


def _run_renderer(source: str, format: str, program: str | None) -> bytes:
    if program is None:
        raise RendererNotFoundError(f"no Graphviz renderer found; {RENDER_HINT}")
    result = subprocess.run([program, f"-T{format}"], input=source.encode("utf-8"),
                            capture_output=True, check=False)
    if result.returncode != 0 or not result.stdout:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RenderError(
            f"viz: {Path(program).name} could not write {format} (exit status "
            f"{result.returncode}): {message[-800:]}. graphviz-pure writes svg, png, jpg and "
            "dot but no pdf; the system package graphviz writes pdf too."
        )
    return result.stdout


def render(
    root: Any,
    path: str | os.PathLike,
    *,
    format: str | None = None,
    renderer: str | os.PathLike | None = None,
    **draw_options: Any,
) -> Path:
    """Write the graph of ``root`` to ``path`` and return the path written.

    ``root`` is a Tensor (``draw_options`` as in ``draw``) or a graph from ``draw``. The format
    comes from the suffix (.svg, .png, .jpg, .dot/.gv) unless ``format`` is given. .dot writes
    the text and needs no renderer. With no renderer found, writes ``path`` with the suffix
    .dot and raises RendererNotFoundError naming both ways to install one.
    """
    path = Path(checks.path(path, "viz.render"))
    if format is not None:
        checks.text(format, "viz.render", "format", hint="e.g. 'svg' or 'png'.")
    source = root.source if hasattr(root, "source") else to_dot(root, **draw_options)
    format = (format or path.suffix.lstrip(".") or "svg").lower()
    if format in ("dot", "gv"):
        path.write_text(source, encoding="utf-8")
        return path
    try:
        program = find_renderer(renderer)
    except RendererNotFoundError:
        path.with_suffix(".dot").write_text(source, encoding="utf-8")
        raise
    if program is None:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(source, encoding="utf-8")
        raise RendererNotFoundError(
            f"viz.render: no Graphviz renderer found (looked for ${RENDERER_ENV}, dot on PATH, "
            f"graphviz-pure next to {sys.executable} and on PATH), so {path.name} was not "
            f"written; the graph's DOT text is in {dot_path}. To get pictures, {RENDER_HINT}."
        )
    path.write_bytes(_run_renderer(source, format, program))
    return path
