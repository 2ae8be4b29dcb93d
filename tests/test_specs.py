"""Typed specs: the config and the scene as frozen dataclasses that read and write their JSON
exactly (same keys, same order, same value types), checked messages unchanged, names documented."""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import bindata
from bindata import config as config_module
from bindata.config import SynthConfig, default_config, load_config
from bindata.dataset.report import dataset_stats
from bindata.dataset.validate import find_problems
from bindata.errors import ConfigError, SceneError
from bindata.io.atomic import json_text
from bindata.jsonspec import JsonSpec
from bindata.rooms import preset_names
from bindata.scene import spec as scene_module
from bindata.scene.spec import Listener, Scene, SceneRoom
from bindata.synth import render_scene_file, synth_config

REPO = Path(__file__).resolve().parent.parent

#: Small runs whose scenes cover the scene's parts: a flat room, a room with materials, moving
#: sources with a turning head and a diffuse ambience.
RUNS = {
    "paper": {},
    "office": {"rooms": "office"},
    "moving": {"moving": 1.0, "line_fraction": 0.5, "head_rotation": True, "snr_db": (10, 20)},
}
SMALL = {"n_files": 2, "n_folds": 2, "duration_s": 3, "events_per_file": (2, 3), "seed": 4}


def same_json(a, b, where="") -> list[str]:
    """Where ``a`` and ``b`` differ as JSON: type, key order or value (empty: identical)."""
    if type(a) is not type(b):
        return [f"{where}: {type(a).__name__} != {type(b).__name__}"]
    if isinstance(a, dict):
        if list(a) != list(b):
            return [f"{where}: keys {list(a)} != {list(b)}"]
        return [d for k in a for d in same_json(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items != {len(b)}"]
        return [d for k, (x, y) in enumerate(zip(a, b, strict=True)) for d in same_json(x, y, k)]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


# --- the config ----------------------------------------------------------------------------------


def test_the_default_config_round_trips_exactly():
    data = default_config()
    cfg = SynthConfig.from_json(data)
    assert same_json(cfg.to_json(), data) == []
    assert cfg == SynthConfig.default() == load_config()
    assert cfg.room_preset == "paper" and cfg.hrir.source == "builtin"
    assert cfg.room.rt60_s == (0.3, 0.9) and cfg.events.n_per_file == (4, 8)
    assert cfg.ambience.snr_db is None and cfg.to_json()["ambience"]["snr_db"] is None


@pytest.mark.parametrize("preset", preset_names())
def test_every_shipped_preset_config_round_trips_exactly(preset):
    cfg = synth_config(options={"rooms": preset, "moving": 0.5, "snr_db": (5, 15)})
    data = cfg.to_json()
    assert data["rooms"] == preset
    assert same_json(SynthConfig.from_json(data).to_json(), data) == []
    assert same_json(load_config(data).to_json(), data) == []  # a manifest's config, reloaded


def test_an_inlined_preset_file_and_numbers_as_written_round_trip(tmp_path):
    preset = tmp_path / "mine.json"
    size = {"width": [6, 7], "length": [6, 8], "height": [3, 3]}
    body = {"name": "mine", "kind": "shoebox", "description": "mine", "size_m": size}
    body["rt60_s"] = [0.4, 0.5]
    preset.write_text(json.dumps(body))
    (tmp_path / "c.toml").write_text("duration_s = 3\n[room]\nrt60_s = [1, 2]\n")
    cfg = synth_config(tmp_path / "c.toml", options={"rooms": str(preset), "n_files": 4})
    assert cfg.room_preset == body  # the file's content, inlined
    data = cfg.to_json()
    assert data["duration_s"] == 3 and type(data["duration_s"]) is int  # as the file wrote it
    assert data["room"]["rt60_s"] == [1, 2] and all(type(v) is int for v in data["room"]["rt60_s"])
    assert same_json(SynthConfig.from_json(data).to_json(), data) == []
    scene = bindata.Synthesizer(config=cfg).sample(0)  # an inlined preset draws as before
    assert scene.room.preset == "mine"


#: Messages of bad configs, as the dict version gave them (collected, with key paths and
#: where each value came from).
BAD = [
    (
        {
            "room.rt60_s": [0.9, 0.3],
            "sources.far_m": [1.5, 8.0],
            "events.duration_s": [20.0, 30.0],
            "head.rotation": True,
            "head.speed_deg_s": [0.0, 0.0],
            "ambience.source": "somewhere",
        },
        None,
        "invalid configuration: config: room.rt60_s: lower bound must be <= upper bound, got "
        "[0.9, 0.3]; config: sources.far_m: far band must start above the near band's end 2.0 m, "
        "got 1.5 m; config: head.speed_deg_s: a turning head needs a turning speed > 0 deg/s, got "
        "[0.0, 0.0]; config: ambience.source: an ambience folder ('somewhere') needs an SNR range "
        "(ambience.snr_db); none was given; config: events.duration_s: shortest event 20.0 s is "
        "longer than the file (15.0 s)",
    ),
    (
        {"n_files": 0, "sample_rate": "fast", "duration_s": float("nan")},
        {"n_files": "--n"},
        "invalid configuration: config: duration_s: must be a finite number, got nan; --n must "
        "be >= 1, got 0; config: sample_rate: must be of type integer, got 'fast'",
    ),
    (
        {
            "room.width_m": [2.0, 3.0],
            "n_files": 2,
            "head.rotation": True,
            "head.pause_s": [0.0, 0.0],
            "head.max_turn_deg": 0.0,
        },
        None,
        "invalid configuration: config: room.width_m: smallest size 2.0 m leaves no space inside "
        "the 1.0 m wall clearance on both sides; config: n_files: must be >= n_folds (4), got 2; "
        "config: head.pause_s: a head track needs pauses or turns that take time, got pauses "
        "[0.0, 0.0] and max_turn_deg 0",
    ),
    (
        {"ambience.snr_db": [20.0, 10.0], "motion.angular_speed_deg_s": [40.0, 10.0]},
        None,
        "invalid configuration: config: motion.angular_speed_deg_s: lower bound must be <= upper "
        "bound, got [40.0, 10.0]; config: ambience.snr_db: lower bound must be <= upper bound, "
        "got [20.0, 10.0]",
    ),
]


@pytest.mark.parametrize("overrides, names, message", BAD)
def test_bad_values_give_the_same_collected_messages(overrides, names, message):
    with pytest.raises(ConfigError) as err:
        load_config(overrides=overrides, flag_names=names)
    assert str(err.value) == message


def test_a_bad_value_from_a_file_names_the_file_and_the_key(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("n_files = 0\n[room]\nwidth_m = [1, inf]\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == (
        f"invalid configuration: {path}: room.width_m.1: must be a finite number, got inf; "
        f"{path}: n_files: must be >= 1, got 0"
    )


def test_from_json_names_every_missing_and_unknown_key():
    data = default_config()
    del data["room"]["anechoic"], data["n_folds"]
    data["hrir"]["sofa_file"] = "x.sofa"
    with pytest.raises(ConfigError) as err:
        SynthConfig.from_json(data)
    assert str(err.value) == (
        "config: n_folds: missing; room.anechoic: missing; hrir.sofa_file: unknown key"
    )
    with pytest.raises(ConfigError, match="config: room.rt60_s: must be a list, got float"):
        SynthConfig.from_json({**default_config(), "room": {**data["room"], "rt60_s": 0.5}})


# --- the scene -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    root = tmp_path_factory.mktemp("specs")
    return {
        name: bindata.synthesize(root / name, progress=False, **SMALL, **options)
        for name, options in RUNS.items()
    }


def test_every_scene_of_a_small_dataset_round_trips_exactly(datasets):
    parts = set()
    for ds in datasets.values():
        for stem in ds:
            text = ds.paths(stem)["scene"].read_text()
            data = json.loads(text)
            scene = Scene.from_json(data)
            assert same_json(scene.to_json(), data) == [], stem
            assert json_text(scene.to_json()) == text  # the file's bytes
            assert ds.scene(stem) == scene
            parts |= {k for k in data if data[k] is not None}
            parts |= {f"room.{k}" for k in data["room"]}
            parts |= {f"path.{ev['path']['kind']}" for ev in data["events"] if "path" in ev}
    # the datasets hold every optional part: materials, paths of both kinds, head, ambience
    assert {"head", "motion_render", "ambience", "room.surfaces", "path.arc", "path.line"} <= parts


def test_the_scene_is_typed_where_it_is_common_and_a_mapping_where_a_kind_says(datasets):
    ds = datasets["moving"]
    scene = ds.scene(ds.stems[0])
    assert isinstance(scene.listener, Listener) and isinstance(scene.room, SceneRoom)
    assert scene.room.kind == "shoebox" and scene.room.anechoic is False
    assert scene.render == load_config().render and scene.mix.peak_dbfs == -1.0
    assert scene.hrir.source == "builtin" and scene.event_library.source == "builtin"
    assert scene.motion_render.max_step_deg == 1.0
    assert scene.head["kind"] == "keyframes" and scene.ambience["kind"] == "diffuse"
    event = scene.events[0]
    assert event.path is not None and event.source_path is event.path
    assert isinstance(event.position_m, tuple) and len(event.position_m) == 3
    assert scene.to_json()["events"][0]["source"] == event.source_index == 0
    static = dataclasses.replace(event, path=None)
    assert static.source_path == {"kind": "static", "position_m": list(event.position_m)}
    assert "path" not in static.to_json()


def test_scene_from_json_names_the_key_path():
    syn = bindata.Synthesizer(seed=1, n_files=4, duration_s=3)
    data = syn.sample(0).to_json()
    del data["events"][0]["band"]
    data["events"][0]["colour"] = "red"
    data["hrir"]["nearfield"] = None
    with pytest.raises(SceneError) as err:
        Scene.from_json(data)
    assert str(err.value) == (
        "scene: hrir.nearfield: must not be null (leave it out); events.0.band: missing; "
        "events.0.colour: unknown key"
    )
    with pytest.raises(SceneError, match="scene: room.anechoic: missing"):
        Scene.from_json({**syn.sample(0).to_json(), "room": {"kind": "shoebox"}})


def test_synthesizer_renders_a_scene_or_its_json_object(datasets, tmp_path):
    ds = datasets["office"]
    syn = bindata.Synthesizer(config=ds.manifest["config"], seed=ds.manifest["seed"])
    assert isinstance(syn.config, SynthConfig) and syn.config.to_json() == ds.manifest["config"]
    scene = syn.sample(1)
    data = json.loads(ds.paths(scene.stem)["scene"].read_text())
    audio, rows = syn.render(scene)
    audio2, rows2 = syn.render(data)
    np.testing.assert_array_equal(audio, audio2)
    np.testing.assert_array_equal(rows, rows2)
    np.testing.assert_array_equal(audio, ds.audio(scene.stem, dtype="int16")[0])
    with pytest.raises(SceneError, match="events"):
        syn.render({**data, "events": "none"})


def test_specs_are_frozen_and_pickle(datasets):
    ds = datasets["moving"]
    cfg, scene = load_config(ds.manifest["config"]), ds.scene(ds.stems[1])
    for spec in (cfg, scene, scene.events[0], scene.listener):
        assert pickle.loads(pickle.dumps(spec)) == spec
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.n_files = 3
    changed = dataclasses.replace(cfg, room=dataclasses.replace(cfg.room, anechoic=True))
    assert changed.to_json()["room"]["anechoic"] is True and cfg.room.anechoic is False


def test_the_dict_form_still_reads_with_a_warning(datasets):
    ds = datasets["moving"]
    cfg, scene = SynthConfig.from_json(ds.manifest["config"]), ds.scene(ds.stems[0])
    with pytest.warns(DeprecationWarning) as record:
        assert cfg["room"]["rt60_s"] == [0.3, 0.9]
        assert scene["events"][0]["source"] == 0
    assert [str(w.message).split(" reads")[0] for w in record] == [
        "SynthConfig['room']",
        "RoomConfig['rt60_s']",
        "Scene['events']",
        "SceneEvent['source']",
    ]
    assert str(record[-1].message).endswith("use the attribute .source_index")
    with pytest.warns(DeprecationWarning):
        assert scene["listener"]["position_m"] == list(scene.listener.position_m)
        assert scene.get("head") == scene.head and scene.events[0].get("nothing", 1) == 1
    assert "ambience" in scene and "path" in scene.events[0] and "nothing" not in scene
    assert scene.room["kind"] == "shoebox" and scene.room.get("preset") == "paper"


def test_the_library_itself_reads_no_dict_form(datasets, tmp_path):
    """Sampling, rendering, validate, report, plot and regen read attributes only."""
    pytest.importorskip("matplotlib")
    from bindata.dataset.plot import plot_scene

    ds = datasets["moving"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        syn = bindata.Synthesizer(config=ds.manifest["config"], seed=ds.manifest["seed"])
        syn.render(syn.sample(0))
        assert find_problems(ds.root) == []
        dataset_stats(ds.root)
        plot_scene(ds.scene(ds.stems[0]), out_path=tmp_path / "scene.png")
        pcm, _, _ = render_scene_file(ds.paths(ds.stems[0])["scene"])
    np.testing.assert_array_equal(pcm, ds.audio(ds.stems[0], dtype="int16")[0])


# --- names ---------------------------------------------------------------------------------------


def _spec_classes() -> list[type]:
    return [
        obj
        for module in (config_module, scene_module)
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, JsonSpec)
        and obj.__module__ == module.__name__
        and not obj.__name__.startswith("_")
    ]


def test_attribute_names_are_documented():
    classes = _spec_classes()
    assert {c.__name__ for c in classes} >= {
        "SynthConfig",
        "RoomConfig",
        "HRIRConfig",
        "Scene",
        "SceneEvent",
        "Listener",
        "SceneRoom",
    }
    design = (REPO / "docs" / "design.md").read_text()
    for cls in classes:
        doc = cls.__doc__ or ""
        assert "Attributes\n    ----------" in doc, cls.__name__
        for f in dataclasses.fields(cls):
            if f.name.startswith("_"):
                continue  # not a key (the key order of an object read)
            assert re.search(rf"^    (\w+, )*{f.name}\b", doc, re.M), (cls.__name__, f.name)
        for name, key in cls.json_keys().items():
            if name != key:  # a Python name that is not its key: both are documented
                assert f"``{key}``" in doc or f"JSON ``{key}``" in doc, (cls.__name__, name)
                assert f"`{cls.__name__}.{name}`" in design or f".{name}`" in design, name
                assert f"`{key}`" in design or f".{key}`" in design, key
