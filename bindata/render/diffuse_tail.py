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
* the tail is a binaural diffuse field through the HRIR set (:func:`bindata.render.
  ambience.diffuse_field`: the set's diffuse-field spectra and interaural coherence), faded in with
  ``sin`` over the same span (incoherent, so the power is continuous), whose energy in octave
  band ``b`` decays as ``exp(-6 ln(10) t / T_b)``, ``T_b`` the band's Eyring RT60;
* its level in each band and ear is the statistical one (:func:`diffuse_level`): reflections
  arrive at the rate ``4 pi c^3 t^2 / V`` (the density of image sources, Kuttruff, *Room
  Acoustics*, 5th ed., 2009, section 4.2), each with the energy ``1 / (c t)^2`` of a unit
  source's image at distance ``c t`` through the HRIR set's direction-averaged band energy
  ``D_be``, and the band's decay, so ``e_be(t) = 4 pi c D_be exp(-6 ln(10) t / T_b) / (V f_s)``
  per sample. Read off the image-source response instead, the level would rest on the few
  reflections of a short window, and in a large hall with a listener far from every surface
  that window can be empty (the tail then vanished, above 1 kHz, 30 dB down). Where the window
  holds many reflections the two agree: median difference 0-1.5 dB from 500 Hz to 8 kHz over
  offices and classrooms, the image sources 2-4 dB above in halls (strong early reflections).

The envelopes are applied in the short-time Fourier domain (scipy's ``ShortTimeFFT``, Hann
window of 2048 samples, hop 1024). Absorption and air attenuation vary smoothly with frequency,
so the decay rate and the level do too: each bin takes the rate interpolated linearly in
log-frequency between the band centres, and the level interpolated geometrically
(:func:`log_frequency_weights`; constant beyond the outer centres). The octave rates
themselves are set by :func:`octave_rates` so that an octave-band measurement of the smooth
decay reads each band's RT60. Measured on tails whose octave RT60s step by a factor 1.4 below
1 kHz (T30 at 250 and 500 Hz, third-order Butterworth octave filters, 3 tails): a stepwise
partition of the bands read +15 % and +11 %, the interpolated band rates +8 % and +9 %, the
rates of :func:`octave_rates` +2.5 % and +1.2 % (and at a factor 2: +0 % and -1 %).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.fft import next_fast_len
from scipy.signal import ShortTimeFFT, butter, sosfreqz
from scipy.signal.windows import hann

from .ambience import diffuse_field

#: Change-over from image sources to the diffuse tail, after the direct sound (s). Later than
#: the 80 ms early window of moving sources (:mod:`bindata.render.path`) plus the fade.
TRANSITION_S = 0.03
#: Length of the cross-fade ending at the change-over (s).
FADE_S = 0.01
_WINDOW, _HOP = 2048, 1024
_TINY = 1e-30  # floor of a band gain before its logarithm
#: Decay model of :func:`octave_rates`: cells per octave, points of the decay curve, updates.
_CELLS_PER_OCTAVE, _MODEL_POINTS, _MODEL_ITERATIONS = 12, 96, 8
#: How far an octave's rate may be moved from its own RT60's (factor either way).
_MAX_CORRECTION = 1.5


def band_partition(freqs_hz, centres_hz) -> np.ndarray:
    """(B, F) 0/1 masks: each frequency in the band whose centre is nearest in log-frequency."""
    c = np.log(np.asarray(centres_hz, dtype=float))
    edges = np.exp((c[1:] + c[:-1]) / 2)
    index = np.searchsorted(edges, np.asarray(freqs_hz, dtype=float), side="right")
    return (index[None, :] == np.arange(c.size)[:, None]).astype(float)


def log_frequency_weights(freqs_hz, centres_hz) -> np.ndarray:
    """(B, F) weights of linear interpolation in log-frequency between band centres.

    Column ``f`` holds the weights of the two centres around ``f`` (summing to 1); below the
    lowest and above the highest centre, all weight is on that centre. ``weights.T @ v``
    interpolates per-band values ``v`` (B,) to the frequencies.
    """
    c = np.log(np.asarray(centres_hz, dtype=float))
    f = np.log(np.maximum(np.asarray(freqs_hz, dtype=float), 1e-12))
    return np.stack([np.interp(f, c, row) for row in np.eye(c.size)])


@lru_cache(maxsize=16)
def _octave_cells(centres_hz: tuple, sample_rate: int, n_bins: int):
    """The decay model's grid: for the STFT bins, the index of their 1/12-octave cell, and
    each octave filter's power response per cell, (B, cells)."""
    freqs = np.linspace(0.0, sample_rate / 2, n_bins)
    lo, hi = centres_hz[0] / 4, min(centres_hz[-1] * 2, sample_rate / 2)
    edges = np.geomspace(lo, hi, int(_CELLS_PER_OCTAVE * math.log2(hi / lo)) + 1)
    cell = np.clip(np.searchsorted(edges, freqs) - 1, 0, edges.size - 2)
    mids = np.sqrt(edges[1:] * edges[:-1])
    response = []
    for fc in centres_hz:
        band = [fc / math.sqrt(2), min(fc * math.sqrt(2), 0.95 * sample_rate / 2)]
        sos = butter(3, band, "bandpass", fs=sample_rate, output="sos")
        response.append(np.abs(sosfreqz(sos, worN=mids, fs=sample_rate)[1]) ** 2)
    return cell, np.array(response), edges.size - 1


def octave_t30_s(rate: np.ndarray, power: np.ndarray, response: np.ndarray) -> np.ndarray:
    """T30 (s) an octave-band measurement reads off decays with amplitude ``rate`` (1/s) and
    initial ``power`` per frequency cell: Schroeder's integral of the filtered energy,
    ``EDC_b(t) = sum_f |H_b(f)|^2 P_f exp(-2 r_f t) / (2 r_f)``, fitted from -5 to -35 dB."""
    out = np.empty(response.shape[0])
    for b, h in enumerate(response):
        w = h * power
        keep = w > 1e-6 * w.max()
        r, wk = rate[keep], w[keep] / (2 * rate[keep])
        t = np.linspace(0.0, 12.0 / r.min(), _MODEL_POINTS)  # past -60 dB of the slowest
        edc = 10 * np.log10(np.exp(-2 * np.outer(t, r)) @ wk / wk.sum())
        fit = (edc <= -5) & (edc >= -35)
        out[b] = -60.0 / np.polyfit(t[fit], edc[fit], 1)[0]
    return out


def octave_rates(
    rt60_s, weights: np.ndarray, power: np.ndarray, *, centres_hz, sample_rate: int
) -> np.ndarray:
    """Octave amplitude decay rates (1/s) whose interpolated decay reads ``rt60_s`` per octave.

    Absorption coefficients are octave-band figures of octave- or third-octave-band
    reverberation times (ISO 354), so a band's RT60 is what an octave-band measurement of the
    smooth decay reads, slower neighbours included (IEC 61260-1 octave filters, modelled as
    third-order Butterworth band-passes). The rates start at ``3 ln 10 / T_b`` and are updated
    ``r_b <- r_b T30_b / T_b`` (:func:`octave_t30_s`) at most a factor ``_MAX_CORRECTION``
    away from the start.

    Parameters
    ----------
    rt60_s : B floats
    weights : (B, F) from :func:`log_frequency_weights` of the STFT bins
    power : (F,) initial power of the tail per STFT bin
    """
    target = np.asarray(rt60_s, dtype=float)
    start = 3.0 * math.log(10.0) / target
    cell, response, n_cells = _octave_cells(
        tuple(map(float, centres_hz)), int(sample_rate), weights.shape[1]
    )
    cell_power = np.bincount(cell, weights=power, minlength=n_cells)
    count = np.maximum(np.bincount(cell, minlength=n_cells), 1)
    used = cell_power > 0
    rates = start.copy()
    for _ in range(_MODEL_ITERATIONS):
        bins = weights.T @ rates
        cell_rate = np.bincount(cell, weights=bins, minlength=n_cells) / count
        t30 = octave_t30_s(cell_rate[used], cell_power[used], response[:, used])
        if np.max(np.abs(t30 / target - 1)) < 5e-3:
            break
        rates = np.clip(rates * t30 / target, start / _MAX_CORRECTION, start * _MAX_CORRECTION)
    return rates


def tail_rng(seed: int, *, source_m, listener_m, yaw_deg: float) -> np.random.Generator:
    """The tail's noise stream: the room's ``late_reverb.seed`` and the geometry's bits.

    The same room and positions give the same tail (a BRIR is a function of the geometry);
    two sources of one room get independent tails.
    """
    geometry = np.array([*np.ravel(source_m), *np.ravel(listener_m), yaw_deg], dtype=np.float64)
    return np.random.default_rng([int(seed), *geometry.view(np.uint32).tolist()])


def diffuse_level(
    band_energy: np.ndarray,
    *,
    volume_m3: float,
    speed_of_sound: float,
    sample_rate: int,
    time_s: float,
    rt60_s,
) -> np.ndarray:
    """Expected reverberant energy per sample (B, 2) at ``time_s`` after a unit emission.

    ``e_be(t) = 4 pi c D_be exp(-6 ln(10) t / T_b) / (V f_s)``: reflections arrive at the rate
    ``4 pi c^3 t^2 / V`` with energy ``1 / (c t)^2`` each (see the module's text).

    Parameters
    ----------
    band_energy : array (B, 2)
        ``D_be``: energy of the HRIR set's responses in band ``b``, ear ``e``, averaged over its
        directions (sum of squared samples).
    volume_m3, speed_of_sound, sample_rate, time_s
    rt60_s : B floats
    """
    decay = np.exp(-6.0 * math.log(10.0) * float(time_s) / np.asarray(rt60_s, dtype=float))
    scale = 4.0 * math.pi * float(speed_of_sound) / (float(volume_m3) * float(sample_rate))
    return scale * np.asarray(band_energy, dtype=float) * decay[:, None]


def diffuse_tail(
    level: np.ndarray,
    rt60_s,
    *,
    bands_hz,
    shell,
    n_samples: int,
    sample_rate: int,
    rng: np.random.Generator,
    fade_samples: int,
) -> np.ndarray:
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
    n = int(n_samples)
    noise = diffuse_field(
        shell,
        n_samples=next_fast_len(n, real=True),
        sample_rate=sample_rate,
        rng=rng,
        slope_db_per_octave=0.0,
    ).T[:, :n]  # (2, n), RMS ~1
    stft = ShortTimeFFT(hann(_WINDOW, sym=False), hop=_HOP, fs=sample_rate, scale_to=None)
    coeffs = stft.stft(noise)  # (2, F', T)
    spectrum = np.mean(np.abs(coeffs) ** 2, axis=2)  # (2, F'): the noise's power per bin
    share = band_partition(stft.f, bands_hz) @ spectrum.T  # (B, 2)
    own = share / share.sum(axis=0) * np.mean(noise**2, axis=1)  # band energy per sample
    gain = np.sqrt(np.divide(level, own, out=np.zeros_like(level), where=own > 0))  # (B, 2)
    weights = log_frequency_weights(stft.f, bands_hz)  # (B, F')
    log_gain = weights.T @ np.log(np.maximum(gain, _TINY))  # (F', 2)
    power = spectrum * np.exp(2 * log_gain.T)  # (2, F')
    rate = weights.T @ octave_rates(
        rt60_s, weights, power.sum(axis=0), centres_hz=bands_hz, sample_rate=sample_rate
    )  # (F',) 1/s
    times = np.clip(stft.t(n), 0.0, None)
    envelope = np.exp(log_gain.T[:, :, None] - rate[None, :, None] * times[None, None, :])
    tail = stft.istft(coeffs * envelope, k1=n)
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


__all__ = [
    "FADE_S",
    "TRANSITION_S",
    "band_partition",
    "diffuse_level",
    "diffuse_tail",
    "fade_out",
    "log_frequency_weights",
    "octave_rates",
    "octave_t30_s",
    "tail_rng",
]
