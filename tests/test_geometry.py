"""Coordinate conventions of docs/design.md: x front, y left, z up; +90 azimuth is left."""

import numpy as np

from bindata.geometry import (
    cartesian_to_spherical,
    head_to_room,
    room_to_head,
    spherical_to_cartesian,
    wrap_azimuth_deg,
)


def test_axes_and_angles():
    az, el, r = cartesian_to_spherical(np.array([[1, 0, 0], [0, 1, 0], [0, -2, 0], [0, 0, 3]]))
    np.testing.assert_allclose(az[:3], [0, 90, -90])
    np.testing.assert_allclose(el, [0, 0, 0, 90])
    np.testing.assert_allclose(r, [1, 1, 2, 3])
    assert cartesian_to_spherical(np.array([-1.0, 0, 0]))[0] == 180.0  # (-180, 180]


def test_round_trip_and_wrap():
    rng = np.random.default_rng(3)
    az = rng.uniform(-179.9, 180, 500)
    el = rng.uniform(-89, 89, 500)
    r = rng.uniform(0.1, 9, 500)
    back = cartesian_to_spherical(spherical_to_cartesian(az, el, r))
    np.testing.assert_allclose(back[0], az, atol=1e-9)
    np.testing.assert_allclose(back[1], el, atol=1e-9)
    np.testing.assert_allclose(back[2], r, atol=1e-9)
    np.testing.assert_allclose(wrap_azimuth_deg([-180, 190, -190, 540]), [180, -170, 170, 180])


def test_head_yaw_turns_the_frame():
    listener = [2.0, 3.0, 1.5]
    # A head turned 90 degrees to the left looks along room +y: a source there is in front.
    src_room = np.array([2.0, 5.0, 1.5])
    az, el, r = cartesian_to_spherical(room_to_head(src_room, listener, 90.0))
    assert abs(az) < 1e-9 and abs(el) < 1e-9 and abs(r - 2.0) < 1e-12
    # ... and a source along room +x is then on its right (-90).
    az, _, _ = cartesian_to_spherical(room_to_head([4.0, 3.0, 1.5], listener, 90.0))
    assert abs(az + 90) < 1e-9
    np.testing.assert_allclose(
        head_to_room(room_to_head(src_room, listener, 37.0), listener, 37.0), src_room
    )
