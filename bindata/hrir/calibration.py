"""Level calibration: every HRIR set scaled to one reference, so a level means the same per set.

Measured sets arrive with arbitrary gain (loudspeaker, microphone, amplifier and the file's
normalisation). :func:`calibrate` scales a set so that its *reference level* is 0 dB, i.e. equal
to the free field at the head centre (the container's convention, :mod:`.hrirset`):

.. math::

    L_\\mathrm{ref} = 10 \\log_{10} \\frac{\\sum_{d \\in F} \\sum_{e=1}^{2}
        \\int_{f_1}^{f_2} |H_{d,e}(f)|^2 \\, df / f}
        {2 \\, |F| \\int_{f_1}^{f_2} df / f}

over the *frontal* directions ``F`` of the far-field shell (every measured direction within
:data:`FRONT_CONE_DEG` of azimuth 0, elevation 0; the nearest one when none is), both ears, and the
band ``f_1 = 250 Hz`` to ``f_2 = 2 kHz`` (:data:`REFERENCE_BAND_HZ`) with equal weight per octave
(``df / f``: the band level a pink noise would have). The gain ``-L_ref`` dB is applied to every
shell alike, so near-field shells keep their level relative to the far field.

Why this reference. Below a few kHz a head is acoustically simple: a rigid sphere is within
about 1 dB of the free field there (Duda & Martens 1998; the built-in sphere model gives
``L_ref`` = -0.2 dB, the structural model +0.4 dB), every measured set covers the front, and the
pinna, concha and ear-canal resonances that dominate and differ between sets lie above 2 kHz.
Below 250 Hz many measurements lose level to the loudspeaker's roll-off.

The diffuse-field option (``calibration="diffuse"``, :func:`diffuse_level_db`) scales the set so
that its *diffuse-field* level is 0 dB instead: the same band average taken over every direction
of the far-field shell, each weighted by the share of the sphere nearest to it (its Voronoi
cell, :func:`direction_weights`), i.e. the level of a field arriving equally from all
directions, the quantity the diffuse-field equalisation of HRTF sets refers to (Møller 1992,
Applied Acoustics 36, 171-218; Larcher, Jot & Vandernoot 1998, "Equalization methods in
binaural technology", AES 105th Convention).
A reverberant file reaches the ears mostly through the reflections, from all directions; which
reference keeps file levels of different heads closer is measured in docs/hrir.md. A set that
misses directions (MIT KEMAR stops at -40 degrees) gives the missing cap the weight of its
nearest measured directions. The frontal reference stays the default.

Diffuse-field equalisation (``calibration="equalised"``, :func:`equalisation_correction_db`).
One gain cannot make two heads give the same file levels: their diffuse-field *spectra* differ
(MIT KEMAR as libmysofa ships it, frontally calibrated, lies 7 dB below the built-in head at
160-500 Hz and 7 dB above it at 2-2.5 kHz, third-octave diffuse-field levels), so each file's
level difference follows its sounds' spectra. The equalised level first calibrates the set to the frontal reference, then filters
every response of every shell, both ears, by one correction filter ``C`` whose magnitude makes
the set's diffuse-field power spectrum equal to a target's:

.. math::

    |C(f)|^2 = \\frac{S[T](f)}{S[P](f)}, \\qquad
    P(f) = \\sum_d w_d \\, \\tfrac{1}{2} \\sum_{e=1}^{2} |H_{d,e}(f)|^2

(``w_d`` the direction weights above, far-field shell; ``S`` the power average over one third of
an octave around ``f``, :func:`smooth_octaves`), within :data:`EQUALISATION_BAND_HZ` (top at
most :data:`EQUALISATION_TOP_FRACTION` of the rate), held at its edge values outside it and
limited to +-:data:`EQUALISATION_LIMIT_DB`. This is the diffuse-field equalisation of binaural
technology (Møller 1992; Larcher, Jot & Vandernoot 1998), with a head's diffuse field as target
instead of a flat one: the target ``T`` is the diffuse-field spectrum of the built-in structural
head at its default size, frontally calibrated in the same band (:func:`equalisation_target`).
Its level keeps the convention that a level is the free field's at the head centre in front, and
equalising the built-in head to itself is the identity (its responses, hence its renders, are
exactly those of the ``"reference"`` level). ``C`` is minimum phase
(:func:`minimum_phase_filter`): its energy comes first, so onsets stay where they were, and one
filter for both ears leaves the interaural transfer function ``H_left / H_right`` of every
direction, hence interaural level and time differences, exactly as they were. Near-field shells
get the same filter (the far field's correction). The responses grow by the filter's length
minus one.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
import scipy.fft
from scipy.signal import fftconvolve

from ..errors import HRIRError
from ..geometry import spherical_to_cartesian
from .builtin import default_n_taps
from .cache import default_hrirset
from .hrirset import CALIBRATIONS, REFERENCE_BAND_HZ, HRIRSet, HRIRShell
from .lookup import direction_lookup

#: Measured directions within this angle (degrees) of the front count as frontal.
FRONT_CONE_DEG = 10.0
#: FFT length (at least) of the level computation: 2.9 Hz bins at 24 kHz.
LEVEL_NFFT = 8192
#: A reference level below this (dB) cannot be calibrated (a set without energy in the band).
MIN_LEVEL_DB = -100.0
#: Points of the sphere (golden-angle spiral) whose nearest direction gives the diffuse weights.
WEIGHT_POINTS = 40000
#: Band (Hz) in which the equalised level matches diffuse-field spectra. Below 100 Hz a head is
#: acoustically small (``ka`` < 0.16 at 8.75 cm) and every HRTF is near the free field, while
#: measured sets lose their loudspeaker's output there; above 16 kHz measured sets differ by the
#: microphone and the ear canal more than by the head.
EQUALISATION_BAND_HZ = (100.0, 16000.0)
#: The equalisation band ends at most at this fraction of the sample rate (below the roll-off of
#: the anti-aliasing filter of a resampled set, 0.5).
EQUALISATION_TOP_FRACTION = 0.45
#: Largest gain (dB, either sign) of the equalisation filter.
EQUALISATION_LIMIT_DB = 12.0
#: Refinements of the equalisation gain (:func:`equalisation_correction_db`).
EQUALISATION_PASSES = 3
#: Width of the smoothing of diffuse-field spectra, in octaves.
SMOOTHING_OCTAVES = 1.0 / 3.0
#: The equalisation filter is cut where all but this share of its energy is kept (-40 dB).
FILTER_TAIL_ENERGY = 1e-4
#: Fewest taps of the equalisation filter.
MIN_FILTER_TAPS = 64
#: Directions whose spectra are computed at once (bounds the memory of a large grid).
SPECTRUM_CHUNK = 256


def level_nfft(n_taps: int) -> int:
    """FFT length of level and spectrum computations for responses of ``n_taps``: at least
    :data:`LEVEL_NFFT`, and a power of two of at least twice the taps."""
    return max(LEVEL_NFFT, 1 << int(np.ceil(np.log2(2 * max(int(n_taps), 1)))))


def _weighted_band_power(ir: np.ndarray, sample_rate: float, band_hz) -> tuple[np.ndarray, float]:
    """``sum_f |H(f)|^2 / f`` over ``band_hz`` for each response of ``ir`` (..., N), and
    ``sum_f 1 / f`` (their ratio: the band's mean power with equal weight per octave)."""
    ir = np.asarray(ir, dtype=float)
    nfft = level_nfft(ir.shape[-1])
    freqs = np.fft.rfftfreq(nfft, 1.0 / sample_rate)
    band = (freqs >= band_hz[0]) & (freqs <= band_hz[1])
    if not band.any():
        raise HRIRError(
            f"the band {band_hz[0]:g}-{band_hz[1]:g} Hz holds no frequency at {sample_rate:g} Hz"
        )
    power = np.abs(np.fft.rfft(ir, nfft, axis=-1)[..., band]) ** 2
    weight = 1.0 / freqs[band]
    return power @ weight, float(weight.sum())


def band_powers(ir: np.ndarray, sample_rate: float, band_hz=REFERENCE_BAND_HZ) -> np.ndarray:
    """Mean power of each response of ``ir`` (..., N) over ``band_hz`` with equal weight per
    octave (``df / f``), shape (...)."""
    power, total = _weighted_band_power(ir, sample_rate, band_hz)
    return power / total


def _db(mean: float) -> float:
    return 10.0 * np.log10(mean) if mean > 0 else -np.inf


def band_level_db(ir: np.ndarray, sample_rate: float, band_hz=REFERENCE_BAND_HZ) -> float:
    """Level (dB) of responses ``ir`` (..., N), power-averaged over all and over ``band_hz``
    with equal weight per octave (``df / f``)."""
    power, total = _weighted_band_power(ir, sample_rate, band_hz)
    return _db(float(np.mean(power) / total))


def fibonacci_sphere(n: int) -> np.ndarray:
    """``n`` nearly uniform unit vectors (n, 3) on the sphere (golden-angle spiral)."""
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    phi = np.pi * (1.0 + np.sqrt(5.0)) * i
    rho = np.sqrt(1.0 - z**2)
    return np.stack([rho * np.cos(phi), rho * np.sin(phi), z], axis=1)


def direction_weights(shell: HRIRShell, *, n_points: int = WEIGHT_POINTS) -> np.ndarray:
    """Share of the sphere nearest to each direction of ``shell`` (its Voronoi cell), summing
    to 1: the fraction of ``n_points`` nearly uniform points whose nearest measured direction
    it is (error of a share about ``1 / sqrt(n_points * share)``)."""
    lookup = direction_lookup(shell.azimuth_deg, shell.elevation_deg)
    nearest = lookup.query_vectors(fibonacci_sphere(n_points))
    return np.bincount(nearest, minlength=shell.azimuth_deg.size) / float(n_points)


def diffuse_level_db(hrirset: HRIRSet, band_hz=REFERENCE_BAND_HZ) -> float:
    """Diffuse-field level (dB re the free field) of ``hrirset`` in ``band_hz``: the band power
    of the far-field shell's responses, both ears, averaged over the sphere with the weights of
    :func:`direction_weights`.

    .. math::

        L_\\mathrm{diff} = 10 \\log_{10} \\sum_d w_d \\, \\tfrac{1}{2} \\sum_{e=1}^{2}
            \\frac{\\int_{f_1}^{f_2} |H_{d,e}(f)|^2 \\, df / f}{\\int_{f_1}^{f_2} df / f}
    """
    shell = hrirset.far_field_shell
    power = band_powers(shell.ir, hrirset.sample_rate, band_hz).mean(axis=1)  # (D,)
    return _db(float(direction_weights(shell) @ power))


def frontal_indices(azimuth_deg, elevation_deg, *, cone_deg: float = FRONT_CONE_DEG) -> np.ndarray:
    """Indices of the directions within ``cone_deg`` of the front (the nearest one if none)."""
    units = spherical_to_cartesian(np.asarray(azimuth_deg), np.asarray(elevation_deg))
    angle = np.rad2deg(np.arccos(np.clip(units[:, 0], -1.0, 1.0)))
    inside = np.flatnonzero(angle <= cone_deg + 1e-9)
    return inside if inside.size else np.array([int(np.argmin(angle))])


def reference_level_db(hrirset: HRIRSet, band_hz=REFERENCE_BAND_HZ) -> float:
    """:math:`L_\\mathrm{ref}` of ``hrirset`` in dB re the free field (module docstring)."""
    shell = hrirset.far_field_shell
    front = frontal_indices(shell.azimuth_deg, shell.elevation_deg)
    return band_level_db(shell.ir[front], hrirset.sample_rate, band_hz)


def diffuse_field_spectrum(hrirset: HRIRSet, *, n_fft: int | None = None):
    """Diffuse-field power spectrum of ``hrirset``: the power of the far-field shell's responses,
    both ears, averaged over the sphere with the weights of :func:`direction_weights`.

    .. math::

        P(f) = \\sum_d w_d \\, \\tfrac{1}{2} \\sum_{e=1}^{2} |H_{d,e}(f)|^2

    Parameters
    ----------
    hrirset : HRIRSet
    n_fft : int, optional
        FFT length (default :func:`level_nfft` of the set's taps).

    Returns
    -------
    freqs, power : ndarray
        The ``n_fft // 2 + 1`` frequencies (Hz) of the real FFT and ``P`` at each.
    """
    shell = hrirset.far_field_shell
    n_fft = level_nfft(hrirset.n_taps) if n_fft is None else int(n_fft)
    weights = direction_weights(shell)
    power = np.zeros(n_fft // 2 + 1)
    for start in range(0, weights.size, SPECTRUM_CHUNK):
        part = slice(start, start + SPECTRUM_CHUNK)
        spectra = np.abs(scipy.fft.rfft(shell.ir[part], n_fft, axis=-1)) ** 2
        power += weights[part] @ spectra.mean(axis=1)
    return np.fft.rfftfreq(n_fft, 1.0 / hrirset.sample_rate), power


def smooth_octaves(freqs, power, *, octaves: float = SMOOTHING_OCTAVES) -> np.ndarray:
    """``power`` averaged, at each frequency ``f`` of the evenly spaced ``freqs``, over the
    frequencies within ``octaves / 2`` octaves of ``f`` (``[f 2^{-o/2}, f 2^{o/2}]``, at least the
    bin itself): fractional-octave smoothing of a power spectrum (Hatziantoniou & Mourjopoulos
    2000, J. Audio Eng. Soc. 48, 259-280, with a rectangular window)."""
    freqs, power = np.asarray(freqs, dtype=float), np.asarray(power, dtype=float)
    total = np.concatenate([[0.0], np.cumsum(power)])
    half = 2.0 ** (octaves / 2.0)
    lo = np.searchsorted(freqs, freqs / half, side="left")
    hi = np.maximum(np.searchsorted(freqs, freqs * half, side="right"), lo + 1)
    return (total[hi] - total[lo]) / (hi - lo)


def equalisation_band(sample_rate: float) -> tuple[float, float]:
    """The band (Hz) the equalised level matches at ``sample_rate``: :data:`EQUALISATION_BAND_HZ`,
    its top at most :data:`EQUALISATION_TOP_FRACTION` of the rate."""
    lo, hi = EQUALISATION_BAND_HZ
    return lo, min(hi, EQUALISATION_TOP_FRACTION * float(sample_rate))


@lru_cache(maxsize=8)
def _target(sample_rate: int, band_hz: tuple[float, float], n_fft: int) -> tuple:
    head = calibrate(default_hrirset(sample_rate=sample_rate), "reference", band_hz=band_hz)
    freqs, power = diffuse_field_spectrum(head, n_fft=n_fft)
    smoothed = smooth_octaves(freqs, power)
    freqs.setflags(write=False)
    smoothed.setflags(write=False)
    return freqs, smoothed


def equalisation_target(sample_rate: int, band_hz=REFERENCE_BAND_HZ, *, n_fft: int = LEVEL_NFFT):
    """The spectrum the equalised level brings every set to: the diffuse-field power spectrum
    (:func:`diffuse_field_spectrum`, smoothed by :func:`smooth_octaves`) of the built-in
    structural head at its default size (:func:`.cache.default_hrirset`), calibrated to the
    frontal reference in ``band_hz``, at ``sample_rate``.

    Returns ``(freqs, power)`` (read-only arrays, computed once per process and arguments).
    """
    return _target(int(sample_rate), check_band(band_hz), int(n_fft))


def equalisation_correction_db(hrirset: HRIRSet, band_hz=REFERENCE_BAND_HZ):
    """Gain (dB) per frequency of the filter that equalises ``hrirset`` to
    :func:`equalisation_target`: ``10 log10(S[T] / S[P])`` of the smoothed diffuse-field spectra
    (module docstring) within :func:`equalisation_band`, held at its edge values outside it and
    limited to +-:data:`EQUALISATION_LIMIT_DB`.

    Where the correction changes within a third of an octave, the smoothed ratio does not quite
    give equal band powers (``S[P |C|^2] != S[P] |C|^2``), so the gain is refined
    :data:`EQUALISATION_PASSES` times: ``g += 10 log10(S[T] / S[P 10^(g/10)])`` (then held and
    limited again), which brings the third-octave band powers of the equalised set within about
    0.2 dB of the target's (docs/hrir.md).

    Returns ``(freqs, gain_db)``; ``gain_db`` is exactly 0 where the smoothed spectra are equal
    (the built-in head, frontally calibrated in ``band_hz``).
    """
    n_fft = level_nfft(max(hrirset.n_taps, default_n_taps(hrirset.sample_rate)))
    freqs, target = equalisation_target(hrirset.sample_rate, band_hz, n_fft=n_fft)
    _, power = diffuse_field_spectrum(hrirset, n_fft=n_fft)
    lo, hi = equalisation_band(hrirset.sample_rate)
    inside = np.flatnonzero((freqs >= lo) & (freqs <= hi))
    tiny = np.finfo(float).tiny
    gain_db = np.zeros_like(freqs)
    for _ in range(EQUALISATION_PASSES):
        smoothed = smooth_octaves(freqs, power * 10.0 ** (gain_db / 10.0))
        gain_db = gain_db + 10.0 * np.log10(np.maximum(target, tiny) / np.maximum(smoothed, tiny))
        gain_db[: inside[0]] = gain_db[inside[0]]
        gain_db[inside[-1] + 1 :] = gain_db[inside[-1]]
        gain_db = np.clip(gain_db, -EQUALISATION_LIMIT_DB, EQUALISATION_LIMIT_DB)
    return freqs, gain_db


def minimum_phase_filter(gain_db, *, tail_energy: float = FILTER_TAIL_ENERGY) -> np.ndarray:
    """The minimum-phase impulse response whose magnitude is ``10^(gain_db / 20)``.

    ``gain_db`` is given at the ``n_fft // 2 + 1`` frequencies of a real FFT of even length
    ``n_fft``. Homomorphic construction (Oppenheim & Schafer 2010, Discrete-Time Signal
    Processing, 3rd ed., sec. 13.5): the real cepstrum ``c = IFFT(ln |H|)``, folded onto
    non-negative quefrencies (``c[0]``, ``2 c[n]`` for ``0 < n < n_fft/2``, ``c[n_fft/2]``, zero
    after), is the complex cepstrum of the minimum-phase filter of that magnitude, whose response
    is ``IFFT(exp(FFT(folded)))``. (:func:`scipy.signal.minimum_phase` starts from a linear-phase
    FIR filter, not from a magnitude; this builds the same thing from the magnitude with
    :mod:`scipy.fft`, without a linear-phase design in between.)

    The response is cut after the fewest taps (a power of two, at least
    :data:`MIN_FILTER_TAPS`) that keep all but ``tail_energy`` of its energy.
    """
    gain_db = np.asarray(gain_db, dtype=float)
    n_fft = 2 * (gain_db.size - 1)
    cepstrum = scipy.fft.irfft(gain_db * (np.log(10.0) / 20.0), n_fft)
    folded = np.zeros(n_fft)
    folded[0] = cepstrum[0]
    folded[1 : n_fft // 2] = 2.0 * cepstrum[1 : n_fft // 2]
    folded[n_fft // 2] = cepstrum[n_fft // 2]
    response = scipy.fft.irfft(np.exp(scipy.fft.rfft(folded)), n_fft)
    energy = np.cumsum(response**2)
    kept = int(np.searchsorted(energy, (1.0 - tail_energy) * energy[-1])) + 1
    taps = max(MIN_FILTER_TAPS, 1 << int(np.ceil(np.log2(kept))))
    return response[: min(taps, n_fft)]


def _equalise(hrirset: HRIRSet, band_hz) -> HRIRSet:
    """``hrirset`` (frontally calibrated) filtered by its equalisation filter, every shell and
    both ears; unchanged where the correction is 0 dB everywhere."""
    _, gain_db = equalisation_correction_db(hrirset, band_hz)
    ir = hrirset.ir
    if np.any(gain_db):
        ir = fftconvolve(ir, minimum_phase_filter(gain_db)[None, None, :], axes=-1)
    return dataclasses.replace(hrirset, ir=ir, calibration="equalised")


#: The level each calibration brings to 0 dB, and how messages name it.
LEVELS = {
    "reference": (reference_level_db, "frontal far-field level"),
    "diffuse": (diffuse_level_db, "diffuse-field level"),
}


def check_band(band_hz) -> tuple[float, float]:
    """``band_hz`` as a ``(low, high)`` tuple of floats, 0 < low < high (else HRIRError)."""
    try:
        lo, hi = (float(v) for v in band_hz)
    except (TypeError, ValueError):
        raise HRIRError(f"calibration band must be two frequencies (Hz), got {band_hz!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
        raise HRIRError(f"calibration band must satisfy 0 < low < high (Hz), got [{lo}, {hi}]")
    return lo, hi


def calibrate(
    hrirset: HRIRSet, calibration: str = "reference", *, band_hz=REFERENCE_BAND_HZ
) -> HRIRSet:
    """``hrirset`` at the level ``calibration`` asks for.

    Parameters
    ----------
    hrirset : HRIRSet
        A set in any level state but ``"equalised"`` (a calibrated set is first brought back to
        its stored level; an equalised one cannot be, its filter is not undone).
    calibration : {"reference", "diffuse", "equalised", "raw"}
        ``"reference"``: scaled so that :func:`reference_level_db` (frontal) is 0 dB;
        ``"diffuse"``: so that :func:`diffuse_level_db` is 0 dB (one gain for every shell
        either way); ``"equalised"``: scaled as for ``"reference"``, then filtered so that its
        diffuse-field spectrum is the built-in head's (module docstring,
        :func:`equalisation_correction_db`); ``"raw"``: the level as stored (gain 0 dB).
    band_hz : (float, float)
        Band of the level (Hz), default :data:`REFERENCE_BAND_HZ`.

    Returns
    -------
    HRIRSet
        With ``calibration``, ``calibration_band_hz`` and ``calibration_gain_db`` (the gain
        applied to the stored level; for ``"equalised"`` the frontal gain before the filter)
        set; ``hrirset`` itself when it already is in that state.
    """
    if calibration not in CALIBRATIONS:
        raise HRIRError(
            f"HRIR calibration must be one of {', '.join(CALIBRATIONS)}, got {calibration!r}"
        )
    band_hz = check_band(band_hz) if calibration != "raw" else None
    if calibration == hrirset.calibration and band_hz == hrirset.calibration_band_hz:
        return hrirset
    if hrirset.calibration == "equalised":
        raise HRIRError(
            f"{hrirset.name or 'HRIR set'} is equalised; its level cannot be changed (the "
            "equalisation filter is not undone): calibrate the set as stored"
        )
    if calibration == "equalised":
        return _equalise(calibrate(hrirset, "reference", band_hz=band_hz), band_hz)
    stored = hrirset.ir * 10.0 ** (-hrirset.calibration_gain_db / 20.0)
    gain_db = 0.0
    if calibration in LEVELS:
        level_of, what = LEVELS[calibration]
        level = level_of(hrirset, band_hz) - hrirset.calibration_gain_db
        if not level > MIN_LEVEL_DB:
            raise HRIRError(
                f"{hrirset.name or 'HRIR set'}: {what} {level:.1f} dB in "
                f"{band_hz[0]:g}-{band_hz[1]:g} Hz is below "
                f"{MIN_LEVEL_DB:g} dB; cannot calibrate (use the raw level)"
            )
        gain_db = -level
    return dataclasses.replace(
        hrirset,
        ir=stored * 10.0 ** (gain_db / 20.0),
        calibration=calibration,
        calibration_gain_db=gain_db,
        calibration_band_hz=band_hz,
    )


__all__ = [
    "EQUALISATION_BAND_HZ",
    "EQUALISATION_LIMIT_DB",
    "FRONT_CONE_DEG",
    "LEVELS",
    "REFERENCE_BAND_HZ",
    "band_level_db",
    "band_powers",
    "calibrate",
    "check_band",
    "diffuse_field_spectrum",
    "diffuse_level_db",
    "direction_weights",
    "equalisation_band",
    "equalisation_correction_db",
    "equalisation_target",
    "fibonacci_sphere",
    "frontal_indices",
    "level_nfft",
    "minimum_phase_filter",
    "reference_level_db",
    "smooth_octaves",
]
