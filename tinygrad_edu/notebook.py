"""What Jupyter shows for the framework's objects: the HTML of a Tensor and a Module, the
LaTeX of ``explain(J)``. Plain functions of duck-typed objects (no import of the package's
other modules), called by their ``_repr_html_`` / ``_repr_latex_`` methods.

* ``tensor_html(t)``: one line with the name, the shape, the dtype, the op that made it,
  whether it requires grad and the state of ``.grad`` (None, or its shape and norm), then the
  values (small arrays in full, big ones as mean/min/max);
* ``module_html(m)``: the layers as a table, one row per parameter (name, shape, grad state),
  and the parameter count;
* ``equations_latex(pairs)``: the equations as an ``aligned`` block in the course's notation
  (``dZ^{[1]} = dA^{[1]} * (1 - {A^{[1]}}^{2})``, ``W^{[2]T}``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

_STYLE = "font-family: monospace; font-size: 12px"


def _grad_state(t: Any) -> str:
    if not t.requires_grad:
        return "no grad"
    if t.grad is None:
        return "requires grad · grad None (call backward())"
    grad = np.asarray(t.grad)
    with np.errstate(all="ignore"):
        norm = float(np.linalg.norm(grad.astype(np.float64).ravel()))
    return f"requires grad · grad {tuple(grad.shape)}, norm {norm:.4g}"


def _values(data: np.ndarray) -> str:
    if data.size <= 12:
        return np.array2string(data, separator=", ", precision=4, max_line_width=80)
    if data.dtype.kind not in "fiu":
        return f"{data.size} values"
    with np.errstate(all="ignore"):
        numbers = data.astype(np.float64)
        return (f"mean {numbers.mean():.4g}, min {numbers.min():.4g}, "
                f"max {numbers.max():.4g}")


def tensor_html(t: Any) -> str:
    """A Tensor at a glance: name, shape, dtype, op, grad state, then the values."""
    name = f"<b>{html.escape(t.name)}</b> " if t.name else ""
    shape = "scalar" if t.shape == () else str(t.shape)
    made = f" · made by {html.escape(t._ctx.name)}" if t._ctx is not None else ""
    head = (f"{name}Tensor {html.escape(shape)} {html.escape(str(t.dtype))}{made} · "
            f"{html.escape(_grad_state(t))}")
    return (f"<div style='{_STYLE}'><div>{head}</div>"
            f"<pre style='margin:2px 0 0 1em'>{html.escape(_values(t.data))}</pre></div>")


def module_html(m: Any) -> str:
    """A Module at a glance: its repr's first line, one row per parameter, the count."""
    rows = []
    for name, p in m.named_parameters():
        shape = "scalar" if p.shape == () else str(p.shape)
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(shape)}</td>"
                    f"<td>{html.escape(_grad_state(p))}</td></tr>")
    title = html.escape(repr(m).splitlines()[0].rstrip("("))
    layers = "".join(f"<li>({html.escape(k)}) {html.escape(repr(v).splitlines()[0])}</li>"
                     for k, v in getattr(m, "_modules", {}).items())
    return (f"<div style='{_STYLE}'><div><b>{title}</b> · {m.num_parameters()} parameters"
            f"</div>{f'<ul style=margin:2px>{layers}</ul>' if layers else ''}"
            "<table><tr><th style='text-align:left'>parameter</th>"
            "<th style='text-align:left'>shape</th><th style='text-align:left'>grad</th></tr>"
            f"{''.join(rows)}</table></div>")


# -- LaTeX ------------------------------------------------------------------------------------

_LAYER_NAME = re.compile(r"\b(d?)([A-Za-z])(\d+)\b")  # dZ1 -> dZ^{[1]}, W2 -> W^{[2]}
_POWER = re.compile(r"(\b[\w.]+|\))\*\*(\d+)")  # A1**2 -> {A1}^{2}


def _latex(text: str) -> str:
    """One side of an equation as printed by explain, in LaTeX (text-level: the operators
    and names explain writes)."""
    text = text.replace("\\", r"\backslash ").replace("{", r"\{").replace("}", r"\}")
    text = _POWER.sub(lambda m: "{" + m.group(1) + "}^{" + m.group(2) + "}", text)
    text = text.replace("ᵀ", "^{T}")
    text = _LAYER_NAME.sub(lambda m: f"{m.group(1)}{m.group(2)}^{{[{m.group(3)}]}}", text)
    text = re.sub(r"([$%&#_])", r"\\\1", text)  # after the names: l2_penalty is no layer
    text = re.sub(r"\bnp\.(\w+)", r"\\operatorname{np.\1}", text)
    text = re.sub(r"\^\{\[(\d+)\]\}\^\{T\}", r"^{[\1]T}", text)  # W^{[2]T}, the course's
    text = (text.replace(" @ ", r" \, ").replace("σ", r"\sigma ")
            .replace("λ", r"\lambda ").replace("Σ", r"\sum ").replace("¹", "^{1}")
            .replace("keepdims=True", r"\mathrm{keepdims}=\mathrm{True}")
            .replace("axis=", r"\mathrm{axis}="))
    return text


def equations_latex(lines: Iterable[tuple[str, str, str]], notes: Iterable[str] = ()) -> str:
    """``$$\\begin{aligned} name &= rule \\\\ ... \\end{aligned}$$`` from (name, the rule's
    form, the course's form or "") triples; ``notes`` (footnotes) follow as text."""
    rows = []
    for name, rule, course in lines:
        row = f"{_latex(name)} &= {_latex(rule)}"
        if course:
            row += rf" &&= {_latex(course)}"
        rows.append(row)
    body = r" \\ ".join(rows)
    escaped = [re.sub(r"([{}$%&#_])", r"\\\1", note) for note in notes]
    extra = "".join(rf" \\ \text{{{note}}}" for note in escaped)
    return rf"$$\begin{{aligned}} {body}{extra} \end{{aligned}}$$"
