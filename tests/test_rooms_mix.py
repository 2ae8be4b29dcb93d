"""Mixed rooms (``--rooms office:2,classroom,...``): draws, records, validate, regen, bad input.

* The entries are drawn with their weights: the share of files per entry over many draws is
  within the binomial spread of ``w / sum(w)``; a file is drawn exactly as a file of its entry
  alone (the same room from the same ``room`` stream), and a config of one room draws nothing
  new (its scenes have no ``room_entry``).
* A measured room covering only the near band serves that band in a mix; far events come from
  the entries that have the far band; validate and regen pass.
* Bad input: weights that are not positive finite numbers, unknown names, empty entries, a band
  no entry serves: one clear error each, exit 2, nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bindata.cli import cli
from bindata.config import load_config
from bindata.rooms import draw_room
from bindata.rooms.mix import choose_entry, draw_file_room, entry_config, inline_rooms
from bindata.seeding import file_rngs

from .test_rooms_measured import SMALL, write_multispeaker


def _scenes(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "scenes").glob("*.json"))]


def test_entries_are_drawn_with_their_weights():
    """Share of 3000 files per entry against w / sum(w) (3.5 binomial standard deviations)."""
    cfg = load_config(overrides={"rooms": "office:2,classroom,paper:0.5"})
    weights = np.array([2.0, 1.0, 0.5])
    n = 3000
    counts = np.bincount(
        [choose_entry(cfg, file_rngs(7, i)["room_choice"]) for i in range(n)], minlength=3
    )
    p = weights / weights.sum()
    sigma = np.sqrt(n * p * (1 - p))
    assert np.all(np.abs(counts - n * p) < 3.5 * sigma), (counts, n * p)


def test_a_file_of_a_mix_is_drawn_as_a_file_of_its_entry():
    cfg = inline_rooms_config("office:2,classroom")
    for i in range(6):
        rngs = file_rngs(3, i)
        file_cfg, room, entry = draw_file_room(cfg, rngs)
        assert file_cfg.room_preset == ["office", "classroom"][entry]
        alone = load_config(overrides={"rooms": file_cfg.room_preset})
        assert room == draw_room(alone, file_rngs(3, i)["room"])
    single = load_config(overrides={"rooms": "office"})
    rngs = file_rngs(3, 0)
    file_cfg, room, entry = draw_file_room(single, rngs)
    assert entry is None and file_cfg is single
    assert room == draw_room(single, file_rngs(3, 0)["room"])


def inline_rooms_config(text: str):
    cfg = load_config(overrides={"rooms": text})
    from dataclasses import replace

    return replace(cfg, room_preset=inline_rooms(cfg.room_preset))


def _near_only_room(path: Path) -> Path:
    """Two loudspeakers 1.0 and 1.8 m from the listener (the near band only); a response whose
    direct sound is a unit impulse at its arrival, so that the room calibrates."""
    fs, n = 24000, 2048
    listener = np.array([2.0, 2.0 - 0.866, 1.5])
    emitters = np.array([[2.5, 2.0, 1.5], [1.0, 3.0, 1.5]])
    ir = np.zeros((2, 2, n))
    rng = np.random.default_rng(1)
    for e, point in enumerate(emitters):
        k = int(round(np.linalg.norm(point - listener) / 343.0 * fs))
        ir[e, :, k] = 1.0
        ir[e, :, k + 200 :] = 0.01 * rng.normal(size=(2, n - k - 200))
    return write_multispeaker(
        path,
        ir=ir,
        fs=fs,
        listener=listener,
        view=[1.0, 0.0, 0.0],
        source=[0.0, 0.0, 0.0],
        emitters=emitters,
    )


def test_a_one_band_measured_room_serves_its_band_in_a_mix(tmp_path):
    room = _near_only_room(tmp_path / "near_only.sofa")
    out = tmp_path / "ds"
    rooms = f"{room}:3,office"
    args = ["synth", "--out", str(out), "--n", "8", "--seed", "2", "--rooms", rooms, *SMALL]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    entries = manifest["config"]["rooms"]
    assert [e["weight"] for e in entries] == [3.0, 1.0]
    assert entries[0]["preset"]["kind"] == "measured" and entries[1]["preset"] == "office"
    bands = {0: set(), 1: set()}
    for scene in _scenes(out):
        k = scene["room_entry"]
        assert scene["room"]["kind"] == ("measured" if k == 0 else "shoebox")
        bands[k] |= {ev["band"] for ev in scene["events"]}
    assert bands[0] == {"near"}  # the measured room serves its band only
    assert bands[1] == {"near", "far"}  # the far band comes from the office
    assert CliRunner().invoke(cli, ["validate", str(out)]).exit_code == 0
    for k in (0, 1):  # regen of a file of each entry
        stem = next(s["stem"] for s in _scenes(out) if s["room_entry"] == k)
        regen = CliRunner().invoke(cli, ["regen", str(out / "scenes" / f"{stem}.json")])
        assert regen.exit_code == 0 and "identical" in regen.output, regen.output
    # a scene naming another entry, or none, is reported
    path = next((out / "scenes").glob("*.json"))
    scene = json.loads(path.read_text())
    scene["room_entry"] = 5
    path.write_text(json.dumps(scene))
    report = CliRunner().invoke(cli, ["validate", str(out)])
    assert report.exit_code != 0 and "room_entry must index" in report.output
    del scene["room_entry"]
    path.write_text(json.dumps(scene))
    report = CliRunner().invoke(cli, ["validate", str(out)])
    assert report.exit_code != 0 and "room_entry is missing" in report.output


def test_entry_config_of_a_one_band_entry_sets_its_band(tmp_path):
    room = _near_only_room(tmp_path / "near_only.sofa")
    cfg = inline_rooms_config(f"{room},paper")
    assert entry_config(cfg, 0).sources.near_fraction == 1.0
    assert entry_config(cfg, 1).sources.near_fraction == 0.5
    assert entry_config(cfg, 1).room_preset == "paper"


@pytest.mark.parametrize(
    "rooms, wanted",
    [
        ("office:0,classroom", ["--rooms", "'office:0'", "positive finite number", "'0'"]),
        ("office:-2,classroom", ["'office:-2'", "positive finite number"]),
        ("office:nan,classroom", ["'office:nan'", "positive finite number"]),
        ("office:inf", ["'office:inf'", "positive finite number"]),
        ("office:two,classroom", ["'office:two'", "positive finite number", "'two'"]),
        ("office,,classroom", ["entry 2 of 3 is empty"]),
        ("office,", ["entry 2 of 2 is empty"]),
        (":2,office", ["':2' names no room"]),
        ("office,nosuch", ["room mix entry 2 of 2 ('nosuch')", "unknown room preset 'nosuch'"]),
        ("office,missing.sofa:2", ["room mix entry 2 of 2", "missing.sofa", "no such file"]),
        ("NEAR,NEAR", ["no entry of the room mix serves the far band", "[3.0, 8.0]"]),
    ],
)
def test_bad_room_mix_is_one_clear_error_nothing_written(tmp_path, rooms, wanted):
    if "NEAR" in rooms:
        rooms = rooms.replace("NEAR", str(_near_only_room(tmp_path / "near.sofa")))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["synth", "--out", str(out), "--n", "2", "--rooms", rooms, *SMALL]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for text in wanted:
        assert text in result.output, result.output
    assert not out.exists()


def test_a_mix_in_a_config_file_names_the_file(tmp_path):
    config = tmp_path / "mix.json"
    config.write_text(json.dumps({"rooms": [{"preset": "office", "weight": 0}, {"preset": "x"}]}))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["synth", "--out", str(out), "--config", str(config), "--n", "2", *SMALL]
    )
    assert result.exit_code == 2
    assert f"{config}: rooms: room mix entry 1 ('office')" in result.output, result.output
    assert "positive finite number, got 0" in result.output and not out.exists()
