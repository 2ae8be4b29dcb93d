"""The on-disk cache folder of derived HRIR data, and its tolerant ``.npz`` reader and writer.

The folder is ``$BINDATA_CACHE_DIR`` when set, else ``platformdirs.user_cache_dir("bindata")``.
It holds what is costly to compute and a pure function of its inputs, each file named by a
hash of everything it depends on (a version of the code that computes it included), so a new
version or option never reads a stale file: the built-in model HRIR sets (:mod:`.cache`) and the
tables of the nearest-direction lookups (:mod:`.lookup`). Files are written to a temporary name
and renamed by :func:`bindata.io.atomic_path` (concurrent workers never see a partial file); an
unreadable file reads as missing (the caller rebuilds it); an unwritable folder only costs the
rebuild.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from ..errors import OutputError
from ..io import atomic_path

CACHE_ENV = "BINDATA_CACHE_DIR"


def cache_dir() -> Path:
    """The folder holding cached HRIR data (not created here)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("bindata"))


def read_arrays(path: Path) -> dict | None:
    """Every array of the ``.npz`` file ``path`` (None: missing or unreadable)."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return {name: arrays[name] for name in arrays.files}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def write_arrays(path: Path, arrays: dict) -> None:
    """Write ``arrays`` as the ``.npz`` file ``path`` atomically; an unwritable cache folder
    only costs the rebuild."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    except (OSError, OutputError):
        pass


__all__ = ["CACHE_ENV", "cache_dir", "read_arrays", "write_arrays"]
