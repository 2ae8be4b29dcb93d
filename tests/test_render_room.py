"""Wall reflection coefficient for a target RT60, checked on the image-source energy decay itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bindata.errors import RenderError
from bindata.render import ShoeboxRoom, decay_time_s, image_sources, reflection_coefficient

C = 343.0


def schroeder_t30(energy: np.ndarray, dt: float) -> float:
    """T30 of an energy-time histogram: Schroeder curve, line fitted from -5 to -35 dB."""
    edc = np.cumsum(energy[::-1])[::-1]
    level = 10 * np.log10(edc / edc[0])
    i5, i35 = np.argmax(level <= -5), np.argmax(level <= -35)
    t = np.arange(i5, i35) * dt
    return -60.0 / np.polyfit(t, level[i5:i35], 1)[0]


@pytest.mark.parametrize(
    "dims, rt60",
    [((6.0, 6.0, 2.5), 0.6), ((10.0, 10.0, 2.5), 0.5), ((7.0, 9.0, 6.0), 0.8), ((6, 6, 6), 0.3)],
)
def test_image_energy_decay_has_the_target_t30(dims, rt60):
    """Incoherent sum of beta**(2 order) / d**2 over the actual image lattice (no model)."""
    beta = reflection_coefficient(dims, rt60)
    t_max = 1.2 * decay_time_s(dims, rt60)
    src = np.array(dims) * [0.31, 0.47, 0.62]
    rcv = np.array(dims) * [0.73, 0.58, 0.41]
    pos, orders = image_sources(dims, src, receiver_m=rcv, max_distance_m=C * t_max)
    d = np.linalg.norm(pos - rcv, axis=1)
    dt = 1e-3
    energy = np.bincount((d / C / dt).astype(int), weights=beta ** (2.0 * orders) / d**2)
    assert abs(schroeder_t30(energy, dt) / rt60 - 1.0) < 0.04  # Sabine: -25 % .. +64 %


def test_sabine_would_miss_flat_rooms():
    """The image-source decay of a flat room is slower than Sabine's: a lower beta is needed."""
    dims, rt60 = (10.0, 10.0, 2.5), 0.6
    v, s = np.prod(dims), 2 * (100 + 25 + 25)
    alpha_sabine = 24 * math.log(10) * v / (C * s * rt60)
    beta_sabine = math.sqrt(1 - alpha_sabine)
    assert reflection_coefficient(dims, rt60) < beta_sabine - 0.03


def test_coefficient_is_monotonic_and_decay_time_scales():
    dims = (8.0, 7.0, 3.0)
    betas = [reflection_coefficient(dims, rt) for rt in (0.2, 0.3, 0.6, 0.9, 2.0)]
    assert all(0 < b < 1 for b in betas)
    assert np.all(np.diff(betas) > 0)
    t60 = [decay_time_s(dims, rt) for rt in (0.3, 0.6)]
    assert t60[1] == pytest.approx(2 * t60[0], rel=1e-9)
    assert 0.9 * 0.3 < t60[0] < 1.5 * 0.3
    assert decay_time_s(dims, 0.3, decay_db=30) == pytest.approx(t60[0] / 2, rel=0.15)
    # the same for a room object, and deterministic
    room = ShoeboxRoom(dims, 0.6)
    assert room.reflection_coefficient() == reflection_coefficient(dims, 0.6)
    assert room.decay_time_s() == t60[1]


def test_speed_of_sound_scales_the_coefficient():
    dims, rt60 = (6.0, 8.0, 3.0), 0.5
    # the decay depends on c * ln(beta): doubling c squares-roots beta
    b1 = reflection_coefficient(dims, rt60, speed_of_sound=300.0)
    b2 = reflection_coefficient(dims, rt60, speed_of_sound=600.0)
    assert b2 == pytest.approx(math.sqrt(b1), rel=1e-9)


@pytest.mark.parametrize(
    "dims, rt60, rule",
    [
        ((6.0, 0.0, 3.0), 0.5, "positive lengths"),
        ((6.0, 6.0), 0.5, "3 positive lengths"),
        ((6.0, 6.0, 3.0), 0.0, "rt60_s must be > 0"),
        ((6.0, 6.0, 3.0), float("nan"), "rt60_s must be > 0"),
        ((6.0, 6.0, 3.0), [0.5], "rt60_s must be > 0"),
        (("a", 6.0, 3.0), 0.5, "positive lengths"),
    ],
)
def test_invalid_rooms_are_refused(dims, rt60, rule):
    with pytest.raises(RenderError, match=rule):
        ShoeboxRoom(dims, rt60)


def test_invalid_decay_and_speed_are_refused():
    with pytest.raises(RenderError, match="decay_db"):
        decay_time_s((6, 6, 3), 0.5, decay_db=0)
    with pytest.raises(RenderError, match="speed_of_sound"):
        reflection_coefficient((6, 6, 3), 0.5, speed_of_sound=-1)


def test_room_contains():
    room = ShoeboxRoom((6, 5, 3), 0.4)
    assert room.dimensions_m == (6.0, 5.0, 3.0)
    assert room.contains([1, 1, 1], margin_m=1.0)
    assert not room.contains([0.5, 1, 1], margin_m=1.0)
    assert not room.contains([7, 1, 1])
