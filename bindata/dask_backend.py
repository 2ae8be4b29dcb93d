"""Run per-file jobs on an existing Dask cluster (``bindata synth --scheduler tcp://HOST:8786``).

One task per item goes to the cluster; the results come back in item order, whatever the order
in which the workers finish them. The jobs write their own output files, so the workers must see
the output folder at the same (absolute) path as the client, e.g. on a shared filesystem.
Each file draws only from its own SeedSequence, so the bytes equal those of a local run.

``dask[distributed]`` is an optional extra (``pip install bindata[dask]``); it is imported only
here, and only when a scheduler is given.
"""

from __future__ import annotations

import os
import pickle
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import BindataError, ConfigError

#: Seconds the client waits for the scheduler to answer before giving up.
CONNECT_TIMEOUT_S = 30

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
            "the Dask backend (--scheduler) needs the optional extra bindata[dask]: "
            f"pip install 'bindata[dask]' ({exc})"
        ) from exc
    return distributed


def connect(scheduler, *, timeout_s: float = CONNECT_TIMEOUT_S):
    """A ``distributed.Client`` for ``scheduler``.

    ``scheduler`` is an address (``tcp://HOST:8786``), the path of a scheduler file written by
    ``dask scheduler --scheduler-file FILE`` (handy on Slurm, where the host is known only once
    the job runs), or a cluster object (``LocalCluster``, ``SLURMCluster``).
    """
    distributed = import_distributed()
    if isinstance(scheduler, (str, os.PathLike)) and Path(scheduler).is_file():
        target = {"scheduler_file": str(scheduler)}
    else:
        target = {"address": scheduler}
    try:
        return distributed.Client(**target, timeout=timeout_s, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(
            f"--scheduler {scheduler}: cannot connect to a Dask scheduler within {timeout_s} s "
            f"({type(exc).__name__}: {exc}); start one with `dask scheduler` or pass the address "
            "it prints (tcp://HOST:8786)"
        ) from exc


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
        differ = [f"{n} {versions.get(n)} (client {here[n]})" for n in _SHOULD_BE_SAME
                  if versions.get(n) != here[n]]  # fmt: skip
        if differ:
            warnings.warn(
                f"Dask worker {worker} runs {', '.join(differ)}; output bytes may differ from a "
                "local run",
                RuntimeWarning,
                stacklevel=2,
            )
    return theirs


class _Call:
    """Picklable wrapper run on the worker: ``func(item)``, with errors made transportable.

    A :class:`BindataError` crosses back to the client as itself; one whose class cannot be
    rebuilt from its message alone (custom ``__init__``) arrives as its nearest rebuildable base
    class with the same message, so that the CLI still reports it as a bindata error.
    """

    def __init__(self, func: Callable[[Any], Any]):
        self.func = func

    def __call__(self, item: Any) -> Any:
        try:
            return self.func(item)
        except BindataError as exc:
            raise _transportable(exc) from None


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
) -> Iterator[Any]:
    """Run ``func(item)`` for every item on a Dask cluster; yield the results in item order.

    Parameters
    ----------
    func : callable
        Picklable; called once per item on some worker.
    items : iterable
        The items (file indices for ``bindata synth``).
    scheduler : str or cluster
        Address of a running scheduler (``tcp://HOST:8786``) or a cluster object.
    check_versions : bool
        Refuse workers that run another bindata version (their bytes would differ).

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
    client = connect(scheduler)
    futures = []
    try:
        if check_versions:
            check_worker_versions(client)
        call = _Call(func)
        # pure=False: every item is a fresh task even if an earlier run used the same key
        futures = client.map(call, items, pure=False)
        for fut in futures:
            yield fut.result()
    finally:
        if futures:
            client.cancel([f for f in futures if not f.done()])
        client.close()
