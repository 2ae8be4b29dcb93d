"""DCASE-style metadata: rows of ``frame,class,source,azimuth,elevation,distance``.

The DCASE 2024 format of ``docs/design.md``: integers, no header, 100 ms frames, azimuth and
elevation in degrees (head-relative), distance in centimetres, inactive frames omitted. Reading
and writing go through the one DCASE CSV module, :mod:`bindata.io.dcase_csv`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import DatasetError
from .io.dcase_csv import COLUMNS, ROW_DTYPE, format_rows, parse_metadata_text, sort_rows

__all__ = [
    "COLUMNS",
    "LABEL_FRAME_S",
    "ROW_DTYPE",
    "empty_rows",
    "n_label_frames",
    "read_metadata_csv",
    "rows_to_csv_text",
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
