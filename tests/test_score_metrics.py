"""Segment-based metrics: hand-computed cases and sed_eval 0.2.1 itself as the reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bindata.score.metrics import (
    class_wise_average,
    class_wise_metrics,
    overall_metrics,
    pool_counts,
    prf,
    segment_counts,
)
from bindata.score.segments import frames_per_segment, n_segments, segment_activity
from tests.peers.score import activity_to_events, sed_eval_segment_metrics

CLASSES = ["a", "b", "c", "d"]


def ours(ref_frames, est_frames):
    counts = segment_counts(segment_activity(ref_frames), segment_activity(est_frames))
    pooled = pool_counts(counts)
    return overall_metrics(pooled), class_wise_metrics(pooled, CLASSES[: ref_frames.shape[-1]])


def same(ours_value, theirs_value):
    """Equal as sed_eval gives it; sed_eval's NaN is our None."""
    if ours_value is None:
        return theirs_value is None or math.isnan(theirs_value)
    return theirs_value == pytest.approx(ours_value, abs=1e-12)


def assert_matches_sed_eval(ref, est, duration_s):
    classes = CLASSES[: ref.shape[-1]]
    overall, class_wise = ours(ref, est)
    peer = sed_eval_segment_metrics(ref, est, classes, duration_s=duration_s)
    f = peer.overall_f_measure()
    e = peer.overall_error_rate()
    assert same(overall["f_measure"], f["f_measure"])
    assert same(overall["precision"], f["precision"])
    assert same(overall["recall"], f["recall"])
    if overall["n_ref"] > 0:  # sed_eval divides by Nref + eps: ER is only defined with references
        assert same(overall["error_rate"], e["error_rate"])
        for key in ("substitution_rate", "deletion_rate", "insertion_rate"):
            assert same(overall[key], e[key])
    for ours_key, key in (("tp", "Ntp"), ("fp", "Nfp"), ("fn", "Nfn"), ("tn", "Ntn")):
        assert overall[ours_key] == peer.overall[key]
    assert (overall["substitutions"], overall["deletions"], overall["insertions"]) == (
        peer.overall["S"],
        peer.overall["D"],
        peer.overall["I"],
    )
    for c in classes:
        cf = peer.class_wise_f_measure(c)
        assert same(class_wise[c]["f_measure"], cf["f_measure"])
        assert same(class_wise[c]["precision"], cf["precision"])
        assert same(class_wise[c]["recall"], cf["recall"])
        if class_wise[c]["n_ref"] > 0:
            assert same(class_wise[c]["error_rate"], peer.class_wise_error_rate(c)["error_rate"])
    avg = peer.results_class_wise_average_metrics()
    assert same(class_wise_average(class_wise)["f_measure"], avg["f_measure"]["f_measure"])
    return overall


def runs_activity(rng, n_files, n_frames, n_classes, *, mean_runs, max_len):
    act = np.zeros((n_files, n_frames, n_classes), dtype=bool)
    for f in range(n_files):
        for c in range(n_classes):
            for _ in range(rng.poisson(mean_runs)):
                a = rng.integers(0, n_frames)
                act[f, a : a + rng.integers(1, max_len + 1), c] = True
    return act


# --- segments -----------------------------------------------------------------------------------


def test_frames_per_segment_is_ten_for_one_second_segments_of_100ms_frames():
    assert frames_per_segment(segment_s=1.0, frame_s=0.1) == 10
    with pytest.raises(ValueError, match="whole number"):
        frames_per_segment(segment_s=1.0, frame_s=0.3)


def test_segment_is_active_when_any_of_its_frames_is_active():
    act = np.zeros((150, 2), dtype=bool)
    act[9, 0] = True  # last frame of segment 0
    act[10, 0] = True  # first frame of segment 1
    act[149, 1] = True  # last frame of the file -> segment 14
    seg = segment_activity(act)
    assert seg.shape == (15, 2)
    assert np.nonzero(seg[:, 0])[0].tolist() == [0, 1]
    assert np.nonzero(seg[:, 1])[0].tolist() == [14]


def test_partial_last_segment_counts_as_a_segment():
    assert n_segments(155) == 16 and n_segments(150) == 15 and n_segments(1) == 1
    act = np.zeros((3, 155, 1), dtype=bool)
    act[1, 152, 0] = True
    seg = segment_activity(act)
    assert seg.shape == (3, 16, 1) and seg[1, 15, 0] and seg.sum() == 1


# --- hand-computed counts ----------------------------------------------------------------------


def test_counts_and_metrics_by_hand():
    # 3 segments x 3 classes (reference / system):
    # seg0: ref {a, b}   sys {a}      -> TP 1, FN 1          S 0, D 1, I 0
    # seg1: ref {c}      sys {a, b}   -> FP 2, FN 1          S 1, D 0, I 1
    # seg2: ref {}       sys {c}      -> FP 1                S 0, D 0, I 1
    ref = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)
    est = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]], dtype=bool)
    m = overall_metrics(segment_counts(ref, est))
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (1, 3, 2, 3)
    assert (m["substitutions"], m["deletions"], m["insertions"]) == (1, 1, 2)
    assert m["precision"] == pytest.approx(1 / 4)
    assert m["recall"] == pytest.approx(1 / 3)
    assert m["f_measure"] == pytest.approx(2 / (2 + 3 + 2))
    assert m["error_rate"] == pytest.approx(4 / 3)


def test_undefined_values_follow_zero_score_convention():
    assert prf(0, 0, 5) == {"f_measure": 0.0, "precision": 0.0, "recall": 0.0}
    assert prf(0, 3, 0) == {"f_measure": None, "precision": 0.0, "recall": None}
    assert prf(0, 0, 0)["f_measure"] is None
    assert prf(2, 2, 0)["f_measure"] == pytest.approx(2 / 3)


# --- sed_eval 0.2.1 as the peer ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_random_runs_match_sed_eval(seed):
    rng = np.random.default_rng(seed)
    n_classes = int(rng.integers(1, 5))
    ref = runs_activity(rng, 4, 150, n_classes, mean_runs=2, max_len=40)
    est = runs_activity(rng, 4, 150, n_classes, mean_runs=2, max_len=40)
    overall = assert_matches_sed_eval(ref, est, 15.0)
    assert overall["n_ref"] > 0 and overall["n_sys"] > 0


@pytest.mark.parametrize("seed", range(3))
def test_random_frames_match_sed_eval(seed):
    rng = np.random.default_rng(100 + seed)
    ref = rng.random((3, 150, 4)) < 0.05
    est = rng.random((3, 150, 4)) < 0.05
    assert_matches_sed_eval(ref, est, 15.0)


def test_perturbed_reference_matches_sed_eval():
    rng = np.random.default_rng(7)
    ref = runs_activity(rng, 5, 150, 3, mean_runs=2, max_len=50)
    est = np.roll(ref, 4, axis=1) ^ (rng.random(ref.shape) < 0.02)
    assert_matches_sed_eval(ref, est, 15.0)


def edge_cases():
    z = np.zeros((2, 150, 3), dtype=bool)
    full = np.ones((2, 150, 3), dtype=bool)
    boundary = z.copy()
    boundary[0, 9:11, 0] = True  # frames 9 and 10: crosses the 1 s boundary
    boundary[1, 10:20, 1] = True  # exactly segment 1
    boundary[1, 149, 2] = True  # last frame
    single = z.copy()
    single[:, ::37, :] = True
    yield "empty system", full, z
    yield "empty reference", z, full
    yield "both empty", z, z
    yield "perfect", boundary, boundary
    yield "boundaries vs shifted", boundary, np.roll(boundary, 1, axis=1)
    yield "single frames vs all", single, full
    yield "one class swapped", boundary, boundary[..., ::-1]


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")  # sed_eval's nanmean
@pytest.mark.parametrize("name,ref,est", list(edge_cases()), ids=[c[0] for c in edge_cases()])
def test_edge_cases_match_sed_eval(name, ref, est):
    overall = assert_matches_sed_eval(ref, est, 15.0)
    if name == "empty system":
        assert overall["f_measure"] == 0.0 and overall["recall"] == 0.0
    if name == "perfect":
        assert overall["f_measure"] == 1.0 and overall["error_rate"] == 0.0


def test_non_whole_second_duration_matches_sed_eval():
    rng = np.random.default_rng(3)
    ref = runs_activity(rng, 2, 155, 2, mean_runs=3, max_len=30)
    est = runs_activity(rng, 2, 155, 2, mean_runs=3, max_len=30)
    ref[:, 154, 0] = True
    overall = assert_matches_sed_eval(ref, est, 15.5)
    assert overall["n_segments"] == 2 * 16


def test_event_conversion_keeps_whole_second_offsets_exact():
    act = np.zeros((150, 1), dtype=bool)
    act[20:30, 0] = True  # 2.0 s to 3.0 s: must not spill into segment 3
    events = activity_to_events(act, ["a"])
    assert events == [{"event_label": "a", "onset": 2.0, "offset": 3.0}]
