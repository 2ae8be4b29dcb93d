"""Scores equal to the official DCASE code: its frame range, the 2025 stereo set, jackknife
intervals -- every expected figure computed by hand here from the published definitions
(DCASE 2024/2025 baselines' ``ComputeSELDResults``, ``fold_az_angle``, ``jackknife_estimation``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from bindata.cli import cli
from bindata.errors import ConfigError
from bindata.score import check_results, score_dataset
from bindata.score.intervals import jackknife_interval

from .test_score_helpers import make_dataset, write_files


def rows(*specs):
    """Rows ``(frame, class, source, az, el, dist_cm)`` for a range of frames each."""
    return [(f, c, s, az, el, d) for frames, c, s, az, el, d in specs for f in frames]


def text(rs) -> str:
    return "".join(",".join(f"{v:g}" for v in r) + "\n" for r in rs)


def text_2025(rs) -> str:
    """DCASE 2025 rows (header; azimuth, distance, onscreen 0) of ``(f, c, s, az, el, d)``."""
    body = "".join(f"{f},{c},{s},{az:g},{d:g},0\n" for f, c, s, az, _el, d in rs)
    return "frame,class,source,azimuth,distance,onscreen\n" + body


# One event of class a, frames 0-9 at 30 deg; the reference file's last active frame is 9.
REF = rows((range(0, 10), 0, 0, 30, 0, 200))
# Right for frames 0-9, then a spurious row in frame 9's successor frames 10-13.
PRED = REF + rows((range(10, 14), 0, 0, 30, 0, 200))


def score_one(tmp_path, ref, pred_text, *, classes=("a",), **kw):
    root = make_dataset(tmp_path / "ref", {"fold1_x": ref}, classes=list(classes))
    pred_dir = write_files(tmp_path / "pred", {"fold1_x": pred_text})
    res = score_dataset(root, pred_dir, **kw)
    check_results(res)
    return res


def counts(m):
    return m["tp"], m["fp"], m["fp_spatial"], m["fn"]


@pytest.mark.parametrize(
    "frame_range,tp,fp",
    [
        # official: range(0, 9) -- frame 9 (the last reference frame) and 10-13 are not scored
        ("official", 9, 0),
        # every frame: 10 matched frames, 4 surplus predictions
        ("file", 10, 4),
    ],
)
def test_dcase2024_frame_range(tmp_path, frame_range, tp, fp):
    res = score_one(tmp_path, REF, text(PRED), metrics="dcase2024", frame_range=frame_range)
    d24 = res["seld"]["dcase2024"]
    assert counts(d24["micro"]) == (tp, fp, 0, 0)
    assert d24["micro"]["f_score"] == pytest.approx(tp / (tp + 0.5 * fp))
    assert d24["settings"]["frame_range"] == frame_range


def test_dcase2023_official_range_keeps_whole_segments(tmp_path):
    # last reference frame 22: the official segment_labels scores range(0, 22) in whole 1 s
    # blocks, i.e. frames 0-29 (segments 0-2); a prediction in segment 3 (frame 31) is dropped
    ref = rows((range(0, 10), 0, 0, 30, 0, 200), (range(20, 23), 0, 0, 30, 0, 200))
    pred = ref + rows((range(20, 23), 0, 1, -60, 0, 200), (range(31, 32), 0, 0, 30, 0, 200))
    official = score_one(tmp_path / "o", ref, text(pred), metrics="dcase2023")
    every = score_one(tmp_path / "f", ref, text(pred), metrics="dcase2023", frame_range="file")
    # segments 0 and 2 match (one track each); segment 2 also holds the surplus source 1
    # (N_pred 2 > N_ref 1): one false positive; segment 3 only under 'file'
    assert counts(official["seld"]["dcase2023"]["micro"]) == (2, 1, 0, 0)
    assert counts(every["seld"]["dcase2023"]["micro"]) == (2, 2, 0, 0)


def test_dcase2025_rear_source_matches_its_frontal_mirror(tmp_path):
    # reference: class a at azimuth 150 (rear left), elevation 40 (ignored by 2025), frames 0-9;
    # class b at -30, frames 0-4. Prediction in 2025 format: a at 35 (fold(150) = 30: 5 deg off),
    # b at -80 (50 deg off: a spatial false positive), and c, absent from the reference, in
    # frames 2-3. Class d has neither reference nor prediction.
    ref = rows((range(0, 10), 0, 0, 150, 40, 200), (range(0, 5), 1, 0, -30, 0, 300))
    pred = rows(
        (range(0, 10), 0, 0, 35, 0, 260),
        (range(0, 5), 1, 0, -80, 0, 300),
        (range(2, 4), 2, 0, 0, 0, 100),
    )
    res = score_one(
        tmp_path,
        ref,
        text_2025(pred),
        classes=("a", "b", "c", "d"),
        metrics="dcase2025",
        frame_range="file",
    )
    d25 = res["seld"]["dcase2025"]
    cw = d25["class_wise"]
    assert counts(cw["a"]) == (10, 0, 0, 0)  # a true positive only once folded
    assert cw["a"]["azimuth_error_deg"] == pytest.approx(5.0)
    assert cw["a"]["rel_distance_error"] == pytest.approx(0.3)
    assert cw["a"]["distance_error_m"] == pytest.approx(0.6)
    assert counts(cw["b"]) == (0, 0, 5, 0)
    assert cw["b"]["azimuth_error_deg"] == pytest.approx(50.0)
    assert counts(cw["c"]) == (0, 2, 0, 0)
    assert cw["c"]["f_score"] == 0.0 and cw["c"]["azimuth_error_deg"] is None
    assert cw["d"]["f_score"] == 0.0
    # macro F over all four classes (absent ones count 0, as eps / eps in the official code);
    # errors over the classes with matched pairs (a, b)
    assert d25["macro"]["f_score"] == pytest.approx((1.0 + 0 + 0 + 0) / 4)
    assert d25["macro"]["azimuth_error_deg"] == pytest.approx((5 + 50) / 2)
    assert d25["macro"]["rel_distance_error"] == pytest.approx((0.3 + 0) / 2)
    # micro: pooled counts TP 10, FP 2, spatial FP 5, FN 0
    assert d25["micro"]["f_score"] == pytest.approx(10 / (10 + 5 + 0.5 * 2))
    assert d25["micro"]["azimuth_error_deg"] == pytest.approx((10 * 5 + 5 * 50) / 15)
    # the same rows scored by dcase2024 (elevation and rear/front count): a is a miss there
    res24 = score_one(
        tmp_path / "d24",
        ref,
        text(pred),
        classes=("a", "b", "c", "d"),
        metrics="dcase2024",
        frame_range="file",
    )
    assert res24["seld"]["dcase2024"]["class_wise"]["a"]["tp"] == 0


def test_dcase2025_official_range_and_bindata_rows(tmp_path):
    # bindata's own six-column rows are read too (elevation ignored); frames >= 9 are dropped
    res = score_one(tmp_path, REF, text(PRED), metrics=["dcase2025", "dcase2024"])
    d25, d24 = res["seld"]["dcase2025"], res["seld"]["dcase2024"]
    assert counts(d25["micro"]) == (9, 0, 0, 0) == counts(d24["micro"])
    every = score_one(tmp_path / "f", REF, text_2025(PRED), metrics="dcase2025", frame_range="file")
    assert counts(every["seld"]["dcase2025"]["micro"]) == (10, 4, 0, 0)


def test_2025_rows_are_refused_by_sets_that_need_elevation(tmp_path):
    with pytest.raises(ConfigError, match="need elevations.*dcase2025"):
        score_one(tmp_path, REF, text_2025(REF), metrics="dcase2024")


def test_jackknife_of_three_files_by_hand(tmp_path):
    # three files, one event each of 10 frames; the prediction gets 10, 5 and 0 frames right
    # (the rest predicted 90 deg off: spatial false positives). F per subset by hand:
    # all: TP 15 of 30 -> 15 / 30; without file i the TP are 5+0, 10+0, 10+5 of 20.
    ref = rows((range(0, 10), 0, 0, 30, 0, 200))
    preds = [
        rows((range(0, 10), 0, 0, 30, 0, 200)),
        rows((range(0, 5), 0, 0, 30, 0, 200), (range(5, 10), 0, 0, 120, 0, 200)),
        rows((range(0, 10), 0, 0, 120, 0, 200)),
    ]
    stems = ["fold1_a", "fold1_b", "fold1_c"]
    root = make_dataset(tmp_path / "ref", dict.fromkeys(stems, ref), classes=["a"])
    pred_dir = write_files(
        tmp_path / "pred", {s: text(p) for s, p in zip(stems, preds, strict=True)}
    )
    res = score_dataset(root, pred_dir, metrics="dcase2024", frame_range="file", ci="jackknife")
    check_results(res)
    theta, partial = 15 / 30, np.array([5 / 20, 10 / 20, 15 / 20])
    n = 3
    bias = (n - 1) * (partial.mean() - theta)
    se = np.sqrt((n - 1) * np.mean((partial - partial.mean()) ** 2))
    t = stats.t.ppf(0.975, n - 1)
    got = res["seld"]["dcase2024"]["ci"]["micro"]["f_score"]
    assert got["estimate"] == pytest.approx(theta - bias)
    assert got["std_err"] == pytest.approx(se)
    assert (got["low"], got["high"]) == pytest.approx(
        (theta - bias - t * se, theta - bias + t * se)
    )
    assert se == pytest.approx(np.sqrt(1 / 12))  # sqrt(2 * mean(1/16, 0, 1/16))
    # the printed table carries the interval
    r = CliRunner().invoke(
        cli,
        [
            "score",
            "--ref",
            str(root),
            "--pred",
            str(pred_dir),
            "--metrics",
            "dcase2024",
            "--frame-range",
            "file",
            "--ci",
            "jackknife",
        ],
    )
    assert r.exit_code == 0, r.output
    lo, hi = 100 * got["low"], 100 * got["high"]
    assert f"50.00 [{lo:.2f}, {hi:.2f}]" in r.output


def test_jackknife_interval_is_none_where_a_subset_is_undefined():
    assert jackknife_interval(0.5, [0.4, float("nan"), 0.6]) is None
    assert jackknife_interval(float("nan"), [0.4, 0.5]) is None


def test_paper_metrics_carry_intervals_in_table_and_json(tmp_path):
    ref = rows((range(0, 30), 0, 0, 90, 0, 100))  # left, near
    stems = [f"fold{k}_x{i}" for i, k in enumerate((1, 2, 1, 2))]
    preds = [ref, ref, rows((range(0, 30), 0, 0, -90, 0, 100)), ref]  # one file on the wrong side
    root = make_dataset(tmp_path / "ref", dict.fromkeys(stems, ref), classes=["a"])
    pred_dir = write_files(
        tmp_path / "pred", {s: text(p) for s, p in zip(stems, preds, strict=True)}
    )
    res = score_dataset(root, pred_dir, ci="jackknife")
    check_results(res)
    lr = res["views"]["lr"]
    assert lr["overall"]["f_measure"] == pytest.approx(0.75)  # 3 of 4 files right
    interval = lr["ci"]["overall"]["f_measure"]
    assert interval["low"] < 0.75 < interval["high"]
    cells = {r["label"]: r for r in res["table"]["direction"]["rows"]}
    assert cells["Left/Right"]["intervals"][0] is not None


@pytest.mark.parametrize(
    "pred_text,args,message",
    [
        # a 2025 CSV without its header
        ("0,0,0,30,200,0\n1,0,0,30,200,0\n", [], "without their header line"),
        # azimuth outside [-180, 180] in a 2025 file
        (text_2025(rows((range(0, 2), 0, 0, 200, 0, 200))), [], "azimuth 200 is outside"),
        # an interval from one file
        (text(REF), ["--ci", "jackknife"], "needs at least 2 files"),
        # an unknown frame range
        (text(REF), ["--frame-range", "all"], "Invalid value for '--frame-range'"),
    ],
)
def test_bad_input_to_score_is_one_clear_error_nothing_written(tmp_path, pred_text, args, message):
    root = make_dataset(tmp_path / "ref", {"fold1_x": REF}, classes=["a"])
    pred_dir = write_files(tmp_path / "pred", {"fold1_x": pred_text})
    out = tmp_path / "res.json"
    r = CliRunner().invoke(
        cli,
        [
            "score",
            "--ref",
            str(root),
            "--pred",
            str(pred_dir),
            "--metrics",
            "dcase2025",
            "--json",
            str(out),
            *args,
        ],
    )
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert "Traceback" not in r.output
    assert not out.exists()


def test_json_records_frame_range_and_intervals(tmp_path):
    stems = ["fold1_a", "fold2_b"]
    root = make_dataset(tmp_path / "ref", dict.fromkeys(stems, REF), classes=["a"])
    pred_dir = write_files(tmp_path / "pred", dict.fromkeys(stems, text(PRED)))
    out = tmp_path / "res.json"
    r = CliRunner().invoke(
        cli,
        [
            "score",
            "--ref",
            str(root),
            "--pred",
            str(pred_dir),
            "--metrics",
            "all",
            "--ci",
            "jackknife",
            "--json",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["ci"] == "jackknife"
    for name in ("dcase2024", "dcase2023", "dcase2025"):
        assert doc["seld"][name]["settings"]["frame_range"] == "official"
        assert doc["seld"][name]["ci"]["method"] == "jackknife"


def _brute_2025(ref, pred, classes, n_frames):
    """The 2025 baseline's per-frame loop written out: for frames ``range(n_frames)``, per class,
    assignment by trying every permutation on |fold(az_ref) - fold(az_pred)|; macro F over all
    classes, errors averaged over the classes with matched pairs."""
    from itertools import permutations

    def fold(az):
        az = (az + 180) % 360 - 180
        return -180 - az if az < -90 else (180 - az if az > 90 else az)

    c = {k: np.zeros(classes) for k in ("tp", "fp", "fps", "fn", "k", "ang", "rel")}
    for f in range(n_frames):
        for cls in range(classes):
            R = [r for r in ref if r[0] == f and r[1] == cls]
            P = [p for p in pred if p[0] == f and p[1] == cls]
            c["fp"][cls] += max(0, len(P) - len(R))
            c["fn"][cls] += max(0, len(R) - len(P))
            if not (R and P):
                continue
            big, small, ref_big = (R, P, True) if len(R) >= len(P) else (P, R, False)
            best = None
            for perm in permutations(range(len(big)), len(small)):
                pairs = [
                    (big[j], small[i]) if ref_big else (small[i], big[j])
                    for i, j in enumerate(perm)
                ]
                cost = sum(abs(fold(r[3]) - fold(p[3])) for r, p in pairs)
                if best is None or cost < best[0]:
                    best = (cost, pairs)
            for r, p in best[1]:
                err, rel = abs(fold(r[3]) - fold(p[3])), abs(p[5] - r[5]) / r[5]
                ok = err <= 20 and rel <= 1.0
                c["tp"][cls] += ok
                c["fps"][cls] += not ok
                c["k"][cls] += 1
                c["ang"][cls] += err
                c["rel"][cls] += rel
    f_c = c["tp"] / np.maximum(1e-300, c["tp"] + c["fps"] + 0.5 * (c["fp"] + c["fn"]))
    has = c["k"] > 0
    return {
        "f_macro": f_c.mean(),
        "ang_macro": (c["ang"][has] / c["k"][has]).mean(),
        "rel_macro": (c["rel"][has] / c["k"][has]).mean(),
        "f_micro": c["tp"].sum()
        / (c["tp"].sum() + c["fps"].sum() + 0.5 * (c["fp"].sum() + c["fn"].sum())),
    }


@pytest.mark.parametrize("frame_range", ["official", "file"])
def test_dcase2025_equals_the_written_out_definition_on_random_rows(tmp_path, frame_range):
    rng = np.random.default_rng(25)
    n_frames, n_classes = 30, 3
    ref, pred = [], []
    for s in range(5):
        start, cls = int(rng.integers(0, 18)), int(rng.integers(0, n_classes))
        az, el, d = (
            int(rng.integers(-180, 180)),
            int(rng.integers(-60, 60)),
            int(rng.integers(50, 800)),
        )
        for f in range(start, start + int(rng.integers(3, 10))):
            ref.append((f, cls, s, az, el, d))
            if rng.random() > 0.2:  # often predicted on the other side of the interaural axis
                paz = (180 - az if rng.random() < 0.5 else az) + int(rng.integers(-30, 31))
                pred.append(
                    (f, cls, s, (paz + 180) % 360 - 180, 0, round(d * rng.uniform(0.4, 2.5)))
                )
    last = max(r[0] for r in ref)
    pred += [(last + k, int(rng.integers(0, n_classes)), 9, 10, 0, 200) for k in (0, 1)]
    root = make_dataset(tmp_path / "ref", {"fold1_x": ref}, classes=["a", "b", "c"], duration_s=3.0)
    pred_dir = write_files(tmp_path / "pred", {"fold1_x": text_2025(pred)})
    res = score_dataset(root, pred_dir, metrics="dcase2025", frame_range=frame_range)
    got = res["seld"]["dcase2025"]
    want = _brute_2025(ref, pred, n_classes, last if frame_range == "official" else n_frames)
    assert got["macro"]["f_score"] == pytest.approx(want["f_macro"])
    assert got["micro"]["f_score"] == pytest.approx(want["f_micro"])
    assert got["macro"]["azimuth_error_deg"] == pytest.approx(want["ang_macro"])
    assert got["macro"]["rel_distance_error"] == pytest.approx(want["rel_macro"])
