"""Near-field shells synthesised from a set measured at one (far) distance.

For a target distance ``r`` and the measured distance ``r0``, every direction and ear is filtered by
the sphere model's *distance variation function* (Kan, Jin & van Schaik 2009; from Duda & Martens'
series, :mod:`.sphere`)::

    DVF(f, theta) = H_sphere(r, f, theta) / H_sphere(r0, f, theta)

Both sphere responses are relative to the free field at the head centre, so the result keeps the
container's convention (the renderer still adds ``r / c`` and ``1 / r``): what changes is the
near-field part, the rise of the level difference and the small change of the interaural delay
as a source approaches. The filter is applied in the frequency domain on a zero-padded FFT
(twice the response length or more), and the first ``n_taps`` samples are kept.
"""

from __future__ import annotations

import numpy as np

from ..errors import HRIRError
from ..geometry import spherical_to_cartesian
from .hrirset import SHELL_TOLERANCE_M, HRIRSet
from .sphere import EAR_AZIMUTH_DEG, HEAD_RADIUS_M, ear_vectors, sphere_transfer_shells

#: Target distances of the paper's near-field set, metres.
DEFAULT_DISTANCES_M = np.arange(0.2, 1.51, 0.1)


def distance_variation(
    freqs_hz,
    cos_theta,
    *,
    distance_m: float,
    reference_m: float,
    radius_m: float = HEAD_RADIUS_M,
) -> np.ndarray:
    """``H_sphere(distance) / H_sphere(reference)``, shape (F, A)."""
    near, ref = sphere_transfer_shells(
        freqs_hz, cos_theta, [distance_m, reference_m], radius_m=radius_m
    )
    return near / ref


def nearfield_from_farfield(
    hrirset: HRIRSet,
    *,
    distances_m=None,
    radius_m: float = HEAD_RADIUS_M,
    ear_azimuth_deg: float = EAR_AZIMUTH_DEG,
) -> HRIRSet:
    """Add distance shells nearer than the set's far-field shell, derived from it by the sphere DVF.

    The far-field (largest-distance) shell is the reference measurement and stays the set's
    far-field shell, untouched: every reflection and every source beyond the nearest shells keeps
    the measured responses. Only shells *nearer* than it are synthesised; nothing is extrapolated
    beyond the measured distance.

    Parameters
    ----------
    hrirset : HRIRSet
        Source set; its largest-distance shell is the reference measurement.
    distances_m : array_like, optional
        Target shell distances (m), each > ``radius_m`` and at most the reference distance (plus
        2 cm). A target within 2 cm of a shell the set already has keeps that (measured) shell.
        Default: the paper's 0.2, 0.3, ..., 1.5 m (:data:`DEFAULT_DISTANCES_M`) that lie nearer
        than the reference (for MIT KEMAR, measured at 1.4 m: 0.2-1.3 m synthesised, 1.4 m kept).
    radius_m, ear_azimuth_deg : float
        Sphere of the DVF: head radius and azimuth of the left ear (right: negative).

    Returns
    -------
    HRIRSet
        Every original shell plus the synthesised ones, same rate, taps, ``delay_samples`` and
        calibration.

    Raises
    ------
    HRIRError
        A target that is not finite, within the head, or beyond the reference shell.
    """
    reference = hrirset.far_field_shell
    limit = reference.distance_m + SHELL_TOLERANCE_M
    if distances_m is None:
        targets = DEFAULT_DISTANCES_M[DEFAULT_DISTANCES_M <= limit]
    else:
        targets = np.atleast_1d(np.asarray(distances_m, dtype=float))
    targets = np.round(targets, 6)
    if np.any(~np.isfinite(targets)) or np.any(targets <= radius_m) or np.any(targets > limit):
        raise HRIRError(
            f"{hrirset.name or 'HRIR set'}: near-field distances must be finite, > the head "
            f"radius {radius_m} m and not beyond the measured far-field shell "
            f"({reference.distance_m:g} m), got {targets.tolist()}"
        )
    existing = hrirset.distances
    new = [r for r in targets if np.min(np.abs(existing - r)) > SHELL_TOLERANCE_M]
    if not new:
        return hrirset
    n = hrirset.n_taps
    nfft = 1 << int(np.ceil(np.log2(2 * n)))
    freqs = np.fft.rfftfreq(nfft, 1.0 / hrirset.sample_rate)
    spectrum = np.fft.rfft(reference.ir, nfft, axis=-1)  # (D, 2, F)
    units = spherical_to_cartesian(reference.azimuth_deg, reference.elevation_deg)
    cos_unique, where = np.unique(
        np.round(units @ ear_vectors(ear_azimuth_deg).T, 12), return_inverse=True
    )
    where = where.reshape(-1, 2)
    n_dir = reference.azimuth_deg.size
    shells = sphere_transfer_shells(
        freqs, cos_unique, [reference.distance_m, *new], radius_m=radius_m
    )
    h_ref = next(shells)
    irs = []
    for h_new in shells:
        dvf = (h_new / h_ref)[:, where]  # (F, D, 2)
        irs.append(np.fft.irfft(spectrum * np.moveaxis(dvf, 0, -1), nfft, axis=-1)[..., :n])
    return HRIRSet(
        np.concatenate([hrirset.azimuth_deg, np.tile(reference.azimuth_deg, len(new))]),
        np.concatenate([hrirset.elevation_deg, np.tile(reference.elevation_deg, len(new))]),
        np.concatenate([hrirset.distance_m, np.repeat(new, n_dir)]),
        np.concatenate([hrirset.ir, *irs], axis=0),
        hrirset.sample_rate,
        delay_samples=hrirset.delay_samples,
        name=f"{hrirset.name} + near field (sphere DVF from {reference.distance_m:g} m)",
        calibration=hrirset.calibration,
        calibration_gain_db=hrirset.calibration_gain_db,
        calibration_band_hz=hrirset.calibration_band_hz,
    )
