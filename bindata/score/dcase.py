"""The DCASE metric sets of ``bindata score``: options, checks and results per fold.

``metrics`` names what to compute: ``'paper'`` (the paper's 1 s segment F1 of the direction and
proximity views, :mod:`bindata.score.api`), ``'dcase2024'``, ``'dcase2023'`` and ``'dcase2025'``
(the SELD metrics of :mod:`bindata.score.seld`), or ``'all'``. Every DCASE set scores the frame
range of the official code by default (:func:`bindata.score.seld.evaluated_frames`) and can carry
jackknife intervals (:mod:`bindata.score.intervals`).
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..scene.labels import LABEL_FRAME_S
from .activity import stack_rows
from .intervals import CONFIDENCE, jackknife
from .reference import fold_keys, sorted_fold_keys
from .seld import (
    DOA_THRESHOLD_DEG,
    FOLDED_AZIMUTH,
    FRAME_RANGES,
    REL_DISTANCE_THRESHOLD,
    SEGMENT_FRAMES,
    evaluated_frames,
    frame_counts,
    match_frames,
    metrics_2023,
    metrics_2024,
    metrics_2025,
    rows_before,
    segment_counts,
)

#: Metric sets, in the order they are reported.
METRIC_SETS = ("paper", "dcase2024", "dcase2023", "dcase2025")

#: DCASE metric sets that need distances in the submission.
NEED_DISTANCE = ("dcase2024", "dcase2025")

#: DCASE metric sets that need elevations (all but the stereo 2025 set).
NEED_ELEVATION = ("paper", "dcase2024", "dcase2023")


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


def check_frame_range(frame_range: str) -> str:
    """A frame range must be one of :data:`~bindata.score.seld.FRAME_RANGES`."""
    if frame_range not in FRAME_RANGES:
        raise ConfigError(
            f"frame range must be one of {list(FRAME_RANGES)}, got {frame_range!r}: 'official' "
            "scores the frames the DCASE evaluation code scores, 'file' every frame"
        )
    return frame_range


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
        out[key] = {
            "n_files": int((keys == key).sum()),
            "macro": res["macro"],
            "micro": res["micro"],
        }
    return out


def _figures(counts, metric_fn, classes):
    """``files -> figures`` of a metric set (macro, micro, class-wise) for :func:`jackknife`."""

    def figures(files):
        res = metric_fn(counts.pooled(files), classes)
        return {k: res[k] for k in ("macro", "micro", "class_wise")}

    return figures


def _metric_set(counts, reference, metric_fn, classes, settings, ci) -> dict:
    out = {
        "settings": settings,
        **metric_fn(counts.pooled(), classes),
        "folds": _by_fold(counts, reference, metric_fn, classes),
    }
    if ci == "jackknife":
        intervals = jackknife(_figures(counts, metric_fn, classes), len(reference.stems))
        out["ci"] = {"method": ci, "confidence": CONFIDENCE, **intervals}
    return out


def _check_submission(submission, names) -> None:
    if submission.kind != "rows":
        raise ConfigError(
            f"metric set(s) {names} need DCASE rows with positions; a class-activity submission "
            "(format b) gives none"
        )
    need = [n for n in names if n in NEED_DISTANCE]
    if need and not submission.has_distance:
        raise ConfigError(
            f"metric set(s) {need} need distances; the submission's rows have no distance "
            "column (score it with dcase2023, or add the distance)"
        )
    need = [n for n in names if n in NEED_ELEVATION]
    if need and not submission.has_elevation:
        raise ConfigError(
            f"metric set(s) {need} need elevations; the submission's DCASE 2025 rows give "
            "azimuth and distance only (score them with dcase2025)"
        )


def seld_results(
    reference,
    submission,
    names,
    *,
    thresholds=None,
    segment_frames=SEGMENT_FRAMES,
    frame_range="official",
    ci=None,
):
    """The DCASE metric sets ``names`` of a DCASE-rows submission.

    Parameters
    ----------
    reference : bindata.score.reference.Reference
    submission : bindata.score.submission.Submission
        Must be DCASE rows (format a); for ``'dcase2024'`` and ``'dcase2025'`` with distances.
    names : sequence of str
        Among ``'dcase2024'``, ``'dcase2023'``, ``'dcase2025'``.
    thresholds : dict, optional
        ``doa_threshold_deg`` (20), ``rel_distance_threshold`` (1.0), ``distance_threshold_m``
        (None: no limit).
    segment_frames : int, keyword-only
        Frames per DCASE 2023 segment (10 = 1 s).
    frame_range : {'official', 'file'}, keyword-only
        Frames scored: those the official code scores (default), or every frame
        (:func:`bindata.score.seld.evaluated_frames`).
    ci : {None, 'jackknife'}, keyword-only
        Add jackknife intervals (leave one file out) of every figure, under ``ci``.

    Returns
    -------
    dict
        ``{name: {settings, macro, micro, class_wise, folds[, ci]}}``.

    Raises
    ------
    ConfigError
        A class-activity submission, ``dcase2024``/``dcase2025`` without distances, or
        ``dcase2023``/``dcase2024`` on DCASE 2025 rows (no elevation).
    """
    names = [n for n in names if n != "paper"]
    if not names:
        return {}
    _check_submission(submission, names)
    thr = check_thresholds(thresholds)
    check_frame_range(frame_range)
    ref_rows = stack_rows(reference.rows)
    pred_rows = submission.rows
    n_classes, classes = _n_classes(reference, ref_rows, pred_rows)
    n_files, n_frames, out = len(reference.stems), reference.n_frames, {}

    def within(segment=None):
        limits = evaluated_frames(
            ref_rows, n_frames=n_frames, frame_range=frame_range, segment_frames=segment
        )
        return rows_before(ref_rows, limits), rows_before(pred_rows, limits)

    frame_settings = {"frame_s": LABEL_FRAME_S, "frame_range": frame_range}
    if "dcase2024" in names:
        ref, pred = within()
        pairs = match_frames(ref, pred, n_frames=n_frames, n_classes=n_classes)
        counts = frame_counts(
            pairs, ref, pred, n_files=n_files, n_classes=n_classes, thresholds=thr
        )
        out["dcase2024"] = _metric_set(
            counts, reference, metrics_2024, classes, {**frame_settings, **thr}, ci
        )
    if "dcase2023" in names:
        ref, pred = within(segment_frames)
        pairs = match_frames(ref, pred, n_frames=n_frames, n_classes=n_classes)
        counts = segment_counts(
            pairs,
            ref,
            n_files=n_files,
            n_classes=n_classes,
            doa_threshold_deg=thr["doa_threshold_deg"],
            segment_frames=segment_frames,
        )
        settings = {
            **frame_settings,
            "segment_s": segment_frames * LABEL_FRAME_S,
            "doa_threshold_deg": thr["doa_threshold_deg"],
        }
        out["dcase2023"] = _metric_set(counts, reference, metrics_2023, classes, settings, ci)
    if "dcase2025" in names:
        ref, pred = within()
        pairs = match_frames(
            ref, pred, n_frames=n_frames, n_classes=n_classes, direction=FOLDED_AZIMUTH
        )
        counts = frame_counts(
            pairs, ref, pred, n_files=n_files, n_classes=n_classes, thresholds=thr
        )
        out["dcase2025"] = _metric_set(
            counts, reference, metrics_2025, classes, {**frame_settings, **thr}, ci
        )
    return out
