"""The one in-memory cache of objects derived from HRIR arrays (direction lookups, render banks).

Objects that are costly to build from an HRIR shell and used many times (the nearest-direction
lookup of :mod:`.lookup`, the response bank of :mod:`bindata.render.assembly`) are kept here, not
on the shell. The key is documented and content-based::

    (kind, [(dtype, shape, SHA-256 of the bytes) for each source array])

so shells (or sets) holding equal arrays share one object (the 15 shells of the built-in model
have the same directions, hence one lookup), a changed array (a calibrated gain, another set)
never reads a stale object, and nothing has to travel with a pickled shell. The cache keeps the
:data:`MAX_ENTRIES` most recently used objects. It is per process and thread-safe (two threads
may build the same object at once; either result is kept, both are equal).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from ..io import sha256_bytes

#: Objects kept (least recently used dropped first).
MAX_ENTRIES = 32

T = TypeVar("T")
_ENTRIES: OrderedDict = OrderedDict()
_LOCK = threading.Lock()


def array_key(array: np.ndarray) -> tuple[str, tuple[int, ...], str]:
    """``(dtype, shape, SHA-256 of the C-ordered bytes)`` of ``array``."""
    a = np.ascontiguousarray(array)
    return (a.dtype.str, tuple(a.shape), sha256_bytes(a.data.cast("B")))


def derived(kind: str, arrays: tuple[np.ndarray, ...], build: Callable[[], T]) -> T:
    """The object ``build()`` made from ``arrays``, built on first use and kept.

    Parameters
    ----------
    kind : str
        What the object is (``"direction_lookup"``, ``"render_bank"``): part of the key.
    arrays : tuple of ndarray
        Every array the object is built from (nothing else may influence ``build``).
    build : callable
        Makes the object; called only on a cache miss.
    """
    key = (kind, tuple(array_key(a) for a in arrays))
    with _LOCK:
        if key in _ENTRIES:
            _ENTRIES.move_to_end(key)
            return _ENTRIES[key]
    value = build()
    with _LOCK:
        _ENTRIES[key] = value
        _ENTRIES.move_to_end(key)
        while len(_ENTRIES) > MAX_ENTRIES:
            _ENTRIES.popitem(last=False)
    return value


def clear() -> None:
    """Drop every cached object."""
    with _LOCK:
        _ENTRIES.clear()


def cached_kinds() -> list[str]:
    """The kind of every cached object, least recently used first (for tests and diagnostics)."""
    with _LOCK:
        return [key[0] for key in _ENTRIES]


__all__ = ["MAX_ENTRIES", "array_key", "cached_kinds", "clear", "derived"]
