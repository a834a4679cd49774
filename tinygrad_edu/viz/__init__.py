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

from typing import Any

from ..tensor import Tensor
from .digraph import _digraph_class, draw, svg_width_px
from .dot import GraphTooLargeError, Marks, to_dot
from .labels import _array_lines, _equation_lines
from .names import layer_of, role_of
from .rendering import (
    RENDER_HINT,
    RENDERER_ENV,
    RendererNotFoundError,
    RenderError,
    find_renderer,
    render,
)
from .style import (
    DEFAULT_MAX_NODES,
    EQUATION_COLOUR,
    GRAD_COLOUR,
    MARK_COLOUR,
    MARK_OP_FILL,
    NOTEBOOK_WIDTH,
    RANKDIRS,
    ROLES,
)

# The parts, in reading order: style (colours, limits) <- names (the course's names, symbols,
# roles, layers) <- labels (the boxes) <- dot (to_dot, Marks) <- rendering (find_renderer,
# render) <- digraph (draw, the notebook's display).

__all__ = [
    "DEFAULT_MAX_NODES", "EQUATION_COLOUR", "GRAD_COLOUR", "MARK_COLOUR", "MARK_OP_FILL",
    "NOTEBOOK_WIDTH", "RANKDIRS", "RENDERER_ENV", "RENDER_HINT", "ROLES", "GraphTooLargeError",
    "Marks", "RenderError", "RendererNotFoundError", "_array_lines", "_digraph_class",
    "_equation_lines", "backprop", "draw", "find_renderer", "layer_of", "render", "role_of",
    "svg_width_px", "to_dot",
]


def backprop(root: Tensor, **options: Any) -> Any:
    """The backward pass of ``root`` step by step: a ``BackpropView`` (Jupyter shows it with
    a slider; ``.save("backprop.html")``, ``.frames("slides/")``). The options and the
    pictures are described in ``tinygrad_edu.backprop_view``, which builds on this module
    (so it is imported here, when called)."""
    from ..backprop_view import backprop as make_view

    return make_view(root, **options)
