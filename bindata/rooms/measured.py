"""The ``measured`` room kind: rooms measured (or rendered elsewhere) as ``MultiSpeakerBRIR`` SOFA.

A preset names the files (docs/rooms.md, "A measured room (SOFA)")::

    {"name": "lab", "kind": "measured", "description": "...", "files": ["a.sofa", "b.sofa"]}

(``--rooms FILE.sofa`` and ``--rooms DIR``, every ``*.sofa`` of it, make such a preset; paths of
a preset file are relative to it). Description (the scene's ``room``)::

    {"kind": "measured", "preset": name, "file": absolute path, "file_sha256": ..., "measurement": m,
     "n_measurements": M, "n_emitters": E, "sample_rate_hz": file rate, "rt60_s": null}

Draw order from the room stream: the file (uniform among the preset's), then the measurement
(uniform among the file's M). The listener is the measurement's (position, yaw; the config's yaw
range is not used). A source is one of the measurement's emitters whose distance from the
listener lies in the band, drawn uniformly from the sources stream; its labels follow from the
file's geometry relative to the listener's view (:mod:`bindata.scene`).

Direct arrival: geometry, ``onset_samples = |emitter - listener| / c * fs`` with ``c`` the
config's ``render.speed_of_sound`` and ``fs`` the dataset's rate, after ``Data.Delay`` has been
applied (sample 0 = emission, AES69's time convention; :mod:`.sofa_brir`). A file whose responses
carry an unknown system latency should have it removed (or given in ``Data.Delay``) first.
Levels: the responses are used as stored (no 1/r or HRIR calibration is applied).
"""

from __future__ import annotations

import numpy as np

from ..config import RenderConfig, SynthConfig
from ..errors import ConfigError, SceneError
from ..render.brir import BRIR
from .base import RoomKind
from .registry import load_preset
from .sofa_brir import load_measured_room, measured_geometry, resampled

#: Largest distance (metres) between a scene's source position and the emitter it stands for.
POSITION_TOL_M = 1e-6


def _bands_needed(cfg: SynthConfig) -> list[str]:
    frac = cfg.sources.near_fraction
    return [b for b, needed in (("near", frac > 0), ("far", frac < 1)) if needed]


def _check_bands(room, cfg: SynthConfig) -> None:
    """Every measurement of ``room`` must have an emitter in every band the config uses."""
    for m in range(room.n_measurements):
        dist = room.distances_m(m)
        for band in _bands_needed(cfg):
            lo, hi = cfg.sources.band_m(band)
            if not np.any((dist >= lo) & (dist <= hi)):
                where = f" (measurement {m})" if room.n_measurements > 1 else ""
                other = "near" if band == "far" else "far"
                only = 1.0 if band == "far" else 0.0
                raise ConfigError(
                    f"measured room {room.path}{where}: no emitter in the {band} band "
                    f"[{lo}, {hi}] m (emitters at {np.round(np.sort(dist), 2).tolist()} m from "
                    f"the listener); the config's sources need that band. To use this room for "
                    f"its {other} band only, set sources.near_fraction to {only} (every event "
                    f"{other}); or widen sources.{band}_m to reach a measured distance",
                    key="sources.near_fraction",
                )


class MeasuredKind(RoomKind):
    """Rooms read from ``MultiSpeakerBRIR`` files; sources only at the measured emitters."""

    name = "measured"
    renders_any_position = False

    def check_preset(self, preset: dict, *, where: str) -> None:
        """Every file must exist and read as a measured binaural room."""
        for path in preset["files"]:
            measured_geometry(path)

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
        return {
            "preset": preset["name"],
            "file": str(room.path),
            "file_sha256": room.sha256,
            "measurement": m,
            "n_measurements": room.n_measurements,
            "n_emitters": int(room.emitters_m.shape[1]),
            "sample_rate_hz": room.sample_rate,
            "rt60_s": None,
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
        return problems

    def summary(self, description: dict) -> dict:
        from pathlib import Path

        return {
            "dimensions_m": None,
            "volume_m3": None,
            "rt60_s": None,
            "label": f"{description.get('preset', self.name)}: {Path(description['file']).name}",
        }


__all__ = ["MeasuredKind", "POSITION_TOL_M"]
