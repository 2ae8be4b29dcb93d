"""Rigid-sphere head model: the series against independent solutions and classical ITD laws."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, hilbert, resample_poly, sosfiltfilt
from scipy.special import eval_legendre, spherical_jn, spherical_yn

from bindata.hrir import build_model_hrirset, sphere_transfer
from bindata.hrir.sphere import HEAD_RADIUS_M, SPEED_OF_SOUND, geometric_ear_delay

A, C, FS = HEAD_RADIUS_M, SPEED_OF_SOUND, 24000


def plane_wave_sphere(freq_hz: float, theta_from_source: float) -> complex:
    """Rayleigh's rigid sphere in a plane wave (surface pressure / incident pressure).

    Textbook form for a wave travelling towards +z, angle measured from +z (so the side facing
    the source is angle pi): p / p_inc = (1 / ka^2) sum_m i^m (2m+1) P_m(cos) / h1'_m(ka).
    """
    x = 2 * np.pi * freq_hz * A / C
    cos = np.cos(np.pi - theta_from_source)
    total = 0j
    for m in range(int(x) + 40):
        dh = spherical_jn(m, x, derivative=True) + 1j * spherical_yn(m, x, derivative=True)
        total += (1j**m) * (2 * m + 1) * eval_legendre(m, cos) / dh
    return total / x**2


@pytest.mark.parametrize("theta_deg", [0, 45, 90, 135, 180])
def test_distant_source_matches_rayleigh_plane_wave_solution(theta_deg):
    freqs = np.array([200.0, 1000.0, 3000.0, 8000.0, 15000.0])
    theta = np.deg2rad(theta_deg)
    ours = np.abs(sphere_transfer(freqs, [np.cos(theta)], 2000.0)[:, 0])
    reference = np.abs([plane_wave_sphere(f, theta) for f in freqs])
    np.testing.assert_allclose(ours, reference, rtol=2e-3)


def test_limits_low_frequency_unity_and_plus_6db_bright_side():
    far = sphere_transfer([5.0, 15000.0, 20000.0], [1.0, 0.0, -1.0], 200.0)
    np.testing.assert_allclose(np.abs(far[0]), 1.0, atol=3e-3)  # |H| -> 1 at low frequency
    level = 20 * np.log10(np.abs(far[1:, 0]))
    assert np.all(np.abs(level - 6.02) < 0.3)  # pressure doubling on the facing side
    # a near source is louder on the facing side even at 0 Hz, and the series is continuous there
    near = sphere_transfer([0.0, 1.0], [1.0, -1.0], 0.2)
    assert np.abs(near[0, 0]) > 1.8 and np.abs(near[0, 1]) < 0.7
    np.testing.assert_allclose(near[0], near[1], atol=0.01)


def test_facing_point_leads_the_centre_by_a_over_c_at_high_frequency():
    freqs = np.linspace(10000.0, 20000.0, 401)
    h = sphere_transfer(freqs, [1.0], 500.0)[:, 0]
    slope = np.polyfit(2 * np.pi * freqs, np.unwrap(np.angle(h)), 1)[0]
    assert slope == pytest.approx(A / C, rel=0.05)  # phase +omega a/c: an advance of a/c


def _itd_phase_low(ir: np.ndarray) -> np.ndarray:
    """Interaural phase delay (right minus left, seconds) over 150-450 Hz."""
    n = 8192
    spec = np.fft.rfft(ir, n, axis=-1)
    f = np.fft.rfftfreq(n, 1 / FS)
    phase = np.unwrap(np.angle(spec[:, 0] * np.conj(spec[:, 1])), axis=-1)
    band = (f > 150) & (f < 450)
    return np.mean(phase[:, band] / (2 * np.pi * f[band]), axis=-1)


def _itd_envelope_high(ir: np.ndarray) -> np.ndarray:
    """Interaural delay of the envelopes above 3 kHz (right minus left, seconds)."""
    sos = butter(4, 3000, "hp", fs=FS, output="sos")
    up = 8
    y = resample_poly(sosfiltfilt(sos, ir, axis=-1), up, 1, axis=-1)
    env = np.abs(hilbert(y, axis=-1))
    out = []
    for left, right in env:
        lag = np.argmax(np.correlate(right, left, "full")) - (len(left) - 1)
        out.append(lag / (FS * up))
    return np.array(out)


@pytest.fixture(scope="module")
def lateral_sphere():
    az = np.array([0.0, 20.0, 40.0, 60.0, 80.0, 90.0])
    return az, build_model_hrirset(
        model="sphere",
        distances_m=[3.0],
        ear_azimuth_deg=90.0,
        directions_deg=(az, np.zeros_like(az)),
    )


def test_low_frequency_itd_follows_kuhn(lateral_sphere):
    az, hrirset = lateral_sphere
    itd = _itd_phase_low(hrirset.ir)
    kuhn = 3 * A / C * np.sin(np.deg2rad(az))
    np.testing.assert_allclose(itd, kuhn, rtol=0.06, atol=5e-6)


def test_high_frequency_itd_follows_woodworth_and_is_smaller(lateral_sphere):
    az, hrirset = lateral_sphere
    theta = np.deg2rad(az)
    woodworth = A / C * (theta + np.sin(theta))
    itd_high = _itd_envelope_high(hrirset.ir)
    np.testing.assert_allclose(itd_high, woodworth, rtol=0.08, atol=1.5e-5)
    itd_low = _itd_phase_low(hrirset.ir)
    assert np.all(itd_low[1:] > itd_high[1:] * 1.1)  # Kuhn's 3a/c vs Woodworth's 2a/c at 0+


def test_geometric_delay_is_woodworth_for_a_distant_source():
    theta = np.deg2rad([0.0, 45.0, 90.0, 135.0, 180.0])
    delay = geometric_ear_delay(np.cos(theta), 1e4)
    woodworth = np.where(theta <= np.pi / 2, -np.cos(theta), theta - np.pi / 2) * A / C
    np.testing.assert_allclose(delay, woodworth, atol=1e-8)
