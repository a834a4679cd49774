"""How a symbolic tree is written: the course's notation (``W2ᵀ @ dZ2``, ``σ(Z1)``, ``/ m``,
floors in a footnote) or numpy's (``W2.T @ dZ2``, ``* (1.0 / m)``); and the lines, LaTeX and
HTML of an explanation. Trees are read by their nodes' ``op``, ``args``, ``attrs``, ``label``
and shape (no Sym needed here, so Sym's own ``str`` can use these functions).
"""

from __future__ import annotations

import collections
import html
from typing import Any

import numpy as np

from ..notebook import equations_latex
from .values import _ATOM, _FLOOR_LIMIT, _is_const

_FUNCTIONS = {"sign": "np.sign", "exp": "np.exp", "log": "np.log", "sqrt": "np.sqrt",
              "tanh": "np.tanh", "absolute": "np.abs", "maximum": "np.maximum",
              "minimum": "np.minimum", "logaddexp": "np.logaddexp"}
_INFIX_UFUNCS = {"greater": ">", "greater_equal": ">=", "less": "<", "less_equal": "<=",
                 "equal": "==", "not_equal": "!=", "bitwise_and": "&", "logical_and": "&",
                 "bitwise_or": "|", "logical_or": "|", "invert": "~", "logical_not": "~"}
_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "neg": 3, "pow": 4, "square": 4}
_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "**"}


def _text(s: Any, notation: str = "course") -> str:
    return _fmt(s, notation, {})[0]


def _number(value: Any, course: bool = True) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    value = value.item() if isinstance(value, np.generic) else value
    if course and isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _const_text(value: Any, course: bool) -> str:
    if np.ndim(value) == 0 or (np.size(value) == 1 and np.ndim(value) <= 2):
        return _number(np.asarray(value).reshape(()).item(), course)
    array = np.asarray(value)
    if array.size and np.all(array == array.flat[0]):
        first = array.flat[0].item()
        if first == 1:
            return f"np.ones({array.shape})"
        if first == 0:
            return f"np.zeros({array.shape})"
        return f"np.full({array.shape}, {_number(first)})"
    return np.array2string(array, separator=", ", threshold=12)


def index_parts(index: Any, other: Any) -> list[str]:
    """The items of an index as written in ``x[...]``: slices, None and ``...`` inline, every
    other item (an int, an array) as ``other(item)`` writes it (explain and compile differ)."""
    parts = []
    for item in index if isinstance(index, tuple) else (index,):
        if isinstance(item, slice):
            text = ":".join("" if v is None else str(v) for v in (item.start, item.stop))
            parts.append(text + (f":{item.step}" if item.step is not None else ""))
        elif item is None:
            parts.append("None")
        elif item is Ellipsis:
            parts.append("...")
        else:
            parts.append(other(item))
    return parts


def _index_text(index: Any) -> str:
    return ", ".join(index_parts(index, lambda item: np.array2string(
        np.asarray(item), separator=", ", threshold=8) if np.ndim(item) else str(item)))


def _axis_text(axes: tuple) -> str:
    return str(axes[0]) if len(axes) == 1 else str(axes)


def _binary(op: str, args: tuple, notation: str, notes: dict, memo: dict) -> tuple[str, int]:
    """``a op b``, with the parentheses the precedences need."""
    prec = _PREC[op]
    left, lp = _fmt(args[0], notation, notes, memo)
    right, rp = _fmt(args[1], notation, notes, memo)
    mixed = {"mul", "div", "matmul"}
    left_ops, right_op = args[0].op, args[1].op
    if lp < prec or (op == "pow" and lp <= prec) or (
            lp == prec and left_ops in mixed and (left_ops == "matmul") != (op == "matmul")):
        left = f"({left})"
    associative = op in ("add", "mul") and notation == "course" and right_op == op
    if rp < prec or (rp == prec and not associative) or (op == "pow" and rp <= prec):
        right = f"({right})"
    sep = "**" if op == "pow" else f" {_SYMBOL[op]} "
    return f"{left}{sep}{right}", prec


def _fmt(s: Any, notation: str, notes: dict, memo: dict | None = None) -> tuple[str, int]:
    """``(text, precedence)`` of a tree; ``notes`` collects the floors hidden (course).

    The first call formats the tree bottom-up (``walk``: children first) into ``memo``, so
    that each call below finds its arguments' texts there and recurses one level only: a
    sum of 10 000 fan-out terms is 10 000 deep. A text is dropped from ``memo`` once every
    node that uses it has been formatted."""
    if memo is None:
        memo = {}
        nodes = [n for n in s.walk() if n.args]
        uses = collections.Counter(id(a) for n in nodes for a in n.args)
        for node in nodes:
            memo[id(node)] = _fmt(node, notation, notes, memo)
            for a in node.args:
                uses[id(a)] -= 1
                if not uses[id(a)]:
                    memo.pop(id(a), None)
        return memo[id(s)] if s.args else _fmt(s, notation, notes, memo)
    found = memo.get(id(s))
    if found is not None:
        return found
    course = notation == "course"
    op = s.op
    if op == "var":
        return s.label, s.attrs
    if op == "const":
        text = _const_text(s.attrs, course)
        return text, (_ATOM if not text.startswith("-") else 3)
    args = s.args
    if op in ("add", "sub", "mul", "div", "matmul", "pow"):
        if op == "mul" and args[1].op == "div" and _is_const(args[1].args[0], 1) and course:
            return _binary("div", (args[0], args[1].args[1]), notation, notes, memo)  # a / b
        return _binary(op, args, notation, notes, memo)
    if op == "neg":
        inner, ip = _fmt(args[0], notation, notes, memo)
        return f"-({inner})" if ip <= 3 and ip != _ATOM else f"-{inner}", 3
    if op == "square":
        inner, ip = _fmt(args[0], notation, notes, memo)
        return (f"({inner})" if ip <= 4 else inner) + "**2", 4
    if op == "transpose":
        inner, ip = _fmt(args[0], notation, notes, memo)
        if s.ndim == 2 or s.attrs == tuple(reversed(range(s.ndim))):
            wrapped = inner if ip == _ATOM else f"({inner})"
            return (f"{wrapped}ᵀ", 5) if course else (f"{wrapped}.T", _ATOM)
        return f"np.transpose({inner}, {s.attrs})", _ATOM
    if op == "sum":
        inner = _fmt(args[0], notation, notes, memo)[0]
        axes, keepdims = s.attrs
        if axes == tuple(range(args[0].ndim)) and not keepdims:
            return f"np.sum({inner})", _ATOM
        extra = ", keepdims=True" if keepdims else ""
        return f"np.sum({inner}, axis={_axis_text(axes)}{extra})", _ATOM
    if op == "reshape":
        inner, ip = _fmt(args[0], notation, notes, memo)
        if args[0].op == "const" or _is_number(inner):  # a number has no .reshape
            return f"np.reshape({inner}, {tuple(s.attrs)})", _ATOM
        inner = inner if ip == _ATOM else f"({inner})"
        return f"{inner}.reshape({', '.join(map(str, s.attrs)) or '()'})", _ATOM
    if op == "broadcast_to":
        return f"np.broadcast_to({_fmt(args[0], notation, notes, memo)[0]}, {s.attrs})", _ATOM
    if op == "getitem":
        inner, ip = _fmt(args[0], notation, notes, memo)
        inner = inner if ip == _ATOM else f"({inner})"
        return f"{inner}[{_index_text(s.attrs)}]", _ATOM
    if op == "scatter":
        index, shape = s.attrs
        inner = _fmt(args[0], notation, notes, memo)[0]
        return f"scatter({inner}, [{_index_text(index)}], {shape})", _ATOM
    if op == "where":
        parts = ", ".join(_fmt(a, notation, notes, memo)[0] for a in args)
        return f"np.where({parts})", _ATOM
    if op == "sigmoid":
        inner = _fmt(args[0], notation, notes, memo)[0]
        return (f"σ({inner})" if course else f"sigmoid({inner})"), _ATOM
    if op == "call":
        name, extra = s.attrs
        parts = [_fmt(a, notation, notes, memo)[0] for a in args] + list(extra)
        return f"{name}({', '.join(parts)})", _ATOM
    name = s.attrs.__name__  # a ufunc
    if name == "maximum" and course and args[1].op == "const" and \
            0 < float(np.max(args[1].attrs)) < _FLOOR_LIMIT:
        inner, ip = _fmt(args[0], notation, notes, memo)
        notes[inner] = _number(np.max(args[1].attrs))
        return inner, ip
    if name in _INFIX_UFUNCS:
        symbol = _INFIX_UFUNCS[name]
        texts = [_fmt(a, notation, notes, memo) for a in args]
        wrapped = [t if p >= 3 else f"({t})" for t, p in texts]
        if len(args) == 1:
            return f"{symbol}{wrapped[0]}", 3
        return f"{wrapped[0]} {symbol} {wrapped[1]}", 0
    parts = ", ".join(_fmt(a, notation, notes, memo)[0] for a in args)
    return f"{_FUNCTIONS[name]}({parts})", _ATOM


# ---------------------------------------------------------------------------------------------
# an explanation's lines, LaTeX (Jupyter, MathJax) and HTML table
# ---------------------------------------------------------------------------------------------


def explanation_lines(explanation: Any) -> list[str]:
    """The printed lines: the equations (the course's forms aligned in a column), the
    ``where T<k> = ...`` definitions and the footnotes."""
    equations = explanation.equations
    width = max((len(eq.name) + 3 + len(eq.rule_text) for eq in equations
                 if eq.course_text), default=0)
    out = []
    for eq in equations:
        first = f"{eq.name} = {eq.rule_text}"
        out.append(f"{first.ljust(min(width, 48))}  = {eq.course_text}"
                   if eq.course_text else first)
    out += [f"where {d}" for d in explanation.definitions]
    notes = dict.fromkeys(note for eq in equations for note in eq.notes)
    out += list(notes)
    return out


def explanation_latex(explanation: Any) -> str:
    """The equations as LaTeX: ``dZ^{[1]} = dA^{[1]} * ...``."""
    equations = explanation.equations
    notes = dict.fromkeys(note for eq in equations for note in eq.notes)
    return equations_latex([(eq.name, eq.rule_text, eq.course_text) for eq in equations],
                           [f"where {d}" for d in explanation.definitions] + list(notes))


def explanation_html(explanation: Any) -> str:
    """The equations as an HTML table (gradient, the engine's rule, the course's form,
    shape), then the definitions and footnotes."""
    rows = []
    for eq in explanation.equations:
        course = f"= {eq.course_text}" if eq.course_text else ""
        cells = [eq.name, f"= {eq.rule_text}", course, str(eq.shape)]
        rows.append("<tr>" + "".join(
            f"<td style='text-align:left;font-family:monospace'>{html.escape(c)}</td>"
            for c in cells) + "</tr>")
    extra = "".join(f"<div style='font-family:monospace'>{html.escape(line)}</div>"
                    for line in explanation.lines()[len(explanation.equations):])
    return ("<table><tr><th>gradient</th><th>(the engine's rule)</th>"
            "<th>(the course's form)</th><th>shape</th></tr>" + "".join(rows) +
            "</table>" + extra)


def _is_number(text: str) -> bool:
    """``0.5``, ``-2``, ``1e-05``: text that is a number (compile may name a gradient by it)."""
    try:
        float(text)
    except ValueError:
        return False
    return True
