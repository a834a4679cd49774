"""Watch backprop happen: the graph of ``J`` one backward step at a time (``viz.backprop(J)``).

    >>> view = viz.backprop(J)        # in Jupyter: the graph with a slider and ◀ ▶ buttons
    >>> view.save("backprop.html")    # one self-contained file (inline SVG, a little script)
    >>> view.frames("slides/")        # step_00.svg, step_00.png, ... one per step

Step 0 is the start, ``dJ = 1`` at the root. Step k (1 … n) is the k-th equation of
``explain(J)``, in its order: backward's reverse topological order, read branch by branch
(every gradient comes after the ones it uses; the engine may interleave independent branches
differently, with the same results). In each frame the tensor that receives its gradient is
outlined in red, the op whose rule runs is lit and the edges its gradient flows back along
carry its name. The caption is the equation ``explain`` derives from the engine's own rule
(``dZ1 = dA1 * (1 - A1**2)``, with the course's form after a second ``=`` where they
differ). A tensor used by several ops (fan-out) gets the sum of their parts: the caption
lists each part, the op it comes from and the sum so far. Every gradient already computed
stays in its box in green, with its values (small arrays) or its mean, norm, min and max:
these are the equations evaluated with numpy, which equal ``.grad`` (so no ``backward()``
call is needed).

The pictures are ``viz.to_dot`` drawings with ``viz.Marks``, so everything ``viz`` can draw
works, ``collapse_layers=True`` included (a step inside a collapsed layer lights its box).
``rankdir=None`` picks left-to-right when the widest picture fits ``viz.NOTEBOOK_WIDTH``
pixels, else top-to-bottom. The same view gives the same DOT text and SVG bytes in every
run. The HTML around the frames (buttons, slider, zoom, script) is
``tinygrad_edu.backprop_html``.
"""

from __future__ import annotations

import dataclasses
import html
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import checks, viz
from .backprop_html import page
from .errors import TinygradEduError
from .explain import Equation, explain
from .tensor import Tensor
from .viz.labels import _array_lines
from .viz.names import _op_label
from .viz.rendering import _run_renderer

__all__ = ["BackpropView", "Part", "Step", "backprop"]

FRAME_FORMATS = ("svg", "png", "dot")


@dataclass(frozen=True)
class Part:
    """One op's contribution to a gradient: ``made`` is the tensor that op made (its rule
    ran), ``edges`` the (input, tensor made) edges the part flows back along (two for a
    fused rule that skips a tensor's own rule), ``text`` the formula, ``value`` its value."""

    made: Tensor
    edges: tuple
    text: str
    value: Any


@dataclass(frozen=True)
class Step:
    """One backward step: ``equation`` (from ``explain``), its ``parts`` and the gradient
    ``value`` (the equation evaluated with numpy: equals ``equation.target.grad``)."""

    index: int
    equation: Equation
    parts: tuple
    value: Any

    @property
    def target(self) -> Tensor:
        return self.equation.target


def backprop(root: Tensor, *, values: bool = True, collapse_layers: bool = False,
             rankdir: str | None = None, legend: bool = True, notation: str = "course",
             renderer: str | os.PathLike | None = None,
             max_nodes: int = viz.DEFAULT_MAX_NODES) -> BackpropView:
    """The step-by-step backward pass of ``root`` (a cost): see the module docstring.

    ``values``: show the computed gradients' values / statistics (else only their names);
    ``collapse_layers``, ``legend``, ``max_nodes``: as in ``viz.draw``; ``rankdir``: "LR",
    "TB", ... or None (chosen by size); ``notation``: as in ``explain``; ``renderer``: the
    Graphviz program (see ``viz.find_renderer``).
    """
    return BackpropView(root, values=values, collapse_layers=collapse_layers, rankdir=rankdir,
                        legend=legend, notation=notation, renderer=renderer,
                        max_nodes=max_nodes)


class BackpropView:
    """The frames of one backward pass; ``len(view)`` frames (the start, then one per step)."""

    def __init__(self, root: Tensor, *, values: bool = True, collapse_layers: bool = False,
                 rankdir: str | None = None, legend: bool = True, notation: str = "course",
                 renderer: str | os.PathLike | None = None,
                 max_nodes: int = viz.DEFAULT_MAX_NODES) -> None:
        checks.tensor(root, "viz.backprop", "root", hint="Give the cost J, e.g. viz.backprop(J).")
        checks.choice(rankdir, "viz.backprop", "rankdir", (None, *viz.RANKDIRS))
        for arg, value in (("values", values), ("collapse_layers", collapse_layers),
                           ("legend", legend)):
            checks.boolean(value, "viz.backprop", arg)
        self.root = root
        self.explanation = explain(root, notation)  # checks root (a scalar cost with a graph)
        self.values = values
        self.renderer = renderer
        self._options = {"collapse_layers": collapse_layers, "legend": legend,
                         "max_nodes": max_nodes}
        self.steps = self._make_steps()
        viz.to_dot(root, **self._options)  # refuses a graph viz cannot draw, before any work
        self._rankdir = rankdir
        self._svgs: dict = {}
        self._pictures: dict = {}

    # -- the steps -----------------------------------------------------------------------

    def _make_steps(self) -> list[Step]:
        gradients = self.explanation.evaluate()
        made_by: dict = {}  # id of an op -> the tensor it made
        stack, seen = [self.root], set()
        while stack:
            t = stack.pop()
            if id(t) in seen or t._ctx is None:
                continue
            seen.add(id(t))
            made_by[id(t._ctx)] = t
            stack.extend(t._ctx.parents)
        steps = []
        for index, eq in enumerate(self.explanation, start=1):
            parts = []
            for ctx, part in eq.parts:
                made = made_by[id(ctx)]
                edges = _edges_between(eq.target, made)
                with np.errstate(all="ignore"):
                    value = part.evaluate(gradients)
                parts.append(Part(made, edges, self.explanation.format(part), value))
            steps.append(Step(index, eq, tuple(parts), gradients[eq]))
        return steps

    def __len__(self) -> int:
        return len(self.steps) + 1

    def __repr__(self) -> str:
        names = ", ".join(step.equation.name for step in self.steps[:8])
        more = ", ..." if len(self.steps) > 8 else ""
        return (f"BackpropView of {self._name(self.root)}: {len(self.steps)} steps "
                f"({names}{more})")

    def __str__(self) -> str:
        return "\n\n".join(self.caption(k) for k in range(len(self)))

    def _name(self, t: Tensor) -> str:
        return self.explanation.symbol(t).label

    def caption(self, k: int) -> str:
        """The text of frame ``k``: the step, the rule that runs and its equation."""
        self._check_frame(k)
        n = len(self.steps)
        root = self._name(self.root)
        if k == 0:
            return (f"step 0 of {n}: backward starts at {root} with {_gradient_name(root)} = 1\n"
                    "(the forward pass made every box; the next steps fill in the gradients)")
        step = self.steps[k - 1]
        eq = step.equation
        if len(step.parts) == 1:
            lines = [f"step {k} of {n}: {self._rule_words(step.parts[0], step)} gives {eq.name}",
                     eq.text]
        else:
            ops = len({id(part.made) for part in step.parts})
            uses = f"by {ops} ops" if ops == len(step.parts) else \
                f"{len(step.parts)} times (by {ops} ops)"
            lines = [f"step {k} of {n}: {self._name(step.target)} is used {uses}, so "
                     f"{eq.name} is the sum of their parts"]
            total = None
            for i, part in enumerate(step.parts, start=1):
                total = part.value if total is None else total + part.value
                lines.append(f"  part {i}, {self._rule_words(part, step)}: {part.text}"
                             f"   (sum so far: {_summary(total)})")
            lines.append(eq.text)
        return "\n".join(lines)

    def _rule_words(self, part: Part, step: Step) -> str:
        ctx = part.made._ctx
        op = _op_label(ctx.name, ctx.attributes())
        if any(p is step.target for p in ctx.parents):  # identity: Tensor == is element-wise
            return f"the rule of {op} (making {self._name(part.made)})"
        skipped = part.edges[0][1]  # a fused rule: past the op that made the tensor between
        return (f"the fused rule of {op} (making {self._name(part.made)}, past "
                f"{self._name(skipped)}'s own rule)")

    def marks(self, k: int) -> viz.Marks:
        """What frame ``k`` lights: the step's tensor, its ops and edges, the gradients so far."""
        self._check_frame(k)
        rows = {self.root: [f"{_gradient_name(self._name(self.root))} = 1"]}
        for step in self.steps[:k]:
            name = step.equation.name + (" (this step)" if step.index == k else "")
            rows[step.target] = [name, *_value_lines(step.value)] if self.values else [name]
        if k == 0:
            return viz.Marks(current=(self.root,), rows=rows, caption=self.caption(0))
        step = self.steps[k - 1]
        many = len(step.parts) > 1
        edges: dict = {}  # (input, tensor made) -> the labels of its edges, in argument order
        for i, part in enumerate(step.parts, start=1):
            for edge in part.edges:
                label = f"{step.equation.name} part {i}" if many else step.equation.name
                edges[edge] = (*edges.get(edge, ()), label)
        return viz.Marks(current=(step.target,), ops=tuple(p.made for p in step.parts),
                         edges=edges, rows=rows, caption=self.caption(k))

    def _check_frame(self, k: int) -> None:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or \
                not 0 <= k < len(self):
            raise IndexError(f"viz.backprop: frame {k!r} does not exist; the frames are "
                             f"0 (the start) to {len(self) - 1}")

    # -- pictures ------------------------------------------------------------------------

    @property
    def rankdir(self) -> str:
        """The layout: the one given, else "LR" when the last (widest) frame fits
        ``viz.NOTEBOOK_WIDTH`` pixels left to right, else "TB"."""
        if self._rankdir is None:
            program = viz.find_renderer(self.renderer)
            self._rankdir = "LR"
            if program is not None:
                svg = _run_renderer(self._dot(len(self) - 1, "LR"), "svg", program)
                if viz.svg_width_px(svg.decode("utf-8")) > viz.NOTEBOOK_WIDTH:
                    self._rankdir = "TB"
        return self._rankdir

    def dot(self, k: int) -> str:
        """The DOT text of frame ``k`` (the same bytes in every run)."""
        return self._dot(k, self.rankdir)

    def _dot(self, k: int, rankdir: str, caption: bool = True) -> str:
        marks = self.marks(k)
        if not caption:  # the HTML shows the caption above the picture, as text
            marks = dataclasses.replace(marks, caption="")
        return viz.to_dot(self.root, rankdir=rankdir, marks=marks, **self._options)

    def svg(self, k: int) -> str:
        """Frame ``k`` as SVG text (needs a Graphviz renderer, see ``viz.find_renderer``)."""
        self._check_frame(k)
        if k not in self._svgs:
            self._svgs[k] = self._render(k, "svg").decode("utf-8")
        return self._svgs[k]

    def _render(self, k: int, format: str, caption: bool = True) -> bytes:
        program = viz.find_renderer(self.renderer)
        if program is None:
            raise viz.RendererNotFoundError(
                f"viz.backprop: no Graphviz renderer found to draw the frames; {viz.RENDER_HINT}. "
                "view.dot(k) gives each frame's DOT text without one.")
        return _run_renderer(self._dot(k, self.rankdir, caption), format, program)

    def _picture(self, k: int) -> str:
        """Frame ``k`` as SVG without its caption (the HTML writes it above, where scrolling
        the picture does not hide it)."""
        if k not in self._pictures:
            self._pictures[k] = self._render(k, "svg", caption=False).decode("utf-8")
        return self._pictures[k]

    def frames(self, folder: str | os.PathLike, formats: tuple = ("svg", "png")) -> list[Path]:
        """Write ``step_00.svg``, ``step_00.png``, ... (one file per frame and format) into
        ``folder`` (created if missing) and return the paths. ``formats``: any of "svg",
        "png" (both need a renderer; graphviz-pure and dot write both) and "dot"."""
        if isinstance(formats, str):
            formats = (formats,)
        unknown = [f for f in formats if f not in FRAME_FORMATS]
        if unknown or not formats:
            raise ValueError(f"view.frames: formats must be some of {', '.join(FRAME_FORMATS)}, "
                             f"not {formats!r}")
        if any(f != "dot" for f in formats) and viz.find_renderer(self.renderer) is None:
            self._render(0, "svg")  # raises RendererNotFoundError: nothing written
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        width = len(str(len(self) - 1))
        written = []
        for k in range(len(self)):
            for format in formats:
                path = folder / f"step_{k:0{max(width, 2)}d}.{format}"
                if format == "dot":
                    path.write_text(self.dot(k), encoding="utf-8")
                elif format == "svg":
                    path.write_text(self.svg(k), encoding="utf-8")
                else:
                    path.write_bytes(self._render(k, format))
                written.append(path)
        return written

    # -- HTML ----------------------------------------------------------------------------

    def html(self, *, standalone: bool = True) -> str:
        """The view as HTML: every frame as inline SVG, buttons, a slider, zoom and a small
        script; no external file or URL. ``standalone``: a whole page (``save``) that also
        reads ``#step=k`` from its address, else a fragment (Jupyter)."""
        frames = [self._picture(k) for k in range(len(self))]
        captions = [self.caption(k) for k in range(len(self))]
        return page(frames, captions, self._name(self.root), standalone)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the view as one self-contained HTML file (works offline); returns the path."""
        path = Path(path)
        text = self.html(standalone=True)  # render everything before touching the file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        try:
            return self.html(standalone=False)
        except (viz.RendererNotFoundError, viz.RenderError) as error:
            return (f"<pre>{html.escape(str(self))}</pre><p>(no pictures: "
                    f"{html.escape(str(error))})</p>")


class _NoEdge(TinygradEduError, RuntimeError):
    """A gradient part whose path in the graph could not be found (a bug, never expected)."""


def _edges_between(target: Tensor, made: Tensor) -> tuple:
    """The edges a part of ``target``'s gradient flows back along from the op that made
    ``made``: ``(target, made)``, or for a fused rule ``(target, between), (between, made)``."""
    parents = made._ctx.parents
    if any(p is target for p in parents):
        return ((target, made),)
    for between in parents:
        if between._ctx is not None and any(p is target for p in between._ctx.parents):
            return ((target, between), (between, made))
    raise _NoEdge(f"viz.backprop: no edge from {target!r} to the op that made {made!r}")


def _gradient_name(label: str) -> str:
    """``dJ``; ``d(binary_cross_entropy(A2, Y))`` for a cost called by its formula (as
    explain names gradients)."""
    return f"d{label}" if re.fullmatch(r"[^\W\d][\w\[\]]*", label) else f"d({label})"


def _value_lines(value: Any) -> list[str]:
    return _array_lines(np.asarray(value))


def _summary(value: Any) -> str:
    """A running sum on one caption line: its values (up to 4), else its mean and norm."""
    value = np.asarray(value)
    if value.size <= 4:
        return " ".join(_value_lines(value))
    with np.errstate(all="ignore"):
        numbers = value.astype(np.float64)
        return f"mean {numbers.mean():.4g}, norm {np.linalg.norm(numbers.ravel()):.4g}"
