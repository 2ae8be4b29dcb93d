"""The DCASE metric sets of ``bindata score``: options, checks and results per fold.

``metrics`` names what to compute: ``'paper'`` (the paper's 1 s segment F1 of the direction and
proximity views, :mod:`bindata.score.api`), ``'dcase2024'`` and ``'dcase2023'`` (the SELD metrics
of :mod:`bindata.score.seld`), or ``'all'``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..labels import LABEL_FRAME_S
from .activity import stack_rows
from .reference import fold_keys, sorted_fold_keys
from .seld import (
    DOA_THRESHOLD_DEG,
    REL_DISTANCE_THRESHOLD,
    SEGMENT_FRAMES,
    frame_counts,
    match_frames,
    metrics_2023,
    metrics_2024,
    segment_counts,
)

#: Metric sets, in the order they are reported.
METRIC_SETS = ("paper", "dcase2024", "dcase2023")


def resolve_metrics(metrics) -> list[str]:
    """Metric set names from a name, a list of names or ``'all'``; unknown names are an error."""
    names = [metrics] if isinstance(metrics, str) else list(metrics or ["paper"])
    if "all" in names:
        return list(METRIC_SETS)
    unknown = [n for n in names if n not in METRIC_SETS]
    if unknown:
        raise ConfigError(
            f"unknown metric set(s) {unknown}; known: {', '.join(METRIC_SETS)} or 'all'"
        )
    return [n for n in METRIC_SETS if n in names]


def check_thresholds(thresholds: dict) -> dict:
    """Thresholds with defaults; each must be a finite number > 0 (distance: or None)."""
    out = {
        "doa_threshold_deg": DOA_THRESHOLD_DEG,
        "rel_distance_threshold": REL_DISTANCE_THRESHOLD,
        "distance_threshold_m": None,
    }
    for key, value in (thresholds or {}).items():
        if key not in out:
            raise ConfigError(f"unknown threshold {key!r}; known: {', '.join(out)}")
        if value is None and key != "doa_threshold_deg":
            out[key] = None
            continue
        v = float(value)
        if not np.isfinite(v) or v <= 0:
            raise ConfigError(f"threshold {key} must be a finite number > 0, got {value!r}")
        out[key] = v
    return out


def _n_classes(reference, ref_rows, pred_rows) -> tuple[int, list[str]]:
    if reference.event_classes:
        return len(reference.event_classes), list(reference.event_classes)
    n = int(max(ref_rows.event_class.max(initial=-1), pred_rows.event_class.max(initial=-1))) + 1
    return max(n, 1), [str(k) for k in range(max(n, 1))]


def _by_fold(counts, reference, metric_fn, classes) -> dict:
    keys = np.asarray(fold_keys(reference.folds))
    out = {}
    for key in sorted_fold_keys(keys.tolist()):
        res = metric_fn(counts.pooled(keys == key), classes)
        out[key] = {"n_files": int((keys == key).sum()), "macro": res["macro"],
                    "micro": res["micro"]}  # fmt: skip
    return out


def seld_results(reference, submission, names, *, thresholds=None, segment_frames=SEGMENT_FRAMES):
    """The DCASE metric sets ``names`` of a DCASE-rows submission.

    Parameters
    ----------
    reference : bindata.score.reference.Reference
    submission : bindata.score.submission.Submission
        Must be DCASE rows (format a); for ``'dcase2024'`` with distances.
    names : sequence of str
        Among ``'dcase2024'``, ``'dcase2023'``.
    thresholds : dict, optional
        ``doa_threshold_deg`` (20), ``rel_distance_threshold`` (1.0), ``distance_threshold_m``
        (None: no limit).
    segment_frames : int, keyword-only
        Frames per DCASE 2023 segment (10 = 1 s).

    Returns
    -------
    dict
        ``{name: {settings, macro, micro, class_wise, folds}}``.

    Raises
    ------
    ConfigError
        A class-activity submission, or ``dcase2024`` without distances.
    """
    names = [n for n in names if n != "paper"]
    if not names:
        return {}
    if submission.kind != "rows":
        raise ConfigError(
            f"metric set(s) {names} need DCASE rows with positions; a class-activity submission "
            "(format b) gives none"
        )
    if "dcase2024" in names and not submission.has_distance:
        raise ConfigError(
            "metric set dcase2024 needs distances; the submission's rows have no distance "
            "column (score it with dcase2023, or add the distance)"
        )
    thr = check_thresholds(thresholds)
    ref_rows = stack_rows(reference.rows)
    pred_rows = submission.rows
    n_classes, classes = _n_classes(reference, ref_rows, pred_rows)
    pairs = match_frames(ref_rows, pred_rows, n_frames=reference.n_frames, n_classes=n_classes)
    n_files, out = len(reference.stems), {}
    if "dcase2024" in names:
        counts = frame_counts(pairs, ref_rows, pred_rows, n_files=n_files, n_classes=n_classes,
                              thresholds=thr)  # fmt: skip
        out["dcase2024"] = {"settings": {"frame_s": LABEL_FRAME_S, **thr},
                            **metrics_2024(counts.pooled(), classes),
                            "folds": _by_fold(counts, reference, metrics_2024, classes)}  # fmt: skip
    if "dcase2023" in names:
        counts = segment_counts(
            pairs, ref_rows, n_files=n_files, n_classes=n_classes,
            doa_threshold_deg=thr["doa_threshold_deg"], segment_frames=segment_frames,
        )  # fmt: skip
        settings = {"frame_s": LABEL_FRAME_S, "segment_s": segment_frames * LABEL_FRAME_S,
                    "doa_threshold_deg": thr["doa_threshold_deg"]}  # fmt: skip
        out["dcase2023"] = {"settings": settings, **metrics_2023(counts.pooled(), classes),
                            "folds": _by_fold(counts, reference, metrics_2023, classes)}  # fmt: skip
    return out
