"""Predicted reverberation of a shoebox with six materials and air absorption, per octave band.

Surfaces, in this order everywhere (:data:`SURFACES`): ``floor`` (z = 0), ``ceiling`` (z = Lz),
``wall_x0`` (x = 0), ``wall_x1`` (x = Lx), ``wall_y0`` (y = 0), ``wall_y1`` (y = Ly).
Absorption coefficients ``alpha`` are energy ratios in [0, 1]; a reflection scales the pressure
by ``sqrt(1 - alpha)``.

Two predictions per band:

* **Image-source model decay** (:func:`ism_rt60_s`, the renderer's target): the decay model of
  :mod:`bindata.render.shoebox` with per-direction energy rates. Images seen along a direction
  ``u`` have, after a path ``x = c t``, crossed ``x |u_i| / L_i`` planes normal to axis ``i``,
  half on each of its two walls, so their energy falls as ``exp(-g(u) x)`` with

      g(u) = sum_i |u_i| / L_i * (A_i0 + A_i1) / 2 + m,   A = -ln(1 - alpha),

  ``m`` the air's energy attenuation per metre (ISO 9613-1, :mod:`bindata.rooms.air`). The
  Schroeder curve ``mean_u exp(-g x) / g`` gives the T30 (fit over -5 .. -35 dB) and the time
  of the -60 dB point. With one absorption for all walls this is the flat model exactly.
* **Eyring** with air absorption (Kuttruff, *Room Acoustics*, 5th ed., 2009, eq. 5.24 with the
  ``4 m V`` term of section 5.1): ``T = 24 ln(10) V / (c (-S ln(1 - mean_alpha) + 4 m V))``,
  ``mean_alpha`` the area-weighted mean: the decay of a diffuse field, and so the target of
  rooms with the ``diffuse`` late-reverb model (:mod:`bindata.render.diffuse_tail`); for the
  others it is recorded for reference (it ignores the directional mix of decays of an
  image-source room).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..errors import SceneError
from ..render.shoebox import T30_RANGE_DB, quadrature_directions

SURFACES = ("floor", "ceiling", "wall_x0", "wall_x1", "wall_y0", "wall_y1")
#: Octave-band centres (Hz) of every absorption spectrum.
OCTAVE_BANDS_HZ = (125, 250, 500, 1000, 2000, 4000, 8000)
#: Bands whose mean RT60 is the "mid-frequency" RT60 (500 Hz and 1 kHz).
MID_BANDS_HZ = (500, 1000)
#: Absorption used in place of 1 (a perfect absorber): keeps ``ln(1 - alpha)`` finite.
MAX_ABSORPTION = 0.9999


def surface_areas_m2(dimensions_m) -> np.ndarray:
    """Areas of the six :data:`SURFACES` (m^2)."""
    lx, ly, lz = (float(v) for v in dimensions_m)
    return np.array([lx * ly, lx * ly, ly * lz, ly * lz, lx * lz, lx * lz])


def _log_reflection(absorption: np.ndarray) -> np.ndarray:
    """``A = -ln(1 - alpha)`` (energy per reflection), alpha clipped to MAX_ABSORPTION."""
    return -np.log1p(-np.clip(np.asarray(absorption, dtype=float), 0.0, MAX_ABSORPTION))


def direction_rates_per_m(dimensions_m, absorption, air_m) -> np.ndarray:
    """``g_b(u)`` (1/m) for every quadrature direction and band: shape (n_dirs, B)."""
    u = quadrature_directions(N_BAND_QUADRATURE)
    a = _log_reflection(absorption)  # (6, B)
    dims = np.asarray(dimensions_m, dtype=float)
    per_axis = np.stack([(a[2] + a[3]) / 2, (a[4] + a[5]) / 2, (a[0] + a[1]) / 2])  # x, y, z
    return (u / dims) @ per_axis + np.asarray(air_m, dtype=float)[None, :]


#: Quadrature directions and curve samples of the per-band model (vectorised over bands).
N_BAND_QUADRATURE = 1024
N_CURVE_SAMPLES = 128


def _band_curves(rates: np.ndarray, drop_db: float) -> tuple[np.ndarray, np.ndarray]:
    """Schroeder level (dB) of every band on a grid ``x`` (metres) down to ``-drop_db``.

    Returns ``x`` (S, B) and ``level`` (S, B); ``S(x) = mean_u exp(-g x) / g`` falls at least as
    fast as ``exp(-g_min x)``, which bounds the grid.
    """
    x_hi = drop_db * math.log(10.0) / 10.0 / rates.min(axis=0) * 1.0001
    x = np.linspace(0.0, 1.0, N_CURVE_SAMPLES)[:, None] * x_hi[None, :]
    a = -np.log(rates)[None, :, :] - rates[None, :, :] * x[:, None, :]  # (S, U, B)
    top = a.max(axis=1)
    log_s = top + np.log(np.exp(a - top[:, None, :]).sum(axis=1))
    return x, 10.0 / math.log(10.0) * (log_s - log_s[:1])


def _x_at(x: np.ndarray, level: np.ndarray, db: float) -> np.ndarray:
    """Per band, the ``x`` where the (decreasing) level crosses ``-db``."""
    return np.array([np.interp(-db, level[::-1, b], x[::-1, b]) for b in range(x.shape[1])])


@lru_cache(maxsize=1024)
def _ism(dims: tuple, absorption: tuple, air_m: tuple, decay_db: float) -> tuple:
    rates = direction_rates_per_m(dims, np.array(absorption), np.array(air_m))
    x, level = _band_curves(rates, max(decay_db, T30_RANGE_DB[1]) + 1.0)
    lo, hi = _x_at(x, level, T30_RANGE_DB[0]), _x_at(x, level, T30_RANGE_DB[1])
    t30 = []
    for b in range(x.shape[1]):
        xs = np.linspace(lo[b], hi[b], 48)
        ys = np.interp(xs, x[:, b], level[:, b])
        xc = xs - xs.mean()
        t30.append(-60.0 * float(np.dot(xc, xc) / np.dot(xc, ys - ys.mean())))
    return tuple(t30), tuple(_x_at(x, level, decay_db))


def ism_rt60_s(
    dimensions_m, absorption, air_m, *, speed_of_sound: float, decay_db: float = 60.0
) -> tuple[np.ndarray, np.ndarray]:
    """Per-band T30 of the image-source model decay, and the time it reaches ``-decay_db``.

    Parameters
    ----------
    dimensions_m : 3 floats
    absorption : array (6, B)
        Absorption of the six :data:`SURFACES` per band.
    air_m : array (B,)
        Energy attenuation of the air per metre per band.
    speed_of_sound : float
        m/s.
    decay_db : float
        Level drop (dB) whose time is returned.

    Returns
    -------
    rt60_s, decay_time_s : ndarray (B,)
    """
    key = (
        tuple(float(v) for v in dimensions_m),
        tuple(map(tuple, np.asarray(absorption, dtype=float).tolist())),
        tuple(float(v) for v in np.asarray(air_m, dtype=float)),
        float(decay_db),
    )
    t30, x_end = _ism(*key)
    return np.array(t30) / speed_of_sound, np.array(x_end) / speed_of_sound


def eyring_rt60_s(dimensions_m, absorption, air_m, *, speed_of_sound: float) -> np.ndarray:
    """Eyring's reverberation time with air absorption, per band (see the module notes)."""
    areas = surface_areas_m2(dimensions_m)
    mean_alpha = np.clip(
        areas @ np.asarray(absorption, dtype=float) / areas.sum(), 0, MAX_ABSORPTION
    )
    volume = float(np.prod(np.asarray(dimensions_m, dtype=float)))
    denom = -areas.sum() * np.log1p(-mean_alpha) + 4.0 * np.asarray(air_m, dtype=float) * volume
    return 24.0 * math.log(10.0) * volume / (speed_of_sound * denom)


def predicted_rt60_s(
    dimensions_m, absorption, air_m, *, speed_of_sound: float, model: str
) -> np.ndarray:
    """Per-band RT60 of a late-reverb ``model``: ``image-source`` (the specular decay model,
    :func:`ism_rt60_s`) or ``diffuse`` (Eyring with air, :func:`eyring_rt60_s`)."""
    if model == "diffuse":
        return eyring_rt60_s(dimensions_m, absorption, air_m, speed_of_sound=speed_of_sound)
    return ism_rt60_s(dimensions_m, absorption, air_m, speed_of_sound=speed_of_sound)[0]


def scale_absorption(absorption, factor: float) -> np.ndarray:
    """``1 - (1 - alpha) ** factor``: every ``ln(1 - alpha)`` times ``factor`` (stays in [0, 1])."""
    alpha = np.clip(np.asarray(absorption, dtype=float), 0.0, MAX_ABSORPTION)
    return -np.expm1(factor * np.log1p(-alpha))


def absorption_scale_for_rt60(
    dimensions_m,
    absorption,
    air_m,
    target_s: float,
    *,
    speed_of_sound: float,
    mid: np.ndarray,
    model: str = "image-source",
) -> float:
    """The factor of :func:`scale_absorption` whose mid-band model RT60 (mean over the bands
    selected by ``mid``) equals ``target_s``; ``model`` names the prediction (``image-source``:
    :func:`ism_rt60_s`, ``diffuse``: :func:`eyring_rt60_s`).

    Without air the image-source model RT60 is exactly inversely proportional to the factor
    (the decay's shape does not change) and Eyring's nearly so; a secant iteration on
    ``(ln k, ln T)`` converges in a few steps; air adds a small, factor-independent rate.
    """
    absorption = np.asarray(absorption, dtype=float)[:, mid]
    air_m = np.asarray(air_m, dtype=float)[mid]

    def log_rt60(log_k: float) -> float:
        rt60 = predicted_rt60_s(
            dimensions_m,
            scale_absorption(absorption, math.exp(log_k)),
            air_m,
            speed_of_sound=speed_of_sound,
            model=model,
        )
        return math.log(float(np.mean(rt60)))

    # Secant on (ln k, ln T): exact in one step where T is proportional to 1/k.
    goal = math.log(target_s)
    x0, y0 = 0.0, log_rt60(0.0)
    x1 = y0 - goal
    now = float("nan")
    for _ in range(24):
        y1 = log_rt60(x1)
        now = math.exp(y1)
        if abs(now / target_s - 1.0) < 1e-3:
            return math.exp(x1)
        slope = (y1 - y0) / (x1 - x0) if x1 != x0 else -1.0
        x0, y0, x1 = x1, y1, x1 - (y1 - goal) / (slope if slope < -1e-6 else -1.0)
    raise SceneError(
        f"room {np.round(dimensions_m, 2).tolist()} m: no scaling of its materials "
        f"gives a mid-frequency RT60 of {target_s} s (reached {now:.3f} s)"
    )


__all__ = [
    "SURFACES",
    "OCTAVE_BANDS_HZ",
    "MID_BANDS_HZ",
    "surface_areas_m2",
    "ism_rt60_s",
    "eyring_rt60_s",
    "predicted_rt60_s",
    "scale_absorption",
    "absorption_scale_for_rt60",
    "direction_rates_per_m",
]
