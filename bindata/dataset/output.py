"""The output guard of ``synth``: plan, lock, overwrite and resume an output folder.

The guard works in two steps so that nothing is touched before every check has passed:
:func:`plan_output` only reads (is the folder absent, empty, a bindata dataset to replace, a run
to resume?) and lists the files an overwrite would remove; :func:`apply_output` then removes
exactly those, creates the layout (:mod:`bindata.dataset.reader`) and writes the run marker.
Overwrite removes only what bindata wrote (:func:`files_written_by_bindata`: the stems the
manifest and the run marker list, in the grammar of :mod:`bindata.scene.folds`); resume keeps
the items complete on disk (:func:`finished_record`).

Lock
----
:class:`OutputLock` keeps two runs from writing into the same dataset. The lock is the file
``OUT/.bindata-lock.json``, created exclusively (``O_CREAT | O_EXCL``, atomic on POSIX file systems)
and holding its owner: process id, host name and start time (UTC, ISO 8601). A second run finds the
file and is refused with the owner's details. A lock whose owner is gone — same host, and no process
with that id exists (``kill(pid, 0)`` fails with ``ESRCH``) — is stale: the next run takes it over.
A lock held on another host cannot be checked from here; it is refused, and the message says which
file to remove if that run ended.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import soundfile as sf

from ..errors import (
    ConfigError,
    DatasetError,
    OutputError,
    OutputExistsError,
    OutputLockedError,
)
from ..io import (
    MANIFEST,
    RUN_MARKER,
    is_temporary,
    read_json,
    remove_stale_temporaries,
    sha256_file,
    write_json,
)
from ..io.atomic import os_reason
from ..io.layout import SUBDIRS, paths_of
from ..scene.folds import STEM, file_stem

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


# ----------------------------------------------------------------------------- the guard
@dataclass
class OutputPlan:
    """What :func:`apply_output` will do to ``out``: start, resume or replace a dataset."""

    out: Path
    mode: str  # "new", "resume" or "overwrite"
    run_record: dict
    remove: list[Path] = field(default_factory=list)


def plan_output(out_dir, *, run_record: dict, overwrite: bool, resume: bool) -> OutputPlan:
    """Check the output folder without touching it; the plan of what happens to it.

    A folder that is absent or empty is started; a non-empty one is refused unless
    ``overwrite`` (only a bindata dataset or unfinished run, and only the files bindata wrote
    there are removed) or ``resume`` (the run marker of a run with the same config and seed).

    Raises
    ------
    OutputExistsError, ConfigError, OutputError
        The folder cannot be used as asked; nothing has been changed.
    """
    out = Path(out_dir)
    if overwrite and resume:
        raise ConfigError("overwrite and resume exclude each other; choose one", key="overwrite")
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder")
    check_writable(out)
    try:
        entries = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    except OSError as exc:
        raise OutputError(f"{out}: cannot list ({os_reason(exc)})") from exc
    entries = [e for e in entries if e != LOCK_NAME and not _empty_subdir(out / e)]
    if not entries:
        return OutputPlan(out, "new", run_record)
    if resume:
        _check_resumable(out, run_record)
        return OutputPlan(out, "resume", run_record)
    if overwrite:
        return OutputPlan(out, "overwrite", run_record, remove=files_written_by_bindata(out))
    shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
    raise OutputExistsError(
        f"{out}: output folder is not empty ({len(entries)} entries: {shown})",
        key="output.not_empty",
    )


def _empty_subdir(path: Path) -> bool:
    """An empty ``audio/``, ``metadata/`` or ``scenes/`` folder (holds nothing to keep)."""
    try:
        return path.name in SUBDIRS and path.is_dir() and not any(path.iterdir())
    except OSError:
        return False


def discard_unused_layout(out: Path, *, remove_folder: bool) -> bool:
    """Undo the start of a run that finished no item: the run marker, the empty sub-folders and,
    when ``remove_folder`` (the run created it), the folder itself if it is then empty.

    Returns False (and changes nothing) when some item file is present.
    """
    try:
        for name in SUBDIRS:
            folder = out / name
            if folder.is_dir() and any(not is_temporary(p) for p in folder.iterdir()):
                return False
        remove_stale_temporaries(out)
        for name in SUBDIRS:  # fails on a folder a late worker wrote into: the marker stays
            if (out / name).is_dir():
                (out / name).rmdir()
        (out / RUN_MARKER).unlink(missing_ok=True)
        if remove_folder and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
    except OSError:  # a vanished or read-only folder: nothing more to undo
        return False
    return True


def check_writable(out: Path) -> None:
    """The folder, or the nearest existing folder above it, must allow creating files."""
    here = out
    while not here.exists():
        if here.parent == here:
            break
        here = here.parent
    if not here.is_dir():
        raise OutputError(f"{out}: cannot create ({here} is not a folder)")
    if os.access(here, os.W_OK | os.X_OK):
        return
    try:
        read_only = bool(os.statvfs(here).f_flag & os.ST_RDONLY)
    except OSError:  # pragma: no cover - statvfs unsupported
        read_only = False
    reason = "Read-only file system" if read_only else "Permission denied"
    raise OutputError(f"{here}: cannot write ({reason})")


def files_written_by_bindata(out: Path) -> list[Path]:
    """Every existing file in ``out`` that bindata wrote: the items the manifest and the run
    marker list, the manifest, the marker and bindata's temporary files; nothing else.

    Raises
    ------
    OutputExistsError
        ``out`` holds neither a manifest nor a run marker: it is not bindata's to replace.
    """
    sources = [out / name for name in (MANIFEST, RUN_MARKER) if (out / name).is_file()]
    if not sources:
        raise OutputExistsError(
            f"{out}: not a bindata dataset (no {MANIFEST} or {RUN_MARKER}); only a dataset "
            "bindata wrote can be replaced; choose an empty or new output folder",
            key="overwrite",
        )
    stems: set[str] = set()
    for path in sources:
        stems |= _stems_listed(path)
    found = [p for stem in sorted(stems) for p in paths_of(out, stem).values() if p.is_file()]
    for name in SUBDIRS:
        if (out / name).is_dir():
            found += sorted(p for p in (out / name).iterdir() if is_temporary(p) and p.is_file())
    return found + sources


def _stems_listed(path: Path) -> set[str]:
    """Stems a manifest (its ``files``) or a run marker (its config's file count) lists; only
    stems bindata writes (:data:`bindata.scene.folds.STEM`): nothing else is removed by name."""
    record = read_json(path)
    if not isinstance(record, dict):
        raise DatasetError(f"{path}: must be a JSON object, got {type(record).__name__}")
    stems = {str(f.get("stem")) for f in record.get("files", []) if isinstance(f, dict)}
    config_json = record.get("config")  # a file found on disk: read defensively, as JSON
    if isinstance(config_json, dict) and isinstance(config_json.get("n_files"), int):
        n, k = config_json["n_files"], int(config_json.get("n_folds", 1))
        stems |= {file_stem(i, n_files=n, n_folds=k) for i in range(n)}
    return {s for s in stems if STEM.fullmatch(s)}


def _check_resumable(out: Path, run_record: dict) -> None:
    marker = out / RUN_MARKER
    if marker.exists():
        previous = read_json(marker)
    elif (out / MANIFEST).exists():
        previous = read_json(out / MANIFEST)
    else:
        raise OutputExistsError(
            f"{out}: nothing to resume (no {RUN_MARKER} or {MANIFEST})", key="resume"
        )
    for key in ("seed", "config"):
        if previous.get(key) != run_record.get(key):
            raise ConfigError(
                f"{out}: cannot resume: its run used a different {key}; resume with the same "
                f"{key} or start a new output folder",
                key="resume",
            )


def apply_output(plan: OutputPlan) -> list[Path]:
    """Carry out ``plan``: remove what it lists, create the layout, write the run marker.

    Returns the files removed (an overwrite) or the stale temporary files removed (a resume).
    An ``OSError`` becomes an :class:`OutputError` that also names what was removed before it.
    """
    out, removed = plan.out, []
    try:
        if plan.mode == "overwrite":
            for path in plan.remove:
                path.unlink(missing_ok=True)
                removed.append(path)
        elif plan.mode == "resume":
            removed = remove_stale_temporaries(out)
        for name in SUBDIRS:
            (out / name).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        where = exc.filename or out
        raise OutputError(
            f"{where}: cannot write ({os_reason(exc)})" + removed_note(out, removed)
        ) from exc
    if not (out / RUN_MARKER).exists():
        try:
            write_json(out / RUN_MARKER, plan.run_record)
        except OutputError as exc:
            raise OutputError(f"{exc}{removed_note(out, removed)}") from exc
    return removed


def removed_note(out: Path, removed: list[Path]) -> str:
    """``; before this, the overwrite had removed ...`` for an error message ('' if none)."""
    if not removed:
        return ""
    names = sorted((p.relative_to(out).as_posix() for p in removed), key=lambda n: ("/" in n, n))
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return (
        f"; before this, the overwrite had removed {len(names)} file(s) of the earlier "
        f"dataset in {out}: {shown}"
    )


def finished_record(out_dir, stem: str, *, expected: dict[str, bytes], n_frames: int):
    """The manifest record of an item complete on disk, else None (for resume).

    Complete means: the scene JSON and the metadata CSV hold exactly ``expected["scene"]`` and
    ``expected["metadata"]`` (the bytes this run would write) and the audio is a 2-channel
    16-bit WAV of ``n_frames`` frames.
    """
    p = paths_of(out_dir, stem)
    try:
        for kind in ("scene", "metadata"):
            if p[kind].read_bytes() != expected[kind]:
                return None
        info = sf.info(str(p["audio"]))
    except (OSError, RuntimeError):  # absent, unreadable or not a WAV (soundfile: RuntimeError)
        return None
    if (info.channels, info.frames, info.subtype) != (2, n_frames, "PCM_16"):
        return None
    return file_record(out_dir, stem)


def file_record(out_dir, stem: str) -> dict:
    """Manifest entry of one item: relative paths and SHA-256 of its three files."""
    out = Path(out_dir)
    rec = {"stem": stem}
    for kind, path in paths_of(out, stem).items():
        rec[kind] = path.relative_to(out).as_posix()
        try:
            rec[f"{kind}_sha256"] = sha256_file(path)
        except OSError as exc:
            raise OutputError(f"{path}: cannot read back ({os_reason(exc)})") from exc
    return rec
