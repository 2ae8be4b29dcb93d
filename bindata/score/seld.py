"""DCASE Task 3 SELD metrics: location-aware detection and class-aware localization.

Definitions of the DCASE 2024 Task 3 challenge ("Evaluation" on the task page,
https://dcase.community/challenge2024/task-audio-and-audiovisual-sound-event-localization-and-detection-with-source-distance-estimation)
and its baseline's ``SELD_evaluation_metrics.py``, after Mesaros et al., "Joint measurement of
localization and detection of sound events", WASPAA 2019, and Politis et al., IEEE/ACM TASLP 29
(2021) for several instances of one class. Written here from those definitions.

**Matching.** In every 100 ms frame and for every class ``c`` with ``R`` reference and ``P``
predicted sources, the predictions are assigned to the references by the Hungarian algorithm
(:func:`scipy.optimize.linear_sum_assignment`) minimising the angle between their directions
(source indices play no part). ``K = min(R, P)`` pairs are matched; ``L`` of them fail, that is
their angle exceeds ``doa_threshold_deg`` (20) or their relative distance error
``|d_pred - d_ref| / d_ref`` exceeds ``rel_distance_threshold`` (1.0) or their absolute distance
error exceeds ``distance_threshold_m`` (none).

**DCASE 2024 (frame-wise, with distance).** Per class, summed over frames and files:
``TP = K - L``, ``FP_spatial = L``, ``FP = max(0, P - R)``, ``FN = max(0, R - P)``;

- location-aware F-score ``F_c = TP / (TP + FP_spatial + (FP + FN) / 2)``;
- DOA error ``DOAE_c`` and distance errors ``DE_c`` (m), ``RDE_c`` = means over the ``K`` matched
  pairs; localization recall ``LR_c = K / (K + FN)``;
- SELD score ``(1 - F + DOAE / 180 + RDE) / 3`` (the baseline's early-stopping metric);
- **macro**: ``F`` is the mean of ``F_c`` over *all* classes -- a class with neither reference
  nor prediction has ``F_c = 0`` (the baseline's ``TP / (eps + ...)``) and lowers it; ``DOAE``,
  ``RDE`` and the SELD score are means over the classes whose ``F_c`` rounded to two decimals is
  non-zero (and, for the errors, that have matched pairs), as in the baseline;
- **micro**: the same formulas on the counts pooled over classes.

**DCASE 2023 (1 s segments, no distance).** Frames are grouped into segments of
``segment_frames`` (10). Per segment and class, ``N_ref`` and ``N_pred`` are the largest number of
simultaneous reference and predicted sources in a frame. Matched pairs of the segment's frames are
grouped by the reference source index (the track); a track's DOA error is the mean angle of its
pairs; it is a true positive when that mean is <= the threshold, else a spatial false positive.
``N_pred - N_ref`` more predictions are false positives, ``N_ref - N_pred`` more references false
negatives; a class present on both sides without a frame in common counts ``N_pred`` false
negatives (as the baseline). ``LE`` is 180 where no track is matched. ``ER = (S + D + I) / N``
from the per-segment sums of false positives and negatives; SELD score
``(ER + 1 - F + LE / 180 + 1 - LR) / 4``; macro averages are over all classes.

**DCASE 2025 (stereo, frame-wise, azimuth only).** The 2025 baseline's ``metrics.py`` and
``utils.py`` (``partha2409/DCASE2025_seld_baseline``): the 2024 counts, but directions are
azimuths folded onto the front half-plane, [-90, 90] (a stereo pair cannot tell front from back;
elevation is ignored), matched by the Hungarian algorithm on ``|fold(az_ref) - fold(az_pred)|``
(:data:`FOLDED_AZIMUTH`), with the same thresholds (20 degrees, relative distance 1.0, no
absolute distance limit). Macro F is the mean over all classes; the errors are means over the
classes with matched pairs (:func:`metrics_2025`). ``onscreen`` is not scored (audio-only).

**Frame range.** By default every set scores the frames the official code scores
(:func:`evaluated_frames`, ``'official'``): frames before the reference file's last active frame
(2024, 2025), or the whole segments before it (2023). ``'file'`` scores every frame.

Counts are kept per file and class, so any set of files (a fold, all but one file for a jackknife
interval) is scored by summing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..geometry import fold_azimuth_front, spherical_to_cartesian
from .activity import StackedRows, take_rows

#: Machine epsilon used in the baseline's denominators.
EPS = float(np.finfo(float).eps)

#: Defaults of the DCASE 2024 Task 3 evaluation.
DOA_THRESHOLD_DEG = 20.0
REL_DISTANCE_THRESHOLD = 1.0
SEGMENT_FRAMES = 10

#: Frame ranges: ``'official'`` (what the challenges' evaluation code scores, see
#: :func:`evaluated_frames`) and ``'file'`` (every frame of the file).
FRAME_RANGES = ("official", "file")


@dataclass(frozen=True)
class Pairs:
    """Frame-wise matched reference/prediction pairs and per-(file, frame, class) counts.

    Attributes
    ----------
    key_file, key_frame, key_class, n_ref, n_pred : numpy.ndarray of int64
        Every (file, frame, class) with a reference or a prediction, and its source counts.
    pair_key : numpy.ndarray of int64
        Index into the key arrays of each matched pair.
    ref_index, pred_index : numpy.ndarray of int64
        Row of the reference and of the prediction in their stacked rows.
    angle_deg : numpy.ndarray of float
        Angle between the pair's directions.
    """

    key_file: np.ndarray
    key_frame: np.ndarray
    key_class: np.ndarray
    n_ref: np.ndarray
    n_pred: np.ndarray
    pair_key: np.ndarray
    ref_index: np.ndarray
    pred_index: np.ndarray
    angle_deg: np.ndarray


def unit_vectors(rows: StackedRows) -> np.ndarray:
    """(n, 3) unit direction vectors of stacked rows."""
    return spherical_to_cartesian(rows.azimuth_deg, rows.elevation_deg, 1.0).reshape(-1, 3)


def angle_between_deg(u, v) -> np.ndarray:
    """Angle in degrees between unit vectors ``u`` and ``v`` (broadcast over leading axes)."""
    dot = np.clip(np.sum(np.asarray(u) * np.asarray(v), axis=-1), -1.0, 1.0)
    return np.degrees(np.arccos(dot))


def folded_azimuths(rows: StackedRows) -> np.ndarray:
    """(n, 1) azimuths folded onto the front half-plane (:func:`~bindata.geometry.fold_azimuth_front`)."""
    return fold_azimuth_front(rows.azimuth_deg).reshape(-1, 1)


def azimuth_difference_deg(u, v) -> np.ndarray:
    """Absolute difference of folded azimuths ``u``, ``v`` (shape (..., 1)), in degrees."""
    return np.abs(np.asarray(u)[..., 0] - np.asarray(v)[..., 0])


@dataclass(frozen=True)
class DirectionError:
    """How the direction error of a reference/prediction pair is measured.

    Attributes
    ----------
    points : callable
        ``StackedRows -> (n, k) array`` of the rows' directions.
    between : callable
        ``(u, v) -> array`` of the errors (degrees) between direction arrays (broadcast).
    """

    points: Callable[[StackedRows], np.ndarray]
    between: Callable[[np.ndarray, np.ndarray], np.ndarray]


#: The angle on the sphere between the two directions (DCASE 2023 and 2024).
SPHERICAL_ANGLE = DirectionError(points=unit_vectors, between=angle_between_deg)

#: The difference of the azimuths folded into [-90, 90] (DCASE 2025 stereo:
#: ``least_distance_between_gt_pred`` of its baseline's ``utils.py``).
FOLDED_AZIMUTH = DirectionError(points=folded_azimuths, between=azimuth_difference_deg)


def last_reference_frames(ref: StackedRows) -> np.ndarray:
    """Per file, the largest frame index of its reference rows (0 for a file without rows)."""
    last = np.zeros(ref.n_files, dtype=np.int64)
    np.maximum.at(last, ref.file, ref.frame)
    return last


def evaluated_frames(
    ref: StackedRows,
    *,
    n_frames: int,
    frame_range: str = "official",
    segment_frames: int | None = None,
) -> np.ndarray:
    """Per file, the number of leading frames a DCASE metric set scores.

    ``'file'``: every frame, ``n_frames``. ``'official'``: the frames the challenges'
    evaluation code scores. The DCASE 2024 and 2025 baselines (``ComputeSELDResults``) set
    ``nb_ref_frames`` to the *largest frame index* of the reference file and then loop over
    ``range(0, nb_ref_frames)``: the reference's last active frame and every frame after it
    (predictions included) are not scored. The DCASE 2023 baseline passes the same number to
    ``segment_labels``, which groups ``range(0, nb_ref_frames)`` into whole segments of
    ``segment_frames``: frames before ``ceil(last / segment_frames) * segment_frames`` are scored.
    A file without reference rows scores no frame (the 2025 code's rule; the 2023/2024 code
    fails on such a file).

    Parameters
    ----------
    ref : StackedRows
        Reference rows of all files.
    n_frames : int, keyword-only
        Label frames per file.
    frame_range : {'official', 'file'}, keyword-only
    segment_frames : int, optional, keyword-only
        Segment length of a segment-based metric set (DCASE 2023); None for frame-wise sets.

    Returns
    -------
    numpy.ndarray of int64, shape (n_files,)

    Examples
    --------
    A file whose last reference row is in frame 42 (and one without rows):

    >>> from bindata.score.activity import stack_rows
    >>> ref = stack_rows([[(0, 0, 0, 30, 0, 200), (42, 0, 0, 30, 0, 200)], []])
    >>> evaluated_frames(ref, n_frames=150).tolist()
    [42, 0]
    >>> evaluated_frames(ref, n_frames=150, segment_frames=10).tolist()
    [50, 0]
    >>> evaluated_frames(ref, n_frames=150, frame_range="file").tolist()
    [150, 150]
    """
    if frame_range == "file":
        return np.full(ref.n_files, n_frames, dtype=np.int64)
    if frame_range != "official":
        raise ValueError(f"frame range must be one of {FRAME_RANGES}, got {frame_range!r}")
    last = last_reference_frames(ref)
    if segment_frames:
        last = -(-last // segment_frames) * segment_frames
    return np.minimum(last, n_frames)


def rows_before(rows: StackedRows, limits: np.ndarray) -> StackedRows:
    """The rows whose frame is below their file's limit (:func:`evaluated_frames`)."""
    return take_rows(rows, rows.frame < np.asarray(limits)[rows.file])


def _keys(rows: StackedRows, n_frames: int, n_classes: int) -> np.ndarray:
    return (rows.file * n_frames + rows.frame) * n_classes + rows.event_class


def _hungarian_pairs(groups, ref_vec, pred_vec, between):
    """Pairs of the (key, ref rows, pred rows) groups with several sources on a side."""
    out = ([], [], [], [])
    for k, r_idx, p_idx in groups:
        cost = between(ref_vec[r_idx][:, None, :], pred_vec[p_idx][None, :, :])
        rows, cols = linear_sum_assignment(cost)
        out[0].extend([k] * len(rows))
        out[1].extend(r_idx[rows])
        out[2].extend(p_idx[cols])
        out[3].extend(cost[rows, cols])
    return out


def match_frames(
    ref: StackedRows,
    pred: StackedRows,
    *,
    n_frames: int,
    n_classes: int,
    direction: DirectionError = SPHERICAL_ANGLE,
) -> Pairs:
    """Hungarian assignment of predictions to references per file, frame and class.

    Parameters
    ----------
    ref, pred : StackedRows
        Reference and predicted rows (same file order).
    n_frames, n_classes : int, keyword-only
        Label frames per file and number of event classes.
    direction : DirectionError, keyword-only
        The direction error minimised by the assignment and reported for the pairs
        (:data:`SPHERICAL_ANGLE`, or :data:`FOLDED_AZIMUTH` for DCASE 2025).

    Returns
    -------
    Pairs
    """
    rk, pk = _keys(ref, n_frames, n_classes), _keys(pred, n_frames, n_classes)
    keys, inverse = np.unique(np.concatenate([rk, pk]), return_inverse=True)
    r_key, p_key = inverse[: len(rk)], inverse[len(rk) :]
    n_ref = np.bincount(r_key, minlength=len(keys)).astype(np.int64)
    n_pred = np.bincount(p_key, minlength=len(keys)).astype(np.int64)
    ref_vec, pred_vec = direction.points(ref), direction.points(pred)
    r_order, p_order = np.argsort(r_key, kind="stable"), np.argsort(p_key, kind="stable")
    r_start = np.concatenate([[0], np.cumsum(n_ref)])
    p_start = np.concatenate([[0], np.cumsum(n_pred)])
    single = np.nonzero((n_ref == 1) & (n_pred == 1))[0]
    r1, p1 = r_order[r_start[single]], p_order[p_start[single]]
    multi = np.nonzero((n_ref > 0) & (n_pred > 0) & ((n_ref > 1) | (n_pred > 1)))[0]
    groups = (
        (k, r_order[r_start[k] : r_start[k + 1]], p_order[p_start[k] : p_start[k + 1]])
        for k in multi
    )
    mk, mr, mp, ma = _hungarian_pairs(groups, ref_vec, pred_vec, direction.between)
    frame_of = keys // n_classes
    return Pairs(
        key_file=frame_of // n_frames,
        key_frame=frame_of % n_frames,
        key_class=keys % n_classes,
        n_ref=n_ref,
        n_pred=n_pred,
        pair_key=np.concatenate([single, np.asarray(mk, dtype=np.int64)]),
        ref_index=np.concatenate([r1, np.asarray(mr, dtype=np.int64)]),
        pred_index=np.concatenate([p1, np.asarray(mp, dtype=np.int64)]),
        angle_deg=np.concatenate([direction.between(ref_vec[r1], pred_vec[p1]), ma]),
    )


@dataclass(frozen=True)
class SeldCounts:
    """SELD counts per file and class (arrays (n_files, n_classes)); ``s, d, i`` per file.

    ``tp``, ``fp`` (surplus predictions), ``fp_spatial`` (matched but failing a threshold),
    ``fn``; ``de_tp`` (matched pairs or tracks), ``de_fn``; sums of DOA error (degrees),
    distance error (m) and relative distance error over them; ``n_ref``.
    """

    tp: np.ndarray
    fp: np.ndarray
    fp_spatial: np.ndarray
    fn: np.ndarray
    de_tp: np.ndarray
    de_fn: np.ndarray
    sum_doa_deg: np.ndarray
    sum_dist_m: np.ndarray
    sum_rel_dist: np.ndarray
    n_ref: np.ndarray
    s: np.ndarray
    d: np.ndarray
    i: np.ndarray

    def pooled(self, files=None) -> SeldCounts:
        """Counts summed over ``files`` (index or mask; all when None), kept 2-D."""
        sel = slice(None) if files is None else np.asarray(files)
        return SeldCounts(
            **{f.name: getattr(self, f.name)[sel].sum(axis=0, keepdims=True) for f in fields(self)}
        )


def _per_file_class(index, values, n_files, n_classes) -> np.ndarray:
    out = np.bincount(index, weights=values, minlength=n_files * n_classes)
    return out.reshape(n_files, n_classes)


def _sdi(file_of, loc_fp, loc_fn, n_files):
    """Substitutions, deletions, insertions per file from per-frame (or segment) FP and FN."""
    s = np.bincount(file_of, np.minimum(loc_fp, loc_fn), minlength=n_files)
    d = np.bincount(file_of, np.maximum(0, loc_fn - loc_fp), minlength=n_files)
    i = np.bincount(file_of, np.maximum(0, loc_fp - loc_fn), minlength=n_files)
    return s, d, i


def frame_counts(pairs: Pairs, ref, pred, *, n_files, n_classes, thresholds) -> SeldCounts:
    """DCASE 2024 counts (frame-wise, distance-aware) from matched pairs.

    ``thresholds`` holds ``doa_threshold_deg``, ``rel_distance_threshold`` and
    ``distance_threshold_m`` (None for no limit).
    """
    d_ref = ref.distance_m[pairs.ref_index]
    dist_err = np.abs(pred.distance_m[pairs.pred_index] - d_ref)
    rel_err = dist_err / (d_ref + EPS)
    fail = pairs.angle_deg > thresholds["doa_threshold_deg"]
    for key, err in (("rel_distance_threshold", rel_err), ("distance_threshold_m", dist_err)):
        if thresholds.get(key) is not None:
            fail |= err > thresholds[key]
    idx = pairs.key_file * n_classes + pairs.key_class
    n_fail = np.bincount(pairs.pair_key, fail.astype(float), minlength=len(idx))
    k = np.minimum(pairs.n_ref, pairs.n_pred)
    fp = np.maximum(0, pairs.n_pred - pairs.n_ref)
    fn = np.maximum(0, pairs.n_ref - pairs.n_pred)
    pair_idx = idx[pairs.pair_key]

    def per(values, index=idx):
        return _per_file_class(index, values, n_files, n_classes)

    frame_id = pairs.key_file * (int(pairs.key_frame.max(initial=0)) + 1) + pairs.key_frame
    _, frame_inv = np.unique(frame_id, return_inverse=True)
    loc_fp = np.bincount(frame_inv, fp + n_fail)
    loc_fn = np.bincount(frame_inv, fn)
    frame_file = np.zeros(len(loc_fp), dtype=np.int64)
    frame_file[frame_inv] = pairs.key_file
    s, d, i = _sdi(frame_file, loc_fp, loc_fn, n_files)
    return SeldCounts(
        tp=per(k - n_fail),
        fp=per(fp),
        fp_spatial=per(n_fail),
        fn=per(fn),
        de_tp=per(k),
        de_fn=per(fn),
        sum_doa_deg=per(pairs.angle_deg, pair_idx),
        sum_dist_m=per(dist_err, pair_idx),
        sum_rel_dist=per(rel_err, pair_idx),
        n_ref=per(pairs.n_ref),
        s=s,
        d=d,
        i=i,
    )


def _segment_groups(pairs: Pairs, n_classes: int, segment_frames: int):
    """Segment group of every key, and each group's largest reference/prediction counts."""
    n_blocks = int(pairs.key_frame.max(initial=0)) // segment_frames + 1
    seg = (pairs.key_file * n_blocks + pairs.key_frame // segment_frames) * n_classes
    groups, g_of_key = np.unique(seg + pairs.key_class, return_inverse=True)
    nb_ref = np.zeros(len(groups), dtype=np.int64)
    nb_pred = np.zeros(len(groups), dtype=np.int64)
    np.maximum.at(nb_ref, g_of_key, pairs.n_ref)
    np.maximum.at(nb_pred, g_of_key, pairs.n_pred)
    return groups, g_of_key, nb_ref, nb_pred, n_blocks


def _tracks(pairs: Pairs, ref: StackedRows, g_of_key, n_groups: int, threshold: float):
    """Per segment group: matched tracks (by reference source), true positives, sum of DOA errors."""
    g_pair = g_of_key[pairs.pair_key]
    track = g_pair * (int(ref.source.max(initial=0)) + 1) + ref.source[pairs.ref_index]
    tracks, t_inv = np.unique(track, return_inverse=True)
    mean = np.bincount(t_inv, pairs.angle_deg) / np.bincount(t_inv)
    t_group = np.zeros(len(tracks), dtype=np.int64)
    t_group[t_inv] = g_pair
    n_tracks = np.bincount(t_group, minlength=n_groups)
    tp = np.bincount(t_group, (mean <= threshold).astype(float), minlength=n_groups)
    return n_tracks, tp, np.bincount(t_group, mean, minlength=n_groups)


def segment_counts(pairs: Pairs, ref, *, n_files, n_classes, doa_threshold_deg, segment_frames):
    """DCASE 2023 counts (1 s segments, tracks by reference source index, no distance)."""
    groups, g_of_key, nb_ref, nb_pred, n_blocks = _segment_groups(pairs, n_classes, segment_frames)
    n_tracks, tp, sum_le = _tracks(pairs, ref, g_of_key, len(groups), doa_threshold_deg)
    both = (nb_ref > 0) & (nb_pred > 0)
    matched = both & (n_tracks > 0)
    unmatched = both & (n_tracks == 0)
    extra = np.where(matched, nb_pred - nb_ref, 0)
    fp = np.where(nb_ref == 0, nb_pred, np.maximum(0, extra))
    fn = np.where(nb_pred == 0, nb_ref, np.maximum(0, -extra)) + np.where(unmatched, nb_pred, 0)
    fp_spatial = np.where(matched, n_tracks - tp, 0)
    g_file = groups // n_classes // n_blocks
    idx = g_file * n_classes + groups % n_classes

    def per(values):
        return _per_file_class(idx, np.asarray(values, dtype=float), n_files, n_classes)

    seg_id, seg_inv = np.unique(groups // n_classes, return_inverse=True)
    loc_fp = np.bincount(seg_inv, fp + fp_spatial)
    loc_fn = np.bincount(seg_inv, fn)
    s, d, i = _sdi(seg_id // n_blocks, loc_fp, loc_fn, n_files)
    zeros = per(np.zeros(len(groups)))
    return SeldCounts(
        tp=per(np.where(matched, tp, 0)),
        fp=per(fp),
        fp_spatial=per(fp_spatial),
        fn=per(fn),
        de_tp=per(np.where(matched, n_tracks, 0)),
        de_fn=per(fn),
        sum_doa_deg=per(np.where(matched, sum_le, 0)),
        sum_dist_m=zeros,
        sum_rel_dist=zeros,
        n_ref=per(nb_ref),
        s=s,
        d=d,
        i=i,
    )


def _f_score(c: SeldCounts, axis=None):
    tp, fps = c.tp.sum(axis=axis), c.fp_spatial.sum(axis=axis)
    return tp / (EPS + tp + fps + 0.5 * (c.fp.sum(axis=axis) + c.fn.sum(axis=axis)))


def _mean_error(total, n):
    total, n = np.asarray(total, dtype=float), np.asarray(n, dtype=float)
    return np.where(n > 0, total / np.where(n > 0, n, 1.0), np.nan)


def _error_rate(c: SeldCounts) -> float:
    return float((c.s.sum() + c.d.sum() + c.i.sum()) / (c.n_ref.sum() + EPS))


def _class_figures(c: SeldCounts, axis):
    """F, DOAE, DE, RDE and LR per class (axis=0) or pooled (axis=None)."""
    de_tp = c.de_tp.sum(axis=axis)
    return {
        "f_score": _f_score(c, axis),
        "doa_error_deg": _mean_error(c.sum_doa_deg.sum(axis=axis), de_tp),
        "distance_error_m": _mean_error(c.sum_dist_m.sum(axis=axis), de_tp),
        "rel_distance_error": _mean_error(c.sum_rel_dist.sum(axis=axis), de_tp),
        "localization_recall": de_tp / (EPS + de_tp + c.de_fn.sum(axis=axis)),
    }


def _nanmean(values):
    values = np.asarray(values, dtype=float)
    ok = ~np.isnan(values)
    return float(values[ok].mean()) if ok.any() else float("nan")


def _seld_2024(f, doae, rde):
    return np.array(
        [
            _nanmean([1 - a, b / 180, c])
            for a, b, c in zip(
                np.atleast_1d(f), np.atleast_1d(doae), np.atleast_1d(rde), strict=True
            )
        ]
    )


def _seld_2023(er, f, le, lr):
    return (er + (1 - f) + le / 180 + (1 - lr)) / 4


def _clean(d: dict) -> dict:
    """Floats for JSON: NaN becomes None."""
    out = {}
    for k, v in d.items():
        v = float(v)
        out[k] = None if np.isnan(v) else v
    return out


def _counts_dict(c: SeldCounts, k=None) -> dict:
    names = ("tp", "fp", "fp_spatial", "fn", "n_ref")
    if k is None:
        return {n: int(round(getattr(c, n).sum())) for n in names}
    return {n: int(round(getattr(c, n)[:, k].sum())) for n in names}


def metrics_2024(c: SeldCounts, classes) -> dict:
    """DCASE 2024 figures (macro, micro, class-wise) of pooled counts; see the module docstring."""
    per = _class_figures(c, axis=0)
    per["seld_score"] = _seld_2024(per["f_score"], per["doa_error_deg"], per["rel_distance_error"])
    scored = np.round(per["f_score"], 2) != 0
    macro = {"f_score": float(per["f_score"].mean())}
    for key in ("doa_error_deg", "distance_error_m", "rel_distance_error"):
        macro[key] = _nanmean(per[key][scored])
    macro["localization_recall"] = (
        float(per["localization_recall"][scored].mean()) if scored.any() else np.nan
    )
    macro["seld_score"] = float(per["seld_score"][scored].mean()) if scored.any() else np.nan
    micro = {k: float(v) for k, v in _class_figures(c, axis=None).items()}
    micro["seld_score"] = float(
        _seld_2024(micro["f_score"], micro["doa_error_deg"], micro["rel_distance_error"])[0]
    )
    er = _error_rate(c)
    class_wise = {
        str(name): {**_clean({k: v[j] for k, v in per.items()}), **_counts_dict(c, j)}
        for j, name in enumerate(classes)
    }
    return {
        "macro": {**_clean(macro), "error_rate": er},
        "micro": {**_clean(micro), "error_rate": er, **_counts_dict(c)},
        "class_wise": class_wise,
    }


def metrics_2025(c: SeldCounts, classes) -> dict:
    """DCASE 2025 stereo figures (macro, micro, class-wise) of pooled counts.

    The 2025 baseline's ``SELDMetrics.compute_seld_scores``: location-aware F-score, azimuth
    error (folded azimuths), distance and relative distance error over matched pairs. Macro: F
    is the mean over *all* classes (a class with neither reference nor prediction counts 0);
    each error is the mean over the classes with matched pairs. No SELD score or error rate
    (the 2025 code computes none).
    """
    per = _class_figures(c, axis=0)
    keys = {
        "doa_error_deg": "azimuth_error_deg",
        "distance_error_m": "distance_error_m",
        "rel_distance_error": "rel_distance_error",
    }
    macro = {"f_score": float(per["f_score"].mean())}
    macro.update({new: _nanmean(per[old]) for old, new in keys.items()})
    pooled = _class_figures(c, axis=None)
    micro = {"f_score": float(pooled["f_score"])}
    micro.update({new: float(pooled[old]) for old, new in keys.items()})
    class_wise = {
        str(name): {
            **_clean(
                {"f_score": per["f_score"][j], **{new: per[old][j] for old, new in keys.items()}}
            ),
            **_counts_dict(c, j),
        }
        for j, name in enumerate(classes)
    }
    return {
        "macro": _clean(macro),
        "micro": {**_clean(micro), **_counts_dict(c)},
        "class_wise": class_wise,
    }


def metrics_2023(c: SeldCounts, classes) -> dict:
    """DCASE 2023 figures (macro, micro, class-wise) of pooled segment counts."""
    er = _error_rate(c)
    per = _class_figures(c, axis=0)
    le = np.where(np.isnan(per["doa_error_deg"]), 180.0, per["doa_error_deg"])
    per_seld = _seld_2023(er, per["f_score"], le, per["localization_recall"])
    mic = _class_figures(c, axis=None)
    mic_le = 180.0 if np.isnan(mic["doa_error_deg"]) else float(mic["doa_error_deg"])
    micro = {
        "error_rate": er,
        "f_score": float(mic["f_score"]),
        "doa_error_deg": mic_le,
        "localization_recall": float(mic["localization_recall"]),
    }
    micro["seld_score"] = _seld_2023(er, micro["f_score"], mic_le, micro["localization_recall"])
    macro = {
        "error_rate": er,
        "f_score": float(per["f_score"].mean()),
        "doa_error_deg": float(le.mean()),
        "localization_recall": float(per["localization_recall"].mean()),
        "seld_score": float(per_seld.mean()),
    }
    class_wise = {
        str(name): {
            **_clean(
                {
                    "f_score": per["f_score"][j],
                    "doa_error_deg": le[j],
                    "localization_recall": per["localization_recall"][j],
                    "seld_score": per_seld[j],
                }
            ),
            **_counts_dict(c, j),
        }
        for j, name in enumerate(classes)
    }
    return {
        "macro": _clean(macro),
        "micro": {**_clean(micro), **_counts_dict(c)},
        "class_wise": class_wise,
    }
