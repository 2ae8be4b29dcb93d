"""Training the models of the methods on one fold: Adam, binary cross-entropy, early stopping.

The loss of a batch is the sum over branches of each branch's mean binary cross-entropy over its
outputs and the (unpadded) frames (a multi-output loss as in Keras). Every frame counts, silent
ones too: there all targets are 0. With ``pos_weight="balanced"`` each class's positive term is
weighted by its ratio of inactive to active training frames. After each epoch the validation
files give the mean loss and the F1 of the model's views (:mod:`~bindata.benchmark.validation`);
the :class:`~bindata.benchmark.runs.TrainConfig` ``selection`` criterion (validation loss by
default, or validation F1) picks the best epoch and decides early stopping (``patience``); the
weights of the best epoch are what :mod:`~bindata.benchmark.predict` uses. ``history.json``
holds the records of the epochs so far; ``done.json`` all of them when the model is finished.

Every epoch ends with an atomic checkpoint (weights, best weights, Adam state, counters), so an
interrupted training resumes where it stopped and ends with the same weights as an uninterrupted
one (batch order of epoch ``e`` depends on ``(seed, fold, model, e)`` only). A finished model has
``done.json`` and is skipped; a folder trained with other settings is refused, never mixed.

:func:`train_models` trains several models of one fold at once: those at the same epoch train
as batched ensembles of up to :attr:`~bindata.benchmark.runs.ComputeConfig.ensemble` members
(:mod:`~bindata.benchmark.ensemble`), with the same weights as one by one; their features can be
held once in (device) memory (:class:`~bindata.benchmark.data.FrameStore`). How each epoch
computes (precision, layout) is :mod:`~bindata.benchmark.accel`'s.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..divisions import multiclass_outputs
from ..errors import BenchmarkError
from ..io import atomic_path, sha256_json, write_json
from . import require_torch
from .accel import keep_freed_memory, prepare, resolve_precision
from .data import FrameStore, positive_weights, sequence_set
from .features import DEFAULT_FEATURES, FeatureParams, NormStats, normalisation_stats
from .runs import (
    DEFAULT_COMPUTE,
    DEFAULT_TRAIN,
    ComputeConfig,
    TrainConfig,
    model_dir,
    model_seed_sequence,
    split_files,
)

FORMAT = "bindata-crnn-v1"

#: Per-epoch records of a model in training (``done.json`` holds them once it is finished).
HISTORY = "history.json"


def resolve_device(device: str | None = None) -> str:
    """``device`` if given, else ``cuda`` when available, else ``cpu``."""
    torch = require_torch()
    if device:
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise BenchmarkError(f"device {device!r}: CUDA is not available here", key="device")
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def _save_atomic(obj, path: Path) -> None:
    torch = require_torch()
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def training_stats(corpus, stems, *, params: FeatureParams, runs_dir) -> NormStats:
    """Normalisation statistics of the training files ``stems``, cached under ``RUNS/stats``."""
    key = sha256_json([params.key(), sorted(stems)], length=16)
    path = Path(runs_dir) / "stats" / f"{key}.npz"
    if path.exists():
        with np.load(path) as z:
            return NormStats(z["mean"], z["std"])
    stats = normalisation_stats(corpus.features(s, params=params) for s in stems)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        np.savez(tmp, mean=stats.mean, std=stats.std)
    return stats


def _describe(model, fold, config, params, train, val, norm) -> dict:
    return {
        "format": FORMAT,
        "model": {
            "name": model.name,
            "owner": model.owner,
            "branches": [
                {"view": b.view, "units": b.units, "classes": list(b.classes)}
                for b in model.branches
            ],
        },
        "fold": int(fold),
        "config": config.to_dict(),
        "features": asdict(params),
        "train_stems": list(train),
        "val_stems": list(val),
        "norm": _norm_tensors(norm),
    }


def _norm_tensors(norm: NormStats) -> dict:
    """Normalisation statistics as tensors (fast to save and to load with ``weights_only``)."""
    torch = require_torch()
    return {"mean": torch.from_numpy(norm.mean.copy()), "std": torch.from_numpy(norm.std.copy())}


def _check_same(meta: dict, expected: dict, where: Path) -> None:
    keys = ("model", "fold", "config", "features", "train_stems", "val_stems")
    diff = [k for k in keys if meta.get(k) != expected[k]]
    if diff:
        raise BenchmarkError(
            f"{where}: trained with other {', '.join(diff)} than asked now; use another runs "
            "folder or delete this one to retrain"
        )


def _plan(corpus, model, fold, config, params, runs_dir):
    """Split, normalisation statistics and the metadata that identifies a training run."""
    train, val, _ = split_files(corpus, fold, val_fraction=config.val_fraction, seed=config.seed)
    norm = training_stats(corpus, train, params=params, runs_dir=runs_dir)
    return train, val, norm, _describe(model, fold, config, params, train, val, norm)


def _build(corpus, model, fold, config, params, plan, stores):
    """Training and validation sequences and the freshly initialised network."""
    torch = require_torch()
    from .model import build_model  # deferred: bindata.benchmark.model imports torch

    train, val, norm, _ = plan
    kw = {"views": model.views, "norm": norm, "params": params, "seq_len": config.seq_len}
    sets = (
        sequence_set(corpus, train, swap=config.augment == "swap", store=stores[0], **kw),
        sequence_set(corpus, val, store=stores[1], **kw),
    )
    init_seed = int(model_seed_sequence(config.seed, model, fold, 0).generate_state(1)[0])
    generator = torch.Generator().manual_seed(init_seed)
    net = build_model(
        [(b.units, len(b.classes)) for b in model.branches],
        generator=generator,
        n_bins=params.n_bins,
        in_channels=4,
        filters=config.filters,
        pool=config.pool,
        gru_units=config.gru_units,
    )
    return sets, net


def _pos_weight(model, sets, config: TrainConfig, device: str):
    """The positive weights of ``config.pos_weight`` as a tensor on ``device``, or None."""
    if config.pos_weight == "none":
        return None
    torch = require_torch()
    weights = positive_weights(sets[0].targets)
    if config.pos_weight == "multiclass":
        weighted = [w for b in model.branches for w in multiclass_outputs(b.view)]
        if not any(weighted):  # two-class outputs only: exactly the unweighted loss
            return None
        weights = np.where(weighted, weights, 1.0)
    return torch.as_tensor(weights, dtype=torch.float32).to(device)


def _stores(corpus, plan, params, config, device, compute):
    """Training and validation :class:`FrameStore` of a fold (or None, None when not resident)."""
    if not compute.is_resident(device):
        return None, None
    train, val, norm, _ = plan
    return tuple(
        FrameStore([corpus.features(s, params=params) for s in stems], norm, config.seq_len, device)
        for stems in (train, val)
    )


def train_model(corpus, model, fold: int, **kw) -> dict:
    """Train (or resume, or skip) one ``model`` on test fold ``fold``; see :func:`train_models`.

    Returns
    -------
    dict
        The content of ``done.json`` (``history``, ``best_epoch``, ``epoch_s``...), or
        ``{"interrupted": True, ...}`` when ``stop_after`` ended the call early.
    """
    return train_models(corpus, [model], fold, **kw)[0]


def train_models(
    corpus,
    models,
    fold: int,
    *,
    runs_dir,
    config: TrainConfig = DEFAULT_TRAIN,
    params: FeatureParams = DEFAULT_FEATURES,
    compute: ComputeConfig = DEFAULT_COMPUTE,
    device: str | None = None,
    progress: bool = False,
    log=None,
    stop_after: int | None = None,
) -> list[dict]:
    """Train (or resume, or skip) ``models`` of the methods on test fold ``fold``.

    Parameters
    ----------
    corpus : bindata.benchmark.corpus.Corpus
    models : sequence of bindata.benchmark.methods.ModelSpec
        Distinct models (a model shared by two methods is given once).
    fold : int
        Test fold; the models never see its files.
    runs_dir : path-like, keyword-only
        Run folder (see :mod:`bindata.benchmark.runs`).
    config : TrainConfig, keyword-only
    params : FeatureParams, keyword-only
    compute : ComputeConfig, keyword-only
        Precision, layout, batched ensembles, resident features.
    device : str, optional, keyword-only
        ``cpu``, ``cuda``, ``cuda:1``...; default CUDA when available.
    progress : bool, keyword-only
        Progress bars (tqdm).
    log : callable, optional, keyword-only
        Receives one line per model and epoch.
    stop_after : int, optional, keyword-only
        Return after this many epochs of this call (simulates an interruption; for tests).

    Returns
    -------
    list of dict
        Per model, the content of its ``done.json``, or ``{"interrupted": True, ...}`` when
        ``stop_after`` ended the call early.
    """
    from .loop import train_epoch  # deferred: bindata.benchmark.loop imports torch

    require_torch()
    device = resolve_device(device)
    precision = resolve_precision(compute.precision, device)
    if compute.keeps_freed_memory(device):
        keep_freed_memory()
    plan = _plan(corpus, models[0], fold, config, params, runs_dir) if models else None
    results, members, stores = [None] * len(models), [], None
    for i, model in enumerate(models):
        out = model_dir(runs_dir, model, fold)
        meta = _describe(model, fold, config, params, *plan[:3])
        if (out / "done.json").exists():
            results[i] = json.loads((out / "done.json").read_text("utf-8"))
            _check_same(results[i], meta, out)
            continue
        stores = stores or _stores(corpus, plan, params, config, device, compute)
        sets, net = _build(corpus, model, fold, config, params, plan, stores)
        out.mkdir(parents=True, exist_ok=True)
        run = _start(
            net, out / "checkpoint.pt", meta, config=config, device=device, compute=compute
        )
        members.append(
            {
                "i": i,
                "model": model,
                "out": out,
                "meta": meta,
                "sets": sets,
                "pos_weight": _pos_weight(model, sets, config, device),
                **run,
            }
        )
    ctx = {
        "fold": fold,
        "config": config,
        "device": device,
        "compute": compute,
        "precision": precision,
        "progress": progress,
    }
    for _ in range(config.max_epochs if stop_after is None else stop_after):
        active = [m for m in members if not _finished(m["state"], config)]
        if not active:
            break
        for group in _groups(active, compute.ensemble_size(device)):
            for m, rec in zip(group, train_epoch(group, **ctx), strict=True):
                _save_atomic(
                    {
                        "meta": m["meta"],
                        **{k: m[k] for k in ("state", "best_state_dict")},
                        "state_dict": m["net"].state_dict(),
                        "optimizer": m["opt"].state_dict(),
                    },
                    m["out"] / "checkpoint.pt",
                )
                write_json(m["out"] / HISTORY, _history_record(m))
                if log is not None:
                    f1 = " ".join(
                        f"{v} {'-' if x is None else f'{100 * x:.1f}'}"
                        for v, x in rec["val_f1"].items()
                    )
                    log(
                        f"{m['model'].owner}/{m['model'].name} fold {fold} epoch {rec['epoch']}: "
                        f"train {rec['train_loss']:.4f} val {rec['val_loss']:.4f} F1 % {f1} "
                        f"({rec['epoch_s']:.1f} s, {precision}, {len(group)} together)"
                    )
    for m in members:
        done = _finished(m["state"], config)
        results[m["i"]] = (
            _finish(m, device, precision) if done else {"interrupted": True, **m["state"]}
        )
    return results


def _finished(state: dict, config: TrainConfig) -> bool:
    return state["epoch"] >= config.max_epochs or state["bad_epochs"] >= config.patience


def _groups(active: list, size: int) -> list[list]:
    """Models at the same epoch, in chunks of at most ``size`` (one batched ensemble each)."""
    by_epoch = {}
    for m in active:
        by_epoch.setdefault(m["state"]["epoch"], []).append(m)
    return [ms[k : k + size] for ms in by_epoch.values() for k in range(0, len(ms), size)]


def _start(
    net, ckpt: Path, meta: dict, *, config: TrainConfig, device: str, compute: ComputeConfig
) -> dict:
    """Network, Adam, best weights and counters: fresh, or restored from ``ckpt``."""
    torch = require_torch()
    prepare(net, device, compute)
    opt = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    state = {
        "epoch": 0,
        "best_loss": float("inf"),
        "best_score": float("inf"),
        "best_epoch": -1,
        "bad_epochs": 0,
        "history": [],
    }
    best = copy.deepcopy(net.state_dict())
    if ckpt.exists():
        saved = torch.load(ckpt, map_location=device, weights_only=True)
        _check_same(saved["meta"], meta, ckpt.parent)
        net.load_state_dict(saved["state_dict"])
        opt.load_state_dict(saved["optimizer"])
        best, state = saved["best_state_dict"], saved["state"]
    return {"net": net, "opt": opt, "best_state_dict": best, "state": state}


def _history_record(run: dict) -> dict:
    """What ``history.json`` holds: the run's identity (no statistics) and its epochs so far."""
    record = {k: v for k, v in run["meta"].items() if k not in ("norm", "train_stems", "val_stems")}
    st = run["state"]
    record.update(best_epoch=st["best_epoch"], epochs=st["epoch"], history=st["history"])
    return record


def _finish(run: dict, device: str, precision: str) -> dict:
    """Write ``model.pt`` (best weights) and ``done.json``; drop the resume checkpoint.

    ``best_val_loss`` and ``best_val_f1`` are the validation loss and F1 of the best epoch (the
    one the ``selection`` criterion picked).
    """
    out, meta = run["out"], run["meta"]
    _save_atomic({"meta": meta, "state_dict": run["best_state_dict"]}, out / "model.pt")
    st = run["state"]
    hist = st["history"]
    best = next((h for h in hist if h["epoch"] == st["best_epoch"]), {})
    done = {k: v for k, v in meta.items() if k != "norm"}
    done.update(
        selection=TrainConfig.from_dict(meta["config"]).selection,
        best_epoch=st["best_epoch"],
        best_val_loss=st["best_loss"],
        best_val_f1=best.get("val_f1"),
        epochs=st["epoch"],
        history=hist,
        device=device,
        precision=precision,
        epoch_s=float(np.mean([h["epoch_s"] for h in hist])),
        data_share=float(sum(h["data_s"] for h in hist) / sum(h["epoch_s"] for h in hist)),
    )
    if run.get("pos_weight") is not None:
        done["pos_weight"] = [float(w) for w in run["pos_weight"].cpu().tolist()]
    write_json(out / "done.json", done)
    (out / "checkpoint.pt").unlink(missing_ok=True)
    (out / HISTORY).unlink(missing_ok=True)
    return done
