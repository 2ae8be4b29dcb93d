"""Several datasets as one: their files pooled fold by fold, linked, not copied.

Training data for a model that should transfer may come from several generated datasets (two
heads, several room presets, procedural and recorded events). :func:`pool_datasets` writes a
dataset folder whose ``audio/``, ``metadata/`` and ``scenes/`` hold symbolic links to the files
of each source dataset (a copy where the file system has no links) under the stem
``<name>__<stem>`` (``name``: the source's folder name, made unique), and a hand-written
manifest (``schemas/manifest.schema.json``, no ``format``) that keeps each file's fold. Fold
``k`` of the pool is the union of fold ``k`` of every source, so cross-validation trains on the
other folds of all sources and tests on fold ``k`` of all sources. The manifest records the
sources (folder, manifest SHA-256) and each file's origin.

Every reader of the project takes the pool as a dataset: the benchmark (``bindata benchmark
--data A --data B``), the scorer and ``bindata predict``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from ..errors import DatasetError
from ..io import manifest_path, read_json, read_manifest, sha256_file, write_json
from ..io.layout import SUBDIRS, paths_of
from ..scene.folds import fold_of

#: Separates a source's name from the stem of one of its files in a pooled stem.
SEPARATOR = "__"

#: Settings every pooled dataset must share, with the defaults of a hand-written manifest
#: (:func:`bindata.benchmark.corpus.open_corpus` reads the same ones).
SHARED = {"sample_rate": 24000, "duration_s": 15.0, "max_overlap": None}


def _names(roots: list[Path]) -> list[str]:
    """A short unique name per source: its folder name (``[A-Za-z0-9-]``), ``-2``... if taken."""
    names: list[str] = []
    for root in roots:
        base = re.sub(r"[^A-Za-z0-9-]+", "-", root.resolve().name).strip("-") or "data"
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return names


def _shared_settings(roots, manifests) -> dict:
    settings, problems = {}, []
    for key, default in SHARED.items():
        values = [m.get("config", {}).get(key, default) for m in manifests]
        if len(set(values)) > 1:
            each = ", ".join(f"{r}: {v}" for r, v in zip(roots, values, strict=True))
            problems.append(f"{key} differs ({each})")
        settings[key] = values[0]
    if problems:
        raise DatasetError(
            "datasets to pool must share sample rate, duration and overlap: " + "; ".join(problems)
        )
    return settings


def pooled_manifest(datasets: Sequence) -> dict:
    """The manifest of the pool of ``datasets`` (see the module docstring); reads, writes nothing.

    Raises
    ------
    DatasetError
        Fewer than two datasets, one named twice, one that is not a dataset, a file without a
        fold, or datasets of different sample rates, durations or overlap.
    """
    roots = [Path(d) for d in datasets]
    if len(roots) < 2:
        raise DatasetError(f"pooling needs at least 2 datasets, got {len(roots)}")
    resolved = [r.resolve() for r in roots]
    twice = sorted({str(r) for r in resolved if resolved.count(r) > 1})
    if twice:
        raise DatasetError(f"dataset named twice in a pool: {', '.join(twice)}")
    manifests = [read_manifest(r, minimal_ok=True) for r in roots]
    settings = _shared_settings(roots, manifests)
    classes = [tuple(m.get("classes") or ()) for m in manifests]
    names = _names(roots)
    files = []
    for k, (root, manifest, name) in enumerate(zip(resolved, manifests, names, strict=True)):
        for entry in manifest["files"]:
            fold = fold_of(entry)
            if fold is None:
                raise DatasetError(
                    f"{manifest_path(root)}: file {entry['stem']!r} has no fold (no 'fold' and no "
                    "foldK_ prefix)"
                )
            stem = f"{name}{SEPARATOR}{entry['stem']}"
            files.append(
                {"stem": stem, "fold": int(fold), "source": k, "source_stem": entry["stem"]}
            )
    pooled = {
        "pooled_from": [
            {"path": str(root), "name": name, "manifest_sha256": sha256_file(manifest_path(root))}
            for root, name in zip(resolved, names, strict=True)
        ],
        "config": {k: v for k, v in settings.items() if v is not None},
        "files": files,
    }
    # Event classes are kept when all sources share them; the benchmark's views are spatial,
    # so sources of different event libraries still pool (DCASE class metrics then do not apply).
    if len(set(classes)) == 1 and classes[0]:
        pooled["classes"] = list(classes[0])
    return pooled


def _link(target: Path, link: Path) -> None:
    try:
        os.symlink(target, link)
    except OSError:  # a file system without symbolic links: a copy keeps the pool usable
        shutil.copyfile(target, link)


def pool_datasets(datasets: Sequence, out_dir) -> Path:
    """Write (or reuse) the pool of several datasets: one dataset, fold ``k`` = every fold ``k``.

    Parameters
    ----------
    datasets : sequence of path-like
        Two or more bindata datasets (or hand-written ones) of equal sample rate, file duration
        and overlap.
    out_dir : path-like
        The pool's folder. When it already holds the pool of the same datasets (same manifests),
        it is reused as it is; any other existing content is refused, never replaced.

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    DatasetError
        See :func:`pooled_manifest`; or ``out_dir`` exists and is not this pool.

    Examples
    --------
    >>> import bindata
    >>> a = bindata.synthesize("a", n_files=2, n_folds=2, duration_s=2.0, progress=False)
    >>> b = bindata.synthesize("b", n_files=2, n_folds=2, duration_s=2.0, seed=1, progress=False)
    >>> pool = read_manifest(pool_datasets(["a", "b"], "pool"), minimal_ok=True)
    >>> [(f["stem"], f["fold"]) for f in pool["files"]]  # doctest: +NORMALIZE_WHITESPACE
    [('a__fold1_room0001_mix001', 1), ('a__fold2_room0002_mix001', 2),
     ('b__fold1_room0001_mix001', 1), ('b__fold2_room0002_mix001', 2)]
    """
    out = Path(out_dir)
    manifest = pooled_manifest(datasets)
    if out.exists():
        if manifest_path(out).is_file() and read_json(manifest_path(out)) == manifest:
            return out
        if out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        else:
            raise DatasetError(
                f"{out}: exists and is not the pool of these datasets; remove it or pool elsewhere"
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    for sub in SUBDIRS:
        (partial / sub).mkdir(parents=True)
    sources = [Path(s["path"]) for s in manifest["pooled_from"]]
    for entry in manifest["files"]:
        origin = paths_of(sources[entry["source"]], entry["source_stem"])
        for kind, link in paths_of(partial, entry["stem"]).items():
            if origin[kind].is_file():
                _link(origin[kind], link)
            elif kind != "scene":  # hand-written datasets may have no scenes
                shutil.rmtree(partial)
                raise DatasetError(f"{origin[kind]}: {kind} file missing, cannot pool it")
    write_json(manifest_path(partial), manifest)
    partial.rename(out)
    return out
