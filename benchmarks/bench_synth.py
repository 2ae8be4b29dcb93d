"""Benchmark of `bindata synth`: 1 vs 2 local processes, and 1 vs 2 workers of a Dask cluster.

Times the full default run (400 files of 15 s, paper configuration; ``--n`` for fewer) four ways:

- local: ``synthesize(..., jobs=1)`` (in this process) and ``jobs=2`` (joblib/loky processes);
- dask: ``synthesize(..., scheduler=...)`` on a ``LocalCluster`` on loopback with 1 and then 2
  single-threaded worker processes (the same code path as ``--scheduler tcp://HOST:8786``).

Every backend is warmed up first (worker processes started, HRIR set and event library loaded),
so that the figures are the steady per-file cost. Prints seconds per file, the speed-up from 1
to 2 workers of each backend (target: >= 1.8x on a machine with >= 2 idle cores) and the
overhead of Dask against the local run; for Dask also how busy the workers were (CPU time / wall
time; well below 100 % means they waited for a core that other processes held, and the speed-up
then says little). Checks that all four runs wrote identical files (exit code 1 if not).
The Dask workers run as docs/cluster.md advises for nodes that workers fill: without Dask's
default ``MALLOC_TRIM_THRESHOLD_=65536`` (which slows the renderer's large temporary arrays down;
``--dask-malloc-trim`` keeps it) and with quiet background work (:data:`QUIET_WORKERS`: no
statistical profiler, memory and event-loop checks once a second; ``--dask-defaults`` keeps
Dask's defaults, which on a 2-core machine take ~5 % of the cores from the workers).
With ``--only moving`` it times moving scenes instead (docs/design.md, "Moving scenes"):

- (a) per file, every event moving (arcs at the default speeds) against the same scenes with
  the paths removed (static), rendered in this process; ratio target <= :data:`TARGET_MOVING`;
- (b) ``--n`` files with ``--overlap 2 --moving 0.5 --snr 6 30`` and 2 local jobs, beside the
  static default with 2 jobs (target for 400 files: <= :data:`TARGET_MOVING_RUN_S` s).

With ``--against DIR`` it times this tree's ``bindata synth`` (one process, ``--jobs 1``)
against another checkout of bindata at ``DIR`` (e.g. ``git worktree add /tmp/base COMMIT``),
run alternately in the same session, best of ``--repeat``, each after a warm-up run that fills
the HRIR cache; prints the ratio (this tree / the other) and checks that both wrote identical
audio, metadata and scenes.

With ``--variant 'ARGS'`` it times this tree's default ``bindata synth`` (one process) against
the same run with ``ARGS`` added (realism levers: source directivity, several heads), alternately,
best of ``--repeat``, and prints the ratio (target <= :data:`TARGET_VARIANT`).

Usage: ``python benchmarks/bench_synth.py [--n 400] [--seed 0] [--only local|dask|moving]
[--against DIR [--repeat 3]] [--variant ARGS]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bindata.config import SynthConfig, load_config
from bindata.scene.spec import Scene
from bindata.synth import resources_for_config, synthesize

TARGET_SPEEDUP = 1.8

#: Dask configuration of the benchmark's workers (docs/cluster.md, "Quiet workers").
QUIET_WORKERS = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


def _warm(cfg: SynthConfig) -> bool:
    """Load the run's HRIR set and event library, and every sound, in this process.

    All three are cached per process; a short run would otherwise measure mostly the first
    decoding (or synthesis) of each sound, which every extra worker repeats.
    """
    _, library, _ = resources_for_config(cfg)
    for label in library.classes:
        for sound_id in library.sound_ids(label):
            library.load(sound_id)
    return True


def _warm_slowly(cfg: SynthConfig) -> bool:
    """:func:`_warm`, then a pause, so that each of the local workers takes one warm-up task."""
    _warm(cfg)
    time.sleep(1.0)
    return True


def _timed(cfg: SynthConfig, out: Path, seed: int, **backend) -> tuple[float, dict]:
    start = time.perf_counter()
    manifest = synthesize(cfg, out, seed=seed, progress=False, **backend)
    return time.perf_counter() - start, manifest


def run_local(cfg: SynthConfig, work: Path, seed: int, jobs: int) -> tuple[float, dict, None]:
    """Time a local run with ``jobs`` processes, after a warm-up run that starts them."""
    _warm(cfg)
    if jobs > 1:  # start the loky workers and warm each of them
        from joblib import Parallel, delayed

        Parallel(n_jobs=jobs, backend="loky")(delayed(_warm_slowly)(cfg) for _ in range(jobs))
    return (*_timed(cfg, work / f"local-{jobs}", seed, jobs=jobs), None)


def run_dask(
    cfg: SynthConfig,
    work: Path,
    seed: int,
    workers: int,
    *,
    malloc_trim: bool = False,
    quiet: bool = True,
) -> tuple[float, dict, float]:
    """Time a run on a fresh LocalCluster of ``workers`` single-threaded processes.

    Also returns how busy the workers were: their CPU time / (wall time x workers).
    ``malloc_trim`` keeps Dask's default ``MALLOC_TRIM_THRESHOLD_=65536`` in the workers, which
    makes rendering markedly slower (see docs/cluster.md); by default it is unset.
    ``quiet`` applies :data:`QUIET_WORKERS`; ``False`` keeps Dask's default background work.
    """
    import dask
    from distributed import Client, LocalCluster

    env = dict(QUIET_WORKERS) if quiet else {}
    if not malloc_trim:
        env["distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"] = None
    with (
        dask.config.set(env),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
    ):
        with Client(cluster, set_as_default=False) as client:
            client.wait_for_workers(workers)
            client.run(_warm, cfg)
            cpu_before = sum(client.run(time.process_time).values())
            result = _timed(
                cfg, work / f"dask-{workers}", seed, scheduler=cluster.scheduler_address
            )
            cpu = sum(client.run(time.process_time).values()) - cpu_before
        return (*result, cpu / (result[0] * workers))


TARGET_MOVING = 3.0
TARGET_MOVING_RUN_S = 120.0
#: Synth time with realism levers (directivity, several heads) against the default (issue 24).
TARGET_VARIANT = 1.2


def _static_copy(scene: Scene) -> Scene:
    """The scene with every path (and the moving-render options) removed."""
    events = tuple(dataclasses.replace(ev, path=None) for ev in scene.events)
    return dataclasses.replace(scene, events=events, motion_render=None)


def run_moving_files(cfg: SynthConfig, seed: int, n_files: int) -> tuple[float, float]:
    """Seconds to render ``n_files`` scenes with every event moving, and the same static."""
    from bindata.scene import sample_scene
    from bindata.synth import render_scene

    moving_cfg = dataclasses.replace(
        cfg, motion=dataclasses.replace(cfg.motion, moving_fraction=1.0)
    )
    hrirset, library, record = resources_for_config(cfg)
    _warm(cfg)
    scenes = [
        sample_scene(moving_cfg, seed=seed, file_index=i, library=library, resources=record)
        for i in range(n_files)
    ]
    render_scene(scenes[0], library=library, hrirset=hrirset)  # warm-up (caches)
    times = []
    for variant in (scenes, [_static_copy(s) for s in scenes]):
        start = time.perf_counter()
        for scene in variant:
            render_scene(scene, library=library, hrirset=hrirset)
        times.append(time.perf_counter() - start)
    return times[0], times[1]


def main_moving(args) -> int:
    """``--only moving``: (a) moving / static per file, (b) the moving run beside the static."""
    base = {"n_files": args.n, "n_folds": min(4, args.n), "rooms": args.rooms}
    cfg = load_config(overrides=base)
    n_a = min(args.n, 16)
    t_move, t_static = run_moving_files(cfg, args.seed, n_a)
    ratio = t_move / t_static
    verdict = "ok" if ratio <= TARGET_MOVING else f"above the {TARGET_MOVING}x target"
    print(
        f"(a) {n_a} files, every event moving: {t_move / n_a:.3f} s/file, static "
        f"{t_static / n_a:.3f} s/file: {ratio:.2f}x ({verdict})"
    )
    moving = load_config(
        overrides={
            **base,
            "max_overlap": 2,
            "motion.moving_fraction": 0.5,
            "ambience.snr_db": [6.0, 30.0],
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        t_plain, _, _ = run_local(cfg, work / "static", args.seed, 2)
        t_moving, _, _ = run_local(moving, work / "moving", args.seed, 2)
    if args.n == 400:
        ok = t_moving <= TARGET_MOVING_RUN_S
        verdict = "ok" if ok else f"above the {TARGET_MOVING_RUN_S:g} s target"
    else:
        verdict = f"the {TARGET_MOVING_RUN_S:g} s target is for --n 400"
    print(
        f"(b) {args.n} files, 2 jobs: static default {t_plain:.1f} s; --overlap 2 --moving 0.5 "
        f"--snr 6 30: {t_moving:.1f} s ({t_moving / t_plain:.2f}x; {verdict})"
    )
    return 0


def _checksums(manifest: dict) -> list[tuple]:
    return [
        (f["stem"], f["audio_sha256"], f["metadata_sha256"], f["scene_sha256"])
        for f in manifest["files"]
    ]


def _cli_synth(
    source: Path, out: Path, n: int, seed: int, rooms: str, cache: Path, extra=()
) -> float:
    """Seconds of one ``bindata synth`` of the bindata package under ``source`` (subprocess),
    with the ``extra`` command-line arguments."""
    env = {**os.environ, "PYTHONPATH": str(source), "BINDATA_CACHE_DIR": str(cache)}
    argv = [sys.executable, "-c", "import sys; from bindata.cli import main; sys.exit(main())"]
    argv += ["synth", "--out", str(out), "--n", str(n), "--seed", str(seed), "--rooms", rooms]
    argv += ["--jobs", "1", "--quiet", *extra]
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _tree_bytes(root: Path) -> dict:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for sub in ("audio", "metadata", "scenes")
        for p in sorted((root / sub).glob("*"))
    }


def main_against(args) -> int:
    """This tree's synth against another checkout's, alternately in one session."""
    here = Path(__file__).resolve().parents[1]
    other = Path(args.against).resolve()
    print(f"bindata synth --jobs 1: {args.n} files, rooms {args.rooms}: {here} vs {other}")
    best = {"this": float("inf"), "other": float("inf")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, src in (("this", here), ("other", other)):  # warm-up: HRIR caches
            _cli_synth(src, tmp / f"warm_{name}", 4, args.seed, args.rooms, tmp / f"cache_{name}")
        for k in range(args.repeat):
            for name, src in (("this", here), ("other", other)):
                out = tmp / f"{name}{k}"
                t = _cli_synth(src, out, args.n, args.seed, args.rooms, tmp / f"cache_{name}")
                best[name] = min(best[name], t)
        same = _tree_bytes(tmp / "this0") == _tree_bytes(tmp / "other0")
    ratio = best["this"] / best["other"]
    print(
        f"  this tree: {best['this']:.2f} s, other: {best['other']:.2f} s (best of {args.repeat})"
    )
    print(f"  ratio this / other: {ratio:.3f}; identical audio, metadata and scenes: {same}")
    return 0 if same else 1


def main_variant(args) -> int:
    """This tree's default synth against the same with ``--variant`` arguments, alternately."""
    here = Path(__file__).resolve().parents[1]
    extra = shlex.split(args.variant)
    print(f"bindata synth --jobs 1: {args.n} files, rooms {args.rooms}: default vs {extra}")
    best = {"default": float("inf"), "variant": float("inf")}
    runs = {"default": (), "variant": extra}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, ex in runs.items():  # warm-up: HRIR caches (every head of the variant)
            _cli_synth(here, tmp / f"warm_{name}", 8, args.seed, args.rooms, tmp / "cache", ex)
        for k in range(args.repeat):
            for name, ex in runs.items():
                t = _cli_synth(
                    here, tmp / f"{name}{k}", args.n, args.seed, args.rooms, tmp / "cache", ex
                )
                best[name] = min(best[name], t)
    ratio = best["variant"] / best["default"]
    verdict = "ok" if ratio <= TARGET_VARIANT else f"above the {TARGET_VARIANT}x target"
    print(
        f"  default: {best['default']:.2f} s, variant: {best['variant']:.2f} s "
        f"(best of {args.repeat}); ratio {ratio:.3f} ({verdict})"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="files per run [400]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rooms", default="paper", help="room preset (bindata rooms list) [paper]")
    parser.add_argument(
        "--only",
        choices=["local", "dask", "moving"],
        help="time one backend only, or moving scenes",
    )
    parser.add_argument("--work", help="keep the outputs in this (empty or new) folder")
    parser.add_argument("--against", help="another bindata checkout to time this tree against")
    parser.add_argument(
        "--repeat", type=int, default=3, help="--against, --variant: runs of each [3]"
    )
    parser.add_argument(
        "--variant",
        help="synth arguments to time against the default in this tree, e.g. "
        "'--directivity cardioid --hrir builtin --hrir KEMAR.sofa' (target <= 1.2x)",
    )
    parser.add_argument(
        "--dask-malloc-trim",
        action="store_true",
        help="keep Dask's MALLOC_TRIM_THRESHOLD_=65536 in the workers",
    )
    parser.add_argument(
        "--dask-defaults",
        action="store_true",
        help="keep Dask's default profiler and monitor intervals",
    )
    args = parser.parse_args(argv)
    if args.against:
        return main_against(args)
    if args.variant:
        return main_variant(args)
    if args.only == "moving":
        return main_moving(args)
    cfg = load_config(overrides={"n_files": args.n, "n_folds": min(4, args.n), "rooms": args.rooms})
    backends = [b for b in ("local", "dask") if args.only in (None, b)]
    print(
        f"bindata synth: {args.n} files of {cfg.duration_s:g} s, seed {args.seed}, "
        f"{os.cpu_count()} CPUs"
    )
    if "dask" in backends:
        print(
            "  Dask workers: "
            + (
                "Dask's default background work"
                if args.dask_defaults
                else "quiet settings of docs/cluster.md (--dask-defaults: off)"
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        times, manifests = {}, {}
        for backend in backends:
            for n in (1, 2):
                if backend == "local":
                    t, manifests[(backend, n)], busy = run_local(cfg, work, args.seed, n)
                else:
                    t, manifests[(backend, n)], busy = run_dask(
                        cfg,
                        work,
                        args.seed,
                        n,
                        malloc_trim=args.dask_malloc_trim,
                        quiet=not args.dask_defaults,
                    )
                times[(backend, n)] = t
                note = "" if busy is None else f"  (workers busy {100 * busy:.0f} % of the time)"
                print(f"  {backend:5s} {n} worker(s): {t:8.1f} s  {t / args.n:6.3f} s/file{note}")
    for backend in backends:
        ratio = times[(backend, 1)] / times[(backend, 2)]
        verdict = "ok" if ratio >= TARGET_SPEEDUP else f"below the {TARGET_SPEEDUP}x target"
        print(f"speed-up 1 -> 2 workers, {backend}: {ratio:.2f}x ({verdict})")
    if len(backends) == 2:
        for n in (1, 2):
            print(
                f"dask / local time with {n} worker(s): "
                f"{times[('dask', n)] / times[('local', n)]:.2f}"
            )
    reference = _checksums(next(iter(manifests.values())))
    same = all(_checksums(m) == reference for m in manifests.values())
    print(f"identical files across all runs: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
