"""The reproducible DSP primitives (bindata.events.dsp) against NumPy/SciPy references and theory."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import freqz

from bindata.events import dsp as s

SR = 24000


def test_sin_cos_match_numpy_over_many_periods():
    c = np.linspace(-3000.0, 3000.0, 600_001) + 1e-3
    assert np.max(np.abs(s.sin_cycles(c) - np.sin(2 * np.pi * c))) < 1e-11
    assert np.max(np.abs(s.cos_cycles(c) - np.cos(2 * np.pi * c))) < 1e-11
    assert s.sin_cycles(np.array(0.25)).shape == ()  # shape preserved


def test_exp_and_log_match_numpy():
    x = np.linspace(-690.0, 690.0, 200_001)
    assert np.max(np.abs(s.exp_det(x) / np.exp(x) - 1.0)) < 1e-13
    assert s.exp_det(np.array([-800.0]))[0] == 0.0
    y = np.exp(np.linspace(-300.0, 300.0, 100_001))
    assert np.max(np.abs(s.log_det(y) - np.log(y))) < 1e-12
    assert s.midi_hz(69) == pytest.approx(440.0, rel=1e-14)
    assert s.midi_hz(81) == pytest.approx(880.0, rel=1e-14)
    assert float(s.db_to_amp(-20.0)) == pytest.approx(0.1, rel=1e-14)


def test_damped_sine_and_decay_match_closed_form():
    n = 30_001
    t = np.arange(n) / SR
    ref = np.exp(-t / 0.21) * np.sin(2 * np.pi * (1234.5 * t + 0.3))
    assert np.max(np.abs(s.damped_sine(1234.5, 0.21, n, SR, 0.3) - ref)) < 1e-12
    assert np.max(np.abs(s.decay(n, SR, 0.05) / np.exp(-t / 0.05) - 1.0)) < 1e-12
    undamped = s.damped_sine(100.0, np.inf, n, SR)
    assert np.max(np.abs(undamped - np.sin(2 * np.pi * 100.0 * t))) < 1e-12


def test_partials_sum_of_damped_sines_with_starts_and_nyquist_cut():
    n = 12_000
    t = np.arange(n) / SR
    got = s.partials(
        [500.0, 1700.0, 11_000.0],
        [1.0, 0.5, 1.0],
        [0.05, 0.02, 0.1],
        n,
        SR,
        phases=np.array([0.0, 0.25, 0.0]),
        starts=[0, 2400, 0],
    )
    ref = np.exp(-t / 0.05) * np.sin(2 * np.pi * 500.0 * t)
    late = np.zeros(n)
    tl = t[: n - 2400]
    late[2400:] = 0.5 * np.exp(-tl / 0.02) * np.sin(2 * np.pi * (1700.0 * tl + 0.25))
    # 11 kHz is above 0.45 * 24 kHz: dropped; each partial stops at -80 dB (error < 1e-4)
    assert np.max(np.abs(got - ref - late)) < 1e-4


def test_harmonics_equal_direct_sum_and_mute_above_nyquist_limit():
    n = 4800
    f0 = np.linspace(2000.0, 4000.0, n)
    cyc = s.phase(f0, n, SR)
    amps = [1.0, 0.5, 0.25, 0.125]
    got = s.harmonics(cyc, amps, f0, SR)
    limit = 0.45 * SR
    ref = sum(a * np.sin(2 * np.pi * k * cyc) * (k * f0 < limit) for k, a in enumerate(amps, 1))
    assert np.max(np.abs(got - ref)) < 1e-9
    # the mask matters here: harmonics 3 and 4 cross 10.8 kHz during the sweep
    unmasked = sum(a * np.sin(2 * np.pi * k * cyc) for k, a in enumerate(amps, 1))
    assert np.max(np.abs(got - unmasked)) > 0.1


def test_lowpass_cutoff_and_highpass_complement():
    for cutoff in (200.0, 1000.0, 3000.0):
        length = int(np.floor(0.32 * SR / cutoff + 0.5))
        kernel = np.convolve(np.ones(length), np.ones(length)) / length**2
        w, h = freqz(kernel, worN=8192, fs=SR)
        f3 = w[np.argmax(np.abs(h) < 10 ** (-3 / 20))]
        assert 0.75 * cutoff < f3 < 1.25 * cutoff
        x = np.zeros(4001)
        x[2000] = 1.0
        y = s.lowpass(x, cutoff, SR)
        assert np.allclose(y[2000 - length : 2000 + length + 1].sum(), 1.0)  # unit DC gain
        assert np.allclose(s.highpass(x, cutoff, SR) + y, x)


def test_band_noise_energy_sits_in_its_band():
    rng = np.random.default_rng(1)
    x = s.band_noise(rng, 2**16, 3000.0, 600.0, SR)
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(x.size, 1 / SR)
    in_band = spec[(f > 2400) & (f < 3600)].sum()
    assert in_band / spec.sum() > 0.9


def test_jittered_times_bound_the_gaps():
    rng = np.random.default_rng(3)
    t = np.array(s.jittered_times(rng, 0.0, 20.0, 0.2, jitter=0.5))
    gaps = np.diff(t)
    assert gaps.min() >= 0.1 - 1e-12 and gaps.max() <= 0.3 + 1e-12
    assert t[0] == 0.0 and t[-1] < 20.0 and 20.0 - t[-1] <= 0.3


def test_uniform_draws_use_exact_generator_bits():
    a = np.random.default_rng(7)
    b = np.random.default_rng(7)
    assert s.unif(a, 2.0, 5.0) == 2.0 + 3.0 * b.random()
    got = s.unif(a, -1.0, 1.0, 5)
    assert np.array_equal(got, -1.0 + 2.0 * b.random(5))
