"""Synthesis configuration: paper defaults, JSON/TOML files, options, one validation pass.

The defaults live in ``metadata/default_config.json`` (the paper's Table 1 and DESIGN.md); the
rules in ``schemas/config.schema.json`` plus the cross-field checks below. Every problem is
collected and reported at once, each naming its key path (or the name the user typed for it: a
library option such as ``n_files``, or a CLI flag) and rule.

:data:`OPTIONS` is the one table of the library's option names (``bindata.synthesize(out,
n_files=40, moving=0.5)``) and the dotted config keys they set.
"""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .resources import load_metadata, load_schema, validate_against_schema

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib


#: Library option name -> the dotted config key it sets (``bindata.synthesize``,
#: ``bindata.Synthesizer``; the CLI maps its flags onto these names). Any dotted config key
#: (``"room.wall_clearance_m"``) is an option too.
OPTIONS = {
    "n_files": "n_files",
    "n_folds": "n_folds",
    "duration_s": "duration_s",
    "sample_rate": "sample_rate",
    "max_overlap": "max_overlap",
    "rooms": "rooms",
    "rt60_s": "room.rt60_s",
    "anechoic": "room.anechoic",
    "events_per_file": "events.per_file",
    "events": "events.library",
    "hrir": "hrir.sofa",
    "nearfield": "hrir.nearfield",
    "hrir_calibration": "hrir.calibration",
    "moving": "motion.moving_fraction",
    "angular_speed_deg_s": "motion.angular_speed_deg_s",
    "line_fraction": "motion.line_fraction",
    "linear_speed_m_s": "motion.linear_speed_m_s",
    "head_rotation": "head.rotation",
    "head_speed_deg_s": "head.speed_deg_s",
    "snr_db": "ambience.snr_db",
    "ambience": "ambience.source",
}


def default_config() -> dict[str, Any]:
    """A fresh copy of the default configuration (the paper's dataset design)."""
    return copy.deepcopy(load_metadata("default_config"))


#: Config file formats read, by file suffix.
FORMATS = {".json": "JSON", ".toml": "TOML"}


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """Read a JSON (``.json``) or TOML (``.toml``) configuration file, unvalidated."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"{path}: unsupported config format {path.suffix or '(no suffix)'!r}; bindata reads "
            "JSON (.json) and TOML (.toml) files"
        )
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        data = tomllib.loads(text.decode("utf-8")) if fmt == "TOML" else json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid {fmt.lower()}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a table/object, got {type(data).__name__}")
    return data


def _leaf_paths(tree: dict, prefix: str = "") -> list[str]:
    """Dotted paths of every non-table value of ``tree`` (a list is one value)."""
    out = []
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        out += _leaf_paths(value, dotted + ".") if isinstance(value, dict) else [dotted]
    return out


def _non_finite(tree: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(key path, message) of every NaN or infinite number in ``tree``."""
    if isinstance(tree, dict):
        return [p for k, v in tree.items() for p in _non_finite(v, f"{prefix}{k}.")]
    if isinstance(tree, list):
        return [p for i, v in enumerate(tree) for p in _non_finite(v, f"{prefix}{i}.")]
    if isinstance(tree, float) and not math.isfinite(tree):
        return [(prefix.rstrip("."), f"must be a finite number, got {tree!r}")]
    return []


def _deep_merge(base: dict, update: dict) -> dict:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _set_dotted(cfg: dict, dotted: str, value: Any) -> None:
    node = cfg
    *parents, leaf = dotted.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value


def _get_dotted(cfg: dict, dotted: str) -> Any:
    node = cfg
    for p in dotted.split("."):
        node = node[p]
    return node


def _cross_field_problems(cfg: dict) -> list[tuple[str, str]]:
    """Rules the schema cannot express; returns (key path, message) pairs."""
    problems = []
    ranges = [
        "room.width_m",
        "room.length_m",
        "room.height_m",
        "room.rt60_s",
        "listener.yaw_deg",
        "sources.near_m",
        "sources.far_m",
        "events.per_file",
        "events.duration_s",
        "events.level_db",
    ]
    for key in ranges:
        lo, hi = _get_dotted(cfg, key)
        if lo > hi:
            problems.append((key, f"lower bound must be <= upper bound, got [{lo}, {hi}]"))
    near, far = cfg["sources"]["near_m"], cfg["sources"]["far_m"]
    if near[1] >= far[0]:
        problems.append(
            (
                "sources.far_m",
                f"far band must start above the near band's end {near[1]} m, got {far[0]} m",
            )
        )
    clearance = cfg["room"]["wall_clearance_m"]
    for key in ("room.width_m", "room.length_m", "room.height_m"):
        lo = _get_dotted(cfg, key)[0]
        if lo <= 2 * clearance:
            problems.append(
                (
                    key,
                    f"smallest size {lo} m leaves no space inside the "
                    f"{clearance} m wall clearance on both sides",
                )
            )
    if cfg["n_files"] < cfg["n_folds"]:
        problems.append(("n_files", f"must be >= n_folds ({cfg['n_folds']}), got {cfg['n_files']}"))
    problems += _motion_problems(cfg)
    if cfg["events"]["duration_s"][0] > cfg["duration_s"]:
        problems.append(
            (
                "events.duration_s",
                f"shortest event {cfg['events']['duration_s'][0]} s "
                f"is longer than the file ({cfg['duration_s']} s)",
            )
        )
    return problems


def _motion_problems(cfg: dict) -> list[tuple[str, str]]:
    """Ordered speed, pause and SNR ranges; a head that can turn; a folder given an SNR."""
    problems = []
    ranges = [
        "motion.angular_speed_deg_s",
        "motion.linear_speed_m_s",
        "head.speed_deg_s",
        "head.pause_s",
    ]
    if cfg["ambience"]["snr_db"] is not None:
        ranges.append("ambience.snr_db")
    for key in ranges:
        lo, hi = _get_dotted(cfg, key)
        if lo > hi:
            problems.append((key, f"lower bound must be <= upper bound, got [{lo}, {hi}]"))
    head = cfg["head"]
    if head["rotation"] and head["speed_deg_s"][0] <= 0 < head["max_turn_deg"]:
        problems.append(
            (
                "head.speed_deg_s",
                f"a turning head needs a turning speed > 0 deg/s, got {head['speed_deg_s']}",
            )
        )
    if head["rotation"] and head["pause_s"][1] <= 0 and head["max_turn_deg"] <= 0:
        problems.append(
            (
                "head.pause_s",
                "a head track needs pauses or turns that take time, "
                f"got pauses {head['pause_s']} and max_turn_deg 0",
            )
        )
    amb = cfg["ambience"]
    if amb["snr_db"] is None and amb["source"] != "diffuse":
        problems.append(
            (
                "ambience.source",
                f"an ambience folder ({amb['source']!r}) needs an "
                "SNR range (ambience.snr_db); none was given",
            )
        )
    return problems


class _Sources:
    """Where each key's value came from: a flag, the config file, or the defaults."""

    def __init__(self, path, file_keys: list[str], given: list[str], flags: dict[str, str]):
        self.path, self.file_keys, self.given, self.flags = path, file_keys, given, flags

    def name(self, key: str) -> str:
        """``--rt60`` / ``FILE: room.rt60_s`` / ``config: room.rt60_s (default)``."""
        for dotted, flag in self.flags.items():
            if _within(key, dotted):
                return flag
        if self.path is not None and (
            key in ("", "<root>") or any(_within(key, k) or _within(k, key) for k in self.file_keys)
        ):
            return str(self.path) if key in ("", "<root>") else f"{self.path}: {key}"
        if key in ("", "<root>"):
            return "config"
        if any(_within(key, k) or _within(k, key) for k in self.given):
            return f"config: {key}"
        return f"config: {key} (default)"


def _within(key: str, dotted: str) -> bool:
    return key == dotted or key.startswith(dotted + ".")


def option_overrides(options: dict[str, Any]) -> dict[str, Any]:
    """Dotted-key overrides of library options (:data:`OPTIONS` names or dotted config keys).

    Tuples become lists (as in a JSON config), and an integer given for a key the schema types
    as a number becomes a float (``duration_s=3`` is recorded as ``3.0``, as the CLI's
    ``--duration 3`` gives it, so the two runs write the same bytes); ``None`` values mean "not
    given" and are kept as such (:func:`load_config` ignores them).

    Raises
    ------
    ConfigError
        An option that is neither an :data:`OPTIONS` name nor a config key (the message names
        it and lists the known names), or two options for the same key.

    Examples
    --------
    >>> from bindata.config import option_overrides
    >>> option_overrides({"n_files": 40, "moving": 0.5, "room.wall_clearance_m": 1.5})
    {'n_files': 40, 'motion.moving_fraction': 0.5, 'room.wall_clearance_m': 1.5}
    """
    leaves = set(_leaf_paths(default_config()))
    unknown = sorted(name for name in options if name not in OPTIONS and name not in leaves)
    if unknown:
        raise ConfigError(
            f"unknown option(s) {', '.join(map(repr, unknown))}; known options are "
            f"{', '.join(sorted(OPTIONS))}, or any dotted config key such as "
            "'room.wall_clearance_m' (schemas/config.schema.json)",
            key=unknown[0],
        )
    overrides: dict[str, Any] = {}
    for name, value in options.items():
        key = OPTIONS.get(name, name)
        if key in overrides:
            other = next(n for n in options if OPTIONS.get(n, n) == key)
            raise ConfigError(
                f"options {other!r} and {name!r} both set config key {key!r}; give one of them",
                key=name,
            )
        overrides[key] = _as_schema_numbers(_schema_node(key), value)
    return overrides


def _schema_node(dotted: str) -> dict:
    """The config schema's node of a dotted key (``{}`` where the schema does not say)."""
    node = load_schema("config")
    for part in dotted.split("."):
        node = _resolved(node).get("properties", {}).get(part, {})
    return node


def _resolved(node: dict) -> dict:
    """``node`` with a local ``$ref`` followed and a nullable ``oneOf`` reduced to its value."""
    if "$ref" in node:
        node = load_schema("config")["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    branches = [b for b in node.get("oneOf", []) if b.get("type") != "null"]
    return _resolved(branches[0]) if len(branches) == 1 else node


def _as_schema_numbers(node: dict, value):
    """``value`` with tuples as lists and integers as floats where ``node`` types a number."""
    node = _resolved(node)
    if isinstance(value, (list, tuple)):
        items = node.get("items", {}) if node.get("type") == "array" else {}
        return [_as_schema_numbers(items, v) for v in value]
    if node.get("type") == "number" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def load_config(
    path: str | os.PathLike | dict | None = None,
    *,
    overrides: dict[str, Any] | None = None,
    flag_names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Defaults, updated by a config file, updated by dotted-key overrides; then validated.

    Parameters
    ----------
    path : path-like or dict, optional
        A JSON or TOML file with any subset of the keys of ``metadata/default_config.json``, or
        such a dict itself (a manifest's ``config``, say; its values are named ``config: key``).
    overrides : dict, optional
        ``{"room.rt60_s": [0.3, 0.5], "n_files": 10}``; ``None`` values are ignored.
    flag_names : dict, optional
        Dotted key -> the name the user typed to set it, so that errors name it: a CLI flag
        (``{"n_files": "--n"}``) or a library option (``{"room.rt60_s": "rt60_s"}``). A name
        is used only when its override was given.

    Returns
    -------
    dict
        The complete, checked configuration.

    Raises
    ------
    ConfigError
        Listing every problem as ``<name> <rule>, got <value>`` for a key set by a named
        override, ``FILE: key.path: <rule>, got <value>`` for a value from the config file, or
        ``config: key.path (default): ...``. NaN and infinity are refused for every number.

    Examples
    --------
    >>> from bindata.config import load_config
    >>> load_config(overrides={"n_files": 8, "room.rt60_s": [0.3, 0.5]})["room"]["rt60_s"]
    [0.3, 0.5]
    >>> load_config(overrides={"n_files": 0}, flag_names={"n_files": "n_files"})
    Traceback (most recent call last):
    ...
    bindata.errors.ConfigError: invalid configuration: n_files must be >= 1, got 0
    """
    cfg = default_config()
    file_keys: list[str] = []
    if isinstance(path, dict):
        data, path = copy.deepcopy(path), "config"
    elif path is not None:
        data = read_config_file(path)
    if path is not None:
        file_keys = _leaf_paths(data)
        cfg = _deep_merge(cfg, data)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    for key, value in given.items():
        _set_dotted(cfg, key, value)
    flags = {k: f for k, f in (flag_names or {}).items() if k in given}
    sources = _Sources(path, file_keys, list(given), flags)
    problems = _non_finite(cfg)
    bad = {key for key, _ in problems}
    for key, message in _schema_problems(cfg):
        if not any(_within(key, b) or _within(b, key) for b in bad):
            problems.append((key, message))
    if not problems:
        problems = _cross_field_problems(cfg)
    if problems:
        typed = set(flags.values())
        raise ConfigError(
            "invalid configuration: "
            + "; ".join(_phrase(sources.name(key), message, typed) for key, message in problems)
        )
    return cfg


def _schema_problems(cfg: dict) -> list[tuple[str, str]]:
    """Schema violations as (key path, message) pairs."""
    out = []
    for problem in validate_against_schema(cfg, "config", what="config"):
        key, message = problem.removeprefix("config: ").split(": ", 1)
        out.append((key, message))
    return out


def _phrase(source: str, message: str, typed: set[str]) -> str:
    """``--n must be >= 1`` for a name the user typed, ``FILE: key: must be ...`` otherwise."""
    return f"{source} {message}" if source in typed else f"{source}: {message}"
