"""Writing submissions: CSV text of both formats, and the reference as an (oracle) submission.

Useful to produce a well-formed example for a system's output, and to check the scorer end to
end: the reference written in either format scores 100 %.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..divisions import get_view
from ..labels import COLUMNS
from .activity import rows_activity, stack_rows
from .reference import Reference


def _num(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else repr(v)


def rows_text(rows) -> str:
    """Format-(a) text (no header) of rows: structured (``ROW_DTYPE``) or float (n, 6)."""
    rows = np.asarray(rows)
    if rows.dtype.names:
        rows = np.stack([rows[c] for c in COLUMNS], axis=1) if len(rows) else np.zeros((0, 6))
    buf = io.StringIO()
    for r in rows.reshape(-1, 6):
        buf.write(",".join(_num(v) for v in r) + "\n")
    return buf.getvalue()


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
    values = np.asarray(values, dtype=float)
    buf = io.StringIO()
    buf.write(",".join(("frame", *classes)) + "\n")
    for n, row in enumerate(values):
        if all_frames or row.any():
            buf.write(f"{n}," + ",".join(_num(v) for v in row) + "\n")
    return buf.getvalue()


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
            (out / f"{stem}.csv").write_text(rows_text(rows), "utf-8")
        return out
    v = get_view(view)
    act = rows_activity(stack_rows(reference.rows), n_frames=reference.n_frames, view=v)
    for stem, a in zip(reference.stems, act, strict=True):
        (out / f"{stem}.csv").write_text(activity_text(a.astype(float), v.classes), "utf-8")
    return out
