"""``bindata benchmark``: train, predict and score every method and fold, then print the tables.

Resumable at every level: finished models (``done.json``) and predicted folds (``predicted.json``)
are skipped, an interrupted training resumes from its last epoch (see
:mod:`~bindata.benchmark.train`), and shared models (EqSepMod's plane models in EqSepMod-J) are
trained once. Results go to ``RUNS/benchmark.json`` (or ``out_json``), written atomically.

Several seeds (``seeds``): every method and fold is trained, predicted and scored once per seed,
each seed in its own run folder ``RUNS/seed<s>`` (:func:`~bindata.benchmark.runs.seed_runs_dir`;
the seed sets the validation split, the initial weights and the batch order). A cell's figure is
then the mean over seeds of its mean over folds, with the sample standard deviation over seeds
(``sd``) and, with ``ci``, the mean over seeds of the jackknife bounds; each seed's own results
are kept under ``seeds``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from .. import __version__
from ..dataset.pool import pool_datasets
from ..errors import BenchmarkError
from ..io import read_manifest, write_json
from . import require_torch
from .corpus import open_corpus, parse_folds
from .features import DEFAULT_FEATURES, FeatureParams
from .methods import select_methods
from .portable import export_model
from .predict import predict_fold
from .runs import (
    DEFAULT_COMPUTE,
    DEFAULT_TRAIN,
    ComputeConfig,
    TrainConfig,
    default_runs_dir,
    predictions_dir,
    seed_runs_dir,
)
from .scoring import score_method
from .tables import build_tables, direction_table_id, render_tables
from .train import resolve_device, train_models
from .transfer import render_transfer, transfer_scores

#: What the results file keeps of each model's ``done.json``.
MODEL_KEYS = (
    "epochs",
    "best_epoch",
    "selection",
    "best_val_loss",
    "best_val_f1",
    "epoch_s",
    "data_share",
    "device",
    "precision",
)


def run_fold(corpus, methods, fold, *, runs_dir, config, params, compute, device, progress, log):
    """Train every model of ``methods`` for test fold ``fold`` together (skipping finished ones;
    batched ensembles per ``compute``), then predict each method; per method its models' records.
    """
    models = {}
    for method in methods:
        for model in method.models:
            models.setdefault(f"{model.owner}/{model.name}", model)
    done = train_models(
        corpus,
        list(models.values()),
        fold,
        runs_dir=runs_dir,
        config=config,
        params=params,
        compute=compute,
        device=device,
        progress=progress,
        log=log,
    )
    by_key = {key: {k: d.get(k) for k in MODEL_KEYS} for key, d in zip(models, done, strict=True)}
    trained = {}
    for method in methods:
        export_model(runs_dir, method, fold, corpus=corpus)
        predict_fold(corpus, method, fold, runs_dir=runs_dir, device=device, progress=progress)
        trained[method.name] = {
            f"{m.owner}/{m.name}": by_key[f"{m.owner}/{m.name}"] for m in method.models
        }
    return trained


def training_data(datasets, *, runs_dir=None) -> Path:
    """The dataset a benchmark trains on: ``datasets`` itself, or the pool of several.

    Several datasets are pooled fold by fold (:func:`bindata.dataset.pool.pool_datasets`) into
    ``RUNS/pool`` when ``runs_dir`` is given, else into ``FIRST/pools/<name>+<name>...`` (the
    pool's runs then default to ``POOL/runs``). A pool written before is reused.
    """
    if isinstance(datasets, (str, Path)):
        return Path(datasets)
    roots = [Path(d) for d in datasets]
    if len(roots) == 1:
        return roots[0]
    if runs_dir is not None:
        return pool_datasets(roots, Path(runs_dir) / "pool")
    names = "+".join(r.resolve().name for r in roots)
    return pool_datasets(roots, roots[0] / "pools" / names)


def corpus_sources(dataset_dir) -> list[str] | None:
    """The datasets a pool was made of (None for a dataset of its own)."""
    sources = read_manifest(dataset_dir, minimal_ok=True).get("pooled_from")
    return None if not sources else [s["path"] for s in sources]


def run_benchmark(
    dataset_dir,
    *,
    methods="all",
    folds="all",
    runs_dir=None,
    cache_dir=None,
    config: TrainConfig = DEFAULT_TRAIN,
    params: FeatureParams = DEFAULT_FEATURES,
    compute: ComputeConfig = DEFAULT_COMPUTE,
    device: str | None = None,
    out_json=None,
    progress: bool = True,
    log=None,
    ci=None,
    tests=(),
    seeds=None,
) -> dict:
    """Run the benchmark on a dataset.

    Parameters
    ----------
    dataset_dir : path-like or sequence of path-like
        The training data: a dataset, or several pooled fold by fold (:func:`training_data`:
        fold ``k`` of the pool is fold ``k`` of every dataset).
    methods : str or sequence of str, keyword-only
        ``"all"`` or method names (:func:`bindata.benchmark.methods.select_methods`).
    folds : "all", int or sequence of int, keyword-only
        The test folds: ``"all"``, a count N (folds 1..N) or the fold numbers
        (:func:`bindata.benchmark.corpus.parse_folds`).
    runs_dir, cache_dir : path-like, optional, keyword-only
        Run folder (default ``DATASET/runs``) and feature cache (default ``DATASET/features``).
    config : TrainConfig, keyword-only
    params : FeatureParams, keyword-only
    compute : ComputeConfig, keyword-only
        Precision, layout, batched ensembles (all models of a fold train together).
    device : str, optional, keyword-only
        Default CUDA when available, else CPU.
    out_json : path-like, optional, keyword-only
        Results file (default ``RUNS/benchmark.json``).
    progress : bool, keyword-only
    log : callable, optional, keyword-only
        Receives progress lines.
    ci : {None, 'jackknife'}, keyword-only
        Print and record every F1 with the scorer's jackknife interval (leave one file out).
    tests : sequence of path-like, keyword-only
        Test datasets (other heads, rooms, sounds): every trained model predicts all their files
        and the transfer table sets their F1 beside the in-domain F1
        (:mod:`bindata.benchmark.transfer`).
    seeds : sequence of int, optional, keyword-only
        Train every method and fold once per seed (each in ``RUNS/seed<s>``) and report the
        mean and standard deviation over seeds; default: one run with ``config.seed`` in
        ``RUNS`` (a single seed given here is that run too).

    Returns
    -------
    dict
        Everything written to the results file: settings, per method the trained models and
        scores (per seed under ``seeds`` when several seeds ran), the tables (ours and the
        paper's), the transfer scores (with ``tests``) and the text.
    """
    require_torch()
    device = resolve_device(device)
    seed_list = check_seeds(seeds, config.seed)
    test_corpora = [open_corpus(t) for t in tests]  # checked before any training
    dataset_dir = training_data(dataset_dir, runs_dir=runs_dir)
    corpus = open_corpus(dataset_dir, cache_dir=cache_dir)
    fold_list = parse_folds(folds, corpus.fold_ids)
    selected = select_methods(methods)
    runs = default_runs_dir(dataset_dir, runs_dir)
    say = log or (lambda _msg: None)
    t0 = time.perf_counter()
    per_seed, transfer, text = {}, {}, ""
    for seed in seed_list:
        runs_s = seed_runs_dir(runs, seed) if len(seed_list) > 1 else runs
        cfg = replace(config, seed=seed)
        if len(seed_list) > 1:
            say(f"seed {seed}: {runs_s}")
        trained = {m.name: {} for m in selected}
        for fold in fold_list:
            say(f"fold {fold}: {', '.join(m.name for m in selected)}")
            per_method = run_fold(
                corpus,
                selected,
                fold,
                runs_dir=runs_s,
                config=cfg,
                params=params,
                compute=compute,
                device=device,
                progress=progress,
                log=log,
            )
            for name, models in per_method.items():
                trained[name][str(fold)] = models
        results = {}
        for method in selected:
            scores = score_method(
                corpus, method, pred_dir=predictions_dir(runs_s, method), folds=fold_list, ci=ci
            )
            results[method.name] = {**scores, "models": trained[method.name]}
        per_seed[seed] = results
        if test_corpora:
            transfer[seed] = transfer_scores(
                corpus,
                selected,
                fold_list,
                runs_dir=runs_s,
                tests=[t.root for t in test_corpora],
                in_domain=results,
                device=device,
                ci=ci,
                progress=progress,
            )
    results = per_seed[seed_list[0]] if len(seed_list) == 1 else over_seeds(per_seed)
    tables = build_tables(results, max_overlap=corpus.max_overlap)
    text = render_tables(tables)
    for seed, scores in transfer.items():
        if len(seed_list) > 1:
            text += f"\nseed {seed}:"
        text += "\n" + render_transfer(scores, train_root=corpus.root)
    if len(seed_list) == 1:
        transfer = transfer.get(seed_list[0])
    transfer = transfer or None
    report = {
        "bindata_version": __version__,
        "dataset": str(Path(dataset_dir)),
        "pooled_from": corpus_sources(dataset_dir),
        "runs": str(runs),
        "device": device,
        "folds": fold_list,
        "methods": [m.name for m in selected],
        "max_overlap": corpus.max_overlap,
        "direction_table": direction_table_id(corpus.max_overlap),
        "config": replace(config, seed=seed_list[0]).to_dict(),
        "seeds": seed_list,
        "features": asdict(params),
        "results": results,
        "compute": asdict(compute),
        "tables": tables,
        "transfer": transfer,
        "text": text,
        "wall_s": round(time.perf_counter() - t0, 3),
        "metric": "1 s segment-based F1 (overall), mean over test folds, by bindata.score",
        "ci": ci,
    }
    out = Path(out_json) if out_json is not None else runs / "benchmark.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, report)
    report["out_json"] = str(out)
    return report


def check_seeds(seeds, default: int) -> list[int]:
    """The seeds of a benchmark: ``[default]`` when ``seeds`` is None, else distinct integers
    >= 0 in the order given.

    Raises
    ------
    BenchmarkError
        An empty list, a repeated seed, or one that is not an integer >= 0.
    """
    if seeds is None:
        return [int(default)]
    values = list(seeds)
    bad = [s for s in values if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 0]
    if not values or bad or len(set(values)) != len(values):
        raise BenchmarkError(
            f"seeds must be distinct integers >= 0, at least one; got {values!r}", key="seeds"
        )
    return [int(s) for s in values]


def _mean_sd(values):
    vals = [v for v in values if v is not None]
    mean = float(np.mean(vals)) if vals else None
    sd = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
    return mean, sd


def over_seeds(per_seed: dict) -> dict:
    """Per method, the cells' mean and sample standard deviation over seeds.

    Parameters
    ----------
    per_seed : dict
        Seed -> method -> :func:`~bindata.benchmark.scoring.score_method` result (with
        ``models``).

    Returns
    -------
    dict
        Method -> ``{"mean": {cell: mean over seeds of the mean over folds}, "sd": {cell: sample
        standard deviation over seeds (None with fewer than two defined)}, "seeds": {seed: that
        seed's result}}``, and with intervals ``"intervals": {cell: [mean low, mean high]}``
        (the mean over seeds of the jackknife bounds; None when a seed has none).
    """
    seeds = list(per_seed)
    out = {}
    for method in per_seed[seeds[0]]:
        runs = [per_seed[s][method] for s in seeds]
        cells = list(runs[0]["mean"])
        stats = {c: _mean_sd([r["mean"][c] for r in runs]) for c in cells}
        res = {
            "mean": {c: m for c, (m, _) in stats.items()},
            "sd": {c: sd for c, (_, sd) in stats.items()},
            "seeds": {str(s): r for s, r in zip(seeds, runs, strict=True)},
        }
        if all("intervals" in r for r in runs):
            res["intervals"] = {}
            for c in cells:
                ivs = [r["intervals"].get(c) for r in runs]
                res["intervals"][c] = (
                    None if None in ivs else [float(np.mean(b)) for b in zip(*ivs, strict=True)]
                )
        out[method] = res
    return out
