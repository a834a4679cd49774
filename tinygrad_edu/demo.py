"""``python -m tinygrad_edu demo``: the course's planar "flower", trained in seconds.

The week-3 exercise of the course (seed 002, F10): 400 points in two classes shaped like a
flower, a network 2 → 4 (tanh) → 1 (sigmoid) initialised with ``randn * 0.01`` from
``np.random.seed(2)`` (F8.1), gradient descent with learning rate 1.2 for 10 000 iterations,
the cost printed every 1000. The notes report about 90 % accuracy.

The demo then writes, into ``--out`` (default ``./tinygrad_edu_out/``):

* ``computation_graph.svg``: the graph autodiff recorded for the cost (needs the
  ``[render]`` extra: the graphviz package and a renderer);
* ``decision_boundary.png`` and ``cost.png``: the course's two pictures (needs ``[plot]``,
  i.e. matplotlib; drawn with the file-only Agg backend, so no display is needed).

Without those extras it still trains and says which one would add the pictures. The plotting
helpers ``load_pyplot``, ``plot_decision_boundary`` and ``plot_costs`` are reused by the
examples.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import checks
from .errors import ArgumentTypeError, ShapeError

PLOT_HINT = 'pip install "tinygrad_edu[plot]"'
# the decision boundary's colours: the points of class 0 red and 1 blue, as the text says
# (the ends of matplotlib's Spectral map would make class 1 purple), the bands lighter
POINT_COLOURS = ("#d7301f", "#2166ac")
BAND_COLOURS = ("#f8c3b4", "#b7d3ea")
RENDER_HINT = 'pip install "tinygrad_edu[render]"'


# ---------------------------------------------------------------------------------------------
# pictures (matplotlib loads lazily, only here)
# ---------------------------------------------------------------------------------------------


def load_pyplot() -> Any:
    """matplotlib.pyplot; outside Jupyter with the file-only ``Agg`` backend (no display).

    Raises ImportError when matplotlib is not installed.
    """
    import matplotlib

    if "ipykernel" not in sys.modules:
        matplotlib.use("Agg")  # before pyplot is imported: works with no display
    import matplotlib.pyplot as plt

    return plt


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    path: str | Path,
    title: str = "Decision boundary",
    step: float = 0.02,
) -> Path:
    """The course's ``plot_decision_boundary``: predictions on a grid, the data on top.

    ``predict`` maps a ``(2, k)`` array of points (columns) to ``k`` labels 0/1; ``X`` is
    ``(2, m)``, ``Y`` is ``(1, m)``. Red is y = 0, blue y = 1 (a legend says so).
    ``step`` is the grid spacing (the course's 0.01 looks the same at this size and takes
    four times longer).
    """
    checks.path(path, "plot_decision_boundary")
    _check_boundary_arguments(predict, X, step)
    plt = load_pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    draw_decision_boundary(ax, predict, X, Y, title, step)
    return _save(plt, fig, path)


def draw_decision_boundary(
    ax: Any,
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    title: str = "Decision boundary",
    step: float = 0.02,
) -> None:
    """``plot_decision_boundary`` into an existing matplotlib ``ax`` (for grids of plots)."""
    X, step = _check_boundary_arguments(predict, X, step)
    load_pyplot()  # the backend, as plot_decision_boundary sets it
    x_min, x_max = X[0].min() - 1, X[0].max() + 1
    y_min, y_max = X[1].min() - 1, X[1].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, step), np.arange(y_min, y_max, step))
    grid = np.stack([xx.ravel(), yy.ravel()])  # (2, k): every grid point is a column
    chunk = 65_536  # predict in slices: a million points times 50 hidden units is a lot
    labels = np.concatenate(
        [np.ravel(predict(grid[:, i:i + chunk])) for i in range(0, grid.shape[1], chunk)]
    ).reshape(xx.shape)
    # two bands, red where the network predicts 0 and blue where it predicts 1 (light shades
    # of the points' colours: the course's Spectral map), no seams
    ax.contourf(xx, yy, labels, levels=[-0.5, 0.5, 1.5], colors=list(BAND_COLOURS),
                antialiased=False)
    labels_of_points = np.ravel(Y)
    for value, colour, words in ((0, POINT_COLOURS[0], "y = 0 (red)"),
                                 (1, POINT_COLOURS[1], "y = 1 (blue)")):
        chosen = labels_of_points == value
        ax.scatter(X[0][chosen], X[1][chosen], s=20, color=colour, edgecolors="k",
                   linewidths=0.3, label=words)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)


def _check_boundary_arguments(predict: Any, X: Any, step: Any) -> tuple[np.ndarray, float]:
    checks.function(predict, "plot_decision_boundary", "predict",
                    "a function (2, k) points -> k labels, e.g. lambda P: predict(model, P)")
    step = checks.real(step, "plot_decision_boundary", "step", above=0.0,
                       hint="The grid spacing, e.g. 0.02.")
    X = np.asarray(getattr(X, "data", X))
    if X.ndim != 2 or X.shape[0] != 2:
        raise ShapeError(f"plot_decision_boundary: X must be (2, m), two features per column, "
                         f"not {X.shape}")
    return X, step


def plot_costs(
    curves: dict[str, Sequence[float]],
    path: str | Path,
    title: str = "Cost",
    xlabel: str = "iteration",
    log: bool = False,
) -> Path:
    """One line per named cost history (one value per iteration/step)."""
    if not isinstance(curves, dict):
        raise ArgumentTypeError(f"plot_costs: curves must be a dict {{label: costs}}, e.g. "
                                f"{{'lr=1.2': costs}}, not {checks.describe_value(curves)}.")
    checks.path(path, "plot_costs")
    checks.boolean(log, "plot_costs", "log")
    plt = load_pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for label, costs in curves.items():
        ax.plot(np.arange(len(costs)), costs, label=label, linewidth=1.2)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost J")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(curves) > 1:
        ax.legend()
    return _save(plt, fig, path)


def _save(plt: Any, fig: Any, path: str | Path) -> Path:
    path = Path(path)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------------------------
# the demo
# ---------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The demo's options (shared by ``main`` and the ``demo`` subcommand of the CLI)."""
    parser.add_argument("--out", default="tinygrad_edu_out",
                        help="folder for the pictures (default: ./tinygrad_edu_out)")
    parser.add_argument("--iterations", type=_at_least(0), default=10_000,
                        help="gradient-descent iterations (default: 10000, as in the course)")
    parser.add_argument("--hidden", type=_at_least(1), default=4,
                        help="hidden units n_h (default: 4, as in the course)")
    parser.add_argument("--lr", type=float, default=1.2, help="learning rate α (default: 1.2)")
    return parser


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {value}")
        return value

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    """Train the flower network, print the course's log, write the pictures; returns 0."""
    parser = argparse.ArgumentParser(
        prog="python -m tinygrad_edu demo",
        description="Train the course's planar-flower network and draw its pictures.",
    )
    return run(add_arguments(parser).parse_args(argv))


def run(args: argparse.Namespace) -> int:
    from . import Tensor, data, nn, optim, training
    from .nn.functional import binary_cross_entropy

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    X, Y = data.load_planar_dataset()
    print(f"The planar 'flower' data set: X {X.shape}, Y {Y.shape} (m = {X.shape[1]} examples "
          "as columns, red y = 0, blue y = 1)")

    # initialize_parameters: np.random.seed(2); W = randn * 0.01, b = 0 (F8.1); one stream
    # for both layers, so W1 and W2 are exactly the course's numbers
    rng = np.random.RandomState(2)
    model = nn.Sequential(
        nn.Dense(X.shape[0], args.hidden, activation="tanh", init="course", seed=rng),
        nn.Dense(args.hidden, Y.shape[0], activation="sigmoid", init="course", seed=rng),
    )
    print(f"Model: {X.shape[0]} → {args.hidden} (tanh) → {Y.shape[0]} (sigmoid), "
          f"learning rate {args.lr}, {args.iterations} iterations of batch gradient descent\n")

    optimizer = optim.SGD(model.parameters(), lr=args.lr)
    costs = []
    start = time.perf_counter()
    for i in range(args.iterations):
        A2 = model(X)  # forward: Z1, A1, Z2, A2
        J = binary_cross_entropy(A2, Y)  # J = -1/m Σ [y log a + (1-y) log(1-a)]
        optimizer.zero_grad()
        J.backward()  # backward: dZ2 = A2 - Y, dW2, db2, dZ1, dW1, db1
        optimizer.step()  # W := W - α dW, b := b - α db
        costs.append(J.item())
        if i % 1000 == 0:
            print(f"Cost after iteration {i}: {J.item():.6f}")
    seconds = time.perf_counter() - start

    accuracy = training.accuracy(model, X, Y)  # y_prediction = 1 if a[2] > 0.5 else 0
    print(f"\nTrained in {seconds:.1f} s. Accuracy: {accuracy:.2f} % "
          "(the notes: 90 %; logistic regression: 47 %)")

    J = binary_cross_entropy(model(Tensor(X, name="X")), Y)  # a fresh graph to draw
    J.name = "J"  # the cost, as the README's picture and the notes call it
    written: list[tuple[Path, str]] = []
    hints: list[str] = []
    _write_graph(J, out, written, hints)
    _write_plots(model, X, Y, costs, args.hidden, out, written, hints)

    if written:
        print(f"\nWrote into {out}/:")
        for path, what in written:
            print(f"  {path.name:<24} {what}")
    for hint in hints:
        print(hint)
    _print_equations(J)
    return 0


def _write_graph(J: Any, out: Path, written: list, hints: list) -> None:
    try:
        from . import viz

        path = viz.render(J, out / "computation_graph.svg")
    except ImportError as error:
        if importlib.util.find_spec("graphviz") is None:
            hints.append(f"(no computation graph: the graphviz package is missing; {RENDER_HINT})")
        else:
            hints.append(f"(no computation graph: {error})")
        return
    except Exception as error:  # viz.RendererNotFoundError: the .dot file is written
        if type(error).__name__ != "RendererNotFoundError":
            raise
        dot = out / "computation_graph.dot"
        if dot.exists():
            written.append((dot, "the computation graph as graphviz source"))
        hints.append(f"(no renderer for the graph picture; {RENDER_HINT} adds one)")
        return
    written.append((Path(path), "the computation graph autodiff recorded for J"))


def _write_plots(
    model: Any, X: np.ndarray, Y: np.ndarray, costs: list, hidden: int, out: Path,
    written: list, hints: list,
) -> None:
    try:
        load_pyplot()
    except ImportError:
        hints.append(f"(matplotlib is not installed: no plots; {PLOT_HINT} adds them)")
        return
    from .training import predict

    path = plot_decision_boundary(
        lambda points: predict(model, points), X, Y, out / "decision_boundary.png",
        title=f"Decision Boundary for hidden layer size {hidden}",
    )
    written.append((path, "the flower and the boundary the network learned"))
    path = plot_costs({"J": costs}, out / "cost.png", title="Cost J per iteration of gradient "
                      "descent")
    written.append((path, "the cost falling over the iterations"))


def _print_equations(J: Any, max_lines: int = 12) -> None:
    """The backprop equations of J (tinygrad_edu.explain), shortened."""
    try:
        from . import explain
    except ImportError:
        return
    lines = str(explain(J)).splitlines()
    print("\nThe backward pass autodiff ran, in the course's notation:")
    for line in lines[:max_lines]:
        print(f"  {line}")
    if len(lines) > max_lines:
        print(f"  ... ({len(lines) - max_lines} more lines: print(tinygrad_edu.explain(J)))")


if __name__ == "__main__":
    raise SystemExit(main())
