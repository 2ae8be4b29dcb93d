"""The one fold rule: even contiguous split when writing, record or stem prefix when reading."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from bindata.scene import file_stem
from bindata.scene.folds import fold_of


@pytest.mark.parametrize("n_files, n_folds", [(400, 4), (10, 3), (7, 7), (5, 1), (13, 4)])
def test_index_split_is_contiguous_and_even(n_files, n_folds):
    folds = [fold_of(i, n_files=n_files, n_folds=n_folds) for i in range(n_files)]
    assert folds == sorted(folds)  # contiguous blocks
    sizes = Counter(folds)
    assert sorted(sizes) == list(range(1, n_folds + 1))
    assert max(sizes.values()) - min(sizes.values()) <= 1
    assert sum(sizes.values()) == n_files


def test_reading_agrees_with_writing_through_the_stem():
    for i in range(13):
        stem = file_stem(i, n_files=13, n_folds=4)
        fold = fold_of(i, n_files=13, n_folds=4)
        assert fold_of(stem) == fold
        assert fold_of({"stem": stem}) == fold
        assert fold_of({"stem": stem, "fold": None}) == fold


def test_a_record_fold_wins_over_the_stem_and_unknown_is_none():
    assert fold_of({"stem": "fold1_room0001_mix001", "fold": 3}) == 3
    assert fold_of("fold12_x") == 12
    assert fold_of("room1_mix001") is None
    assert fold_of({"stem": "myfile"}) is None


def test_misuse_is_refused():
    assert fold_of(np.int64(3), n_files=4, n_folds=2) == 2
    with pytest.raises(TypeError, match="needs n_files and n_folds"):
        fold_of(3)
    with pytest.raises(TypeError, match="needs n_files and n_folds"):
        fold_of(True, n_files=4, n_folds=2)
    with pytest.raises(TypeError, match="apply to a file index only"):
        fold_of("fold1_a", n_files=4, n_folds=2)
    with pytest.raises(ValueError, match=r"in 0..3, got 4"):
        fold_of(4, n_files=4, n_folds=2)
