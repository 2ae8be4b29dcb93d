"""The heads of a dataset: the HRIR sets a config names, one per head, and the folds of each.

A config's ``hrir.sofa`` (``--hrir``) names one set or several; each *entry* is an HRIR model
(``builtin``, ``builtin:sphere`` or one installed through ``bindata.hrirs``, :mod:`.registry`),
a SOFA file, or a folder whose ``*.sofa`` files (sorted by name) are one head each (a folder of
the subjects of a database, say). :func:`expand_heads` turns the entries into the list of
:class:`Head` s a file draws from, and :func:`fold_heads` says which heads each fold draws from
(``hrir.split``):

* no split (the default): every fold draws from every head;
* ``"subjects"``: the heads, in the order of :func:`expand_heads`, are dealt to the folds in
  contiguous, even blocks, as files are (:mod:`bindata.scene.folds`): head ``h`` of ``H`` goes to
  fold :math:`\\lfloor h \\, n_\\mathrm{folds} / H \\rfloor + 1`, so that no head of a test fold
  is heard in the folds a model trains on (needs ``H >= n_folds``);
* a mapping ``{"<fold>": [entry, ...]}``: fold ``k`` draws from the heads of the entries listed
  for it (every fold must list one; a folder entry stands for all its heads).

Anthropometric parameters of a model's head (:data:`.models.PARAMETERS`) are drawn from the
evenly spaced values of :func:`parameter_values` (steps :data:`PARAMETER_STEPS`), so that a
dataset needs a few distinct heads, each computed once and cached (:mod:`.cache`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .registry import ENTRY_POINT_GROUP, is_model, model_names

#: The split that deals the heads to the folds (see the module docstring).
SPLIT_SUBJECTS = "subjects"
#: Spacing of the values a drawn parameter takes within its range: 2.5 mm of head radius, 5
#: degrees of ear azimuth.
PARAMETER_STEPS = {"head_radius_m": 0.0025, "ear_azimuth_deg": 5.0}


@dataclass(frozen=True)
class Head:
    """One head a dataset renders through.

    Attributes
    ----------
    spec : str
        What a scene records as ``hrir.spec``: the model's name, or the SOFA file (an entry as
        given, or ``<folder>/<name>.sofa`` for a file of a folder entry).
    entry : str
        The entry of ``hrir.sofa`` it comes from.
    model : bool
        An HRIR model (else a SOFA file).
    """

    spec: str
    entry: str
    model: bool


def expand_heads(entries, *, key: str = "hrir.sofa") -> tuple[Head, ...]:
    """The heads of the entries of ``hrir.sofa``, in order (a folder's files sorted by name).

    Raises
    ------
    ConfigError
        (with ``key``) An entry that is no model, file or folder; a folder without ``*.sofa``
        files; a head named twice (the same model, or the same file twice).
    """
    entries = [entries] if isinstance(entries, str) else list(entries)
    heads: list[Head] = []
    for entry in entries:
        entry = str(entry)
        path = Path(entry)
        if is_model(entry):
            heads.append(Head(entry, entry, True))
        elif path.is_dir():
            files = sorted(p.name for p in path.iterdir() if _is_sofa(p))
            if not files:
                raise ConfigError(
                    f"HRIR folder {entry!r} holds no *.sofa file; a folder of HRIR sets needs "
                    "at least one",
                    key=key,
                )
            heads += [Head(str(path / name), entry, False) for name in files]
        elif path.is_file():
            heads.append(Head(entry, entry, False))
        else:
            raise ConfigError(
                f"unknown HRIR set {entry!r}: no such file or folder, and no HRIR model of that "
                f"name (models: {', '.join(model_names())}; others are installed through the "
                f"entry-point group {ENTRY_POINT_GROUP!r})",
                key=key,
            )
    seen: dict[str, str] = {}
    for head in heads:
        ident = head.spec if head.model else str(Path(head.spec).resolve())
        if ident in seen:
            raise ConfigError(
                f"HRIR set {head.spec!r} is named twice (entries {seen[ident]!r} and "
                f"{head.entry!r}); name each head once",
                key=key,
            )
        seen[ident] = head.entry
    return tuple(heads)


def _is_sofa(path: Path) -> bool:
    return path.suffix.lower() == ".sofa" and path.is_file()


def fold_heads(
    heads: tuple[Head, ...], split, n_folds: int, *, key: str = "hrir.split"
) -> dict[int, tuple[int, ...]]:
    """Fold (1-based) -> indices of the heads its files draw from (module docstring).

    Raises
    ------
    ConfigError
        (with ``key``) A split that leaves a fold without heads (fewer heads than folds for
        ``"subjects"``; a fold the mapping does not list), names an entry that is not one of
        ``hrir.sofa``, or a fold that does not exist.
    """
    n_heads, folds = len(heads), range(1, int(n_folds) + 1)
    if split is None:
        return {k: tuple(range(n_heads)) for k in folds}
    if split == SPLIT_SUBJECTS:
        if n_heads < n_folds:
            raise ConfigError(
                f"split {SPLIT_SUBJECTS!r} deals {n_heads} head(s) to {n_folds} folds and "
                f"leaves fold(s) {list(range(n_heads + 1, n_folds + 1))} without heads; give "
                "at least one head per fold",
                key=key,
            )
        return {
            k: tuple(h for h in range(n_heads) if h * n_folds // n_heads + 1 == k) for k in folds
        }
    if not isinstance(split, dict):
        raise ConfigError(
            f"split must be {SPLIT_SUBJECTS!r} or a mapping fold -> entries, got {split!r}",
            key=key,
        )
    entries = list(dict.fromkeys(h.entry for h in heads))
    extra = sorted(str(k) for k in split if str(k) not in {str(f) for f in folds})
    if extra:
        raise ConfigError(
            f"split names fold(s) {', '.join(extra)}, but the dataset has folds 1-{n_folds}",
            key=key,
        )
    out = {}
    for k in folds:
        listed = [str(e) for e in split.get(str(k), split.get(k, []))]
        unknown = [e for e in listed if e not in entries]
        if unknown:
            raise ConfigError(
                f"split fold {k}: {', '.join(map(repr, unknown))} is not an HRIR set of the "
                f"config (hrir.sofa: {', '.join(map(repr, entries))})",
                key=key,
            )
        chosen = tuple(h for h, head in enumerate(heads) if head.entry in listed)
        if not chosen:
            raise ConfigError(
                f"split leaves fold {k} without heads (it lists "
                f"{', '.join(str(f) for f in folds if split.get(str(f), split.get(f)))}); "
                "give every fold at least one HRIR set",
                key=key,
            )
        out[k] = chosen
    return out


def parameter_values(name: str, range_) -> np.ndarray:
    """The values a drawn parameter takes: ``low, ..., high`` evenly spaced about
    :data:`PARAMETER_STEPS` apart (``low`` alone when ``high <= low``), rounded to 1e-6."""
    lo, hi = (float(v) for v in range_)
    if hi <= lo:
        return np.array([lo])
    n = max(1, int(round((hi - lo) / PARAMETER_STEPS[name]))) + 1
    return np.round(np.linspace(lo, hi, n), 6)


__all__ = [
    "PARAMETER_STEPS",
    "SPLIT_SUBJECTS",
    "Head",
    "expand_heads",
    "fold_heads",
    "parameter_values",
]
