"""``draw(J)``: the graph as a ``graphviz.Digraph`` that Jupyter shows inline, top to bottom
when a left-to-right picture would be wider than the notebook's column (``NOTEBOOK_WIDTH``),
and as its DOT text and an install hint when no renderer is found. The ``graphviz`` Python
package is imported only inside ``draw``."""

from __future__ import annotations

import functools
import html
import os
import re
from typing import Any

from .. import checks
from ..tensor import Tensor
from .dot import to_dot
from .rendering import RendererNotFoundError, RenderError, _run_renderer, find_renderer
from .style import DEFAULT_MAX_NODES, NOTEBOOK_WIDTH

_PX_PER_PT = 4 / 3

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


def svg_width_px(svg: str) -> float:
    """The width of an SVG picture in CSS pixels (Graphviz writes points: 1 pt = 4/3 px)."""
    match = re.search(r'<svg[^>]*\swidth="([\d.]+)(pt|px)?"', svg)
    if match is None:
        raise ValueError("svg_width_px: the <svg> element has no width attribute")
    return float(match.group(1)) * (_PX_PER_PT if match.group(2) == "pt" else 1)
