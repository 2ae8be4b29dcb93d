"""Scoring end to end: oracle, empty and shifted submissions, Eq. (1), folds, JSON, CLI."""

from __future__ import annotations

import json
import math
import shutil

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

from bindata.cli import cli
from bindata.divisions import get_view
from bindata.errors import ValidationError
from bindata.resources import load_schema
from bindata.score import check_results, eq1_combine, format_tables, score_dataset
from bindata.score.formats import known_views
from tests.peers.score import sed_eval_segment_metrics

from .test_score_helpers import (
    csv_rows,
    independent_activity,
    make_dataset,
    random_dataset,
    random_rows,
    write_files,
)

ALL_VIEWS = list(known_views())


def activity_csv(act, classes, fmt=lambda v: str(int(v))) -> str:
    lines = ["frame," + ",".join(classes)]
    lines += [f"{n}," + ",".join(fmt(v) for v in row) for n, row in enumerate(act) if row.any()]
    return "\n".join(lines) + "\n"


def f_of(results, view):
    return results["views"][view]["overall"]["f_measure"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root, files = random_dataset(tmp_path_factory.mktemp("ref"), np.random.default_rng(11))
    return root, files


# --- the reference as a submission scores 100 % ------------------------------------------------


def test_reference_rows_score_100_for_every_view(dataset, tmp_path):
    root, _ = dataset
    pred = shutil.copytree(root / "metadata", tmp_path / "pred")
    res = score_dataset(root, pred, views=ALL_VIEWS)
    assert set(res["views"]) == set(ALL_VIEWS)
    for name, r in res["views"].items():
        assert r["overall"]["f_measure"] == 1.0, name
        assert r["overall"]["error_rate"] == 0.0, name
        assert r["mean_over_folds"]["f_measure"] == 1.0, name
        assert r["overall"]["n_ref"] > 0, name
    check_results(res)


@pytest.mark.parametrize("view", ALL_VIEWS)
def test_reference_activity_scores_100_for_every_given_view(dataset, tmp_path, view):
    root, files = dataset
    classes = get_view(view).classes
    texts = {s: activity_csv(independent_activity(r, view, 150), classes) for s, r in files.items()}
    res = score_dataset(root, write_files(tmp_path / "pred", texts))
    assert res["submission"] == {
        "format": "class_activity",
        "view": view,
        "missing_scored_empty": [],
        "has_distance": False,
    }
    direct = [n for n, r in res["views"].items() if r["derivation"] == "columns"]
    assert view in direct
    for name in direct:
        assert f_of(res, name) == 1.0, name
    check_results(res)


def test_probabilities_are_thresholded_at_one_half(dataset, tmp_path):
    root, files = dataset
    classes = get_view("planes").classes

    def fmt(v):
        return "0.5" if v else "0.4999"

    texts = {
        s: activity_csv(independent_activity(r, "planes", 150), classes, fmt)
        for s, r in files.items()
    }
    res = score_dataset(root, write_files(tmp_path / "pred", texts), views=["planes", "lr"])
    assert f_of(res, "planes") == 1.0 and f_of(res, "lr") == 1.0


def test_eq1_octants_of_single_source_reference_score_100(tmp_path):
    rng = np.random.default_rng(5)
    files = {f"fold{k % 2 + 1}_s{k}": random_rows(rng, max_sources=1) for k in range(6)}
    root = make_dataset(tmp_path / "ref", files)
    classes = get_view("planes").classes
    texts = {
        s: activity_csv(independent_activity(r, "planes", 150), classes) for s, r in files.items()
    }
    res = score_dataset(root, write_files(tmp_path / "pred", texts))
    assert res["views"]["octants_eq1"]["derivation"] == "eq1"
    assert f_of(res, "octants_eq1") == 1.0


# --- empty and shifted submissions --------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "frame,left,right,front,back,top,bottom\n"])
def test_empty_submission_scores_zero(dataset, tmp_path, text):
    root, files = dataset
    res = score_dataset(root, write_files(tmp_path / "pred", dict.fromkeys(files, text)))
    for name, r in res["views"].items():
        o = r["overall"]
        assert (o["f_measure"], o["precision"], o["recall"]) == (0.0, 0.0, 0.0), name
        assert o["error_rate"] == 1.0 and o["deletions"] == o["n_ref"] > 0, name


def test_missing_files_scored_empty_only_when_asked(dataset, tmp_path):
    root, files = dataset
    stems = list(files)
    pred = shutil.copytree(root / "metadata", tmp_path / "pred")
    (pred / f"{stems[0]}.csv").unlink()
    res = score_dataset(root, pred, missing="empty")
    assert res["submission"]["missing_scored_empty"] == [stems[0]]
    (pred / f"{stems[0]}.csv").write_text("")
    explicit = score_dataset(root, pred)
    assert res["views"] == explicit["views"]
    assert f_of(res, "planes") < 1.0


def shifted(rows, shift):
    return [(f + shift, *rest) for f, *rest in rows if 0 <= f + shift < 150]


def test_shifted_submission_matches_hand_computation(tmp_path):
    # one source frames 0..29 (segments 0-2) at az 60, el 10, 150 cm: left, front, top, near.
    src = [(f, 1, 0, 60, 10, 150) for f in range(30)]
    root = make_dataset(tmp_path / "ref", {"fold1_x": src, "fold2_y": src})
    pred = write_files(
        tmp_path / "pred",
        {"fold1_x": csv_rows(shifted(src, 5)), "fold2_y": csv_rows(shifted(src, 10))},
    )
    res = score_dataset(root, pred)
    # fold 1: +5 frames -> segments 0-3: TP 3, FP 1, FN 0 -> F = 6/7, ER = 1/3 (one insertion)
    # fold 2: +10 frames -> segments 1-3: TP 2, FP 1, FN 1 -> F = 4/6, ER = 2/3
    for view in ("lr", "fb", "tb", "unequal", "octants", "proximity"):
        r = res["views"][view]
        assert r["folds"]["1"]["overall"]["f_measure"] == pytest.approx(6 / 7)
        assert r["folds"]["1"]["overall"]["error_rate"] == pytest.approx(1 / 3)
        assert r["folds"]["2"]["overall"]["f_measure"] == pytest.approx(4 / 6)
        assert r["folds"]["2"]["overall"]["error_rate"] == pytest.approx(2 / 3)
        assert r["mean_over_folds"]["f_measure"] == pytest.approx((6 / 7 + 4 / 6) / 2)
        assert r["overall"]["f_measure"] == pytest.approx(10 / 13)  # TP 5, FP 2, FN 1 pooled
    planes = res["views"]["planes"]["overall"]  # three classes per segment: counts triple
    assert (planes["tp"], planes["fp"], planes["fn"]) == (15, 6, 3)
    assert planes["f_measure"] == pytest.approx(10 / 13)
    assert res["views"]["unequal"]["groups"]["left/right"]["f_measure"] == pytest.approx(10 / 13)
    assert res["views"]["unequal"]["groups"]["front/back"]["f_measure"] is None  # no reference


# --- Eq. (1) -----------------------------------------------------------------------------------


def test_eq1_probability_product_by_hand():
    octants = get_view("octants").classes
    p_tb, p_fb, p_lr = [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]  # top/bottom, front/back, left/right
    combined = eq1_combine([np.array(p_tb), np.array(p_fb), np.array(p_lr)])
    for k, name in enumerate(octants):
        t, f, s = name.split("-")
        expected = math.cbrt(p_tb[t == "bottom"] * p_fb[f == "back"] * p_lr[s == "right"])
        assert combined[k] == pytest.approx(expected)
    active = {name for name, p in zip(octants, combined, strict=True) if p >= 0.5}
    # cbrt(.3*.6*.9)=.545, cbrt(.7*.6*.9)=.723, cbrt(.7*.4*.9)=.632; cbrt(.3*.4*.9)=.476 < .5
    assert active == {"top-front-left", "bottom-front-left", "bottom-back-left"}


def test_eq1_scoring_of_plane_probabilities(tmp_path):
    src = [(f, 0, 0, 60, 10, 150) for f in range(10)]  # top-front-left, segment 0
    root = make_dataset(tmp_path / "ref", {"fold1_x": src})
    text = "frame,left,right,front,back,top,bottom\n" + "".join(
        f"{f},0.9,0.1,0.6,0.4,0.3,0.7\n" for f in range(10)
    )
    res = score_dataset(root, write_files(tmp_path / "pred", {"fold1_x": text}))
    assert f_of(res, "octants_eq1") == pytest.approx(2 / (2 + 2))  # TP 1, FP 2
    assert f_of(res, "lr") == 1.0 and f_of(res, "fb") == 1.0 and f_of(res, "tb") == 0.0
    assert f_of(res, "planes") == pytest.approx(4 / 6)  # {l, f, b} vs {l, f, t}


# --- sed_eval end to end -----------------------------------------------------------------------


def test_scores_equal_sed_eval_end_to_end(dataset, tmp_path):
    root, files = dataset
    rng = np.random.default_rng(99)
    preds = {s: random_rows(rng) for s in files}
    preds[next(iter(files))] = shifted(files[next(iter(files))], 3)
    res = score_dataset(
        root, write_files(tmp_path / "pred", {s: csv_rows(r) for s, r in preds.items()})
    )
    for view in ("lr", "planes", "unequal", "octants", "proximity"):
        classes = get_view(view).classes
        ref = np.stack([independent_activity(files[s], view, 150) for s in files])
        est = np.stack([independent_activity(preds[s], view, 150) for s in files])
        peer = sed_eval_segment_metrics(ref, est, classes, duration_s=15.0)
        ours = res["views"][view]["overall"]
        f = peer.overall_f_measure()
        assert ours["f_measure"] == pytest.approx(f["f_measure"], abs=1e-12), view
        assert ours["precision"] == pytest.approx(f["precision"], abs=1e-12), view
        assert ours["recall"] == pytest.approx(f["recall"], abs=1e-12), view
        assert ours["error_rate"] == pytest.approx(peer.overall_error_rate()["error_rate"]), view
        assert 0.0 < ours["f_measure"] < 1.0


# --- folds, manifest, layout, JSON, CLI ---------------------------------------------------------


def test_fold_selection_ignores_other_folds(dataset, tmp_path):
    root, files = dataset
    pred = shutil.copytree(root / "metadata", tmp_path / "pred")
    res = score_dataset(root, pred, folds=[2])
    assert res["n_files"] == sum(s.startswith("fold2_") for s in files) and res["folds"] == ["2"]


def test_dataset_without_manifest_uses_stems_and_fold_prefixes(tmp_path):
    src = [(f, 0, 0, -60, -10, 500) for f in range(12)]
    root = make_dataset(
        tmp_path / "ref", {"fold1_a": src, "fold3_b": src, "c": src}, manifest=False
    )
    pred = write_files(tmp_path / "pred", {"fold1_a": csv_rows(src), "fold3_b": "", "c": ""})
    res = score_dataset(root, pred, views=["proximity"])
    assert res["folds"] == ["1", "3", "unknown"]
    folds = res["views"]["proximity"]["folds"]
    assert [folds[k]["overall"]["f_measure"] for k in ("1", "3", "unknown")] == [1.0, 0.0, 0.0]
    assert res["views"]["proximity"]["mean_over_folds"]["f_measure"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "view,columns,rows",
    [
        ("unequal", ["Unequal"], ["Left/Right", "Front/Back", "Top/Bottom", "Single-label"]),
        ("octants", ["Octants"], ["Single-label"]),
        (
            "planes_and_proximity",
            ["Planes"],
            ["Left/Right", "Front/Back", "Top/Bottom", "Single-label", "Multi-label"],
        ),
    ],
)
def test_table_layout_follows_the_submitted_view(dataset, tmp_path, view, columns, rows):
    root, files = dataset
    classes = get_view(view).classes
    texts = {s: activity_csv(independent_activity(r, view, 150), classes) for s, r in files.items()}
    res = score_dataset(root, write_files(tmp_path / "pred", texts))
    table = res["table"]
    assert table["direction"]["columns"] == columns
    assert [r["label"] for r in table["direction"]["rows"]] == rows
    has_proximity = [r["label"] for r in table["proximity"]["rows"]] == ["Proximity"]
    assert has_proximity == ("proximity" in view)
    text = format_tables(res)
    assert all(label in text for label in rows)


def test_schema_rejects_broken_results(dataset, tmp_path):
    root, _ = dataset
    res = score_dataset(root, shutil.copytree(root / "metadata", tmp_path / "pred"))
    res["views"]["lr"]["overall"]["f_measure"] = 1.5
    with pytest.raises(ValidationError, match="views.lr.overall.f_measure"):
        check_results(res)


def test_cli_prints_paper_table_and_writes_valid_json(dataset, tmp_path):
    root, files = dataset
    classes = ["right", "left", "back", "front", "bottom", "top"]  # any order with --view
    texts = {
        s: activity_csv(independent_activity(r, "planes", 150)[:, [1, 0, 3, 2, 5, 4]], classes)
        for s, r in files.items()
    }
    pred = write_files(tmp_path / "pred", texts)
    out = tmp_path / "res" / "score.json"
    args = ["score", "--ref", root, "--pred", pred, "--view", "planes", "--json", out]
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[2].split() == ["Planes"]
    assert lines[3].split() == ["Left/Right", "100.00"]
    assert lines[7].split()[0] == "Multi-label" and lines[7].split()[1] == "100.00"
    doc = json.loads(out.read_text())
    jsonschema.Draft202012Validator(load_schema("score")).validate(doc)
    assert doc["views"]["planes"]["overall"]["f_measure"] == 1.0
    assert doc["submission"]["view"] == "planes"


def test_cli_json_never_replaces_a_file_silently(dataset, tmp_path):
    """An existing --json file: exit 2 before scoring, file untouched, no tables; --overwrite
    replaces it."""
    root, files = dataset
    texts = {
        s: activity_csv(independent_activity(r, "planes", 150), list(get_view("planes").classes))
        for s, r in files.items()
    }
    pred = write_files(tmp_path / "pred", texts)
    out = tmp_path / "score.json"
    out.write_text("keep me\n")
    args = [
        "score",
        "--ref",
        str(root),
        "--pred",
        str(pred),
        "--view",
        "planes",
        "--json",
        str(out),
    ]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2
    assert "--overwrite" in refused.output and "Left/Right" not in refused.output
    assert out.read_text() == "keep me\n"
    replaced = CliRunner().invoke(cli, [*args, "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert json.loads(out.read_text())["views"]["planes"]["overall"]["f_measure"] == 1.0
