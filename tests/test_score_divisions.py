"""A user's divisions file (--divisions): schema, clear errors, and the views score prints."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from bindata.cli import cli
from bindata.divisions import check_divisions, get_view, load_divisions, use_divisions
from bindata.errors import ConfigError
from bindata.resources import load_metadata

from .test_score_helpers import make_dataset, write_files

QUADRANTS = {
    "divisions": {
        "quadrants": {
            "exclusive": True,
            "classes": [
                {"name": "q_front", "azimuth_deg": {"from": -45, "to": 45, "include_to": False}},
                {"name": "q_left", "azimuth_deg": {"from": 45, "to": 135, "include_to": False}},
                {"name": "q_back", "azimuth_deg": {"from": 135, "to": -135, "include_to": False}},
                {"name": "q_right", "azimuth_deg": {"from": -135, "to": -45, "include_to": False}},
            ],
        },
        "ring": {
            "classes": [
                {"name": "close", "distance_m": {"from": 0, "to": 1.0}},
                {"name": "away", "distance_m": {"from": 1.0, "to": 1e9, "include_from": False}},
            ]
        },
    },
    "views": {"quadrant_ring": {"type": "product", "parts": ["ring", "quadrants"]}},
}

REF = [(f, 0, 0, 100, 0, 80) for f in range(10)] + [(f, 1, 1, -170, 20, 400) for f in range(5, 30)]


def csv(rows):
    return "".join(",".join(str(v) for v in r) + "\n" for r in rows)


@pytest.fixture
def setup(tmp_path):
    root = make_dataset(tmp_path / "ref", {"fold1_x": REF}, classes=["a", "b"])
    pred = write_files(tmp_path / "pred", {"fold1_x": csv(REF)})
    path = tmp_path / "div.json"
    path.write_text(json.dumps(QUADRANTS))
    return root, pred, path


def test_packaged_divisions_follow_the_schema():
    assert check_divisions(load_metadata("divisions")) == []


def test_user_divisions_change_the_views_score_prints(setup, tmp_path):
    root, pred, path = setup
    base = ["score", "--ref", str(root), "--pred", str(pred)]
    plain = CliRunner().invoke(cli, [*base, "--json", str(tmp_path / "a.json")])
    mine = CliRunner().invoke(
        cli, [*base, "--divisions", str(path), "--json", str(tmp_path / "b.json")]
    )
    assert plain.exit_code == 0 and mine.exit_code == 0, mine.output
    a, b = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert "octants" in a["views"] and "quadrants" not in a["views"]
    assert set(b["views"]) == {"quadrants", "ring", "quadrant_ring"}
    assert "quadrant_ring" in mine.output and "quadrant_ring" not in plain.output
    # the oracle scores 100 %, and the user's classes are the ones scored
    assert b["views"]["quadrant_ring"]["overall"]["f_measure"] == 1.0
    cw = b["views"]["quadrant_ring"]["class_wise"]
    assert cw["close-q_left"]["n_ref"] == 1 and cw["away-q_back"]["n_ref"] == 3
    assert sum(m["n_ref"] for m in cw.values()) == 4  # 1 + 3 one-second segments


def test_use_divisions_sets_the_default_view_source(setup):
    _, _, path = setup
    spec = load_divisions(path)
    with use_divisions(spec):
        v = get_view("quadrants")
        m = v.membership(np.array([0.0, 90.0, 180.0, -90.0]), np.zeros(4), np.ones(4))
        assert np.array_equal(m, np.eye(4, dtype=bool))
    with pytest.raises(ConfigError, match="unknown view or division 'quadrants'"):
        get_view("quadrants")


@pytest.mark.parametrize(
    "edit,message",
    [
        (
            lambda d: d["views"]["quadrant_ring"]["parts"].append("nowhere"),
            "views.quadrant_ring.parts: 'nowhere' names no division or view",
        ),
        (
            lambda d: d["divisions"]["ring"]["classes"][0]["distance_m"].pop("to"),
            "divisions.ring.classes.0.distance_m: 'to' is a required property",
        ),
        (
            lambda d: d["divisions"]["quadrants"]["classes"].append({"name": "q_left"}),
            "class 'q_left' is listed more than once",
        ),
        (lambda d: d["views"]["quadrant_ring"].update(type="mix"), "views.quadrant_ring.type"),
    ],
)
def test_broken_division_file_is_a_clear_error(setup, tmp_path, edit, message):
    root, pred, path = setup
    doc = json.loads(json.dumps(QUADRANTS))
    edit(doc)
    path.write_text(json.dumps(doc))
    out = tmp_path / "r.json"
    r = CliRunner().invoke(
        cli,
        [
            "score",
            "--ref",
            str(root),
            "--pred",
            str(pred),
            "--divisions",
            str(path),
            "--json",
            str(out),
        ],
    )
    assert r.exit_code == 2
    assert str(path) in r.output and message in r.output
    assert "Traceback" not in r.output and not out.exists()


def test_nan_and_non_json_division_files(tmp_path):
    p = tmp_path / "d.json"
    p.write_text(
        '{"divisions": {"x": {"classes": [{"name": "a", "distance_m": {"from": NaN, "to": 1}}]}}, "views": {}}'
    )
    with pytest.raises(ConfigError, match="NaN is not a number"):
        load_divisions(p)
    p.write_text("{")
    with pytest.raises(ConfigError, match="not JSON"):
        load_divisions(p)


def test_train_and_benchmark_take_divisions_and_check_them_first(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"divisions": {}, "views": {}}))
    for cmd in (["train", "--method", "EqSepBran", "--fold", "1"], ["benchmark"]):
        r = CliRunner().invoke(
            cli, [*cmd, "--data", str(tmp_path / "nothing"), "--divisions", str(bad)]
        )
        assert r.exit_code == 2, r.output
        assert f"{bad}: divisions: {{}} should be non-empty" in r.output
