"""Diffuse late reverberation after the image sources (the ``diffuse`` late-reverb model).

A specular image-source shoebox never mixes directions: with uneven absorption (an absorbing
ceiling over hard walls) its grazing paths decay for much longer than the room's diffuse-field
prediction, and its decay is not exponential. Real rooms scatter, and after the mixing time
their sound field is close to diffuse and decays exponentially at the rate Eyring's formula
gives (Kuttruff, *Room Acoustics*, 5th ed., 2009, sections 5.1-5.4). Hybrid renderers therefore
keep image sources for the early part and continue with a diffuse, noise-like tail whose
envelope follows the statistical decay (Lehmann & Johansson, "Diffuse reverberation model for
efficient image-source simulation of room impulse responses", IEEE TASLP 18(6), 2010;
Diaz-Guerra et al., "gpuRIR", Multimedia Tools and Applications 80, 2021).

Here the change-over is at ``t_m = r / c + TRANSITION_S`` (``r`` the direct distance):

* the image-source response is faded out with ``cos`` over ``[t_m - FADE_S, t_m]``;
* the tail is a binaural diffuse field through the HRIR set (:func:`bindata.ambience.
  diffuse_field`: the set's diffuse-field spectra and interaural coherence), faded in with
  ``sin`` over the same span (incoherent, so the power is continuous), whose energy in octave
  band ``b`` decays as ``exp(-6 ln(10) t / T_b)``, ``T_b`` the band's Eyring RT60;
* its level in each band and ear is that of the image-source response in the
  ``LEVEL_WINDOW_S`` before the fade, carried to the fade's start along the band's decay.

The band envelopes are applied in the short-time Fourier domain (scipy's ``ShortTimeFFT``,
Hann window of 2048 samples, hop 256), each bin taking the envelope of the band it lies in
(:func:`band_partition`, edges at the geometric means of adjacent centres). Unlike the
smooth crossovers of the image sources, the partition keeps a band's decay out of its
neighbours: with cross-overs, an octave band measured at 250 Hz whose 125 Hz neighbour rings
three times longer decays at the neighbour's rate after 20 dB.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.fft import rfft
from scipy.signal import ShortTimeFFT
from scipy.signal.windows import hann

#: Change-over from image sources to the diffuse tail, after the direct sound (s). Later than
#: the 80 ms early window of moving sources (:mod:`bindata.render.path`) plus the fade.
TRANSITION_S = 0.03
#: Length of the cross-fade ending at the change-over (s).
FADE_S = 0.01
#: Window before the fade in which the image-source level of each band is measured (s).
LEVEL_WINDOW_S = 0.015
_WINDOW, _HOP = 2048, 256


def band_partition(freqs_hz, centres_hz) -> np.ndarray:
    """(B, F) 0/1 masks: each frequency in the band whose centre is nearest in log-frequency."""
    c = np.log(np.asarray(centres_hz, dtype=float))
    edges = np.exp((c[1:] + c[:-1]) / 2)
    index = np.searchsorted(edges, np.asarray(freqs_hz, dtype=float), side="right")
    return (index[None, :] == np.arange(c.size)[:, None]).astype(float)


def tail_rng(seed: int, *, source_m, listener_m, yaw_deg: float) -> np.random.Generator:
    """The tail's noise stream: the room's ``late_reverb.seed`` and the geometry's bits.

    The same room and positions give the same tail (a BRIR is a function of the geometry);
    two sources of one room get independent tails.
    """
    geometry = np.array([*np.ravel(source_m), *np.ravel(listener_m), yaw_deg], dtype=np.float64)
    return np.random.default_rng([int(seed), *geometry.view(np.uint32).tolist()])


def band_energy_per_sample(band_signals: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Mean energy per sample of (B, 2, n) band signals over ``[start, stop)``: (B, 2)."""
    seg = band_signals[:, :, max(start, 0) : max(stop, start + 1)]
    return np.mean(seg**2, axis=-1)


def diffuse_tail(level: np.ndarray, rt60_s, *, bands_hz, shell, n_samples: int,
                 sample_rate: int, rng: np.random.Generator, fade_samples: int) -> np.ndarray:  # fmt: skip
    """A decaying binaural diffuse field, (2, n_samples), starting at its fade-in.

    Parameters
    ----------
    level : array (B, 2)
        Energy per sample of each band and ear at the start.
    rt60_s : B floats
        Each band's reverberation time (s).
    bands_hz : B floats
        Band centres (:func:`band_partition`).
    shell : HRIRShell
        The HRIR set's far-field shell (spectra and interaural coherence of the field).
    n_samples, sample_rate : int
    rng : numpy.random.Generator
        From :func:`tail_rng`.
    fade_samples : int
        Length of the ``sin`` fade-in.
    """
    from ..ambience import diffuse_field

    n = int(n_samples)
    noise = diffuse_field(shell, n_samples=n, sample_rate=sample_rate, rng=rng,
                          slope_db_per_octave=0.0).T  # (2, n), RMS 1  # fmt: skip
    masks_full = band_partition(np.fft.rfftfreq(n, 1.0 / sample_rate), bands_hz)  # (B, F)
    spec = np.abs(rfft(noise, axis=1)) ** 2  # (2, F)
    own = (masks_full**2 @ spec.T) * 2.0 / n**2  # (B, 2): band energy per sample (Parseval)
    gain = np.sqrt(np.divide(level, own, out=np.zeros_like(level), where=own > 0))  # (B, 2)
    stft = ShortTimeFFT(hann(_WINDOW, sym=False), hop=_HOP, fs=sample_rate, scale_to=None)
    coeffs = stft.stft(noise)  # (2, F', T)
    times = stft.t(n)
    rate = 3.0 * math.log(10.0) / np.asarray(rt60_s, dtype=float)  # amplitude decay (1/s)
    envelope = np.exp(-rate[:, None] * np.clip(times, 0.0, None)[None, :])  # (B, T)
    masks = band_partition(stft.f, bands_hz)  # (B, F')
    weights = np.einsum("bf,be,bt->eft", masks, gain, envelope)
    tail = stft.istft(coeffs * weights, k1=n)
    fade = np.ones(n)
    k = min(int(fade_samples), n)
    fade[:k] = np.sin(0.5 * math.pi * (np.arange(k) + 0.5) / k)
    return tail * fade[None, :]


def fade_out(buffer: np.ndarray, *, start: int, length: int) -> None:
    """In place: ``cos`` fade of (2, n) ``buffer`` over ``[start, start + length)``, zero after."""
    stop = min(start + length, buffer.shape[1])
    k = np.arange(start, stop) - start
    buffer[:, start:stop] *= np.cos(0.5 * math.pi * (k + 0.5) / length)[None, :]
    buffer[:, stop:] = 0.0


__all__ = ["band_partition", "TRANSITION_S", "FADE_S", "LEVEL_WINDOW_S", "tail_rng", "diffuse_tail",
           "band_energy_per_sample", "fade_out"]  # fmt: skip
