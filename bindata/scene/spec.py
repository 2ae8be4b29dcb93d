"""The scene, typed: what ``scenes/<stem>.json`` holds (``schemas/scene.schema.json``).

:class:`Scene` is what the sampler draws (:func:`bindata.scene.sample.sample_scene`), the mix
renders, the labels are made from, and ``bindata validate``, ``report``, ``plot`` and
``regen`` read. :meth:`Scene.from_json` and :meth:`Scene.to_json` read and write the JSON
object exactly (:mod:`bindata.jsonspec`): ``json_text(scene.to_json())`` is the file synth
writes, byte for byte.

Typed here: what every scene has (its identity, the listener, render and mix settings, the
HRIR set's and event library's records, each event's common fields, the render settings of
moving scenes). Kept as mappings, each read by the code of its kind:

* the **room** (:class:`SceneRoom`): the description its room kind drew (``kind``; absent:
  ``shoebox``), plus ``anechoic``. Its other keys are the kind's own (a shoebox's
  ``dimensions_m`` and ``rt60_s`` or materials, a measured room's SOFA file, a third-party
  kind's anything: docs/rooms.md) and are checked by that kind (``check``, ``render``), so
  :class:`SceneRoom` holds the description as it is and names the common keys only;
* an event's **path** and the scene's **head** track: kind-tagged records (``static``,
  ``arc``, ``line``; ``static``, ``keyframes``) read by :mod:`bindata.scene.motion`
  (:func:`~bindata.scene.motion.source_positions`, :func:`~bindata.scene.motion.head_yaw_deg`);
* the **ambience** record (``diffuse``, ``recorded``), read by
  :func:`bindata.render.ambience.ambience_signal`.

Their shapes are checked by the scene schema when a scene is read
(:func:`bindata.dataset.load_scene`).

Python names differ from the keys on disk where a key alone does not say enough:

========================================  ========================
Python                                    JSON
========================================  ========================
``SceneEvent.source_index``               ``source``
``SceneHRIR.source``                      ``hrir.spec``
``SceneEventLibrary.source``              ``event_library.spec``
========================================  ========================
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from ..config import MixConfig, RenderConfig
from ..errors import SceneError
from ..jsonspec import JSON, SPEC, SPECS, TUPLE, JsonSpec, json_field

#: A point or vector in room coordinates ``(x, y, z)``, metres.
Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class _SceneSpec(JsonSpec):
    """A part of a scene."""

    error: ClassVar[type[SceneError]] = SceneError
    what: ClassVar[str] = "scene"


@dataclass(frozen=True)
class Listener(_SceneSpec):
    """Scene ``listener``: the head's position and initial yaw (no pitch or roll).

    Room kinds draw it (``sample_listener`` returns its JSON object) and render with it.

    Attributes
    ----------
    position_m : (float, float, float)
        The head centre in room coordinates (metres).
    yaw_deg : float
        Degrees, counter-clockwise from the room's +x axis; a ``head`` track starts here.

    Examples
    --------
    >>> from bindata.scene.spec import Listener
    >>> Listener.from_json({"position_m": [2.0, 3.0, 1.5], "yaw_deg": 90.0}).position_m
    (2.0, 3.0, 1.5)
    """

    position_m: Vec3 = json_field(kind=TUPLE)
    yaw_deg: float


@dataclass(frozen=True)
class SceneRoom(_SceneSpec):
    """Scene ``room``: the description drawn by a room kind, kept as a mapping.

    Its keys depend on the kind (docs/rooms.md), which checks them; only ``kind`` (absent:
    ``shoebox``, :data:`bindata.rooms.registry.DEFAULT_KIND`) and ``anechoic`` are common.
    Pass :attr:`description` to the kind's methods (:func:`bindata.rooms.kind_of`).

    Attributes
    ----------
    description : dict
        The room's JSON object as the kind drew it, with ``kind`` and ``anechoic``. Read it
        only: the spec is frozen, its copies are made on reading and writing JSON.

    Examples
    --------
    >>> from bindata.scene.spec import SceneRoom
    >>> room = SceneRoom.from_json({"kind": "shoebox", "preset": "paper",
    ...                             "dimensions_m": [7.0, 8.0, 3.0], "rt60_s": 0.5,
    ...                             "anechoic": False})
    >>> room.kind, room.preset, room.anechoic, room.description["dimensions_m"]
    ('shoebox', 'paper', False, [7.0, 8.0, 3.0])
    """

    description: dict

    @classmethod
    def _read_json(cls, data, *, where: str, problems: list[str]) -> SceneRoom | None:
        """The room of a scene: any JSON object with ``anechoic`` (its kind checks the rest)."""
        if not isinstance(data, Mapping):
            problems.append(f"{where or '<root>'}: must be an object, got {type(data).__name__}")
            return None
        if "anechoic" not in data:
            problems.append(f"{where + '.' if where else ''}anechoic: missing")
            return None
        return cls(copy.deepcopy(dict(data)))

    def to_json(self) -> dict:
        """The room's JSON object (a copy of :attr:`description`)."""
        return copy.deepcopy(self.description)

    @classmethod
    def json_keys(cls) -> dict[str, str]:
        """None of its own: :attr:`description` is the whole ``room`` object."""
        return {}

    @property
    def kind(self) -> str | None:
        """The room kind's name (``None``: a scene written before kinds existed, a shoebox)."""
        return self.description.get("kind")

    @property
    def anechoic(self) -> bool:
        """Whether only the direct path is rendered."""
        return bool(self.description["anechoic"])

    @property
    def preset(self) -> str | None:
        """The name of the preset the room was drawn from, where the kind records it."""
        return self.description.get("preset")

    def __getitem__(self, key: str):
        """``room[key]``: a key of the description (the dict form of earlier versions)."""
        return self.description[key]

    def get(self, key: str, default=None):
        """``room.get(key, default)``: a key of the description."""
        return self.description.get(key, default)

    def __contains__(self, key: str) -> bool:
        """Whether the description has ``key``."""
        return key in self.description


@dataclass(frozen=True)
class SceneHRIR(_SceneSpec):
    """Scene ``hrir``: the record of the HRIR set the scene was drawn and is rendered with.

    The optional keys are absent in scenes written by earlier versions (``None`` here).

    Attributes
    ----------
    source : str
        The HRIR model (``"builtin"``) or the SOFA file the scene renders through (JSON
        ``spec``; one of the heads of config ``hrir.sofa``).
    nearfield : bool or None
        Near-field shells synthesised from a single-distance set.
    name : str or None
        The set's name.
    distances_m : tuple of float or None
        Its distance shells (metres).
    calibration : str or None
        ``"reference"``, ``"diffuse"``, ``"equalised"`` or ``"raw"`` (absent: written before
        the option existed, ``"raw"``; :mod:`bindata.hrir.calibration`).
    calibration_gain_db : float or None
        The gain the calibration applied (``"equalised"``: the frontal gain before the
        equalisation filter).
    sha256 : str or None
        The SOFA file's SHA-256 (not for an HRIR model).
    calibration_band_hz : tuple of float or None
        Band of the calibration level (absent: 250 Hz-2 kHz).
    head_radius_m, ear_azimuth_deg : float or None
        A model head's drawn radius (m) and left-ear azimuth (degrees); absent: the model's
        own (docs/hrir.md).
    """

    source: str = json_field("spec")
    nearfield: bool | None = json_field(optional=True)
    name: str | None = json_field(optional=True)
    distances_m: tuple[float, ...] | None = json_field(kind=TUPLE, optional=True)
    calibration: str | None = json_field(optional=True)
    calibration_gain_db: float | None = json_field(optional=True)
    sha256: str | None = json_field(optional=True)
    calibration_band_hz: tuple[float, float] | None = json_field(kind=TUPLE, optional=True)
    head_radius_m: float | None = json_field(optional=True)
    ear_azimuth_deg: float | None = json_field(optional=True)

    @property
    def parameters(self) -> dict[str, float]:
        """The drawn head parameters, by name (``{}`` for a head as its model makes it)."""
        return {
            name: value
            for name, value in (
                ("head_radius_m", self.head_radius_m),
                ("ear_azimuth_deg", self.ear_azimuth_deg),
            )
            if value is not None
        }


@dataclass(frozen=True)
class SceneEventLibrary(_SceneSpec):
    """Scene ``event_library``: the record of the event library the sounds come from.

    Attributes
    ----------
    source : str
        ``"builtin"`` or the folder (JSON ``spec``; config ``events.library``).
    kind : str or None
        The library's kind (``procedural``, ``folder``).
    classes : tuple of str or None
        Its sorted class names (``class_index`` indexes them).
    """

    source: str = json_field("spec")
    kind: str | None = json_field(optional=True)
    classes: tuple[str, ...] | None = json_field(kind=TUPLE, optional=True)


@dataclass(frozen=True)
class MotionRender(_SceneSpec):
    """Scene ``motion_render``: how moving events are rendered (config ``motion``).

    Attributes
    ----------
    early_s : float
        Seconds after the latest direct sound rendered block by block.
    max_step_deg : float
        Largest direction change per block (degrees).
    """

    early_s: float
    max_step_deg: float


@dataclass(frozen=True)
class SceneEvent(_SceneSpec):
    """One event of a scene (``events[k]``): its sound, time, level and source position.

    Attributes
    ----------
    source_index : int
        The event's source index within the file (JSON ``source``; the metadata's
        ``source`` column).
    label : str
        Its class.
    class_index : int
        Index of ``label`` in the event library's sorted classes.
    sound_id : str
        The sound of the library it plays.
    onset_s, duration_s : float
        On the 100 ms label grid (seconds).
    level_db : float
        dB re full scale, for a source at 1 m.
    band : str
        ``"near"`` or ``"far"``.
    position_m : (float, float, float)
        The source in room coordinates (a moving source: where its path starts).
    azimuth_deg, elevation_deg, distance_m : float
        ``position_m`` seen from the listener's initial pose.
    path : dict or None
        A moving source's path (``arc`` or ``line``: :mod:`bindata.scene.motion`), kept as
        its JSON object; ``None``: static at ``position_m``.
    directivity : dict or None
        The source's directivity (:mod:`bindata.scene.radiation`), kept as its JSON object:
        ``{"pattern": "cardioid", "alpha": a, "order": n}`` or ``{"pattern": "sofa", "file":
        path, "sha256": hex}``; ``None``: omnidirectional (and absent from the JSON).
    orientation_deg : (float, float) or None
        The source's axis in the room frame: azimuth counter-clockwise from +x and elevation,
        degrees (held along a path); ``None`` for an omnidirectional source.
    """

    source_index: int = json_field("source")
    label: str
    class_index: int
    sound_id: str
    onset_s: float
    duration_s: float
    level_db: float
    band: str
    position_m: Vec3 = json_field(kind=TUPLE)
    azimuth_deg: float
    elevation_deg: float
    distance_m: float
    path: dict | None = json_field(kind=JSON, optional=True)
    directivity: dict | None = json_field(kind=JSON, optional=True)
    orientation_deg: tuple[float, float] | None = json_field(kind=TUPLE, optional=True)

    @property
    def source_path(self) -> dict:
        """The path, or a ``static`` one at :attr:`position_m` for a static source."""
        if self.path is not None:
            return self.path
        return {"kind": "static", "position_m": list(self.position_m)}


@dataclass(frozen=True)
class Scene(_SceneSpec):
    """A fully instantiated scene: with the same event library and HRIR set it regenerates its
    file's audio and labels exactly (``bindata regen``).

    Attributes
    ----------
    schema_version : int
    bindata_version : str
    stem : str
        ``fold<k>_room<NNNN>_mix001``.
    file_index : int
    fold : int
    seed : int
        The run's seed (the file draws from ``(seed, file_index)``).
    duration_s : float
    sample_rate : int
    max_overlap : int
    room : SceneRoom
        The room kind's description (a mapping, see :class:`SceneRoom`).
    listener : Listener
    render : RenderConfig
        The config's ``render`` section.
    mix : MixConfig
        The config's ``mix`` section.
    hrir : SceneHRIR
    event_library : SceneEventLibrary
    events : tuple of SceneEvent
    head : dict or None
        The head's yaw track (``keyframes``), kept as its JSON object; ``None``: still at
        ``listener.yaw_deg``.
    motion_render : MotionRender or None
        Present when an event moves or the head turns.
    ambience : dict or None
        The ambience record (``diffuse`` or ``recorded``), kept as its JSON object; ``None``:
        no ambience.
    room_entry : int or None
        The entry of the config's room mix the room was drawn from (index into config
        ``rooms``, :mod:`bindata.rooms.mix`); ``None`` for a config of one room.

    Examples
    --------
    >>> import bindata
    >>> syn = bindata.Synthesizer(seed=0, duration_s=3, n_files=4)
    >>> scene = syn.sample(1)
    >>> scene.stem, scene.room.kind, scene.events[0].band in ("near", "far")
    ('fold2_room0002_mix001', 'shoebox', True)
    >>> from bindata.scene.spec import Scene
    >>> Scene.from_json(scene.to_json()) == scene
    True
    >>> scene.to_json()["events"][0]["source"] == scene.events[0].source_index
    True
    """

    schema_version: int
    bindata_version: str
    stem: str
    file_index: int
    fold: int
    seed: int
    duration_s: float
    sample_rate: int
    max_overlap: int
    room: SceneRoom = json_field(kind=SPEC, spec=SceneRoom)
    listener: Listener = json_field(kind=SPEC, spec=Listener)
    render: RenderConfig = json_field(kind=SPEC, spec=RenderConfig)
    mix: MixConfig = json_field(kind=SPEC, spec=MixConfig)
    hrir: SceneHRIR = json_field(kind=SPEC, spec=SceneHRIR)
    event_library: SceneEventLibrary = json_field(kind=SPEC, spec=SceneEventLibrary)
    events: tuple[SceneEvent, ...] = json_field(kind=SPECS, spec=SceneEvent)
    head: dict | None = json_field(kind=JSON, optional=True)
    motion_render: MotionRender | None = json_field(kind=SPEC, spec=MotionRender, optional=True)
    ambience: dict | None = json_field(kind=JSON, optional=True)
    room_entry: int | None = json_field(optional=True)

    @property
    def head_track(self) -> dict:
        """The head track, or a ``static`` one at the listener's yaw for a still head."""
        if self.head is not None:
            return self.head
        return {"kind": "static", "yaw_deg": self.listener.yaw_deg}

    @property
    def head_turns(self) -> bool:
        """Whether the head's yaw changes during the file."""
        return self.head is not None and self.head.get("kind") != "static"


__all__ = [
    "Listener",
    "MotionRender",
    "Scene",
    "SceneEvent",
    "SceneEventLibrary",
    "SceneHRIR",
    "SceneRoom",
    "Vec3",
]
