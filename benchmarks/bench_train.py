"""Benchmark of CRNN training: fp32 against the faster settings, batched ensembles against one by one.

In one run on one machine, with the training code's own epoch loop
(:func:`bindata.benchmark.loop.run_pass`) on synthetic random features (the input pipeline is
under 1 % of an epoch, see ``done.json``'s ``data_share``):

1. **Epoch time of the default model** (the paper's: 64 filters, pooling 4-4-2, GRU 128, batch
   32 of 128-frame sequences of 4 x 512 features, EqSepBran-J's four branches, 48 batches per
   epoch as on ``bindata synth --n 400`` data) in fp32 (NCHW, the old default) against each
   faster setting: channels-last, bf16 autocast, both, each of the channels-last ones with the
   freed memory kept for the next step (:func:`bindata.benchmark.accel.keep_freed_memory`, the
   default on a CPU), and optionally ``torch.compile``. Each
   setting is warmed up (``--warmup`` steps, their time reported apart: oneDNN builds its
   kernels then), then ``--batches`` training steps are timed; the epoch time is the mean step
   time x 48. Target: <= 60 s per epoch on 2 CPU cores (170-185 s before).
2. **Batched ensemble throughput**: EqSepMod's three plane models trained one at a time (three
   steps on their own batches) against one grouped network of the three (one step), for the
   default model and for a small one (``--small-filters``, ``--small-gru``), in models x batches
   per second.
3. Optionally (``--data DATASET``) **what the models learn**: EqSepBran-J trained on fold
   ``--fold`` for ``--epochs`` epochs in fp32 and in bf16 with the same seed, predicted and
   scored: every F1 cell side by side (target: within +-1 point).
4. **Training without a disk** (real scenes, not random features): one epoch of the default
   model (default settings) on ``--stream-scenes`` scenes rendered on the fly
   (``RenderedScenes`` of :mod:`bindata.benchmark.stream` in a DataLoader with
   ``--stream-workers`` workers) against the same scenes written by ``bindata.synthesize`` and
   read from their cached features: the same batches in the same order from the same initial
   weights, so the losses agree. Epoch times, scenes per second and their ratio; the synthesis
   and feature caching of the cached side are reported apart.

Usage: ``python benchmarks/bench_train.py [--batches 48] [--warmup 2] [--threads N]
[--device cpu|cuda] [--compile] [--skip-ensemble] [--data DATASET --epochs 3 --fold 1]
[--stream-scenes 24] [--stream-workers 0] [--stream-duration 15]``; ``--batches 4`` gives a
run of a few minutes on 2 CPU cores; ``--stream-scenes 0`` skips part 4.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch

from bindata.benchmark.accel import cpu_has_bf16, keep_freed_memory, prepare, resolve_precision
from bindata.benchmark.features import DEFAULT_FEATURES
from bindata.benchmark.loop import group_network, run_pass
from bindata.benchmark.methods import get_method
from bindata.benchmark.model import build_model
from bindata.benchmark.runs import ComputeConfig, TrainConfig

TARGET_EPOCH_S = 60.0
BATCHES_PER_EPOCH = 48


class SyntheticSet:
    """``n_batches`` batches of random features and targets (one batch, made once, repeated)."""

    def __init__(self, n_batches, *, batch_size, seq_len, n_bins, n_classes, seed):
        rng = np.random.default_rng(seed)
        self.n = n_batches * batch_size
        self.x = rng.standard_normal((batch_size, 4, seq_len, n_bins), dtype=np.float32)
        self.y = (rng.random((batch_size, seq_len, n_classes)) < 0.3).astype(np.float32)
        self.mask = np.ones((batch_size, seq_len), np.float32)

    def __len__(self):
        return self.n

    def batches(self, *, batch_size, rng=None, swap_rng=None):
        for _ in range(self.n // batch_size):
            yield self.x, self.y, self.mask


def _members(spec, config, device, compute, seed=0):
    """Fresh members (network and Adam) of the models of ``spec``."""
    out = []
    for k, model in enumerate(spec):
        net = build_model(
            [(b.units, len(b.classes)) for b in model.branches],
            generator=torch.Generator().manual_seed(seed + k),
            filters=config.filters,
            pool=config.pool,
            gru_units=config.gru_units,
        )
        prepare(net, device, compute)
        out.append(
            {
                "model": model,
                "net": net,
                "opt": torch.optim.Adam(net.parameters(), lr=config.learning_rate),
            }
        )
    return out


def _train_steps(group, n_batches, config, device, compute, precision) -> float:
    """Seconds of ``n_batches`` training steps of ``group`` (one batched network if > 1)."""
    for m in group:
        m["sets"] = (
            SyntheticSet(
                n_batches,
                batch_size=config.batch_size,
                seq_len=config.seq_len,
                n_bins=512,
                n_classes=len(m["model"].classes),
                seed=1,
            ),
        )
    module, forward, opt, finish = group_network(group, compute)
    splits = [[len(b.classes) for b in m["model"].branches] for m in group]
    t0 = time.perf_counter()
    run_pass(
        module,
        forward,
        opt,
        [m["sets"][0] for m in group],
        splits=splits,
        rngs=[None] * len(group),
        swap_rngs=[None] * len(group),
        config=config,
        device=device,
        compute=compute,
        precision=precision,
    )
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    finish()
    return wall


def _settings(args, device):
    plain = {"keep_freed_memory": False}
    out = [
        ("fp32", ComputeConfig(precision="fp32", channels_last=False, **plain)),
        ("fp32 channels-last", ComputeConfig(precision="fp32", **plain)),
        ("bf16", ComputeConfig(precision="bf16", channels_last=False, **plain)),
        ("bf16 channels-last", ComputeConfig(precision="bf16", **plain)),
        ("fp32 channels-last, memory kept", ComputeConfig(precision="fp32")),
        ("bf16 channels-last, memory kept", ComputeConfig(precision="bf16")),
    ]
    if args.compile:
        out.append(("bf16 channels-last compiled", ComputeConfig(precision="bf16", compile=True)))
    return out


def epoch_times(args, device) -> dict:
    """Part 1: per setting, warm-up seconds and the epoch time of the default model."""
    config = TrainConfig()
    spec = get_method("EqSepBran-J").models
    rows, base = {}, None
    print(
        f"1. default model, {args.batches} timed steps after {args.warmup} warm-up step(s), "
        f"epoch = mean step x {BATCHES_PER_EPOCH}"
    )
    for name, compute in _settings(args, device):
        keep_freed_memory(compute.keeps_freed_memory(device))
        members = _members(spec, config, device, compute)
        precision = resolve_precision(compute.precision, device)
        warm = _train_steps(members, args.warmup, config, device, compute, precision)
        step = (
            _train_steps(members, args.batches, config, device, compute, precision) / args.batches
        )
        epoch = step * BATCHES_PER_EPOCH
        base = base or epoch
        rows[name] = {"warmup_s": warm, "step_s": step, "epoch_s": epoch}
        print(
            f"   {name:32s} warm-up {warm:6.1f} s   step {step:6.2f} s   epoch {epoch:7.1f} s"
            f"   x{base / epoch:4.2f} vs fp32",
            flush=True,
        )
    keep_freed_memory(ComputeConfig().keeps_freed_memory(device))  # the default from here on
    best = min(rows, key=lambda k: rows[k]["epoch_s"])
    verdict = "meets" if rows[best]["epoch_s"] <= TARGET_EPOCH_S else "misses"
    print(
        f"   fastest: {best} ({rows[best]['epoch_s']:.1f} s/epoch), {verdict} the target of "
        f"<= {TARGET_EPOCH_S:.0f} s"
    )
    return rows


def ensemble_throughput(args, device) -> dict:
    """Part 2: models x batches per second, one at a time against one batched network."""
    compute = ComputeConfig()
    precision = resolve_precision(compute.precision, device)
    spec = get_method("EqSepMod").models
    out = {}
    print(f"2. EqSepMod's {len(spec)} plane models, {args.batches} steps each, {precision}")
    small = TrainConfig(filters=args.small_filters, gru_units=args.small_gru)
    for label, config in (
        ("default", TrainConfig()),
        (f"small ({small.filters} filters, GRU {small.gru_units})", small),
    ):
        members = _members(spec, config, device, compute)
        _train_steps(members, args.warmup, config, device, compute, precision)  # warm up grouped
        for m in members:
            _train_steps([m], args.warmup, config, device, compute, precision)
        alone = sum(
            _train_steps([m], args.batches, config, device, compute, precision) for m in members
        )
        together = _train_steps(members, args.batches, config, device, compute, precision)
        n = len(members) * args.batches
        out[label] = {"one_by_one_per_s": n / alone, "ensemble_per_s": n / together}
        print(
            f"   {label:32s} one by one {n / alone:7.2f} model-batches/s   ensemble "
            f"{n / together:7.2f}   x{alone / together:4.2f}",
            flush=True,
        )
    return out


def learned_f1(args, device) -> dict:
    """Part 3: EqSepBran-J for ``--epochs`` epochs in fp32 and bf16: F1 cells side by side."""
    from bindata.benchmark.run import run_benchmark

    config = TrainConfig(max_epochs=args.epochs, patience=args.epochs)
    cells = {}
    with tempfile.TemporaryDirectory() as tmp:
        for precision in ("fp32", "bf16"):
            rep = run_benchmark(
                args.data,
                methods="EqSepBran-J",
                folds=[args.fold],
                runs_dir=f"{tmp}/{precision}",
                config=config,
                device=device,
                compute=ComputeConfig(precision=precision),
                progress=False,
            )
            res = rep["results"]["EqSepBran-J"]
            epoch_s = next(iter(res["models"][str(args.fold)].values()))["epoch_s"]
            cells[precision] = res["mean"]
            print(f"   {precision}: {epoch_s:.1f} s/epoch", flush=True)
    print(f"3. EqSepBran-J fold {args.fold}, {args.epochs} epochs, F1 % (bf16 - fp32):")
    worst = 0.0
    for cell, f32 in cells["fp32"].items():
        diff = 100 * (cells["bf16"][cell] - f32)
        worst = max(worst, abs(diff))
        print(
            f"   {cell:20s} fp32 {100 * f32:6.2f}   bf16 {100 * cells['bf16'][cell]:6.2f}"
            f"   {diff:+5.2f}"
        )
    print(f"   largest difference {worst:.2f} points ({'within' if worst <= 1 else 'outside'} +-1)")
    return cells


class RenderedSet:
    """:func:`run_pass`'s view of :class:`RenderedScenes`: batches of ``batch_size`` windows
    from a DataLoader over the scenes, in order (as a :class:`SequenceSet` without shuffling)."""

    def __init__(self, scenes, *, workers):
        self.scenes, self.workers = scenes, workers

    def __len__(self):
        return len(self.scenes) * self.scenes.windows_per_scene

    def batches(self, *, batch_size, rng=None, swap_rng=None):
        from bindata.benchmark.stream import RenderedScenes, rebatch

        loader = torch.utils.data.DataLoader(
            self.scenes,
            batch_size=max(1, batch_size // self.scenes.windows_per_scene),
            num_workers=self.workers,
            collate_fn=RenderedScenes.collate,
        )
        yield from rebatch(loader, batch_size)


def rendered_vs_cached(args, device) -> dict:
    """Part 4: an epoch of the default model on scenes rendered on the fly against the same
    scenes' cached features."""
    import bindata
    from bindata.benchmark.corpus import open_corpus
    from bindata.benchmark.data import sequence_set
    from bindata.benchmark.features import normalisation_stats
    from bindata.benchmark.stream import RenderedScenes

    config, compute = TrainConfig(), ComputeConfig()
    precision = resolve_precision(compute.precision, device)
    spec = get_method("EqSepBran-J").models
    n = args.stream_scenes
    options = {"n_files": n, "n_folds": 1, "duration_s": args.stream_duration}
    print(
        f"4. default model, one epoch on {n} scenes of {args.stream_duration:g} s rendered on "
        f"the fly ({args.stream_workers} DataLoader workers) against their cached features"
    )
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ds = bindata.synthesize(f"{tmp}/ds", seed=0, jobs=1, progress=False, **options)
        t1 = time.perf_counter()
        corpus = open_corpus(ds.root)
        norm = normalisation_stats(corpus.features(s) for s in corpus.stems)
        t2 = time.perf_counter()
        print(f"   (cached side made first: synthesis {t1 - t0:.1f} s, features {t2 - t1:.1f} s)")
        sets = {
            "cached": sequence_set(
                corpus,
                list(corpus.stems),
                views=spec[0].views,
                norm=norm,
                params=DEFAULT_FEATURES,
                seq_len=config.seq_len,
            ),
            "rendered": RenderedSet(
                RenderedScenes(
                    bindata.Synthesizer(seed=0, config=ds.manifest["config"]),
                    method="EqSepBran-J",
                    seq_len=config.seq_len,
                    norm=norm,
                ),
                workers=args.stream_workers,
            ),
        }
        keep_freed_memory(compute.keeps_freed_memory(device))
        _train_steps(
            _members(spec, config, device, compute), args.warmup, config, device, compute, precision
        )
        for name, data in sets.items():
            member = _members(spec, config, device, compute)[0]  # the same initial weights
            module, forward, opt, finish = group_network([member], compute)
            t0 = time.perf_counter()
            losses, data_s, step_s, _ = run_pass(
                module,
                forward,
                opt,
                [data],
                splits=[[len(b.classes) for b in member["model"].branches]],
                rngs=[None],
                swap_rngs=[None],
                config=config,
                device=device,
                compute=compute,
                precision=precision,
            )
            if str(device).startswith("cuda"):
                torch.cuda.synchronize()
            wall = time.perf_counter() - t0
            finish()
            out[name] = {"epoch_s": wall, "data_s": data_s, "step_s": step_s, "loss": losses[0]}
            print(
                f"   {name:9s} epoch {wall:6.1f} s (data {data_s:5.1f} s, training "
                f"{step_s:5.1f} s)   {n / wall:5.2f} scenes/s   {len(data)} windows   "
                f"loss {losses[0]:.6f}",
                flush=True,
            )
    ratio = out["rendered"]["epoch_s"] / out["cached"]["epoch_s"]
    same = abs(out["rendered"]["loss"] - out["cached"]["loss"]) <= 1e-6
    print(
        f"   rendered / cached epoch time x{ratio:.2f}; same data (losses agree): "
        f"{'yes' if same else 'NO'}"
    )
    out["ratio"] = ratio
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--batches", type=int, default=BATCHES_PER_EPOCH, help="timed steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    ap.add_argument("--threads", type=int, help="torch threads [torch's default]")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile")
    ap.add_argument("--skip-ensemble", action="store_true")
    ap.add_argument("--small-filters", type=int, default=16)
    ap.add_argument("--small-gru", type=int, default=32)
    ap.add_argument("--data", help="a dataset: also compare fp32 and bf16 F1 after --epochs")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--fold", type=int, default=1)
    ap.add_argument(
        "--stream-scenes", type=int, default=24, help="scenes of part 4 (0: skip it) [24]"
    )
    ap.add_argument("--stream-workers", type=int, default=0, help="DataLoader workers [0]")
    ap.add_argument("--stream-duration", type=float, default=15.0, help="seconds per scene [15]")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, device {args.device}, {torch.get_num_threads()} threads, "
        f"CPU capability {torch.backends.cpu.get_cpu_capability()}, oneDNN bf16 "
        f"{cpu_has_bf16()}"
    )
    epoch_times(args, args.device)
    if not args.skip_ensemble:
        ensemble_throughput(args, args.device)
    if args.data:
        learned_f1(args, args.device)
    if args.stream_scenes:
        rendered_vs_cached(args, args.device)


if __name__ == "__main__":
    main()
