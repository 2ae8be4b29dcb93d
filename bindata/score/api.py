"""Scoring a submission against a dataset: the library entry point behind ``bindata score``.

For every scored view: 1 s segment-based counts per file (:mod:`bindata.score.metrics`), then
metrics pooled over all files ("overall", class-wise, plane groups such as left/right), per fold,
and the mean over folds (the paper reports F1 "averaged over all cross-validation folds"). The
mean over folds averages each fold's pooled metric, skipping folds where it is undefined.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import __version__
from ..divisions import get_view, load_divisions
from ..errors import ConfigError
from ..scene.labels import LABEL_FRAME_S
from .activity import rows_activity, stack_rows
from .dcase import check_frame_range, check_thresholds, resolve_metrics, seld_results
from .derive import default_views, derivable_views, view_probabilities
from .formats import THRESHOLD
from .intervals import CONFIDENCE, check_ci, jackknife
from .metrics import (
    SegmentCounts,
    class_wise_average,
    class_wise_metrics,
    group_metrics,
    overall_metrics,
    pool_counts,
    segment_counts,
)
from .reference import Reference, fold_keys, load_reference, sorted_fold_keys
from .segments import SEGMENT_S, frames_per_segment, segment_activity
from .submission import Submission, read_submission
from .table import build_table

#: Class pairs reported as one row (the paper's Left/Right, Front/Back, Top/Bottom), and proximity.
PLANE_GROUPS = {
    "left/right": ("left", "right"),
    "front/back": ("front", "back"),
    "top/bottom": ("top", "bottom"),
    "near/far": ("near", "far"),
}

_MEAN_KEYS = ("f_measure", "precision", "recall", "error_rate")


def _mean(values) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def _groups(counts, classes) -> dict:
    out = {}
    for label, pair in PLANE_GROUPS.items():
        if all(c in classes for c in pair):
            out[label] = group_metrics(counts, [classes.index(c) for c in pair])
    return out


def view_result(counts, classes, *, folds, single_label: bool, derivation: str = "") -> dict:
    """All figures of one view from per-file counts.

    Parameters
    ----------
    counts : bindata.score.metrics.SegmentCounts
        Per-file counts (file order as ``folds``).
    classes : sequence of str
    folds : sequence of (int or None), keyword-only
        Fold of each file.
    single_label : bool, keyword-only
    derivation : str, keyword-only
        How the view was obtained from the submission (reported only).

    Returns
    -------
    dict
        ``classes``, ``single_label``, ``derivation``, ``overall``, ``class_wise``,
        ``class_wise_average``, ``groups``, ``folds`` and ``mean_over_folds``.
    """
    classes = list(classes)
    pooled = pool_counts(counts)
    class_wise = class_wise_metrics(pooled, classes)
    keys = np.asarray(fold_keys(folds))
    per_fold = {}
    for key in sorted_fold_keys(keys.tolist()):
        fc = pool_counts(counts, keys == key)
        per_fold[key] = {
            "n_files": int((keys == key).sum()),
            "overall": overall_metrics(fc),
            "groups": _groups(fc, classes),
        }
    mean = {k: _mean(f["overall"][k] for f in per_fold.values()) for k in _MEAN_KEYS}
    mean["groups"] = {
        g: {"f_measure": _mean(f["groups"][g]["f_measure"] for f in per_fold.values())}
        for g in _groups(pooled, classes)
    }
    return {
        "classes": classes,
        "single_label": bool(single_label),
        "derivation": derivation,
        "overall": overall_metrics(pooled),
        "class_wise": class_wise,
        "class_wise_average": class_wise_average(class_wise),
        "groups": _groups(pooled, classes),
        "folds": per_fold,
        "mean_over_folds": mean,
    }


def _files_of(counts: SegmentCounts, files) -> SegmentCounts:
    """The counts of a subset of files (boolean mask or indices)."""
    return SegmentCounts(*(getattr(counts, f)[files] for f in SegmentCounts.__dataclass_fields__))


def view_intervals(counts, classes, *, folds, single_label: bool) -> dict:
    """Jackknife intervals (leave one file out) of every figure of :func:`view_result`.

    The per-fold figures are left out (a fold's interval would need its own leave-one-out).
    """
    folds = np.asarray(folds, dtype=object)

    def figures(files):
        if files is None:
            files = np.ones(len(folds), dtype=bool)
        res = view_result(
            _files_of(counts, files),
            classes,
            folds=folds[files].tolist(),
            single_label=single_label,
        )
        return {k: v for k, v in res.items() if k != "folds"}

    return {"method": "jackknife", "confidence": CONFIDENCE, **jackknife(figures, len(folds))}


def _uses_distance(name: str, derivation, spec) -> bool:
    view = get_view(derivation.base, spec)
    return any("distance_m" in c for c in view.class_constraints())


def _selected_views(submission: Submission, views) -> list[tuple[str, object]]:
    sub_view = submission.view if submission.kind == "activity" else None
    spec = submission.divisions
    available = derivable_views(sub_view, spec)
    names = list(views) if views else default_views(sub_view, spec)
    unknown = [n for n in names if n not in available]
    if unknown:
        given = f"a {sub_view!r} submission" if sub_view else "DCASE rows"
        raise ConfigError(
            f"view(s) {unknown} cannot be scored from {given}; available: {', '.join(available)}"
        )
    if submission.kind == "rows" and not submission.has_distance:
        need = [n for n in names if _uses_distance(n, available[n], spec)]
        if need and views:
            raise ConfigError(f"view(s) {need} use distances, but the submission's rows have none")
        names = [n for n in names if n not in need]
    return [(n, available[n]) for n in dict.fromkeys(names)]


def paper_views(reference: Reference, submission: Submission, views=None, *, ci=None) -> dict:
    """The paper's 1 s segment metrics of every selected view (see :func:`score_submission`)."""
    fps = frames_per_segment(segment_s=SEGMENT_S, frame_s=LABEL_FRAME_S)
    n_frames = reference.n_frames
    ref_rows = stack_rows(reference.rows)
    ref_cache, out = {}, {}
    for name, derivation in _selected_views(submission, views):
        base = get_view(derivation.base, submission.divisions)
        if derivation.base not in ref_cache:
            ref_act = rows_activity(ref_rows, n_frames=n_frames, view=base)
            ref_cache[derivation.base] = segment_activity(ref_act, frames_per_segment=fps)
        est = view_probabilities(submission, derivation, n_frames=n_frames) >= THRESHOLD
        counts = segment_counts(
            ref_cache[derivation.base], segment_activity(est, frames_per_segment=fps)
        )
        out[name] = view_result(
            counts,
            base.classes,
            folds=reference.folds,
            single_label=base.single_label,
            derivation=derivation.how,
        )
        if ci == "jackknife":
            out[name]["ci"] = view_intervals(
                counts, base.classes, folds=reference.folds, single_label=base.single_label
            )
    return out


def score_submission(
    reference: Reference,
    submission: Submission,
    *,
    views=None,
    metrics="paper",
    thresholds=None,
    frame_range="official",
    ci=None,
) -> dict:
    """Score a checked submission.

    Parameters
    ----------
    reference : Reference
    submission : Submission
    views : sequence of str, optional
        Views to score with the paper's metrics (default:
        :func:`bindata.score.derive.default_views`).
    metrics : str or sequence of str
        ``'paper'`` (default), ``'dcase2024'``, ``'dcase2023'`` or ``'all'``
        (:mod:`bindata.score.dcase`).
    thresholds : dict, optional
        DCASE thresholds (:func:`bindata.score.dcase.check_thresholds`).
    frame_range : {'official', 'file'}
        Frames the DCASE metric sets score: those the challenges' evaluation code scores (the
        default: before the reference file's last active frame,
        :func:`bindata.score.seld.evaluated_frames`), or every frame of the file. The paper's
        metrics always score every segment.
    ci : {None, 'jackknife'}
        Add jackknife 95 % intervals (leave one file out, :mod:`bindata.score.intervals`) of
        every figure (``ci`` beside the figures of each view and metric set).

    Returns
    -------
    dict
        Results as described by ``schemas/score.schema.json`` (without ``reference`` and
        ``submission`` paths, which :func:`score_dataset` adds).
    """
    names = resolve_metrics(metrics)
    check_frame_range(frame_range)
    check_ci(ci, len(reference.stems))
    if "paper" in names and not submission.has_elevation:
        raise ConfigError(
            "the paper's metrics need elevations; the submission's DCASE 2025 rows give "
            "azimuth and distance only (score them with dcase2025)"
        )
    seld = seld_results(
        reference, submission, names, thresholds=thresholds, frame_range=frame_range, ci=ci
    )
    results = {
        "tool": "bindata",
        "version": __version__,
        "settings": {
            "segment_s": SEGMENT_S,
            "frame_s": LABEL_FRAME_S,
            "threshold": THRESHOLD,
            "duration_s": reference.duration_s,
        },
        "submission": {
            "format": "dcase_rows" if submission.kind == "rows" else "class_activity",
            "view": submission.view,
            "missing_scored_empty": list(submission.missing),
            "has_distance": bool(submission.has_distance),
        },
        "metrics": names,
        "ci": ci,
        "warnings": list(submission.warnings),
        "n_files": len(reference.stems),
        "folds": sorted_fold_keys(fold_keys(reference.folds)),
    }
    if "paper" in names:
        results["views"] = paper_views(reference, submission, views, ci=ci)
        results["table"] = build_table(results)
    if seld:
        results["seld"] = seld
    return results


def score_dataset(
    ref_dir,
    pred_dir,
    *,
    view=None,
    views=None,
    missing="error",
    folds=None,
    metrics="paper",
    thresholds=None,
    frame_range="official",
    ci=None,
    distance_unit="cm",
    coordinates=None,
    divisions=None,
) -> dict:
    """Check a submission folder completely, then score it against a dataset.

    Parameters
    ----------
    ref_dir : path-like
        Reference dataset (``metadata/``, ``manifest.json``).
    pred_dir : path-like
        Submission folder, one ``<stem>.csv`` per reference file.
    view : str, optional
        View of format-(b) files (else inferred from their header).
    views : sequence of str, optional
        Views to score (default: all the submission gives, or the paper's set for DCASE rows).
    missing : {'error', 'empty'}
        Absent files: a problem (default) or scored as no activity.
    folds : iterable of int, optional
        Score only these folds (their files; other folds' predictions are ignored).
    metrics, thresholds, frame_range, ci
        See :func:`score_submission`.
    distance_unit, coordinates
        See :func:`bindata.score.submission.read_submission`.
    divisions : path-like or dict, optional
        A user's divisions (file or spec; default: the packaged ``metadata/divisions.json``).

    Returns
    -------
    dict
        See :func:`score_submission`; adds ``reference`` and ``prediction`` paths.

    Raises
    ------
    SubmissionError
        The submission has problems (all are listed).
    DatasetError, ConfigError
    """
    names = resolve_metrics(metrics)
    check_thresholds(thresholds)
    check_frame_range(frame_range)
    check_ci(ci)
    spec = (
        divisions if isinstance(divisions, dict) or divisions is None else load_divisions(divisions)
    )
    reference = load_reference(ref_dir, folds=folds)
    submission = read_submission(
        pred_dir,
        reference=reference,
        view=view,
        missing=missing,
        distance_unit=distance_unit,
        coordinates=coordinates,
        divisions=spec,
    )
    results = score_submission(
        reference,
        submission,
        views=views,
        metrics=names,
        thresholds=thresholds,
        frame_range=frame_range,
        ci=ci,
    )
    results["reference"] = str(Path(ref_dir))
    results["prediction"] = str(Path(pred_dir))
    return results
