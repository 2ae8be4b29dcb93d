"""DCASE-style metadata: rows of ``frame,class,source,azimuth,elevation,distance``.

The DCASE 2024 format of DESIGN.md: integers, no header, 100 ms frames, azimuth and elevation in
degrees (head-relative, DESIGN.md conventions), distance in centimetres, inactive frames omitted.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from .errors import DatasetError

#: Label frame length in seconds (DCASE).
LABEL_FRAME_S = 0.1

#: Column names of a metadata CSV, in order.
COLUMNS = ("frame", "class", "source", "azimuth", "elevation", "distance")

#: Structured dtype of metadata rows.
ROW_DTYPE = np.dtype([(c, np.int64) for c in COLUMNS])


def n_label_frames(duration_s: float) -> int:
    """Number of 100 ms label frames in a file of ``duration_s`` seconds."""
    return int(round(duration_s / LABEL_FRAME_S))


def empty_rows() -> np.ndarray:
    """An empty structured array of metadata rows."""
    return np.zeros(0, dtype=ROW_DTYPE)


def rows_to_csv_text(rows: np.ndarray) -> str:
    """Format rows as CSV text (sorted by frame, then source), no header."""
    rows = np.sort(np.asarray(rows, dtype=ROW_DTYPE), order=["frame", "source", "class"])
    buf = io.StringIO()
    for r in rows:
        buf.write(",".join(str(int(r[c])) for c in COLUMNS) + "\n")
    return buf.getvalue()


def read_metadata_csv(path: str | os.PathLike) -> np.ndarray:
    """Read a metadata CSV written by bindata (strict: six integer columns, no header).

    For user submissions with line-level error reports use :mod:`bindata.score.submission`.
    """
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read metadata ({exc.strerror})") from exc
    lines = [ln for ln in text.splitlines() if ln.strip()]
    out = np.zeros(len(lines), dtype=ROW_DTYPE)
    for i, line in enumerate(lines):
        parts = line.split(",")
        if len(parts) != len(COLUMNS):
            raise DatasetError(f"{path}:{i + 1}: expected 6 columns, got {len(parts)}")
        try:
            out[i] = tuple(int(p) for p in parts)
        except ValueError as exc:
            raise DatasetError(f"{path}:{i + 1}: non-integer value in {line!r}") from exc
    return out
