"""Synthesis configuration: paper defaults, JSON/TOML files, CLI overrides, one validation pass.

The defaults live in ``metadata/default_config.json`` (the paper's Table 1 and DESIGN.md); the
rules in ``schemas/config.schema.json`` plus the cross-field checks below. Every problem is
collected and reported at once, each naming its key path (or the CLI flag that set it) and rule.
"""

from __future__ import annotations

import copy
import json
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


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """Read a JSON (``.json``) or TOML (``.toml``) configuration file, unvalidated."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    text = path.read_bytes()
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(text.decode("utf-8"))
        else:
            data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a table/object, got {type(data).__name__}")
    return data


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
    if cfg["events"]["duration_s"][0] > cfg["duration_s"]:
        problems.append(("events.duration_s", f"shortest event {cfg['events']['duration_s'][0]} s "
                         f"is longer than the file ({cfg['duration_s']} s)"))  # fmt: skip
    return problems


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

    Raises
    ------
    ConfigError
        Listing every problem as ``<key or flag> must ..., got <value>``.
    """
    cfg = default_config()
    if path is not None:
        cfg = _deep_merge(cfg, read_config_file(path))
    for key, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(cfg, key, value)
    names = flag_names or {}
    problems = [_rename(p, names) for p in validate_against_schema(cfg, "config", what="config")]
    if not problems:
        problems = [f"{names.get(k, 'config: ' + k)}: {m}" for k, m in _cross_field_problems(cfg)]
    if problems:
        raise ConfigError("invalid configuration: " + "; ".join(problems))
    return cfg


def _rename(problem: str, names: dict[str, str]) -> str:
    """Replace ``config: key.path:`` by the CLI flag that set that key, when there is one."""
    for key, flag in names.items():
        prefix = f"config: {key}: "
        if problem.startswith(prefix):
            return f"{flag} " + problem[len(prefix) :]
    return problem
