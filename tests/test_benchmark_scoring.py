"""Segment-based F1 of the table cells, submission files, and the tables beside the paper's."""

from __future__ import annotations

import numpy as np
import pytest

from bindata.benchmark.corpus import open_corpus, parse_folds
from bindata.benchmark.methods import get_method
from bindata.benchmark.predict import write_submission
from bindata.benchmark.scoring import score_method
from bindata.benchmark.tables import build_tables, render_tables
from bindata.benchmark.targets import label_activity
from bindata.cli.bench import folds_value
from bindata.divisions import get_view
from bindata.errors import BenchmarkError, SubmissionError

from .test_benchmark_fakes import make_fake_dataset


def _f1_by_hand(ref, est):
    """Overall F1 of 1 s segments (10 label frames; any active frame activates a segment)."""

    def seg(a):
        n = -(-a.shape[0] // 10)
        return np.pad(a, ((0, n * 10 - a.shape[0]), (0, 0))).reshape(n, 10, -1).any(axis=1)

    tp = fp = fn = 0
    for r, e in zip(ref, est, strict=True):
        r, e = seg(r), seg(e)
        tp, fp, fn = tp + (r & e).sum(), fp + (~r & e).sum(), fn + (r & ~e).sum()
    return 2 * tp / (2 * tp + fp + fn)


def test_submission_keeps_the_threshold(tmp_path):
    probs = np.array([[0.4999996, 0.5], [1.2, -0.1], [0.25, 0.75]])
    path = tmp_path / "a.csv"
    write_submission(path, ("left", "right"), probs)
    lines = path.read_text().splitlines()
    assert lines[0] == "frame,left,right"
    assert lines[1] == "0,0.499999,0.500000"
    back = np.loadtxt(path, delimiter=",", skiprows=1)
    assert back[:, 0].tolist() == [0, 1, 2]
    assert ((back[:, 1:] >= 0.5) == (probs >= 0.5)).all()


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


def test_perfect_and_swapped_predictions(fake, tmp_path):
    method = get_method("EqSepBran")
    # "good" is confident: with 0.8 / 0.2, Eq. (1) would also light the octants one plane off
    # (cbrt(0.8 * 0.8 * 0.2) = 0.504); "bad" puts every source on the other side in each plane
    _write_view(fake, tmp_path / "good", "planes", lambda a: 0.05 + 0.9 * a)
    _write_view(fake, tmp_path / "bad", "planes", lambda a: a[:, [1, 0, 3, 2, 5, 4]])
    good = score_method(fake, method, pred_dir=tmp_path / "good", folds=[1, 2])
    assert set(good["mean"]) == {"lr", "fb", "tb", "single", "multi"}
    assert all(v == 1.0 for v in good["mean"].values())
    assert set(good["folds"]) == {"1", "2"}
    bad = score_method(fake, method, pred_dir=tmp_path / "bad", folds=[1])
    # only segments holding sources on both sides score
    assert bad["mean"]["lr"] < 0.4 and bad["mean"]["single"] < 0.4
    with pytest.raises(SubmissionError):
        score_method(fake, get_method("UneqOne"), pred_dir=tmp_path / "good", folds=[1])


def test_cells_match_an_independent_count(fake, tmp_path):
    """Random probabilities: each cell equals a count made here from the definitions."""
    rng = np.random.default_rng(4)
    probs = {s: rng.uniform(0, 1, (fake.n_label_frames, 6)) for s in fake.stems}
    for stem, p in probs.items():
        write_submission(tmp_path / "planes" / f"{stem}.csv", get_view("planes").classes, p)
    got = score_method(fake, get_method("EqSepMod"), pred_dir=tmp_path, folds=[1, 2])

    def ref(stem, view):
        return label_activity(fake.rows(stem), n_frames=fake.n_label_frames, views=[view])

    for fold in (1, 2):
        stems = fake.stems_of([fold])
        lr = _f1_by_hand([ref(s, "lr") for s in stems], [probs[s][:, :2] >= 0.5 for s in stems])
        assert got["folds"][str(fold)]["lr"] == pytest.approx(lr)
        octs = [
            np.cbrt(
                np.stack(
                    [
                        probs[s][:, t] * probs[s][:, f] * probs[s][:, side]
                        for t in (4, 5)
                        for f in (2, 3)
                        for side in (0, 1)
                    ],
                    axis=1,
                )
            )
            for s in stems
        ]
        single = _f1_by_hand([ref(s, "octants") for s in stems], [o >= 0.5 for o in octs])
        assert got["folds"][str(fold)]["single"] == pytest.approx(single)
    assert got["mean"]["lr"] == pytest.approx(np.mean([got["folds"][k]["lr"] for k in ("1", "2")]))


def test_fold_selection(fake):
    assert parse_folds(2, fake.fold_ids) == [1, 2]
    assert parse_folds([2], fake.fold_ids) == [2]
    assert parse_folds("all", fake.fold_ids) == [1, 2]
    with pytest.raises(BenchmarkError, match="folds"):
        parse_folds(4, fake.fold_ids)
    with pytest.raises(BenchmarkError, match="folds"):
        parse_folds("1,3", fake.fold_ids)  # text is the command line's to parse


def test_folds_flag_becomes_a_library_value():
    assert [folds_value(t) for t in ("2", "2,", "1,3", "all", "")] == [2, [2], [1, 3], "all", "all"]
    with pytest.raises(BenchmarkError, match="--folds"):
        folds_value("x")


def test_tables_put_ours_beside_the_paper():
    results = {
        "UneqOne": {"mean": {"lr": 0.5, "fb": 0.25, "tb": 0.125, "single": 0.4}},
        "UneqMulti": {"mean": {"proximity": 0.9, "direction": 0.3}},
    }
    tables = build_tables(results, max_overlap=2)
    assert tables["4"]["cells"]["lr"]["UneqOne"] == {
        "paper": 71.77,
        "ours": 50.0,
        "ours_interval": None,
        "ours_sd": None,
        "run": True,
    }
    assert tables["3"]["cells"]["lr"]["UneqOne"]["ours"] is None  # single-source table
    assert tables["5"]["cells"]["UneqMulti"]["sep_direction"]["ours"] == 40.0  # from UneqOne
    text = render_tables(tables)
    assert "50.00 (71.77)" in text and "90.00 (82.54)" in text and "40.00 (55.03)" in text
    assert "n/a (88.29)" in text  # EqSepMod not run
    assert build_tables(results, max_overlap=1)["3"]["cells"]["single"]["UneqOne"]["ours"] == 40.0


def test_cells_with_jackknife_intervals(fake, tmp_path):
    """Every mean cell carries the scorer's interval, which holds the cell; the tables print it."""
    rng = np.random.default_rng(5)
    for stem in fake.stems:
        p = rng.uniform(0, 1, (fake.n_label_frames, 6))
        write_submission(tmp_path / "planes" / f"{stem}.csv", get_view("planes").classes, p)
    got = score_method(
        fake, get_method("EqSepMod"), pred_dir=tmp_path, folds=[1, 2], ci="jackknife"
    )
    for cell, value in got["mean"].items():
        low, high = got["intervals"][cell]
        assert low <= value <= high, cell
    text = render_tables(build_tables({"EqSepMod": got}, max_overlap=2))
    lo, hi = (100 * v for v in got["intervals"]["lr"])
    assert f"{100 * got['mean']['lr']:.2f} [{lo:.1f}, {hi:.1f}] (" in text
