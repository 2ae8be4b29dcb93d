"""Folds and file names: the one rule for a file's cross-validation fold, and the stem grammar.

A synthesis run of ``n_files`` files splits them into ``n_folds`` contiguous, even blocks, numbered
from 1 (docs/design.md, "Files"): file ``i`` (0-based) is in fold

.. math:: k(i) = \\left\\lfloor i \\, n_\\mathrm{folds} / n_\\mathrm{files} \\right\\rfloor + 1,

so fold sizes differ by at most one file. The fold is written into the file's stem
(``fold<k>_room<NNNN>_mix001``, the DCASE naming) and its manifest record (``fold``); a reader
takes the record's ``fold``, else the ``fold<k>_`` prefix of the stem.

The stem grammar is written here once: :func:`room_stem` (``room<NNNN>``: numbered from 1, at
least 4 digits, as many as the largest number needs; also the names of ``bindata brirs``'
files), :func:`file_stem` (``fold<k>_room<NNNN>_mix001``: one room per file), and the patterns
that recognise them (:data:`FOLD_PREFIX`, :data:`STEM`, :data:`ROOM_STEM`).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping

#: The DCASE stem prefix that names a file's fold.
FOLD_PREFIX = re.compile(r"^fold(\d+)_")
#: A room's stem as :func:`room_stem` writes it.
ROOM_STEM = re.compile(r"room\d{4,}")
#: A file's stem as :func:`file_stem` writes it (``fullmatch`` it).
STEM = re.compile(rf"fold\d+_{ROOM_STEM.pattern}_mix\d+")


def room_stem(index: int, n_rooms: int) -> str:
    """``room0001``: room ``index`` (0-based) of ``n_rooms``, numbered from 1, at least 4 digits."""
    return f"room{index + 1:0{max(4, len(str(n_rooms)))}d}"


def file_stem(file_index: int, *, n_files: int, n_folds: int) -> str:
    """``fold<k>_room<NNNN>_mix001``: one room per file, rooms numbered from 1."""
    fold = fold_of(file_index, n_files=n_files, n_folds=n_folds)
    return f"fold{fold}_{room_stem(file_index, n_files)}_mix001"


def fold_of(file, *, n_files: int | None = None, n_folds: int | None = None) -> int | None:
    """Fold (1-based) of a file, given by its index in a run, its manifest record or its stem.

    Parameters
    ----------
    file : int, mapping or str
        * index ``i`` of the file in a run (with ``n_files`` and ``n_folds``): the even split
          :math:`\\lfloor i \\, n_\\mathrm{folds} / n_\\mathrm{files} \\rfloor + 1`;
        * manifest record: its ``fold`` when present and not None, else the fold of its ``stem``;
        * stem: ``k`` of a ``fold<k>_`` prefix, else None (a file of no known fold).
    n_files, n_folds : int, keyword-only
        Size of the run and its number of folds; required with an index, refused otherwise.

    Returns
    -------
    int or None
    """
    if isinstance(file, Mapping):
        _no_split(file, n_files, n_folds)
        fold = file.get("fold")
        return int(fold) if fold is not None else fold_of(str(file["stem"]))
    if isinstance(file, str):
        _no_split(file, n_files, n_folds)
        match = FOLD_PREFIX.match(file)
        return int(match.group(1)) if match else None
    if isinstance(file, bool) or n_files is None or n_folds is None:
        raise TypeError(f"fold_of({file!r}): an index needs n_files and n_folds")
    index = operator.index(file)
    if not 0 <= index < n_files:
        raise ValueError(f"file index must be in 0..{n_files - 1}, got {index}")
    return index * int(n_folds) // int(n_files) + 1


def _no_split(file, n_files, n_folds) -> None:
    if n_files is not None or n_folds is not None:
        raise TypeError(f"fold_of({file!r}): n_files/n_folds apply to a file index only")
