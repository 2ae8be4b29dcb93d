"""Atmospheric absorption of sound after ISO 9613-1:1993, equations (1)-(5) and Annex B.

With ``T`` the air temperature (K), ``h_r`` the relative humidity (%), ``p_a`` the ambient
pressure (kPa), ``p_r = 101.325`` kPa, ``T_0 = 293.15`` K and ``T_01 = 273.16`` K (the triple
point of water):

* saturation vapour pressure (Annex B): ``p_sat / p_r = 10 ** C``,
  ``C = -6.8346 (T_01 / T) ** 1.261 + 4.6151``;
* molar concentration of water vapour (%): ``h = h_r (p_sat / p_r) / (p_a / p_r)``;
* relaxation frequencies of oxygen and nitrogen (Hz), equations (3) and (4)::

    f_rO = (p_a / p_r) (24 + 4.04e4 h (0.02 + h) / (0.391 + h))
    f_rN = (p_a / p_r) (T / T_0) ** -0.5 (9 + 280 h exp(-4.170 ((T / T_0) ** (-1/3) - 1)))

* attenuation coefficient (dB per metre), equation (5)::

    alpha = 8.686 f**2 [1.84e-11 (p_a / p_r) ** -1 (T / T_0) ** 0.5
            + (T / T_0) ** -2.5 (0.01275 exp(-2239.1 / T) / (f_rO + f**2 / f_rO)
                                 + 0.1068 exp(-3352.0 / T) / (f_rN + f**2 / f_rN))]

A plane wave's pressure falls by ``10 ** (-alpha d / 20)`` over ``d`` metres; its energy by
``exp(-m d)`` with ``m = alpha / (10 log10 e)`` (per metre), the ``m`` of room-acoustic decay
formulas (Kuttruff, *Room Acoustics*, 5th ed., section 5.1).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError

REFERENCE_PRESSURE_KPA = 101.325
REFERENCE_TEMPERATURE_K = 293.15
TRIPLE_POINT_K = 273.16
#: dB per neper of energy: 10 log10(e).
DB_PER_NEPER_ENERGY = 10.0 / math.log(10.0)


def _check(temperature_c, humidity_pct, pressure_kpa) -> None:
    if not (math.isfinite(temperature_c) and -20.0 <= temperature_c <= 50.0):
        raise ConfigError(
            f"air temperature_c must be in [-20, 50] (ISO 9613-1), got {temperature_c}"
        )
    if not (math.isfinite(humidity_pct) and 0.0 <= humidity_pct <= 100.0):
        raise ConfigError(f"air humidity_pct must be in [0, 100], got {humidity_pct}")
    if not (math.isfinite(pressure_kpa) and pressure_kpa > 0):
        raise ConfigError(f"air pressure_kpa must be > 0, got {pressure_kpa}")


def attenuation_db_per_m(
    frequency_hz,
    *,
    temperature_c: float = 20.0,
    humidity_pct: float = 50.0,
    pressure_kpa: float = REFERENCE_PRESSURE_KPA,
) -> np.ndarray:
    """Pure-tone atmospheric attenuation coefficient ``alpha`` (dB/m), ISO 9613-1 eq. (5).

    Parameters
    ----------
    frequency_hz : float or array
        Frequencies (Hz).
    temperature_c : float
        Air temperature in degrees Celsius.
    humidity_pct : float
        Relative humidity in per cent.
    pressure_kpa : float
        Ambient atmospheric pressure in kPa.

    Returns
    -------
    ndarray
        ``alpha`` in dB per metre, the shape of ``frequency_hz``.
    """
    _check(float(temperature_c), float(humidity_pct), float(pressure_kpa))
    f = np.asarray(frequency_hz, dtype=float)
    t = float(temperature_c) + 273.15
    p = float(pressure_kpa) / REFERENCE_PRESSURE_KPA
    tr = t / REFERENCE_TEMPERATURE_K
    c = -6.8346 * (TRIPLE_POINT_K / t) ** 1.261 + 4.6151
    h = float(humidity_pct) * 10.0**c / p
    fr_o = p * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
    fr_n = p * tr**-0.5 * (9.0 + 280.0 * h * math.exp(-4.170 * (tr ** (-1.0 / 3.0) - 1.0)))
    f2 = f * f
    return (
        8.686
        * f2
        * (
            1.84e-11 / p * tr**0.5
            + tr**-2.5
            * (
                0.01275 * math.exp(-2239.1 / t) / (fr_o + f2 / fr_o)
                + 0.1068 * math.exp(-3352.0 / t) / (fr_n + f2 / fr_n)
            )
        )
    )


def energy_attenuation_per_m(alpha_db_per_m) -> np.ndarray:
    """The energy attenuation ``m`` (1/m) of room acoustics from ``alpha`` in dB/m."""
    return np.asarray(alpha_db_per_m, dtype=float) / DB_PER_NEPER_ENERGY


__all__ = ["attenuation_db_per_m", "energy_attenuation_per_m", "DB_PER_NEPER_ENERGY"]
