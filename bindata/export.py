"""Export a bindata dataset to the folder layout and metadata of a DCASE Task 3 year.

Layouts (one sub-folder per development set, as the challenge's; file names are the dataset's
stems, ``foldK_roomR_mixM``, which the baselines parse for the fold):

- ``dcase2024``: ``mic_dev/dev-bindata/STEM.wav`` (two-channel binaural audio, where the
  2024 data had its four-channel ``mic`` format) and ``metadata_dev/dev-bindata/STEM.csv`` with
  the 2024 rows ``frame,class,source,azimuth,elevation,distance`` (no header; degrees, cm);
- ``dcase2025`` (stereo SELD): ``stereo_dev/dev-bindata/STEM.wav`` and
  ``metadata_dev/dev-bindata/STEM.csv`` with a header row and the columns
  ``frame,class,source,azimuth,distance,onscreen``. A stereo pair cannot tell front from back, so
  the 2025 azimuth is folded onto the front half-plane: ``180 - az`` for ``az > 90`` and
  ``-180 - az`` for ``az < -90`` (a mirror in the interaural axis, which keeps the lateral angle),
  giving [-90, 90]; bindata has no video, so ``onscreen`` is 0.

A class map (``schemas/class_map.schema.json``) renames or drops classes; the exported class list
is written to ``bindata_export.json`` beside the folders. WAVs are symbolic links to the
dataset's files, or copies. Everything is checked before the first file is written; the output
folder must be absent or empty; on a failure while writing, every file and folder the export
created is removed again.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from . import __version__
from .errors import ConfigError, DatasetError, OutputError, OutputExistsError
from .io import sha256_file, write_bytes, write_json, write_text
from .io.atomic import os_reason
from .io.dcase_csv import DCASE2025_COLUMNS, format_rows, sort_rows
from .resources import validate_against_schema
from .score.reference import load_reference

#: Export formats: audio folder, metadata folder, sub-folder.
LAYOUTS = {
    "dcase2024": {"audio": "mic_dev", "metadata": "metadata_dev", "split": "dev-bindata"},
    "dcase2025": {"audio": "stereo_dev", "metadata": "metadata_dev", "split": "dev-bindata"},
}

#: Name of the file describing an export.
EXPORT_RECORD = "bindata_export.json"


def fold_azimuth_front(azimuth_deg):
    """Fold azimuths (-180, 180] onto the front, [-90, 90]: mirror in the interaural axis."""
    az = np.asarray(azimuth_deg, dtype=float)
    return np.where(az > 90, 180 - az, np.where(az < -90, -180 - az, az))


def load_class_map(path, dataset_classes) -> tuple[list[str], dict]:
    """Read and check a class map against the dataset's classes.

    Returns
    -------
    (classes, index_of)
        The exported class list and ``{dataset class index: exported index or None}``.

    Raises
    ------
    ConfigError
        Unreadable or not JSON, breaks the schema, names unknown classes, or leaves a dataset
        class unmapped (every problem listed).
    """
    path = Path(path)
    try:
        spec = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the class map ({exc.strerror})") from exc
    except ValueError as exc:
        raise ConfigError(f"{path}: the class map is not JSON ({exc})") from exc
    problems = validate_against_schema(spec, "class_map", what=str(path))
    if not problems:
        mapping, targets = spec["map"], spec["classes"]
        unknown = sorted(set(mapping) - set(dataset_classes))
        if unknown:
            problems.append(f"{path}: map: unknown dataset class(es) {unknown}; the dataset's "
                            f"classes are {list(dataset_classes)}")  # fmt: skip
        bad = sorted({v for v in mapping.values() if v is not None and v not in targets})
        if bad:
            problems.append(f"{path}: map: target class(es) {bad} are not in 'classes'")
        absent = [c for c in dataset_classes if c not in mapping]
        if absent:
            problems.append(f"{path}: map: dataset class(es) {absent} are not mapped; map each "
                            "to a class or to null to drop it")  # fmt: skip
    if problems:
        raise ConfigError("; ".join(problems))
    index = {k: (None if mapping[c] is None else targets.index(mapping[c]))
             for k, c in enumerate(dataset_classes)}  # fmt: skip
    return list(targets), index


def export_rows(rows: np.ndarray, fmt: str, index_of: dict | None) -> str:
    """Metadata text of one file in ``fmt`` (class map applied)."""
    rows = sort_rows(rows)
    if index_of is not None:
        new = np.array([-1 if index_of.get(int(c)) is None else index_of[int(c)]
                        for c in rows["class"]], dtype=np.int64)  # fmt: skip
        rows = rows[new >= 0]
        rows["class"] = new[new >= 0]
    if fmt == "dcase2024":
        return format_rows(rows)
    table = np.column_stack([
        rows["frame"], rows["class"], rows["source"],
        np.round(fold_azimuth_front(rows["azimuth"])).astype(np.int64),
        rows["distance"], np.zeros(len(rows), dtype=np.int64),
    ])  # fmt: skip
    return format_rows(table, header=DCASE2025_COLUMNS)


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        what = "a file" if not out.is_dir() else "a non-empty folder"
        raise OutputExistsError(f"{out}: is {what}; an export goes into a new or empty folder")


def _plan(reference, fmt: str, out: Path, index_of) -> list[tuple[Path, str, object]]:
    """Every file to write: (path, kind, payload); checks the dataset's audio first."""
    lay = LAYOUTS[fmt]
    plan, missing = [], []
    for stem, rows in zip(reference.stems, reference.rows, strict=True):
        wav = reference.root / "audio" / f"{stem}.wav"
        if not wav.is_file():
            missing.append(str(wav))
        plan.append((out / lay["audio"] / lay["split"] / f"{stem}.wav", "wav", wav))
        text = export_rows(rows, fmt, index_of)
        plan.append((out / lay["metadata"] / lay["split"] / f"{stem}.csv", "text", text))
    if missing:
        raise DatasetError(f"{len(missing)} audio file(s) of the dataset are missing: "
                           f"{', '.join(missing[:5])}")  # fmt: skip
    return plan


def _write_all(plan, out: Path, copy: bool) -> None:
    created_dirs, written = [], []
    try:
        for path, kind, payload in plan:
            for parent in reversed([path.parent, *path.parent.parents]):
                if not parent.exists():
                    parent.mkdir()
                    created_dirs.append(parent)
            if kind == "text":
                write_text(path, payload)
            elif kind == "json":
                write_json(path, payload)
            elif copy:
                write_bytes(path, payload.read_bytes())
            else:
                os.symlink(payload.resolve(), path)
            written.append(path)
    except BaseException as exc:
        for path in written:
            path.unlink(missing_ok=True)
        for folder in reversed(created_dirs):
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, OSError):
            raise OutputError(f"{out}: cannot write the export ({os_reason(exc)})") from exc
        raise


def export_dataset(dataset, out_dir, *, fmt: str, class_map=None, copy: bool = False) -> dict:
    """Write a dataset in the layout of a DCASE year.

    Parameters
    ----------
    dataset : path-like
        A bindata dataset (``manifest.json``, ``audio/``, ``metadata/``).
    out_dir : path-like
        New or empty folder.
    fmt : {'dcase2024', 'dcase2025'}, keyword-only
    class_map : path-like, optional
        JSON class map (``schemas/class_map.schema.json``).
    copy : bool, keyword-only
        Copy the WAVs instead of linking them.

    Returns
    -------
    dict
        The export record (also written as ``bindata_export.json``).

    Raises
    ------
    ConfigError, DatasetError, OutputExistsError, OutputError
    """
    if fmt not in LAYOUTS:
        raise ConfigError(f"export format must be one of {list(LAYOUTS)}, got {fmt!r}")
    reference = load_reference(dataset)
    if not reference.event_classes:
        raise DatasetError(f"{dataset}: the manifest lists no classes")
    classes, index_of = list(reference.event_classes), None
    if class_map is not None:
        classes, index_of = load_class_map(class_map, reference.event_classes)
    out = Path(out_dir)
    _check_out(out)
    plan = _plan(reference, fmt, out, index_of)
    record = {
        "tool": "bindata", "version": __version__, "format": fmt,
        "dataset": str(Path(dataset).resolve()),
        "manifest_sha256": sha256_file(Path(dataset) / "manifest.json"),
        "classes": classes, "audio": "copied" if copy else "linked",
        "n_files": len(reference.stems),
    }  # fmt: skip
    if out.exists() and not os.access(out, os.W_OK):
        raise OutputError(f"{out}: cannot write the export (permission denied)")
    _write_all(plan + [(out / EXPORT_RECORD, "json", record)], out, copy)
    return record
