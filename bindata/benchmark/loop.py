"""One epoch of one model or of a batched ensemble of models (import after torch).

A *member* is one model in training: a dict with its ``model`` (ModelSpec), ``net``, ``opt``
(Adam), ``sets`` (training and validation :class:`~bindata.benchmark.data.SequenceSet`),
``state`` (epoch, early-stopping counters, history) and ``best_state_dict``
(see :mod:`~bindata.benchmark.train`). Members of one call train on the same files, so their
sets have the same number of windows and their batches line up; each keeps its own batch order
(seeded by ``(seed, fold, model, 1, epoch)``) and, with ``--augment swap``, its own swap draws
(``(seed, fold, model, 2, epoch)``): an ensemble sees what each member would see alone.

After the validation pass each member's record holds its validation loss and the validation F1
of its views (:mod:`~bindata.benchmark.validation`, from the probabilities of that pass); the
member's :attr:`~bindata.benchmark.runs.TrainConfig.selection` criterion picks its best epoch and
counts its epochs without progress. A member may carry ``pos_weight`` (a tensor of its classes'
positive weights, :attr:`~bindata.benchmark.runs.TrainConfig.pos_weight`).
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch

from .accel import autocast, memory_format, to_input
from .ensemble import GroupedCRNN, merged_adam, split_adam
from .runs import model_seed_sequence
from .validation import mean_f1, scored_views, validation_f1


def batch_loss(logits, y, mask, splits, pos_weight=None):
    """Sum over branches of the mean masked binary cross-entropy (see :mod:`.train`).

    ``logits`` are taken in float32 whatever the precision of the forward pass. ``pos_weight``
    (C,), when given, weights each class's positive term:
    ``-(w_c y log s(z) + (1 - y) log(1 - s(z)))``.
    """
    bce = torch.nn.functional.binary_cross_entropy_with_logits(
        logits.float(), y, reduction="none", pos_weight=pos_weight
    )
    bce = bce * mask.unsqueeze(-1)
    total, start, frames = 0.0, 0, mask.sum().clamp_min(1.0)
    for width in splits:
        total = total + bce[..., start : start + width].sum() / (frames * width)
        start += width
    return total


def group_network(group, compute):
    """(module to set train/eval, forward over per-member inputs, optimizer, finish callback)."""
    if len(group) == 1:
        net, opt = group[0]["net"], group[0]["opt"]
        return net, lambda xs: [net(xs[0])], opt, lambda: None
    grouped = GroupedCRNN([m["net"] for m in group])
    grouped.conv.to(memory_format=memory_format(compute))
    grouped.memory_format = memory_format(compute)
    opts = [m["opt"] for m in group]
    opt = merged_adam(grouped, opts, lr=opts[0].param_groups[0]["lr"])

    def finish():
        grouped.write_back()
        split_adam(grouped, opt, opts)

    return grouped, lambda xs: grouped(torch.stack(xs)), opt, finish


def run_pass(
    module,
    forward,
    opt,
    sets,
    *,
    splits,
    rngs,
    swap_rngs,
    config,
    device,
    compute,
    precision,
    pos_weights=None,
    collect=False,
    progress=False,
    desc="",
):
    """One pass over every member's set; trains when ``opt`` is given.

    Returns
    -------
    (list of float, float, float, list or None)
        Mean loss per member, seconds reading batches, seconds computing and, with ``collect``,
        per member the probabilities (n_windows, seq_len, C) float32 of its windows in the
        order of the pass.
    """
    from tqdm.auto import tqdm

    module.train(opt is not None)
    n = len(sets)
    pos_weights = pos_weights or [None] * n
    probs = [[] for _ in range(n)] if collect else None
    totals, count, t_data, t_step = np.zeros(n), 0, 0.0, 0.0
    its = [
        s.batches(batch_size=config.batch_size, rng=r, swap_rng=w)
        for s, r, w in zip(sets, rngs, swap_rngs, strict=True)
    ]
    bar = tqdm(
        total=-(-len(sets[0]) // config.batch_size),
        desc=desc,
        unit="batch",
        leave=False,
        disable=not progress,
    )
    with torch.set_grad_enabled(opt is not None):
        while True:
            t0 = time.perf_counter()
            try:
                batches = [next(it) for it in its]
            except StopIteration:
                break
            xs = [to_input(b[0], device, compute) for b in batches]
            ym = [
                (torch.as_tensor(b[1]).to(device), torch.as_tensor(b[2]).to(device))
                for b in batches
            ]
            t1 = time.perf_counter()
            with autocast(device, precision):
                logits = forward(xs)
            losses = [
                batch_loss(lg, y, m, sp, pw)
                for lg, (y, m), sp, pw in zip(logits, ym, splits, pos_weights, strict=True)
            ]
            if collect:
                for k, lg in enumerate(logits):
                    probs[k].append(torch.sigmoid(lg.detach().float()).cpu().numpy())
            if opt is not None:
                opt.zero_grad()
                sum(losses).backward()
                opt.step()
            values = np.array([float(v.detach().cpu()) for v in losses])
            t_data, t_step = t_data + (t1 - t0), t_step + (time.perf_counter() - t1)
            totals, count = totals + values * xs[0].shape[0], count + xs[0].shape[0]
            bar.update(1)
            bar.set_postfix(loss=f"{values.mean():.4f}")
    bar.close()
    if collect:
        probs = [np.concatenate(p) for p in probs]
    return [float(v) for v in totals / max(count, 1)], t_data, t_step, probs


def train_epoch(group, *, fold, config, device, compute, precision, progress=False) -> list:
    """Train the members of ``group`` (all at the same epoch) for one epoch, validate each,
    update their early-stopping counters; returns one record per member."""
    e = group[0]["state"]["epoch"]
    splits = [[len(b.classes) for b in m["model"].branches] for m in group]
    rngs = [
        np.random.default_rng(model_seed_sequence(config.seed, m["model"], fold, 1, e))
        for m in group
    ]
    swap = [
        np.random.default_rng(model_seed_sequence(config.seed, m["model"], fold, 2, e))
        if config.augment == "swap"
        else None
        for m in group
    ]
    kw = {
        "splits": splits,
        "config": config,
        "device": device,
        "compute": compute,
        "precision": precision,
        "pos_weights": [m.get("pos_weight") for m in group],
    }
    lr = config.learning_rate_at(e)
    for m in group:
        for param_group in m["opt"].param_groups:
            param_group["lr"] = lr
    t0 = time.perf_counter()
    module, forward, opt, finish = group_network(group, compute)
    names = "+".join(m["model"].name for m in group)
    tr = run_pass(
        module,
        forward,
        opt,
        [m["sets"][0] for m in group],
        rngs=rngs,
        swap_rngs=swap,
        progress=progress,
        desc=f"{names} fold{fold} ep{e + 1}",
        **kw,
    )
    va = run_pass(
        module,
        forward,
        None,
        [m["sets"][1] for m in group],
        rngs=[None] * len(group),
        swap_rngs=[None] * len(group),
        collect=True,
        **kw,
    )
    finish()
    t1 = time.perf_counter()
    val_f1 = [
        validation_f1(
            m["sets"][1], va[3][k], views=scored_views(m["model"]), threshold=config.threshold
        )
        for k, m in enumerate(group)
    ]
    t_f1 = time.perf_counter() - t1
    wall = time.perf_counter() - t0
    records = []
    for k, m in enumerate(group):
        rec = {
            "epoch": e + 1,
            "train_loss": tr[0][k],
            "val_loss": va[0][k],
            "val_f1": val_f1[k],
            "lr": lr,
            "data_s": tr[1] + va[1],
            "step_s": tr[2] + va[2],
            "f1_s": t_f1,
            "epoch_s": wall,
            "ensemble": len(group),
        }
        _update(m, rec, config.selection)
        records.append(rec)
    return records


def criterion(rec: dict, selection: str) -> float:
    """The value an epoch record is selected on, lower is better: the validation loss, or minus
    the mean validation F1 of the model's views."""
    return rec["val_loss"] if selection == "val_loss" else -mean_f1(rec["val_f1"])


def _update(member: dict, rec: dict, selection: str = "val_loss") -> None:
    """Append ``rec`` to the history, keep the best weights (strictly better ``selection``
    criterion), count epochs without progress."""
    state = member["state"]
    state["history"].append(rec)
    value = criterion(rec, selection)
    if value < state.get("best_score", state["best_loss"]):
        state.update(
            best_score=value, best_loss=rec["val_loss"], best_epoch=rec["epoch"], bad_epochs=0
        )
        member["best_state_dict"] = copy.deepcopy(member["net"].state_dict())
    else:
        state["bad_epochs"] += 1
    state["epoch"] = rec["epoch"]
