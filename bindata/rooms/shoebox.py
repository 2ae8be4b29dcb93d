"""The ``shoebox`` room kind: a rectangular room, flat (the paper's) or with six materials.

Description (the scene's ``room``), flat (a preset without ``surfaces``, e.g. ``paper``)::

    {"kind": "shoebox", "preset": "paper", "dimensions_m": [x, y, z], "rt60_s": T}

rendered by :func:`bindata.render.render_brir` (one calibrated reflection coefficient; a source
with a measured, frequency-dependent directivity is rendered per octave band instead, every
surface absorbing ``1 - beta^2`` in every band, without air).
With materials::

    {"kind": "shoebox", "preset": ..., "dimensions_m": [...], "bands_hz": [125, ..., 8000],
     "surfaces": {"floor": {"material": name, "absorption": [7 values]}, ... six surfaces},
     "air": {"temperature_c", "humidity_pct", "pressure_kpa", "attenuation_db_per_m": [7]}
            or null,
     "absorption_scale": k, "rt60_s": mid-frequency model RT60,
     "rt60_bands_s": {"125": ..., ...}, "rt60_eyring_s": {"125": ..., ...},
     "decay_time_s": length of the rendered reflections}

rendered by :func:`bindata.render.bands.render_band_brir`; the absorption stored is the one
rendered (after the scaling ``1 - (1 - alpha) ** k`` that meets a mid-frequency RT60 target),
``rt60_bands_s`` its image-source model prediction (:mod:`bindata.rooms.acoustics`).
A preset with ``"late_reverb": "diffuse"`` adds ``"late_reverb": {"model": "diffuse", "seed":
n}``: image sources until 30 ms after the direct sound, then a diffuse tail
(:mod:`bindata.render.diffuse_tail`); its ``rt60_bands_s`` is then Eyring's, the decay of a
diffuse field, and an RT60 target scales the materials to Eyring's mid-frequency RT60.
Draw order from the room stream: width, length, height, then the RT60 (flat, or the target),
then one material per surface in :data:`~bindata.rooms.acoustics.SURFACES` order, then the
air's temperature and humidity, then (diffuse late reverb) the tail's seed; a preset with
``rt60_ratio_max`` repeats the draws from the materials on while two adjacent octave bands'
predicted RT60s differ by more than that factor (at most :data:`MAX_MATERIAL_DRAWS` times).
"""

from __future__ import annotations

import numpy as np

from ..config import RenderConfig, SynthConfig
from ..errors import ConfigError
from ..render.bands import render_band_brir
from ..render.brir import HIGHPASS_HZ, render_brir
from ..render.diffuse_tail import FADE_S, TRANSITION_S, tail_rng
from ..render.path import PathBRIR, flat_shoebox_early, split_sample
from ..render.path_bands import band_shoebox_early
from ..render.shoebox import ShoeboxRoom, decay_time_s, reflection_coefficient
from ..seeding import uniform
from .acoustics import (
    MID_BANDS_HZ,
    OCTAVE_BANDS_HZ,
    SURFACES,
    absorption_scale_for_rt60,
    eyring_rt60_s,
    ism_rt60_s,
    scale_absorption,
)
from .air import REFERENCE_PRESSURE_KPA, attenuation_db_per_m, energy_attenuation_per_m
from .base import BoxRoomKind
from .materials import material, materials_of
from .registry import DEFAULT_PRESET, load_preset

#: Reflections are rendered until the slowest band's model decay reaches -decay_db, but at most
#: this many times the longest RT60 of the bands 250 Hz-4 kHz (an image-source room with an
#: absorbing floor or ceiling and hard walls has a faint, very long grazing tail, and a room
#: scaled to a mid-frequency target may ring for seconds at 125 Hz: minutes to render).
MAX_LENGTH_RT60 = 1.5
#: And never longer than this (seconds): materials-only presets of hard-walled rooms can predict
#: image-source decays of tens of seconds (no scattering); give such presets an RT60 target.
MAX_LENGTH_S = 5.0
_LENGTH_BANDS = np.isin(OCTAVE_BANDS_HZ, (250, 500, 1000, 2000, 4000))
_SIZE_KEYS = (("width", "width_m"), ("length", "length_m"), ("height", "height_m"))
_TOL = 1e-6
#: Draws of a room's materials and air before a preset's ``rt60_ratio_max`` is declared unmet.
MAX_MATERIAL_DRAWS = 200


def _size_ranges(preset: dict, cfg: SynthConfig) -> list:
    size = preset.get("size_m")
    if size:
        return [size[k] for k, _ in _SIZE_KEYS]
    return [cfg.room.width_m, cfg.room.length_m, cfg.room.height_m]


def _rt60_range(preset: dict, cfg: SynthConfig):
    if "rt60_s" in preset:
        return preset["rt60_s"]
    return None if "surfaces" in preset else cfg.room.rt60_s


def _choices(preset: dict, surface: str) -> list:
    surfaces = preset["surfaces"]
    return surfaces.get(surface) or surfaces.get("walls" if surface.startswith("wall") else "", [])


def _band_dict(values) -> dict:
    return {str(b): float(v) for b, v in zip(OCTAVE_BANDS_HZ, values, strict=True)}


class ShoeboxKind(BoxRoomKind):
    """Rectangular rooms: flat (one calibrated reflection coefficient) or with materials."""

    name = "shoebox"
    renders_directivity = True

    def check_preset(self, preset: dict, *, where: str) -> None:
        """Rules the schema cannot say: surfaces all covered, materials known, sizes ordered."""
        for key in ("size_m",):
            for k, v in (preset.get(key) or {}).items():
                if v[0] > v[1]:
                    raise ConfigError(f"{where}: {key}.{k} lower bound must be <= upper, got {v}")
        if "rt60_s" in preset and preset["rt60_s"][0] > preset["rt60_s"][1]:
            raise ConfigError(
                f"{where}: rt60_s lower bound must be <= upper, got {preset['rt60_s']}"
            )
        if "surfaces" not in preset:
            extra = [
                k for k in ("air", "materials", "late_reverb", "rt60_ratio_max") if k in preset
            ]
            if extra:
                raise ConfigError(f"{where}: {extra} need 'surfaces' (a flat room has neither)")
            return
        table = materials_of(preset, where=where)
        for surface in SURFACES:
            names = _choices(preset, surface)
            if not names:
                raise ConfigError(
                    f"{where}: surfaces give no material for {surface!r} "
                    "(name it, or 'walls' for the four walls)"
                )
            for name in names:
                material(name, table, where=where)

    def draw(self, preset: dict, cfg: SynthConfig, rng: np.random.Generator) -> dict:
        ranges = _size_ranges(preset, cfg)
        clearance = cfg.room.wall_clearance_m
        for (key, _), lo_hi in zip(_SIZE_KEYS, ranges, strict=True):
            if lo_hi[0] <= 2 * clearance:
                raise ConfigError(
                    f"room preset {preset['name']!r}: smallest {key} {lo_hi[0]} m "
                    f"leaves no space inside the {clearance} m wall clearance"
                )
        dims = [uniform(rng, lo_hi) for lo_hi in ranges]
        rt60_range = _rt60_range(preset, cfg)
        rt60 = uniform(rng, rt60_range) if rt60_range is not None else None
        if "surfaces" not in preset:
            return {"preset": preset["name"], "dimensions_m": dims, "rt60_s": rt60}
        return self._draw_materials(preset, cfg, rng, dims, rt60)

    def _draw_materials(self, preset, cfg, rng, dims, target) -> dict:
        """Materials and air, redrawn while the bands' RT60s break ``rt60_ratio_max``."""
        limit = preset.get("rt60_ratio_max")
        for _ in range(MAX_MATERIAL_DRAWS):
            record, absorption, m, c, decay_db = self._draw_surfaces(preset, cfg, rng, dims, target)
            if _late_model(preset) == "diffuse":
                _diffuse_record(record, dims, absorption, m, c, decay_db, rng)
            ratio = _adjacent_rt60_ratio(record["rt60_bands_s"])
            if limit is None or ratio <= limit:
                return record
        raise ConfigError(
            f"room preset {preset['name']!r}: no draw of its materials in {MAX_MATERIAL_DRAWS} "
            f"keeps adjacent octave bands' RT60 within the factor rt60_ratio_max = {limit} "
            f"(the last: {ratio:.2f}); widen the rule or choose materials of similar spectra"
        )

    def _draw_surfaces(self, preset, cfg, rng, dims, target):
        where = f"room preset {preset['name']!r}"
        table = materials_of(preset, where=where)
        chosen = {}
        for surface in SURFACES:
            names = _choices(preset, surface)
            chosen[surface] = names[int(rng.integers(len(names)))]
        air = None
        m = np.zeros(len(OCTAVE_BANDS_HZ))
        if "air" in preset:
            a = preset["air"]
            air = {
                "temperature_c": uniform(rng, a["temperature_c"]),
                "humidity_pct": uniform(rng, a["humidity_pct"]),
                "pressure_kpa": float(a.get("pressure_kpa", REFERENCE_PRESSURE_KPA)),
            }
            alpha_air = attenuation_db_per_m(OCTAVE_BANDS_HZ, **air)
            air["attenuation_db_per_m"] = [float(v) for v in alpha_air]
            m = energy_attenuation_per_m(alpha_air)
        absorption = np.array([table[chosen[s]]["absorption"] for s in SURFACES], dtype=float)
        c = float(cfg.render.speed_of_sound)
        scale = 1.0
        if target is not None:
            mid = np.isin(OCTAVE_BANDS_HZ, MID_BANDS_HZ)
            scale = absorption_scale_for_rt60(
                dims, absorption, m, target, speed_of_sound=c, mid=mid, model=_late_model(preset)
            )
            absorption = scale_absorption(absorption, scale)
        decay_db = float(cfg.render.decay_db)
        record = self._material_record(
            preset, dims, chosen, table, absorption, air, m, scale, c, decay_db
        )
        return record, absorption, m, c, decay_db

    def _material_record(self, preset, dims, chosen, table, absorption, air, m, scale, c, decay_db):
        rt60, t_end = ism_rt60_s(dims, absorption, m, speed_of_sound=c, decay_db=decay_db)
        surfaces = {}
        for i, s in enumerate(SURFACES):
            entry = {"material": chosen[s], "absorption": [float(v) for v in absorption[i]]}
            if "scattering" in table[chosen[s]]:
                entry["scattering"] = list(table[chosen[s]]["scattering"])
            surfaces[s] = entry
        mid = np.isin(OCTAVE_BANDS_HZ, MID_BANDS_HZ)
        return {
            "preset": preset["name"],
            "dimensions_m": dims,
            "bands_hz": list(OCTAVE_BANDS_HZ),
            "surfaces": surfaces,
            "air": air,
            "absorption_scale": float(scale),
            "rt60_s": float(np.mean(rt60[mid])),
            "rt60_bands_s": _band_dict(rt60),
            "rt60_eyring_s": _band_dict(eyring_rt60_s(dims, absorption, m, speed_of_sound=c)),
            "decay_time_s": _image_source_length_s(rt60, t_end),
        }

    def render(
        self,
        description: dict,
        *,
        listener,
        source_m,
        hrirset,
        render_cfg: RenderConfig,
        anechoic: bool,
        radiation=None,
    ):
        c = float(render_cfg.speed_of_sound)
        if "surfaces" not in description and not _per_band(radiation):
            room = ShoeboxRoom(tuple(description["dimensions_m"]), description["rt60_s"])
            return render_brir(
                room,
                listener_m=listener.position_m,
                yaw_deg=listener.yaw_deg,
                source_m=source_m,
                hrirset=hrirset,
                speed_of_sound=c,
                decay_db=render_cfg.decay_db,
                reflections=not anechoic,
                radiation=radiation,
            )
        return self._render_materials(
            description, listener, source_m, hrirset, render_cfg, anechoic, radiation
        )

    def render_path(
        self,
        description: dict,
        *,
        listeners: list,
        sources_m,
        hrirset,
        render_cfg: RenderConfig,
        anechoic: bool,
        early_s: float,
        radiation=None,
    ):
        """Batched early BRIRs (:mod:`bindata.render.path`); the tail is the middle block's.

        Flat rooms: every block's early part in one pass (:func:`~bindata.render.path.
        flat_shoebox_early`); rooms with materials likewise (:func:`~bindata.render.
        path_bands.band_shoebox_early`).
        """
        sources = np.asarray(sources_m, float).reshape(-1, 3)
        positions = np.array([lis.position_m for lis in listeners], float)
        yaws = np.array([lis.yaw_deg for lis in listeners], float)
        c, fs = float(render_cfg.speed_of_sound), hrirset.sample_rate
        mid = len(listeners) // 2
        tail = self.render(
            description,
            listener=listeners[mid],
            source_m=sources[mid],
            hrirset=hrirset,
            render_cfg=render_cfg,
            anechoic=anechoic,
            radiation=radiation,
        )
        onsets = np.linalg.norm(sources - positions, axis=1) / c * fs
        if description.get("late_reverb"):  # the blocks hold image sources only: stop at the fade
            early_s = min(early_s, TRANSITION_S - FADE_S)
        split = split_sample(onsets, early_s=early_s, sample_rate=fs)
        if "surfaces" not in description and not _per_band(radiation):
            t_end = (
                0.0
                if anechoic
                else decay_time_s(
                    description["dimensions_m"],
                    description["rt60_s"],
                    decay_db=render_cfg.decay_db,
                    speed_of_sound=c,
                )
            )
            early = flat_shoebox_early(
                description["dimensions_m"],
                listeners_m=positions,
                yaws_deg=yaws,
                sources_m=sources,
                hrirset=hrirset,
                speed_of_sound=c,
                beta=tail.reflection_coefficient if t_end > 0 else 0.0,
                max_distance_m=t_end * c,
                split=split,
                highpass_hz=HIGHPASS_HZ,
                radiation=radiation,
            )
            n_images = int(tail.n_images)
        else:
            early = self._early_materials(
                description,
                positions,
                yaws,
                sources,
                hrirset,
                render_cfg,
                split,
                anechoic,
                radiation,
            )
            n_images = int(tail.n_images)
        return PathBRIR(
            early=early,
            tail=np.asarray(tail.ir),
            split=split,
            onset_samples=onsets,
            n_images=n_images,
        )

    def _early_materials(
        self, description, positions, yaws, sources, hrirset, render_cfg, split, anechoic, radiation
    ):
        c = float(render_cfg.speed_of_sound)
        absorption, air_db, spectrum = _materials(description, speed_of_sound=c)
        return band_shoebox_early(
            description["dimensions_m"],
            absorption,
            air_db,
            bands_hz=description.get("bands_hz", OCTAVE_BANDS_HZ),
            listeners_m=positions,
            yaws_deg=yaws,
            sources_m=sources,
            hrirset=hrirset,
            speed_of_sound=c,
            decay_time_s=_image_time_s(description, positions, sources, render_cfg),
            split=split,
            air_spectrum=spectrum,
            reflections=not anechoic,
            highpass_hz=HIGHPASS_HZ,
            radiation=radiation,
        )

    def _render_materials(
        self, description, listener, source_m, hrirset, render_cfg, anechoic, radiation=None
    ):
        c = float(render_cfg.speed_of_sound)
        absorption, air_db, spectrum = _materials(description, speed_of_sound=c)
        return render_band_brir(
            description["dimensions_m"],
            absorption,
            air_db,
            bands_hz=description.get("bands_hz", OCTAVE_BANDS_HZ),
            listener_m=listener.position_m,
            yaw_deg=listener.yaw_deg,
            source_m=source_m,
            hrirset=hrirset,
            speed_of_sound=c,
            decay_time_s=_decay_time_s(description, render_cfg),
            air_spectrum=spectrum,
            reflections=not anechoic,
            late=_late(description, listener, source_m),
            radiation=radiation,
        )

    def check(self, description: dict, cfg: SynthConfig) -> list[str]:
        problems = []
        name = description.get("preset", DEFAULT_PRESET)
        try:
            preset = load_preset(cfg.room_preset)
        except ConfigError:
            preset = None  # a preset file no longer there: the ranges cannot be checked
        if preset is not None and preset["name"] != name:
            problems.append(f"room preset must be {preset['name']!r} (config), got {name!r}")
            preset = None
        for s in SURFACES if "surfaces" in description else ():
            bad = [v for v in description["surfaces"][s]["absorption"] if not 0 <= v <= 1]
            if bad:
                problems.append(f"room surface {s} absorption must lie in [0, 1], got {bad}")
        if preset is None:
            return problems
        for value, (_, cfg_key), (lo, hi) in zip(
            description["dimensions_m"], _SIZE_KEYS, _size_ranges(preset, cfg), strict=True
        ):
            if not lo - _TOL <= value <= hi + _TOL:
                where = "preset" if "size_m" in preset else "config"
                problems.append(f"room {cfg_key} must be in [{lo}, {hi}] ({where}), got {value}")
        rt60_range = _rt60_range(preset, cfg)
        if rt60_range is not None:
            lo, hi = rt60_range
            slack = 1e-3 * hi if "surfaces" in description else _TOL
            if not lo - slack <= description["rt60_s"] <= hi + slack:
                problems.append(f"room rt60_s must be in [{lo}, {hi}], got {description['rt60_s']}")
        return problems

    def summary(self, description: dict) -> dict:
        out = super().summary(description)
        out["rt60_bands_s"] = description.get("rt60_bands_s")
        return out


def image_source_variant(
    description: dict, *, speed_of_sound: float, decay_db: float = 60.0
) -> dict:
    """The same room with image sources throughout (its ``late_reverb`` dropped, its
    prediction and length the image-source model's): what pyroomacoustics' image-source
    engine renders (the tests' peer, ``tests/peers/rooms.py``)."""
    if not description.get("late_reverb"):
        return description
    out = {k: v for k, v in description.items() if k != "late_reverb"}
    absorption, air_db, _ = _materials(description)
    m = energy_attenuation_per_m(air_db)
    rt60, t_end = ism_rt60_s(
        description["dimensions_m"], absorption, m, speed_of_sound=speed_of_sound, decay_db=decay_db
    )
    out["rt60_bands_s"] = _band_dict(rt60)
    out["decay_time_s"] = _image_source_length_s(rt60, t_end)
    return out


def _image_source_length_s(rt60, t_end) -> float:
    """How long image sources are rendered: until every band has decayed (``t_end``), but at
    most :data:`MAX_LENGTH_RT60` x the longest 250 Hz-4 kHz RT60 and :data:`MAX_LENGTH_S`."""
    return float(min(np.max(t_end), MAX_LENGTH_RT60 * np.max(rt60[_LENGTH_BANDS]), MAX_LENGTH_S))


def _per_band(radiation) -> bool:
    """Whether a source's directivity depends on frequency (a flat room then renders per band)."""
    return radiation is not None and radiation.frequency_dependent


def _decay_time_s(description: dict, render_cfg: RenderConfig) -> float:
    """How long image sources are rendered: a room with materials records it; a flat room's is
    its model decay to ``render_cfg.decay_db``."""
    if "surfaces" in description:
        return float(description["decay_time_s"])
    return float(
        decay_time_s(
            description["dimensions_m"],
            description["rt60_s"],
            decay_db=render_cfg.decay_db,
            speed_of_sound=float(render_cfg.speed_of_sound),
        )
    )


def _image_time_s(description, positions, sources, render_cfg) -> float:
    """How long image sources are rendered: all the decay, or until the diffuse tail."""
    c = float(render_cfg.speed_of_sound)
    t = _decay_time_s(description, render_cfg)
    if description.get("late_reverb"):
        t = min(t, float(np.max(np.linalg.norm(sources - positions, axis=1))) / c + TRANSITION_S)
    return t


def _late_model(preset: dict) -> str:
    return preset.get("late_reverb", "image-source")


def _adjacent_rt60_ratio(rt60_bands_s: dict) -> float:
    """Largest ratio of the RT60s of two adjacent octave bands (the longer over the shorter)."""
    t = np.array(list(rt60_bands_s.values()), dtype=float)
    return float(np.max(np.maximum(t[1:] / t[:-1], t[:-1] / t[1:])))


def _diffuse_record(record, dims, absorption, m, c, decay_db, rng) -> None:
    """In place: a ``diffuse`` late reverb (Eyring prediction, tail length, noise seed)."""
    rt60 = eyring_rt60_s(dims, absorption, m, speed_of_sound=c)
    mid = np.isin(OCTAVE_BANDS_HZ, MID_BANDS_HZ)
    record["rt60_s"] = float(np.mean(rt60[mid]))
    record["rt60_bands_s"] = _band_dict(rt60)
    record["decay_time_s"] = float(min(decay_db / 60.0 * np.max(rt60[_LENGTH_BANDS]), MAX_LENGTH_S))
    record["late_reverb"] = {"model": "diffuse", "seed": int(rng.integers(2**63))}


def _late(description: dict, listener, source_m) -> dict | None:
    """The ``late`` argument of :func:`~bindata.render.bands.render_band_brir`."""
    spec = description.get("late_reverb")
    if not spec:
        return None
    rt60 = [description["rt60_bands_s"][str(b)] for b in description["bands_hz"]]
    rng = tail_rng(
        spec["seed"],
        source_m=source_m,
        listener_m=listener.position_m,
        yaw_deg=listener.yaw_deg,
    )
    return {"rt60_s": rt60, "rng": rng}


def _materials(description: dict, *, speed_of_sound: float | None = None):
    """(absorption (6, B), air dB/m (B,), air spectrum callable or None) of a description; a
    flat room's (no ``surfaces``): ``1 - beta^2`` on every surface in every octave band, no air
    (``speed_of_sound`` calibrates ``beta``)."""
    if "surfaces" not in description:
        beta = reflection_coefficient(
            description["dimensions_m"], description["rt60_s"], speed_of_sound=speed_of_sound
        )
        bands = len(OCTAVE_BANDS_HZ)
        return np.full((6, bands), 1.0 - beta * beta), np.zeros(bands), None
    absorption = np.array([description["surfaces"][s]["absorption"] for s in SURFACES])
    air = description.get("air")
    air_db = np.array(air["attenuation_db_per_m"]) if air else np.zeros(absorption.shape[1])
    spectrum = None
    if air:
        conditions = {k: air[k] for k in ("temperature_c", "humidity_pct", "pressure_kpa")}
        spectrum = lambda f: attenuation_db_per_m(f, **conditions)  # noqa: E731
    return absorption, air_db, spectrum


__all__ = ["ShoeboxKind", "image_source_variant"]
