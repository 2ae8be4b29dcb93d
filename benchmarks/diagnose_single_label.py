"""Why do the single-label methods collapse? Compare training recipes on one fold.

Trains the given methods (default EqOne and UneqOne) on one test fold of each dataset under
every combination of selection criterion x positive weighting x learning-rate schedule, and
scores every decision threshold, each recipe in a run folder of its own (so everything resumes
after an interruption: rerun the same command). Recipes whose epoch selection does not depend
on the threshold (``--select val_loss``) are trained once; their other thresholds are scored by
rescaling the written submissions exactly as a model trained with that threshold writes them
(:func:`bindata.benchmark.targets.rescale_threshold`), which the scorer then reads at 0.5. With
``val_f1`` the threshold picks the epoch, so each threshold is trained.

Writes (and updates, keeping other datasets' and recipes' results) a JSON file with, per dataset
and recipe: the settings, per threshold the F1 cells of every method, per method and model the
selected epoch, the epochs run, and the validation loss and F1 of the selected epoch, plus the
command, the machine and the wall time. Prints one table per dataset. Note that every threshold
is scored on the test fold: the best of them is an optimistic figure (chosen on test data); the
validation F1 curves in ``done.json`` (``bindata report RUNS/<recipe>``) show the same thing
without that bias.

Example (fold 1 of both subsets, about 12 trainings per method and subset to early stopping on
a CPU: hours; each recipe's runs resume)::

    python benchmarks/diagnose_single_label.py --data one_source --data two_sources \\
        --runs diag --out benchmarks/results/diagnose_single_label.json \\
        --select val_loss,val_f1 --pos-weight none,balanced --thresholds 0.5,0.3,0.2

The F1 of the default recipe (``val_loss``, ``none``, threshold 0.5) is today's figure.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bindata.benchmark.corpus import open_corpus
from bindata.benchmark.methods import select_methods
from bindata.benchmark.predict import write_submission
from bindata.benchmark.run import run_benchmark
from bindata.benchmark.runs import TrainConfig, predictions_dir
from bindata.benchmark.scoring import score_method
from bindata.benchmark.targets import rescale_threshold
from bindata.io import write_json


def _list(text: str, kind=str) -> list:
    return [kind(v) for v in text.split(",") if v.strip()]


def recipe_name(selection: str, pos_weight: str, schedule: str, threshold: float) -> str:
    """Run folder name of a recipe, e.g. ``val_f1-balanced-constant-t0.3``."""
    return f"{selection}-{pos_weight}-{schedule}-t{threshold:g}"


def rescaled_scores(corpus, method, runs, fold, threshold, tmp) -> dict:
    """F1 cells of ``method``'s submission in ``runs`` as a threshold-``threshold`` model's."""
    src = predictions_dir(runs, method) / method.output_view
    dst = Path(tmp) / method.name
    for stem in corpus.stems_of([fold]):
        path = src / f"{stem}.csv"
        classes = path.read_text("utf-8").splitlines()[0].split(",")[1:]
        probs = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)[:, 1:]
        write_submission(
            dst / method.output_view / f"{stem}.csv", classes, rescale_threshold(probs, threshold)
        )
    return score_method(corpus, method, pred_dir=dst, folds=[fold])["mean"]


def _models(report: dict, method: str) -> dict:
    fold = str(report["folds"][0])
    return report["results"][method]["models"][fold]


def diagnose(args) -> dict:
    out = Path(args.out)
    results = json.loads(out.read_text("utf-8")) if out.exists() else {}
    results.update(
        command=" ".join([Path(sys.executable).name, *sys.argv]),
        machine=f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores".strip(),
    )
    methods = [m.name for m in select_methods(_list(args.methods))]
    base = TrainConfig(
        max_epochs=args.epochs,
        patience=args.patience,
        seed=args.seed,
        filters=args.filters,
        gru_units=args.gru_units,
        batch_size=args.batch_size,
    )
    for data in args.data:
        corpus = open_corpus(data)
        per_data = results.setdefault("datasets", {}).setdefault(str(data), {})
        grid = itertools.product(
            _list(args.select), _list(args.pos_weight), _list(args.lr_schedule)
        )
        for selection, pos_weight, schedule in grid:
            trained_at = [0.5] if selection == "val_loss" else _list(args.thresholds, float)
            for t_train in trained_at:
                name = recipe_name(selection, pos_weight, schedule, t_train)
                cfg = replace(
                    base,
                    selection=selection,
                    pos_weight=pos_weight,
                    lr_schedule=schedule,
                    threshold=t_train,
                )
                runs = Path(args.runs) / Path(data).name / name
                t0 = time.perf_counter()
                report = run_benchmark(
                    data,
                    methods=methods,
                    folds=[args.fold],
                    runs_dir=runs,
                    config=cfg,
                    device=args.device,
                    out_json=runs / "benchmark.json",
                    progress=False,
                    log=print,
                )
                thresholds = [t_train] if selection != "val_loss" else _list(args.thresholds, float)
                scores = {}
                with tempfile.TemporaryDirectory(prefix="diagnose-") as tmp:
                    for t in thresholds:
                        scores[f"{t:g}"] = {
                            m.name: (
                                report["results"][m.name]["mean"]
                                if t == t_train
                                else rescaled_scores(
                                    corpus, m, runs, args.fold, t, Path(tmp) / f"{t:g}"
                                )
                            )
                            for m in select_methods(methods)
                        }
                per_data[name] = {
                    "config": cfg.to_dict(),
                    "runs": str(runs),
                    "trained_threshold": t_train,
                    "scores": scores,
                    "models": {m: _models(report, m) for m in methods},
                    "wall_s": round(time.perf_counter() - t0, 1),
                }
                write_json(out, results)
        print(render(results, str(data)))
    return results


def render(results: dict, data: str) -> str:
    """One table: a row per recipe and threshold, a column per method and cell (F1 %)."""
    per_data = results["datasets"][data]
    cols = []
    for rec in per_data.values():
        for by_method in rec["scores"].values():
            for m, cells in by_method.items():
                cols += [(m, c) for c in cells if (m, c) not in cols]
    head = ["recipe", "threshold", *[f"{m} {c}" for m, c in cols], "selected epoch / epochs"]
    rows = []
    for name, rec in per_data.items():
        epochs = ", ".join(
            f"{m} {d['best_epoch']}/{d['epochs']}"
            for m, models in rec["models"].items()
            for d in models.values()
        )
        for t, by_method in rec["scores"].items():
            vals = [by_method.get(m, {}).get(c) for m, c in cols]
            rows.append([name, t, *["-" if v is None else f"{100 * v:.1f}" for v in vals], epochs])
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = [f"{data} (F1 %, test fold; thresholds other than 0.5 are chosen on test data)"]
    lines += [
        "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)) for r in [head, *rows]
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", action="append", required=True, help="Dataset (repeatable).")
    p.add_argument("--runs", required=True, help="Folder of the recipes' run folders.")
    p.add_argument("--out", required=True, help="Results JSON (updated in place).")
    p.add_argument("--methods", default="EqOne,UneqOne")
    p.add_argument("--fold", type=int, default=1)
    p.add_argument("--select", default="val_loss,val_f1", help="Selection criteria.")
    p.add_argument("--pos-weight", default="none,balanced", help="Positive weightings.")
    p.add_argument("--lr-schedule", default="constant", help="Learning-rate schedules.")
    p.add_argument("--thresholds", default="0.5,0.3,0.2", help="Decision thresholds.")
    p.add_argument("--epochs", type=int, default=TrainConfig().max_epochs)
    p.add_argument("--patience", type=int, default=TrainConfig().patience)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--filters", type=int, default=TrainConfig().filters, help="(smoke tests)")
    p.add_argument("--gru-units", type=int, default=TrainConfig().gru_units, help="(smoke tests)")
    p.add_argument("--batch-size", type=int, default=TrainConfig().batch_size)
    p.add_argument("--device", default=None)
    p.add_argument("--render", action="store_true", help="Only print the tables of --out.")
    args = p.parse_args(argv)
    if args.render:
        results = json.loads(Path(args.out).read_text("utf-8"))
        for data in results.get("datasets", {}):
            print(render(results, data))
        return 0
    diagnose(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
