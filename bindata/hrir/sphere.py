"""The rigid sphere with a point source at finite distance (Duda & Martens 1998).

A rigid sphere of radius ``a`` and a point source at distance ``r`` from its centre. The pressure at
a point of the surface at angle ``theta`` from the source direction, divided by the pressure the
source would give at the centre of the sphere in free field, is (Duda & Martens 1998, JASA 104(5),
eq. 4)::

    H(rho, mu, theta) = -(rho / mu) exp(-i mu rho) sum_m (2m + 1) P_m(cos theta) h_m(mu rho) / h'_m(mu)

with ``rho = r / a``, ``mu = k a = 2 pi f a / c``, ``P_m`` the Legendre polynomials and ``h_m`` the
spherical Hankel functions of the outgoing wave. The formula above is written for the physicist's
time dependence ``exp(-i omega t)`` with ``h_m = j_m + i y_m``. This module returns the transfer
function in the engineering (and :mod:`numpy.fft`) convention, ``exp(+i omega t)``, where a delay
``tau`` multiplies by ``exp(-i omega tau)``: the complex conjugate, i.e. ``exp(+i mu rho)`` and
``h_m = j_m - i y_m``. Checked limits (see the tests): ``|H| -> 1`` as ``f -> 0``; ``|H| -> 2``
(+6 dB) at the ear facing a distant source at high frequency; the phase advance of that ear tends
to ``a / c``; the low-frequency interaural time difference tends to Kuhn's ``3 (a / c) sin(theta)``.

Summation stops, per frequency, once a term is negligible (the criterion of Duda & Martens, a term
below a threshold), made independent of ``theta`` by bounding ``|P_m| <= 1`` and required for two
consecutive terms beyond ``m > mu`` (before that, terms are of order one).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: Head radius in metres (Duda & Martens' and Algazi et al.'s average adult head, 8.75 cm).
HEAD_RADIUS_M = 0.0875
#: Speed of sound in air at about 20 degrees C, m/s.
SPEED_OF_SOUND = 343.0
#: Azimuth of the left ear on the horizontal plane, degrees (right ear: minus this). Duda & Martens
#: place the ears 10 degrees behind the interaural axis, which breaks front/back symmetry a little.
EAR_AZIMUTH_DEG = 100.0
#: Absolute tolerance of a series term, in units of the free-field pressure.
SERIES_TOLERANCE = 1e-10
#: Hard cap on the number of terms (reached only at frequencies far above the audio band).
MAX_TERMS = 400


def series_coefficients(
    mu: np.ndarray, rho: float, *, tolerance: float = SERIES_TOLERANCE
) -> np.ndarray:
    """Coefficients ``c[f, m]`` such that ``H[f] = sum_m c[f, m] P_m(cos theta)``.

    ``h_m = j_m - i y_m`` comes from the upward recurrence
    ``h_{m+1}(x) = (2m + 1) / x h_m(x) - h_{m-1}(x)`` (stable for Hankel functions) and
    ``h'_m = h_{m-1} - (m + 1) / x h_m``.

    Parameters
    ----------
    mu : ndarray, shape (F,)
        ``k a`` at each frequency; must be > 0.
    rho : float
        Source distance over sphere radius; must be > 1.
    tolerance : float
        A frequency's series stops after two consecutive terms (with ``m > mu``) whose bound
        ``|c[f, m]|`` falls below this value.

    Returns
    -------
    ndarray, complex, shape (F, n_terms)
        Includes the prefactor ``-(rho / mu) exp(+i mu rho)`` and the weight ``2m + 1``.
    """
    mu = np.asarray(mu, dtype=float)
    x = mu * rho
    prefactor = -(rho / mu) * np.exp(1j * mu * rho)
    # h_0 and h_1 at x = mu rho (source) and at mu (surface)
    hx = [1j * np.exp(-1j * x) / x, np.exp(-1j * x) * (1j / x**2 - 1.0 / x)]
    hs = [1j * np.exp(-1j * mu) / mu, np.exp(-1j * mu) * (1j / mu**2 - 1.0 / mu)]
    columns: list[np.ndarray] = []
    active = np.ones(mu.shape, dtype=bool)
    small_run = np.zeros(mu.shape, dtype=int)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for m in range(MAX_TERMS):
            if m >= 1:
                hx = [hx[1], (2 * m + 1) / x * hx[1] - hx[0]]
                hs = [hs[1], (2 * m + 1) / mu * hs[1] - hs[0]]
            # at this point hx[0] = h_m(x), hs[0] = h_m(mu), hs[1] = h_{m+1}(mu)
            derivative = m / mu * hs[0] - hs[1]
            term = prefactor * (2 * m + 1) * hx[0] / derivative
            finite = np.isfinite(term)
            columns.append(np.where(active & finite, term, 0.0))
            small = (np.abs(term) < tolerance) | ~finite
            small_run = np.where(small & (m > mu), small_run + 1, 0)
            active &= small_run < 2
            if not active.any():
                break
    return np.stack(columns, axis=1)


def static_coefficients(rho: float, *, tolerance: float = SERIES_TOLERANCE) -> np.ndarray:
    """Zero-frequency limit of :func:`series_coefficients`: ``(2m + 1) / ((m + 1) rho^m)``.

    (Small-argument forms of ``h_m`` in the series; the incompressible-flow limit.) It tends to 1
    (``m = 0`` only) for a distant source, but not at finite distance: a near source is louder at
    the facing side of the sphere even at 0 Hz.
    """
    m = np.arange(MAX_TERMS)
    with np.errstate(over="ignore", under="ignore"):
        c = (2 * m + 1) / ((m + 1) * float(rho) ** m)
    n = int(np.argmax(c < tolerance)) if np.any(c < tolerance) else MAX_TERMS
    return c[: max(n, 1)].astype(complex)


def legendre_table(cos_theta: np.ndarray, n_terms: int) -> np.ndarray:
    """``P_m(cos theta)`` for ``m < n_terms`` by Bonnet's recursion; shape (n_terms, A)."""
    x = np.asarray(cos_theta, dtype=float).ravel()
    table = np.empty((n_terms, x.size))
    table[0] = 1.0
    if n_terms > 1:
        table[1] = x
    for m in range(1, n_terms - 1):
        table[m + 1] = ((2 * m + 1) * x * table[m] - m * table[m - 1]) / (m + 1)
    return table


def sphere_transfer(
    freqs_hz,
    cos_theta,
    distance_m: float,
    *,
    radius_m: float = HEAD_RADIUS_M,
    speed_of_sound: float = SPEED_OF_SOUND,
    tolerance: float = SERIES_TOLERANCE,
) -> np.ndarray:
    """Sphere transfer function relative to the free field at the centre (engineering sign).

    Parameters
    ----------
    freqs_hz : array_like, shape (F,)
        Frequencies (>= 0); 0 Hz gives the static limit (:func:`static_coefficients`).
    cos_theta : array_like, shape (A,)
        Cosine of the angle between the source direction and each surface point (ear).
    distance_m : float
        Source distance from the sphere centre; must exceed ``radius_m``.
    radius_m, speed_of_sound, tolerance : float
        Sphere radius (m), speed of sound (m/s), series tolerance.

    Returns
    -------
    ndarray, complex, shape (F, A)
    """
    shells = sphere_transfer_shells(
        freqs_hz,
        cos_theta,
        [distance_m],
        radius_m=radius_m,
        speed_of_sound=speed_of_sound,
        tolerance=tolerance,
    )
    return next(shells)


def sphere_transfer_shells(
    freqs_hz,
    cos_theta,
    distances_m,
    *,
    radius_m: float = HEAD_RADIUS_M,
    speed_of_sound: float = SPEED_OF_SOUND,
    tolerance: float = SERIES_TOLERANCE,
) -> Iterator[np.ndarray]:
    """Yield :func:`sphere_transfer` for each of several distances, sharing the Legendre table."""
    freqs = np.asarray(freqs_hz, dtype=float).ravel()
    cos_t = np.clip(np.asarray(cos_theta, dtype=float).ravel(), -1.0, 1.0)
    positive = freqs > 0
    mu = 2.0 * np.pi * freqs[positive] * radius_m / speed_of_sound
    coeffs = []
    for distance in distances_m:
        rho = float(distance) / float(radius_m)
        if not rho > 1.0:
            raise ValueError(f"source distance {distance} m must exceed the radius {radius_m} m")
        static = static_coefficients(rho, tolerance=tolerance)
        coeffs.append((series_coefficients(mu, rho, tolerance=tolerance), static))
    n_terms = max(max(c.shape[1], s.size) for c, s in coeffs) if coeffs else 1
    table = legendre_table(cos_t, n_terms)
    for c, static in coeffs:
        h = np.empty((freqs.size, cos_t.size), dtype=complex)
        p = table[: c.shape[1]]
        h[positive] = c.real @ p + 1j * (c.imag @ p)
        h[~positive] = static.real @ table[: static.size]
        yield h


def ear_vectors(ear_azimuth_deg: float = EAR_AZIMUTH_DEG) -> np.ndarray:
    """Unit vectors (2, 3) of the left and right ear on the horizontal plane."""
    a = np.deg2rad(ear_azimuth_deg)
    return np.array([[np.cos(a), np.sin(a), 0.0], [np.cos(a), -np.sin(a), 0.0]])


def geometric_ear_delay(
    cos_theta,
    distance_m,
    *,
    radius_m: float = HEAD_RADIUS_M,
    speed_of_sound: float = SPEED_OF_SOUND,
) -> np.ndarray:
    """Ray-acoustic arrival time at a surface point minus arrival at the centre, in seconds.

    The point sees the source directly when ``cos theta >= a / r`` (path ``|s - e|``); otherwise
    the wave travels along the tangent and creeps around the sphere (tangent length plus arc).
    For a distant source this is Woodworth's ``-(a/c) cos theta`` / ``(a/c)(theta - pi/2)``.
    """
    cos_t = np.clip(np.asarray(cos_theta, dtype=float), -1.0, 1.0)
    r = np.asarray(distance_m, dtype=float)
    a = float(radius_m)
    ratio = np.clip(a / r, 0.0, 1.0)
    direct = np.sqrt(np.maximum(r**2 + a**2 - 2 * a * r * cos_t, 0.0))
    creeping = np.sqrt(np.maximum(r**2 - a**2, 0.0)) + a * (np.arccos(cos_t) - np.arccos(ratio))
    path = np.where(cos_t >= ratio, direct, creeping)
    return (path - r) / speed_of_sound
