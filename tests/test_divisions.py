"""Direction classes of Table 2 as data, and the documented boundary rule."""

import numpy as np
import pytest

from bindata.divisions import frame_activity, get_view
from bindata.resources import load_metadata


def _grid_with_boundaries():
    az = np.arange(-179, 181, 1.0)  # every integer azimuth, boundaries 0, +-45, +-90, +-135, 180
    el = np.arange(-90, 91, 1.0)  # every integer elevation, boundaries 0, +-35
    a, e = np.meshgrid(az, el)
    return a.ravel(), e.ravel()


@pytest.mark.parametrize("name", ["unequal", "lr", "fb", "tb", "proximity", "octants"])
def test_exclusive_divisions_give_every_direction_exactly_one_class(name):
    az, el = _grid_with_boundaries()
    dist = np.linspace(0.2, 9, az.size)
    counts = get_view(name).membership(az, el, dist).sum(axis=1)
    assert np.all(counts == 1)


@pytest.mark.parametrize(
    "az, el, expected",
    [
        (45, 0, "front"),
        (-45, 35, "front"),
        (46, 0, "left"),
        (135, 0, "back"),
        (-135, -35, "back"),
        (180, 0, "back"),
        (-90, 10, "right"),
        (0, 35.5, "top"),
        (120, -36, "bottom"),
        (90, 35, "left"),
    ],
)
def test_unequal_division_follows_table_2(az, el, expected):
    view = get_view("unequal")
    member = view.membership([az], [el], [1.0])[0]
    assert [c for c, m in zip(view.classes, member, strict=False) if m] == [expected]


def test_equal_planes_boundary_rule():
    planes = get_view("planes")

    def cls(az, el):
        return {
            c
            for c, m in zip(planes.classes, planes.membership([az], [el], [1])[0], strict=False)
            if m
        }  # noqa: E731

    assert cls(0, 0) == {"left", "front", "top"}  # az 0: left (half-open [0, 180)), el 0: top
    assert cls(180, -1) == {"right", "back", "bottom"}  # az 180: right
    assert cls(90, 0) == {"left", "back", "top"}  # az 90: back ([90, 270))
    assert cls(-90, 0) == {"right", "front", "top"}  # az -90: front ([-90, 90))
    assert cls(30, 50) == {"left", "front", "top"}


def test_proximity_and_joint_views():
    assert get_view("proximity").membership([0, 0, 0], [0, 0, 0], [0.4, 2.0, 3.0])[
        :, 0
    ].tolist() == [True, True, False]
    assert len(get_view("proximity_unequal").classes) == 12
    assert len(get_view("proximity_and_unequal").classes) == 8
    assert len(get_view("proximity_and_octants").classes) == 10
    assert get_view("octants").classes[0] == "top-front-left"


def test_a_user_division_needs_no_code():
    spec = load_metadata("divisions")
    spec = {
        **spec,
        "divisions": {
            **spec["divisions"],
            "halves": {
                "exclusive": True,
                "classes": [
                    {"name": "up", "elevation_deg": {"from": 0, "to": 90}},
                    {"name": "down", "elevation_deg": {"from": -90, "to": 0, "include_to": False}},
                ],
            },
        },
    }
    view = get_view("halves", spec)
    assert view.classes == ("up", "down")
    assert view.membership([10, 10], [5, -5], [1, 1]).tolist() == [[True, False], [False, True]]


def test_frame_activity_unions_sources():
    view = get_view("lr")
    act = frame_activity([0, 0, 3], [30, -30, 100], [0, 0, 0], [1, 1, 1], n_frames=5, view=view)
    assert act.tolist() == [
        [True, True],
        [False, False],
        [False, False],
        [True, False],
        [False, False],
    ]
