"""Dataset layout on disk (DESIGN.md), atomic writes, the manifest and the output guard.

```
OUT/audio/<stem>.wav  OUT/metadata/<stem>.csv  OUT/scenes/<stem>.json  OUT/manifest.json
OUT/.bindata-run.json   (config + seed of a run in progress; lets --resume check consistency)
```
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np

from .errors import ConfigError, DatasetError, OutputExistsError

SUBDIRS = ("audio", "metadata", "scenes")
MANIFEST = "manifest.json"
RUN_MARKER = ".bindata-run.json"
FORMAT_VERSION = 1


def paths_of(out_dir: str | os.PathLike, stem: str) -> dict[str, Path]:
    """The three files of one dataset item."""
    out = Path(out_dir)
    return {
        "audio": out / "audio" / f"{stem}.wav",
        "metadata": out / "metadata" / f"{stem}.csv",
        "scene": out / "scenes" / f"{stem}.json",
    }


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temporary name beside ``path`` and rename it into place."""
    path = Path(path)
    tmp = _tmp_name(path)
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def write_json_atomic(path: str | os.PathLike, obj) -> None:
    """JSON (sorted keys, 2-space indent, trailing newline), written atomically."""
    write_bytes_atomic(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def write_wav_atomic(path: str | os.PathLike, pcm: np.ndarray, sample_rate: int) -> None:
    """16-bit PCM WAV written atomically (``pcm`` int16, shape (n, channels))."""
    import soundfile as sf

    path = Path(path)
    tmp = _tmp_name(path)
    sf.write(tmp, pcm, sample_rate, subtype="PCM_16", format="WAV")
    os.replace(tmp, path)


def read_json(path: str | os.PathLike) -> dict:
    """Read a JSON file, as a DatasetError when missing or broken."""
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from exc
    except ValueError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc})") from exc


def prepare_output(out_dir, *, run_record: dict, overwrite: bool, resume: bool) -> None:
    """Create the layout, refusing a non-empty folder unless ``overwrite`` or ``resume``.

    ``overwrite`` removes only what bindata writes (the three sub-folders, the manifest, the run
    marker); ``resume`` requires the run marker of a run with the same config and seed.
    """
    out = Path(out_dir)
    if overwrite and resume:
        raise ConfigError("--overwrite and --resume exclude each other; choose one")
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder")
    entries = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    if entries and resume:
        _check_resumable(out, run_record)
    elif entries and overwrite:
        for name in SUBDIRS:
            shutil.rmtree(out / name, ignore_errors=True)
        for name in (MANIFEST, RUN_MARKER):
            (out / name).unlink(missing_ok=True)
    elif entries:
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise OutputExistsError(
            f"{out}: output folder is not empty ({len(entries)} entries: {shown}); pass "
            "--overwrite to replace it or --resume to finish an interrupted run"
        )
    for name in SUBDIRS:
        (out / name).mkdir(parents=True, exist_ok=True)
    if not (out / RUN_MARKER).exists():
        write_json_atomic(out / RUN_MARKER, run_record)


def _check_resumable(out: Path, run_record: dict) -> None:
    marker = out / RUN_MARKER
    if not marker.exists():
        if (out / MANIFEST).exists():
            previous = read_json(out / MANIFEST)
            previous = {"config": previous.get("config"), "seed": previous.get("seed")}
        else:
            raise OutputExistsError(f"{out}: nothing to resume (no {RUN_MARKER} or {MANIFEST})")
    else:
        previous = read_json(marker)
    for key in ("seed", "config"):
        if previous.get(key) != run_record.get(key):
            raise ConfigError(
                f"--resume: the run in {out} used a different {key}; resume with the same "
                f"{key} or start a new output folder"
            )


def finished_record(out_dir, stem: str) -> dict | None:
    """The manifest record of an item whose three files exist, else None (for --resume)."""
    p = paths_of(out_dir, stem)
    if not all(path.exists() for path in p.values()):
        return None
    return file_record(out_dir, stem)


def file_record(out_dir, stem: str) -> dict:
    """Manifest entry of one item: relative paths and SHA-256 of its three files."""
    out = Path(out_dir)
    rec = {"stem": stem}
    for kind, path in paths_of(out, stem).items():
        rec[kind] = path.relative_to(out).as_posix()
        rec[f"{kind}_sha256"] = sha256_file(path)
    return rec


def write_manifest(out_dir, manifest: dict) -> None:
    """Write the manifest and drop the run marker: the dataset is complete."""
    out = Path(out_dir)
    write_json_atomic(out / MANIFEST, manifest)
    (out / RUN_MARKER).unlink(missing_ok=True)


def read_manifest(dataset_dir) -> dict:
    """The manifest of a finished dataset."""
    path = Path(dataset_dir) / MANIFEST
    if not path.exists():
        raise DatasetError(f"{dataset_dir}: not a bindata dataset (no {MANIFEST})")
    return read_json(path)
