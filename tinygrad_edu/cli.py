"""``python -m tinygrad_edu …`` (also the ``tinygrad-edu`` command): the command line.

Subcommands:

* ``demo``: train the course's planar-flower network and write its pictures
  (``python -m tinygrad_edu demo --help``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import demo


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="python -m tinygrad_edu",
        description="tinygrad_edu: autodiff that speaks the course's notation.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    demo_parser = commands.add_parser(
        "demo",
        help="train the course's planar-flower network and draw its pictures",
        description="Train the course's planar-flower network (2 → 4 tanh → 1 sigmoid, "
        "learning rate 1.2, 10 000 iterations) and write the computation graph, the decision "
        "boundary and the cost curve.",
    )
    demo.add_arguments(demo_parser).set_defaults(run=demo.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: the command line) and run the chosen command."""
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)
