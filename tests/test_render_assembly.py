"""The renderer's two engines against plain references: the delayed-response sum and the
nearest-direction lookup."""

from __future__ import annotations

import numpy as np
import pytest

from bindata.geometry import spherical_to_cartesian
from bindata.hrir.lookup import DirectionLookup
from bindata.render.assembly import ResponseBank, skew_sum, sum_responses

from .test_render_support import fibonacci_directions


def naive_sum(positions, directions, gains, ir, length):
    out = np.zeros((2, positions.max() + ir.shape[2]))
    for p, m, g in zip(positions, directions, gains, strict=True):
        out[:, p : p + ir.shape[2]] += g * ir[m]
    return out[:, :length]


@pytest.mark.parametrize("segment", [1, 7, 256, 4096, 100_000])
def test_sum_matches_naive_loop_for_any_segmentation(segment):
    rng = np.random.default_rng(11)
    m, n, k, length = 23, 17, 3000, 900
    ir = rng.standard_normal((m, 2, n))
    pos = rng.integers(0, length + 40, k)  # some beyond the end: cut
    pos[:50] = 5  # coinciding terms add
    dirs = rng.integers(0, m, k)
    gains = rng.standard_normal(k)
    got = sum_responses(pos, dirs, gains, ResponseBank(ir), length=length, segment_samples=segment)
    ref = naive_sum(pos, dirs, gains, ir, length)
    assert got.shape == (2, length)
    np.testing.assert_allclose(got, ref, atol=1e-5 * np.abs(ref).max())


def test_sum_edge_cases():
    ir = np.ones((2, 2, 3))
    bank = ResponseBank(ir)
    empty = sum_responses(np.array([], int), np.array([], int), np.array([]), bank, length=5)
    np.testing.assert_array_equal(empty, np.zeros((2, 5)))
    with pytest.raises(ValueError, match=">= 0"):
        sum_responses(np.array([-1]), np.array([0]), np.array([1.0]), bank, length=5)


def test_skew_sum():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((9, 4))
    ref = np.zeros(12)
    for t in range(9):
        for n in range(4):
            ref[t + n] += z[t, n]
    np.testing.assert_allclose(skew_sum(z), ref)


def _grids():
    az, el = fibonacci_directions(700)
    ring_az, ring_el = np.meshgrid(np.arange(-180, 180, 5.0), np.arange(-40, 90, 10.0))
    ring_az = np.append(ring_az.ravel(), 0.0)  # one pole; nothing below -40 degrees
    ring_el = np.append(ring_el.ravel(), 90.0)
    return {"fibonacci": (az, el), "rings-with-hole": (ring_az, ring_el), "single": ([30], [10])}


@pytest.mark.parametrize("grid", ["fibonacci", "rings-with-hole", "single"])
def test_lookup_is_exact(grid):
    az, el = _grids()[grid]
    units = spherical_to_cartesian(az, el)
    lookup = DirectionLookup(units)
    rng = np.random.default_rng(5)
    q = rng.standard_normal((60_000, 3)) * rng.uniform(0.5, 300, (60_000, 1))
    q[:6] = np.vstack([np.eye(3), -np.eye(3)])  # axes and octant boundaries
    got = lookup.query_vectors(q.astype(np.float32))
    dots = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ units.T
    best = dots.max(axis=1)
    chosen = dots[np.arange(len(q)), got]
    assert np.all(chosen >= best - 1e-6)  # nearest up to float32 ties
    assert np.mean(got == dots.argmax(axis=1)) > 0.9999
