"""Configuration: the paper's defaults, file formats, and errors that name the key and the rule."""

import json

import pytest

from bindata.config import load_config
from bindata.errors import ConfigError


def test_defaults_are_the_papers_table_1():
    cfg = load_config()
    assert cfg.room.width_m == (6.0, 10.0)
    assert cfg.room.length_m == (6.0, 10.0)
    assert cfg.room.height_m == (2.5, 6.0)
    assert cfg.room.rt60_s == (0.3, 0.9)
    assert cfg.sources.near_m == (0.4, 2.0)
    assert cfg.sources.far_m == (3.0, 8.0)
    assert cfg.room.wall_clearance_m == 1.0
    assert (cfg.duration_s, cfg.sample_rate, cfg.n_folds) == (15.0, 24000, 4)


def test_json_and_toml_files_override_defaults(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps({"n_files": 8, "room": {"rt60_s": [0.4, 0.5]}}))
    (tmp_path / "c.toml").write_text("n_files = 12\n[room]\nrt60_s = [0.6, 0.7]\n")
    cj = load_config(tmp_path / "c.json")
    ct = load_config(tmp_path / "c.toml", overrides={"max_overlap": 1})
    assert cj.n_files == 8 and cj.room.rt60_s == (0.4, 0.5)
    assert cj.room.height_m == (2.5, 6.0)  # untouched keys keep their defaults
    assert ct.n_files == 12 and ct.room.rt60_s == (0.6, 0.7) and ct.max_overlap == 1


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"n_files": 0}, "--n must be >= 1, got 0"),
        ({"max_overlap": 0}, "--overlap must be >= 1, got 0"),
        ({"room.rt60_s": [0.9, 0.3]}, "room.rt60_s: lower bound must be <= upper bound"),
        ({"sources.far_m": [1.5, 8.0]}, "far band must start above the near band"),
        ({"room.height_m": [2.0, 3.0]}, "room.height_m: smallest size 2.0 m leaves no space"),
        ({"sample_rate": "fast"}, "--rate must be of type integer, got 'fast'"),
        ({"n_files": 2, "n_folds": 4}, "n_files: must be >= n_folds (4), got 2"),
    ],
)
def test_bad_values_name_the_key_and_the_rule(overrides, expected):
    names = {"n_files": "--n", "max_overlap": "--overlap", "sample_rate": "--rate"}
    with pytest.raises(ConfigError) as err:
        load_config(overrides=overrides, flag_names=names if "n_folds" not in overrides else None)
    assert expected in str(err.value)


def test_unknown_keys_are_all_reported_at_once(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps({"nfiles": 3, "room": {"rt6O_s": [0.3, 0.4]}}))
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "c.json")
    assert "'nfiles'" in str(err.value) and "'rt6O_s'" in str(err.value)


def test_unreadable_config_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.json")
    (tmp_path / "bad.toml").write_text("n_files = = 3")
    with pytest.raises(ConfigError, match="not valid toml"):
        load_config(tmp_path / "bad.toml")


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("c.json", '{"duration_s": NaN}', "c.json: duration_s: must be a finite number, got nan"),
        (
            "c.json",
            '{"room": {"rt60_s": [0.3, Infinity]}}',
            "c.json: room.rt60_s.1: must be a finite number, got inf",
        ),
        (
            "c.toml",
            "[events]\nlevel_db = [-inf, -20.0]\n",
            "c.toml: events.level_db.0: must be a finite number, got -inf",
        ),
        (
            "c.toml",
            "[sources]\nnear_fraction = nan\n",
            "c.toml: sources.near_fraction: must be a finite number, got nan",
        ),
    ],
)
def test_nan_and_infinity_in_a_file_are_refused_naming_the_file_and_key(
    tmp_path, name, text, expected
):
    (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / name)
    assert f"{tmp_path / name}: " in str(err.value) and expected in str(err.value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_from_a_flag_name_the_flag(value):
    with pytest.raises(ConfigError, match="--duration must be a finite number"):
        load_config(overrides={"duration_s": value}, flag_names={"duration_s": "--duration"})


def test_a_flag_is_named_only_when_typed(tmp_path):
    (tmp_path / "c.toml").write_text("n_files = 0\n")
    names = {"n_files": "--n", "duration_s": "--duration"}
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "c.toml", overrides={"n_files": None}, flag_names=names)
    assert "c.toml: n_files: must be >= 1, got 0" in str(err.value)
    assert "--n" not in str(err.value)
    with pytest.raises(ConfigError) as err:  # the flag overrides the file: the flag is named
        load_config(tmp_path / "c.toml", overrides={"n_files": -3}, flag_names=names)
    assert "--n must be >= 1, got -3" in str(err.value) and "c.toml" not in str(err.value)


def test_a_default_that_clashes_with_a_file_value_is_named_as_a_default(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps({"sources": {"near_m": [0.4, 3.5]}}))
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "c.json")
    assert "config: sources.far_m (default): far band must start above" in str(err.value)


@pytest.mark.parametrize("name", ["c.yaml", "c.ini", "config"])
def test_an_unsupported_format_says_which_formats_are_read(tmp_path, name):
    (tmp_path / name).write_text("n_files: 3\n")
    with pytest.raises(ConfigError, match=r"unsupported config format .*JSON \(\.json\) and TOML"):
        load_config(tmp_path / name)
