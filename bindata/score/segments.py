"""Frame activity to segment activity (the 1 s segments of segment-based metrics).

A class is active in a segment when it is active in any label frame of that segment (DESIGN.md,
"Scoring"). With 100 ms label frames and 1 s segments, ``frames_per_segment`` is 10. A file of
``n`` frames has ``ceil(n / frames_per_segment)`` segments; the last one may be partial.
"""

from __future__ import annotations

import numpy as np

from ..scene.labels import LABEL_FRAME_S

#: Segment length of the paper's metric, in seconds.
SEGMENT_S = 1.0


def frames_per_segment(*, segment_s: float = SEGMENT_S, frame_s: float = LABEL_FRAME_S) -> int:
    """Number of label frames in one segment (10 for 1 s segments of 100 ms frames).

    Parameters
    ----------
    segment_s, frame_s : float
        Segment and frame length in seconds; ``segment_s`` must be a whole number of frames.

    Returns
    -------
    int
    """
    ratio = segment_s / frame_s
    n = int(round(ratio))
    if n < 1 or abs(ratio - n) > 1e-9:
        raise ValueError(
            f"segment length {segment_s} s must be a whole number (>= 1) of {frame_s} s frames"
        )
    return n


def n_segments(n_frames: int, *, frames_per_segment: int = 10) -> int:
    """Number of segments covering ``n_frames`` label frames (``ceil``)."""
    return -(-int(n_frames) // int(frames_per_segment))


def segment_activity(frame_activity, *, frames_per_segment: int = 10) -> np.ndarray:
    """Segment activity from frame activity: any active frame makes the segment active.

    Parameters
    ----------
    frame_activity : array_like of bool, shape (..., n_frames, n_classes)
        Per-frame class activity; leading axes (e.g. files) are kept.
    frames_per_segment : int, keyword-only
        Frames per segment (10 for 1 s segments of 100 ms frames).

    Returns
    -------
    numpy.ndarray of bool, shape (..., n_segments, n_classes)
        ``n_segments = ceil(n_frames / frames_per_segment)``; a partial last segment is padded
        with inactive frames.
    """
    act = np.asarray(frame_activity, dtype=bool)
    if act.ndim < 2:
        raise ValueError(f"frame_activity must be (..., n_frames, n_classes), got {act.shape}")
    *lead, n_frames, n_classes = act.shape
    n_seg = n_segments(n_frames, frames_per_segment=frames_per_segment)
    pad = n_seg * frames_per_segment - n_frames
    if pad:
        widths = [(0, 0)] * len(lead) + [(0, pad), (0, 0)]
        act = np.pad(act, widths, constant_values=False)
    shaped = act.reshape(*lead, n_seg, frames_per_segment, n_classes)
    return shaped.any(axis=-2)
