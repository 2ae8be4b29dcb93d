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
Usage: ``python benchmarks/bench_synth.py [--n 400] [--seed 0] [--only local|dask]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bindata.config import load_config
from bindata.synth import load_resources, synthesize

TARGET_SPEEDUP = 1.8


def _warm(cfg: dict) -> bool:
    """Load the run's HRIR set and event library in this process (cached per process)."""
    load_resources(str(cfg["hrir"]["sofa"]), bool(cfg["hrir"]["nearfield"]),
                   str(cfg["events"]["library"]), int(cfg["sample_rate"]))  # fmt: skip
    return True


def _timed(cfg: dict, out: Path, seed: int, **backend) -> tuple[float, dict]:
    start = time.perf_counter()
    manifest = synthesize(cfg, out, seed=seed, progress=False, **backend)
    return time.perf_counter() - start, manifest


def run_local(cfg: dict, work: Path, seed: int, jobs: int) -> tuple[float, dict, None]:
    """Time a local run with ``jobs`` processes, after a warm-up run that starts them."""
    _warm(cfg)
    if jobs > 1:  # start the loky workers and load the resources in each
        warm_cfg = {**cfg, "n_files": 2 * jobs, "n_folds": 1}
        synthesize(warm_cfg, work / f"warm-local-{jobs}", seed=seed, jobs=jobs, progress=False)
    return (*_timed(cfg, work / f"local-{jobs}", seed, jobs=jobs), None)


def run_dask(cfg: dict, work: Path, seed: int, workers: int) -> tuple[float, dict, float]:
    """Time a run on a fresh LocalCluster of ``workers`` single-threaded processes.

    Also returns how busy the workers were: their CPU time / (wall time x workers).
    """
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster:  # fmt: skip
        with Client(cluster, set_as_default=False) as client:
            client.wait_for_workers(workers)
            client.run(_warm, cfg)
            cpu_before = sum(client.run(time.process_time).values())
            result = _timed(cfg, work / f"dask-{workers}", seed,
                            scheduler=cluster.scheduler_address)  # fmt: skip
            cpu = sum(client.run(time.process_time).values()) - cpu_before
        return (*result, cpu / (result[0] * workers))


def _checksums(manifest: dict) -> list[tuple]:
    return [(f["stem"], f["audio_sha256"], f["metadata_sha256"], f["scene_sha256"])
            for f in manifest["files"]]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="files per run [400]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["local", "dask"], help="time one backend only")
    parser.add_argument("--work", help="keep the outputs in this (empty or new) folder")
    args = parser.parse_args(argv)
    cfg = load_config(overrides={"n_files": args.n, "n_folds": min(4, args.n)})
    backends = [b for b in ("local", "dask") if args.only in (None, b)]
    print(f"bindata synth: {args.n} files of {cfg['duration_s']:g} s, seed {args.seed}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        times, manifests = {}, {}
        for backend in backends:
            runner = run_local if backend == "local" else run_dask
            for n in (1, 2):
                t, manifests[(backend, n)], busy = runner(cfg, work, args.seed, n)
                times[(backend, n)] = t
                note = "" if busy is None else f"  (workers busy {100 * busy:.0f} % of the time)"
                print(f"  {backend:5s} {n} worker(s): {t:8.1f} s  {t / args.n:6.3f} s/file{note}")
    for backend in backends:
        ratio = times[(backend, 1)] / times[(backend, 2)]
        verdict = "ok" if ratio >= TARGET_SPEEDUP else f"below the {TARGET_SPEEDUP}x target"
        print(f"speed-up 1 -> 2 workers, {backend}: {ratio:.2f}x ({verdict})")
    if len(backends) == 2:
        for n in (1, 2):
            print(f"dask / local time with {n} worker(s): "
                  f"{times[('dask', n)] / times[('local', n)]:.2f}")  # fmt: skip
    reference = _checksums(next(iter(manifests.values())))
    same = all(_checksums(m) == reference for m in manifests.values())
    print(f"identical files across all runs: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
