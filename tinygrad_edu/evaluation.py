"""The course's ``predict`` and ``accuracy``, run in eval mode, and ``_mode``, which runs a model
in training or eval mode and puts its previous mode back (``fit`` trains through it).

Many classes (F11): for a model whose last layer is ``Dense(..., activation="softmax")``,
``predict`` gives the class of each example, ``argmax_k A_k``, as a ``(1, m)`` int array, and
``accuracy`` compares it with one-hot labels ``Y (C, m)`` or class indices ``(1, m)``.
``tinygrad_edu.training`` exports both.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import checks
from .autograd import no_grad
from .errors import ArgumentError, DataError, ShapeError
from .softmax import predictions as _argmax_classes
from .tensor import Tensor

__all__ = ["accuracy", "is_multiclass", "predict"]


@contextlib.contextmanager
def _mode(model: Any, training: bool) -> Iterator[None]:
    """Run with ``model`` in training or eval mode (if it has modes), then put back the mode
    it had (also when an error is raised)."""
    if not (hasattr(model, "train") and hasattr(model, "training")):
        yield  # a plain function: no modes
        return
    modes = _modes_of(model)
    model.train(training)
    try:
        yield
    finally:
        for module, mode in modes:
            object.__setattr__(module, "training", mode)


def _modes_of(model: Any) -> list:
    """(module, its training flag) for the model and every module inside it."""
    found, stack = [], [model]
    while stack:
        module = stack.pop()
        found.append((module, module.training))
        stack.extend(getattr(module, "_modules", {}).values())
    return found


def is_multiclass(model: Any) -> bool:
    """Whether ``model`` ends in a softmax (``Dense(..., activation="softmax")``, alone or as
    the last layer of a ``Sequential``): its outputs are the probabilities of C classes."""
    while hasattr(model, "__getitem__") and hasattr(model, "__len__") and len(model):
        model = model[len(model) - 1]
    return getattr(model, "activation", None) == "softmax"


def predict(model: Callable[[Any], Tensor], X: Any, threshold: float = 0.5,
            multiclass: bool | None = None) -> np.ndarray:
    """The course's ``predict``: 1 where the model's output ``A[L] > threshold``, else 0.

    Returns an int array of the output's shape, ``(1, m)`` for one output unit. For C
    classes (``multiclass=True``, or None and a model that ends in a softmax) it returns the
    class of each column instead, ``argmax_k A_k``, ``(1, m)`` (``threshold`` is not used).
    Runs under ``no_grad()`` (no graph is recorded) with the model in eval mode (no dropout;
    batch norm's running averages), then puts its previous mode back.
    """
    checks.function(model, "predict", "model", "a model instance (a function of X)")
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or \
            not math.isfinite(threshold):
        raise ArgumentError(f"predict: threshold must be a finite number (0.5 for probabilities, "
                         f"0 for logits), not {threshold!r}")
    if multiclass is None:
        multiclass = is_multiclass(model)
    multiclass = checks.boolean(multiclass, "predict", "multiclass")
    with no_grad(), _mode(model, training=False):
        A = model(X)
    values = A.data if isinstance(A, Tensor) else np.asarray(A)
    if multiclass:
        return _argmax_classes(values)
    return (values > threshold).astype(np.int64)


def accuracy(model: Callable[[Any], Tensor], X: Any, Y: Any, threshold: float = 0.5,
             multiclass: bool | None = None) -> float:
    """The percentage of examples predicted right, as the notebook prints it (e.g. 90.75).

    For C classes (see ``predict``) ``Y`` is one-hot ``(C, m)`` or class indices ``(1, m)``.
    """
    checks.function(model, "accuracy", "model", "a model instance (a function of X)")
    if multiclass is None:
        multiclass = is_multiclass(model)
    predictions = predict(model, X, threshold, multiclass)
    labels = np.asarray(getattr(Y, "data", Y))
    if multiclass:
        labels = _class_indices(labels, predictions.shape[1])
    if labels.shape != predictions.shape:
        raise ShapeError(
            f"accuracy: the labels Y {labels.shape} and the predictions {predictions.shape} "
            "must have the same shape (n_y, m)"
        )
    return float(np.mean(predictions == labels) * 100.0)


def _class_indices(labels: np.ndarray, m: int) -> np.ndarray:
    """One-hot ``(C, m)`` labels or class indices ``(1, m)`` as class indices ``(1, m)``."""
    if labels.ndim == 2 and labels.shape[1] == m and labels.shape[0] > 1:
        if not (np.isin(labels, (0, 1)).all() and np.all(labels.sum(axis=0) == 1)):
            raise DataError(f"accuracy: the labels Y {labels.shape} are neither one-hot "
                            "(one 1 per column) nor class indices (1, m)")
        return _argmax_classes(labels)
    if labels.ndim == 2 and labels.shape == (1, m) and np.all(labels == np.round(labels)):
        return labels.astype(np.int64)
    raise ShapeError(
        f"accuracy: for C classes the labels Y must be one-hot (C, {m}) or class indices "
        f"(1, {m}) (whole numbers), not an array of shape {labels.shape}"
    )
