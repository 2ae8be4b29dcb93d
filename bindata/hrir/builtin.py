"""The built-in HRIR model: sphere head (+ pinna and torso), computed on a full-sphere grid.

``build_model_hrirset`` evaluates, for every direction of a grid and every distance shell, the
transfer functions of :mod:`.sphere` (and, for ``model="structural"``, of :mod:`.structural`) on a
dense frequency grid, adds the linear phase of the head-centre delay, and turns them into FIRs:

* frequencies ``k fs / nfft`` with ``nfft = 2 n_taps`` (the responses last a few ms, so the
  time-aliased tail is negligible);
* above 90 % of Nyquist a raised-cosine taper to 0 (avoids a discontinuity at Nyquist);
* ``irfft``, keep the first ``n_taps`` samples, half-Hann fade-in over the first
  ``delay_samples / 2`` samples (only band-limiting ripple lives there: the ear facing the source
  leads the centre by at most ``a / c`` ~ 0.26 ms) and half-Hann fade-out over the last quarter.

Defaults: head radius 8.75 cm, ears at +-100 degrees azimuth on the horizontal plane (Duda &
Martens), head-centre arrival at 1 ms (:data:`DELAY_S`), 256 taps at 24 kHz (10.7 ms; scaled with
the rate, at most 512), a ring grid with 6 degree spacing (1158 directions, poles included, every
ring holding azimuths 0/90/180/-90), shells at 0.2, 0.3, ..., 1.5 m (the near-field set of the
paper) and a far-field shell at 3 m (:data:`FAR_FIELD_M`: the start of the paper's far band, so
that ``nearest_shell`` gives every near-band source (<= 2 m) a near-field shell and every far-band
source (>= 3 m) the far-field one; beyond 3 m the sphere response hardly changes any more).
"""

from __future__ import annotations

import numpy as np

from ..errors import HRIRError
from ..geometry import spherical_to_cartesian
from .hrirset import HRIRSet
from .sphere import (
    EAR_AZIMUTH_DEG,
    HEAD_RADIUS_M,
    SPEED_OF_SOUND,
    ear_vectors,
    sphere_transfer_shells,
)
from .structural import StructuralParams, pinna_response, shoulder_echo, torso_shadow

#: Bump when the model's output changes (part of the cache key).
MODEL_VERSION = 1
#: Near-field shells of the paper (metres).
NEAR_DISTANCES_M = tuple(round(0.2 + 0.1 * i, 1) for i in range(14))
#: Distance of the far-field shell (metres).
FAR_FIELD_M = 3.0
#: Head-centre arrival time in every response (seconds).
DELAY_S = 1e-3
#: Grid spacing of the default set (degrees).
GRID_DEG = 6.0
MODELS = ("structural", "sphere")
#: The model is sampled at ``rfftfreq(FFT_FACTOR * n_taps)``: its responses last a few ms, far
#: less than the FFT length, so time aliasing is negligible (checked in the tests).
FFT_FACTOR = 2


def default_n_taps(sample_rate: int) -> int:
    """256 taps at 24 kHz, proportional to the rate, between 64 and 512."""
    return int(min(512, max(64, round(256 * sample_rate / 24000))))


def direction_grid(spacing_deg: float = GRID_DEG) -> tuple[np.ndarray, np.ndarray]:
    """Rings of constant elevation, about ``spacing_deg`` apart along both axes.

    Elevations ``-90, -90 + s, ..., 90`` (``s`` = the spacing adjusted to divide 180); each ring holds
    a multiple of four equally spaced azimuths starting at 0 (a single point at the poles).
    Returns ``(azimuth_deg, elevation_deg)``.
    """
    if not 0.5 <= spacing_deg <= 45:
        raise HRIRError(f"grid spacing must be in [0.5, 45] degrees, got {spacing_deg}")
    n_rings = int(round(180.0 / spacing_deg)) + 1
    az_all, el_all = [], []
    for el in np.linspace(-90.0, 90.0, n_rings):
        circumference = 360.0 * np.cos(np.deg2rad(el))
        n = 1 if abs(el) > 90.0 - 1e-9 else max(4, 4 * int(round(circumference / spacing_deg / 4)))
        az_all.append(np.arange(n) * 360.0 / n)
        el_all.append(np.full(n, el))
    return np.concatenate(az_all), np.concatenate(el_all)


def _spectral_taper(freqs: np.ndarray, nyquist: float, start: float = 0.9) -> np.ndarray:
    x = np.clip((freqs / nyquist - start) / (1.0 - start), 0.0, 1.0)
    return 0.5 + 0.5 * np.cos(np.pi * x)


def transfer_to_fir(
    spectra: np.ndarray, *, sample_rate: int, n_taps: int, delay_samples: float
) -> np.ndarray:
    """FIRs (..., n_taps) from transfer functions (F, ...) on ``rfftfreq(FFT_FACTOR n_taps)``.

    The spectra are relative to the head-centre free field; the head-centre arrival is placed at
    ``delay_samples``. See the module docstring for the taper and windows.
    """
    nfft = FFT_FACTOR * n_taps
    freqs = np.fft.rfftfreq(nfft, 1.0 / sample_rate)
    if spectra.shape[0] != freqs.size:
        raise ValueError(f"expected {freqs.size} frequencies, got {spectra.shape[0]}")
    shape = (-1,) + (1,) * (spectra.ndim - 1)
    phase = np.exp(-2j * np.pi * freqs * delay_samples / sample_rate)
    weight = (phase * _spectral_taper(freqs, sample_rate / 2.0)).reshape(shape)
    ir = np.fft.irfft(spectra * weight, n=nfft, axis=0)[:n_taps]
    window = np.ones(n_taps)
    n_in = max(1, int(delay_samples // 2))
    window[:n_in] = 0.5 - 0.5 * np.cos(np.pi * np.arange(n_in) / n_in)
    n_out = n_taps // 4
    window[n_taps - n_out :] = 0.5 + 0.5 * np.cos(np.pi * (np.arange(n_out) + 1) / n_out)
    ir = ir * window.reshape(shape)
    return np.moveaxis(ir, 0, -1)


def _check_options(model, sample_rate, distances, radius_m, n_taps) -> None:
    problems = []
    if model not in MODELS:
        problems.append(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if int(sample_rate) < 8000:
        problems.append(f"sample_rate must be >= 8000 Hz, got {sample_rate}")
    if len(distances) == 0 or min(distances) <= radius_m:
        problems.append(f"distances must be non-empty and > the head radius {radius_m} m")
    if not 16 <= n_taps <= 4096:
        problems.append(f"n_taps must be in [16, 4096], got {n_taps}")
    if problems:
        raise HRIRError("HRIR model: " + "; ".join(problems))


def build_model_hrirset(
    *,
    model: str = "structural",
    sample_rate: int = 24000,
    distances_m=NEAR_DISTANCES_M + (FAR_FIELD_M,),
    grid_deg: float = GRID_DEG,
    directions_deg: tuple | None = None,
    n_taps: int | None = None,
    radius_m: float = HEAD_RADIUS_M,
    ear_azimuth_deg: float = EAR_AZIMUTH_DEG,
    delay_s: float = DELAY_S,
    params: StructuralParams | None = None,
) -> HRIRSet:
    """Compute the sphere or structural HRIR model on a direction grid and distance shells.

    Parameters
    ----------
    model : {"structural", "sphere"}
        ``"sphere"``: the rigid sphere only; ``"structural"``: sphere x pinna x torso.
    sample_rate : int
        Rate of the FIRs in Hz (the model is evaluated directly at this rate).
    distances_m : sequence of float
        Shell distances (m), each > ``radius_m``.
    grid_deg : float
        Spacing of :func:`direction_grid` (ignored when ``directions_deg`` is given).
    directions_deg : (azimuth_deg, elevation_deg), optional
        Explicit directions instead of the grid.
    n_taps : int, optional
        FIR length; default :func:`default_n_taps`.
    radius_m, ear_azimuth_deg, delay_s : float
        Head radius, azimuth of the left ear (right: negative), head-centre arrival time.
    params : StructuralParams, optional
        Pinna and torso constants (structural model only); default ``StructuralParams()``.

    Returns
    -------
    HRIRSet
    """
    sample_rate = int(sample_rate)
    params = params or StructuralParams()
    distances = [float(d) for d in np.atleast_1d(distances_m)]
    n_taps = default_n_taps(sample_rate) if n_taps is None else int(n_taps)
    _check_options(model, sample_rate, distances, radius_m, n_taps)
    if directions_deg is None:
        az, el = direction_grid(grid_deg)
    else:
        az, el = (np.asarray(v, dtype=float).ravel() for v in directions_deg)
    units = spherical_to_cartesian(az, el)
    ears = ear_vectors(ear_azimuth_deg)
    freqs = np.fft.rfftfreq(FFT_FACTOR * n_taps, 1.0 / sample_rate)
    delay_samples = delay_s * sample_rate
    # Left and right ears share most angles (mirror-symmetric grids): evaluate each once.
    cos_unique, where = np.unique(np.round(units @ ears.T, 12), return_inverse=True)
    static = None
    if model == "structural":
        static = pinna_response(freqs, az, el, params=params) * torso_shadow(
            freqs, el, params=params
        )
    irs = []
    spheres = sphere_transfer_shells(freqs, cos_unique, distances, radius_m=radius_m)
    for distance, h_unique in zip(distances, spheres, strict=True):
        h = h_unique[:, where.reshape(az.size, 2)]
        if static is not None:
            h *= static[:, :, None]
            for side, ear in enumerate(ears * radius_m):
                lit, echo = shoulder_echo(freqs, units * distance, ear, params=params)
                h[:, lit, side] *= 1.0 + echo
        irs.append(
            transfer_to_fir(h, sample_rate=sample_rate, n_taps=n_taps, delay_samples=delay_samples)
        )
    n_dir = az.size
    return HRIRSet(
        np.tile(az, len(distances)),
        np.tile(el, len(distances)),
        np.repeat(distances, n_dir),
        np.concatenate(irs, axis=0),
        sample_rate,
        delay_samples=delay_samples,
        name=f"bindata-{model}-v{MODEL_VERSION} (a={radius_m} m, ears +-{ear_azimuth_deg} deg, "
        f"c={SPEED_OF_SOUND} m/s)",
    )
