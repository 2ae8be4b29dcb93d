"""Benchmark of `bindata score`: 400 files of 15 s in at most 2 s (3 s with --metrics all, 15 s
with --metrics all --ci jackknife).

Builds a random reference dataset (1-3 sources per file, events of 0.1-8 s, positions in the near
and far bands) and a submission derived from it (shifted onsets, jittered directions, dropped and
spurious events), then times:

- bindata: ``score_dataset`` end to end -- read and check the reference and all 400 submission
  files, score every default view (lr, fb, tb, planes, unequal, octants, octants_eq1, proximity);
- bindata ``--metrics all``: the same, plus the DCASE 2024 (frame-wise Hungarian matching,
  distance-aware), DCASE 2023 (1 s segments) and DCASE 2025 (folded azimuth) SELD metrics;
  target 3 s;
- bindata ``--metrics all --ci jackknife``: the same with a leave-one-file-out interval of every
  figure (400 re-computations of every metric set and view); target 15 s;
- sed_eval: ``SegmentBasedMetrics(time_resolution=1.0)`` on the same views' activity (event lists
  prepared outside the timing), i.e. the metric computation alone, which bindata's time includes.

Prints the times, the ratio to the 2 s target and the ratio to sed_eval, and checks that both
give the same overall F1. Usage: ``python benchmarks/bench_score.py [--files 400] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bindata.divisions import get_view
from bindata.scene.labels import ROW_DTYPE, rows_to_csv_text
from bindata.score import load_reference, read_submission, score_dataset, score_submission
from bindata.score.activity import rows_activity, stack_rows
from bindata.score.convert import rows_text
from bindata.score.derive import DEFAULT_ROW_VIEWS, eq1_combine

# The sed_eval peer lives with the tests (tests/peers/, not in the wheel): the repository root
# must be importable, also when the script runs as `python benchmarks/bench_score.py`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.peers.score import activity_to_events, import_sed_eval  # noqa: E402

TARGET_S = 2.0
TARGET_ALL_S = 3.0
TARGET_CI_S = 15.0
DURATION_S = 15.0
N_FRAMES = 150


def random_events(rng, n_classes=10):
    """Rows of 1-3 sources: (frame, class, source, az, el, dist_cm) with a structured dtype."""
    rows = []
    for src in range(int(rng.integers(1, 4))):
        start = int(rng.integers(0, N_FRAMES - 1))
        stop = min(N_FRAMES, start + int(rng.integers(1, 81)))
        az, el = int(rng.integers(-179, 181)), int(rng.integers(-80, 81))
        dist = int(rng.integers(40, 201)) if rng.random() < 0.5 else int(rng.integers(300, 801))
        cls = int(rng.integers(0, n_classes))
        rows += [(f, cls, src, az, el, dist) for f in range(start, stop)]
    return np.array(rows, dtype=ROW_DTYPE)


def perturb(rng, rows):
    """A plausible system output: shifted, jittered, partly dropped, plus a spurious event."""
    out = np.array(rows, copy=True)
    out["frame"] = np.clip(out["frame"] + int(rng.integers(-5, 6)), 0, N_FRAMES - 1)
    out["azimuth"] = (out["azimuth"] + rng.integers(-40, 41, len(out)) + 180) % 360 - 180
    out["elevation"] = np.clip(out["elevation"] + rng.integers(-30, 31, len(out)), -90, 90)
    out = out[rng.random(len(out)) > 0.15]
    extra = random_events(rng)[:20]
    extra["source"] += 5
    out = np.concatenate([out, extra])
    _, keep = np.unique(
        np.stack([out["frame"], out["class"], out["source"]], 1), axis=0, return_index=True
    )
    return out[np.sort(keep)]


def build(root: Path, n_files: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    (root / "ref" / "metadata").mkdir(parents=True)
    (root / "pred").mkdir()
    files = []
    for i in range(n_files):
        stem = f"fold{i % 4 + 1}_room{i:04d}_mix001"
        ref = random_events(rng)
        (root / "ref" / "metadata" / f"{stem}.csv").write_text(rows_to_csv_text(ref))
        (root / "pred" / f"{stem}.csv").write_text(rows_text(perturb(rng, ref)))
        files.append({"stem": stem, "fold": i % 4 + 1})
    manifest = {
        "config": {"duration_s": DURATION_S},
        "files": files,
        "classes": [f"class{k}" for k in range(10)],
    }
    (root / "ref" / "manifest.json").write_text(json.dumps(manifest))


def peer_inputs(root: Path):
    """Per view: classes and per-file (reference, estimate) event lists for sed_eval."""
    ref = load_reference(root / "ref")
    pred = [np.loadtxt(root / "pred" / f"{s}.csv", delimiter=",", ndmin=2) for s in ref.stems]
    ref_rows, est_rows = stack_rows(ref.rows), stack_rows(pred)
    inputs = {}
    for name in DEFAULT_ROW_VIEWS:
        base = name.removesuffix("_eq1")
        view = get_view(base)
        r = rows_activity(ref_rows, n_frames=N_FRAMES, view=view)
        if name.endswith("_eq1"):
            parts = [
                rows_activity(est_rows, n_frames=N_FRAMES, view=get_view(p))
                for p in ("tb", "fb", "lr")
            ]
            e = eq1_combine([p.astype(float) for p in parts]) >= 0.5
        else:
            e = rows_activity(est_rows, n_frames=N_FRAMES, view=view)
        events = [
            (activity_to_events(r[k], view.classes), activity_to_events(e[k], view.classes))
            for k in range(len(r))
        ]
        inputs[name] = (view.classes, events)
    return inputs


def run_sed_eval(inputs) -> dict:
    sed_eval = import_sed_eval()
    out = {}
    for name, (classes, events) in inputs.items():
        m = sed_eval.sound_event.SegmentBasedMetrics(list(classes), time_resolution=1.0)
        m.empty_system_output_handling = "zero_score"
        for ref_events, est_events in events:
            m.evaluate(ref_events, est_events, evaluated_length_seconds=DURATION_S)
        out[name] = m.overall_f_measure()["f_measure"]
    return out


def best_time(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root, args.files, args.seed)
        ours_s, res = best_time(lambda: score_dataset(root / "ref", root / "pred"), args.repeat)
        all_s, res_all = best_time(
            lambda: score_dataset(root / "ref", root / "pred", metrics="all"), args.repeat
        )
        ci_s, res_ci = best_time(
            lambda: score_dataset(root / "ref", root / "pred", metrics="all", ci="jackknife"),
            1,
        )
        ref = load_reference(root / "ref")
        sub = read_submission(root / "pred", reference=ref)
        metric_s, _ = best_time(lambda: score_submission(ref, sub), args.repeat)
        inputs = peer_inputs(root)
        peer_s, peer_f = best_time(lambda: run_sed_eval(inputs), 1)
    for name, f in peer_f.items():
        mine = res["views"][name]["overall"]["f_measure"]
        assert abs(mine - f) < 1e-12, f"{name}: bindata F {mine} != sed_eval F {f}"
    n_views = len(res["views"])
    print(
        f"files: {args.files} x {DURATION_S:g} s, views scored: {n_views}, "
        f"overall F1 identical to sed_eval for all {len(peer_f)} views"
    )
    print(f"bindata score_dataset (read + check + score): {ours_s:.3f} s (best of {args.repeat})")
    print(
        f"  ratio to the {TARGET_S:g} s target: {ours_s / TARGET_S:.3f} "
        f"({'met' if ours_s <= TARGET_S else 'MISSED'})"
    )
    d24, d23 = res_all["seld"]["dcase2024"]["macro"], res_all["seld"]["dcase2023"]["macro"]
    print(
        f"bindata score_dataset --metrics all (paper + dcase2024/2023/2025): {all_s:.3f} s "
        f"(best of {args.repeat}); ratio to the {TARGET_ALL_S:g} s target: "
        f"{all_s / TARGET_ALL_S:.3f} ({'met' if all_s <= TARGET_ALL_S else 'MISSED'})"
    )
    print(
        f"  dcase2024 macro F {d24['f_score']:.3f}, DOAE {d24['doa_error_deg']:.1f} deg, "
        f"RDE {d24['rel_distance_error']:.3f}; dcase2023 macro F {d23['f_score']:.3f}"
    )
    print(
        f"bindata score_dataset --metrics all --ci jackknife: {ci_s:.3f} s (one run); ratio to "
        f"the {TARGET_CI_S:g} s target: {ci_s / TARGET_CI_S:.3f} "
        f"({'met' if ci_s <= TARGET_CI_S else 'MISSED'})"
    )
    d25 = res_ci["seld"]["dcase2025"]
    f25, ci25 = d25["macro"]["f_score"], d25["ci"]["macro"]["f_score"]
    print(
        f"  dcase2025 macro F {f25:.3f} [{ci25['low']:.3f}, {ci25['high']:.3f}], azimuth error "
        f"{d25['macro']['azimuth_error_deg']:.1f} deg"
    )
    print(f"bindata score_submission (metrics only, files already read): {metric_s:.3f} s")
    print(f"sed_eval 0.2.1 SegmentBasedMetrics (metrics only, same views): {peer_s:.3f} s")
    print(
        f"  ratio bindata end to end / sed_eval: {ours_s / peer_s:.4f} "
        f"(sed_eval is {peer_s / ours_s:.1f}x slower)"
    )
    print(
        f"  ratio bindata metrics only / sed_eval: {metric_s / peer_s:.4f} "
        f"(sed_eval is {peer_s / metric_s:.1f}x slower)"
    )


if __name__ == "__main__":
    main()
