"""Training one model of one method on one fold: Adam, binary cross-entropy, early stopping.

The loss of a batch is the sum over branches of each branch's mean binary cross-entropy over its
outputs and the (unpadded) frames (a multi-output loss as in Keras). After each epoch the mean
loss of the validation files decides early stopping (:class:`~bindata.benchmark.runs.TrainConfig`
``patience``); the weights of the best epoch are what :mod:`~bindata.benchmark.predict` uses.

Every epoch ends with an atomic checkpoint (weights, best weights, Adam state, counters), so an
interrupted training resumes where it stopped and ends with the same weights as an uninterrupted
one (batch order of epoch ``e`` depends on ``(seed, fold, model, e)`` only). A finished model has
``done.json`` and is skipped; a folder trained with other settings is refused, never mixed.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..errors import BenchmarkError
from ..io import atomic_path, sha256_json, write_json
from . import require_torch
from .data import sequence_set
from .features import DEFAULT_FEATURES, FeatureParams, NormStats, normalisation_stats
from .runs import DEFAULT_TRAIN, TrainConfig, model_dir, model_seed_sequence, split_files

FORMAT = "bindata-crnn-v1"


def resolve_device(device: str | None = None) -> str:
    """``device`` if given, else ``cuda`` when available, else ``cpu``."""
    torch = require_torch()
    if device:
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise BenchmarkError(f"--device {device}: CUDA is not available here")
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


def batch_loss(logits, y, mask, splits):
    """Sum over branches of the mean masked binary cross-entropy (see the module doc)."""
    torch = require_torch()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
    bce = bce * mask.unsqueeze(-1)
    total, start, frames = 0.0, 0, mask.sum().clamp_min(1.0)
    for width in splits:
        total = total + bce[..., start : start + width].sum() / (frames * width)
        start += width
    return total


def _describe(model, fold, config, params, train, val, norm) -> dict:
    return {
        "format": FORMAT,
        "model": {"name": model.name, "owner": model.owner,
                  "branches": [{"view": b.view, "units": b.units, "classes": list(b.classes)}
                               for b in model.branches]},
        "fold": int(fold), "config": config.to_dict(), "features": asdict(params),
        "train_stems": list(train), "val_stems": list(val), "norm": _norm_tensors(norm),
    }  # fmt: skip


def _norm_tensors(norm: NormStats) -> dict:
    """Normalisation statistics as tensors (fast to save and to load with ``weights_only``)."""
    torch = require_torch()
    return {"mean": torch.from_numpy(norm.mean.copy()), "std": torch.from_numpy(norm.std.copy())}


def _check_same(meta: dict, expected: dict, where: Path) -> None:
    keys = ("model", "fold", "config", "features", "train_stems", "val_stems")
    diff = [k for k in keys if meta.get(k) != expected[k]]
    if diff:
        raise BenchmarkError(
            f"{where}: trained with other {', '.join(diff)} than asked now; use another --runs "
            "folder or delete this one to retrain"
        )


def _plan(corpus, model, fold, config, params, runs_dir):
    """Split, normalisation statistics and the metadata that identifies a training run."""
    train, val, _ = split_files(corpus, fold, val_fraction=config.val_fraction, seed=config.seed)
    norm = training_stats(corpus, train, params=params, runs_dir=runs_dir)
    return train, val, norm, _describe(model, fold, config, params, train, val, norm)


def _build(corpus, model, fold, config, params, plan):
    """Training and validation sequences and the freshly initialised network."""
    torch = require_torch()
    from .model import build_model

    train, val, norm, _ = plan
    kw = {"views": model.views, "norm": norm, "params": params, "seq_len": config.seq_len}
    sets = sequence_set(corpus, train, **kw), sequence_set(corpus, val, **kw)
    init_seed = int(model_seed_sequence(config.seed, model, fold, 0).generate_state(1)[0])
    generator = torch.Generator().manual_seed(init_seed)
    net = build_model([(b.units, len(b.classes)) for b in model.branches], generator=generator,
                      n_bins=params.n_bins, in_channels=4, filters=config.filters,
                      pool=config.pool, gru_units=config.gru_units)  # fmt: skip
    return sets, net


def _run_epoch(net, opt, data, *, splits, config, device, rng, progress, desc):
    """One pass over ``data``; trains when ``opt`` is given. Returns (mean loss, timings)."""
    torch = require_torch()
    from tqdm.auto import tqdm

    net.train(opt is not None)
    total, count, t_data, t_step = 0.0, 0, 0.0, 0.0
    n_batches = -(-len(data) // config.batch_size)
    it = data.batches(batch_size=config.batch_size, rng=rng)
    bar = tqdm(total=n_batches, desc=desc, unit="batch", leave=False, disable=not progress)
    with torch.set_grad_enabled(opt is not None):
        while True:
            t0 = time.perf_counter()
            try:
                x, y, mask = next(it)
            except StopIteration:
                break
            x, y, mask = (torch.from_numpy(a).to(device) for a in (x, y, mask))
            t1 = time.perf_counter()
            loss = batch_loss(net(x), y, mask, splits)
            if opt is not None:
                opt.zero_grad()
                loss.backward()
                opt.step()
            value = float(loss.detach().cpu())
            t_data, t_step = t_data + (t1 - t0), t_step + (time.perf_counter() - t1)
            total, count = total + value * x.shape[0], count + x.shape[0]
            bar.update(1)
            bar.set_postfix(loss=f"{value:.4f}")
    bar.close()
    return total / max(count, 1), t_data, t_step


def train_model(corpus, model, fold: int, *, runs_dir, config: TrainConfig = DEFAULT_TRAIN,
                params: FeatureParams = DEFAULT_FEATURES, device: str | None = None,
                progress: bool = False, log=None, stop_after: int | None = None) -> dict:  # fmt: skip
    """Train (or resume, or skip) ``model`` of a method on test fold ``fold``.

    Parameters
    ----------
    corpus : bindata.benchmark.corpus.Corpus
    model : bindata.benchmark.methods.ModelSpec
    fold : int
        Test fold; the model never sees its files.
    runs_dir : path-like, keyword-only
        Run folder (see :mod:`bindata.benchmark.runs`).
    config : TrainConfig, keyword-only
    params : FeatureParams, keyword-only
    device : str, optional, keyword-only
        ``cpu``, ``cuda``, ``cuda:1``...; default CUDA when available.
    progress : bool, keyword-only
        Progress bars (tqdm).
    log : callable, optional, keyword-only
        Receives one line per epoch.
    stop_after : int, optional, keyword-only
        Return after this many epochs of this call (simulates an interruption; for tests).

    Returns
    -------
    dict
        The content of ``done.json`` (``history``, ``best_epoch``, ``epoch_s``...), or
        ``{"interrupted": True, ...}`` when ``stop_after`` ended the call early.
    """
    require_torch()
    out = model_dir(runs_dir, model, fold)
    plan = _plan(corpus, model, fold, config, params, runs_dir)
    meta = plan[3]
    if (out / "done.json").exists():
        done = json.loads((out / "done.json").read_text("utf-8"))
        _check_same(done, meta, out)
        return done
    sets, net = _build(corpus, model, fold, config, params, plan)
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(device)
    run = _start(net, out / "checkpoint.pt", meta, config=config, device=device)
    for _ in range(config.max_epochs if stop_after is None else stop_after):
        st = run["state"]
        if st["epoch"] >= config.max_epochs or st["bad_epochs"] >= config.patience:
            break
        rec = _epoch(run, sets, model=model, fold=fold, config=config, device=device,
                     progress=progress)  # fmt: skip
        _save_atomic({"meta": meta, **{k: run[k] for k in ("state", "best_state_dict")},
                      "state_dict": run["net"].state_dict(),
                      "optimizer": run["opt"].state_dict()}, out / "checkpoint.pt")  # fmt: skip
        if log is not None:
            log(
                f"{model.owner}/{model.name} fold {fold} epoch {rec['epoch']}: train "
                f"{rec['train_loss']:.4f} val {rec['val_loss']:.4f} ({rec['epoch_s']:.1f} s)"
            )
    st = run["state"]
    if st["epoch"] < config.max_epochs and st["bad_epochs"] < config.patience:
        return {"interrupted": True, **st}
    return _finish(out, meta, run, device)


def _start(net, ckpt: Path, meta: dict, *, config: TrainConfig, device: str) -> dict:
    """Network, Adam, best weights and counters: fresh, or restored from ``ckpt``."""
    torch = require_torch()
    net.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    state = {"epoch": 0, "best_loss": float("inf"), "best_epoch": -1, "bad_epochs": 0,
             "history": []}  # fmt: skip
    best = copy.deepcopy(net.state_dict())
    if ckpt.exists():
        saved = torch.load(ckpt, map_location=device, weights_only=True)
        _check_same(saved["meta"], meta, ckpt.parent)
        net.load_state_dict(saved["state_dict"])
        opt.load_state_dict(saved["optimizer"])
        best, state = saved["best_state_dict"], saved["state"]
    return {"net": net, "opt": opt, "best_state_dict": best, "state": state}


def _epoch(run: dict, sets, *, model, fold, config, device, progress) -> dict:
    """Train one epoch, validate, update the early-stopping counters; returns its record."""
    state, net = run["state"], run["net"]
    e = state["epoch"]
    splits = [len(b.classes) for b in model.branches]
    rng = np.random.default_rng(model_seed_sequence(config.seed, model, fold, 1, e))
    t0 = time.perf_counter()
    tr = _run_epoch(net, run["opt"], sets[0], splits=splits, config=config, device=device,
                    rng=rng, progress=progress,
                    desc=f"{model.owner}/{model.name} fold{fold} ep{e + 1}")  # fmt: skip
    va = _run_epoch(net, None, sets[1], splits=splits, config=config, device=device, rng=None,
                    progress=False, desc="val")  # fmt: skip
    rec = {"epoch": e + 1, "train_loss": tr[0], "val_loss": va[0], "data_s": tr[1] + va[1],
           "step_s": tr[2] + va[2], "epoch_s": time.perf_counter() - t0}  # fmt: skip
    state["history"].append(rec)
    if va[0] < state["best_loss"]:
        state.update(best_loss=va[0], best_epoch=e + 1, bad_epochs=0)
        run["best_state_dict"] = copy.deepcopy(net.state_dict())
    else:
        state["bad_epochs"] += 1
    state["epoch"] = e + 1
    return rec


def _finish(out: Path, meta: dict, run: dict, device: str) -> dict:
    """Write ``model.pt`` (best weights) and ``done.json``; drop the resume checkpoint."""
    _save_atomic({"meta": meta, "state_dict": run["best_state_dict"]}, out / "model.pt")
    st = run["state"]
    hist = st["history"]
    done = {k: v for k, v in meta.items() if k != "norm"}
    done.update(best_epoch=st["best_epoch"], best_val_loss=st["best_loss"], epochs=st["epoch"],
                history=hist, device=device,
                epoch_s=float(np.mean([h["epoch_s"] for h in hist])),
                data_share=float(sum(h["data_s"] for h in hist) / sum(h["epoch_s"] for h in hist)))  # fmt: skip
    write_json(out / "done.json", done)
    (out / "checkpoint.pt").unlink(missing_ok=True)
    return done
