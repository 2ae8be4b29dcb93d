"""Dataset layout on disk (DESIGN.md), a finished dataset, and the output guard of ``synth``.

```
OUT/audio/<stem>.wav  OUT/metadata/<stem>.csv  OUT/scenes/<stem>.json  OUT/manifest.json
OUT/.bindata-run.json   (config + seed of a run in progress; lets resume check consistency)
OUT/.bindata-lock.json  (owner of a run in progress; :mod:`bindata.lock`)
```

This module is the one place that knows where an item's files are (:func:`paths_of`; for a
finished dataset :meth:`Dataset.paths`). :class:`Dataset` reads a finished dataset (its
manifest, and each item's audio, label rows and scene).

The guard works in two steps so that nothing is touched before every check has passed:
:func:`plan_output` only reads (is the folder absent, empty, a bindata dataset to replace, a run
to resume?) and lists the files an overwrite would remove; :func:`apply_output` then removes
exactly those, creates the layout and writes the run marker.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from .errors import ConfigError, DatasetError, OutputError, OutputExistsError, SceneError
from .io import (
    MANIFEST,
    RUN_MARKER,
    is_temporary,
    read_json,
    read_manifest,
    remove_stale_temporaries,
    sha256_file,
    write_json,
)
from .io.atomic import os_reason
from .labels import read_metadata_csv
from .lock import LOCK_NAME
from .resources import require_valid

SUBDIRS = ("audio", "metadata", "scenes")

#: Stems bindata writes (``fold1_room0001_mix001``); nothing else is ever removed by name.
_STEM = re.compile(r"fold\d+_room\d+_mix\d+")


def paths_of(out_dir: str | os.PathLike, stem: str) -> dict[str, Path]:
    """The three files of one dataset item (also in a folder being written or checked)."""
    out = Path(out_dir)
    return {
        "audio": out / "audio" / f"{stem}.wav",
        "metadata": out / "metadata" / f"{stem}.csv",
        "scene": out / "scenes" / f"{stem}.json",
    }


def load_scene(path: str | os.PathLike) -> dict:
    """Read a scene JSON and check it against ``schemas/scene.schema.json``.

    Raises
    ------
    DatasetError
        The file cannot be read or is not JSON.
    SceneError
        It is not a valid scene (each problem named).
    """
    scene = read_json(path)
    require_valid(scene, "scene", what=str(path), error=SceneError)
    return scene


class Dataset:
    """A finished bindata dataset on disk: ``manifest.json``, ``audio/``, ``metadata/`` and
    ``scenes/`` (README, "Output").

    Open one with :meth:`open` (or get it from :func:`bindata.synthesize`). Iterating yields
    the stems in manifest order; ``len(ds)`` is the number of files.

    Attributes
    ----------
    root : pathlib.Path
        The dataset folder.
    manifest : dict
        The manifest (``schemas/manifest.schema.json``): config, seed, classes, file records.

    Examples
    --------
    >>> import bindata
    >>> ds = bindata.synthesize("data/", n_files=2, n_folds=2, duration_s=3, progress=False)
    >>> len(ds), ds.stems, ds.folds
    (2, ('fold1_room0001_mix001', 'fold2_room0002_mix001'), (1, 2))
    >>> x, fs = ds.audio("fold1_room0001_mix001")
    >>> x.shape, x.dtype, fs
    ((72000, 2), dtype('float64'), 24000)
    >>> rows = ds.labels("fold1_room0001_mix001")
    >>> rows.dtype.names
    ('frame', 'class', 'source', 'azimuth', 'elevation', 'distance')
    >>> ds.scene("fold1_room0001_mix001")["stem"]
    'fold1_room0001_mix001'
    """

    def __init__(self, root: str | os.PathLike, manifest: dict):
        self.root = Path(root)
        self.manifest = manifest
        files = manifest["files"]
        self._index = {str(rec["stem"]): k for k, rec in enumerate(files)}

    @classmethod
    def open(cls, path: str | os.PathLike) -> Dataset:
        """Open the finished dataset in ``path`` (its manifest is read and checked).

        Parameters
        ----------
        path : path-like
            The dataset folder.

        Returns
        -------
        Dataset

        Raises
        ------
        DatasetError
            No ``manifest.json`` (not a dataset, or a run not finished yet), or one that breaks
            ``schemas/manifest.schema.json`` (each problem named).

        Examples
        --------
        >>> import bindata
        >>> _ = bindata.synthesize("data/", n_files=2, n_folds=2, duration_s=3, progress=False)
        >>> bindata.Dataset.open("data/")
        Dataset('data', 2 files, folds [1, 2])
        >>> bindata.Dataset.open("nowhere/")
        Traceback (most recent call last):
        ...
        bindata.errors.DatasetError: nowhere: not a bindata dataset (no manifest.json)
        """
        root = Path(path)
        if not (root / MANIFEST).is_file() and (root / RUN_MARKER).is_file():
            raise DatasetError(
                f"{root}: an unfinished synthesis run (no {MANIFEST} yet); "
                "finish it by synthesizing again with resume"
            )
        return cls(root, read_manifest(root))

    def __repr__(self) -> str:
        return f"Dataset({str(self.root)!r}, {len(self)} files, folds {sorted(set(self.folds))})"

    def __len__(self) -> int:
        return len(self._index)

    def __iter__(self):
        return iter(self.stems)

    def __contains__(self, stem) -> bool:
        return stem in self._index

    @property
    def stems(self) -> tuple[str, ...]:
        """The files' stems (``fold1_room0001_mix001``), in manifest order."""
        return tuple(self._index)

    @property
    def folds(self) -> tuple[int, ...]:
        """The fold of each file, in the order of :attr:`stems` (``sorted(set(ds.folds))``
        gives the fold numbers)."""
        return tuple(int(rec["fold"]) for rec in self.manifest["files"])

    @property
    def classes(self) -> list[str]:
        """The class names; the ``class`` column of :meth:`labels` indexes this list."""
        return list(self.manifest["classes"])

    @property
    def sample_rate(self) -> int:
        """Sample rate of the audio files, Hz."""
        return int(self.manifest["config"]["sample_rate"])

    def paths(self, stem: str) -> dict[str, Path]:
        """The files of ``stem``: ``{"audio": ..., "metadata": ..., "scene": ...}``.

        Raises
        ------
        DatasetError
            ``stem`` is not a file of this dataset.
        """
        if stem not in self._index:
            shown = ", ".join(self.stems[:3]) + (", ..." if len(self) > 3 else "")
            raise DatasetError(
                f"{self.root}: no file {stem!r} in this dataset (its {len(self)} files: {shown})"
            )
        return paths_of(self.root, stem)

    def audio(self, stem: str, *, dtype: str = "float64") -> tuple[np.ndarray, int]:
        """The audio of ``stem``: ``(samples, sample_rate)``, samples ``(n, 2)`` (left, right).

        Parameters
        ----------
        stem : str
        dtype : str, keyword-only
            ``"float64"`` (default) or ``"float32"``: in [-1, 1); ``"int16"``: the 16-bit PCM
            samples as stored.

        Raises
        ------
        DatasetError
            Unknown stem, or the WAV file cannot be read.
        """
        path = self.paths(stem)["audio"]
        try:
            samples, rate = sf.read(str(path), dtype=dtype, always_2d=True)
        except (OSError, RuntimeError) as exc:  # soundfile: RuntimeError for a bad file
            raise DatasetError(f"{path}: cannot read audio ({exc})") from exc
        return samples, int(rate)

    def labels(self, stem: str) -> np.ndarray:
        """The metadata rows of ``stem``: an integer structured array with the columns
        ``frame`` (100 ms), ``class`` (index into :attr:`classes`), ``source`` (event within
        the file), ``azimuth`` and ``elevation`` (degrees, head-relative) and ``distance``
        (cm); one row per active source and frame (:data:`bindata.labels.ROW_DTYPE`).

        Raises
        ------
        DatasetError
            Unknown stem, or the CSV file cannot be read or breaks the format.
        """
        return read_metadata_csv(self.paths(stem)["metadata"])

    def scene(self, stem: str) -> dict:
        """The scene of ``stem`` (``schemas/scene.schema.json``): room, listener, events, ...

        Raises
        ------
        DatasetError, SceneError
            Unknown stem, an unreadable file, or not a valid scene.
        """
        return load_scene(self.paths(stem)["scene"])


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
    _check_writable(out)
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


def _check_writable(out: Path) -> None:
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
    """Stems a manifest (its ``files``) or a run marker (its config's file count) lists."""
    from .scene import file_stem

    record = read_json(path)
    if not isinstance(record, dict):
        raise DatasetError(f"{path}: must be a JSON object, got {type(record).__name__}")
    stems = {str(f.get("stem")) for f in record.get("files", []) if isinstance(f, dict)}
    cfg = record.get("config")
    if isinstance(cfg, dict) and isinstance(cfg.get("n_files"), int):
        n, k = cfg["n_files"], int(cfg.get("n_folds", 1))
        stems |= {file_stem(i, n_files=n, n_folds=k) for i in range(n)}
    return {s for s in stems if _STEM.fullmatch(s)}


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
