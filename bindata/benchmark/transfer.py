"""Train here, test there: every trained model of a benchmark run scored on other datasets.

For each method, each trained fold's model predicts *every* file of each test dataset (datasets
rendered through other heads, other rooms, other sounds, or measured responses), into that
dataset's ``predictions/<model>/`` folder (:func:`~bindata.benchmark.predict.predict_dataset`),
named ``<method>.fold<k>-trained-on-<training dataset>-<run tag>`` (the run tag: 8 hex digits of
the run folder's absolute path, so that models of other run folders -- other seeds, recipes or
levers trained on a dataset of the same name -- never replace each other's predictions; a run
folder's model replaces its own earlier ones),
and the scorer computes the method's cells (Tables 3-5) pooled over the test dataset's files. The
*transfer* F1 of a cell is the mean over the trained folds' models; the *in-domain* F1 is the
benchmark's own (mean over test folds of the training data); the difference is what the other
data costs. With intervals asked for, each fold model's test-set F1 carries the scorer's
jackknife interval (leave one test file out).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io import sha256_json
from .corpus import open_corpus
from .portable import model_from_runs
from .predict import predict_dataset
from .scoring import score_method


def transfer_scores(
    corpus, methods, folds, *, runs_dir, tests, in_domain, device="cpu", ci=None, progress=False
) -> dict:
    """Every method's cells on every test dataset, beside its in-domain cells.

    Parameters
    ----------
    corpus : bindata.benchmark.corpus.Corpus
        The training dataset.
    methods : sequence of Method
    folds : sequence of int
        The trained test folds (one model per method and fold).
    runs_dir : path-like, keyword-only
    tests : sequence of path-like, keyword-only
        Test datasets; all their files are predicted and scored.
    in_domain : dict, keyword-only
        Method name -> :func:`~bindata.benchmark.scoring.score_method` result on the training data.
    device, ci, progress : keyword-only

    Returns
    -------
    dict
        ``{test_root: {method: {"cells": {cell: {"in_domain", "transfer", "difference",
        "per_fold": {k: F1}, "intervals": {k: [low, high]}}}, "predictions": {k: folder}}}}``,
        F1 as fractions (None where undefined).
    """
    out = {}
    run_tag = sha256_json(str(Path(runs_dir).resolve()), length=8)
    for test_dir in tests:
        test = open_corpus(test_dir)
        per_test = {}
        for method in methods:
            per_fold, intervals, folders = {}, {}, {}
            for fold in folds:
                model = model_from_runs(runs_dir, method, fold, corpus=corpus, device=device)
                model.name = f"{model.name}-trained-on-{Path(corpus.root).name}-{run_tag}"
                rec = predict_dataset(model, test_dir, overwrite=True, progress=progress)
                folders[str(fold)] = rec["out_dir"]
                scores = score_method(
                    test, method, pred_dir=rec["out_dir"], folds=test.fold_ids, ci=ci
                )
                per_fold[str(fold)] = scores["pooled"]
                intervals[str(fold)] = scores.get("intervals", {})
            cells = {}
            for cell, ours in in_domain[method.name]["mean"].items():
                values = [f[cell] for f in per_fold.values() if f.get(cell) is not None]
                transfer = float(np.mean(values)) if values else None
                cells[cell] = {
                    "in_domain": ours,
                    "transfer": transfer,
                    "difference": None if None in (ours, transfer) else transfer - ours,
                    "per_fold": {k: f.get(cell) for k, f in per_fold.items()},
                    "intervals": {k: iv.get(cell) for k, iv in intervals.items() if iv},
                }
            per_test[method.name] = {"cells": cells, "predictions": folders}
        out[str(test_dir)] = per_test
    return out


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.2f}"


def render_transfer(scores: dict, *, train_root) -> str:
    """Plain-text transfer tables: per test dataset, method and cell, in-domain, transfer, diff."""
    blocks = []
    for test_root, per_method in scores.items():
        lines = [
            f"Transfer: trained on {train_root}, tested on every file of {test_root} "
            "(F1 %, transfer = mean over the trained folds' models)"
        ]
        head = ("method", "cell", "in-domain", "transfer", "difference", "95 % interval")
        rows = []
        for method, res in per_method.items():
            for cell, c in res["cells"].items():
                ivs = [iv for iv in c["intervals"].values() if iv]
                interval = (
                    f"[{100 * ivs[0][0]:.1f}, {100 * ivs[0][1]:.1f}]" if len(ivs) == 1 else ""
                )
                diff = "-" if c["difference"] is None else f"{100 * c['difference']:+.2f}"
                rows.append(
                    (method, cell, _pct(c["in_domain"]), _pct(c["transfer"]), diff, interval)
                )
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        for r in [head, *rows]:
            lines.append(
                "  ".join(
                    v.ljust(w) if i < 2 else v.rjust(w)
                    for i, (v, w) in enumerate(zip(r, widths, strict=True))
                )
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
