"""Labels: a scene's DCASE-style metadata rows ``frame,class,source,azimuth,elevation,distance``.

The DCASE 2024 format of ``docs/design.md``: integers, no header, 100 ms frames, azimuth and
elevation in degrees (head-relative), distance in centimetres, inactive frames omitted.
:func:`scene_rows` makes them from a scene (a moving event's rows follow the source relative to
the head at each frame's centre, :func:`bindata.scene.motion.relative_track`). Reading and
writing go through the one DCASE CSV module, :mod:`bindata.io.dcase_csv`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from ..io.dcase_csv import COLUMNS, ROW_DTYPE, format_rows, parse_metadata_text, sort_rows
from .motion import is_moving, relative_track
from .spec import Scene, SceneEvent

__all__ = [
    "COLUMNS",
    "LABEL_FRAME_S",
    "ROW_DTYPE",
    "empty_rows",
    "n_label_frames",
    "read_metadata_csv",
    "rows_to_csv_text",
    "scene_rows",
]

#: Label frame length in seconds (DCASE).
LABEL_FRAME_S = 0.1


def n_label_frames(duration_s: float) -> int:
    """Number of 100 ms label frames in a file of ``duration_s`` seconds."""
    return int(round(duration_s / LABEL_FRAME_S))


def empty_rows() -> np.ndarray:
    """An empty structured array of metadata rows."""
    return np.zeros(0, dtype=ROW_DTYPE)


def rows_to_csv_text(rows: np.ndarray) -> str:
    """Format rows as CSV text (sorted by frame, then source), no header."""
    return format_rows(sort_rows(rows))


def read_metadata_csv(path: str | os.PathLike) -> np.ndarray:
    """Read a metadata CSV written by bindata (strict: six integer columns, no header).

    For user submissions with line-level error reports use :mod:`bindata.score.submission`.
    """
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise DatasetError(f"{path}: cannot read metadata ({reason})") from exc
    rows, _, problems = parse_metadata_text(text)
    if problems:
        line, message = problems[0]
        raise DatasetError(f"{path}:{line}: {message}")
    return rows


def scene_rows(scene: Scene) -> np.ndarray:
    """DCASE metadata rows of a scene: one per active 100 ms frame of each event."""
    n_frames = n_label_frames(scene.duration_s)
    rows = []
    for ev in scene.events:
        first = int(round(ev.onset_s / LABEL_FRAME_S))
        count = int(round(ev.duration_s / LABEL_FRAME_S))
        frames = range(first, min(first + count, n_frames))
        if is_moving(scene, ev):
            rows += _moving_rows(scene, ev, frames)
            continue
        az = _row_azimuth(ev.azimuth_deg)
        el, dist_cm = int(round(ev.elevation_deg)), int(round(ev.distance_m * 100))
        for f in frames:
            rows.append((f, ev.class_index, ev.source_index, az, el, dist_cm))
    return np.array(rows, dtype=ROW_DTYPE) if rows else np.zeros(0, dtype=ROW_DTYPE)


def _moving_rows(scene: Scene, ev: SceneEvent, frames: range) -> list[tuple]:
    """Rows of a moving event: its direction and distance at each frame's centre."""
    if len(frames) == 0:
        return []
    centres = (np.asarray(frames, float) + 0.5) * LABEL_FRAME_S
    track = relative_track(
        ev.source_path,
        scene.head_track,
        listener_m=scene.listener.position_m,
        onset_s=float(ev.onset_s),
        times_s=centres,
    )
    rows = []
    for f, (az_deg, el_deg, dist) in zip(frames, track, strict=True):
        az = _row_azimuth(az_deg)
        rows.append(
            (f, ev.class_index, ev.source_index, az, int(round(el_deg)), int(round(dist * 100)))
        )
    return rows


def _row_azimuth(azimuth_deg: float) -> int:
    """A row's azimuth: whole degrees in (-180, 180] (a rounded -180 is written 180)."""
    az = int(round(azimuth_deg))
    return 180 if az == -180 else az
