"""Motion: trajectories of sources and of the listener's head, and how a scene draws them.

Tracks
------

A **source path** is a dict stored in the scene; time ``t`` is seconds since the event's onset:

- ``{"kind": "static", "position_m": p}``;
- ``{"kind": "arc", "center_m": c, "start_m": p0, "angular_speed_deg_s": w}``: a rotation of
  ``p0`` about the vertical axis through ``c`` (the head centre) by ``w * t`` degrees,
  counter-clockwise seen from above for ``w > 0`` -- the distance to ``c`` and the elevation
  stay constant, so the distance band of the event never changes;
- ``{"kind": "line", "start_m": p0, "velocity_m_s": v}``: ``p0 + v t``.

A **head track** gives the listener's yaw (degrees, counter-clockwise from the room's +x axis):
``{"kind": "static", "yaw_deg": y}`` or ``{"kind": "keyframes", "times_s": [...], "yaw_deg":
[...]}`` (seconds since the file's start, linear between keyframes, held outside them).

Labels follow the head: :func:`relative_track` gives each source's azimuth, elevation and
distance relative to the head at any times (the 100 ms frames' centres for the metadata).
Drawing functions take the file's RNG streams; a draw that cannot fit its band and the room
returns ``None`` so the sampler can redraw, and reports why.

Drawing a scene's motion
------------------------
Rules (docs/design.md, "Moving scenes"):

* Each event moves with probability ``motion.moving_fraction`` (drawn from the file's
  ``motion`` stream, in event order, before any position; :func:`motion_plan`); a moving event
  is a straight ``line`` with probability ``motion.line_fraction``, else an ``arc`` about the
  head; its speed is uniform in ``motion.angular_speed_deg_s`` (arcs, sense random) or
  ``motion.linear_speed_m_s`` (lines).
* An arc starts at the event's drawn position (its distance and elevation stay constant, so
  the band never changes). A line is horizontal and perpendicular to the direction of the
  drawn position, which is its midpoint: its distance grows from there towards both ends.
* A path must keep ``room.wall_clearance_m`` from every wall and its distance band for the
  event's whole duration (:func:`path_problem`; for rooms that are not boxes, the kind's
  ``contains``: :func:`path_problem_in`). The first try uses the position drawn from the
  ``sources`` stream; up to ``motion.max_tries - 1`` more draw a new position from the
  ``motion`` stream (:func:`draw_path`); then the listener is redrawn
  (:func:`bindata.scene.sample.sample_scene`).
"""

from __future__ import annotations

import numpy as np

from ..config import SynthConfig
from ..errors import ConfigError, SceneError
from ..geometry import cartesian_to_spherical, spherical_to_cartesian
from ..seeding import uniform
from .spec import Scene, SceneEvent

#: Default angular speed range of moving sources, deg/s (DCASE 2021-2024 used 10, 20, 40 deg/s).
DEFAULT_ANGULAR_SPEED_DEG_S = (10.0, 40.0)


def source_positions(path: dict, times_s) -> np.ndarray:
    """Room positions (T, 3) of a source path at ``times_s`` (seconds since the onset)."""
    t = np.atleast_1d(np.asarray(times_s, float))
    kind = path.get("kind")
    if kind == "static":
        return np.repeat(np.asarray(path["position_m"], float)[None, :], t.size, axis=0)
    if kind == "line":
        p0, v = np.asarray(path["start_m"], float), np.asarray(path["velocity_m_s"], float)
        return p0[None, :] + t[:, None] * v[None, :]
    if kind == "arc":
        c, p0 = np.asarray(path["center_m"], float), np.asarray(path["start_m"], float)
        angle = np.deg2rad(float(path["angular_speed_deg_s"]) * t)
        dx, dy = p0[0] - c[0], p0[1] - c[1]
        x = c[0] + dx * np.cos(angle) - dy * np.sin(angle)
        y = c[1] + dx * np.sin(angle) + dy * np.cos(angle)
        return np.stack([x, y, np.full_like(x, p0[2])], axis=1)
    raise SceneError(f"source path kind must be 'static', 'arc' or 'line', got {kind!r}")


def head_yaw_deg(head: dict, times_s) -> np.ndarray:
    """The head's yaw (degrees, unwrapped) at ``times_s`` (seconds since the file's start)."""
    t = np.atleast_1d(np.asarray(times_s, float))
    kind = head.get("kind")
    if kind == "static":
        return np.full(t.shape, float(head["yaw_deg"]))
    if kind == "keyframes":
        return np.interp(t, np.asarray(head["times_s"], float), np.asarray(head["yaw_deg"], float))
    raise SceneError(f"head track kind must be 'static' or 'keyframes', got {kind!r}")


def relative_track(path: dict, head: dict, *, listener_m, onset_s: float, times_s) -> np.ndarray:
    """(T, 3) azimuth (deg, (-180, 180]), elevation (deg), distance (m) relative to the head.

    ``times_s`` are seconds since the file's start; the path's own time is ``times_s -
    onset_s``.
    """
    t = np.atleast_1d(np.asarray(times_s, float))
    rel = source_positions(path, t - float(onset_s)) - np.asarray(listener_m, float)[None, :]
    yaw = np.deg2rad(head_yaw_deg(head, t))
    c, s = np.cos(yaw), np.sin(yaw)
    # head = R(yaw)^T rel (geometry.room_to_head), one yaw per time
    head_vec = np.stack(
        [c * rel[:, 0] + s * rel[:, 1], -s * rel[:, 0] + c * rel[:, 1], rel[:, 2]], axis=1
    )
    return np.stack(cartesian_to_spherical(head_vec), axis=1)


def path_problem(
    path: dict,
    *,
    duration_s: float,
    room_m,
    listener_m,
    band_m,
    clearance_m: float,
    step_s: float = 0.05,
) -> str | None:
    """Why a path leaves its band or comes nearer than ``clearance_m`` to a wall, else None.

    Checked every ``step_s`` over ``[0, duration_s]`` and at the end.
    """
    t = np.append(np.arange(0.0, float(duration_s), step_s), float(duration_s))
    pos = source_positions(path, t)
    room = np.asarray(room_m, float)
    gap = np.minimum(pos, room[None, :] - pos).min(axis=1)
    if np.any(gap < clearance_m):
        k = int(np.argmax(gap < clearance_m))
        return f"comes within {gap[k]:.2f} m of a wall at t = {t[k]:.2f} s (needs {clearance_m} m)"
    dist = np.linalg.norm(pos - np.asarray(listener_m, float)[None, :], axis=1)
    lo, hi = band_m
    if np.any((dist < lo - 1e-9) | (dist > hi + 1e-9)):
        k = int(np.argmax((dist < lo - 1e-9) | (dist > hi + 1e-9)))
        return f"leaves its distance band [{lo}, {hi}] m at t = {t[k]:.2f} s ({dist[k]:.2f} m)"
    return None


def draw_arc(rng: np.random.Generator, *, start_m, listener_m, speed_range_deg_s) -> dict:
    """An arc about the head through ``start_m`` at a speed uniform in the range, random sense."""
    lo, hi = (float(v) for v in speed_range_deg_s)
    check_speed_range(lo, hi, what="angular speed range (deg/s)")
    speed = float(rng.uniform(lo, hi)) * (1.0 if rng.random() < 0.5 else -1.0)
    return {
        "kind": "arc",
        "center_m": [float(v) for v in listener_m],
        "start_m": [float(v) for v in start_m],
        "angular_speed_deg_s": speed,
    }


def draw_head_track(
    rng: np.random.Generator,
    *,
    yaw_deg: float,
    duration_s: float,
    speed_range_deg_s,
    pause_range_s,
    max_turn_deg: float = 90.0,
) -> dict:
    """Head turns at speeds uniform in ``speed_range_deg_s``, separated by pauses.

    Each turn sweeps up to ``max_turn_deg`` (uniform, random sense) from the yaw it starts at;
    each pause lasts a time uniform in ``pause_range_s``. Keyframes cover ``[0, duration_s]``.
    """
    lo, hi = (float(v) for v in speed_range_deg_s)
    check_speed_range(lo, hi, what="head turning speed range (deg/s)")
    p_lo, p_hi = (float(v) for v in pause_range_s)
    check_speed_range(p_lo, p_hi, what="head pause range (s)")
    times, yaws, t, yaw = [0.0], [float(yaw_deg)], 0.0, float(yaw_deg)
    while t < duration_s:
        t += float(rng.uniform(p_lo, p_hi))
        times.append(t), yaws.append(yaw)
        turn = float(rng.uniform(0.0, max_turn_deg)) * (1.0 if rng.random() < 0.5 else -1.0)
        speed = max(float(rng.uniform(lo, hi)), 1e-6)
        t += abs(turn) / speed
        yaw += turn
        times.append(t), yaws.append(yaw)
    return {
        "kind": "keyframes",
        "times_s": [round(v, 6) for v in times],
        "yaw_deg": [round(v, 6) for v in yaws],
    }


#: Time step (seconds) at which :func:`relative_speed_deg_s` follows a path.
SPEED_STEP_S = 0.005


def relative_speed_deg_s(
    path: dict, head: dict, *, listener_m, onset_s: float, duration_s: float
) -> float:
    """Largest angular speed (deg/s) of the source's direction seen from the head over the
    event: the angle between its head-relative unit vectors :data:`SPEED_STEP_S` apart."""
    t = onset_s + np.arange(0.0, duration_s + SPEED_STEP_S, SPEED_STEP_S)
    track = relative_track(path, head, listener_m=listener_m, onset_s=onset_s, times_s=t)
    u = np.atleast_2d(spherical_to_cartesian(track[:, 0], track[:, 1]))
    if u.shape[0] < 2:
        return 0.0
    cos = np.clip(np.sum(u[1:] * u[:-1], axis=1), -1.0, 1.0)
    return float(np.degrees(np.arccos(cos)).max() / SPEED_STEP_S)


def check_speed_range(lo: float, hi: float, *, what: str) -> None:
    """A range must be finite, non-negative and ordered (``lo <= hi``)."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise SceneError(f"{what} must be finite, got [{lo}, {hi}]")
    if lo < 0 or hi < lo:
        raise SceneError(f"{what} must satisfy 0 <= low <= high, got [{lo}, {hi}]")


def is_moving(scene: Scene, event: SceneEvent) -> bool:
    """Whether an event's direction changes: it has a path, or the head turns."""
    return event.path is not None or scene.head_turns


def check_motion_allowed(cfg: SynthConfig, kind) -> None:
    """Refuse moving sources and a turning head for a kind that renders fixed positions only."""
    if getattr(kind, "renders_any_position", True):
        return
    if cfg.motion.moving_fraction > 0:
        raise ConfigError(
            f"room kind {kind.name!r} renders measured positions only, so its sources cannot "
            f"move: motion.moving_fraction must be 0, got {cfg.motion.moving_fraction}",
            key="motion.moving_fraction",
        )
    if cfg.head.turns:
        raise ConfigError(
            f"room kind {kind.name!r} renders measured listener poses only, so the head cannot "
            "turn: head.rotation must be false",
            key="head.rotation",
        )


def motion_plan(cfg: SynthConfig, n_events: int, rng: np.random.Generator) -> list[dict | None]:
    """Per event: None (static) or ``{"kind": "arc"|"line", "speed": value}``."""
    m = cfg.motion
    if m.moving_fraction <= 0:
        return [None] * n_events
    plan = []
    for _ in range(n_events):
        if rng.uniform() >= m.moving_fraction:
            plan.append(None)
        elif rng.uniform() < m.line_fraction:
            plan.append({"kind": "line", "speed": uniform(rng, m.linear_speed_m_s)})
        else:
            plan.append({"kind": "arc", "speed": uniform(rng, m.angular_speed_deg_s)})
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


def draw_path(
    cfg: SynthConfig, room: dict, kind, listener, band_m, position, duration_s, move, rng
):
    """``(path, None)`` for a moving event in ``room`` (a description of room kind ``kind``)
    seen by ``listener`` (:class:`~bindata.scene.spec.Listener`), or ``(None, reason)`` after
    ``motion.max_tries`` tries."""
    listener_m = listener.position_m
    clearance = float(cfg.room.wall_clearance_m)
    reason = "no try"
    for attempt in range(int(cfg.motion.max_tries)):
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


__all__ = [
    "DEFAULT_ANGULAR_SPEED_DEG_S",
    "check_motion_allowed",
    "check_speed_range",
    "draw_arc",
    "draw_head_track",
    "draw_path",
    "head_yaw_deg",
    "is_moving",
    "motion_plan",
    "path_problem",
    "path_problem_in",
    "relative_speed_deg_s",
    "relative_track",
    "source_positions",
]
