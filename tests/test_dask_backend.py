"""The Dask backend: byte identity with a local run, result order, errors, missing extra."""

from __future__ import annotations

import json
import os
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from bindata.config import load_config
from bindata.errors import BindataError, ConfigError, SceneError, ValidationError
from bindata.synth import synthesize
from bindata.synth.dask_backend import (
    MAX_ITEMS_PER_TASK,
    check_worker_versions,
    connect,
    map_on_dask,
    task_sizes,
)
from bindata.synth.parallel import map_ordered

pytest.importorskip("distributed")

SEED = 23


def small_config():
    return load_config(
        overrides={
            "n_files": 4,
            "n_folds": 2,
            "duration_s": 3.0,
            "events.per_file": [1, 2],
            "room.rt60_s": [0.3, 0.3],
        }
    )


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes on loopback, no dashboard, glibc's own malloc trim."""
    import dask
    from distributed import LocalCluster

    env = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    with (
        dask.config.set(env),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cl,
    ):
        yield cl


class SlowEcho:
    """Later items finish first: item i sleeps (n - i) * step s; returns (item, worker pid)."""

    def __init__(self, n: int, step: float = 0.05):
        self.n, self.step = n, step

    def __call__(self, item: int):
        time.sleep((self.n - item) * self.step)
        return item, os.getpid()


class FailOn:
    """Raise ``make_error()`` for one item (a bindata error raised on the worker)."""

    def __init__(self, bad: int, make_error):
        self.bad, self.make_error = bad, make_error

    def __call__(self, item: int):
        if item == self.bad:
            raise self.make_error()
        return item


def test_dask_run_is_byte_identical_to_a_local_run(cluster, tmp_path):
    cfg = small_config()
    synthesize(cfg, tmp_path / "local", seed=SEED, jobs=1, progress=False)
    manifest = synthesize(
        cfg, tmp_path / "dask", seed=SEED, progress=False, scheduler=cluster.scheduler_address
    )
    assert [f["file_index"] for f in manifest["files"]] == [0, 1, 2, 3]
    local, dask = tree_bytes(tmp_path / "local"), tree_bytes(tmp_path / "dask")
    assert sorted(dask) == sorted(local) and len(local) == 13
    assert dask == local


def test_results_come_back_in_item_order_from_the_workers(cluster):
    from distributed import Client

    with Client(cluster.scheduler_address, set_as_default=False) as client:
        worker_pids = set(client.run(os.getpid).values())
    out = list(map_on_dask(SlowEcho(8), range(8), scheduler=cluster.scheduler_address))
    assert [item for item, _ in out] == list(range(8))
    pids = {pid for _, pid in out}
    assert pids <= worker_pids and os.getpid() not in pids
    assert len(pids) == 2  # both workers took part


def test_map_ordered_dispatches_to_dask(cluster):
    out = list(map_ordered(SlowEcho(3), [0, 1, 2], jobs=1, scheduler=cluster.scheduler_address))
    assert [item for item, _ in out] == [0, 1, 2]
    assert os.getpid() not in {pid for _, pid in out}


def test_scheduler_file_is_accepted(cluster, tmp_path):
    """As written by `dask scheduler --scheduler-file FILE` (JSON with the address)."""
    path = tmp_path / "scheduler.json"
    path.write_text(json.dumps({"type": "Scheduler", "address": cluster.scheduler_address}))
    out = list(map_ordered(SlowEcho(2), [0, 1], scheduler=str(path)))
    assert [item for item, _ in out] == [0, 1]


def test_worker_error_arrives_as_the_same_bindata_error(cluster):
    error = partial(SceneError, "file 2: no near source position fits the room")
    results = map_on_dask(FailOn(2, error), range(4), scheduler=cluster.scheduler_address)
    assert next(results) == 0 and next(results) == 1
    with pytest.raises(SceneError, match="file 2: no near source position"):
        next(results)


def test_error_with_custom_arguments_still_arrives_as_a_bindata_error(cluster):
    error = partial(ValidationError, "x", ["a: broken", "b: broken"])
    with pytest.raises(BindataError, match="2 problem"):
        list(map_on_dask(FailOn(1, error), range(3), scheduler=cluster.scheduler_address))


def test_unreachable_scheduler_is_a_config_error():
    start = time.monotonic()
    with pytest.raises(ConfigError, match=r"Dask scheduler tcp://127.0.0.1:9: cannot connect"):
        connect("tcp://127.0.0.1:9", timeout_s=1)
    assert time.monotonic() - start < 3  # within its stated timeout (plus start-up)


class _FakeClient:
    def __init__(self, versions):
        self.versions = versions

    def run(self, func):
        return self.versions


def test_worker_with_another_bindata_version_is_refused():
    import bindata

    here = {"bindata": bindata.__version__, "numpy": None, "scipy": None, "soundfile": None}
    with pytest.raises(ConfigError, match="runs bindata 0.0.1"):
        check_worker_versions(_FakeClient({"tcp://w:1": {**here, "bindata": "0.0.1"}}))


def test_missing_distributed_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(BindataError, match=r"bindata\[dask\]"):
        list(map_ordered(abs, [1], scheduler="tcp://127.0.0.1:8786"))


@pytest.mark.parametrize("n_items, n_threads", [(0, 2), (1, 1), (7, 2), (400, 2), (100_000, 200)])
def test_task_sizes_cover_every_item_large_first_single_last(n_items, n_threads):
    sizes = task_sizes(n_items, n_threads)
    assert sum(sizes) == n_items
    assert all(1 <= s <= MAX_ITEMS_PER_TASK for s in sizes)
    assert sizes == sorted(sizes, reverse=True)
    if n_items >= 2 * n_threads:  # the last task of each worker holds a single item
        assert sizes[-n_threads:] == [1] * n_threads
    if n_items >= 10 * MAX_ITEMS_PER_TASK * n_threads:  # far fewer round trips than items
        assert len(sizes) < n_items / 2


def test_error_inside_a_batch_still_delivers_the_items_before_it(cluster):
    error = partial(SceneError, "file 5: no far source position fits the room")
    assert task_sizes(40, 2, max_items=4)[:2] == [4, 4]  # item 5 fails inside the 2nd task
    results = map_on_dask(
        FailOn(5, error), range(40), scheduler=cluster.scheduler_address, max_items_per_task=4
    )
    assert [next(results) for _ in range(5)] == [0, 1, 2, 3, 4]
    with pytest.raises(SceneError, match="file 5: no far source"):
        next(results)


def test_batched_results_keep_item_order(cluster):
    assert max(task_sizes(60, 2, max_items=5)) == 5
    out = list(
        map_on_dask(
            SlowEcho(60, step=0.001),
            range(60),
            scheduler=cluster.scheduler_address,
            max_items_per_task=5,
        )
    )
    assert [item for item, _ in out] == list(range(60))
    assert len({pid for _, pid in out}) == 2


SMALL_CLI = [
    "--n",
    "3",
    "--duration",
    "3",
    "--events-per-file",
    "1",
    "2",
    "--rt60",
    "0.3",
    "0.3",
    "--folds",
    "3",
    "--seed",
    "4",
    "--quiet",
]


def test_cli_scheduler_option_writes_the_same_bytes_as_a_local_run(cluster, tmp_path):
    from click.testing import CliRunner

    from bindata.cli import cli

    runner = CliRunner()
    local = runner.invoke(cli, ["synth", "--out", str(tmp_path / "local"), *SMALL_CLI])
    dask = runner.invoke(
        cli,
        [
            "synth",
            "--out",
            str(tmp_path / "dask"),
            *SMALL_CLI,
            "--scheduler",
            cluster.scheduler_address,
        ],
    )
    assert local.exit_code == 0 and dask.exit_code == 0, local.output + dask.output
    assert tree_bytes(tmp_path / "dask") == tree_bytes(tmp_path / "local")


def test_cli_unreachable_scheduler_exits_2_and_writes_nothing(tmp_path):
    from click.testing import CliRunner

    from bindata.cli import cli

    out = tmp_path / "never"
    result = CliRunner().invoke(
        cli,
        [
            "synth",
            "--out",
            str(out),
            *SMALL_CLI,
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--scheduler-timeout",
            "1",
        ],
    )
    assert result.exit_code == 2
    assert (
        "--scheduler: Dask scheduler tcp://127.0.0.1:9: cannot connect within 1 s" in result.output
    )
    assert "Traceback" not in result.output
    assert not out.exists()
