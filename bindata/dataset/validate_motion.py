"""``bindata validate`` checks of moving scenes: paths, head tracks and ambience records.

Called by :mod:`bindata.dataset.validate` for every scene. A path must start at its event's
``position_m`` (an arc about the listener's head centre), keep its distance band and
``room.wall_clearance_m`` from the walls for the event's whole duration
(:func:`bindata.scene.motion.path_problem_in`: :func:`bindata.scene.motion.path_problem` for
box rooms, the kind's ``contains`` otherwise), and exist only when the config lets events move; a
head track must start at the listener's yaw with ordered keyframes and exist only when the
config turns the head; an ambience record must have the config's source and an SNR in its
range.
"""

from __future__ import annotations

import numpy as np

from ..config import SynthConfig, default_config
from ..scene.motion import path_problem_in
from ..scene.spec import Scene, SceneEvent

#: Config sections added with moving scenes (and source directivity); a manifest written before
#: them means "static" (and omnidirectional sources).
MOTION_SECTIONS = ("motion", "head", "ambience", "directivity")
_TOL = 1e-6


def with_motion_defaults(config_json: dict) -> dict:
    """A manifest's config (JSON) with the sections of :data:`MOTION_SECTIONS` it lacks taken
    from the defaults."""
    defaults = default_config()
    return {**{k: defaults[k] for k in MOTION_SECTIONS if k not in config_json}, **config_json}


def motion_problems(scene: Scene, cfg: SynthConfig, kind) -> list[str]:
    """Problems of a scene's paths, head track and ambience record (empty: none).

    ``cfg`` is the dataset's config (a manifest written before the motion sections existed:
    read with :func:`with_motion_defaults`).
    """
    problems = []
    moving = False
    for k, ev in enumerate(scene.events):
        if ev.path is not None:
            moving = True
            problems += [f"events[{k}]: path {p}" for p in _path_problems(scene, cfg, kind, ev)]
    if moving and cfg.motion.moving_fraction <= 0:
        problems.append("events have paths but the config's motion.moving_fraction is 0")
    problems += _head_problems(scene, cfg)
    if (moving or scene.head is not None) and scene.motion_render is None:
        problems.append("motion_render is missing (events move or the head turns)")
    if scene.motion_render is not None:
        for key, value in scene.motion_render.to_json().items():
            want = getattr(cfg.motion, key)  # motion_render's keys are motion's
            if abs(float(value) - float(want)) > _TOL:
                problems.append(
                    f"motion_render.{key} must be {want} (config motion.{key}), got {value}"
                )
    problems += _ambience_problems(scene, cfg)
    return problems


def _path_problems(scene: Scene, cfg: SynthConfig, kind, ev: SceneEvent) -> list[str]:
    path, listener = ev.path, list(scene.listener.position_m)
    out = []
    start = path.get("start_m", path.get("position_m"))
    if np.max(np.abs(np.asarray(start, float) - np.asarray(ev.position_m, float))) > _TOL:
        out.append(f"starts at {start}, not at the event's position_m {list(ev.position_m)}")
    if path["kind"] == "arc" and np.max(np.abs(np.subtract(path["center_m"], listener))) > _TOL:
        out.append(f"arc centre {path['center_m']} is not the listener's head {listener}")
    if kind is None:
        return out
    band = cfg.sources.band_m(ev.band)
    clearance = max(float(cfg.room.wall_clearance_m) - _TOL, 0.0)
    reason = path_problem_in(
        scene.room.description,
        kind,
        path,
        duration_s=float(ev.duration_s),
        listener_m=listener,
        band_m=band,
        clearance_m=clearance,
    )
    if reason is not None:
        out.append(reason)
    return out


def _head_problems(scene: Scene, cfg: SynthConfig) -> list[str]:
    head = scene.head
    if head is None:
        return []
    out = []
    if not cfg.head.turns:
        out.append("head track present but the config's head.rotation is false")
    if head["kind"] == "keyframes":
        t, y = np.asarray(head["times_s"], float), np.asarray(head["yaw_deg"], float)
        yaw = scene.listener.yaw_deg
        if t.size != y.size:
            out.append(f"head track has {t.size} times but {y.size} yaws")
        elif np.any(np.diff(t) < 0) or t[0] != 0:
            out.append("head track times must start at 0 and never decrease")
        elif abs(y[0] - yaw) > _TOL:
            out.append(f"head track starts at yaw {y[0]}, not the listener's {yaw}")
    return out


def _ambience_problems(scene: Scene, cfg: SynthConfig) -> list[str]:
    record, amb = scene.ambience, cfg.ambience
    if record is None:
        return ["ambience missing: the config sets an SNR"] if amb.snr_db is not None else []
    if amb.snr_db is None:
        return ["ambience present but the config's ambience.snr_db is null"]
    out = []
    lo, hi = amb.snr_db
    if not lo - 1e-3 <= record["snr_db"] <= hi + 1e-3:
        out.append(f"ambience snr_db must be in [{lo}, {hi}], got {record['snr_db']}")
    want = "diffuse" if amb.source == "diffuse" else "recorded"
    if record["kind"] != want:
        out.append(
            f"ambience kind must be {want!r} (config source {amb.source!r}), got {record['kind']!r}"
        )
    return out


__all__ = ["MOTION_SECTIONS", "motion_problems", "with_motion_defaults"]
