"""The boxes viz draws, as Graphviz HTML-like labels: a tensor's box (name, shape, values,
gradient, equation), a collapsed layer's box and the legend."""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor
from .names import _readable_name, _shape
from .style import EQUATION_COLOUR, EQUATION_WIDTH, GRAD_COLOUR, ROLES, SMALL_ARRAY


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
