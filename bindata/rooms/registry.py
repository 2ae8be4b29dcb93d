"""The one registry of room kinds and the loader of room presets.

Room kinds come from two places (:class:`bindata.plugins.PluginRegistry`, as HRIR models do):
the kinds built into bindata (:data:`BUILTIN_KINDS`) and the Python entry-point group
``bindata.rooms`` (:data:`ENTRY_POINT_GROUP`), through which an installed package adds a kind
without editing bindata::

    [project.entry-points."bindata.rooms"]
    cave = "my_package.rooms:CaveRoom"

An entry point names a :class:`~bindata.rooms.base.RoomKind` subclass (instantiated with no
arguments) or an instance. Its name is the kind's name, written in every scene's
``room.kind``; a scene without ``kind`` (written before kinds existed) is a ``shoebox``.

A *preset* is a JSON document (``metadata/rooms/<name>.json`` or any file) validated by
``schemas/room_preset.schema.json``; its ``kind`` picks the room kind that draws from it.
Measured rooms (:mod:`.measured`) are also named by a SOFA file (``*.sofa``) or a folder (every
``*.sofa`` in it, sorted), which make the preset ``{"kind": "measured", "files": [...]}``; the
``files`` of a preset file are relative to that file. Files are recorded as absolute paths.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path

from ..config import SynthConfig
from ..errors import ConfigError, SceneError
from ..plugins import PluginRegistry
from ..resources import validate_against_schema

#: Entry-point group through which packages add room kinds.
ENTRY_POINT_GROUP = "bindata.rooms"
#: Built-in kinds: name -> "module:attribute" (imported when first used).
BUILTIN_KINDS = {
    "shoebox": "bindata.rooms.shoebox:ShoeboxKind",
    "measured": "bindata.rooms.measured:MeasuredKind",
}
#: Kind of a scene room written without a ``kind`` key.
DEFAULT_KIND = "shoebox"
#: Preset used when a config names none.
DEFAULT_PRESET = "paper"


def _instantiate(obj, name: str):
    kind = obj() if isinstance(obj, type) else obj
    for method in ("draw", "render", "sample_listener", "sample_source"):
        if not callable(getattr(kind, method, None)):
            raise ConfigError(f"room kind {name!r} ({obj!r}) has no method {method}()")
    kind.name = name
    return kind


#: The room kinds (:class:`~bindata.plugins.PluginRegistry` of :data:`ENTRY_POINT_GROUP`).
KINDS = PluginRegistry(
    ENTRY_POINT_GROUP, BUILTIN_KINDS, what="room kind", error=ConfigError, make=_instantiate
)


def kind_names() -> list[str]:
    """Names of every available room kind (built in, then from entry points), sorted."""
    return KINDS.names()


def get_kind(name: str):
    """The room kind registered as ``name``.

    Raises
    ------
    ConfigError
        When no built-in kind or ``bindata.rooms`` entry point has that name.
    """
    return KINDS.get(name)


def kind_of(description: dict):
    """The room kind of a scene's room description (``DEFAULT_KIND`` when it names none)."""
    return get_kind(str(description.get("kind", DEFAULT_KIND)))


def preset_names() -> list[str]:
    """Names of the presets shipped in ``metadata/rooms/``, sorted."""
    folder = resources.files("bindata.metadata").joinpath("rooms")
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


def _is_file_spec(spec: str) -> bool:
    return (
        spec.endswith((".json", ".sofa"))
        or "/" in spec
        or "\\" in spec
        or (spec not in preset_names() and Path(spec).is_dir())
    )


def _preset_name(path: Path) -> str:
    name = re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-_")
    return name or "measured"


def _measured_preset(spec: str) -> dict:
    """The preset of a SOFA file or of a folder of them (``--rooms FILE.sofa`` / ``DIR``)."""
    path = Path(spec).resolve()
    if path.is_dir():
        files = sorted(str(p) for p in path.glob("*.sofa") if p.is_file())
        if not files:
            raise ConfigError(f"room folder {spec!r} holds no *.sofa file")
        what = f"the {len(files)} SOFA file(s) of {path}"
    elif not path.exists():
        raise ConfigError(f"measured room file {spec!r}: no such file")
    else:
        files, what = [str(path)], str(path)
    return {
        "name": _preset_name(path),
        "kind": "measured",
        "files": files,
        "description": f"Measured binaural rooms ({what}).",
    }


def _resolved_files(preset, base: Path):
    """A measured preset's ``files`` made absolute, relative to the preset file's folder."""
    if not isinstance(preset, dict) or not isinstance(preset.get("files"), list):
        return preset
    files = [str((base / f).resolve()) if isinstance(f, str) else f for f in preset["files"]]
    return {**preset, "files": files}


def load_preset(spec) -> dict:
    """The preset named ``spec`` (``metadata/rooms/<spec>.json``), in the JSON file ``spec``,
    or ``spec`` itself when it is a dict (a preset inlined in a config).

    The preset is validated by ``schemas/room_preset.schema.json`` and by its kind
    (``check_preset``, e.g. materials that exist).

    Raises
    ------
    ConfigError
        Unknown name, unreadable file, invalid JSON, or a preset breaking a rule.
    """
    if isinstance(spec, dict):
        return _checked_preset(json.dumps(spec, sort_keys=True), "config rooms")
    return _load_named_or_file(str(spec))


@cache
def _load_named_or_file(spec: str) -> dict:
    if _is_file_spec(spec) and not spec.endswith(".json"):
        return _checked_preset(json.dumps(_measured_preset(spec), sort_keys=True), spec)
    if _is_file_spec(spec):
        where = spec
        try:
            text = Path(spec).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"room preset file {spec!r} cannot be read: {exc.strerror}") from exc
        try:
            parsed = _resolved_files(json.loads(text), Path(spec).resolve().parent)
        except json.JSONDecodeError:
            parsed = None  # reported by _checked_preset
        if parsed is not None:
            text = json.dumps(parsed, sort_keys=True)
    else:
        names = preset_names()
        if spec not in names:
            raise ConfigError(
                f"unknown room preset {spec!r}: known presets are {names} (or give a .json file)"
            )
        where = f"room preset {spec!r}"
        text = resources.files("bindata.metadata").joinpath("rooms", f"{spec}.json").read_text()
    return _checked_preset(text, where)


@cache
def _checked_preset(text: str, where: str) -> dict:
    try:
        preset = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(preset, dict):
        raise ConfigError(f"{where}: a room preset must be a JSON object")
    problems = validate_against_schema(preset, "room_preset", what=where)
    if problems:
        raise ConfigError("invalid room preset: " + "; ".join(problems))
    kind = get_kind(preset["kind"])
    check = getattr(kind, "check_preset", None)
    if check is not None:
        check(preset, where=where)
    return preset


def inline_preset(spec):
    """``spec`` as a config should record it: a preset file's content inlined (so that the
    manifest holds the preset and workers need not read the file); names stay names."""
    if isinstance(spec, str) and _is_file_spec(spec):
        return load_preset(spec)
    load_preset(spec)  # checked all the same
    return spec


def draw_room(cfg: SynthConfig, rng) -> dict:
    """Draw the room description of a file: the config's preset, through its kind."""
    preset = load_preset(cfg.room_preset)
    kind = get_kind(preset["kind"])
    description = kind.draw(preset, cfg, rng)
    if not isinstance(description, dict):
        raise SceneError(f"room kind {kind.name!r} drew {type(description).__name__}, not a dict")
    return {"kind": kind.name, **{k: v for k, v in description.items() if k != "kind"}}


__all__ = [
    "ENTRY_POINT_GROUP",
    "BUILTIN_KINDS",
    "KINDS",
    "DEFAULT_PRESET",
    "draw_room",
    "get_kind",
    "inline_preset",
    "kind_names",
    "kind_of",
    "load_preset",
    "preset_names",
]
