"""Recipes of the built-in bank: pitched and voice-like classes.

Each recipe is ``recipe(rng, sample_rate) -> numpy.ndarray``: a raw mono sound (any level) drawn
from ``rng`` only, built from the reproducible primitives of :mod:`bindata.events.dsp`.
Durations stay within 0.5-4 s and any silent gap within a sound stays below 0.25 s.
"""

from __future__ import annotations

import numpy as np

from bindata.events import dsp as s

#: Vowel formants (F1, F2, F3 in Hz) of an adult voice: a, e, i, o, u.
_VOWELS = (
    (730.0, 1090.0, 2440.0),
    (530.0, 1840.0, 2480.0),
    (270.0, 2290.0, 3010.0),
    (570.0, 840.0, 2410.0),
    (300.0, 870.0, 2240.0),
)


def _odd_square(n_harmonics: int) -> list[float]:
    """Band-limited square-wave amplitudes (odd harmonics, 1/k)."""
    return [(1.0 / k if k % 2 else 0.0) for k in range(1, n_harmonics + 1)]


def _gate(t: np.ndarray, period: float, on: float, sample_rate: int) -> np.ndarray:
    """A 0/1 on-off gate of the given period and on-time, edges smoothed over 3 ms."""
    pos = t - np.floor(t / period) * period
    gate = (pos < on).astype(np.float64)
    return s.box_smooth(gate, int(0.003 * sample_rate), passes=1)


def alarm(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Electronic alarm: square-ish beeps at 1.5-3.2 kHz, 3-7 beeps per second."""
    f_a = s.unif(rng, 2000.0, 3200.0)
    f_b = f_a * s.unif(rng, 0.75, 0.85) if rng.random() < 0.5 else f_a
    on, off = s.unif(rng, 0.09, 0.2), s.unif(rng, 0.05, 0.12)
    period = on + off
    n_beeps = max(3, int(s.unif(rng, 1.0, 3.5) // period))
    n = s.n_samples(n_beeps * period - off, sample_rate)
    t = s.times(n, sample_rate)
    beep = np.floor(t / period)
    freq = np.where(beep % 2.0 == 1.0, f_b, f_a)
    cycles = s.phase(freq, n, sample_rate)
    tone = s.harmonics(cycles, _odd_square(7), freq, sample_rate)
    return tone * _gate(t, period, on, sample_rate)


def phone(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Phone ring: a 15-25 Hz trill between two tones near 1 kHz, in rings of 0.4-1 s."""
    f_a = s.unif(rng, 750.0, 1300.0)
    f_b = f_a * s.unif(rng, 1.15, 1.3)
    trill = s.unif(rng, 15.0, 25.0)
    ring_on, ring_off = s.unif(rng, 0.4, 1.0), s.unif(rng, 0.1, 0.2)
    n_rings = max(1, int(s.unif(rng, 1.0, 4.0) // (ring_on + ring_off)))
    n = s.n_samples(n_rings * (ring_on + ring_off) - ring_off, sample_rate)
    t = s.times(n, sample_rate)
    switch = s.box_smooth((s.sin_cycles(trill * t) >= 0.0).astype(np.float64), 24)
    freq = f_a + (f_b - f_a) * switch
    cycles = s.phase(freq, n, sample_rate)
    tone = s.harmonics(cycles, [1.0, 0.0, 0.3, 0.0, 0.12], freq, sample_rate)
    return tone * _gate(t, ring_on + ring_off, ring_on, sample_rate)


def piano(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Piano: 1-5 struck notes with stiff-string (inharmonic) partials and decaying tails."""
    n_notes = int(rng.integers(1, 6))
    starts = np.cumsum([0.0] + [s.unif(rng, 0.15, 0.5) for _ in range(n_notes - 1)])
    tau0 = s.unif(rng, 0.35, 0.8)
    n = s.n_samples(min(4.0, float(starts[-1]) + 3.0 * tau0), sample_rate)
    out = np.zeros(n)
    for start in starts:
        f0 = s.midi_hz(float(rng.integers(40, 85)))
        stiffness = s.unif(rng, 0.5e-4, 3e-4)
        ks = np.arange(1, 25, dtype=np.float64)
        freqs = ks * f0 * np.sqrt(1.0 + stiffness * ks * ks)
        amps = s.exp_det(-ks / s.unif(rng, 3.0, 6.0)) / ks
        taus = tau0 / (1.0 + 0.12 * ks)
        length = n - s.n_samples(float(start), sample_rate)
        note = s.partials(list(freqs), list(amps), list(taus), length, sample_rate, rng.random(24))
        s.place(out, s.ramps(note, sample_rate, 0.002, 0.002), s.n_samples(start, sample_rate))
    return s.ramps(out, sample_rate, 0.002, 0.05)


def engine(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Combustion engine: 25-55 Hz firing harmonics rolled off above ~400 Hz, plus rumble."""
    n = s.n_samples(s.unif(rng, 2.0, 4.0), sample_rate)
    f0_mean = s.unif(rng, 25.0, 55.0)
    wobble = s.lowpass(s.noise(rng, n), 3.0, sample_rate)
    wobble *= 0.05 / (np.max(np.abs(wobble)) + 1e-12)
    ramp = s.segment_envelope(
        n, sample_rate, [(0.0, 1.0), (n / sample_rate, s.unif(rng, 0.9, 1.25))]
    )
    f0 = f0_mean * ramp * (1.0 + wobble)
    cycles = s.phase(f0, n, sample_rate)
    roll = s.unif(rng, 250.0, 500.0)
    amps = []
    for k in range(1, int(min(60.0, 2500.0 / f0_mean))):
        z = k * f0_mean / roll
        amps.append(1.0 / (1.0 + z * z) / (1.0 + 0.1 * k))
    firing = s.harmonics(cycles, amps, f0, sample_rate)
    rumble = s.lowpass(s.noise(rng, n), 180.0, sample_rate)
    rumble *= 1.0 + 0.8 * s.sin_cycles(cycles)
    mix = firing / np.max(np.abs(firing)) + 0.6 * rumble / np.max(np.abs(rumble))
    return s.ramps(mix, sample_rate, 0.15, 0.15)


def blender(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Kitchen blender: a 150-280 Hz motor whine with many harmonics and chopped hiss."""
    n = s.n_samples(s.unif(rng, 2.0, 4.0), sample_rate)
    f_run = s.unif(rng, 150.0, 280.0)
    spin_up = s.segment_envelope(n, sample_rate, [(0.0, 0.6), (s.unif(rng, 0.2, 0.4), 1.0)])
    wobble = s.lowpass(s.noise(rng, n), 4.0, sample_rate)
    wobble *= 0.03 / (np.max(np.abs(wobble)) + 1e-12)
    f0 = f_run * spin_up * (1.0 + wobble)
    cycles = s.phase(f0, n, sample_rate)
    whine_hz = s.unif(rng, 1500.0, 3000.0)
    ks = np.arange(1, int(7000.0 // f_run) + 1)
    amps = list(s.formant_gain(ks * f_run, [(whine_hz, 1500.0, 1.0)]) + 0.3)
    amps = [a / k for k, a in enumerate(amps, start=1)]
    motor = s.harmonics(cycles, amps, f0, sample_rate)
    hiss = s.lowpass(s.highpass(s.noise(rng, n), 600.0, sample_rate), 6000.0, sample_rate)
    hiss *= 1.0 + 0.7 * s.sin_cycles(cycles)
    mix = motor / np.max(np.abs(motor)) + 0.8 * hiss / np.max(np.abs(hiss))
    return s.ramps(mix, sample_rate, 0.08, 0.1)


def _voice(
    f0: np.ndarray,
    formants: list[tuple[float, float, float]],
    sample_rate: int,
    *,
    max_hz: float,
    tilt: float = 1.0,
) -> np.ndarray:
    """Harmonic voice with a fixed formant envelope (evaluated at the mean pitch)."""
    f_mean = float(np.sum(f0) / f0.size)
    n_harm = max(1, int(min(max_hz, 0.45 * sample_rate) // f_mean))
    ks = np.arange(1, n_harm + 1, dtype=np.float64)
    amps = s.formant_gain(ks * f_mean, formants) / (ks * tilt + (1.0 - tilt))
    return s.harmonics(s.phase(f0, f0.size, sample_rate), list(amps), f0, sample_rate)


def _vibrato(rng: np.random.Generator, n: int, sample_rate: int, rate: float, depth: float):
    """``1 + depth * sin`` at ``rate`` Hz plus slow random jitter of the same depth."""
    t = s.times(n, sample_rate)
    jitter = s.lowpass(s.noise(rng, n), 12.0, sample_rate)
    jitter *= depth / (np.max(np.abs(jitter)) + 1e-12)
    return 1.0 + depth * s.sin_cycles(rate * t + float(rng.random())) + jitter


def baby(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Baby cry: 1-3 'waah' bursts, pitch 380-520 Hz rising then falling, with breaths."""
    parts = []
    base = s.unif(rng, 380.0, 520.0)
    for i in range(int(rng.integers(1, 4))):
        dur = s.unif(rng, 0.5, 1.1)
        n = s.n_samples(dur, sample_rate)
        contour = s.segment_envelope(
            n, sample_rate, [(0.0, 0.85), (0.3 * dur, s.unif(rng, 1.05, 1.2)), (dur, 0.8)]
        )
        f0 = base * contour * _vibrato(rng, n, sample_rate, s.unif(rng, 5.0, 9.0), 0.03)
        formants = [(s.unif(rng, 900.0, 1300.0), 500.0, 1.0), (3000.0, 800.0, 0.6)]
        cry = _voice(f0, formants, sample_rate, max_hz=8000.0, tilt=0.5)
        cry /= np.max(np.abs(cry))
        cry += 0.08 * s.highpass(s.noise(rng, n), 2000.0, sample_rate)
        if i > 0:
            parts.append(0.02 * s.noise(rng, s.n_samples(s.unif(rng, 0.06, 0.18), sample_rate)))
        parts.append(s.ramps(cry, sample_rate, 0.06, 0.12))
    return np.concatenate(parts)


def cat(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Cat meow: one 0.6-1.4 s 'mee-ow', pitch 450-600 Hz up by ~40 % and down, formant glide."""
    dur = s.unif(rng, 0.6, 1.4)
    n = s.n_samples(dur, sample_rate)
    f_start = s.unif(rng, 450.0, 600.0)
    contour = s.segment_envelope(
        n, sample_rate, [(0.0, 1.0), (s.unif(rng, 0.25, 0.45) * dur, 1.4), (dur, 0.8)]
    )
    f0 = f_start * contour * _vibrato(rng, n, sample_rate, 4.0, 0.01)
    cycles = s.phase(f0, n, sample_rate)
    f1 = s.segment_envelope(n, sample_rate, [(0.0, 700.0), (0.4 * dur, 1100.0), (dur, 750.0)])
    f2 = s.segment_envelope(n, sample_rate, [(0.0, 1800.0), (0.4 * dur, 2400.0), (dur, 1500.0)])
    amps = []
    for k in range(1, int(0.45 * sample_rate // f_start) + 1):
        fk = k * f0
        z1, z2 = (fk - f1) / 250.0, (fk - f2) / 400.0
        amps.append((1.0 / (1.0 + z1 * z1) + 0.5 / (1.0 + z2 * z2) + 0.02) / k)
    meow = s.harmonics(cycles, amps, f0, sample_rate)
    shape = s.segment_envelope(n, sample_rate, [(0.0, 0.3), (0.35 * dur, 1.0), (dur, 0.4)])
    return s.ramps(meow * shape, sample_rate, 0.04, 0.08)


def dog(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Dog barking: rough 0.12-0.25 s barks, pitch 300-500 Hz falling, 0.08-0.22 s apart."""
    parts = []
    base = s.unif(rng, 300.0, 500.0)
    formants = [(s.unif(rng, 600.0, 1000.0), 400.0, 1.0), (s.unif(rng, 1500.0, 2200.0), 600.0, 0.7)]
    target, total = s.unif(rng, 0.6, 2.5), 0.0
    while total < target:
        if parts:
            gap = s.unif(rng, 0.08, 0.22)
            parts.append(np.zeros(s.n_samples(gap, sample_rate)))
            total += gap
        dur = s.unif(rng, 0.12, 0.25)
        total += dur
        n = s.n_samples(dur, sample_rate)
        f0 = base * s.segment_envelope(n, sample_rate, [(0.0, 1.1), (dur, 0.7)])
        bark = _voice(f0, formants, sample_rate, max_hz=6000.0)
        rough = 1.0 + 0.5 * s.unit(s.lowpass(s.noise(rng, n), 80.0, sample_rate))
        bark = s.unit(bark) * rough + 0.5 * s.unit(
            s.band_noise(rng, n, 1500.0, 2500.0, sample_rate)
        )
        env = s.decay(n, sample_rate, 0.45 * dur)
        parts.append(s.ramps(bark * env, sample_rate, 0.008, 0.02))
    return np.concatenate(parts)


def scream(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Scream: a 0.8-2.5 s loud, rough, high-pitched (800-1300 Hz) voice with breath noise."""
    dur = s.unif(rng, 0.8, 2.5)
    n = s.n_samples(dur, sample_rate)
    contour = s.segment_envelope(n, sample_rate, [(0.0, 0.85), (0.2 * dur, 1.0), (dur, 0.95)])
    f0 = s.unif(rng, 800.0, 1300.0) * contour * _vibrato(rng, n, sample_rate, 7.0, 0.04)
    formants = [
        (s.unif(rng, 1000.0, 1400.0), 600.0, 1.0),
        (2800.0, 900.0, 0.8),
        (4200.0, 1200.0, 0.4),
    ]
    voice = _voice(f0, formants, sample_rate, max_hz=10000.0, tilt=0.3)
    voice = s.soft_clip(3.0 * voice / np.max(np.abs(voice)))
    breath = s.lowpass(s.highpass(s.noise(rng, n), 1500.0, sample_rate), 7000.0, sample_rate)
    mix = voice + 0.25 * breath / np.max(np.abs(breath))
    return s.ramps(mix, sample_rate, 0.08, 0.15)


def speech(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Speech-like babble: syllables of formant vowels (pitch 100-220 Hz) and fricatives."""
    f_speaker = s.unif(rng, 100.0, 220.0)
    target = s.unif(rng, 1.5, 3.5)
    parts, total = [], 0.0
    while total < target:
        if rng.random() < 0.5:
            fric_s = s.unif(rng, 0.04, 0.09)
            total += fric_s
            n_fric = s.n_samples(fric_s, sample_rate)
            fric = s.band_noise(rng, n_fric, s.unif(rng, 3500.0, 6000.0), 3000.0, sample_rate)
            parts.append(0.25 * s.ramps(fric / np.max(np.abs(fric)), sample_rate, 0.01, 0.01))
        dur = s.unif(rng, 0.1, 0.25)
        n = s.n_samples(dur, sample_rate)
        f0 = f_speaker * s.segment_envelope(n, sample_rate, [(0.0, 1.05), (dur, 0.92)])
        vowel_hz = _VOWELS[int(rng.integers(0, 5))]
        formants = list(zip(vowel_hz, (90.0, 110.0, 160.0), (1.0, 0.6, 0.3), strict=True))
        vowel = _voice(f0, formants, sample_rate, max_hz=5000.0)
        parts.append(s.ramps(vowel / np.max(np.abs(vowel)), sample_rate, 0.02, 0.04))
        gap = s.unif(rng, 0.0, 0.1)
        parts.append(np.zeros(s.n_samples(gap, sample_rate)))
        total += dur + gap
    return np.concatenate(parts[:-1])
