"""Drawing the motion of a scene: which events move, and a path for each that fits.

Rules (docs/design.md, "Moving scenes"):

* Each event moves with probability ``motion.moving_fraction`` (drawn from the file's
  ``motion`` stream, in event order, before any position); a moving event is a straight
  ``line`` with probability ``motion.line_fraction``, else an ``arc`` about the head; its speed
  is uniform in ``motion.angular_speed_deg_s`` (arcs, sense random) or
  ``motion.linear_speed_m_s`` (lines).
* An arc starts at the event's drawn position (its distance and elevation stay constant, so
  the band never changes). A line is horizontal and perpendicular to the direction of the
  drawn position, which is its midpoint: its distance grows from there towards both ends.
* A path must keep ``room.wall_clearance_m`` from every wall and its distance band for the
  event's whole duration (:func:`bindata.motion.path_problem`; for rooms that are not boxes,
  the kind's ``contains``). The first try uses the position drawn from the ``sources`` stream;
  up to ``motion.max_tries - 1`` more draw a new position from the ``motion`` stream; then the
  listener is redrawn (:func:`bindata.scene.sample_scene`).
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError
from .motion import draw_arc, path_problem, source_positions


def check_motion_allowed(cfg: dict, kind) -> None:
    """Refuse moving sources and a turning head for a kind that renders fixed positions only."""
    if getattr(kind, "renders_any_position", True):
        return
    if cfg["motion"]["moving_fraction"] > 0:
        raise ConfigError(
            f"room kind {kind.name!r} renders measured positions only, so its sources cannot "
            f"move: motion.moving_fraction must be 0, got {cfg['motion']['moving_fraction']}",
            key="motion.moving_fraction",
        )
    if cfg["head"]["rotation"]:
        raise ConfigError(
            f"room kind {kind.name!r} renders measured listener poses only, so the head cannot "
            "turn: head.rotation must be false",
            key="head.rotation",
        )


def _uniform(rng: np.random.Generator, lo_hi) -> float:
    lo, hi = (float(v) for v in lo_hi)
    return float(rng.uniform(lo, hi)) if hi > lo else lo


def motion_plan(cfg: dict, n_events: int, rng: np.random.Generator) -> list[dict | None]:
    """Per event: None (static) or ``{"kind": "arc"|"line", "speed": value}``."""
    m = cfg["motion"]
    if m["moving_fraction"] <= 0:
        return [None] * n_events
    plan = []
    for _ in range(n_events):
        if rng.uniform() >= m["moving_fraction"]:
            plan.append(None)
        elif rng.uniform() < m["line_fraction"]:
            plan.append({"kind": "line", "speed": _uniform(rng, m["linear_speed_m_s"])})
        else:
            plan.append({"kind": "arc", "speed": _uniform(rng, m["angular_speed_deg_s"])})
    return plan


def _line(rng, mid_m, listener_m, speed: float, duration_s: float) -> dict:
    """A horizontal line through ``mid_m`` at its middle, perpendicular to the head's view."""
    e = np.asarray(mid_m, float) - np.asarray(listener_m, float)
    d = np.array([-e[1], e[0], 0.0])
    norm = float(np.linalg.norm(d))
    d = d / norm if norm > 1e-9 else np.array([1.0, 0.0, 0.0])
    v = d * speed * (1.0 if rng.random() < 0.5 else -1.0)
    start = np.asarray(mid_m, float) - v * duration_s / 2.0
    return {
        "kind": "line",
        "start_m": [float(x) for x in start],
        "velocity_m_s": [float(x) for x in v],
    }


def path_problem_in(
    room: dict, kind, path: dict, *, duration_s: float, listener_m, band_m, clearance_m: float
) -> str | None:
    """Why a path leaves its band or the room's free space (None: it fits)."""
    if "dimensions_m" in room:
        return path_problem(
            path,
            duration_s=duration_s,
            room_m=room["dimensions_m"],
            listener_m=listener_m,
            band_m=band_m,
            clearance_m=clearance_m,
        )
    t = np.append(np.arange(0.0, float(duration_s), 0.05), float(duration_s))
    pos = source_positions(path, t)
    for ti, p in zip(t, pos, strict=True):
        if not kind.contains(room, p):
            return f"leaves the room at t = {ti:.2f} s"
        dist = float(np.linalg.norm(p - np.asarray(listener_m, float)))
        if not band_m[0] - 1e-9 <= dist <= band_m[1] + 1e-9:
            return f"leaves its distance band {list(band_m)} m at t = {ti:.2f} s ({dist:.2f} m)"
    return None


def draw_path(cfg, room, listener, band_m, position, duration_s, move, rng):
    """``(path, None)`` for a moving event, or ``(None, reason)`` after ``max_tries`` tries."""
    from .rooms import kind_of

    kind, listener_m = kind_of(room), listener["position_m"]
    clearance = float(cfg["room"]["wall_clearance_m"])
    reason = "no try"
    for attempt in range(int(cfg["motion"]["max_tries"])):
        if attempt:
            position = kind.sample_source(room, cfg, listener, band_m, rng)
            if position is None:
                return None, "no position of its band in the room"
        if move["kind"] == "arc":
            speed = (move["speed"], move["speed"])
            path = draw_arc(rng, start_m=position, listener_m=listener_m, speed_range_deg_s=speed)
        else:
            path = _line(rng, position, listener_m, move["speed"], duration_s)
        reason = path_problem_in(
            room,
            kind,
            path,
            duration_s=duration_s,
            listener_m=listener_m,
            band_m=band_m,
            clearance_m=clearance,
        )
        if reason is None:
            return path, None
    return None, reason


__all__ = ["check_motion_allowed", "draw_path", "motion_plan", "path_problem_in"]
