"""Image sources of a shoebox room against a brute-force construction by repeated mirroring."""

from __future__ import annotations

import numpy as np
import pytest

from bindata.errors import RenderError
from bindata.render import ShoeboxRoom, image_sources, iter_image_sources
from bindata.render.image_source import iter_image_offsets


def mirror_images(dims, source, max_order: int) -> dict:
    """{rounded position: smallest number of reflections}, by mirroring in the six walls.

    Breadth first: every image of order k is mirrored in each wall plane (x = 0, x = Lx, ...);
    in a shoebox each distinct position is one reflection path, reached first at its order.
    """
    found = {tuple(np.round(source, 9)): 0}
    frontier = [np.asarray(source, dtype=float)]
    for order in range(1, max_order + 1):
        nxt = []
        for p in frontier:
            for axis in range(3):
                for wall in (0.0, dims[axis]):
                    q = p.copy()
                    q[axis] = 2.0 * wall - q[axis]
                    key = tuple(np.round(q, 9))
                    if key not in found:
                        found[key] = order
                        nxt.append(q)
        frontier = nxt
    return found


DIMS = (3.0, 4.0, 2.5)
SOURCE = np.array([0.7, 2.9, 1.1])
RECEIVER = np.array([2.2, 1.3, 1.6])


def _as_dict(pos, orders) -> dict:
    return {tuple(np.round(p, 9)): int(o) for p, o in zip(pos, orders, strict=True)}


def test_low_orders_match_brute_force_mirroring():
    brute = mirror_images(DIMS, SOURCE, 3)
    pos, orders = image_sources(DIMS, SOURCE, receiver_m=RECEIVER, max_distance_m=60.0)
    lattice = {k: v for k, v in _as_dict(pos, orders).items() if v <= 3}
    assert len(brute) == 1 + 6 + 18 + 38  # 1, 6, 18, 38 images of order 0..3 in a box
    assert lattice == brute


def test_distance_sphere_is_complete_and_exact():
    # an image within 6 m has at most 6 (1/3 + 1/4 + 1/2.5) + 3 < 9 reflections
    reach = 6.0
    brute = mirror_images(DIMS, SOURCE, 10)
    inside = {k: v for k, v in brute.items() if np.linalg.norm(np.array(k) - RECEIVER) <= reach}
    assert max(inside.values()) < 10
    pos, orders = image_sources(
        ShoeboxRoom(DIMS, 0.5), SOURCE, receiver_m=RECEIVER, max_distance_m=reach
    )
    assert np.all(np.linalg.norm(pos - RECEIVER, axis=1) <= reach + 1e-9)
    assert len(pos) == len(inside)
    assert _as_dict(pos, orders) == inside


def test_image_count_grows_as_the_sphere_volume():
    dims = (6.0, 6.0, 2.5)
    reach = 120.0
    pos, _ = image_sources(dims, [2, 3, 1.5], receiver_m=[4, 3.5, 1.2], max_distance_m=reach)
    expected = 4.0 / 3.0 * np.pi * reach**3 / np.prod(dims)  # one image per room volume
    assert abs(len(pos) / expected - 1.0) < 0.01


def test_chunked_output_equals_unchunked():
    kw = dict(receiver_m=RECEIVER, max_distance_m=40.0)
    whole = image_sources(DIMS, SOURCE, chunk_size=1 << 30, **kw)
    chunks = list(iter_image_sources(DIMS, SOURCE, chunk_size=500, **kw))
    assert len(chunks) > 10
    assert max(len(o) for _, o in chunks) <= 500 + 40  # one z run may overshoot a chunk
    np.testing.assert_array_equal(np.concatenate([p for p, _ in chunks]), whole[0])
    np.testing.assert_array_equal(np.concatenate([o for _, o in chunks]), whole[1])


def test_float32_offsets_match_positions():
    pos, orders = image_sources(DIMS, SOURCE, receiver_m=RECEIVER, max_distance_m=30.0)
    parts = list(
        iter_image_offsets(DIMS, SOURCE, receiver_m=RECEIVER, max_distance_m=30.0, dtype=np.float32)
    )
    off = np.concatenate([np.stack(p[:3], axis=1) for p in parts])
    assert off.dtype == np.float32
    np.testing.assert_allclose(off + RECEIVER, pos, atol=1e-4)
    np.testing.assert_array_equal(np.concatenate([p[3] for p in parts]), orders)


@pytest.mark.parametrize(
    "source, receiver",
    [([3.5, 1, 1], [1, 1, 1]), ([1, 1, 1], [1, 1, -0.1]), ([0, 1, 1], [1, 1, 1])],
)
def test_points_outside_the_room_are_refused(source, receiver):
    with pytest.raises(RenderError, match="inside the room"):
        image_sources(DIMS, source, receiver_m=receiver, max_distance_m=5.0)
