"""Run per-file jobs on an existing Dask cluster (``bindata synth --scheduler tcp://HOST:8786``).

Items go to the cluster in tasks of a few items each (guided self-scheduling: up to
:data:`MAX_ITEMS_PER_TASK` while many remain, single items at the end, so that neither the
per-task round trips nor an idle worker at the end cost much); the results come back in item
order, whatever the order in which the workers finish them. The jobs write their own output
files, so the workers must see the output folder at the same (absolute) path as the client,
e.g. on a shared filesystem.
Each file draws only from its own SeedSequence, so the bytes equal those of a local run.

``dask[distributed]`` is an optional extra (``pip install bindata[dask]``); it is imported only
here, and only when a scheduler is given.
"""

from __future__ import annotations

import json
import os
import pickle
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import BindataError, ConfigError

#: Seconds the client waits for the scheduler to answer before giving up.
CONNECT_TIMEOUT_S = 30

#: Most items one task carries (a few seconds of rendering for ``bindata synth``).
MAX_ITEMS_PER_TASK = 8

#: Tasks per worker thread that the guided task sizes aim to leave queued.
TASKS_PER_THREAD = 4

#: Packages whose versions workers must share with the client for byte-identical output
#: (bindata: an error when they differ; the numeric stack: a warning).
_REQUIRED_SAME = ("bindata",)
_SHOULD_BE_SAME = ("numpy", "scipy", "soundfile")


def import_distributed():
    """The ``distributed`` module, or a :class:`BindataError` that names the extra to install."""
    try:
        import distributed
    except ImportError as exc:
        raise BindataError(
            "the Dask backend needs the optional extra bindata[dask]: "
            f"pip install 'bindata[dask]' ({exc})"
        ) from exc
    return distributed


def connect(scheduler, *, timeout_s: float | None = None, check_versions: bool = True):
    """A ``distributed.Client`` for ``scheduler``.

    ``scheduler`` is an address (``tcp://HOST:8786``), the path of a scheduler file written by
    ``dask scheduler --scheduler-file FILE`` (handy on Slurm, where the host is known only once
    the job runs), a cluster object (``LocalCluster``, ``SLURMCluster``), or a ``Client``, which
    is returned as it is. A new client checks the workers' versions
    (:func:`check_worker_versions`; ``check_versions=False`` skips it) and is closed if they
    differ.
    """
    distributed = import_distributed()
    timeout_s = CONNECT_TIMEOUT_S if timeout_s is None else float(timeout_s)
    if isinstance(scheduler, distributed.Client):
        return scheduler
    if isinstance(scheduler, (str, os.PathLike)):
        address = _address_of(scheduler)
        if address.startswith("tcp://") or "://" not in address:  # tls/ucx need their security
            _probe(address, scheduler, timeout_s)
        target = {"address": address}
    else:  # a cluster object
        target = {"address": scheduler}
    try:
        client = distributed.Client(**target, timeout=timeout_s, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise _unreachable(scheduler, timeout_s, exc) from None
    if check_versions:
        try:
            check_worker_versions(client)
        except BaseException:
            close_client(client)
            raise
    return client


def _address_of(scheduler: str | os.PathLike) -> str:
    """The address of ``scheduler``: itself, or the one a scheduler file records."""
    path = Path(scheduler)
    if not path.is_file():
        return str(scheduler)
    try:
        address = json.loads(path.read_text("utf-8"))["address"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"Dask scheduler file {path}: cannot read its address ({type(exc).__name__}: {exc}); "
            "it is the JSON file a Dask scheduler writes when given a scheduler file",
            key="scheduler",
        ) from None
    return str(address)


def _unreachable(scheduler, timeout_s: float, exc: BaseException) -> ConfigError:
    reason = str(exc) or "no answer"
    if isinstance(exc, ValueError):
        return ConfigError(
            f"Dask scheduler {scheduler}: not a scheduler address or file ({reason}); give "
            "the address `dask scheduler` prints (tcp://HOST:8786) or its scheduler file",
            key="scheduler",
        )
    return ConfigError(
        f"Dask scheduler {scheduler}: cannot connect within {timeout_s:g} s "
        f"({type(exc).__name__}: {reason}); start one with `dask scheduler` and give the "
        "address it prints (tcp://HOST:8786) or its scheduler file",
        key="scheduler",
    )


def _probe(address: str, scheduler, timeout_s: float) -> None:
    """Ask ``address`` who it is (Dask's ``identity`` call) within ``timeout_s``.

    Done before a ``Client`` is made because a client that fails to start keeps retrying and
    then, when collected, spends twice its timeout closing and prints a traceback.
    """
    import asyncio

    from distributed.comm import connect as comm_connect

    async def identity():
        comm = await comm_connect(address, timeout=timeout_s)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            await comm.close()

    try:
        answer = asyncio.run(asyncio.wait_for(identity(), timeout_s))
    except (OSError, TimeoutError, ValueError, asyncio.TimeoutError) as exc:
        raise _unreachable(scheduler, timeout_s, exc) from None
    except Exception as exc:  # noqa: BLE001 - a peer that is not a Dask scheduler
        raise _unreachable(scheduler, timeout_s, exc) from None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise ConfigError(
            f"Dask scheduler {scheduler}: the peer at {address} is not a Dask "
            f"scheduler (it answered {str(answer)[:80]!r})",
            key="scheduler",
        )


def close_client(client, timeout_s: float = 5) -> None:
    """Close a client we made, without Dask's teardown tracebacks (a lost scheduler)."""
    import contextlib
    import logging

    quiet = [logging.getLogger(n) for n in ("distributed", "distributed.client")]
    levels = [log.level for log in quiet]
    for log in quiet:
        log.setLevel(logging.CRITICAL)
    try:
        with contextlib.suppress(Exception):
            client.close(timeout=timeout_s)
    finally:
        for log, level in zip(quiet, levels, strict=True):
            log.setLevel(level)


def _package_versions() -> dict[str, str | None]:
    """Versions of the packages that decide the output bytes, in this process."""
    import importlib

    out = {}
    for name in _REQUIRED_SAME + _SHOULD_BE_SAME:
        try:
            out[name] = getattr(importlib.import_module(name), "__version__", None)
        except ImportError:
            out[name] = None
    return out


def check_worker_versions(client) -> dict[str, dict[str, str | None]]:
    """Compare the workers' package versions with the client's; returns them per worker.

    Raises
    ------
    ConfigError
        A worker runs another bindata version (or none): its files would differ.
    """
    here = _package_versions()
    try:
        theirs = client.run(_package_versions)
    except ImportError as exc:  # the worker cannot even import bindata
        raise ConfigError(f"Dask workers cannot import bindata ({exc}); install it there") from exc
    for worker, versions in theirs.items():
        for name in _REQUIRED_SAME:
            if versions.get(name) != here[name]:
                raise ConfigError(
                    f"Dask worker {worker} runs {name} {versions.get(name)}, this client "
                    f"{here[name]}; install the same version on every worker"
                )
        differ = [
            f"{n} {versions.get(n)} (client {here[n]})"
            for n in _SHOULD_BE_SAME
            if versions.get(n) != here[n]
        ]
        if differ:
            warnings.warn(
                f"Dask worker {worker} runs {', '.join(differ)}; output bytes may differ from a "
                "local run",
                RuntimeWarning,
                stacklevel=2,
            )
    return theirs


class _Batch:
    """Picklable wrapper run on the worker: ``[func(item) for item in items]``, stopping at an error.

    Returns ``(results, error)``: the results of the items before the first failing one, and that
    error (``None`` if all succeeded), so that the client still receives every finished file.
    A :class:`BindataError` crosses back to the client as itself; one whose class cannot be
    rebuilt from its message alone (custom ``__init__``) arrives as its nearest rebuildable base
    class with the same message, so that the CLI still reports it as a bindata error.
    """

    def __init__(self, func: Callable[[Any], Any]):
        self.func = func

    def __call__(self, items: list) -> tuple[list, BaseException | None]:
        results = []
        for item in items:
            try:
                results.append(self.func(item))
            except BindataError as exc:
                return results, _transportable(exc)
        return results, None


def task_sizes(n_items: int, n_threads: int, *, max_items: int = MAX_ITEMS_PER_TASK) -> list[int]:
    """Items per task, in order: guided self-scheduling.

    Each task takes ``remaining // (TASKS_PER_THREAD * n_threads)`` items, clipped to
    ``[1, max_items]``: large tasks while much work remains (few round trips to the scheduler),
    single items at the end (no worker waits long for the last one).

    Examples
    --------
    >>> task_sizes(20, 2)
    [2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    """
    if max_items < 1:
        raise ValueError(f"max_items must be >= 1, got {max_items}")
    per_round = TASKS_PER_THREAD * max(1, n_threads)
    sizes, remaining = [], n_items
    while remaining > 0:
        size = max(1, min(max_items, remaining // per_round))
        sizes.append(size)
        remaining -= size
    return sizes


def _worker_threads(client) -> int:
    """Worker threads the cluster has now (1 while none has joined yet)."""
    workers = client.scheduler_info().get("workers", {})
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))


def _transportable(exc: BindataError) -> BindataError:
    for cls in type(exc).__mro__:
        if not (isinstance(cls, type) and issubclass(cls, BindataError)):
            continue
        candidate = exc if cls is type(exc) else cls(str(exc))
        try:
            pickle.loads(pickle.dumps(candidate))
        except Exception:  # noqa: BLE001 - any failure means: try the base class
            continue
        return candidate
    return BindataError(str(exc))


def map_on_dask(
    func: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    scheduler,
    check_versions: bool = True,
    max_items_per_task: int = MAX_ITEMS_PER_TASK,
) -> Iterator[Any]:
    """Run ``func(item)`` for every item on a Dask cluster; yield the results in item order.

    Parameters
    ----------
    func : callable
        Picklable; called once per item on some worker.
    items : iterable
        The items (file indices for ``bindata synth``).
    scheduler : str, cluster or Client
        Address of a running scheduler (``tcp://HOST:8786``), a scheduler file, a cluster object,
        or a connected ``Client`` (left open; any other is closed at the end).
    check_versions : bool
        Refuse workers that run another bindata version (their bytes would differ). Not done
        for a ``Client`` passed in: whoever connected it checks (:func:`check_worker_versions`).
    max_items_per_task : int
        Most items one task carries (see :func:`task_sizes`); 1 sends one task per item.

    Yields
    ------
    object
        ``func(item)``, in the order of ``items``, each as soon as it and all before it are done.

    Raises
    ------
    BindataError
        The first (in item order) error a worker raised, as the same class and message; the
        remaining tasks are cancelled. A missing ``distributed`` or an unreachable scheduler is a
        :class:`BindataError` / :class:`ConfigError` too.
    """
    items = list(items)
    client = connect(scheduler, check_versions=check_versions)
    own_client = client is not scheduler
    futures = []
    try:
        sizes = task_sizes(len(items), _worker_threads(client), max_items=max_items_per_task)
        batches, start = [], 0
        for size in sizes:
            batches.append(items[start : start + size])
            start += size
        # pure=False: every batch is a fresh task even if an earlier run used the same key
        futures = client.map(_Batch(func), batches, pure=False)
        for k, fut in enumerate(futures):
            results, error = fut.result()
            futures[k] = None  # release the results on the worker
            yield from results
            if error is not None:
                raise error
    finally:
        pending = [f for f in futures if f is not None and not f.done()]
        if pending:
            client.cancel(pending)
        if own_client:
            close_client(client)
