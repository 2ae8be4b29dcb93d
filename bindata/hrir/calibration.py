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
A diffuse-field (all-direction) average was considered and not taken: sets that miss the lower
elevations (MIT KEMAR stops at -40 degrees) would bias it, and it is dominated by the lateral
directions where sets differ most. Below 250 Hz many measurements lose level to the loudspeaker's
roll-off.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import HRIRError
from ..geometry import spherical_to_cartesian
from .hrirset import CALIBRATIONS, HRIRSet

#: Band of the reference level, Hz.
REFERENCE_BAND_HZ = (250.0, 2000.0)
#: Measured directions within this angle (degrees) of the front count as frontal.
FRONT_CONE_DEG = 10.0
#: FFT length (at least) of the level computation: 2.9 Hz bins at 24 kHz.
LEVEL_NFFT = 8192
#: A reference level below this (dB) cannot be calibrated (a set without energy in the band).
MIN_LEVEL_DB = -100.0


def band_level_db(ir: np.ndarray, sample_rate: float, band_hz=REFERENCE_BAND_HZ) -> float:
    """Level (dB) of responses ``ir`` (..., N), power-averaged over all and over ``band_hz``
    with equal weight per octave (``df / f``)."""
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
    mean = float(np.mean(power @ weight) / weight.sum())
    return 10.0 * np.log10(mean) if mean > 0 else -np.inf


def frontal_indices(azimuth_deg, elevation_deg, *, cone_deg: float = FRONT_CONE_DEG) -> np.ndarray:
    """Indices of the directions within ``cone_deg`` of the front (the nearest one if none)."""
    units = spherical_to_cartesian(np.asarray(azimuth_deg), np.asarray(elevation_deg))
    angle = np.rad2deg(np.arccos(np.clip(units[:, 0], -1.0, 1.0)))
    inside = np.flatnonzero(angle <= cone_deg + 1e-9)
    return inside if inside.size else np.array([int(np.argmin(angle))])


def reference_level_db(hrirset: HRIRSet) -> float:
    """:math:`L_\\mathrm{ref}` of ``hrirset`` in dB re the free field (module docstring)."""
    shell = hrirset.far_field_shell
    front = frontal_indices(shell.azimuth_deg, shell.elevation_deg)
    return band_level_db(shell.ir[front], hrirset.sample_rate)


def calibrate(hrirset: HRIRSet, calibration: str = "reference") -> HRIRSet:
    """``hrirset`` at the level ``calibration`` asks for.

    Parameters
    ----------
    hrirset : HRIRSet
        A set in any level state (a calibrated set is first brought back to its stored level).
    calibration : {"reference", "raw"}
        ``"reference"``: scaled so that :func:`reference_level_db` is 0 dB (one gain for every
        shell); ``"raw"``: the level as stored (gain 0 dB).

    Returns
    -------
    HRIRSet
        With ``calibration`` and ``calibration_gain_db`` (the gain applied to the stored level)
        set; ``hrirset`` itself when it already is in that state.
    """
    if calibration not in CALIBRATIONS:
        raise HRIRError(
            f"HRIR calibration must be one of {', '.join(CALIBRATIONS)}, got {calibration!r}"
        )
    if calibration == hrirset.calibration:
        return hrirset
    stored = hrirset.ir * 10.0 ** (-hrirset.calibration_gain_db / 20.0)
    gain_db = 0.0
    if calibration == "reference":
        level = reference_level_db(hrirset) - hrirset.calibration_gain_db
        if not level > MIN_LEVEL_DB:
            raise HRIRError(
                f"{hrirset.name or 'HRIR set'}: frontal far-field level {level:.1f} dB in "
                f"{REFERENCE_BAND_HZ[0]:g}-{REFERENCE_BAND_HZ[1]:g} Hz is below "
                f"{MIN_LEVEL_DB:g} dB; cannot calibrate (use the raw level)"
            )
        gain_db = -level
    return dataclasses.replace(
        hrirset,
        ir=stored * 10.0 ** (gain_db / 20.0),
        calibration=calibration,
        calibration_gain_db=gain_db,
    )


__all__ = [
    "FRONT_CONE_DEG",
    "REFERENCE_BAND_HZ",
    "band_level_db",
    "calibrate",
    "frontal_indices",
    "reference_level_db",
]
