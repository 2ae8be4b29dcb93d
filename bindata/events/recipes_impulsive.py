"""Recipes of the built-in bank: impacts, textures and other noisy classes.

Same contract as :mod:`bindata.events.recipes_tonal`: ``recipe(rng, sample_rate) -> ndarray``,
0.5-4 s, silent gaps below 0.25 s, reproducible primitives only.
"""

from __future__ import annotations

import numpy as np

from bindata.events import dsp as s

_LN_7_5 = 2.0149030205422647  # ln(3000 / 400)


def _struck(
    rng: np.random.Generator,
    sample_rate: int,
    freqs: list[float],
    taus: list[float],
    *,
    length_s: float,
    click: float = 0.3,
    click_tau_s: float = 0.0015,
    hiss: np.ndarray | None = None,
) -> np.ndarray:
    """A struck object: damped partials plus a short high-passed noise click.

    ``hiss`` is an optional high-passed noise buffer to cut the click from (saves filtering).
    """
    n = s.n_samples(length_s, sample_rate)
    amps = list(s.unif(rng, 0.4, 1.0, len(freqs)))
    ring = s.partials(freqs, amps, taus, n, sample_rate, rng.random(len(freqs)))
    m = min(n, s.n_samples(10.0 * click_tau_s, sample_rate))
    if hiss is None or hiss.size < m:
        hiss = s.highpass(s.noise(rng, m), 1000.0, sample_rate)
    at = s.pick(rng, hiss.size - m + 1)
    hit = np.zeros(n)
    hit[:m] = hiss[at : at + m] * s.decay(m, sample_rate, click_tau_s)
    return s.unit(ring) + click * s.unit(hit)


def knock(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Knocking on wood: knocks 0.11-0.25 s apart, resonances at 140-260 Hz and overtones."""
    base = s.unif(rng, 140.0, 260.0)
    ratios = [1.0, s.unif(rng, 2.1, 2.5), s.unif(rng, 3.6, 4.2)]
    starts = s.jittered_times(rng, 0.0, s.unif(rng, 0.4, 1.4), s.unif(rng, 0.13, 0.22), 0.15)
    starts = starts if len(starts) > 1 else [0.0, 0.2]
    out = np.zeros(s.n_samples(float(starts[-1]) + 0.15, sample_rate))
    for start in starts:
        taus = [s.unif(rng, 0.015, 0.035) for _ in ratios]
        hit = _struck(rng, sample_rate, [base * r for r in ratios], taus, length_s=0.15, click=0.5)
        s.place(out, hit, s.n_samples(float(start), sample_rate), s.unif(rng, 0.7, 1.0))
    return out


def footsteps(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Footsteps: a step every 0.32-0.4 s, each a low heel thump then a toe scuff."""
    interval = s.unif(rng, 0.32, 0.4)
    target = s.unif(rng, 1.5, 3.8)
    starts = s.jittered_times(rng, 0.0, target - 0.25, interval, jitter=0.08)
    scuff_hz = s.unif(rng, 900.0, 2500.0)
    out = np.zeros(s.n_samples(starts[-1] + 0.25, sample_rate))
    n = s.n_samples(0.25, sample_rate)
    for start in starts:
        heel_hz = s.unif(rng, 50.0, 90.0)
        thump = s.partials([heel_hz, heel_hz * 2.1], [1.0, 0.5], [0.035, 0.02], n, sample_rate)
        thud = s.lowpass(s.noise(rng, n), 500.0, sample_rate) * s.decay(n, sample_rate, 0.03)
        toe_at = s.n_samples(s.unif(rng, 0.06, 0.1), sample_rate)
        scuff = np.zeros(n)
        band = s.band_noise(rng, n - toe_at, scuff_hz, 2000.0, sample_rate)
        scuff[toe_at:] = s.unit(band) * s.decay(n - toe_at, sample_rate, 0.04)
        step = s.unit(thump) + 0.6 * s.unit(thud) + 0.5 * scuff
        s.place(out, s.ramps(step, sample_rate, 0.001, 0.01), s.n_samples(start, sample_rate))
    return out


def _clinks(rng, sample_rate, times_s, n, *, lo_hz, hi_hz, tau_range, gain_of_time):
    """Small struck objects (2-4 inharmonic partials and a click) placed at ``times_s``."""
    freqs, amps, taus, starts = [], [], [], []
    click_len = s.n_samples(0.015, sample_rate)
    click_env = s.decay(click_len, sample_rate, 0.0015)
    hiss = s.highpass(s.noise(rng, s.n_samples(0.5, sample_rate)), 1000.0, sample_rate)
    hiss /= float(np.sqrt(np.sum(hiss * hiss) / hiss.size))  # unit RMS
    clicks = np.zeros(n)
    for t in times_s:
        n_part = int(rng.integers(2, 5))
        gain = gain_of_time(t) * s.unif(rng, 0.4, 1.0)
        start = s.n_samples(t, sample_rate)
        freqs += list(s.unif(rng, lo_hz, hi_hz, n_part))
        amps += list(gain * s.unif(rng, 0.4, 1.0, n_part) / n_part)
        taus += list(s.unif(rng, tau_range[0], tau_range[1], n_part))
        starts += [start] * n_part
        at = s.pick(rng, hiss.size - click_len)
        s.place(clicks, hiss[at : at + click_len] * click_env, start, 0.15 * gain)
    ring = s.partials(freqs, amps, taus, n, sample_rate, rng.random(len(freqs)), starts)
    return ring + clicks


def dishes(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Dishes: an irregular stream of ceramic clinks (1.5-6 kHz) every 0.05-0.2 s."""
    dur = s.unif(rng, 1.0, 3.0)
    spacing = s.unif(rng, 0.07, 0.14)
    starts = s.jittered_times(rng, 0.0, dur - 0.1, spacing, jitter=0.45)
    n = s.n_samples(dur + 0.2, sample_rate)
    return _clinks(
        rng,
        sample_rate,
        starts,
        n,
        lo_hz=1500.0,
        hi_hz=6000.0,
        tau_range=(0.03, 0.12),
        gain_of_time=lambda t: 1.0,
    )


def glassbreak(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Glass breaking: a bright crash (3-11 kHz) then shards tinkling ever sparser and softer."""
    dur = s.unif(rng, 0.8, 2.0)
    n = s.n_samples(dur + 0.1, sample_rate)
    freqs = list(s.unif(rng, 3000.0, 11000.0, 12))
    taus = list(s.unif(rng, 0.02, 0.2, 12))
    out = _struck(rng, sample_rate, freqs, taus, length_s=dur + 0.1, click=1.5, click_tau_s=0.012)
    starts = s.jittered_times(rng, 0.02, dur, lambda t: 0.01 + 0.1 * t / dur, jitter=0.5)
    out += 0.8 * _clinks(
        rng,
        sample_rate,
        starts,
        n,
        lo_hz=3000.0,
        hi_hz=11000.0,
        tau_range=(0.005, 0.03),
        gain_of_time=lambda t: 1.0 - 0.7 * t / dur,
    )
    return out


def crash(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Metal crash: a broadband bang with a 1.5-3.5 s metallic wash, thud and debris hits."""
    dur = s.unif(rng, 1.5, 3.5)
    n = s.n_samples(dur, sample_rate)
    env = s.decay(n, sample_rate, dur / 3.0)
    wash = s.highpass(s.noise(rng, n), 400.0, sample_rate) * env
    metal = s.partials(
        list(s.unif(rng, 800.0, 9000.0, 20)),
        list(s.unif(rng, 0.2, 1.0, 20)),
        list(s.unif(rng, 0.3, 1.0, 20) * dur / 3.0),
        n,
        sample_rate,
        rng.random(20),
    )
    thud_hz = s.unif(rng, 70.0, 140.0)
    thud = s.partials([thud_hz, 1.6 * thud_hz], [1.0, 0.6], [0.12, 0.08], n, sample_rate)
    out = s.unit(wash) + 0.7 * s.unit(metal) + 0.5 * s.unit(thud)
    for _ in range(int(rng.integers(3, 7))):
        at = s.n_samples(s.unif(rng, 0.1, 0.5) * dur, sample_rate)
        m = n - at
        hit = s.highpass(s.noise(rng, m), 300.0, sample_rate)
        hit *= s.decay(m, sample_rate, s.unif(rng, 0.03, 0.08))
        s.place(out, s.unit(hit), at, s.unif(rng, 0.3, 0.6) * float(env[at]))
    return s.ramps(out, sample_rate, 0.0005, 0.02)


def gunshot(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Gunshot: a ~1 ms blast wave, a fast noise burst, a low boom and a short echoic tail."""
    dur = s.unif(rng, 0.5, 1.4)
    n = s.n_samples(dur, sample_rate)
    t = s.times(n, sample_rate)
    blast_s = s.unif(rng, 0.0008, 0.0015)
    blast = np.where(t < 2.0 * blast_s, 1.0 - t / blast_s, 0.0)  # an N-wave
    burst = s.noise(rng, n) * s.decay(n, sample_rate, s.unif(rng, 0.006, 0.015))
    boom = s.unit(s.lowpass(s.noise(rng, n), 200.0, sample_rate))
    boom *= s.decay(n, sample_rate, s.unif(rng, 0.05, 0.12))
    tail = s.unit(s.lowpass(s.noise(rng, n), 2500.0, sample_rate))
    tail *= s.decay(n, sample_rate, dur / 2.5)
    out = blast + 0.8 * burst + 1.2 * boom + 0.3 * tail
    return s.ramps(out, sample_rate, 0.0001, 0.02)


def fire(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Fire: a low roar (80-500 Hz) with dense random crackles of 1-4 ms."""
    dur = s.unif(rng, 2.0, 4.0)
    n = s.n_samples(dur, sample_rate)
    raw = s.noise(rng, n)
    roar = s.lowpass(raw, 500.0, sample_rate) - s.lowpass(raw, 80.0, sample_rate)
    flicker = 1.0 + 0.5 * s.unit(s.lowpass(s.noise(rng, n), 2.0, sample_rate))
    out = 0.5 * s.unit(roar) * flicker
    rate = s.unif(rng, 25.0, 70.0)
    hiss = s.highpass(s.noise(rng, s.n_samples(0.5, sample_rate)), 1500.0, sample_rate)
    for start in s.jittered_times(rng, 0.0, dur - 0.005, 1.0 / rate, jitter=0.9):
        m = s.n_samples(s.unif(rng, 0.001, 0.004), sample_rate)
        at = s.pick(rng, hiss.size - m)
        fall = 1.0 - np.arange(m) / m
        crackle = hiss[at : at + m] * (fall * fall)
        u = float(rng.random())
        s.place(out, s.unit(crackle), s.n_samples(start, sample_rate), 0.1 + 1.5 * u * u * u)
    return s.ramps(out, sample_rate, 0.1, 0.1)


def water(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Running water: a stream of rising-pitch bubbles (400-3000 Hz) over a soft rush."""
    dur = s.unif(rng, 1.5, 4.0)
    n = s.n_samples(dur, sample_rate)
    rush = s.band_noise(rng, n, s.unif(rng, 700.0, 1400.0), 1500.0, sample_rate)
    out = 0.2 * s.unit(rush)
    m = s.n_samples(0.05, sample_rate)
    t = s.times(m, sample_rate)
    starts = s.jittered_times(rng, 0.0, dur - 0.03, s.unif(rng, 0.01, 0.025), jitter=0.9)
    k = len(starts)
    f0 = 400.0 * s.exp_det(rng.random(k) * _LN_7_5)  # log-uniform in 400-3000 Hz
    tau = s.unif(rng, 0.004, 0.012, k)
    rise = s.unif(rng, 0.5, 2.0, k)
    gains = s.unif(rng, 0.2, 1.0, k)
    freq = f0[:, None] * (1.0 + rise[:, None] * (t[None, :] / 0.05))
    bubbles = s.sin_cycles(np.cumsum(freq, axis=1) / float(sample_rate))
    bubbles *= s.exp_det(-t[None, :] / tau[:, None])
    for i, start in enumerate(starts):
        s.place(out, bubbles[i], s.n_samples(start, sample_rate), float(gains[i]))
    return s.ramps(out, sample_rate, 0.05, 0.05)
