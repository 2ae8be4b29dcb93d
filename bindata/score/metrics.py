"""Segment-based counts and metrics, defined as sed_eval 0.2.1's ``SegmentBasedMetrics``.

Counts are kept per file (and per class) so that any set of files -- one fold, all files -- is
scored by summing them (:func:`pool_counts`). Per segment, with ``N_ref`` reference and ``N_sys``
system classes active and ``TP`` of them in both:

- substitutions ``S = min(N_ref, N_sys) - TP``, deletions ``D = max(0, N_ref - N_sys)``,
  insertions ``I = max(0, N_sys - N_ref)``;
- overall ("micro", pooled over segments, classes and files): ``P = TP / N_sys``,
  ``R = TP / N_ref``, ``F = 2 TP / (2 TP + FP + FN)``, ``ER = (S + D + I) / N_ref``;
- class-wise: the same P, R, F of one class, and ``ER = (FN + FP) / N_ref`` (sed_eval's
  class-wise error rate).

Undefined values follow sed_eval with ``empty_system_output_handling='zero_score'``: a precision
with no system output is 0; a recall, F-measure or error rate with no reference activity is
undefined (``None``; sed_eval gives NaN there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SegmentCounts:
    """Segment-based counts, per file and class.

    Attributes
    ----------
    tp, fp, fn, tn : numpy.ndarray of int64, shape (n_files, n_classes)
        True/false positives, false negatives and true negatives (segments).
    s, d, i : numpy.ndarray of int64, shape (n_files,)
        Substitutions, deletions and insertions summed over the segments of each file.
    n_segments : numpy.ndarray of int64, shape (n_files,)
        Segments evaluated per file.
    """

    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tn: np.ndarray
    s: np.ndarray
    d: np.ndarray
    i: np.ndarray
    n_segments: np.ndarray

    @property
    def n_files(self) -> int:
        """Number of files the counts cover."""
        return int(self.tp.shape[0])


def segment_counts(ref, est) -> SegmentCounts:
    """Count TP/FP/FN/TN and S/D/I of segment activity, per file and class.

    Parameters
    ----------
    ref, est : array_like of bool, shape (n_files, n_segments, n_classes) or (n_segments, n_classes)
        Reference and system segment activity (see :func:`~bindata.score.segments.segment_activity`).

    Returns
    -------
    SegmentCounts
        A 2-D input counts as one file.
    """
    ref = np.asarray(ref, dtype=bool)
    est = np.asarray(est, dtype=bool)
    if ref.shape != est.shape:
        raise ValueError(
            f"reference and system activity differ in shape: {ref.shape} vs {est.shape}"
        )
    if ref.ndim == 2:
        ref, est = ref[None], est[None]
    if ref.ndim != 3:
        raise ValueError(f"activity must be (n_files, n_segments, n_classes), got {ref.shape}")
    both = ref & est
    tp = both.sum(axis=1, dtype=np.int64)
    fp = (est & ~ref).sum(axis=1, dtype=np.int64)
    fn = (ref & ~est).sum(axis=1, dtype=np.int64)
    tn = (~(ref | est)).sum(axis=1, dtype=np.int64)
    n_ref = ref.sum(axis=2, dtype=np.int64)
    n_sys = est.sum(axis=2, dtype=np.int64)
    n_tp = both.sum(axis=2, dtype=np.int64)
    s = (np.minimum(n_ref, n_sys) - n_tp).sum(axis=1)
    d = np.maximum(0, n_ref - n_sys).sum(axis=1)
    i = np.maximum(0, n_sys - n_ref).sum(axis=1)
    n_seg = np.full(ref.shape[0], ref.shape[1], dtype=np.int64)
    return SegmentCounts(tp, fp, fn, tn, s, d, i, n_seg)


def pool_counts(counts: SegmentCounts, files=None) -> SegmentCounts:
    """Sum counts over a set of files (all files when ``files`` is None).

    Parameters
    ----------
    counts : SegmentCounts
    files : array_like of int or bool, optional
        Indices or mask of the files to pool.

    Returns
    -------
    SegmentCounts
        Counts of one pseudo-file (first axis of length 1).
    """
    sel = slice(None) if files is None else np.asarray(files)

    def total(a):
        return a[sel].sum(axis=0, keepdims=True)

    c = counts
    return SegmentCounts(
        total(c.tp),
        total(c.fp),
        total(c.fn),
        total(c.tn),
        total(c.s),
        total(c.d),
        total(c.i),
        total(c.n_segments),
    )


def _ratio(num, den):
    return float(num) / float(den) if den > 0 else None


def prf(tp: int, fp: int, fn: int) -> dict:
    """Precision, recall and F-measure from counts (sed_eval 'zero_score' conventions).

    Returns
    -------
    dict
        ``precision`` (0 when there is no system output), ``recall`` and ``f_measure``
        (``None`` when there is no reference activity).
    """
    n_sys, n_ref = tp + fp, tp + fn
    precision = _ratio(tp, n_sys) if n_sys > 0 else 0.0
    recall = _ratio(tp, n_ref)
    f_measure = _ratio(2 * tp, 2 * tp + fp + fn) if n_ref > 0 else None
    return {"f_measure": f_measure, "precision": precision, "recall": recall}


def overall_metrics(counts: SegmentCounts) -> dict:
    """Overall (micro) metrics of counts pooled over all their files and classes.

    Parameters
    ----------
    counts : SegmentCounts

    Returns
    -------
    dict
        ``f_measure``, ``precision``, ``recall``, ``error_rate``, ``substitution_rate``,
        ``deletion_rate``, ``insertion_rate`` and the integer counts ``tp``, ``fp``, ``fn``,
        ``tn``, ``n_ref``, ``n_sys``, ``substitutions``, ``deletions``, ``insertions``,
        ``n_segments``.
    """
    tp, fp, fn, tn = (int(a.sum()) for a in (counts.tp, counts.fp, counts.fn, counts.tn))
    s, d, i = int(counts.s.sum()), int(counts.d.sum()), int(counts.i.sum())
    n_ref = tp + fn
    out = prf(tp, fp, fn)
    rates = {
        k: _ratio(v, n_ref) for k, v in (("substitution", s), ("deletion", d), ("insertion", i))
    }
    out["error_rate"] = _ratio(s + d + i, n_ref)
    out.update({f"{k}_rate": v for k, v in rates.items()})
    out.update(tp=tp, fp=fp, fn=fn, tn=tn, n_ref=n_ref, n_sys=tp + fp)
    out.update(substitutions=s, deletions=d, insertions=i, n_segments=int(counts.n_segments.sum()))
    return out


def class_wise_metrics(counts: SegmentCounts, classes) -> dict:
    """Per-class metrics of counts pooled over their files.

    Parameters
    ----------
    counts : SegmentCounts
    classes : sequence of str
        Class names, in the order of the counts' class axis.

    Returns
    -------
    dict
        ``{class: {f_measure, precision, recall, error_rate, deletion_rate, insertion_rate,
        tp, fp, fn, tn, n_ref, n_sys}}``.
    """
    tp, fp, fn, tn = (a.sum(axis=0) for a in (counts.tp, counts.fp, counts.fn, counts.tn))
    out = {}
    for k, name in enumerate(classes):
        t, p, n = int(tp[k]), int(fp[k]), int(fn[k])
        m = prf(t, p, n)
        m["error_rate"] = _ratio(n + p, t + n)
        m["deletion_rate"] = _ratio(n, t + n)
        m["insertion_rate"] = _ratio(p, t + n)
        m.update(tp=t, fp=p, fn=n, tn=int(tn[k]), n_ref=t + n, n_sys=t + p)
        out[str(name)] = m
    return out


def class_wise_average(class_wise: dict) -> dict:
    """Macro averages of class-wise F, P, R and ER, skipping undefined values (sed_eval's nanmean).

    Returns
    -------
    dict
        ``f_measure``, ``precision``, ``recall``, ``error_rate`` (``None`` when no class defines it).
    """
    out = {}
    for key in ("f_measure", "precision", "recall", "error_rate"):
        vals = [m[key] for m in class_wise.values() if m[key] is not None]
        out[key] = float(np.mean(vals)) if vals else None
    return out


def group_metrics(counts: SegmentCounts, class_indices) -> dict:
    """P, R and F pooled over a subset of classes (e.g. the paper's Left/Right row).

    Parameters
    ----------
    counts : SegmentCounts
    class_indices : sequence of int
        Columns of the classes to pool.

    Returns
    -------
    dict
        ``f_measure``, ``precision``, ``recall``, ``tp``, ``fp``, ``fn``.
    """
    idx = np.asarray(class_indices, dtype=int)
    tp, fp, fn = (int(a[:, idx].sum()) for a in (counts.tp, counts.fp, counts.fn))
    out = prf(tp, fp, fn)
    out.update(tp=tp, fp=fp, fn=fn)
    return out
