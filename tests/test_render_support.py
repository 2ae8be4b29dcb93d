"""Toy HRIR sets for the renderer tests (and checks that the toys follow the conventions).

* :func:`toy_hrirset`: a rigid-sphere-like head reduced to a delay and a frequency-independent
  shadow per ear (Woodworth's ITD, ears on the y axis, +y = left), on a Fibonacci grid, with
  near-field shells whose shadow is stronger than the far field's (so the shell used can be told
  apart).
* :func:`omni_hrirset`: the same band-limited pulse for every direction and both ears (a free-field
  point receiver at the head centre), for delay and level checks.

Every response is relative to the free field at the head centre: its arrival lies at sample
``delay_samples`` (the centre of a symmetric pulse), gain 1 for the omni set.
"""

from __future__ import annotations

import numpy as np

from bindata.hrir import HRIRSet

FS = 24000
N_TAPS = 128
DELAY_SAMPLES = 24.0
HEAD_RADIUS_M = 0.0875
SPEED_OF_SOUND = 343.0


def pulse(center, n_taps: int = N_TAPS, cutoff: float = 0.8) -> np.ndarray:
    """Kaiser-windowed lowpass sinc centred at (fractional) ``center``, unit DC gain.

    ``center`` may be an array: one pulse per element, shape ``center.shape + (n_taps,)``.
    """
    x = np.arange(n_taps) - np.asarray(center, dtype=float)[..., None]
    w = np.i0(8.0 * np.sqrt(np.clip(1 - (x / 16.0) ** 2, 0, 1))) / np.i0(8.0)
    return cutoff * np.sinc(cutoff * x) * w


def fibonacci_directions(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(azimuth_deg, elevation_deg) of a Fibonacci lattice of ``n`` directions."""
    i = np.arange(n) + 0.5
    el = np.degrees(np.arcsin(1 - 2 * i / n))
    az = np.mod(i * 137.50776405003785 + 180.0, 360.0) - 180.0
    return az, el


def _woodworth(az_deg, el_deg, ear_sign: float) -> tuple[np.ndarray, np.ndarray]:
    """(delay in seconds re head centre, cos of the angle to the ear) for ears at y = +-a."""
    az, el = np.radians(az_deg), np.radians(el_deg)
    cos_t = ear_sign * np.cos(el) * np.sin(az)  # direction . ear axis
    theta = np.arccos(np.clip(cos_t, -1, 1))
    lit = cos_t >= 0
    tau = np.where(lit, -cos_t, theta - np.pi / 2) * HEAD_RADIUS_M / SPEED_OF_SOUND
    return tau, cos_t


def toy_hrirset(n_dirs: int = 400, distances=(0.5, 1.0, 1.5, 3.0)) -> HRIRSet:
    """Delay-and-shadow sphere head on ``n_dirs`` directions and the given shells."""
    az0, el0 = fibonacci_directions(n_dirs)
    irs = []
    for d in distances:
        depth = 0.25 if d >= 2.0 else 0.45  # near-field shells: stronger head shadow
        ears = []
        for sign in (1.0, -1.0):  # left (+y), right
            tau, cos_t = _woodworth(az0, el0, sign)
            ears.append((1.0 - depth + depth * cos_t)[:, None] * pulse(DELAY_SAMPLES + tau * FS))
        irs.append(np.stack(ears, axis=1))
    k = len(distances)
    return HRIRSet(
        np.tile(az0, k),
        np.tile(el0, k),
        np.repeat(distances, n_dirs),
        np.concatenate(irs),
        FS,
        delay_samples=DELAY_SAMPLES,
        name="toy",
    )


def omni_hrirset(n_dirs: int = 200, distances=(0.5, 1.5, 3.0)) -> HRIRSet:
    """The same centred pulse for every direction, shell and ear."""
    az0, el0 = fibonacci_directions(n_dirs)
    p = pulse(DELAY_SAMPLES)
    m = n_dirs * len(distances)
    return HRIRSet(
        np.tile(az0, len(distances)),
        np.tile(el0, len(distances)),
        np.repeat(distances, n_dirs),
        np.broadcast_to(p, (m, 2, N_TAPS)).copy(),
        FS,
        delay_samples=DELAY_SAMPLES,
        name="omni",
    )


def test_toy_left_ear_leads_for_left_sources():
    hs = toy_hrirset(n_dirs=100, distances=(3.0,))
    shell = hs.far_field_shell
    left = shell.ir[shell.nearest_index([90.0], [0.0])[0]]
    # the peak of the left ear comes a / c earlier than the head centre, the right one later
    peaks = np.argmax(np.abs(left), axis=1)
    assert peaks[0] < DELAY_SAMPLES < peaks[1]
    assert np.max(np.abs(left[0])) > np.max(np.abs(left[1]))


def test_pulse_is_centred_and_unit_gain():
    p = pulse(30.25)
    assert abs(np.sum(p) - 1.0) < 1e-3
    spec = np.fft.rfft(p, 1024)
    f = np.arange(spec.size)[:100]
    phase = np.unwrap(np.angle(spec[:100]))
    slope = np.polyfit(2 * np.pi * f / 1024, phase, 1)[0]
    assert abs(-slope - 30.25) < 1e-3
