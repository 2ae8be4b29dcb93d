"""DCASE 2024 / 2023 SELD metrics on hand-computed cases (bindata.score.seld, score --metrics)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from bindata.cli import cli
from bindata.errors import ConfigError
from bindata.geometry import spherical_to_cartesian
from bindata.score import check_results, score_dataset

from .test_score_helpers import make_dataset, write_files


def rows(*specs):
    """Rows ``(frames, class, source, az, el, dist_cm)`` for a range of frames each."""
    out = []
    for frames, cls, src, az, el, dist in specs:
        out += [(f, cls, src, az, el, dist) for f in frames]
    return out


def text(rs) -> str:
    return "".join(",".join(f"{v:g}" for v in r) + "\n" for r in rs)


def score(tmp_path, ref, pred, *, classes=("a",), metrics=("dcase2024", "dcase2023"), **kw):
    """Score one file; every frame of it unless ``frame_range`` says otherwise (these cases check
    the definitions per frame; the official frame range has its own tests)."""
    root = make_dataset(tmp_path / "ref", {"fold1_x": ref}, classes=list(classes))
    pred_dir = write_files(tmp_path / "pred", {"fold1_x": text(pred)})
    kw.setdefault("frame_range", "file")
    res = score_dataset(root, pred_dir, metrics=list(metrics), **kw)
    check_results(res)
    return res


REF = rows((range(0, 10), 0, 0, 30, 10, 200))


def test_perfect_submission_scores_f1_doae0_rde0(tmp_path):
    ref = REF + rows((range(5, 20), 1, 0, -120, -20, 450), (range(5, 8), 1, 1, 60, 40, 90))
    res = score(tmp_path, ref, ref, classes=("a", "b"))
    d24, d23 = res["seld"]["dcase2024"], res["seld"]["dcase2023"]
    for avg in ("macro", "micro"):
        assert d24[avg]["f_score"] == pytest.approx(1.0)
        assert d24[avg]["doa_error_deg"] == pytest.approx(0.0, abs=1e-5)
        assert d24[avg]["rel_distance_error"] == pytest.approx(0.0, abs=1e-12)
        assert d24[avg]["distance_error_m"] == pytest.approx(0.0, abs=1e-12)
        assert d24[avg]["seld_score"] == pytest.approx(0.0, abs=1e-6)
        assert d23[avg]["f_score"] == pytest.approx(1.0)
        assert d23[avg]["error_rate"] == pytest.approx(0.0)
        assert d23[avg]["doa_error_deg"] == pytest.approx(0.0, abs=1e-5)
    assert d24["micro"]["tp"] == 10 + 15 + 3
    assert d23["micro"]["tp"] == 1 + 2 + 1  # (seg 0: a, b x2 tracks), (seg 1: b)


@pytest.mark.parametrize("error_deg,passes", [(25, False), (15, True)])
def test_doa_threshold_20_deg(tmp_path, error_deg, passes):
    pred = rows((range(0, 10), 0, 0, 30 + error_deg, 10, 200))
    d24 = score(tmp_path, REF, pred)["seld"]["dcase2024"]
    # the angle between (30, 10) and (30 + e, 10) on the sphere is a bit less than e
    u, v = spherical_to_cartesian([30, 30 + error_deg], [10, 10])
    angle = math.degrees(math.acos(float(np.dot(u, v))))
    assert d24["micro"]["doa_error_deg"] == pytest.approx(angle, rel=1e-9)
    assert d24["micro"]["tp"] == (10 if passes else 0)
    assert d24["micro"]["fp_spatial"] == (0 if passes else 10)
    assert d24["macro"]["f_score"] == pytest.approx(1.0 if passes else 0.0)


def test_doa_threshold_is_an_option(tmp_path):
    pred = rows((range(0, 10), 0, 0, 55, 10, 200))
    res = score(tmp_path, REF, pred, thresholds={"doa_threshold_deg": 30.0})
    assert res["seld"]["dcase2024"]["micro"]["f_score"] == pytest.approx(1.0)
    assert res["seld"]["dcase2024"]["settings"]["doa_threshold_deg"] == 30.0


@pytest.mark.parametrize("factor,passes", [(2.5, False), (1.5, True), (0.4, True)])
def test_relative_distance_threshold_1(tmp_path, factor, passes):
    pred = rows((range(0, 10), 0, 0, 30, 10, 200 * factor))
    d24 = score(tmp_path, REF, pred)["seld"]["dcase2024"]
    assert d24["micro"]["rel_distance_error"] == pytest.approx(abs(factor - 1))
    assert d24["micro"]["distance_error_m"] == pytest.approx(2.0 * abs(factor - 1))
    assert d24["micro"]["f_score"] == pytest.approx(1.0 if passes else 0.0)
    # DCASE 2023 has no distance: the same rows are all true positives there
    d23 = score(tmp_path / "b", REF, pred)["seld"]["dcase2023"]
    assert d23["micro"]["f_score"] == pytest.approx(1.0)


def test_counts_and_f_formula_by_hand(tmp_path):
    # 10 reference frames; 5 predicted right, 5 at 30 deg off, 3 spurious frames after the event
    pred = rows(
        (range(0, 5), 0, 0, 30, 10, 200),
        (range(5, 10), 0, 0, 60, 10, 200),
        (range(20, 23), 0, 0, 30, 10, 200),
    )
    res = score(tmp_path, REF, pred)
    m = res["seld"]["dcase2024"]["micro"]
    assert (m["tp"], m["fp_spatial"], m["fp"], m["fn"]) == (5, 5, 3, 0)
    f = 5 / (5 + 5 + 0.5 * (3 + 0))
    assert m["f_score"] == pytest.approx(f)
    u, v = spherical_to_cartesian([30, 60], [10, 10])
    doae = 0.5 * math.degrees(math.acos(float(np.dot(u, v))))
    assert m["doa_error_deg"] == pytest.approx(doae)
    assert m["seld_score"] == pytest.approx(((1 - f) + doae / 180 + 0.0) / 3)
    # 2023: segment 0 is one track whose mean error (~14 deg) passes; segment 2 is a false positive
    s = res["seld"]["dcase2023"]["micro"]
    assert (s["tp"], s["fp_spatial"], s["fp"], s["fn"]) == (1, 0, 1, 0)
    assert s["f_score"] == pytest.approx(1 / (1 + 0.5))
    assert s["doa_error_deg"] == pytest.approx(doae)
    assert s["error_rate"] == pytest.approx(1 / 1)  # one insertion, one reference
    lr = 1.0
    assert s["seld_score"] == pytest.approx((1 + (1 - 1 / 1.5) + doae / 180 + (1 - lr)) / 4)


def test_absent_class_in_macro_average(tmp_path):
    # classes a, b, c; only a occurs (perfectly): the baseline's F_c = TP / (eps + ...) is 0 for
    # the absent b and c, so the macro F is 1/3; errors average over classes with F > 0 only
    res = score(tmp_path, REF, REF, classes=("a", "b", "c"))
    d24, d23 = res["seld"]["dcase2024"], res["seld"]["dcase2023"]
    assert d24["micro"]["f_score"] == pytest.approx(1.0)
    assert d24["macro"]["f_score"] == pytest.approx(1 / 3)
    assert d24["macro"]["doa_error_deg"] == pytest.approx(0.0, abs=1e-5)
    assert d24["class_wise"]["b"]["f_score"] == 0.0
    assert d24["class_wise"]["b"]["doa_error_deg"] is None
    # 2023: LE is 180 and LR 0 for a class without matched tracks, averaged over all classes
    assert d23["macro"]["f_score"] == pytest.approx(1 / 3)
    assert d23["macro"]["doa_error_deg"] == pytest.approx(120.0, abs=1e-5)
    assert d23["macro"]["localization_recall"] == pytest.approx(1 / 3)


def test_swapping_source_indices_does_not_change_the_score(tmp_path):
    ref = rows((range(0, 12), 0, 0, 30, 10, 200), (range(0, 12), 0, 1, -100, 0, 500))
    pred = rows((range(0, 12), 0, 0, 33, 10, 220), (range(0, 12), 0, 1, -90, 5, 450))
    swapped = [(f, c, 1 - s, az, el, d) for f, c, s, az, el, d in pred]
    a = score(tmp_path / "a", ref, pred)["seld"]
    b = score(tmp_path / "b", ref, swapped)["seld"]
    assert a == b
    # Hungarian matching by direction: pairing by index would give errors near 130 deg
    assert a["dcase2024"]["micro"]["doa_error_deg"] < 12
    assert a["dcase2024"]["micro"]["f_score"] == pytest.approx(1.0)


def test_cartesian_baseline_rows_and_distance_units(tmp_path):
    ref = REF + rows((range(3, 9), 0, 1, -150, -30, 650))
    xyz = [spherical_to_cartesian(az, el) for _, _, _, az, el, _ in ref]
    cart7 = [(r[0], r[1], r[2], *map(float, v), r[5] / 100) for r, v in zip(ref, xyz, strict=True)]
    res = score(tmp_path / "c7", ref, cart7, distance_unit="m")
    assert res["seld"]["dcase2024"]["micro"]["f_score"] == pytest.approx(1.0)
    assert res["seld"]["dcase2024"]["micro"]["rel_distance_error"] == pytest.approx(0, abs=1e-9)
    assert res["warnings"] == []
    # metres read as centimetres: a warning, and every distance error is ~100 %
    res = score(tmp_path / "cm", ref, cart7)
    assert "look like metres" in res["warnings"][0]
    assert res["seld"]["dcase2024"]["micro"]["f_score"] == pytest.approx(1.0)  # RDE 0.99 < 1
    assert res["seld"]["dcase2024"]["micro"]["rel_distance_error"] == pytest.approx(0.99)
    cart6 = [r[:6] for r in cart7]
    res = score(tmp_path / "c6", ref, cart6, metrics=("dcase2023", "paper"))
    assert res["seld"]["dcase2023"]["micro"]["f_score"] == pytest.approx(1.0)
    assert res["submission"]["has_distance"] is False
    assert "proximity" not in res["views"]
    with pytest.raises(ConfigError, match=r"\['dcase2024'\] need distances"):
        score(tmp_path / "c6b", ref, cart6, metrics=("dcase2024",))


def test_cli_metrics_all_prints_and_writes_json(tmp_path):
    root = make_dataset(tmp_path / "ref", {"fold1_x": REF}, classes=["a"])
    pred = write_files(tmp_path / "pred", {"fold1_x": text(REF)})
    out = tmp_path / "res.json"
    r = CliRunner().invoke(
        cli,
        ["score", "--ref", str(root), "--pred", str(pred), "--metrics", "all", "--json", str(out)],
    )
    assert r.exit_code == 0, r.output
    for name in ("dcase2024", "dcase2023", "dcase2025"):
        assert f"{name} SELD metrics" in r.output
    assert "Segment-based F1" in r.output
    doc = json.loads(out.read_text())
    assert doc["metrics"] == ["paper", "dcase2024", "dcase2023", "dcase2025"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--metrics", "dcase2026"], "Invalid value for '--metrics'"),
        (["--doa-threshold", "nan"], "--doa-threshold"),
        (["--rel-distance-threshold", "0"], "--rel-distance-threshold"),
    ],
)
def test_cli_bad_metric_options_exit_2_nothing_written(tmp_path, args, message):
    root = make_dataset(tmp_path / "ref", {"fold1_x": REF}, classes=["a"])
    pred = write_files(tmp_path / "pred", {"fold1_x": text(REF)})
    out = tmp_path / "res.json"
    r = CliRunner().invoke(
        cli, ["score", "--ref", str(root), "--pred", str(pred), "--json", str(out), *args]
    )
    assert r.exit_code == 2
    assert message in r.output
    assert not out.exists()


def test_unknown_metric_in_library_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown metric set"):
        score(tmp_path, REF, REF, metrics=("seld",))


def test_worked_example_of_docs_scoring_md(tmp_path):
    """The worked example of docs/scoring.md, every figure computed by hand there."""
    ref = rows((range(0, 10), 1, 0, 30, 0, 200), (range(5, 15), 0, 1, -120, 0, 500))
    pred = rows(
        (range(0, 10), 1, 0, 40, 0, 250),
        (range(5, 10), 0, 0, -120, 0, 500),
        (range(10, 15), 0, 0, -150, 0, 500),
        (range(15, 18), 1, 3, 90, 0, 100),
    )
    res = score(tmp_path, ref, pred, classes=("dog", "speech"))
    d24, d23 = res["seld"]["dcase2024"], res["seld"]["dcase2023"]
    f_speech, f_dog = 10 / (10 + 0.5 * 3), 5 / (5 + 5)
    assert d24["class_wise"]["speech"]["f_score"] == pytest.approx(f_speech)
    assert d24["class_wise"]["dog"]["f_score"] == pytest.approx(f_dog)
    assert d24["macro"]["f_score"] == pytest.approx((f_speech + f_dog) / 2)
    assert d24["micro"]["f_score"] == pytest.approx(15 / (15 + 5 + 1.5))
    assert d24["macro"]["doa_error_deg"] == pytest.approx((10 + 15) / 2, abs=1e-5)
    assert d24["micro"]["doa_error_deg"] == pytest.approx((10 * 10 + 5 * 30) / 20, abs=1e-5)
    assert d24["macro"]["rel_distance_error"] == pytest.approx((0.25 + 0) / 2)
    assert d24["micro"]["distance_error_m"] == pytest.approx(10 * 0.5 / 20)
    seld = ((1 - f_speech + 10 / 180 + 0.25) / 3 + (1 - f_dog + 15 / 180 + 0) / 3) / 2
    assert d24["macro"]["seld_score"] == pytest.approx(seld, abs=1e-8)
    assert d24["macro"]["error_rate"] == pytest.approx((5 + 3) / 20)
    assert d23["micro"]["f_score"] == pytest.approx(2 / (2 + 1 + 0.5))
    assert d23["macro"]["f_score"] == pytest.approx((1 / 1.5 + 0.5) / 2)
    assert d23["micro"]["doa_error_deg"] == pytest.approx((10 + 0 + 30) / 3, abs=1e-5)
    assert d23["macro"]["doa_error_deg"] == pytest.approx((10 + 15) / 2, abs=1e-5)
    assert d23["micro"]["error_rate"] == pytest.approx(2 / 3)


def _brute_2024(ref, pred, n_classes, n_frames):
    """The DCASE 2024 counts by the definition, frame by frame over ``range(n_frames)``,
    assignment by trying every permutation (no scipy, no vectorisation)."""
    from itertools import permutations

    tot = dict(tp=0, fp=0, fps=0, fn=0, ang=0.0, rel=0.0, k=0)
    for f in range(n_frames):
        for c in range(n_classes):
            R = [r for r in ref if r[0] == f and r[1] == c]
            P = [p for p in pred if p[0] == f and p[1] == c]
            k = min(len(R), len(P))
            tot["fp"] += max(0, len(P) - len(R))
            tot["fn"] += max(0, len(R) - len(P))
            if not k:
                continue
            big, small, ref_big = (R, P, True) if len(R) >= len(P) else (P, R, False)
            best = None
            for perm in permutations(range(len(big)), len(small)):
                pairs = [
                    ((big[j], small[i]) if ref_big else (small[i], big[j]))
                    for i, j in enumerate(perm)
                ]
                angles = []
                for r, p in pairs:
                    u, v = spherical_to_cartesian([r[3], p[3]], [r[4], p[4]])
                    angles.append(math.degrees(math.acos(max(-1.0, min(1.0, float(np.dot(u, v)))))))
                if best is None or sum(angles) < sum(best[1]):
                    best = (pairs, angles)
            for (r, p), a in zip(*best, strict=True):
                rel = abs(p[5] - r[5]) / r[5]
                ok = a <= 20 and rel <= 1.0
                tot["tp"] += ok
                tot["fps"] += not ok
                tot["ang"] += a
                tot["rel"] += rel
                tot["k"] += 1
    return tot


def test_dcase2024_counts_equal_a_brute_force_of_the_definition(tmp_path):
    rng = np.random.default_rng(7)
    n_frames, n_classes = 30, 2

    def random_rows(n_src):
        out = []
        for s in range(n_src):
            start = int(rng.integers(0, 20))
            cls = int(rng.integers(0, n_classes))
            az, el, d = rng.uniform(-180, 180), rng.uniform(-60, 60), rng.uniform(50, 800)
            for f in range(start, min(n_frames, start + int(rng.integers(3, 12)))):
                out.append((f, cls, s, round(az + rng.normal(0, 3), 3), round(el, 3), round(d, 1)))
        return out

    ref = [
        (f, c, s, int(round(az)), int(round(el)), int(round(d)))
        for f, c, s, az, el, d in random_rows(4)
    ]
    pred = [
        (
            f,
            c,
            s,
            round(((az + rng.normal(0, 15)) + 180) % 360 - 180, 3),
            el,
            round(d * rng.uniform(0.3, 2.8), 1),
        )
        for f, c, s, az, el, d in ref
        if rng.random() > 0.2
    ] + random_rows(2)
    last_ref_frame = max(r[0] for r in ref)  # spurious rows at and after it (official: dropped)
    pred += [(last_ref_frame, 0, 9, 10.0, 0, 300.0), (last_ref_frame + 1, 1, 9, 50.0, 0, 300.0)]
    seen, uniq = set(), []
    for r in pred:  # a (frame, class, source) once
        if r[:3] not in seen:
            seen.add(r[:3])
            uniq.append(r)
    root = make_dataset(tmp_path / "ref", {"fold1_x": ref}, classes=["a", "b"], duration_s=3.0)
    pred_dir = write_files(tmp_path / "pred", {"fold1_x": text(uniq)})
    # 'file': every frame; 'official': the DCASE code's range(0, last reference frame)
    assert last_ref_frame < n_frames - 1
    for frame_range, frames in (("official", last_ref_frame), ("file", n_frames)):
        res = score_dataset(root, pred_dir, metrics="dcase2024", frame_range=frame_range)
        m = res["seld"]["dcase2024"]["micro"]
        want = _brute_2024(ref, uniq, n_classes, frames)
        assert (m["tp"], m["fp"], m["fp_spatial"], m["fn"]) == (
            want["tp"],
            want["fp"],
            want["fps"],
            want["fn"],
        )
    assert want["fps"] > 0 and want["tp"] > 0 and want["fp"] > 0
    from collections import Counter

    assert max(Counter(r[:2] for r in ref).values()) >= 2  # the assignment problem is exercised
    assert m["doa_error_deg"] == pytest.approx(want["ang"] / want["k"], rel=1e-6)
    assert m["rel_distance_error"] == pytest.approx(want["rel"] / want["k"], rel=1e-9)
