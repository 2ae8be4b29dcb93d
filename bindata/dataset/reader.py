"""Dataset layout on disk (docs/design.md, "Files") and the reader of a finished dataset.

```
OUT/audio/<stem>.wav  OUT/metadata/<stem>.csv  OUT/scenes/<stem>.json  OUT/manifest.json
OUT/.bindata-run.json   (config + seed of a run in progress; lets resume check consistency)
OUT/.bindata-lock.json  (owner of a run in progress; :mod:`bindata.dataset.output`)
```

This module is the one place that knows where an item's files are (:func:`paths_of`; for a
finished dataset :meth:`Dataset.paths`). :class:`Dataset` reads a finished dataset (its
manifest, and each item's audio, label rows and scene).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import DatasetError, SceneError
from ..io import MANIFEST, RUN_MARKER, read_json, read_manifest
from ..io.layout import paths_of
from ..resources import require_valid
from ..scene.labels import read_metadata_csv
from ..scene.spec import Scene


def load_scene(path: str | os.PathLike) -> Scene:
    """Read a scene JSON, check it against ``schemas/scene.schema.json``; the typed scene.

    Raises
    ------
    DatasetError
        The file cannot be read or is not JSON.
    SceneError
        It is not a valid scene (each problem named).
    """
    return scene_from_json(read_json(path), what=str(path))


def scene_from_json(data, *, what: str = "scene") -> Scene:
    """The typed scene of a scene's JSON object, checked against ``schemas/scene.schema.json``.

    Raises
    ------
    SceneError
        It is not a valid scene (each problem named, after ``what``).
    """
    require_valid(data, "scene", what=what, error=SceneError)
    try:
        return Scene.from_json(data)
    except SceneError as exc:
        raise SceneError(f"{what}: {exc}") from None


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
    >>> scene = ds.scene("fold1_room0001_mix001")
    >>> scene.stem, scene.listener.yaw_deg == scene.to_json()["listener"]["yaw_deg"]
    ('fold1_room0001_mix001', True)
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
        (cm); one row per active source and frame (:data:`bindata.scene.labels.ROW_DTYPE`).

        Raises
        ------
        DatasetError
            Unknown stem, or the CSV file cannot be read or breaks the format.
        """
        return read_metadata_csv(self.paths(stem)["metadata"])

    def scene(self, stem: str) -> Scene:
        """The scene of ``stem`` (:class:`~bindata.scene.spec.Scene`; on disk
        ``schemas/scene.schema.json``): room, listener, events, ...; ``.to_json()`` is the
        file's JSON object.

        Raises
        ------
        DatasetError, SceneError
            Unknown stem, an unreadable file, or not a valid scene.
        """
        return load_scene(self.paths(stem)["scene"])
