"""A lock on an output folder, so that two runs never write into the same dataset.

The lock is the file ``OUT/.bindata-lock.json``, created exclusively (``O_CREAT | O_EXCL``, atomic
on POSIX file systems) and holding its owner: process id, host name and start time (UTC,
ISO 8601). A second run finds the file and is refused with the owner's details. A lock whose
owner is gone — same host, and no process with that id exists (``kill(pid, 0)`` fails with
``ESRCH``) — is stale: the next run takes it over. A lock held on another host cannot be
checked from here; it is refused, and the message says which file to remove if that run ended.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path

from .errors import OutputError, OutputLockedError
from .io.atomic import os_reason

LOCK_NAME = ".bindata-lock.json"

#: A lock file found empty or half-written is re-read for this long (its writer may be mid-write).
_READ_GRACE_S = 1.0


def _owner() -> dict:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError as exc:  # pragma: no cover - e.g. EINVAL for a nonsense pid
        return exc.errno != errno.ESRCH
    return True


def read_lock(folder: str | os.PathLike) -> dict | None:
    """The owner recorded in ``folder``'s lock, ``{}`` if unreadable, ``None`` if unlocked."""
    path = Path(folder) / LOCK_NAME
    deadline = time.monotonic() + _READ_GRACE_S
    while True:
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            return None
        except OSError:
            return {}
        try:
            owner = json.loads(text)
            if isinstance(owner, dict) and isinstance(owner.get("pid"), int):
                return owner
        except ValueError:
            pass
        if time.monotonic() > deadline:
            return {}
        time.sleep(0.05)


def is_stale(owner: dict) -> bool:
    """True for a lock of a process that no longer exists on this host."""
    return (
        bool(owner)
        and owner.get("host") == socket.gethostname()
        and not _pid_alive(int(owner["pid"]))
    )


def describe(owner: dict) -> str:
    """``pid 123 on host h, started 2026-01-01T10:00:00+00:00`` (or why it is unknown)."""
    if not owner:
        return "an unknown run (the lock file is empty or unreadable)"
    return f"pid {owner.get('pid')} on host {owner.get('host')}, started {owner.get('started_utc')}"


def check_unlocked(folder: str | os.PathLike) -> None:
    """Raise :class:`OutputLockedError` when a live run holds ``folder``'s lock (reads only)."""
    owner = read_lock(folder)
    if owner is not None and not is_stale(owner):
        raise _locked(Path(folder), owner)


def _locked(folder: Path, owner: dict) -> OutputLockedError:
    return OutputLockedError(
        f"{folder}: another bindata run is writing here ({describe(owner)}); wait for it to "
        f"finish, or remove {folder / LOCK_NAME} if no such run is alive"
    )


class OutputLock:
    """Hold the lock of ``folder`` (created if absent) while in a ``with`` block.

    Raises
    ------
    OutputLockedError
        A live run holds the lock.
    OutputError
        The folder or the lock file cannot be created (path and OS reason).
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.taken_over: dict | None = None

    def __enter__(self) -> OutputLock:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.folder}: cannot create ({os_reason(exc)})") from exc
        for _ in range(3):
            if self._create():
                return self
            owner = read_lock(self.folder)
            if owner is not None and not is_stale(owner):
                raise _locked(self.folder, owner)
            if owner is not None:
                self._remove_stale(owner)
        raise _locked(self.folder, read_lock(self.folder) or {})

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot create ({os_reason(exc)})") from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(_owner(), fh)
                fh.write("\n")
        except OSError as exc:
            with contextlib.suppress(OSError):
                self.path.unlink()
            raise OutputError(f"{self.path}: cannot write ({os_reason(exc)})") from exc
        return True

    def _remove_stale(self, owner: dict) -> None:
        # rename first: of two runs taking over the same stale lock, only one succeeds
        aside = self.path.with_name(f"{LOCK_NAME}.stale-{os.getpid()}")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot remove stale lock ({os_reason(exc)})") from exc
        with contextlib.suppress(OSError):
            aside.unlink()
        self.taken_over = owner

    def __exit__(self, *exc_info) -> None:
        with contextlib.suppress(OSError):  # a vanished folder has no lock to remove
            owner = read_lock(self.folder)
            if owner and owner.get("pid") == os.getpid():
                self.path.unlink()
