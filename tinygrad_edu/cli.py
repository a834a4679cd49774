"""``python -m tinygrad_edu …`` (also the ``tinygrad-edu`` command): the command line.

Subcommands:

* ``demo``: train the course's planar-flower network and write its pictures
  (``python -m tinygrad_edu demo --help``).
* ``graph``: draw the computation graph of one of the course's models on the flower data
  (``python -m tinygrad_edu graph --model two-layer --out graph.svg``).

Each subcommand is one ``commands.add_parser`` call in ``build_parser`` plus a ``run(args)``
function that returns the exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__, demo

GRAPH_MODELS = ("two-layer", "logistic", "deep")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="python -m tinygrad_edu",
        description="tinygrad_edu: autodiff that speaks the course's notation.",
    )
    parser.add_argument("--version", action="version", version=f"tinygrad_edu {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    demo_parser = commands.add_parser(
        "demo",
        help="train the course's planar-flower network and draw its pictures",
        description="Train the course's planar-flower network (2 → 4 tanh → 1 sigmoid, "
        "learning rate 1.2, 10 000 iterations) and write the computation graph, the decision "
        "boundary and the cost curve.",
    )
    demo.add_arguments(demo_parser).set_defaults(run=demo.run)
    graph_parser = commands.add_parser(
        "graph",
        help="draw the computation graph of a course model (svg, png or dot)",
        description="Build one of the course's models on the planar flower data (X (2, 400), "
        "Y (1, 400)), compute the cost J and draw the graph autodiff recorded for it.",
    )
    add_graph_arguments(graph_parser).set_defaults(run=run_graph)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: the command line) and run the chosen command."""
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


# ---------------------------------------------------------------------------------------------
# graph
# ---------------------------------------------------------------------------------------------


def add_graph_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of ``graph``."""
    parser.add_argument("--model", choices=GRAPH_MODELS, default="two-layer",
                        help="two-layer: 2 → 4 tanh → 1 sigmoid (week 3, the default); "
                        "logistic: z = wᵀx + b, a = σ(z) (week 2); deep: 2 → 20 → 7 → 5 → 1, "
                        "relu then sigmoid (week 4)")
    parser.add_argument("--out", default="graph.svg",
                        help="the file to write; its suffix gives the format (default: graph.svg)")
    parser.add_argument("--format", choices=("svg", "png", "jpg", "dot"),
                        help="the format, overriding the suffix of --out (which then gets it)")
    parser.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                        help="direction of the arrows: LR (left to right, default) or TB, ...")
    parser.add_argument("--show-data", action="store_true",
                        help="print the values in each box (big arrays as mean/min/max/norm)")
    parser.add_argument("--show-grad", action="store_true",
                        help="run J.backward() and print each gradient in its box")
    parser.add_argument("--equations", action="store_true",
                        help="write each tensor's backward equation (dZ2 = ...) under its box")
    parser.add_argument("--collapse-layers", action="store_true",
                        help="draw one box per layer instead of every op")
    parser.add_argument("--max-nodes", type=_positive_int, default=None,
                        help="refuse graphs with more nodes than this (default: 500)")
    parser.add_argument("--renderer",
                        help="the Graphviz program to use (default: $TINYGRAD_EDU_DOT, dot, "
                        "then graphviz-pure)")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def build_model_cost(model: str) -> Any:
    """The cost J of a course model on the flower data, with the course's names."""
    from . import Tensor, checks, data, nn
    from .nn.functional import binary_cross_entropy

    X_values, Y_values = data.load_planar_dataset()
    X, Y = Tensor(X_values, name="X"), Tensor(Y_values, name="Y")
    builders: dict[str, Callable[[Any], Any]] = {
        "two-layer": _two_layer_network,
        "deep": lambda X: nn.deep_network([2, 20, 7, 5, 1], hidden="relu", output="sigmoid",
                                          seed=3)(X),
        "logistic": _logistic_regression,
    }
    checks.choice(model, "build_model_cost", "model", builders)
    J = binary_cross_entropy(builders[model](X), Y)  # J = -1/m Σ [y log a + (1-y) log(1-a)]
    J.name = "J"
    return J


def _two_layer_network(X: Any) -> Any:
    """Week 3: ``A2`` of 2 → 4 (tanh) → 1 (sigmoid), the notebook's np.random.seed(2) weights."""
    import numpy as np

    from . import nn

    rng = np.random.RandomState(2)  # one stream for W1 then W2, randn * 0.01 (F8.1)
    return nn.Sequential(
        nn.Dense(X.shape[0], 4, activation="tanh", init="course", seed=rng),
        nn.Dense(4, 1, activation="sigmoid", init="course", seed=rng),
    )(X)


def _logistic_regression(X: Any) -> Any:
    """Week 2: ``Z = wᵀX + b``, ``A = σ(Z)`` with w and b initialised to zeros."""
    import numpy as np

    from . import Tensor

    w = Tensor(np.zeros((X.shape[0], 1)), requires_grad=True, name="w")
    b = Tensor(np.zeros((1, 1)), requires_grad=True, name="b")
    Z = w.T @ X + b  # Z = wᵀX + b
    Z.name = "Z"
    A = Z.sigmoid()  # A = σ(Z)
    A.name = "A"
    return A


def run_graph(args: argparse.Namespace) -> int:
    """Draw the chosen model's graph into ``args.out``; 1 (and a hint) without a renderer."""
    from . import viz

    J = build_model_cost(args.model)
    if args.show_grad:
        J.backward()
    out = Path(args.out)
    if args.format:
        out = out.with_suffix("." + args.format)
    options: dict[str, Any] = {
        "show_data": args.show_data, "show_grad": args.show_grad, "rankdir": args.rankdir,
        "equations": args.equations, "collapse_layers": args.collapse_layers,
    }
    if args.max_nodes is not None:
        options["max_nodes"] = args.max_nodes
    try:
        out.parent.mkdir(parents=True, exist_ok=True)  # as demo --out does
    except OSError as error:
        print(f"graph: cannot create the folder {out.parent} for --out {out} "
              f"({error.strerror}); choose another --out", file=sys.stderr)
        return 1
    try:
        path = viz.render(J, out, renderer=args.renderer, **options)
    except (viz.RendererNotFoundError, viz.RenderError, viz.GraphTooLargeError,
            ImportError) as error:
        print(f"graph: {error}", file=sys.stderr)
        return 1
    print(f"Wrote the computation graph of the {args.model} model's cost J to {path}")
    return 0
