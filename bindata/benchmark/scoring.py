"""F1 cells of Tables 3-5 from a method's submissions (numpy only).

The metric is the paper's: segment-based F1 on 1 s segments (a class is active in a segment when
it is active in any of its 100 ms frames), pooled over segments, classes and files ("overall" /
micro F1, as sed_eval defines it): ``F1 = 2 TP / (2 TP + FP + FN)``. A cell pools the classes its
:class:`~bindata.benchmark.methods.ScoreSpec` names. Each test fold is scored on its own and the
table value is the mean over folds (the paper's "averaged over all cross-validation folds"); the
F1 pooled over all folds is kept as well.

This module reads the submissions back from disk (format (b), probabilities >= 0.5 are active)
and the reference from the dataset's metadata through the same label views, so what is scored is
exactly what was written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..divisions import get_view
from ..errors import BenchmarkError
from .targets import label_activity

#: Label frames per 1 s segment.
FRAMES_PER_SEGMENT = 10


def read_submission(path, *, classes) -> np.ndarray:
    """Probabilities (n_frames, C) of a format-(b) CSV whose header must be ``frame,<classes>``."""
    path = Path(path)
    if not path.is_file():
        raise BenchmarkError(f"{path}: prediction file missing")
    lines = path.read_text("utf-8").splitlines()
    header = lines[0].split(",") if lines else []
    if header != ["frame", *classes]:
        raise BenchmarkError(f"{path}: header {header} is not frame,{','.join(classes)}")
    body = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:] if ln.strip()])
    body = body.reshape(-1, len(classes) + 1)
    probs = np.zeros((int(body[:, 0].max()) + 1 if len(body) else 0, len(classes)))
    probs[body[:, 0].astype(int)] = body[:, 1:]
    return probs


def segment_counts(ref, est, *, frames_per_segment: int = FRAMES_PER_SEGMENT):
    """TP, FP, FN of segment activity from frame activity (n_frames, C) of one file."""
    ref, est = np.asarray(ref, bool), np.asarray(est, bool)
    n = ref.shape[0]
    n_seg = -(-n // frames_per_segment)
    pad = ((0, n_seg * frames_per_segment - n), (0, 0))

    def seg(a):
        return np.pad(a, pad).reshape(n_seg, frames_per_segment, -1).any(axis=1)

    r, e = seg(ref), seg(est)
    return int((r & e).sum()), int((~r & e).sum()), int((r & ~e).sum())


def f1_score(tp: int, fp: int, fn: int) -> float | None:
    """``2 TP / (2 TP + FP + FN)``; None when the reference has no active segment."""
    if tp + fn == 0:
        return None
    return 2.0 * int(tp) / (2.0 * int(tp) + int(fp) + int(fn))


def _cell_counts(corpus, stems, spec, pred_dir: Path) -> np.ndarray:
    view = get_view(spec.view)
    cols = [view.classes.index(c) for c in (spec.classes or view.classes)]
    counts = np.zeros(3, dtype=np.int64)
    n = corpus.n_label_frames
    for stem in stems:
        ref = label_activity(corpus.rows(stem), n_frames=n, views=[spec.view])
        probs = read_submission(pred_dir / spec.view / f"{stem}.csv", classes=view.classes)
        est = np.zeros_like(ref)
        m = min(n, probs.shape[0])
        est[:m] = probs[:m] >= 0.5
        counts += segment_counts(ref[:, cols], est[:, cols])
    return counts


def score_method(corpus, method, *, pred_dir, folds) -> dict:
    """Every F1 cell of ``method`` per fold, their mean over folds and pooled over all folds.

    Returns
    -------
    dict
        ``{"folds": {k: {cell: F1}}, "mean": {cell: F1}, "pooled": {cell: F1},
        "counts": {cell: [TP, FP, FN]}}``, F1 as fractions in [0, 1] (None when undefined).
    """
    pred_dir = Path(pred_dir)
    per_fold, totals = {}, {}
    for fold in folds:
        stems = corpus.stems_of([fold])
        per_fold[str(fold)] = {}
        for cell, spec in method.scores.items():
            c = _cell_counts(corpus, stems, spec, pred_dir)
            totals[cell] = totals.get(cell, 0) + c
            per_fold[str(fold)][cell] = f1_score(*c)
    mean = {}
    for cell in method.scores:
        vals = [v[cell] for v in per_fold.values() if v[cell] is not None]
        mean[cell] = float(np.mean(vals)) if vals else None
    pooled = {cell: f1_score(*c) for cell, c in totals.items()}
    counts = {cell: [int(v) for v in c] for cell, c in totals.items()}
    return {"folds": per_fold, "mean": mean, "pooled": pooled, "counts": counts}
