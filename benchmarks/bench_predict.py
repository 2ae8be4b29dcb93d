"""Benchmark of `bindata predict --model M --data D`: a trained method on a whole dataset.

Target (issue "Train here, test there"): 400 files of 15 s in <= 60 s on 2 CPU cores. Times
:func:`bindata.benchmark.predict.predict_dataset` end to end (model file read, features from the
dataset's cache, windows through every network, Eq. (1) views, CSVs written) in fp32 and in the
``auto`` precision (bfloat16 where the CPU computes it natively, as training does; the default
of prediction is fp32),
side by side in one session, and prints both, their ratio, the ratio to the target and the
largest probability difference between the two. The features are computed (and cached) once
before the timing, as ``bindata features`` or training leaves them.

Usage: ``python benchmarks/bench_predict.py --model RUNS/EqSepBran-J/fold1 --data DATASET
[--fold K]`` (one fold's files, the time scaled to 400 files).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from bindata.benchmark import require_torch
from bindata.benchmark.accel import resolve_precision
from bindata.benchmark.corpus import open_corpus
from bindata.benchmark.portable import load_model
from bindata.benchmark.predict import predict_dataset

TARGET_S = 60.0


def _read(folder: Path) -> np.ndarray:
    return np.concatenate(
        [np.loadtxt(p, delimiter=",", skiprows=1)[:, 1:] for p in sorted(folder.rglob("*.csv"))]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="model file or RUNS/<method>/fold<k>")
    ap.add_argument("--data", required=True, help="dataset to predict (all its files)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads [torch's default]")
    ap.add_argument("--fold", type=int, default=None, help="only this fold's files [all]")
    args = ap.parse_args()
    torch = require_torch()
    if args.threads:
        torch.set_num_threads(args.threads)
    corpus = open_corpus(args.data)
    model = load_model(args.model)
    folds = None if args.fold is None else [args.fold]
    stems = corpus.stems if folds is None else corpus.stems_of(folds)
    for stem in stems:  # the cache, as `bindata features` leaves it
        for params in model.feature_params:
            corpus.features(stem, params=params)
    times, outs = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for precision in ("fp32", "auto"):
            t0 = time.perf_counter()
            timed = load_model(args.model)
            timed.precision = precision
            rec = predict_dataset(timed, args.data, folds=folds, out_dir=Path(tmp) / precision)
            times[precision] = time.perf_counter() - t0
            outs[precision] = _read(Path(rec["out_dir"]))
    n = len(stems)
    resolved = resolve_precision("auto", "cpu")
    print(
        f"predict_dataset: {model.name} on {n} files of {corpus.duration_s:g} s, "
        f"{torch.get_num_threads()} torch threads"
    )
    print(f"  fp32: {times['fp32']:.1f} s ({times['fp32'] / n * 1000:.0f} ms per file)")
    print(
        f"  auto ({resolved}): {times['auto']:.1f} s ({times['auto'] / n * 1000:.0f} ms per file); "
        f"ratio auto / fp32 {times['auto'] / times['fp32']:.3f}"
    )
    scaled = times["fp32"] * 400 / n  # fp32: what `bindata predict` uses
    print(
        f"  scaled to 400 files: {scaled:.1f} s; ratio to the {TARGET_S:g} s target: "
        f"{scaled / TARGET_S:.3f} ({'met' if scaled <= TARGET_S else 'MISSED'})"
    )
    print(
        f"  largest probability difference auto vs fp32: "
        f"{np.abs(outs['auto'] - outs['fp32']).max():.4f}"
    )


if __name__ == "__main__":
    main()
