"""The event-library interface and the conditioning every library applies to its sounds.

An *event library* is a set of labelled, isolated sounds. Two kinds exist: the procedural
built-in bank (:mod:`bindata.events.procedural`) and a folder of recordings
(:mod:`bindata.events.folder`). The scene sampler picks sounds by class and id, the mix loads
them; both only see :class:`EventLibrary`.

Every sound returned by :meth:`EventLibrary.load` is *conditioned* the same way
(:func:`condition`):

* mono float64 at the library's ``sample_rate``;
* silence-trimmed at both ends: frames of :data:`TRIM_FRAME_S` whose mean square is
  :data:`TRIM_THRESHOLD_DB` below the loudest frame's are cut, then the cut is refined to the
  first / last sample whose magnitude reaches that threshold amplitude, so that a label's
  onset..offset is where the audio is active;
* RMS-normalised to :data:`TARGET_RMS` (-20 dBFS) over the whole trimmed sound, so a mix level
  means the same thing for every library (peaks of impulsive sounds may exceed 1.0).

A sound whose peak is below :data:`SILENCE_PEAK` (-90 dBFS) is an error.
"""

from __future__ import annotations

import abc
import threading
from collections import OrderedDict

import numpy as np

from bindata.errors import EventLibraryError

#: RMS level of every loaded sound (-20 dBFS).
TARGET_RMS = 0.1
#: Frame length of the silence trimmer, seconds.
TRIM_FRAME_S = 0.005
#: Trim threshold, dB relative to the loudest frame (mean square).
TRIM_THRESHOLD_DB = -50.0
#: The same threshold as a power ratio (a literal, so the comparison is exact everywhere).
_TRIM_POWER_RATIO = 1e-5
#: A sound whose absolute peak is below this (-90 dBFS) counts as silent.
SILENCE_PEAK = 3.1622776601683795e-05
#: Default bound of the decoded-sound cache, bytes.
DEFAULT_CACHE_BYTES = 256 * 1024 * 1024


def trim_silence(x: np.ndarray, sample_rate: int) -> tuple[int, int]:
    """Active span ``[start, stop)`` of ``x`` (see the module docstring for the rule).

    Parameters
    ----------
    x : numpy.ndarray
        Mono signal, not all zero.
    sample_rate : int
        Sample rate in Hz (sets the frame length).

    Returns
    -------
    (int, int)
        Start (inclusive) and stop (exclusive) sample of the active part.
    """
    frame = max(1, int(round(TRIM_FRAME_S * sample_rate)))
    n_frames = -(-x.size // frame)
    padded = np.zeros(n_frames * frame)
    padded[: x.size] = x
    power = np.square(padded).reshape(n_frames, frame)
    mean_square = power.sum(axis=1) / frame
    threshold = float(mean_square.max()) * _TRIM_POWER_RATIO
    active = np.flatnonzero(mean_square >= threshold)
    first, last = int(active[0]), int(active[-1])
    loud_first = np.flatnonzero(power[first] >= threshold)
    loud_last = np.flatnonzero(power[last] >= threshold)
    start = first * frame + (int(loud_first[0]) if loud_first.size else 0)
    stop = last * frame + (int(loud_last[-1]) + 1 if loud_last.size else frame)
    return start, min(stop, x.size)


def condition(x: np.ndarray, sample_rate: int, *, what: str) -> np.ndarray:
    """Trim and RMS-normalise a mono signal (the contract of :meth:`EventLibrary.load`).

    Parameters
    ----------
    x : numpy.ndarray
        Mono signal at ``sample_rate``.
    sample_rate : int
        Sample rate in Hz.
    what : str
        Name of the sound for error messages (file path or sound id).

    Returns
    -------
    numpy.ndarray
        Trimmed float64 signal with RMS :data:`TARGET_RMS`.

    Raises
    ------
    EventLibraryError
        The signal is empty, not finite, or silent (peak below -90 dBFS).
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if x.size == 0:
        raise EventLibraryError(f"{what}: no audio samples")
    if not np.all(np.isfinite(x)):
        raise EventLibraryError(f"{what}: audio holds NaN or infinite samples")
    peak = float(np.max(np.abs(x)))
    if peak < SILENCE_PEAK:
        raise EventLibraryError(
            f"{what}: sound is silent (peak {peak:.3g}, below -90 dBFS = {SILENCE_PEAK:.3g})"
        )
    start, stop = trim_silence(x, sample_rate)
    y = x[start:stop]
    rms = float(np.sqrt(np.sum(y * y) / y.size))
    return y * (TARGET_RMS / rms)


class _ByteLRU:
    """A thread-safe least-recently-used cache of arrays bounded by their total size."""

    def __init__(self, max_bytes: int):
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: np.ndarray) -> None:
        with self._lock:
            if key in self._items or value.nbytes > self.max_bytes:
                return
            self._items[key] = value
            self._bytes += value.nbytes
            while self._bytes > self.max_bytes:
                _, old = self._items.popitem(last=False)
                self._bytes -= old.nbytes


class EventLibrary(abc.ABC):
    """A set of labelled, isolated sounds (see the module docstring for the sound contract).

    Subclasses set :attr:`kind`, :attr:`classes` and implement :meth:`sound_ids`,
    :meth:`describe` and :meth:`_render` (the raw mono signal of one sound). Loaded sounds are
    cached (bounded by ``cache_bytes``) and returned read-only. Libraries pickle without their
    cache, so they can be shipped to worker processes.

    Attributes
    ----------
    kind : str
        ``"builtin"`` or ``"folder"``.
    sample_rate : int
        Sample rate of the sounds returned by :meth:`load`, Hz.
    classes : list of str
        Sorted class names; the DCASE ``class`` column indexes this list.
    """

    kind: str = ""
    sample_rate: int
    classes: list[str]

    def __init__(self, *, sample_rate: int, cache_bytes: int = DEFAULT_CACHE_BYTES):
        if int(sample_rate) < 8000:
            raise EventLibraryError(f"sample_rate must be >= 8000 Hz, got {sample_rate}")
        self.sample_rate = int(sample_rate)
        self._cache_bytes = int(cache_bytes)
        self._cache = _ByteLRU(self._cache_bytes)
        self._lengths: dict[str, int] = {}

    # -- to implement -------------------------------------------------------------------------
    @abc.abstractmethod
    def sound_ids(self, label: str) -> list[str]:
        """Stable, sorted ids of the sounds of class ``label``."""

    @abc.abstractmethod
    def describe(self) -> dict:
        """JSON-able description: kind, source, sample rate, classes and every sound."""

    @abc.abstractmethod
    def _render(self, sound_id: str) -> tuple[np.ndarray, str]:
        """Raw mono float64 signal of a known sound at :attr:`sample_rate`, and its name."""

    # -- shared -------------------------------------------------------------------------------
    def label_of(self, sound_id: str) -> str:
        """Class of a sound id (ids are ``<class>/<rest>``)."""
        return sound_id.split("/", 1)[0]

    def all_sound_ids(self) -> list[str]:
        """Every sound id, class by class in class order."""
        return [sid for label in self.classes for sid in self.sound_ids(label)]

    def _check_label(self, label: str) -> None:
        if label not in self.classes:
            raise EventLibraryError(
                f"unknown class {label!r} in {self.kind} event library "
                f"(classes: {', '.join(self.classes)})"
            )

    def load(self, sound_id: str) -> np.ndarray:
        """The conditioned sound: mono float64, trimmed, RMS 0.1, read-only (cached).

        Raises
        ------
        EventLibraryError
            Unknown id, undecodable file or silent sound.
        """
        cached = self._cache.get(sound_id)
        if cached is not None:
            return cached
        raw, what = self._render(sound_id)
        y = condition(raw, self.sample_rate, what=what)
        y.flags.writeable = False
        self._lengths[sound_id] = y.size
        self._cache.put(sound_id, y)
        return y

    def duration_s(self, sound_id: str) -> float:
        """Duration of ``load(sound_id)`` in seconds (loads the sound once if needed)."""
        n = self._lengths.get(sound_id)
        if n is None:
            n = self.load(sound_id).size
        return n / self.sample_rate

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_cache"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._cache = _ByteLRU(self._cache_bytes)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} kind={self.kind!r} sample_rate={self.sample_rate} "
            f"classes={len(self.classes)}>"
        )
