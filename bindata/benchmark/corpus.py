"""A dataset on disk as the benchmark sees it: files, folds, label rows, features.

Layout (docs/design.md, "Files"): ``audio/<stem>.wav``, ``metadata/<stem>.csv`` and
``manifest.json`` (read by :func:`bindata.io.read_manifest`, a synth manifest or a hand-written
one) with ``config.duration_s`` (15 s when absent), ``config.sample_rate`` (24 kHz when absent),
``config.max_overlap`` and ``files`` (each with a ``stem`` and a ``fold``; without a ``fold`` the
``fold<k>_`` prefix of the stem is used, :func:`bindata.scene.folds.fold_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path

import numpy as np

from ..dataset import paths_of
from ..errors import BenchmarkError, DatasetError
from ..io import manifest_path, read_manifest
from ..scene.folds import fold_of
from ..scene.labels import n_label_frames, read_metadata_csv
from .features import DEFAULT_FEATURES, FeatureParams, cached_features, feature_cache_dir


@dataclass(frozen=True)
class Corpus:
    """Files and folds of a dataset.

    Attributes
    ----------
    root : pathlib.Path
    stems : tuple of str
        Files in manifest order.
    folds : tuple of int
        Fold of each file.
    duration_s : float
    sample_rate : int
    max_overlap : int or None
        Most events active at once (1: the paper's single-source subset, Table 3).
    cache_dir : pathlib.Path or None
        Replaces ``DATASET/features`` as the feature cache.
    event_classes : tuple of str
        The manifest's sorted event classes (empty when it lists none).
    """

    root: Path
    stems: tuple
    folds: tuple
    duration_s: float
    sample_rate: int
    max_overlap: int | None = None
    cache_dir: Path | None = None
    event_classes: tuple = ()
    _rows: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_label_frames(self) -> int:
        """100 ms label frames per file."""
        return n_label_frames(self.duration_s)

    @property
    def fold_ids(self) -> list[int]:
        """Distinct folds, sorted."""
        return sorted(set(self.folds))

    def stems_of(self, folds) -> list[str]:
        """Stems of the files in ``folds`` (manifest order)."""
        wanted = {int(f) for f in folds}
        return [s for s, f in zip(self.stems, self.folds, strict=True) if f in wanted]

    def audio_path(self, stem: str) -> Path:
        """``audio/<stem>.wav``."""
        return paths_of(self.root, stem)["audio"]

    def rows(self, stem: str) -> np.ndarray:
        """DCASE rows of a file (:data:`bindata.scene.labels.ROW_DTYPE`, distance in cm), cached."""
        if stem not in self._rows:
            path = paths_of(self.root, stem)["metadata"]
            if not path.is_file():
                raise DatasetError(f"{path}: metadata file missing")
            self._rows[stem] = read_metadata_csv(path)
        return self._rows[stem]

    def features(self, stem: str, *, params: FeatureParams = DEFAULT_FEATURES):
        """Memory-mapped features ``(n_frames, 4, n_bins)`` of a file (computed when missing)."""
        cache = feature_cache_dir(self.root, cache_dir=self.cache_dir, params=params)
        return cached_features(self.audio_path(stem), cache=cache, params=params)


def _folds(root: Path, files: list[dict]) -> tuple:
    folds = tuple(fold_of(entry) for entry in files)
    for k, (entry, fold) in enumerate(zip(files, folds, strict=True)):
        if fold is None:
            raise DatasetError(
                f"{manifest_path(root)}: files.{k}: file {entry['stem']!r} has no "
                "fold (no 'fold' and no foldK_ prefix)"
            )
    return folds


def open_corpus(dataset_dir, *, cache_dir=None) -> Corpus:
    """Read a dataset's manifest.

    Parameters
    ----------
    dataset_dir : path-like
    cache_dir : path-like, optional, keyword-only
        Feature cache folder instead of ``DATASET/features``.

    Returns
    -------
    Corpus

    Raises
    ------
    DatasetError
        No manifest, one that breaks ``schemas/manifest.schema.json``, or a file of no fold.
    """
    root = Path(dataset_dir)
    manifest = read_manifest(root, minimal_ok=True)
    files = manifest["files"]
    config = manifest.get("config", {})
    overlap = config.get("max_overlap")
    return Corpus(
        root=root,
        stems=tuple(str(e["stem"]) for e in files),
        folds=_folds(root, files),
        duration_s=float(config.get("duration_s", 15.0)),
        sample_rate=int(config.get("sample_rate", 24000)),
        max_overlap=None if overlap is None else int(overlap),
        cache_dir=None if cache_dir is None else Path(cache_dir),
        event_classes=tuple(str(c) for c in manifest.get("classes") or ()),
    )


def _is_fold_number(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def parse_folds(folds, available) -> list[int]:
    """The test folds of a benchmark run, from a library value.

    Parameters
    ----------
    folds : "all", int or sequence of int
        ``"all"``: every fold of the dataset; a count ``N``: folds ``1..N``; a sequence: those
        folds (``[1, 3]``).
    available : iterable of int
        The dataset's folds.

    Returns
    -------
    list of int

    Raises
    ------
    BenchmarkError
        A value of none of these kinds, a fold the dataset does not have, or an empty selection
        (``key="folds"``; the message starts ``test folds <value>:``).
    """
    available = sorted(int(f) for f in available)
    where = f"test folds {folds!r}"
    if isinstance(folds, str):
        if folds == "all":
            return available
        selected = None
    elif _is_fold_number(folds):
        selected = list(range(1, int(folds) + 1))
    elif isinstance(folds, Iterable):
        selected = list(folds)
        selected = [int(f) for f in selected] if all(map(_is_fold_number, selected)) else None
    else:
        selected = None
    if selected is None:
        raise BenchmarkError(
            f"{where}: must be 'all', a count N (folds 1..N) or a sequence of fold numbers",
            key="folds",
        )
    missing = [f for f in selected if f not in available]
    if not selected or missing:
        raise BenchmarkError(
            f"{where}: the dataset has folds {available}, not {missing or 'none selected'}",
            key="folds",
        )
    return selected
