"""Synthesis configuration: paper defaults, JSON/TOML files, CLI overrides, one validation pass.

The defaults live in ``metadata/default_config.json`` (the paper's Table 1 and DESIGN.md); the
rules in ``schemas/config.schema.json`` plus the cross-field checks below. Every problem is
collected and reported at once, each naming its key path (or the CLI flag that set it) and rule.
"""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .resources import load_metadata, validate_against_schema

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib


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
        "room.width_m", "room.length_m", "room.height_m", "room.rt60_s", "listener.yaw_deg",
        "sources.near_m", "sources.far_m", "events.per_file", "events.duration_s",
        "events.level_db",
    ]  # fmt: skip
    for key in ranges:
        lo, hi = _get_dotted(cfg, key)
        if lo > hi:
            problems.append((key, f"lower bound must be <= upper bound, got [{lo}, {hi}]"))
    near, far = cfg["sources"]["near_m"], cfg["sources"]["far_m"]
    if near[1] >= far[0]:
        problems.append(("sources.far_m", f"far band must start above the near band's end "
                         f"{near[1]} m, got {far[0]} m"))  # fmt: skip
    clearance = cfg["room"]["wall_clearance_m"]
    for key in ("room.width_m", "room.length_m", "room.height_m"):
        lo = _get_dotted(cfg, key)[0]
        if lo <= 2 * clearance:
            problems.append((key, f"smallest size {lo} m leaves no space inside the "
                             f"{clearance} m wall clearance on both sides"))  # fmt: skip
    if cfg["n_files"] < cfg["n_folds"]:
        problems.append(("n_files", f"must be >= n_folds ({cfg['n_folds']}), got {cfg['n_files']}"))
    problems += _motion_problems(cfg)
    if cfg["events"]["duration_s"][0] > cfg["duration_s"]:
        problems.append(("events.duration_s", f"shortest event {cfg['events']['duration_s'][0]} s "
                         f"is longer than the file ({cfg['duration_s']} s)"))  # fmt: skip
    return problems


def _motion_problems(cfg: dict) -> list[tuple[str, str]]:
    """Ordered speed, pause and SNR ranges; a head that can turn; a folder given an SNR."""
    problems = []
    ranges = ["motion.angular_speed_deg_s", "motion.linear_speed_m_s", "head.speed_deg_s",
              "head.pause_s"]  # fmt: skip
    if cfg["ambience"]["snr_db"] is not None:
        ranges.append("ambience.snr_db")
    for key in ranges:
        lo, hi = _get_dotted(cfg, key)
        if lo > hi:
            problems.append((key, f"lower bound must be <= upper bound, got [{lo}, {hi}]"))
    head = cfg["head"]
    if head["rotation"] and head["speed_deg_s"][0] <= 0 < head["max_turn_deg"]:
        problems.append(("head.speed_deg_s", "a turning head needs a turning speed > 0 deg/s, "
                         f"got {head['speed_deg_s']}"))  # fmt: skip
    if head["rotation"] and head["pause_s"][1] <= 0 and head["max_turn_deg"] <= 0:
        problems.append(("head.pause_s", "a head track needs pauses or turns that take time, "
                         f"got pauses {head['pause_s']} and max_turn_deg 0"))  # fmt: skip
    amb = cfg["ambience"]
    if amb["snr_db"] is None and amb["source"] != "diffuse":
        problems.append(("ambience.source", f"an ambience folder ({amb['source']!r}) needs an "
                         "SNR range (ambience.snr_db); none was given"))  # fmt: skip
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
        if self.path is not None and (key in ("", "<root>") or any(
                _within(key, k) or _within(k, key) for k in self.file_keys)):  # fmt: skip
            return str(self.path) if key in ("", "<root>") else f"{self.path}: {key}"
        if key in ("", "<root>"):
            return "config"
        if any(_within(key, k) or _within(k, key) for k in self.given):
            return f"config: {key}"
        return f"config: {key} (default)"


def _within(key: str, dotted: str) -> bool:
    return key == dotted or key.startswith(dotted + ".")


def load_config(
    path: str | os.PathLike | None = None,
    *,
    overrides: dict[str, Any] | None = None,
    flag_names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Defaults, updated by a config file, updated by dotted-key overrides; then validated.

    Parameters
    ----------
    path : path-like, optional
        A JSON or TOML file with any subset of the keys of ``metadata/default_config.json``.
    overrides : dict, optional
        ``{"room.rt60_s": [0.3, 0.5], "n_files": 10}``; ``None`` values are ignored.
    flag_names : dict, optional
        Dotted key -> CLI flag (``{"n_files": "--n"}``) so that errors name what the user typed.
        A flag is named only when its override was given.

    Raises
    ------
    ConfigError
        Listing every problem as ``<source>: <rule>, got <value>``, where the source is the flag
        that set the key, ``FILE: key.path`` for a value from the config file, or
        ``config: key.path (default)``. NaN and infinity are refused for every number.
    """
    cfg = default_config()
    file_keys: list[str] = []
    if path is not None:
        data = read_config_file(path)
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
        raise ConfigError("invalid configuration: " + "; ".join(
            _phrase(sources.name(key), message) for key, message in problems))  # fmt: skip
    return cfg


def _schema_problems(cfg: dict) -> list[tuple[str, str]]:
    """Schema violations as (key path, message) pairs."""
    out = []
    for problem in validate_against_schema(cfg, "config", what="config"):
        key, message = problem.removeprefix("config: ").split(": ", 1)
        out.append((key, message))
    return out


def _phrase(source: str, message: str) -> str:
    """``--n must be >= 1`` for a flag, ``FILE: key: must be ...`` otherwise."""
    return f"{source} {message}" if source.startswith("--") else f"{source}: {message}"
