"""Atomic writes: every file bindata writes appears complete under its name or not at all.

A file is written to a temporary name beside its target, ``.<name>.bindata-tmp-<pid>-<thread>``, flushed
and ``fsync``-ed, then renamed over the target (``os.replace``, atomic on POSIX within one file
system). A crash leaves at most such a temporary file, which :func:`remove_stale_temporaries`
recognises by :data:`TMP_MARK` and removes (``--resume`` does so). An ``OSError`` while writing
(read-only folder, permission, full disk, vanished folder) removes the temporary file and becomes
an :class:`~bindata.errors.OutputError` naming the path and the OS reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import OutputError

#: Marks bindata's temporary files; nothing else bindata writes contains it.
TMP_MARK = ".bindata-tmp-"


def temporary_name(path: Path) -> Path:
    """The temporary name used while ``path`` is being written by this process.

    The suffix of ``path`` is kept at the end (``.x.wav.bindata-tmp-12-345.wav``); the thread id keeps two threads of one process apart because some writers
    (soundfile, numpy, sofar) choose the format from it.
    """
    return path.with_name(
        f".{path.name}{TMP_MARK}{os.getpid()}-{threading.get_ident()}{path.suffix}"
    )


def is_temporary(path: str | os.PathLike) -> bool:
    """True for a temporary file name made by :func:`temporary_name`."""
    name = Path(path).name
    return name.startswith(".") and TMP_MARK in name


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove bindata's temporary files below ``folder`` (left by a crash); returns them."""
    removed = []
    root = Path(folder)
    if not root.is_dir():
        return removed
    for path in sorted(root.rglob(f".*{TMP_MARK}*")):
        if path.is_file() and is_temporary(path):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def unwritable_reason(folder: str | os.PathLike) -> str | None:
    """Why nothing can be written in ``folder`` (the OS's words), or None when it can.

    Checked without writing: ``os.access`` for permission, ``statvfs`` for a read-only mount.
    """
    if os.access(folder, os.W_OK | os.X_OK):
        return None
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "Read-only file system"
    except (OSError, AttributeError):
        pass
    return "Permission denied"


def os_reason(exc: OSError) -> str:
    """The OS's words for an error (``No space left on device``)."""
    return exc.strerror or type(exc).__name__


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Context manager yielding a temporary path to write; renamed to ``path`` on success.

    Use it for writers that take a file name (``torch.save``, ``sofar.write_sofa``)::

        with atomic_path(out / "model.pt") as tmp:
            torch.save(state, tmp)

    On any exception the temporary file is removed and the target is left as it was; an
    ``OSError`` becomes an :class:`~bindata.errors.OutputError` naming ``path``.
    """
    path = Path(path)
    tmp = temporary_name(path)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise OutputError(f"{path}: cannot write ({os_reason(exc)})") from exc
    except BaseException:
        _discard(tmp)
        raise


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink()


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def json_text(obj) -> str:
    """bindata's JSON form: sorted keys, 2-space indent, trailing newline (stable bytes)."""
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


def write_json(path: str | os.PathLike, obj) -> None:
    """Write ``obj`` as JSON (:func:`json_text`) atomically."""
    write_text(path, json_text(obj))


def write_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write one array as ``.npy`` atomically (readable with ``np.load(mmap_mode="r")``)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, np.asarray(array), allow_pickle=False)


def write_wav(path: str | os.PathLike, pcm: np.ndarray, sample_rate: int) -> None:
    """16-bit PCM WAV (``pcm`` int16, shape (n, channels)) written atomically."""
    import soundfile as sf

    with atomic_path(path) as tmp:
        sf.write(tmp, pcm, int(sample_rate), subtype="PCM_16", format="WAV")
