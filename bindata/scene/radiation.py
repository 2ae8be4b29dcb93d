"""Each event's directivity and orientation: drawn, recorded in the scene, checked, rendered.

Drawn only when the config's ``directivity.pattern`` is not ``"omni"``, from the file's
``directivity`` stream (:mod:`bindata.seeding`), after everything else, event by event: the
cardioid family's ``alpha`` (uniform in ``directivity.alpha``; nothing drawn for a fixed value
or a measured pattern), then the orientation:

* ``facing``: the source's axis points at the head centre (from where the event starts, for a
  moving source), turned in azimuth by a value uniform in ``[-s, s]``,
  ``s = directivity.facing_spread_deg``;
* ``uniform``: azimuth uniform in [-180, 180), horizontal.

A moving source keeps its orientation in the room along its path. An omnidirectional scene
records nothing (its events have neither ``directivity`` nor ``orientation_deg``), so scenes and
audio of the default config are those of versions without directivity. The physics is
:mod:`bindata.render.directivity`.
"""

from __future__ import annotations

import math

import numpy as np

from ..config import SynthConfig
from ..errors import ConfigError, RenderError, SceneError
from ..geometry import wrap_azimuth_deg
from ..render.directivity import CardioidPattern, SourceRadiation, load_directivity
from ..seeding import uniform

_TOL = 1e-6


def facing_deg(source_m, listener_m) -> tuple[float, float]:
    """(azimuth, elevation) in degrees, room frame, of the direction from source to listener."""
    v = np.asarray(listener_m, float) - np.asarray(source_m, float)
    return (
        math.degrees(math.atan2(v[1], v[0])),
        math.degrees(math.atan2(v[2], math.hypot(v[0], v[1]))),
    )


def measured_pattern(cfg: SynthConfig):
    """The :class:`~bindata.render.directivity.MeasuredDirectivity` of a config whose pattern
    is a SOFA file (a :class:`~bindata.errors.ConfigError` naming the setting if it cannot be
    read)."""
    pattern = cfg.directivity.pattern
    try:
        return load_directivity(pattern)
    except RenderError as exc:
        raise ConfigError(
            f"directivity.pattern: {exc}; a pattern is 'omni', 'cardioid' or a SOFA file of a "
            f"source directivity (got {pattern!r})",
            key="directivity.pattern",
        ) from None


def check_directivity_allowed(cfg: SynthConfig, kind) -> None:
    """A directional config needs a room kind that renders directivity (``renders_directivity``),
    and a measured pattern must load; else a :class:`~bindata.errors.ConfigError`."""
    if not cfg.directivity.directional:
        return
    if not getattr(kind, "renders_directivity", False):
        raise ConfigError(
            f"directivity.pattern {cfg.directivity.pattern!r}: room kind {kind.name!r} cannot "
            "render source directivity (its responses are measured or fixed); use "
            "directivity.pattern 'omni' or a room kind that renders image sources (shoebox)",
            key="directivity.pattern",
        )
    if cfg.directivity.measured:
        measured_pattern(cfg)


def draw_radiation(cfg: SynthConfig, listener, starts_m, rng: np.random.Generator) -> list:
    """``(directivity record or None, orientation (az, el) or None)`` per event starting at
    ``starts_m`` (room frame), heard by ``listener``; draws nothing for ``"omni"``."""
    spec = cfg.directivity
    if not spec.directional:
        return [(None, None)] * len(starts_m)
    fixed = None
    if spec.measured:
        fixed = {"pattern": "sofa", "file": spec.pattern, "sha256": measured_pattern(cfg).sha256}
    out = []
    for start in starts_m:
        record = fixed
        if record is None:
            record = {
                "pattern": "cardioid",
                "alpha": uniform(rng, spec.alpha),
                "order": float(spec.order),
            }
        if spec.orientation == "facing":
            az, el = facing_deg(start, listener.position_m)
            spread = float(spec.facing_spread_deg)
            az = float(wrap_azimuth_deg(az + uniform(rng, (-spread, spread))))
        else:
            az, el = float(wrap_azimuth_deg(uniform(rng, (-180.0, 180.0)))), 0.0
        out.append((dict(record), (az, float(el))))
    return out


def event_radiation(event) -> SourceRadiation | None:
    """The :class:`~bindata.render.directivity.SourceRadiation` a scene event is rendered with
    (None: omnidirectional)."""
    return source_radiation(
        event.directivity, event.orientation_deg, where=f"event {event.source_index}"
    )


def source_radiation(record, orientation_deg, *, where: str) -> SourceRadiation | None:
    """The :class:`~bindata.render.directivity.SourceRadiation` of a directivity record and
    orientation as :func:`draw_radiation` gives them and scenes record them (None: a record
    of None, omnidirectional); a :class:`~bindata.errors.SceneError` starting with ``where``
    for a record that cannot be rendered (no orientation, a bad cardioid, a measured file
    missing or changed since it was drawn)."""
    if record is None:
        return None
    if orientation_deg is None:
        raise SceneError(f"{where}: a directivity needs orientation_deg")
    az, el = (float(v) for v in orientation_deg)
    if record["pattern"] == "cardioid":
        try:
            pattern = CardioidPattern(record["alpha"], record["order"])
        except RenderError as exc:
            raise SceneError(f"{where}: {exc}") from None
    else:
        try:
            pattern = load_directivity(record["file"])
        except RenderError as exc:
            raise SceneError(f"{where}: {exc}") from None
        if pattern.sha256 != record["sha256"]:
            raise SceneError(
                f"{where}: directivity file {record['file']} has changed "
                f"since the scene was drawn (SHA-256 {record['sha256'][:12]}... recorded, "
                f"{pattern.sha256[:12]}... found)"
            )
    return SourceRadiation(pattern, az, el)


def radiation_problems(scene, cfg: SynthConfig) -> list[str]:
    """Problems of a scene's directivities and orientations against the dataset's config."""
    spec, problems = cfg.directivity, []
    for ev in scene.events:
        where = f"event {ev.source_index}"
        record, orient = ev.directivity, ev.orientation_deg
        if not spec.directional:
            if record is not None or orient is not None:
                problems.append(f"{where}: directivity recorded but the config's pattern is omni")
            continue
        if record is None or orient is None:
            problems.append(
                f"{where}: directivity and orientation_deg missing (pattern {spec.pattern!r})"
            )
            continue
        if spec.measured:
            if record.get("pattern") != "sofa" or record.get("file") != spec.pattern:
                problems.append(
                    f"{where}: directivity must be the file {spec.pattern!r}, got {record}"
                )
        elif record.get("pattern") != "cardioid":
            problems.append(f"{where}: directivity pattern must be 'cardioid', got {record}")
        else:
            lo, hi = spec.alpha
            if not lo - _TOL <= record["alpha"] <= hi + _TOL:
                problems.append(
                    f"{where}: directivity alpha must be in [{lo}, {hi}], got {record['alpha']}"
                )
            if abs(record["order"] - spec.order) > _TOL:
                problems.append(
                    f"{where}: directivity order must be {spec.order}, got {record['order']}"
                )
        az, el = orient
        if spec.orientation == "facing":
            az0, el0 = facing_deg(ev.position_m, scene.listener.position_m)
            turn = abs(float(wrap_azimuth_deg(az - az0)))
            if turn > spec.facing_spread_deg + _TOL or abs(el - el0) > _TOL:
                problems.append(
                    f"{where}: orientation {list(orient)} must face the head within "
                    f"{spec.facing_spread_deg} deg of azimuth (facing: {[az0, el0]})"
                )
        elif abs(el) > _TOL:
            problems.append(f"{where}: a uniform orientation is horizontal, got elevation {el}")
    return problems


__all__ = [
    "check_directivity_allowed",
    "draw_radiation",
    "event_radiation",
    "facing_deg",
    "measured_pattern",
    "radiation_problems",
    "source_radiation",
]
