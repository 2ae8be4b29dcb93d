"""Positional rows of many files, stacked, and their per-frame activity in a view.

Both the reference (DCASE metadata) and format-(a) submissions are positional rows
``frame, class, source, azimuth, elevation, distance`` (distance in cm). A view's class activity
is derived from the positions (:meth:`bindata.divisions.View.membership`), for all files at once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from ..divisions import View


@dataclass(frozen=True)
class StackedRows:
    """Positional rows of several files in flat arrays (one element per row).

    Attributes
    ----------
    file : numpy.ndarray of int64
        Index of the file each row belongs to.
    frame : numpy.ndarray of int64
        Label frame (100 ms) of the row.
    azimuth_deg, elevation_deg, distance_m : numpy.ndarray of float
        Head-relative position of the source (docs/design.md conventions); distance NaN when
        a submission gives none.
    n_files : int
        Number of files (some may have no rows).
    event_class, source : numpy.ndarray of int64
        Event class index and source (track) index of the row.
    """

    file: np.ndarray
    frame: np.ndarray
    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    distance_m: np.ndarray
    n_files: int
    event_class: np.ndarray
    source: np.ndarray


def stack_rows(per_file_rows) -> StackedRows:
    """Stack the rows of several files.

    Parameters
    ----------
    per_file_rows : sequence
        Per file, either a structured array with the fields of
        :data:`bindata.scene.labels.ROW_DTYPE` or a float array (n, 6) in the column order of
        :data:`bindata.scene.labels.COLUMNS`. Distances are in centimetres.

    Returns
    -------
    StackedRows
    """
    cols = {k: [] for k in ("frame", "class", "source", "azimuth", "elevation", "distance")}
    files = []
    for k, rows in enumerate(per_file_rows):
        rows = np.asarray(rows)
        if rows.dtype.names:
            parts = {c: rows[c] for c in cols}
        else:
            rows = rows.reshape(-1, 6)
            parts = {c: rows[:, j] for j, c in enumerate(cols)}
        for c in cols:
            cols[c].append(np.asarray(parts[c], dtype=float))
        files.append(np.full(len(rows), k, dtype=np.int64))

    def cat(chunks):
        return np.concatenate(chunks) if chunks else np.zeros(0)

    return StackedRows(
        file=cat(files).astype(np.int64),
        frame=cat(cols["frame"]).astype(np.int64),
        azimuth_deg=cat(cols["azimuth"]),
        elevation_deg=cat(cols["elevation"]),
        distance_m=cat(cols["distance"]) / 100.0,
        n_files=len(files),
        event_class=cat(cols["class"]).astype(np.int64),
        source=cat(cols["source"]).astype(np.int64),
    )


def take_rows(rows: StackedRows, mask) -> StackedRows:
    """The rows selected by a boolean ``mask`` (or index array); ``n_files`` is kept."""
    return replace(
        rows,
        **{f.name: getattr(rows, f.name)[mask] for f in fields(rows) if f.name != "n_files"},
    )


def rows_activity(rows: StackedRows, *, n_frames: int, view: View) -> np.ndarray:
    """Per-frame activity of a view's classes from positional rows.

    A class is active in a frame when any row (any source) of that frame lies in it. Rows with
    frames outside ``[0, n_frames)`` are ignored (submissions are validated before).

    Parameters
    ----------
    rows : StackedRows
    n_frames : int, keyword-only
        Label frames per file.
    view : bindata.divisions.View

    Returns
    -------
    numpy.ndarray of bool, shape (n_files, n_frames, n_classes)
    """
    act = np.zeros((rows.n_files, n_frames, len(view.classes)), dtype=bool)
    keep = (rows.frame >= 0) & (rows.frame < n_frames)
    if not keep.any():
        return act
    member = view.membership(
        rows.azimuth_deg[keep], rows.elevation_deg[keep], rows.distance_m[keep]
    )
    r, c = np.nonzero(member)
    act[rows.file[keep][r], rows.frame[keep][r], c] = True
    return act
