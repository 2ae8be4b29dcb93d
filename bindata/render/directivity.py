"""Source directivity: how strongly a source radiates in each direction, per frequency band.

A source radiates the pressure gain ``g_b(e)`` in the emission direction ``e`` (a unit vector,
the direction in which sound leaves the source) and octave band ``b``, normalised on the
source's axis: ``g_b(front) = 1``, so that an event's level (dB re full scale for a source at
1 m) is its on-axis level, as loudspeakers and talkers are specified. Patterns:

* **omnidirectional** (``None`` everywhere in the renderer): ``g = 1``, the default, rendered
  exactly as before this module existed;
* the **cardioid family** (:class:`CardioidPattern`), frequency independent:
  ``g(theta) = |(1 - alpha) + alpha cos(theta)| ** n`` with ``theta`` the angle from the axis,
  ``alpha`` in [0, 1] (0 omni, 0.25 subcardioid, 0.5 cardioid, about 0.63 supercardioid, 0.75
  hypercardioid, 1 figure-eight) and the order ``n`` > 0 (a higher order narrows the beam;
  Eargle, *The Microphone Book*, 2nd ed., 2004, chapter 5, for the first-order family). The
  magnitude is used (a figure-eight's rear lobe is not inverted): the renderer sums energies of
  many reflections, where the polarity of a lobe does not matter;
* a **measured** directivity (:class:`MeasuredDirectivity`, :func:`load_directivity`): a SOFA
  file of the ``FreeFieldDirectivityTF`` or ``GeneralTF`` convention, its magnitude per band
  taken at the *nearest measured direction* (no interpolation between directions).

The source's **orientation** (:class:`SourceRadiation`) is its axis in the room, azimuth
counter-clockwise from the room's +x axis and elevation up from the horizontal, degrees; its
frame is the axis ``x'``, the horizontal ``y' = z x x'`` (left of the axis) and ``z' = x' x y'``
(no roll). The emission direction of the direct sound is the unit vector from the source to the
listener. An image source of a shoebox (:mod:`bindata.render.image_source`) mirrored an odd
number of times along an axis radiates, seen from the listener, what the real source sent out
mirrored along that axis: its emission direction is the direction from the image to the
listener with the components of the odd-parity axes negated (equivalently the image source's
orientation is the source's, mirrored per axis with an odd number of reflections; Allen &
Berkley, JASA 65(4), 1979, for the images). :func:`emission_directions` computes it from the
image's mirror parities per axis, read off its index in the image lattice
(:func:`~bindata.render.image_source.parity_code`), and :meth:`SourceRadiation.image_gains` the
gains of many images at once.

The **diffuse tail** (:mod:`bindata.render.diffuse_tail`) carries the power the source radiates
into all directions: relative to an omnidirectional source of the same on-axis level it is
``(1 / 4 pi) \\oint g^2 dOmega = 1 / Q`` with ``Q = 4 pi g(front)^2 / \\oint g^2 dOmega`` the
directivity factor (Beranek & Mellow, *Acoustics: Sound Fields and Transducers*, 2012, on the
directivity factor and index; Kuttruff, *Room Acoustics*, 5th ed., 2009, chapter 5: the
reverberant energy density is proportional to the power the source radiates, the direct one on
the axis to ``Q`` times it over ``4 pi r^2``, so the critical distance grows by ``sqrt(Q)``). A source facing the listener therefore gains
``DI = 10 log10 Q`` dB of direct-to-reverberant ratio (4.77 dB for a first-order cardioid,
``Q = 3``). For the cardioid family, with ``a = 1 - alpha``, ``p = 2 n``,

    \\oint g^2 dOmega = 2 pi \\int_{-1}^{1} |a + alpha u|^p du
                     = 2 pi (1 - sgn(a - alpha) |a - alpha|^(p + 1)) / ((p + 1) alpha),

so ``Q = 2 (2 n + 1) alpha / (1 - sgn(1 - 2 alpha) |1 - 2 alpha|^(2 n + 1))`` (-> 1 as
``alpha -> 0``); for a measured pattern the integral is the sum over the measured directions of
``g^2`` times the share of the sphere nearest to each (estimated on a Fibonacci lattice), the
integral of exactly the nearest-direction pattern the renderer applies.
"""

from __future__ import annotations

import contextlib
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import RenderError
from ..hrir.lookup import DirectionLookup
from ..hrir.sofa_io import read_sofa_file
from ..io.checksum import sha256_file

#: SOFA conventions read as directivities.
DIRECTIVITY_CONVENTIONS = ("FreeFieldDirectivityTF", "GeneralTF")
#: Points of the Fibonacci lattice that estimate the share of the sphere of each direction.
_LATTICE_POINTS = 16384
#: Frequencies per band averaged when a band's power is read off a file's frequency grid.
_BAND_POINTS = 24


def fibonacci_sphere(n: int) -> np.ndarray:
    """``n`` unit vectors (n, 3) spread evenly over the sphere (a Fibonacci lattice: equal
    areas in ``z``, golden-angle steps in azimuth)."""
    k = np.arange(n) + 0.5
    z = 1.0 - 2.0 * k / n
    phi = math.pi * (3.0 - math.sqrt(5.0)) * k
    rho = np.sqrt(1.0 - z * z)
    return np.stack([rho * np.cos(phi), rho * np.sin(phi), z], axis=1)


def axis_frame(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Rows ``x', y', z'`` (3, 3) of the source frame whose axis points at (azimuth,
    elevation) in the room, without roll: ``local = frame @ room_vector``."""
    az, el = math.radians(float(azimuth_deg)), math.radians(float(elevation_deg))
    x = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
    y = np.array([-math.sin(az), math.cos(az), 0.0])
    return np.stack([x, y, np.cross(x, y)])


#: Per parity code (:func:`~bindata.render.image_source.parity_code`, bit 0 x, 1 y, 2 z): the
#: sign (8, 3) that turns an image's offset from the listener into its emission direction,
#: -1 along an axis of even parity (from the image to the listener), +1 along an odd one
#: (that, mirrored).
_PARITY_SIGNS = np.array(
    [[1.0 if code >> axis & 1 else -1.0 for axis in range(3)] for code in range(8)]
)


def _image_projections(rows, dx, dy, dz, dist, parity) -> list:
    """``rows @ e`` of the emission directions ``e`` of images: one array (K,) per row of
    ``rows`` (R, 3), room frame, in the dtype of the offsets.

    ``e_a = s_a(parity) o_a / |o|`` (``o`` the offset, ``s`` of :data:`_PARITY_SIGNS`), so
    ``row . e = sum_a (row_a s_a) o_a / |o|``: the signs are folded into the eight mirrored
    copies of each row, gathered per image by its parity code, and no (K, 3) array is built.
    """
    dx = np.asarray(dx)
    dt = dx.dtype
    code = np.asarray(parity, dtype=np.intp)
    out = []
    for row in np.asarray(rows, dtype=float).reshape(-1, 3):
        mirrored = (_PARITY_SIGNS * row[None, :]).astype(dt)  # (8, 3)
        acc = np.take(mirrored[:, 0], code) * dx
        acc += np.take(mirrored[:, 1], code) * dy
        acc += np.take(mirrored[:, 2], code) * dz
        acc /= dist
        out.append(acc)
    return out


def emission_directions(offsets, parity) -> np.ndarray:
    """Emission directions (K, 3) of image sources, room frame, unit vectors (in the offsets'
    dtype).

    Parameters
    ----------
    offsets : array (K, 3)
        Image position minus listener position (metres).
    parity : array (K,) of uint8
        The images' mirror parities (:func:`~bindata.render.image_source.parity_code`, as
        :func:`~bindata.render.image_source.iter_image_offsets` gives them with ``parity=True``).

    The direction from the image to the listener is ``-offset / |offset|``; along each axis
    with an odd number of reflections it is negated (the image's mirrored orientation).
    """
    off = np.asarray(offsets)
    if off.dtype.kind != "f":
        off = off.astype(float)
    dx, dy, dz = off[:, 0], off[:, 1], off[:, 2]
    dist = np.maximum(np.sqrt(dx * dx + dy * dy + dz * dz), off.dtype.type(1e-12))
    return np.stack(_image_projections(np.eye(3), dx, dy, dz, dist, parity), axis=1)


class CardioidPattern:
    """``g(theta) = |(1 - alpha) + alpha cos(theta)| ** order``: the cardioid family.

    Parameters
    ----------
    alpha : float
        In [0, 1]: 0 omnidirectional, 0.5 cardioid, 1 figure-eight.
    order : float
        Exponent ``n`` > 0.
    """

    frequency_dependent = False
    #: The gain depends only on the cosine of the angle from the axis (:meth:`axial_gain`).
    axial = True

    def __init__(self, alpha: float, order: float = 1.0):
        alpha, order = float(alpha), float(order)
        if not 0.0 <= alpha <= 1.0:
            raise RenderError(f"cardioid alpha must be in [0, 1], got {alpha}")
        if not (math.isfinite(order) and order > 0):
            raise RenderError(f"cardioid order must be > 0, got {order}")
        self.alpha, self.order = alpha, order

    def __repr__(self) -> str:
        return f"CardioidPattern(alpha={self.alpha:g}, order={self.order:g})"

    def gain(self, local_dirs, bands_hz=None) -> np.ndarray:
        """Pressure gains (K,) of unit directions (K, 3) in the source frame."""
        return self.axial_gain(np.asarray(local_dirs)[:, 0])

    def axial_gain(self, cosines) -> np.ndarray:
        """Pressure gains (K,) of the cosines (K,) of the angles from the axis (their dtype)."""
        u = np.asarray(cosines)
        one = u.dtype.type(1.0)
        if self.alpha == 0.0:  # omnidirectional: |1| ** n
            return np.full(u.shape, one, dtype=u.dtype)
        base = np.abs(u.dtype.type(1.0 - self.alpha) + u.dtype.type(self.alpha) * u)
        return base if self.order == 1.0 else base ** u.dtype.type(self.order)

    def directivity_factor(self, bands_hz=None) -> float:
        """``Q = 4 pi / \\oint g^2 dOmega`` (closed form, see the module's text)."""
        a, p = self.alpha, 2.0 * self.order
        if a == 0.0:
            return 1.0
        d = 1.0 - 2.0 * a
        return 2.0 * (p + 1.0) * a / (1.0 - math.copysign(abs(d) ** (p + 1.0), d))


class MeasuredDirectivity:
    """A measured directivity: band magnitudes at measured directions, nearest direction used.

    Parameters
    ----------
    directions : array (M, 3)
        Unit vectors in the source frame (x the source's axis, z its up).
    freqs_hz : array (F,)
        Frequencies of ``power``.
    power : array (M, F)
        ``|H|^2`` per direction and frequency.
    name, sha256 : str
        Where it came from (recorded in scenes).
    """

    frequency_dependent = True
    axial = False

    def __init__(self, directions, freqs_hz, power, *, name: str = "", sha256: str = ""):
        self.directions = np.asarray(directions, dtype=float)
        self.freqs_hz = np.asarray(freqs_hz, dtype=float)
        self.power = np.asarray(power, dtype=float)
        self.name, self.sha256 = name, sha256
        self._lookup = DirectionLookup(self.directions)  # exact nearest, fast for many queries
        self.front = int(self._lookup.query_vectors(np.array([[1.0, 0.0, 0.0]]))[0])
        cells = self._lookup.query_vectors(fibonacci_sphere(_LATTICE_POINTS))
        self.area_share = np.bincount(cells, minlength=len(self.directions)) / _LATTICE_POINTS
        self._bands: dict = {}

    def __repr__(self) -> str:
        return f"MeasuredDirectivity({self.name!r}, {len(self.directions)} directions)"

    def band_gains(self, bands_hz) -> np.ndarray:
        """(M, B) pressure gains per measured direction and octave band, 1 on the axis.

        A band's power is the mean of ``|H|^2`` over log-spaced frequencies from
        ``f_b / sqrt(2)`` to ``f_b sqrt(2)``, read off the file's grid by linear interpolation
        (held constant beyond its first and last frequency).
        """
        key = tuple(float(b) for b in bands_hz)
        if key not in self._bands:
            centres = np.asarray(key)
            grid = centres[:, None] * 2.0 ** np.linspace(-0.5, 0.5, _BAND_POINTS)[None, :]
            power = np.stack([np.interp(grid.ravel(), self.freqs_hz, row) for row in self.power])
            power = power.reshape(len(self.directions), len(key), _BAND_POINTS).mean(axis=2)
            on_axis = power[self.front]
            if np.any(on_axis <= 0):
                raise RenderError(
                    f"directivity {self.name}: no power on its axis in the bands "
                    f"{[b for b, p in zip(key, on_axis, strict=True) if p <= 0]} Hz"
                )
            self._bands[key] = np.sqrt(power / on_axis[None, :])
        return self._bands[key]

    def gain(self, local_dirs, bands_hz) -> np.ndarray:
        """Pressure gains (K, B) of unit directions (K, 3) in the source frame."""
        local = np.asarray(local_dirs)
        idx = self._lookup.query_vectors(local)
        return self.band_gains(bands_hz)[idx].astype(local.dtype, copy=False)

    def directivity_factor(self, bands_hz) -> np.ndarray:
        """``Q_b`` (B,): ``1 / sum_m s_m g_mb^2`` with ``s_m`` each direction's share."""
        g = self.band_gains(bands_hz)
        return 1.0 / (self.area_share @ (g * g))


class SourceRadiation:
    """A directivity pattern with the source's orientation in the room: what the renderers take.

    Parameters
    ----------
    pattern : CardioidPattern or MeasuredDirectivity
    azimuth_deg, elevation_deg : float
        The source's axis in the room frame.
    """

    def __init__(self, pattern, azimuth_deg: float, elevation_deg: float = 0.0):
        self.pattern = pattern
        self.frame = axis_frame(azimuth_deg, elevation_deg)
        self.frequency_dependent = bool(pattern.frequency_dependent)

    def __repr__(self) -> str:
        return f"SourceRadiation({self.pattern!r}, axis={np.round(self.frame[0], 3).tolist()})"

    def gains(self, directions, bands_hz=None) -> np.ndarray:
        """Pressure gains of emission directions (K, 3) in the room frame: (K,) for a
        frequency-independent pattern, (K, B) for a measured one (``bands_hz`` needed)."""
        d = np.asarray(directions)
        local = d @ self.frame.T.astype(d.dtype)
        if self.frequency_dependent and bands_hz is None:
            raise RenderError(f"{self.pattern!r} is frequency dependent: give its bands")
        return self.pattern.gain(local, bands_hz)

    def image_gains(self, dx, dy, dz, dist, parity, bands_hz=None) -> np.ndarray:
        """Pressure gains of image sources, as :meth:`gains` of their emission directions
        (:func:`emission_directions`): (K,) or (K, B).

        Parameters
        ----------
        dx, dy, dz : arrays (K,)
            Image position minus listener position (metres), the dtype of the gains.
        dist : array (K,)
            ``|offset|`` (> 0).
        parity : array (K,) of uint8
            Mirror parities (:func:`~bindata.render.image_source.parity_code`).
        bands_hz : sequence of float, optional
            Needed by a frequency-dependent pattern.

        A pattern of the angle from its axis alone (the cardioid family) needs one projection
        per image, on the axis mirrored by the image's parities; a measured one the three of
        the source frame (its nearest measured direction).
        """
        if self.frequency_dependent and bands_hz is None:
            raise RenderError(f"{self.pattern!r} is frequency dependent: give its bands")
        if self.pattern.axial:
            (u,) = _image_projections(self.frame[:1], dx, dy, dz, dist, parity)
            return self.pattern.axial_gain(u)
        local = np.stack(_image_projections(self.frame, dx, dy, dz, dist, parity), axis=1)
        return self.pattern.gain(local, bands_hz)

    def band_gains(self, direction, bands_hz) -> np.ndarray:
        """(B,) gains of one direction (3,) in each band (the same in all for the cardioids)."""
        g = np.asarray(self.gains(np.asarray(direction, float)[None, :], bands_hz), float)[0]
        return np.broadcast_to(g, (len(bands_hz),)).copy()

    def tail_gain(self, bands_hz) -> np.ndarray:
        """(B,) energy factor of the diffuse tail against an omnidirectional source: ``1 / Q``."""
        q = self.pattern.directivity_factor(bands_hz)
        return np.broadcast_to(1.0 / np.asarray(q, float), (len(bands_hz),)).copy()


def direct_direction(source_m, listener_m) -> np.ndarray:
    """The emission direction of the direct sound: the unit vector from source to listener,
    (3,) or, for arrays of positions (K, 3), (K, 3)."""
    v = np.asarray(listener_m, float) - np.asarray(source_m, float)
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


# --------------------------------------------------------------------------- SOFA files


def _cartesian(values, kind: str, units: str, what: str, path: Path) -> np.ndarray:
    """(..., 3) cartesian of SOFA coordinates (cartesian, or spherical azimuth, elevation, r)."""
    v = np.asarray(values, dtype=float)
    if v.ndim == 1:
        v = v[None, :]
    if v.shape[-1] != 3:
        raise RenderError(f"directivity file {path}: {what} must have 3 coordinates, got {v.shape}")
    kind = str(kind).strip().lower()
    if kind == "cartesian":
        return v
    if kind != "spherical":
        raise RenderError(
            f"directivity file {path}: {what} of type {kind!r} is not supported "
            "(cartesian, spherical)"
        )
    to_rad = 1.0 if "rad" in str(units).lower() else math.pi / 180.0
    az, el, r = v[..., 0] * to_rad, v[..., 1] * to_rad, v[..., 2]
    return np.stack([r * np.cos(el) * np.cos(az), r * np.cos(el) * np.sin(az), r * np.sin(el)], -1)


def _coords(sofa, name: str, default, path: Path) -> np.ndarray:
    kind = str(getattr(sofa, f"{name}_Type", "cartesian"))
    units = str(getattr(sofa, f"{name}_Units", "metre"))
    return _cartesian(getattr(sofa, name, default), kind, units, name, path)


def _source_frame(sofa, path: Path) -> np.ndarray:
    """Rows (3, 3) of the measured source's frame: ``SourceView`` (x) and ``SourceUp`` (z)."""
    view = _coords(sofa, "SourceView", [1.0, 0.0, 0.0], path)[0]
    up = _cartesian(
        getattr(sofa, "SourceUp", [0.0, 0.0, 1.0]),
        str(getattr(sofa, "SourceView_Type", "cartesian")),
        str(getattr(sofa, "SourceView_Units", "metre")),
        "SourceUp",
        path,
    )[0]
    x = view / max(float(np.linalg.norm(view)), 1e-300)
    z = up - float(up @ x) * x
    if not np.all(np.isfinite(x)) or np.linalg.norm(z) < 1e-9:
        raise RenderError(
            f"directivity file {path}: SourceView and SourceUp must be non-zero and not parallel"
        )
    z /= np.linalg.norm(z)
    return np.stack([x, np.cross(z, x), z])


def _mrn(data, path: Path, what: str) -> np.ndarray:
    d = np.asarray(data, dtype=float)
    if d.ndim < 2 or d.ndim > 3:
        raise RenderError(
            f"directivity file {path}: {what} has shape {d.shape}; expected (M, R, N)"
        )
    return d if d.ndim == 3 else d[:, :, None]


def read_directivity(path) -> MeasuredDirectivity:
    """A :class:`MeasuredDirectivity` from a SOFA file (through ``sofar.read_sofa``).

    Conventions: ``FreeFieldDirectivityTF`` and ``GeneralTF``, data ``Data.Real`` /
    ``Data.Imag`` (M, R, N) at the frequencies ``N``. The directions are the receivers'
    (``ReceiverPosition`` plus ``ListenerPosition``, minus ``SourcePosition``; at least two),
    expressed in the source's frame (``SourceView``, ``SourceUp``; default x front, z up); the
    measurements M (notes of an instrument, say) are averaged in power.

    Raises
    ------
    RenderError
        Not a SOFA file, another convention (naming it and the ones read), data of the wrong
        shape, fewer than two directions, a zero direction, non-finite data.
    """
    path = Path(path)
    sofa = read_sofa_file(path, error=RenderError, what="directivity file")
    convention = str(getattr(sofa, "GLOBAL_SOFAConventions", ""))
    if convention not in DIRECTIVITY_CONVENTIONS:
        raise RenderError(
            f"directivity file {path}: SOFA convention {convention!r} is not a source "
            f"directivity; read are {', '.join(DIRECTIVITY_CONVENTIONS)} (an HRIR set goes to "
            "the hrir settings, a room's responses to the rooms)"
        )
    try:
        real = _mrn(sofa.Data_Real, path, "Data.Real")
        imag = _mrn(sofa.Data_Imag, path, "Data.Imag")
        freqs = np.asarray(sofa.N, dtype=float).ravel()
    except AttributeError as exc:
        raise RenderError(f"directivity file {path}: lacks {exc.name or 'its data'}") from None
    if real.shape != imag.shape or real.shape[2] != freqs.size:
        raise RenderError(
            f"directivity file {path}: Data.Real {real.shape}, Data.Imag {imag.shape} and "
            f"{freqs.size} frequencies do not match"
        )
    power = np.mean(real * real + imag * imag, axis=0)  # (R, N): the measurements averaged
    receivers = _coords(sofa, "ReceiverPosition", [0.0, 0.0, 0.0], path).reshape(-1, 3)
    origin = _coords(sofa, "ListenerPosition", [0.0, 0.0, 0.0], path)[0]
    source = _coords(sofa, "SourcePosition", [0.0, 0.0, 0.0], path)[0]
    if receivers.shape[0] != power.shape[0] or power.shape[0] < 2:
        raise RenderError(
            f"directivity file {path}: needs its directions on the receivers (R >= 2 "
            f"ReceiverPosition rows matching the data), got {receivers.shape[0]} positions "
            f"for data of {power.shape[0]} receiver(s)"
        )
    rel = (receivers + origin - source) @ _source_frame(sofa, path).T
    norm = np.linalg.norm(rel, axis=1)
    bad = (
        ~np.isfinite(norm)
        | (norm < 1e-9)
        | ~np.all(np.isfinite(power), axis=1)
        | np.any(power < 0, axis=1)
    )
    if bad.any() or not np.all(np.isfinite(freqs)) or np.any(np.diff(freqs) <= 0):
        raise RenderError(
            f"directivity file {path}: receiver {int(np.argmax(bad)) if bad.any() else '-'} "
            "has a zero or non-finite direction or data, or the frequencies N do not increase"
        )
    return MeasuredDirectivity(
        rel / norm[:, None], freqs, power, name=str(path), sha256=sha256_file(path)
    )


@lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, size: int) -> MeasuredDirectivity:
    return read_directivity(path)


def load_directivity(path) -> MeasuredDirectivity:
    """:func:`read_directivity`, cached per process (by path, modification time and size)."""
    p = Path(path)
    stat = None
    with contextlib.suppress(OSError):
        stat = p.stat()
    if stat is None:
        return read_directivity(p)
    return _cached(str(p), stat.st_mtime_ns, stat.st_size)


__all__ = [
    "CardioidPattern",
    "DIRECTIVITY_CONVENTIONS",
    "MeasuredDirectivity",
    "SourceRadiation",
    "axis_frame",
    "direct_direction",
    "emission_directions",
    "fibonacci_sphere",
    "load_directivity",
    "read_directivity",
]
