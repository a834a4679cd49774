"""The exceptions tinygrad_edu raises.

Every error is a ``TinygradEduError`` *and* the built-in exception a Python user would
expect (``ShapeError`` is a ``ValueError``, ``DtypeError`` a ``TypeError``, ...), so
``except ValueError`` keeps working while ``except TinygradEduError`` catches all of ours.
Messages say which tensor, which shapes, which rule, and what to do.
"""

from __future__ import annotations


class TinygradEduError(Exception):
    """Base class of every error raised by tinygrad_edu."""


class ShapeError(TinygradEduError, ValueError):
    """Shapes that do not fit an operation (matmul, broadcasting, a layer's input, ...)."""


class DtypeError(TinygradEduError, TypeError):
    """A dtype that cannot do what was asked (e.g. integer data asked to require grad)."""


class BackwardError(TinygradEduError, RuntimeError):
    """``backward()`` / ``grad()`` called in a way that cannot produce gradients."""


class AnomalyError(TinygradEduError, FloatingPointError):
    """A nan or inf appeared inside ``detect_anomaly()``; names the op that produced it."""


class NoRuleError(TinygradEduError, TypeError):
    """A numpy function (or an option of one) that tinygrad_edu has no derivative rule for,
    given a Tensor that requires grad: the graph would be lost, so it is refused."""


class GradcheckError(TinygradEduError, AssertionError):
    """``gradcheck(..., raise_on_fail=True)`` found autodiff and finite differences apart."""


class TrainingDivergedError(TinygradEduError, FloatingPointError):
    """The cost became nan or inf during training (usually a learning rate that is too large).

    ``iteration`` is where it happened and ``costs`` the finite costs recorded before it, so
    the history of the run is not lost with the exception.
    """

    def __init__(self, message: str, iteration: int | None = None,
                 costs: list[float] | None = None) -> None:
        super().__init__(message)
        self.iteration = iteration
        self.costs = list(costs) if costs is not None else []


class ModeError(TinygradEduError, RuntimeError):
    """Something that needs the evaluation mode done in training mode: ``gradcheck`` of a
    function that draws a new dropout mask at every call."""


class DataError(TinygradEduError, ValueError):
    """Training data that cannot be learned from: nan/inf values, no examples, labels that
    the cost cannot take (cross-entropy needs labels in [0, 1])."""


class SavedFileError(TinygradEduError, ValueError):
    """A file given to ``load`` that is not an intact ``.npz`` written by ``save``: damaged
    (a flipped byte, truncated), foreign (text, a ``.npy``, another zip), or holding objects."""


class ArgumentError(TinygradEduError, ValueError):
    """An argument of a public function with a value it cannot mean (a negative noise, eps=0,
    a learning rate of 0, β = 1, an empty list, an unknown name); the message names the
    function, the argument, what was given and what is expected. ``ArgumentTypeError`` is
    the kind for a wrong type."""


class ArgumentTypeError(ArgumentError, TypeError):
    """An argument of the wrong type (a string where a number goes, a class where an instance
    goes, ``SGD(None)``, ``beta="x"``); an ``ArgumentError`` *and* a ``TypeError``."""


class GradientError(TinygradEduError, ValueError):
    """A ``.grad`` an optimizer (or ``clip_grad_norm_``) cannot apply: nan/inf values, not an
    array, or no gradient on any parameter. Raised before any parameter or state changes."""


class CompileError(TinygradEduError, ValueError):
    """``tinygrad_edu.compile``: a graph or an op that cannot become numpy code (names the op)."""


class GraphChangedError(CompileError):
    """A compiled step whose function now records another graph than the one it traced."""


class _MessageKeyError(TinygradEduError, KeyError):
    """A ``KeyError`` whose message prints as a sentence (``KeyError`` would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class StateDictError(_MessageKeyError):
    """A state dict (or a saved ``.npz``) whose names do not match the model's parameters."""


class NameLookupError(_MessageKeyError):
    """``tensor.find(name)``: no tensor, or more than one, of that name in the graph."""


def describe(tensor: object) -> str:
    """``'W1 (4, 2)'`` for a named tensor, ``'the result of matmul (4, 400)'`` for others."""
    shape = getattr(tensor, "shape", None)
    name = getattr(tensor, "name", None)
    shape_text = str(tuple(shape)) if shape is not None else "?"
    if name:
        return f"{name} {shape_text}"
    ctx = getattr(tensor, "_ctx", None)
    if ctx is not None:
        return f"the result of {ctx.name} {shape_text}"
    if shape is None:
        return f"a {type(tensor).__name__}"
    return f"an unnamed tensor {shape_text}"
