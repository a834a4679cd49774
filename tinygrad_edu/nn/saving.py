"""Saving and loading named arrays: ``save_npz`` (atomic), ``load_npz`` (checked), and
``_state_value``, the checks of one loaded value against its parameter.

Shared by ``Module.save`` / ``Module.load`` / ``load_state_dict`` and ``Optimizer.save`` /
``LRSchedule.save``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .. import checks
from ..errors import DtypeError, SavedFileError, ShapeError
from ..tensor import Tensor


def save_npz(path: str | os.PathLike, state: Mapping[str, Any]) -> Path:
    """Write ``state`` (named arrays) to ``path`` as ``.npz`` atomically and return the
    path (``.npz`` added as numpy does): written next to its final place, then moved over it,
    so an interrupted save never leaves a half-written file in place of an earlier good one.
    Shared by ``Module.save`` and ``Optimizer.save``."""
    target = Path(os.fspath(path))
    if target.suffix != ".npz":
        target = target.with_name(target.name + ".npz")
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"save: the folder {str(folder)!r} does not exist (create it first, e.g. "
            f"os.makedirs({str(folder)!r}, exist_ok=True))"
        )
    temporary = folder / f".{target.name}.{secrets.token_hex(6)}.tmp"
    # mode 0o666 minus the umask, as np.savez's own file would get (mkstemp's is 0o600)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **state)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return target


def load_npz(path: str | os.PathLike, writer: str) -> dict[str, np.ndarray]:
    """The named arrays of a ``.npz`` file written by ``writer`` (``"Module.save"``, ...);
    ``"model"`` finds ``model.npz``. A missing file raises ``FileNotFoundError``; a file that
    is not an intact archive of plain arrays (damaged, truncated, foreign, pickled objects)
    a ``SavedFileError`` (a ``ValueError``) naming the file and ``writer``. Every entry is read
    and its CRC-32 checked before anything is returned, so a caller changes nothing unless
    the whole file is good."""
    checks.path(path, writer.replace(".save", ".load"))
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(path + ".npz"):
        path += ".npz"
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"load: no file {path!r} (nor {path + '.npz'!r}); {writer}(path) writes one"
        )
    not_saved = f"load: {path!r} is not a file written by {writer} (a .npz archive of named arrays)"
    with open(path, "rb") as file:  # a folder or a file without permission: the OS's error
        try:
            archive = np.load(file, allow_pickle=False)
        except Exception as error:  # whatever a damaged file makes numpy raise
            raise SavedFileError(f"{not_saved}; numpy cannot read it as one ({_why(error)})"
                                 ) from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise SavedFileError(f"{not_saved}; it holds one {type(archive).__name__}")
        with archive:
            try:
                arrays = {name: archive[name] for name in archive.files}
                damaged = archive.zip.testzip()  # every entry's CRC-32, the parts not read too
            except ValueError as error:
                if "pickle" in str(error):  # an entry that holds pickled objects
                    raise SavedFileError(f"{not_saved}: it holds Python objects, not arrays"
                                         ) from None
                raise SavedFileError(f"{not_saved}; it is damaged ({_why(error)})") from None
            except Exception as error:  # zipfile, zlib, numpy's header parser
                raise SavedFileError(f"{not_saved}; it is damaged ({_why(error)})") from None
    if damaged is not None:
        raise SavedFileError(f"{not_saved}; it is damaged (the entry {damaged!r} fails its "
                             "CRC-32 check)")
    return arrays


def _why(error: Exception) -> str:
    text = str(error).strip() or "no details"
    return f"{type(error).__name__}: {text[:200]}"


def _state_value(name: str, value: Any, p: Tensor) -> np.ndarray:
    """The array to copy into parameter ``p`` (called ``name``), checked: shape, a real dtype
    that ``p``'s dtype holds without losing digits, no nan or inf."""
    try:
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
    except ValueError as error:  # a ragged nested list
        raise ShapeError(f"load_state_dict: {name} is not a rectangular array ({error})") from None
    if array.shape != p.shape:
        raise ShapeError(
            f"load_state_dict: {name} has shape {p.shape} in the model but {array.shape} in the "
            "state dict (was it saved from a model with other layer sizes?)"
        )
    if array.dtype.kind not in "biuf":
        raise DtypeError(
            f"load_state_dict: {name} holds {array.dtype} values; parameters are real numbers "
            f"({p.dtype}). Was the state dict built by hand?"
        )
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"load_state_dict: {name} {array.shape} holds {bad} nan/inf value(s); a model with "
            "them predicts nan. Was it saved after training diverged? (Nothing was loaded.)"
        )
    if not np.can_cast(array.dtype, p.dtype, casting="safe"):
        with np.errstate(all="ignore"):
            converted = array.astype(p.dtype)
        if not np.array_equal(converted.astype(array.dtype), array):
            raise DtypeError(
                f"load_state_dict: {name} is {array.dtype} in the state dict but {p.dtype} in "
                f"the model, and converting it would round its values. Convert explicitly if "
                f"that is what you want: {{k: v.astype(np.{p.dtype}) for k, v in state.items()}}"
                f", or build the model with dtype={array.dtype}."
            )
    return array
