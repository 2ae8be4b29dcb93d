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
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import HRIRError
from ..geometry import spherical_to_cartesian
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


def _weighted_band_power(ir: np.ndarray, sample_rate: float, band_hz) -> tuple[np.ndarray, float]:
    """``sum_f |H(f)|^2 / f`` over ``band_hz`` for each response of ``ir`` (..., N), and
    ``sum_f 1 / f`` (their ratio: the band's mean power with equal weight per octave)."""
    ir = np.asarray(ir, dtype=float)
    nfft = max(LEVEL_NFFT, 1 << int(np.ceil(np.log2(2 * ir.shape[-1]))))
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
        A set in any level state (a calibrated set is first brought back to its stored level).
    calibration : {"reference", "diffuse", "raw"}
        ``"reference"``: scaled so that :func:`reference_level_db` (frontal) is 0 dB;
        ``"diffuse"``: so that :func:`diffuse_level_db` is 0 dB (one gain for every shell
        either way); ``"raw"``: the level as stored (gain 0 dB).
    band_hz : (float, float)
        Band of the level (Hz), default :data:`REFERENCE_BAND_HZ`.

    Returns
    -------
    HRIRSet
        With ``calibration``, ``calibration_band_hz`` and ``calibration_gain_db`` (the gain
        applied to the stored level) set; ``hrirset`` itself when it already is in that state.
    """
    if calibration not in CALIBRATIONS:
        raise HRIRError(
            f"HRIR calibration must be one of {', '.join(CALIBRATIONS)}, got {calibration!r}"
        )
    band_hz = check_band(band_hz) if calibration != "raw" else None
    if calibration == hrirset.calibration and band_hz == hrirset.calibration_band_hz:
        return hrirset
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
    "FRONT_CONE_DEG",
    "LEVELS",
    "REFERENCE_BAND_HZ",
    "band_level_db",
    "band_powers",
    "calibrate",
    "check_band",
    "diffuse_level_db",
    "direction_weights",
    "fibonacci_sphere",
    "frontal_indices",
    "reference_level_db",
]
