"""The one in-memory cache of objects derived from HRIR arrays (direction lookups, render banks).

Objects that are costly to build from an HRIR shell and used many times (the nearest-direction
lookup of :mod:`.lookup`, about 0.8 s for the built-in grid; the response bank of
:mod:`bindata.render.assembly`) are kept here, not on the shell. The key is documented::

    (kind, (id(a) for a in arrays))     checked against weak references to the arrays

i.e. the *identity* of the arrays the object is built from (hashing their contents would cost as
much as building a response bank). An entry counts only while every one of its arrays is alive
and is the same object, so an id reused by a new array never reads a stale entry; the cache
keeps the :data:`MAX_ENTRIES` most recently used objects. The arrays of an HRIR set are treated
as immutable (calibration, resampling and near-field synthesis return new sets); the shells of a
set measured at the same directions share their direction arrays
(:attr:`~.hrirset.HRIRSet.shells`), hence one lookup for the 15 shells of the built-in model.
The cache is per process (nothing travels with a pickled shell) and thread-safe (two threads
may build the same object at once; either result is kept, both are equal).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import numpy as np

#: Objects kept (least recently used dropped first).
MAX_ENTRIES = 32

T = TypeVar("T")
_ENTRIES: OrderedDict = OrderedDict()  # key -> (weak references to the arrays, object)
_LOCK = threading.Lock()


def _alive(refs: tuple, arrays: tuple) -> bool:
    return all(ref() is a for ref, a in zip(refs, arrays, strict=True))


def derived(kind: str, arrays: tuple[np.ndarray, ...], build: Callable[[], T]) -> T:
    """The object ``build()`` made from ``arrays``, built on first use and kept.

    Parameters
    ----------
    kind : str
        What the object is (``"direction_lookup"``, ``"render_bank"``): part of the key.
    arrays : tuple of ndarray
        Every array the object is built from (nothing else may influence ``build``); they must
        not be modified in place afterwards.
    build : callable
        Makes the object; called only on a cache miss.
    """
    key = (kind, tuple(id(a) for a in arrays))
    with _LOCK:
        entry = _ENTRIES.get(key)
        if entry is not None and _alive(entry[0], arrays):
            _ENTRIES.move_to_end(key)
            return entry[1]
    value = build()
    refs = tuple(weakref.ref(a) for a in arrays)
    with _LOCK:
        for stale in [k for k, (r, _) in _ENTRIES.items() if any(ref() is None for ref in r)]:
            del _ENTRIES[stale]
        _ENTRIES[key] = (refs, value)
        _ENTRIES.move_to_end(key)
        while len(_ENTRIES) > MAX_ENTRIES:
            _ENTRIES.popitem(last=False)
    return value


def clear() -> None:
    """Drop every cached object."""
    with _LOCK:
        _ENTRIES.clear()


def cached_kinds() -> list[str]:
    """The kind of every live cached object, least recently used first (tests, diagnostics)."""
    with _LOCK:
        return [k[0] for k, (refs, _) in _ENTRIES.items() if all(r() is not None for r in refs)]


__all__ = ["MAX_ENTRIES", "cached_kinds", "clear", "derived"]
