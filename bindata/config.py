"""Synthesis configuration: paper defaults, JSON/TOML files, options, one validation pass.

The defaults live in ``metadata/default_config.json`` (the paper's Table 1 and DESIGN.md); the
rules in ``schemas/config.schema.json`` plus the cross-field checks below. Every problem is
collected and reported at once, each naming its key path (or the name the user typed for it: a
library option such as ``n_files``, or a CLI flag) and rule.

:data:`OPTIONS` is the one table of the library's option names (``bindata.synthesize(out,
n_files=40, moving=0.5)``) and the dotted config keys they set.

A checked config is a :class:`SynthConfig` (frozen dataclasses, one per section of the JSON:
:class:`RoomConfig`, :class:`ListenerConfig`, :class:`SourceConfig`, :class:`EventConfig`,
:class:`HRIRConfig`, :class:`RenderConfig`, :class:`MixConfig`, :class:`MotionConfig`,
:class:`HeadConfig`, :class:`AmbienceConfig`, :class:`DirectivityConfig`), read from and written to the JSON of
``schemas/config.schema.json`` exactly (:mod:`bindata.jsonspec`; docs/design.md, "Typed
specs"). The checks here work on the JSON (schema, non-finite numbers, where each value came
from), then on the typed config (rules across keys).
"""

from __future__ import annotations

import copy
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from .errors import ConfigError
from .jsonspec import JSON, SPEC, TUPLE, JsonSpec, json_field
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
    "room_calibration": "room.measured_calibration",
    "events_per_file": "events.per_file",
    "events": "events.library",
    "hrir": "hrir.sofa",
    "nearfield": "hrir.nearfield",
    "hrir_calibration": "hrir.calibration",
    "hrir_split": "hrir.split",
    "head_radius_m": "hrir.head_radius_m",
    "ear_azimuth_deg": "hrir.ear_azimuth_deg",
    "hrir_band_hz": "hrir.calibration_band_hz",
    "moving": "motion.moving_fraction",
    "angular_speed_deg_s": "motion.angular_speed_deg_s",
    "line_fraction": "motion.line_fraction",
    "linear_speed_m_s": "motion.linear_speed_m_s",
    "head_rotation": "head.rotation",
    "head_speed_deg_s": "head.speed_deg_s",
    "snr_db": "ambience.snr_db",
    "ambience": "ambience.source",
    "directivity": "directivity.pattern",
    "directivity_alpha": "directivity.alpha",
    "directivity_order": "directivity.order",
    "source_orientation": "directivity.orientation",
    "facing_spread_deg": "directivity.facing_spread_deg",
}


def default_config() -> dict[str, Any]:
    """A fresh copy of the default configuration (the paper's dataset design), as JSON.

    :meth:`SynthConfig.default` is the same configuration, typed.
    """
    return copy.deepcopy(load_metadata("default_config"))


# ----------------------------------------------------------------------------- typed config
#: A ``(low, high)`` range (a JSON ``[low, high]``), drawn from uniformly.
Range = tuple[float, float]


@dataclass(frozen=True)
class _ConfigSpec(JsonSpec):
    """A section of the synthesis config (the JSON key of each field where its name differs)."""

    error: ClassVar[type[ConfigError]] = ConfigError
    what: ClassVar[str] = "config"


@dataclass(frozen=True)
class RoomConfig(_ConfigSpec):
    """Config ``room``: room sizes and RT60 for presets that give none, clearance, anechoic.

    Presets with their own ``size_m`` or ``rt60_s`` (``metadata/rooms/``) use those instead of
    the ranges here; every preset uses ``wall_clearance_m`` and ``anechoic``.

    Attributes
    ----------
    width_m, length_m, height_m : (float, float)
        Ranges of the room's size along x, y, z (metres).
    rt60_s : (float, float)
        Range of the room's reverberation time (seconds).
    wall_clearance_m : float
        Least distance of the listener and every source from every surface (metres).
    anechoic : bool
        Render the direct path only.
    measured_calibration : str or None
        Level of measured rooms (:mod:`bindata.rooms.level`): ``"reference"`` (the direct
        sound at the free-field level of the HRIR reference) or ``"raw"`` (as stored); ``None``
        in a manifest written before the key existed.

    Examples
    --------
    >>> from bindata.config import SynthConfig
    >>> SynthConfig.default().room.rt60_s
    (0.3, 0.9)
    """

    width_m: Range = json_field(kind=TUPLE)
    length_m: Range = json_field(kind=TUPLE)
    height_m: Range = json_field(kind=TUPLE)
    rt60_s: Range = json_field(kind=TUPLE)
    wall_clearance_m: float
    anechoic: bool
    measured_calibration: str | None = json_field(optional=True)


@dataclass(frozen=True)
class ListenerConfig(_ConfigSpec):
    """Config ``listener``: the head's yaw range and how often a listener may be redrawn.

    Attributes
    ----------
    yaw_deg : (float, float)
        Range of the head's yaw (degrees, counter-clockwise from the room's +x axis).
    max_redraws : int
        Listener draws per file before the scene cannot be drawn.
    """

    yaw_deg: Range = json_field(kind=TUPLE)
    max_redraws: int


@dataclass(frozen=True)
class SourceConfig(_ConfigSpec):
    """Config ``sources``: the near and far distance bands and how sources are drawn.

    Attributes
    ----------
    near_m, far_m : (float, float)
        The distance bands (metres from the head centre).
    near_fraction : float
        Probability of the near band (0.5: a file's events alternate near and far).
    max_tries : int
        Candidate positions per source before the listener is redrawn.

    Examples
    --------
    >>> from bindata.config import SynthConfig
    >>> SynthConfig.default().sources.band_m("far")
    (3.0, 8.0)
    """

    near_m: Range = json_field(kind=TUPLE)
    far_m: Range = json_field(kind=TUPLE)
    near_fraction: float
    max_tries: int

    def band_m(self, band: str) -> Range:
        """The distance range of the band ``"near"`` or ``"far"``."""
        if band not in ("near", "far"):
            raise ConfigError(f"a distance band is 'near' or 'far', got {band!r}")
        return self.near_m if band == "near" else self.far_m


@dataclass(frozen=True)
class EventConfig(_ConfigSpec):
    """Config ``events``: the event library and how many events a file draws, how long, how loud.

    Attributes
    ----------
    library : str
        ``"builtin"`` (the procedural bank) or a folder of class sub-folders.
    n_per_file : (int, int)
        Range of the number of events drawn per file (JSON ``per_file``).
    duration_s : (float, float)
        Range of an event's duration (seconds; cut to its sound's length and the label grid).
    level_db : (float, float)
        Range of an event's level (dB re full scale, for a source at 1 m).
    """

    library: str
    n_per_file: tuple[int, int] = json_field("per_file", kind=TUPLE)
    duration_s: Range = json_field(kind=TUPLE)
    level_db: Range = json_field(kind=TUPLE)


@dataclass(frozen=True)
class HRIRConfig(_ConfigSpec):
    """Config ``hrir``: the HRIR set, or the several heads a dataset draws from (docs/hrir.md).

    The keys after ``calibration`` are optional: absent, they are ``None`` and not written.

    Attributes
    ----------
    source : str or list of str
        ``"builtin"`` (the built-in sphere and pinna model), another HRIR model's name, a SOFA
        file, or a folder of SOFA files (JSON ``sofa``); a list of them: each file draws one
        head (see :attr:`sources`).
    nearfield : bool
        Synthesise near-field shells from a single-distance set.
    calibration : str
        HRIR level: ``"reference"`` (0 dB re the free field at the head centre, frontal far
        field), ``"diffuse"`` (the same for the average over all directions), ``"equalised"``
        (frontal reference, then the diffuse-field spectrum equalised to the built-in head's)
        or ``"raw"`` (the file's level).
    split : str or dict or None
        Which heads each fold draws from: ``"subjects"`` (the heads dealt to the folds, so that
        a test fold's heads are in no other fold) or ``{"<fold>": [entry of sofa, ...]}``;
        ``None``: every fold draws from every head.
    head_radius_m : (float, float) or None
        Range of a model head's radius (m), drawn per file; ``None``: the model's own.
    ear_azimuth_deg : (float, float) or None
        Range of a model head's left-ear azimuth (degrees), drawn per file; ``None``: the
        model's own.
    calibration_band_hz : (float, float) or None
        Band of the calibration level (Hz); ``None``: 250 Hz-2 kHz.
    """

    source: str | list = json_field("sofa", kind=JSON)
    nearfield: bool
    calibration: str
    split: str | dict | None = json_field(kind=JSON, optional=True)
    head_radius_m: Range | None = json_field(kind=TUPLE, optional=True)
    ear_azimuth_deg: Range | None = json_field(kind=TUPLE, optional=True)
    calibration_band_hz: Range | None = json_field(kind=TUPLE, optional=True)

    @property
    def sources(self) -> tuple[str, ...]:
        """The entries of :attr:`source` as a tuple (one entry for a single string)."""
        return (self.source,) if isinstance(self.source, str) else tuple(self.source)


@dataclass(frozen=True)
class RenderConfig(_ConfigSpec):
    """Config and scene ``render``: what every room kind renders with.

    Attributes
    ----------
    speed_of_sound : float
        Metres per second.
    decay_db : float
        Decay (dB) after which a flat room's image sources stop.
    """

    speed_of_sound: float
    decay_db: float


@dataclass(frozen=True)
class MixConfig(_ConfigSpec):
    """Config and scene ``mix``.

    Attributes
    ----------
    peak_dbfs : float
        The mix is scaled down when its peak would exceed this level (dB re full scale).
    """

    peak_dbfs: float


@dataclass(frozen=True)
class MotionConfig(_ConfigSpec):
    """Config ``motion``: moving sources (docs/design.md, "Moving scenes").

    Attributes
    ----------
    moving_fraction : float
        Probability that an event moves (0: every source static).
    angular_speed_deg_s : (float, float)
        Speed range of arcs about the head (deg/s; the sense is random).
    line_fraction : float
        Share of moving events on a straight line (the others: arcs).
    linear_speed_m_s : (float, float)
        Speed range of straight paths (m/s).
    max_tries : int
        Path draws per moving event before the listener is redrawn.
    early_s : float
        Seconds after the latest direct sound that follow the path block by block.
    max_step_deg : float
        Largest direction change per render block (degrees).
    """

    moving_fraction: float
    angular_speed_deg_s: Range = json_field(kind=TUPLE)
    line_fraction: float
    linear_speed_m_s: Range = json_field(kind=TUPLE)
    max_tries: int
    early_s: float
    max_step_deg: float


@dataclass(frozen=True)
class HeadConfig(_ConfigSpec):
    """Config ``head``: the listener's head turning (yaw keyframes).

    Attributes
    ----------
    turns : bool
        The head turns (JSON ``rotation``).
    speed_deg_s : (float, float)
        Turning speed range (deg/s).
    pause_s : (float, float)
        Range of the pauses between turns (seconds).
    max_turn_deg : float
        Largest single turn (degrees).
    """

    turns: bool = json_field("rotation")
    speed_deg_s: Range = json_field(kind=TUPLE)
    pause_s: Range = json_field(kind=TUPLE)
    max_turn_deg: float


@dataclass(frozen=True)
class AmbienceConfig(_ConfigSpec):
    """Config ``ambience``: background ambience at a drawn SNR against the events.

    Attributes
    ----------
    snr_db : (float, float) or None
        SNR range (dB); ``None`` (JSON ``null``): no ambience.
    source : str
        ``"diffuse"`` (generated through the file's HRIR set) or a folder of 2-channel
        recordings.
    slope_db_per_octave : float
        Spectral slope of the diffuse field's power (0 white, -3 pink).
    """

    snr_db: Range | None = json_field(kind=TUPLE)
    source: str
    slope_db_per_octave: float


@dataclass(frozen=True)
class DirectivityConfig(_ConfigSpec):
    """Config ``directivity``: each event's directivity and orientation (docs/design.md,
    "Source directivity"; :mod:`bindata.render.directivity`).

    Attributes
    ----------
    pattern : str
        ``"omni"`` (every source omnidirectional, nothing drawn: scenes as before),
        ``"cardioid"`` (the family ``|(1 - alpha) + alpha cos(theta)| ** order``) or a SOFA
        file of a measured directivity (``FreeFieldDirectivityTF`` or ``GeneralTF``).
    alpha : (float, float)
        Range of the cardioid family's ``alpha`` in [0, 1], drawn per event.
    order : float
        The cardioid family's exponent (> 0).
    orientation : str
        ``"facing"`` (the axis points at the head, turned in azimuth uniformly within
        ``facing_spread_deg`` either way) or ``"uniform"`` (azimuth uniform, horizontal).
    facing_spread_deg : float
        Largest azimuth turn (degrees) from facing the head.

    Examples
    --------
    >>> from bindata.config import load_config
    >>> cfg = load_config(overrides={"directivity.pattern": "cardioid"}).directivity
    >>> cfg.pattern, cfg.alpha, cfg.directional
    ('cardioid', (0.5, 0.5), True)
    """

    pattern: str
    alpha: Range = json_field(kind=TUPLE)
    order: float
    orientation: str
    facing_spread_deg: float

    @property
    def directional(self) -> bool:
        """Whether sources get a directivity and orientation (``pattern`` is not ``"omni"``)."""
        return self.pattern != "omni"

    @property
    def measured(self) -> bool:
        """Whether ``pattern`` names a SOFA file (neither ``"omni"`` nor ``"cardioid"``)."""
        return self.pattern not in ("omni", "cardioid")


@dataclass(frozen=True)
class SynthConfig(_ConfigSpec):
    """The synthesis configuration of a run, typed (``schemas/config.schema.json`` on disk).

    Made by :func:`load_config` (defaults, a file, overrides; every value checked) or, from a
    checked JSON object such as a manifest's ``config``, by :meth:`from_json`; written back by
    :meth:`to_json`, key for key as the object it was read from. The Python names say what the
    keys on disk hold where a key alone does not (``room_preset`` for ``rooms``,
    ``hrir.source`` for ``hrir.sofa``, ``events.n_per_file`` for ``events.per_file``,
    ``head.turns`` for ``head.rotation``; :meth:`json_keys` of each section lists them);
    ranges are ``(low, high)`` tuples.

    Attributes
    ----------
    n_files, n_folds : int
        Number of files, and of folds they are split into evenly.
    duration_s : float
        Length of every file (seconds).
    sample_rate : int
        Hz.
    max_overlap : int
        Most events active at once.
    room_preset : str or dict
        The room preset (JSON ``rooms``): a name in ``metadata/rooms/``, a preset file, or the
        preset itself (a file's content is inlined by :func:`bindata.synth.synth_config`).
        It is the room kind's own document (``schemas/room_preset.schema.json``), kept as a
        mapping: :func:`bindata.rooms.load_preset` reads and checks it.
    room : RoomConfig
        Room size and RT60 ranges for presets that give none, clearance, anechoic.
    listener : ListenerConfig
    sources : SourceConfig
    events : EventConfig
    hrir : HRIRConfig
    render : RenderConfig
    mix : MixConfig
    motion : MotionConfig
    head : HeadConfig
    ambience : AmbienceConfig
    directivity : DirectivityConfig

    Examples
    --------
    >>> from bindata.config import SynthConfig, default_config, load_config
    >>> cfg = load_config(overrides={"n_files": 8, "rooms": "office"})
    >>> cfg.n_files, cfg.room_preset, cfg.hrir.source, cfg.sources.near_m
    (8, 'office', 'builtin', (0.4, 2.0))
    >>> cfg.to_json()["rooms"], cfg.to_json()["sources"]["near_m"]
    ('office', [0.4, 2.0])
    >>> SynthConfig.from_json(default_config()).to_json() == default_config()
    True
    >>> SynthConfig.json_keys()["room_preset"], HRIRConfig.json_keys()["source"]
    ('rooms', 'sofa')
    """

    n_files: int
    n_folds: int
    duration_s: float
    sample_rate: int
    max_overlap: int
    room_preset: str | dict | list = json_field("rooms", kind=JSON)
    room: RoomConfig = json_field(kind=SPEC, spec=RoomConfig)
    listener: ListenerConfig = json_field(kind=SPEC, spec=ListenerConfig)
    sources: SourceConfig = json_field(kind=SPEC, spec=SourceConfig)
    events: EventConfig = json_field(kind=SPEC, spec=EventConfig)
    hrir: HRIRConfig = json_field(kind=SPEC, spec=HRIRConfig)
    render: RenderConfig = json_field(kind=SPEC, spec=RenderConfig)
    mix: MixConfig = json_field(kind=SPEC, spec=MixConfig)
    motion: MotionConfig = json_field(kind=SPEC, spec=MotionConfig)
    head: HeadConfig = json_field(kind=SPEC, spec=HeadConfig)
    ambience: AmbienceConfig = json_field(kind=SPEC, spec=AmbienceConfig)
    directivity: DirectivityConfig = json_field(kind=SPEC, spec=DirectivityConfig)

    @classmethod
    def default(cls) -> SynthConfig:
        """The default configuration (``metadata/default_config.json``: the paper's)."""
        return cls.from_json(default_config())

    @classmethod
    def from_recorded(cls, data: dict) -> SynthConfig:
        """The config a dataset recorded (a manifest's ``config``), typed as it is: a key it
        lacks (written before the key existed) takes its default. No value is checked
        (:func:`load_config` checks)."""
        return cls.from_json(_deep_merge(default_config(), data))

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> SynthConfig:
        """The checked configuration of a JSON or TOML file over the defaults
        (:func:`load_config`)."""
        return load_config(path)


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


def _set_dotted(config_json: dict, dotted: str, value: Any) -> None:
    node = config_json
    *parents, leaf = dotted.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value


#: Separators of a room mix written as text (``office:2,classroom,measured/:1``): between
#: entries, and between an entry and its weight.
ROOM_MIX_SEPARATOR, ROOM_WEIGHT_SEPARATOR = ",", ":"


def parse_room_mix(text: str) -> tuple[list[dict] | None, list[str]]:
    """The entries of a room mix written as text, and every problem found in it.

    ``"office:2,classroom,measured/:1"``: entries separated by ``,``, each a room preset name,
    a preset file or a measured room (a SOFA file or a folder of them), followed by
    ``:WEIGHT`` or not (weight 1). ``:`` starts a weight only where the text after it holds no
    path separator (``C:\\rooms`` is a path). A weight must be a positive finite number; an
    entry's chance is its weight over their sum (docs/rooms.md, "Mixed rooms").

    Returns
    -------
    (list of dict or None, list of str)
        ``[{"preset": ..., "weight": float}, ...]`` (the JSON form of config ``rooms``), or
        ``None`` for text that names one preset without a weight; and the problems (empty:
        none), each naming the entry and the rule.

    Examples
    --------
    >>> from bindata.config import parse_room_mix
    >>> parse_room_mix("office:2,classroom")
    ([{'preset': 'office', 'weight': 2.0}, {'preset': 'classroom', 'weight': 1.0}], [])
    >>> parse_room_mix("paper")
    (None, [])
    >>> parse_room_mix("office:0,,lab:x")[1]  # doctest: +NORMALIZE_WHITESPACE
    ["entry 'office:0': weight must be a positive finite number, got '0'",
     'entry 2 of 3 is empty', "entry 'lab:x': weight must be a positive finite number, got 'x'"]
    """
    items = text.split(ROOM_MIX_SEPARATOR)
    entries, problems, weighted = [], [], False
    for k, raw in enumerate(items):
        item = raw.strip()
        if not item:
            problems.append(f"entry {k + 1} of {len(items)} is empty")
            continue
        name, sep, weight_text = item.rpartition(ROOM_WEIGHT_SEPARATOR)
        if not sep or "/" in weight_text or "\\" in weight_text:
            name, weight_text = item, None
        name, weight = name.strip(), 1.0
        if not name:
            problems.append(f"entry {item!r} names no room")
            continue
        if weight_text is not None:
            weighted = True
            try:
                weight = float(weight_text.strip())
            except ValueError:
                weight = math.nan
            if not (math.isfinite(weight) and weight > 0):
                problems.append(
                    f"entry {item!r}: weight must be a positive finite number, "
                    f"got {weight_text.strip()!r}"
                )
                continue
        entries.append({"preset": name, "weight": weight})
    if len(items) == 1 and not weighted and not problems:
        return None, []
    return entries, problems


def _room_mix_problems(config_json: dict) -> list[tuple[str, str]]:
    """Config ``rooms`` written as mix text made its JSON list (one entry: its preset); the
    weights of a mix that are not positive finite numbers, each naming its entry."""
    rooms = config_json.get("rooms")
    if isinstance(rooms, str):
        entries, problems = parse_room_mix(rooms)
        if entries is not None and not problems:
            config_json["rooms"] = entries if len(entries) > 1 else entries[0]["preset"]
        return [("rooms", f"room mix {rooms!r}: {p}") for p in problems]
    problems = []
    for k, entry in enumerate(rooms if isinstance(rooms, list) else []):
        weight = entry.get("weight", 1.0) if isinstance(entry, dict) else 1.0
        number = isinstance(weight, (int, float)) and not isinstance(weight, bool)
        if not (number and math.isfinite(weight) and weight > 0):
            name = entry.get("preset") if isinstance(entry.get("preset"), str) else k + 1
            problems.append(
                (
                    "rooms",
                    f"room mix entry {k + 1} ({name!r}): weight must be a positive finite "
                    f"number, got {weight!r}",
                )
            )
    return problems


def _cross_field_problems(cfg: SynthConfig) -> list[tuple[str, str]]:
    """Rules the schema cannot express; returns (key path, message) pairs."""
    problems = []
    room, sources, events = cfg.room, cfg.sources, cfg.events
    sizes = {
        "room.width_m": room.width_m,
        "room.length_m": room.length_m,
        "room.height_m": room.height_m,
    }
    ranges = {
        **sizes,
        "room.rt60_s": room.rt60_s,
        "listener.yaw_deg": cfg.listener.yaw_deg,
        "sources.near_m": sources.near_m,
        "sources.far_m": sources.far_m,
        "events.per_file": events.n_per_file,
        "events.duration_s": events.duration_s,
        "events.level_db": events.level_db,
        "directivity.alpha": cfg.directivity.alpha,
    }
    problems += _unordered(ranges)
    near, far = sources.near_m, sources.far_m
    if near[1] >= far[0]:
        problems.append(
            (
                "sources.far_m",
                f"far band must start above the near band's end {near[1]} m, got {far[0]} m",
            )
        )
    clearance = room.wall_clearance_m
    for key, (lo, _) in sizes.items():
        if lo <= 2 * clearance:
            problems.append(
                (
                    key,
                    f"smallest size {lo} m leaves no space inside the "
                    f"{clearance} m wall clearance on both sides",
                )
            )
    if cfg.n_files < cfg.n_folds:
        problems.append(("n_files", f"must be >= n_folds ({cfg.n_folds}), got {cfg.n_files}"))
    problems += _motion_problems(cfg)
    problems += _hrir_problems(cfg)
    if events.duration_s[0] > cfg.duration_s:
        problems.append(
            (
                "events.duration_s",
                f"shortest event {events.duration_s[0]} s "
                f"is longer than the file ({cfg.duration_s} s)",
            )
        )
    return problems


def _unordered(ranges: dict[str, tuple]) -> list[tuple[str, str]]:
    """(key path, message) of every range whose lower bound exceeds its upper bound."""
    return [
        (key, f"lower bound must be <= upper bound, got [{lo}, {hi}]")
        for key, (lo, hi) in ranges.items()
        if lo > hi
    ]


def _motion_problems(cfg: SynthConfig) -> list[tuple[str, str]]:
    """Ordered speed, pause and SNR ranges; a head that can turn; a folder given an SNR."""
    motion, head, amb = cfg.motion, cfg.head, cfg.ambience
    ranges = {
        "motion.angular_speed_deg_s": motion.angular_speed_deg_s,
        "motion.linear_speed_m_s": motion.linear_speed_m_s,
        "head.speed_deg_s": head.speed_deg_s,
        "head.pause_s": head.pause_s,
    }
    if amb.snr_db is not None:
        ranges["ambience.snr_db"] = amb.snr_db
    problems = _unordered(ranges)
    if head.turns and head.speed_deg_s[0] <= 0 < head.max_turn_deg:
        problems.append(
            (
                "head.speed_deg_s",
                f"a turning head needs a turning speed > 0 deg/s, got {list(head.speed_deg_s)}",
            )
        )
    if head.turns and head.pause_s[1] <= 0 and head.max_turn_deg <= 0:
        problems.append(
            (
                "head.pause_s",
                "a head track needs pauses or turns that take time, "
                f"got pauses {list(head.pause_s)} and max_turn_deg 0",
            )
        )
    if amb.snr_db is None and amb.source != "diffuse":
        problems.append(
            (
                "ambience.source",
                f"an ambience folder ({amb.source!r}) needs an "
                "SNR range (ambience.snr_db); none was given",
            )
        )
    return problems


def _hrir_problems(cfg: SynthConfig) -> list[tuple[str, str]]:
    """Ordered anthropometric ranges, a calibration band with width, and a split mapping that
    gives every fold (and no other) entries of ``hrir.sofa`` (the files are checked on load)."""
    hrir = cfg.hrir
    ranges = {
        "hrir.head_radius_m": hrir.head_radius_m,
        "hrir.ear_azimuth_deg": hrir.ear_azimuth_deg,
    }
    problems = _unordered({k: v for k, v in ranges.items() if v is not None})
    band = hrir.calibration_band_hz
    if band is not None and band[0] >= band[1]:
        problems.append(
            ("hrir.calibration_band_hz", f"low must be below high, got [{band[0]}, {band[1]}]")
        )
    split = hrir.split
    if isinstance(split, dict):
        folds = {str(k) for k in range(1, cfg.n_folds + 1)}
        extra = sorted((k for k in split if k not in folds), key=str)
        if any(not isinstance(k, str) for k in split):
            problems.append(("hrir.split", 'folds are named by strings ("1", "2", ...)'))
        elif extra:
            problems.append(
                ("hrir.split", f"names fold(s) {extra}, but there are folds 1-{cfg.n_folds}")
            )
        empty = [k for k in range(1, cfg.n_folds + 1) if not split.get(str(k))]
        if empty:
            problems.append(
                (
                    "hrir.split",
                    f"leaves fold(s) {empty} without heads; every fold needs at least one HRIR set",
                )
            )
        listed = {e for entries in split.values() for e in entries}
        unknown = sorted(listed - set(hrir.sources))
        if unknown:
            problems.append(
                (
                    "hrir.split",
                    f"names {unknown}, which hrir.sofa does not list ({list(hrir.sources)})",
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
    path: str | os.PathLike | dict | SynthConfig | None = None,
    *,
    overrides: dict[str, Any] | None = None,
    flag_names: dict[str, str] | None = None,
) -> SynthConfig:
    """Defaults, updated by a config file, updated by dotted-key overrides; then validated.

    Parameters
    ----------
    path : path-like, dict or SynthConfig, optional
        A JSON or TOML file with any subset of the keys of ``metadata/default_config.json``, or
        such a dict itself (a manifest's ``config``, say; its values are named ``config: key``),
        or a :class:`SynthConfig` (checked again, with the overrides).
    overrides : dict, optional
        ``{"room.rt60_s": [0.3, 0.5], "n_files": 10}``; ``None`` values are ignored.
    flag_names : dict, optional
        Dotted key -> the name the user typed to set it, so that errors name it: a CLI flag
        (``{"n_files": "--n"}``) or a library option (``{"room.rt60_s": "rt60_s"}``). A name
        is used only when its override was given.

    Returns
    -------
    SynthConfig
        The complete, checked configuration (``.to_json()``: as a manifest records it).

    Raises
    ------
    ConfigError
        Listing every problem as ``<name> <rule>, got <value>`` for a key set by a named
        override, ``FILE: key.path: <rule>, got <value>`` for a value from the config file, or
        ``config: key.path (default): ...``. NaN and infinity are refused for every number.

    Examples
    --------
    >>> from bindata.config import load_config
    >>> load_config(overrides={"n_files": 8, "room.rt60_s": [0.3, 0.5]}).room.rt60_s
    (0.3, 0.5)
    >>> load_config(overrides={"n_files": 0}, flag_names={"n_files": "n_files"})
    Traceback (most recent call last):
    ...
    bindata.errors.ConfigError: invalid configuration: n_files must be >= 1, got 0
    """
    merged = default_config()
    file_keys: list[str] = []
    if isinstance(path, SynthConfig):
        path = path.to_json()
    if isinstance(path, dict):
        data, path = copy.deepcopy(path), "config"
    elif path is not None:
        data = read_config_file(path)
    if path is not None:
        file_keys = _leaf_paths(data)
        merged = _deep_merge(merged, data)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    for key, value in given.items():
        _set_dotted(merged, key, value)
    flags = {k: f for k, f in (flag_names or {}).items() if k in given}
    sources = _Sources(path, file_keys, list(given), flags)
    problems = _room_mix_problems(merged)
    problems += [p for p in _non_finite(merged) if not (problems and _within(p[0], "rooms"))]
    bad = {key for key, _ in problems}
    for key, message in _schema_problems(merged):
        if not any(_within(key, b) or _within(b, key) for b in bad):
            problems.append((key, message))
    if not problems:
        config = SynthConfig.from_json(merged)  # the schema held: every key is there, and known
        problems = _cross_field_problems(config)
    if problems:
        typed = set(flags.values())
        raise ConfigError(
            "invalid configuration: "
            + "; ".join(_phrase(sources.name(key), message, typed) for key, message in problems)
        )
    return config


def _schema_problems(config_json: dict) -> list[tuple[str, str]]:
    """Schema violations as (key path, message) pairs."""
    out = []
    for problem in validate_against_schema(config_json, "config", what="config"):
        key, message = problem.removeprefix("config: ").split(": ", 1)
        out.append((key, message))
    return out


def _phrase(source: str, message: str, typed: set[str]) -> str:
    """``--n must be >= 1`` for a name the user typed, ``FILE: key: must be ...`` otherwise."""
    return f"{source} {message}" if source in typed else f"{source}: {message}"
