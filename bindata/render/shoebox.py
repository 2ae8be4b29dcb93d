"""Shoebox rooms: the description, and the wall reflection coefficient that gives a target RT60.

One frequency-independent pressure reflection coefficient ``beta`` is shared by the six walls.
Sabine or Eyring would miss the target in flat rooms, because the image-source decay of a
non-cubic room is a *mix* of exponentials: images seen along a direction ``u`` have crossed
``c t (|ux|/Lx + |uy|/Ly + |uz|/Lz)`` walls after a time ``t``, so their energy scales as
``beta ** (2 c t g(u))`` with ``g(u) = sum |u_i| / L_i``, and grazing directions (small ``g``)
decay slowly. Averaging that over the sphere (the image density grows as ``t**2`` and the
spreading loss falls as ``1/t**2``: the two cancel) gives the model energy decay

    E(t) ~ mean_u exp(-kappa g(u) c t),   kappa = -2 ln(beta),

and its Schroeder integral ``S(t) ~ mean_u exp(-kappa g(u) c t) / g(u)`` in closed form.
In the variable ``x = kappa c t`` (metres) the shape of ``S`` depends on the room's proportions
only, so the T30 of the model (least-squares line over -5 .. -35 dB of ``S``, as ISO 3382 does
on a measured decay) is ``T30_x / (kappa c)``: the calibration is a single division, no search.
The same curve gives the time at which the model decay reaches -60 dB: the render length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import RenderError

#: Number of quadrature directions (a Fibonacci lattice) for the sphere average.
N_QUADRATURE = 4096
#: Range of the Schroeder curve used for T30 (dB below the start), as in ISO 3382-1.
T30_RANGE_DB = (5.0, 35.0)
DEFAULT_SPEED_OF_SOUND = 343.0


@dataclass(frozen=True)
class ShoeboxRoom:
    """A rectangular room ``[0, Lx] x [0, Ly] x [0, Lz]`` (metres) with a target RT60.

    Parameters
    ----------
    dimensions_m : tuple of 3 floats
        Length along x, y and z (z is the height), metres, each > 0.
    rt60_s : float
        Target reverberation time in seconds (> 0), met by the calibrated reflection
        coefficient (see :func:`reflection_coefficient`).
    """

    dimensions_m: tuple[float, float, float]
    rt60_s: float

    def __post_init__(self) -> None:
        try:
            dims = tuple(float(v) for v in np.asarray(self.dimensions_m, dtype=float).ravel())
        except (TypeError, ValueError):
            dims = ()
        if len(dims) != 3 or not all(math.isfinite(v) and v > 0 for v in dims):
            raise RenderError(
                f"room dimensions must be 3 positive lengths, got {self.dimensions_m}"
            )
        try:
            rt60 = float(self.rt60_s)
        except (TypeError, ValueError):
            rt60 = float("nan")
        if not (math.isfinite(rt60) and rt60 > 0):
            raise RenderError(f"room rt60_s must be > 0, got {self.rt60_s}")
        object.__setattr__(self, "dimensions_m", dims)
        object.__setattr__(self, "rt60_s", rt60)

    def reflection_coefficient(self, *, speed_of_sound: float = DEFAULT_SPEED_OF_SOUND) -> float:
        """The wall pressure reflection coefficient for this room's RT60."""
        return reflection_coefficient(self.dimensions_m, self.rt60_s, speed_of_sound=speed_of_sound)

    def decay_time_s(
        self, *, decay_db: float = 60.0, speed_of_sound: float = DEFAULT_SPEED_OF_SOUND
    ) -> float:
        """Time after emission at which the model decay has fallen by ``decay_db``."""
        return decay_time_s(
            self.dimensions_m, self.rt60_s, decay_db=decay_db, speed_of_sound=speed_of_sound
        )

    def contains(self, point_m, *, margin_m: float = 0.0) -> bool:
        """Whether ``point_m`` lies inside the room, at least ``margin_m`` from every surface."""
        p = np.asarray(point_m, dtype=float)
        dims = np.asarray(self.dimensions_m)
        return bool(np.all(p >= margin_m) and np.all(p <= dims - margin_m))


def _fibonacci_directions(n: int) -> np.ndarray:
    """``n`` nearly uniform unit vectors (a Fibonacci lattice), shape (n, 3)."""
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    phi = i * math.pi * (3.0 - math.sqrt(5.0))
    rho = np.sqrt(1.0 - z * z)
    return np.stack([rho * np.cos(phi), rho * np.sin(phi), z], axis=1)


def quadrature_directions(n: int = N_QUADRATURE) -> np.ndarray:
    """``|u|`` of ``n`` nearly uniform directions (a Fibonacci lattice), shape (n, 3)."""
    return np.abs(_fibonacci_directions(n))


class _DecayModel:
    """The normalised Schroeder curve ``S(x) / S(0)`` of a room shape (``x = kappa c t``)."""

    def __init__(self, dimensions_m: tuple[float, float, float]):
        u = np.abs(_fibonacci_directions(N_QUADRATURE))
        self.g = u @ (1.0 / np.asarray(dimensions_m, dtype=float))  # crossings per metre
        self._log_w = -np.log(self.g)
        self._log_s0 = self._log_s(0.0)

    @classmethod
    def from_rates(cls, rates_per_m: np.ndarray) -> _DecayModel:
        """The model of any decay ``E(t) ~ mean_u exp(-rates(u) c t)`` (``x = c t``, metres).

        ``rates_per_m`` holds the energy decay per metre travelled along each quadrature
        direction of :func:`quadrature_directions` (see :mod:`bindata.rooms.acoustics`).
        """
        model = cls.__new__(cls)
        model.g = np.asarray(rates_per_m, dtype=float)
        model._log_w = -np.log(model.g)
        model._log_s0 = model._log_s(0.0)
        return model

    def _log_s(self, x: float) -> float:
        a = self._log_w - self.g * x
        top = a.max()
        return float(top + np.log(np.exp(a - top).sum()))

    def level_db(self, x) -> np.ndarray:
        """Level of the normalised Schroeder curve at ``x`` (dB, 0 at x = 0)."""
        xs = np.atleast_1d(np.asarray(x, dtype=float))
        a = self._log_w[None, :] - self.g[None, :] * xs[:, None]
        top = a.max(axis=1, keepdims=True)
        log_s = top[:, 0] + np.log(np.exp(a - top).sum(axis=1))
        return 10.0 / math.log(10.0) * (log_s - self._log_s0)

    def x_at_db(self, drop_db: float) -> float:
        """The ``x`` at which the curve has fallen by ``drop_db`` (> 0)."""
        from scipy.optimize import brentq

        target = -drop_db * math.log(10.0) / 10.0
        hi = -target / float(self.g.min()) * 1.0001  # S(x)/S(0) <= exp(-g_min x)
        return float(brentq(lambda x: self._log_s(x) - self._log_s0 - target, 0.0, hi, xtol=1e-12))

    def t30_x(self) -> float:
        """T30 of the curve in units of ``x``: -60 dB over the slope fitted from -5 to -35 dB."""
        lo, hi = (self.x_at_db(d) for d in T30_RANGE_DB)
        xs = np.linspace(lo, hi, 48)
        ys = self.level_db(xs)
        xc = xs - xs.mean()
        slope = float(np.dot(xc, ys - ys.mean()) / np.dot(xc, xc))  # least-squares line
        return -60.0 / slope


@lru_cache(maxsize=256)
def _shape_constants(dimensions_m: tuple[float, float, float], decay_db: float) -> tuple:
    model = _DecayModel(dimensions_m)
    return model.t30_x(), model.x_at_db(decay_db)


def _check(dimensions_m, rt60_s, speed_of_sound) -> tuple[tuple[float, float, float], float]:
    room = ShoeboxRoom(tuple(np.asarray(dimensions_m, dtype=float).ravel()), rt60_s)
    if not (math.isfinite(speed_of_sound) and speed_of_sound > 0):
        raise RenderError(f"speed_of_sound must be > 0, got {speed_of_sound}")
    return room.dimensions_m, room.rt60_s


def reflection_coefficient(
    dimensions_m, rt60_s: float, *, speed_of_sound: float = DEFAULT_SPEED_OF_SOUND
) -> float:
    """Pressure reflection coefficient ``beta`` of all six walls giving the target RT60.

    Parameters
    ----------
    dimensions_m : sequence of 3 floats
        Room size along x, y, z in metres.
    rt60_s : float
        Target reverberation time (T30 extrapolated to 60 dB) in seconds.
    speed_of_sound : float
        Metres per second; the renderer must use the same value.

    Returns
    -------
    float
        ``beta`` in (0, 1): the image-source model decay of the room has a Schroeder T30
        (fit over -5 .. -35 dB) equal to ``rt60_s`` (see the module notes).
    """
    dims, rt60 = _check(dimensions_m, rt60_s, speed_of_sound)
    t30_x, _ = _shape_constants(dims, 60.0)
    kappa = t30_x / (speed_of_sound * rt60)
    return math.exp(-0.5 * kappa)


def decay_time_s(
    dimensions_m,
    rt60_s: float,
    *,
    decay_db: float = 60.0,
    speed_of_sound: float = DEFAULT_SPEED_OF_SOUND,
) -> float:
    """Time after emission at which the model Schroeder decay has fallen by ``decay_db``.

    With the calibrated ``beta`` this scales with ``rt60_s`` and depends on the room's
    proportions only: about ``rt60_s`` in a cube, longer in flat rooms (slow grazing decay).
    """
    dims, rt60 = _check(dimensions_m, rt60_s, speed_of_sound)
    if not (math.isfinite(decay_db) and decay_db > 0):
        raise RenderError(f"decay_db must be > 0, got {decay_db}")
    t30_x, x_end = _shape_constants(dims, float(decay_db))
    return rt60 * x_end / t30_x


__all__ = ["ShoeboxRoom", "reflection_coefficient", "decay_time_s", "DEFAULT_SPEED_OF_SOUND"]
