"""The reference side of scoring: a dataset's DCASE metadata, folds and label length.

A dataset (DESIGN.md, "Files") holds ``metadata/<stem>.csv`` per file and ``manifest.json`` with
``config.duration_s`` (15 s when absent), ``files`` (each with ``stem`` and optionally ``fold``)
and ``classes`` (the sorted event class names that the ``class`` column indexes). Without a
manifest the stems are the metadata files' names, the duration is 15 s and the event classes are
unknown (any class index >= 0 is accepted). A file's fold is its manifest ``fold``, else the K of
a ``foldK_`` stem prefix, else unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DatasetError
from ..io import MANIFEST, read_manifest
from ..io.layout import paths_of
from ..scene.folds import fold_of
from ..scene.labels import n_label_frames, read_metadata_csv

#: Duration assumed when the manifest gives none (DESIGN.md: 15 s files).
DEFAULT_DURATION_S = 15.0


@dataclass(frozen=True)
class Reference:
    """Reference labels of the files to score.

    Attributes
    ----------
    root : pathlib.Path
        Dataset folder.
    stems : tuple of str
        Scored files, in manifest order.
    folds : tuple of (int or None)
        Fold of each scored file.
    ignored_stems : frozenset of str
        Dataset files left out by a fold selection (their predictions are ignored, not extra).
    duration_s : float
        Length of every file.
    n_frames : int
        Label frames per file (100 ms).
    event_classes : tuple of str or None
        Event class names indexed by the ``class`` column, if the manifest lists them.
    rows : tuple of numpy.ndarray
        DCASE rows (:data:`bindata.scene.labels.ROW_DTYPE`) of each scored file.
    """

    root: Path
    stems: tuple
    folds: tuple
    ignored_stems: frozenset
    duration_s: float
    n_frames: int
    event_classes: tuple | None
    rows: tuple


def fold_keys(folds) -> list[str]:
    """Fold labels of files (``'1'``, ``'2'``, ... or ``'unknown'``)."""
    return ["unknown" if f is None else str(f) for f in folds]


def sorted_fold_keys(keys) -> list[str]:
    """Distinct fold labels, numeric folds in order, ``'unknown'`` last."""
    return sorted(set(keys), key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))


def _read_manifest(root: Path) -> dict | None:
    if not (root / MANIFEST).exists():
        return None
    return read_manifest(root, minimal_ok=True)


def _manifest_entries(root: Path, manifest: dict | None) -> list[dict]:
    if manifest is None:
        meta = paths_of(root, "")["metadata"].parent
        if not meta.is_dir():
            raise DatasetError(f"{root}: not a dataset (no manifest.json and no metadata/ folder)")
        return [{"stem": p.stem} for p in sorted(meta.glob("*.csv"))]
    entries = []
    for k, entry in enumerate(manifest["files"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("stem"), str):
            raise DatasetError(f"{root / 'manifest.json'}: files[{k}] has no string 'stem'")
        entries.append(entry)
    stems = [e["stem"] for e in entries]
    if len(set(stems)) != len(stems):
        raise DatasetError(f"{root / 'manifest.json'}: duplicate stems in 'files'")
    return entries


def _duration(root: Path, manifest: dict | None) -> float:
    config = (manifest or {}).get("config") or {}
    duration = config.get("duration_s", DEFAULT_DURATION_S)
    try:
        duration = float(duration)
    except (TypeError, ValueError):
        duration = float("nan")
    if not np.isfinite(duration) or duration <= 0:
        raise DatasetError(
            f"{root / 'manifest.json'}: config.duration_s must be a number > 0, got {duration!r}"
        )
    return duration


def load_reference(dataset_dir, *, folds=None) -> Reference:
    """Load the reference labels of a dataset.

    Parameters
    ----------
    dataset_dir : path-like
        Dataset folder (``metadata/`` and ``manifest.json``).
    folds : iterable of int, optional
        Score only the files of these folds.

    Returns
    -------
    Reference

    Raises
    ------
    DatasetError
        The dataset folder, manifest or a metadata file is missing or malformed.
    ConfigError
        ``folds`` selects no file.
    """
    root = Path(dataset_dir)
    if not root.is_dir():
        raise DatasetError(f"{root}: reference dataset folder not found")
    manifest = _read_manifest(root)
    entries = _manifest_entries(root, manifest)
    all_folds = [fold_of(e) for e in entries]
    keep = list(range(len(entries)))
    if folds is not None:
        wanted = {int(f) for f in folds}
        keep = [k for k in keep if all_folds[k] in wanted]
        if not keep:
            known = sorted({f for f in all_folds if f is not None})
            raise ConfigError(
                f"folds {sorted(wanted)} select no file; folds in {root}: {known or 'none'}"
            )
    if not keep:
        raise DatasetError(f"{root}: the dataset lists no files")
    duration = _duration(root, manifest)
    rows = []
    for k in keep:
        path = paths_of(root, entries[k]["stem"])["metadata"]
        if not path.is_file():
            raise DatasetError(f"{path}: reference metadata file missing")
        rows.append(read_metadata_csv(path))
    classes = (manifest or {}).get("classes")
    kept = {entries[k]["stem"] for k in keep}
    return Reference(
        root=root,
        stems=tuple(entries[k]["stem"] for k in keep),
        folds=tuple(all_folds[k] for k in keep),
        ignored_stems=frozenset(e["stem"] for e in entries) - kept,
        duration_s=duration,
        n_frames=n_label_frames(duration),
        event_classes=tuple(str(c) for c in classes) if isinstance(classes, list) else None,
        rows=tuple(rows),
    )
