"""Execution backends for per-file jobs: in-process, joblib (loky) processes, or Dask.

Every backend yields the results in file order, so what is written never depends on the number
of workers or the backend (each file draws only from its own SeedSequence).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .dask_backend import map_on_dask


class _LocalWorkerJob:
    """``func`` as run in a local worker process: Ctrl-C is left to the parent.

    The terminal sends SIGINT to every process of the job; the workers ignore it, so that only
    the parent reacts (one message, no traceback per worker) and stops the pool.
    """

    def __init__(self, func: Callable[[Any], Any]):
        self.func, self.parent_pid = func, os.getpid()

    def __call__(self, item):
        if os.getpid() != self.parent_pid:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        return self.func(item)


def map_ordered(
    func: Callable[..., Any],
    items: Iterable[Any],
    *,
    jobs: int = 1,
    scheduler=None,
) -> Iterator[Any]:
    """Apply ``func`` to every item, yielding results in item order as they complete.

    Parameters
    ----------
    jobs : int
        Worker processes for the local backend (1 runs in this process; -1 uses all cores).
    scheduler : str, cluster or distributed.Client, optional
        A running Dask scheduler (``tcp://HOST:8786``, a scheduler file, a cluster or a client;
        see :func:`bindata.synth.dask_backend.map_on_dask`); needs ``bindata[dask]``.
    """
    items = list(items)
    if scheduler is not None:
        yield from map_on_dask(func, items, scheduler=scheduler)
        return
    if jobs == 1:
        for item in items:
            yield func(item)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=jobs, return_as="generator", backend="loky")
    job = _LocalWorkerJob(func)
    yield from parallel(delayed(job)(item) for item in items)
