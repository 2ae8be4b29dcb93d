"""The seeding scheme: one integer seed per run, one SeedSequence per file.

File ``i`` of a run with seed ``s`` draws every random number from
``numpy.random.SeedSequence(s, spawn_key=(i,))``; inside a file, independent streams are the
children of that sequence named by :data:`STREAMS` (so adding a stream never changes the others).
Nothing else in bindata draws random numbers, so the same seed gives the same bytes whatever the
number of workers or the backend. :func:`uniform` is the one draw of a value in a configured
``[low, high]`` range (room sizes, RT60s, levels, speeds, SNRs).
"""

from __future__ import annotations

import numpy as np

#: Named child streams of a file's SeedSequence, by position (append only, never reorder).
STREAMS = (
    "room",
    "listener",
    "timeline",
    "sources",
    "events",
    "levels",
    "motion",
    "head",
    "ambience",
    "room_choice",  # which entry of a room mix a file draws from (bindata.rooms.mix)
    "directivity",  # orientation and pattern of each event's source (bindata.scene.radiation)
    "hrir",  # which head renders a file, and its drawn parameters (bindata.synth.heads)
)


def file_seed_sequence(seed: int, file_index: int) -> np.random.SeedSequence:
    """The SeedSequence of file ``file_index`` in a run seeded with ``seed``."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.SeedSequence(seed, spawn_key=(int(file_index),))


def file_rngs(seed: int, file_index: int) -> dict[str, np.random.Generator]:
    """One independent ``Generator`` per named stream of :data:`STREAMS` for a file."""
    children = file_seed_sequence(seed, file_index).spawn(len(STREAMS))
    return {
        name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=False)
    }


def uniform(rng: np.random.Generator, lo_hi) -> float:
    """A value uniform in ``[low, high]`` from ``rng``; ``low`` itself, drawing nothing, when
    ``high <= low`` (a fixed value written as a range)."""
    lo, hi = (float(v) for v in lo_hi)
    return float(rng.uniform(lo, hi)) if hi > lo else lo
