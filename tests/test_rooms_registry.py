"""Room presets and kinds: registry, bad input through the CLI, a third-party kind."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bindata.cli import cli
from bindata.config import load_config
from bindata.errors import ConfigError
from bindata.rooms import draw_room, get_kind, load_preset, preset_names
from bindata.rooms.acoustics import eyring_rt60_s, ism_rt60_s

SMALL = ["--n", "2", "--folds", "2", "--duration", "2", "--events-per-file", "1", "2", "--quiet"]


def test_every_shipped_preset_is_valid_and_draws_its_rooms():
    assert {
        "paper",
        "living-room",
        "office",
        "classroom",
        "lecture-hall",
        "reverberant-hall",
        "treated-room",
    } <= set(preset_names())
    for name in preset_names():
        preset = load_preset(name)
        cfg = load_config(overrides={"rooms": name})
        room = draw_room(cfg, np.random.default_rng(3))
        assert room["kind"] == "shoebox" and room["preset"] == name
        if "rt60_s" in preset and "surfaces" in preset:  # a mid-frequency target is met
            lo, hi = preset["rt60_s"]
            mid = (room["rt60_bands_s"]["500"] + room["rt60_bands_s"]["1000"]) / 2
            assert lo <= mid <= hi and mid == pytest.approx(room["rt60_s"])
        if "rt60_ratio_max" in preset:  # the spectral-shape rule holds in every room drawn
            for seed in range(20):
                t = np.array(
                    list(draw_room(cfg, np.random.default_rng(seed))["rt60_bands_s"].values())
                )
                assert np.all(
                    np.maximum(t[1:] / t[:-1], t[:-1] / t[1:]) <= preset["rt60_ratio_max"]
                )


def test_uniform_absorption_model_agrees_with_eyring_in_a_cube():
    """A cube's image-source decay is nearly one exponential: Eyring's formula (Kuttruff)."""
    absorption = np.tile(np.linspace(0.05, 0.4, 7), (6, 1))
    model, _ = ism_rt60_s((8.0, 8.0, 8.0), absorption, np.zeros(7), speed_of_sound=343.0)
    eyring = eyring_rt60_s((8.0, 8.0, 8.0), absorption, np.zeros(7), speed_of_sound=343.0)
    assert np.allclose(model, eyring, rtol=0.08)


def _write(path: Path, obj) -> str:
    path.write_text(json.dumps(obj))
    return str(path)


BASE = {
    "name": "mine",
    "kind": "shoebox",
    "description": "test",
    "size_m": {"width": [6, 7], "length": [6, 7], "height": [3, 3.5]},
    "rt60_s": [0.3, 0.4],
    "surfaces": {
        "floor": ["carpet_cotton"],
        "ceiling": ["plasterboard"],
        "walls": ["hard_surface"],
    },
}


@pytest.mark.parametrize(
    "preset, message",
    [
        ("nonexistent", "unknown room preset 'nonexistent'"),
        ({**BASE, "surfaces": {**BASE["surfaces"], "floor": ["moss"]}}, "unknown material 'moss'"),
        (
            {
                **BASE,
                "materials": {
                    "foam": {"absorption": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1.5], "source": "x"}
                },
            },
            "must be <= 1, got 1.5",
        ),
        ({**BASE, "colour": "red"}, "unknown key(s): 'colour'"),
        ({k: v for k, v in BASE.items() if k != "description"}, "'description' is a required"),
        ({**BASE, "kind": "cave"}, "unknown room kind 'cave'"),
        ({**BASE, "surfaces": {"floor": ["carpet_cotton"]}}, "no material for 'ceiling'"),
        ({**BASE, "rt60_ratio_max": 1.0001}, "within the factor rt60_ratio_max = 1.0001"),
        ({**BASE, "rt60_ratio_max": 0.5}, "rt60_ratio_max"),
    ],
)
def test_bad_presets_are_one_clear_error_and_write_nothing(tmp_path, preset, message):
    spec = preset if isinstance(preset, str) else _write(tmp_path / "p.json", preset)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["synth", "--out", str(out), "--rooms", spec, *SMALL])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_a_preset_file_is_inlined_in_the_manifest_and_validates(tmp_path):
    spec = _write(tmp_path / "mine.json", BASE)
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(cli, ["synth", "--out", str(out), "--rooms", spec, *SMALL])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["rooms"]["name"] == "mine"
    scene = json.loads(next((out / "scenes").glob("*.json")).read_text())
    assert scene["room"]["surfaces"]["floor"]["material"] == "carpet_cotton"
    assert runner.invoke(cli, ["validate", str(out)]).exit_code == 0
    scene_path = next((out / "scenes").glob("*.json"))
    assert runner.invoke(cli, ["regen", str(scene_path)]).exit_code == 0


def test_validate_reports_absorption_outside_0_1(tmp_path):
    spec = _write(tmp_path / "mine.json", BASE)
    out = tmp_path / "out"
    CliRunner().invoke(cli, ["synth", "--out", str(out), "--rooms", spec, *SMALL])
    desc = json.loads(next((out / "scenes").glob("*.json")).read_text())["room"]
    desc["surfaces"]["floor"]["absorption"][0] = 1.3
    problems = get_kind("shoebox").check(desc, load_config(overrides={"rooms": BASE}))
    assert any("absorption must lie in [0, 1], got [1.3]" in p for p in problems)


def test_unknown_kind_in_code_is_a_config_error():
    with pytest.raises(ConfigError, match="known kinds"):
        get_kind("no-such-kind")


PLUGIN = '''
from bindata.render import ShoeboxRoom, render_brir
from bindata.rooms import BoxRoomKind


class CubeRoom(BoxRoomKind):
    """Cubes of a preset's edge with a fixed RT60 (a third-party kind)."""

    def draw(self, preset, cfg, rng):
        edge = float(rng.uniform(*preset["edge_m"]))
        return {"preset": preset["name"], "dimensions_m": [edge] * 3, "rt60_s": preset["rt60"]}

    def render(self, description, *, listener, source_m, hrirset, render_cfg, anechoic):
        room = ShoeboxRoom(tuple(description["dimensions_m"]), description["rt60_s"])
        return render_brir(room, listener_m=listener.position_m, yaw_deg=listener.yaw_deg,
                           source_m=source_m, hrirset=hrirset,
                           speed_of_sound=render_cfg.speed_of_sound, reflections=not anechoic)
'''


def test_a_third_party_kind_through_its_entry_point(tmp_path):
    site = tmp_path / "site"
    (site / "cuberoom").mkdir(parents=True)
    (site / "cuberoom" / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    info = site / "cuberoom-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cuberoom\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[bindata.rooms]\ncube = cuberoom:CubeRoom\n")
    preset = _write(
        tmp_path / "cube.json",
        {"name": "cubes", "kind": "cube", "description": "cubes", "edge_m": [9, 10], "rt60": 0.3},
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    bindata = [str(Path(sys.executable).parent / "bindata")]
    out = tmp_path / "out"

    def run(*args):
        return subprocess.run([*bindata, *args], env=env, capture_output=True, text=True)

    done = run("synth", "--out", str(out), "--rooms", preset, *SMALL)
    assert done.returncode == 0, done.stderr
    scene_path = sorted((out / "scenes").glob("*.json"))[0]
    room = json.loads(scene_path.read_text())["room"]
    assert room["kind"] == "cube" and 9 <= room["dimensions_m"][0] <= 10
    assert run("validate", str(out)).returncode == 0
    regen = run("regen", str(scene_path))
    assert regen.returncode == 0 and "identical" in regen.stdout
    assert "cube" in run("rooms", "list").stdout
