"""Trajectories of sources and of the listener's head, as JSON-able specs and their positions.

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
"""

from __future__ import annotations

import numpy as np

from .errors import SceneError
from .geometry import cartesian_to_spherical, spherical_to_cartesian

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


__all__ = [
    "DEFAULT_ANGULAR_SPEED_DEG_S",
    "check_speed_range",
    "draw_arc",
    "draw_head_track",
    "head_yaw_deg",
    "path_problem",
    "relative_speed_deg_s",
    "relative_track",
    "source_positions",
]
