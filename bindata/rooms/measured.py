"""The ``measured`` room kind: rooms measured (or rendered elsewhere) as binaural SOFA files.

A preset names the files (docs/rooms.md, "A measured room (SOFA)"): ``SingleRoomMIMOSRIR``,
``MultiSpeakerBRIR`` or binaural ``SingleRoomSRIR`` (:mod:`.sofa_brir`)::

    {"name": "lab", "kind": "measured", "description": "...", "files": ["a.sofa", "b.sofa"]}

(``--rooms FILE.sofa`` and ``--rooms DIR``, every ``*.sofa`` of it, make such a preset; paths of
a preset file are relative to it). Description (the scene's ``room``)::

    {"kind": "measured", "preset": name, "file": absolute path, "file_sha256": ..., "measurement": m,
     "n_measurements": M, "n_emitters": E, "sample_rate_hz": file rate, "rt60_s": null,
     "calibration": "reference" | "raw", "calibration_gain_db": g}

Draw order from the room stream: the file (uniform among the preset's), then the measurement
(uniform among the file's M). The listener is the measurement's (position, yaw; the config's yaw
range is not used). A source is one of the measurement's emitters whose distance from the
listener lies in the band, drawn uniformly from the sources stream; its labels follow from the
file's geometry relative to the listener's view (:mod:`bindata.scene`).

Direct arrival: geometry, ``onset_samples = |emitter - listener| / c * fs`` with ``c`` the
config's ``render.speed_of_sound`` and ``fs`` the dataset's rate, after ``Data.Delay`` has been
applied (sample 0 = emission, AES69's time convention; :mod:`.sofa_brir`). A file whose responses
carry an unknown system latency should have it removed (or given in ``Data.Delay``) first.

Level (config ``room.measured_calibration``): ``"reference"`` (the default) scales the file's
responses by the gain of :func:`bindata.rooms.level.calibration_gain_db`, so that a source at
``r`` metres has the direct level of a simulated room's source at ``r``; ``"raw"`` uses them as
stored. The description records both; a description without them (written before the option
existed) is rendered raw.
"""

from __future__ import annotations

import numpy as np

from ..config import RenderConfig, SynthConfig
from ..errors import ConfigError, SceneError
from ..render.brir import BRIR
from .base import RoomKind
from .level import CALIBRATIONS, calibration_gain_db
from .registry import load_preset
from .sofa_brir import load_measured_room, measured_geometry, resampled

#: Largest distance (metres) between a scene's source position and the emitter it stands for.
POSITION_TOL_M = 1e-6


#: Largest difference (dB) between a recorded calibration gain and the file's.
GAIN_TOL_DB = 1e-4


def _bands_needed(cfg: SynthConfig) -> list[str]:
    frac = cfg.sources.near_fraction
    return [b for b, needed in (("near", frac > 0), ("far", frac < 1)) if needed]


def _has_band(room, m: int, band_m) -> bool:
    dist = room.distances_m(m)
    return bool(np.any((dist >= band_m[0]) & (dist <= band_m[1])))


def _calibration(cfg: SynthConfig) -> str:
    """The config's measured-room level (``"reference"`` where a config does not say)."""
    return cfg.room.measured_calibration or "reference"


def _check_bands(room, cfg: SynthConfig) -> None:
    """Every measurement of ``room`` must have an emitter in every band the config uses."""
    for m in range(room.n_measurements):
        dist = room.distances_m(m)
        for band in _bands_needed(cfg):
            lo, hi = cfg.sources.band_m(band)
            if not _has_band(room, m, (lo, hi)):
                where = f" (measurement {m})" if room.n_measurements > 1 else ""
                other = "near" if band == "far" else "far"
                only = 1.0 if band == "far" else 0.0
                shown = np.round(np.sort(dist[np.isfinite(dist)]), 2).tolist()
                raise ConfigError(
                    f"measured room {room.path}{where}: no emitter in the {band} band "
                    f"[{lo}, {hi}] m (emitters at {shown} m from "
                    f"the listener); the config's sources need that band. To use this room for "
                    f"its {other} band only, set sources.near_fraction to {only} (every event "
                    f"{other}), or mix it with rooms that have the {band} band (a room mix "
                    f"serves each band from the rooms that cover it); or widen "
                    f"sources.{band}_m to reach a measured distance",
                    key="sources.near_fraction",
                )


class MeasuredKind(RoomKind):
    """Rooms read from binaural SOFA files; sources only at the measured emitters."""

    name = "measured"
    renders_any_position = False

    def check_preset(self, preset: dict, *, where: str) -> None:
        """Every file must exist and read as a measured binaural room."""
        for path in preset["files"]:
            measured_geometry(path)

    def bands_covered(self, preset: dict, cfg: SynthConfig) -> tuple[str, ...]:
        """The distance bands (``"near"``, ``"far"``) in which every measurement of every file
        of ``preset`` has an emitter: the bands the preset can serve in a room mix."""
        rooms = [measured_geometry(p) for p in preset["files"]]
        return tuple(
            band
            for band in ("near", "far")
            if all(
                _has_band(room, m, cfg.sources.band_m(band))
                for room in rooms
                for m in range(room.n_measurements)
            )
        )

    def draw(self, preset: dict, cfg: SynthConfig, rng: np.random.Generator) -> dict:
        if cfg.room.anechoic:
            raise ConfigError(
                f"room preset {preset['name']!r}: a measured room cannot be "
                "rendered anechoic (its responses hold the room)",
                key="anechoic",
            )
        rooms = [measured_geometry(p) for p in preset["files"]]
        for room in rooms:
            _check_bands(room, cfg)
        room = rooms[int(rng.integers(len(rooms)))]
        m = int(rng.integers(room.n_measurements))
        calibration = _calibration(cfg)
        if calibration not in CALIBRATIONS:
            raise ConfigError(
                f"room.measured_calibration must be one of {', '.join(CALIBRATIONS)}, got "
                f"{calibration!r}",
                key="room.measured_calibration",
            )
        gain = calibration_gain_db(room.path) if calibration == "reference" else 0.0
        return {
            "preset": preset["name"],
            "file": str(room.path),
            "file_sha256": room.sha256,
            "measurement": m,
            "n_measurements": room.n_measurements,
            "n_emitters": int(room.emitters_m.shape[1]),
            "sample_rate_hz": room.sample_rate,
            "rt60_s": None,
            "calibration": calibration,
            "calibration_gain_db": gain,
        }

    def _room(self, description: dict, *, error=SceneError, responses: bool = False):
        load = load_measured_room if responses else measured_geometry
        room = load(description["file"])
        if room.sha256 != description["file_sha256"]:
            raise error(
                f"measured room {room.path}: its sha256 is {room.sha256}, the scene was "
                f"made from {description['file_sha256']}: the file changed"
            )
        if not 0 <= description["measurement"] < room.n_measurements:
            raise error(
                f"measured room {room.path}: measurement {description['measurement']} "
                f"does not exist (the file holds {room.n_measurements})"
            )
        return room

    def sample_listener(
        self, description: dict, cfg: SynthConfig, rng: np.random.Generator
    ) -> dict:
        room, m = self._room(description), description["measurement"]
        return {
            "position_m": [float(v) for v in room.listener_m[m]],
            "yaw_deg": float(room.yaw_deg[m]),
        }

    def sample_source(
        self, description: dict, cfg: SynthConfig, listener, band_m, rng: np.random.Generator
    ):
        room, m = self._room(description), description["measurement"]
        dist = room.distances_m(m)
        candidates = np.flatnonzero((dist >= band_m[0]) & (dist <= band_m[1]))
        if candidates.size == 0:
            return None
        return [float(v) for v in room.emitters_m[m, candidates[rng.integers(candidates.size)]]]

    def emitter_of(self, description: dict, point_m) -> int | None:
        """Index of the measurement's emitter at ``point_m`` (room frame), or None."""
        room, m = self._room(description), description["measurement"]
        gap = np.linalg.norm(room.emitters_m[m] - np.asarray(point_m, dtype=float), axis=1)
        gap = np.where(np.isfinite(gap), gap, np.inf)  # a missing emitter is no position
        e = int(np.argmin(gap))
        return e if gap[e] <= POSITION_TOL_M else None

    def contains(self, description: dict, point_m, *, tol: float = 0.0) -> bool:
        """Whether ``point_m`` is the measured listener or one of the emitters (the only points
        a measured room can render)."""
        try:
            room, m = self._room(description), description["measurement"]
        except (ConfigError, SceneError):
            return False
        p = np.asarray(point_m, dtype=float)
        if np.linalg.norm(room.listener_m[m] - p) <= max(tol, POSITION_TOL_M):
            return True
        return self.emitter_of(description, p) is not None

    def render(
        self,
        description: dict,
        *,
        listener,
        source_m,
        hrirset,
        render_cfg: RenderConfig,
        anechoic: bool,
    ):
        if anechoic:
            raise ConfigError("a measured room cannot be rendered anechoic", key="anechoic")
        room, m = self._room(description, responses=True), description["measurement"]
        e = self.emitter_of(description, source_m)
        if e is None:
            raise SceneError(
                f"measured room {room.path}: source position {list(source_m)} is "
                f"not one of measurement {m}'s emitters"
            )
        fs = int(hrirset.sample_rate)
        ir = resampled(room.ir[m, :, e, :], room.sample_rate, fs)
        gain_db = float(description.get("calibration_gain_db", 0.0))
        if gain_db:
            ir = ir * 10.0 ** (gain_db / 20.0)
        r = float(room.distances_m(m)[e])
        c = float(render_cfg.speed_of_sound)
        return BRIR(
            ir=np.ascontiguousarray(ir),
            sample_rate=fs,
            direct_delay_s=r / c,
            direct_distance_m=r,
            n_images=1,
            onset_samples=r / c * fs,
        )

    def check(self, description: dict, cfg: SynthConfig) -> list[str]:
        problems = []
        try:
            room = self._room(description, error=ConfigError)
        except ConfigError as exc:
            return [str(exc)]
        except Exception as exc:  # a file no longer readable as a room
            return [f"measured room {description.get('file')}: {exc}"]
        try:
            preset = load_preset(cfg.room_preset)
        except ConfigError:
            preset = None
        if preset is not None and str(room.path) not in [str(p) for p in preset.get("files", [])]:
            problems.append(f"measured room {room.path} is not a file of the config's preset")
        if int(description.get("n_emitters", -1)) != room.emitters_m.shape[1]:
            problems.append(
                f"measured room {room.path}: n_emitters must be "
                f"{room.emitters_m.shape[1]}, got {description.get('n_emitters')}"
            )
        return problems + self._level_problems(room, description, cfg)

    def _level_problems(self, room, description: dict, cfg: SynthConfig) -> list[str]:
        """The recorded level against the config's and the file's (none for a description
        written before levels were recorded: rendered raw)."""
        if "calibration" not in description:
            return []
        calibration, gain = description["calibration"], description.get("calibration_gain_db")
        if cfg.room.measured_calibration is not None and calibration != _calibration(cfg):
            return [
                f"measured room {room.path}: calibration must be {_calibration(cfg)!r} (config "
                f"room.measured_calibration), got {calibration!r}"
            ]
        try:
            want = calibration_gain_db(room.path) if calibration == "reference" else 0.0
        except ConfigError as exc:
            return [str(exc)]
        if not isinstance(gain, (int, float)) or abs(gain - want) > GAIN_TOL_DB:
            return [
                f"measured room {room.path}: calibration_gain_db must be {want} "
                f"({calibration} level of the file), got {gain!r}"
            ]
        return []

    def summary(self, description: dict) -> dict:
        from pathlib import Path

        return {
            "dimensions_m": None,
            "volume_m3": None,
            "rt60_s": None,
            "label": f"{description.get('preset', self.name)}: {Path(description['file']).name}",
        }


__all__ = ["GAIN_TOL_DB", "MeasuredKind", "POSITION_TOL_M"]
