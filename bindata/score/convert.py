"""Writing submissions: CSV text of both formats, and the reference as an (oracle) submission.

Useful to produce a well-formed example for a system's output, and to check the scorer end to
end: the reference written in either format scores 100 %.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..divisions import get_view
from ..io import write_text
from ..io.dcase_csv import format_rows
from .activity import rows_activity, stack_rows
from .reference import Reference


def rows_text(rows) -> str:
    """Format-(a) text (no header) of rows: structured (``ROW_DTYPE``) or float (n, 6)."""
    rows = np.asarray(rows)
    return format_rows(rows if rows.dtype.names else rows.reshape(-1, 6))


def activity_text(values, classes, *, all_frames: bool = False) -> str:
    """Format-(b) text: header ``frame,<classes>`` then one row per frame.

    Parameters
    ----------
    values : array_like, shape (n_frames, n_classes)
        0/1 activity or probabilities in [0, 1].
    classes : sequence of str
        Header class names, in the column order of ``values``.
    all_frames : bool, keyword-only
        Write every frame; by default frames whose values are all 0 are left out (inactive).

    Returns
    -------
    str
    """
    values = np.asarray(values, dtype=float).reshape(len(values), len(classes))
    keep = np.ones(len(values), dtype=bool) if all_frames else values.any(axis=1)
    table = np.column_stack([np.nonzero(keep)[0], values[keep]])
    return format_rows(table, header=("frame", *classes))


def write_reference_submission(reference: Reference, out_dir, *, view: str | None = None) -> Path:
    """Write the reference labels as a submission (format a, or format b of ``view``).

    Parameters
    ----------
    reference : Reference
    out_dir : path-like
        Folder to create (may exist); one ``<stem>.csv`` per reference file.
    view : str, optional
        Write format (b) for this view instead of the DCASE rows.

    Returns
    -------
    pathlib.Path
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if view is None:
        for stem, rows in zip(reference.stems, reference.rows, strict=True):
            write_text(out / f"{stem}.csv", rows_text(rows))
        return out
    v = get_view(view)
    act = rows_activity(stack_rows(reference.rows), n_frames=reference.n_frames, view=v)
    for stem, a in zip(reference.stems, act, strict=True):
        write_text(out / f"{stem}.csv", activity_text(a.astype(float), v.classes))
    return out
