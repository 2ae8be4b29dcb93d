"""Coordinate conventions of docs/design.md, as plain functions on arrays.

Head-centred, right-handed: **x** front, **y** left, **z** up; metres and degrees.
Azimuth counter-clockwise from the front in (-180, 180] (+90 = left); elevation from the
horizontal plane in [-90, 90] (+90 = up); distance from the centre of the head.
"""

from __future__ import annotations

import numpy as np


def wrap_azimuth_deg(azimuth_deg):
    """Wrap azimuths into (-180, 180] (so -180 becomes 180)."""
    az = np.mod(np.asarray(azimuth_deg, dtype=float) + 180.0, 360.0) - 180.0
    return np.where(az == -180.0, 180.0, az)


def fold_azimuth_front(azimuth_deg):
    """Fold azimuths onto the front half-plane, [-90, 90] degrees.

    A mirror in the interaural axis: ``180 - az`` for ``az > 90`` and ``-180 - az`` for
    ``az < -90`` (after wrapping into (-180, 180]); the lateral angle is kept. A stereo pair
    cannot tell front from back, so the DCASE 2025 stereo task labels and scores folded azimuths
    (the 2025 baseline's ``fold_az_angle``).

    Examples
    --------
    >>> fold_azimuth_front([0, 45, 120, -150, 180]).tolist()
    [0.0, 45.0, 60.0, -30.0, 0.0]
    """
    az = wrap_azimuth_deg(np.asarray(azimuth_deg, dtype=float))
    return np.where(az > 90, 180 - az, np.where(az < -90, -180 - az, az))


def spherical_to_cartesian(azimuth_deg, elevation_deg, distance_m=1.0):
    """(azimuth, elevation, distance) -> (..., 3) array of x, y, z in metres."""
    az = np.deg2rad(np.asarray(azimuth_deg, dtype=float))
    el = np.deg2rad(np.asarray(elevation_deg, dtype=float))
    r = np.asarray(distance_m, dtype=float)
    x = r * np.cos(el) * np.cos(az)
    y = r * np.cos(el) * np.sin(az)
    z = r * np.sin(el)
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def cartesian_to_spherical(xyz):
    """(..., 3) array of x, y, z -> (azimuth_deg, elevation_deg, distance_m) arrays.

    The azimuth is in (-180, 180]; a point on the z axis gets azimuth 0.
    """
    xyz = np.asarray(xyz, dtype=float)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    horiz = np.hypot(x, y)
    distance = np.hypot(horiz, z)
    azimuth = wrap_azimuth_deg(np.rad2deg(np.arctan2(y, x)))
    elevation = np.rad2deg(np.arctan2(z, horiz))
    return azimuth, elevation, distance


def rotation_yaw(yaw_deg: float) -> np.ndarray:
    """3x3 matrix rotating vectors counter-clockwise (seen from above) by ``yaw_deg``."""
    a = np.deg2rad(yaw_deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def room_to_head(points_room, listener_position, yaw_deg: float):
    """Express room-frame points in the head frame of a listener at ``listener_position``.

    The listener looks along the room's +x axis turned counter-clockwise by ``yaw_deg``.
    Returns an (..., 3) array in the head frame (x front, y left, z up).
    """
    rel = np.asarray(points_room, dtype=float) - np.asarray(listener_position, dtype=float)
    # head = R(yaw)^T @ rel, written for row vectors
    return rel @ rotation_yaw(yaw_deg)


def head_to_room(points_head, listener_position, yaw_deg: float):
    """Inverse of :func:`room_to_head`."""
    return np.asarray(points_head, dtype=float) @ rotation_yaw(yaw_deg).T + np.asarray(
        listener_position, dtype=float
    )
