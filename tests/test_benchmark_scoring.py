"""Segment-based F1 of the table cells, submission files, and the tables beside the paper's."""

from __future__ import annotations

import numpy as np
import pytest

from bindata.benchmark.corpus import open_corpus, parse_folds
from bindata.benchmark.methods import get_method
from bindata.benchmark.predict import write_submission
from bindata.benchmark.scoring import f1_score, read_submission, score_method, segment_counts
from bindata.benchmark.tables import build_tables, render_tables
from bindata.benchmark.targets import label_activity
from bindata.divisions import get_view
from bindata.errors import BenchmarkError

from .test_benchmark_fakes import make_fake_dataset


def test_segment_counts_by_hand():
    """25 frames = segments of 10, 10 and 5 frames; any active frame activates a segment."""
    ref = np.zeros((25, 2), bool)
    est = np.zeros((25, 2), bool)
    ref[0:3, 0] = True  # class 0 in segment 0
    ref[12, 1] = ref[22, 1] = True  # class 1 in segments 1 and 2
    est[9, 0] = True  # TP (same segment, other frame)
    est[15, 0] = True  # FP
    est[24, 1] = True  # TP in the partial last segment; class 1 missed in segment 1: FN
    assert segment_counts(ref, est) == (2, 1, 1)
    assert f1_score(2, 1, 1) == pytest.approx(2 / 3)
    assert f1_score(0, 3, 0) is None


def test_submission_round_trip_keeps_the_threshold(tmp_path):
    probs = np.array([[0.4999996, 0.5], [1.2, -0.1], [0.25, 0.75]])
    path = tmp_path / "a.csv"
    write_submission(path, ("left", "right"), probs)
    lines = path.read_text().splitlines()
    assert lines[0] == "frame,left,right"
    assert lines[1] == "0,0.499999,0.500000"
    back = read_submission(path, classes=("left", "right"))
    assert ((back >= 0.5) == np.clip(probs, 0, 1).__ge__(0.5)).all()
    with pytest.raises(BenchmarkError, match="header"):
        read_submission(path, classes=("right", "left"))


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    root = tmp_path_factory.mktemp("scoring") / "ds"
    make_fake_dataset(root, n_files=4, n_folds=2, duration_s=4.0, events_per_file=3)
    return open_corpus(root)


def _write_view(corpus, pred, view, transform):
    v = get_view(view)
    for stem in corpus.stems:
        act = label_activity(corpus.rows(stem), n_frames=corpus.n_label_frames, views=[view])
        write_submission(pred / view / f"{stem}.csv", v.classes, transform(act.astype(float)))


def test_perfect_and_inverted_predictions(fake, tmp_path):
    method = get_method("EqSepBran")
    # "bad" puts every source on the opposite side in each plane (octants: all three flipped)
    flip = {"planes": [1, 0, 3, 2, 5, 4], "octants": list(range(7, -1, -1))}
    for view in ("planes", "octants"):
        _write_view(fake, tmp_path / "good", view, lambda a: 0.2 + 0.6 * a)
        _write_view(fake, tmp_path / "bad", view, lambda a, v=view: a[:, flip[v]])
    good = score_method(fake, method, pred_dir=tmp_path / "good", folds=[1, 2])
    assert set(good["mean"]) == {"lr", "fb", "tb", "single", "multi"}
    assert all(v == 1.0 for v in good["mean"].values())
    assert set(good["folds"]) == {"1", "2"}
    bad = score_method(fake, method, pred_dir=tmp_path / "bad", folds=[1])
    # only segments holding sources on both sides score
    assert bad["mean"]["lr"] < 0.4 and bad["mean"]["single"] < 0.4
    with pytest.raises(BenchmarkError, match="missing"):
        score_method(fake, get_method("UneqOne"), pred_dir=tmp_path / "good", folds=[1])


def test_fold_selection(fake):
    assert parse_folds("2", fake.fold_ids) == [1, 2]
    assert parse_folds("2,", fake.fold_ids) == [2]
    assert parse_folds("all", fake.fold_ids) == [1, 2]
    with pytest.raises(BenchmarkError, match="folds"):
        parse_folds("4", fake.fold_ids)


def test_tables_put_ours_beside_the_paper():
    results = {"UneqOne": {"mean": {"lr": 0.5, "fb": 0.25, "tb": 0.125, "single": 0.4}},
               "UneqMulti": {"mean": {"proximity": 0.9, "direction": 0.3}}}  # fmt: skip
    tables = build_tables(results, max_overlap=2)
    assert tables["4"]["cells"]["lr"]["UneqOne"] == {"paper": 71.77, "ours": 50.0, "run": True}
    assert tables["3"]["cells"]["lr"]["UneqOne"]["ours"] is None  # single-source table
    assert tables["5"]["cells"]["UneqMulti"]["sep_direction"]["ours"] == 40.0  # from UneqOne
    text = render_tables(tables)
    assert "50.00 (71.77)" in text and "90.00 (82.54)" in text and "40.00 (55.03)" in text
    assert "n/a (88.29)" in text  # EqSepMod not run
    assert build_tables(results, max_overlap=1)["3"]["cells"]["single"]["UneqOne"]["ours"] == 40.0
