"""Turning DOT into a picture: ``find_renderer`` (which Graphviz program) and ``render``.

``find_renderer`` looks, in this order, at the ``renderer=`` argument or the
``TINYGRAD_EDU_DOT`` environment variable, ``dot`` on PATH, and ``graphviz-pure`` (a
pip-installable Rust port of Graphviz, no PDF) in this Python's scripts folder or on PATH.
Without one, ``render`` still writes the ``.dot`` file and raises ``RendererNotFoundError``
saying how to install one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

from .. import checks
from ..errors import TinygradEduError
from .dot import to_dot

RENDER_HINT = (
    'install a Graphviz renderer: pip install "tinygrad_edu[render]" (brings graphviz-pure), '
    "or the system package graphviz (apt install graphviz / brew install graphviz / "
    "conda install graphviz)"
)
RENDERER_ENV = "TINYGRAD_EDU_DOT"


class RendererNotFoundError(TinygradEduError, RuntimeError):
    """No Graphviz program (``dot`` or ``graphviz-pure``) was found to turn DOT into a picture."""


class RenderError(TinygradEduError, RuntimeError):
    """The Graphviz program ran but failed (a format it cannot write, a broken graph)."""


def _script_dirs() -> list[Path]:
    """Where pip puts executables for this Python: the scripts folder, next to python."""
    dirs = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    return list(dict.fromkeys(dirs))


def find_renderer(renderer: str | os.PathLike | None = None) -> str | None:
    """The Graphviz program to use, or None: ``renderer`` (a path or a command name), else
    the ``TINYGRAD_EDU_DOT`` environment variable, else ``dot`` on PATH, else
    ``graphviz-pure`` in this Python's scripts folder or on PATH.

    An override that does not exist raises RendererNotFoundError (no silent fallback).
    """
    if renderer is not None:
        checks.path(renderer, "viz.find_renderer", "renderer")
    override = renderer if renderer is not None else os.environ.get(RENDERER_ENV) or None
    if override is not None:
        found = shutil.which(str(override))
        if found is None:
            where = "renderer=" if renderer is not None else f"${RENDERER_ENV}="
            raise RendererNotFoundError(
                f"viz: the renderer {where}{override!s} is not an executable program; give the "
                "path of dot or graphviz-pure, or unset it to search the usual places"
            )
        return found
    found = shutil.which("dot")
    if found:
        return found
    names = ["graphviz-pure.exe", "graphviz-pure"] if os.name == "nt" else ["graphviz-pure"]
    for folder in _script_dirs():
        for name in names:
            candidate = folder / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return shutil.which("graphviz-pure")


def _run_renderer(source: str, format: str, program: str | None) -> bytes:
    if program is None:
        raise RendererNotFoundError(f"no Graphviz renderer found; {RENDER_HINT}")
    result = subprocess.run([program, f"-T{format}"], input=source.encode("utf-8"),
                            capture_output=True, check=False)
    if result.returncode != 0 or not result.stdout:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RenderError(
            f"viz: {Path(program).name} could not write {format} (exit status "
            f"{result.returncode}): {message[-800:]}. graphviz-pure writes svg, png, jpg and "
            "dot but no pdf; the system package graphviz writes pdf too."
        )
    return result.stdout


def render(
    root: Any,
    path: str | os.PathLike,
    *,
    format: str | None = None,
    renderer: str | os.PathLike | None = None,
    **draw_options: Any,
) -> Path:
    """Write the graph of ``root`` to ``path`` and return the path written.

    ``root`` is a Tensor (``draw_options`` as in ``draw``) or a graph from ``draw``. The format
    comes from the suffix (.svg, .png, .jpg, .dot/.gv) unless ``format`` is given. .dot writes
    the text and needs no renderer. With no renderer found, writes ``path`` with the suffix
    .dot and raises RendererNotFoundError naming both ways to install one.
    """
    path = Path(checks.path(path, "viz.render"))
    if format is not None:
        checks.text(format, "viz.render", "format", hint="e.g. 'svg' or 'png'.")
    source = root.source if hasattr(root, "source") else to_dot(root, **draw_options)
    format = (format or path.suffix.lstrip(".") or "svg").lower()
    if format in ("dot", "gv"):
        path.write_text(source, encoding="utf-8")
        return path
    try:
        program = find_renderer(renderer)
    except RendererNotFoundError:
        path.with_suffix(".dot").write_text(source, encoding="utf-8")
        raise
    if program is None:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(source, encoding="utf-8")
        raise RendererNotFoundError(
            f"viz.render: no Graphviz renderer found (looked for ${RENDERER_ENV}, dot on PATH, "
            f"graphviz-pure next to {sys.executable} and on PATH), so {path.name} was not "
            f"written; the graph's DOT text is in {dot_path}. To get pictures, {RENDER_HINT}."
        )
    path.write_bytes(_run_renderer(source, format, program))
    return path
