"""Read HRIR sets from SOFA files (through sofar) and write them as SimpleFreeFieldHRIR.

Reading accepts the free-field HRIR conventions ``SimpleFreeFieldHRIR`` and ``FreeFieldHRIR``
(emitters given as cartesian or spherical positions) and their frequency-domain counterparts
``SimpleFreeFieldHRTF`` / ``FreeFieldHRTF`` when the frequencies are the uniform grid
``0, df, ..., fs / 2`` of a real FFT (converted by ``irfft``). Positions (spherical: azimuth
counter-clockwise from the front, elevation up, degrees, radius in metres; or cartesian, metres)
are taken relative to ``ListenerPosition`` and rotated into the listener's frame given by
``ListenerView`` / ``ListenerUp`` (x front, y left, z up: docs/design.md). The receiver with the larger
``y`` is the left ear (channel 0). ``Data.Delay`` is applied to the responses.

Measured data are then brought to the container's convention (:mod:`.hrirset`): each response is
multiplied by its distance in metres (removes 1/r) and every distance shell is shifted to one
common head-centre arrival (:mod:`.alignment`).

Files written by :func:`write_sofa` already follow that convention; they carry the global attribute
``BindataDelaySamples`` (the head-centre arrival) and are read back unchanged.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import numpy as np

from ..errors import BindataError, HRIRError, OutputError
from ..geometry import cartesian_to_spherical
from ..io import atomic_path
from ..io.atomic import temporary_name
from .alignment import align_shells, shift_fractional
from .hrirset import HRIRSet, first_bad_response, shell_groups
from .sphere import HEAD_RADIUS_M

#: Custom global attribute holding ``HRIRSet.delay_samples`` (sofar name: ``GLOBAL_`` + this).
DELAY_ATTRIBUTE = "BindataDelaySamples"
TIME_DOMAIN = ("SimpleFreeFieldHRIR", "FreeFieldHRIR")
FREQUENCY_DOMAIN = ("SimpleFreeFieldHRTF", "FreeFieldHRTF")
#: Largest chunk written (bytes); see :func:`_rechunked_copy`.
CHUNK_BYTES = 4 << 20


def read_sofa_file(path: Path, *, error: type[BindataError] = HRIRError, what: str = ""):
    """sofar's reading of a SOFA file (unverified, quietly): conventions are checked by the
    caller. A missing file, a folder or a file that is no SOFA file raises ``error`` naming
    ``what`` and the path (e.g. ``directivity file x.sofa: no such file``)."""
    import sofar

    where = f"{what} {path}".strip()
    if not path.exists():
        raise error(f"{where}: no such file")
    if path.is_dir():
        raise error(f"{where}: is a directory, not a SOFA file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sofar.read_sofa(str(path), verify=False, verbose=False)
    except Exception as exc:  # netCDF4/HDF5 raise many types for a non-SOFA file
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise error(f"{where}: not a SOFA file ({reason})") from None


def _get(sofa, name: str, path: Path):
    try:
        return getattr(sofa, name)
    except AttributeError:
        raise HRIRError(f"{path}: SOFA file lacks {name.replace('_', '.', 1)}") from None


def _positions(values, kind: str, units: str, what: str, path: Path) -> np.ndarray:
    """Cartesian (..., 3) from SOFA coordinates of type ``kind``."""
    v = np.asarray(values, dtype=float)
    if v.shape[-1] != 3 and v.ndim >= 2 and v.shape[1] == 3:
        v = np.moveaxis(v, 1, -1)  # (R, C, I) / (E, C, M) -> (..., C)
    if v.shape[-1] != 3:
        raise HRIRError(f"{path}: {what} must have 3 coordinates, got shape {v.shape}")
    kind = str(kind).strip().lower()
    if kind == "cartesian":
        return v
    if kind != "spherical":
        raise HRIRError(f"{path}: {what} of type {kind!r} is not supported (cartesian, spherical)")
    to_rad = 1.0 if "rad" in str(units).lower() else np.pi / 180.0
    az, el, r = v[..., 0] * to_rad, v[..., 1] * to_rad, v[..., 2]
    return np.stack([r * np.cos(el) * np.cos(az), r * np.cos(el) * np.sin(az), r * np.sin(el)], -1)


def _attr(sofa, name: str, default: str) -> str:
    return str(getattr(sofa, name, default))


def _listener_frame(sofa, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Listener position (..., 3) and rotation rows (..., 3, 3): head = rows @ (p - position)."""
    pos = _positions(
        getattr(sofa, "ListenerPosition", [0, 0, 0]),
        _attr(sofa, "ListenerPosition_Type", "cartesian"),
        _attr(sofa, "ListenerPosition_Units", "metre"),
        "ListenerPosition",
        path,
    )
    view_kind = _attr(sofa, "ListenerView_Type", "cartesian")
    view_units = _attr(sofa, "ListenerView_Units", "metre")
    view = _positions(
        getattr(sofa, "ListenerView", [1, 0, 0]), view_kind, view_units, "ListenerView", path
    )
    up = _positions(
        getattr(sofa, "ListenerUp", [0, 0, 1]), view_kind, view_units, "ListenerUp", path
    )
    view, up = np.broadcast_arrays(view.reshape(-1, 3), up.reshape(-1, 3))
    x = view / np.linalg.norm(view, axis=-1, keepdims=True)
    z = up - np.sum(up * x, axis=-1, keepdims=True) * x
    norm = np.linalg.norm(z, axis=-1, keepdims=True)
    if not np.all(np.isfinite(x)) or np.any(norm < 1e-9):
        raise HRIRError(f"{path}: ListenerView and ListenerUp must be non-zero and not parallel")
    z = z / norm
    return pos.reshape(-1, 3), np.stack([x, np.cross(z, x), z], axis=-2)


def _source_directions(sofa, path: Path, n_meas: int, n_emitters: int) -> np.ndarray:
    """Source positions in the head frame, (n_meas * n_emitters, 3), measurement-major."""
    src = _positions(
        _get(sofa, "SourcePosition", path),
        _attr(sofa, "SourcePosition_Type", ""),
        _attr(sofa, "SourcePosition_Units", ""),
        "SourcePosition",
        path,
    )
    src = src.reshape(-1, 1, 3)  # (M or 1, 1, 3)
    if _attr(sofa, "GLOBAL_SOFAConventions", "").startswith("FreeField"):
        kind = _attr(sofa, "EmitterPosition_Type", "cartesian")
        if "harmonic" in kind.lower():
            raise HRIRError(
                f"{path}: emitters given as spherical harmonics are not supported; "
                "convert the set to discrete directions (SimpleFreeFieldHRIR)"
            )
        emi = _positions(
            _get(sofa, "EmitterPosition", path),
            kind,
            _attr(sofa, "EmitterPosition_Units", "metre"),
            "EmitterPosition",
            path,
        )
        emi = emi.swapaxes(0, 1) if emi.ndim == 3 else emi.reshape(1, -1, 3)  # (M or 1, E, 3)
        if emi.shape[1] != n_emitters:
            raise HRIRError(
                f"{path}: EmitterPosition holds {emi.shape[1]} emitters, the data {n_emitters}"
            )
        src = src + emi
    pos, rot = _listener_frame(sofa, path)
    try:
        rel = np.broadcast_to(src - pos[:, None, :], (n_meas, n_emitters, 3))
        rot = np.broadcast_to(rot, (n_meas, 3, 3))
    except ValueError:
        raise HRIRError(
            f"{path}: positions do not match {n_meas} measurement(s) x {n_emitters} emitter(s)"
        ) from None
    return np.einsum("mij,mej->mei", rot, rel).reshape(-1, 3)


def _sampling_rate(sofa, path: Path) -> float:
    rate = np.unique(np.asarray(_get(sofa, "Data_SamplingRate", path), dtype=float))
    if rate.size != 1 or not rate[0] > 0:
        raise HRIRError(f"{path}: Data.SamplingRate must be one positive value, got {rate}")
    units = _attr(sofa, "Data_SamplingRate_Units", "hertz").lower()
    if units not in ("hertz", "hz"):
        raise HRIRError(f"{path}: Data.SamplingRate in {units!r}; expected hertz")
    return float(rate[0])


def _as_mrne(data, path: Path, what: str) -> np.ndarray:
    """Data array as (M, R, N, E) (sofar drops trailing singleton dimensions)."""
    d = np.asarray(data, dtype=float)
    if d.ndim < 2 or d.ndim > 4:
        raise HRIRError(f"{path}: {what} has shape {d.shape}; expected (M, R, N)")
    while d.ndim < 4:
        d = d[..., None]
    return d


def _frequency_domain(sofa, path: Path) -> tuple[np.ndarray, float]:
    real = _as_mrne(_get(sofa, "Data_Real", path), path, "Data.Real")
    imag = _as_mrne(_get(sofa, "Data_Imag", path), path, "Data.Imag")
    freqs = np.asarray(_get(sofa, "N", path), dtype=float).ravel()
    uniform = freqs.size >= 3 and freqs[0] == 0 and np.allclose(np.diff(freqs), freqs[1])
    if not uniform or real.shape != imag.shape or real.shape[2] != freqs.size:
        raise HRIRError(
            f"{path}: frequency-domain data must sit on the uniform grid 0, df, ..., fs/2 of a "
            f"real FFT ({freqs.size} frequencies from {freqs[:1]} Hz found); convert the set to "
            "SimpleFreeFieldHRIR"
        )
    n = 2 * (freqs.size - 1)
    ir = np.fft.irfft(real + 1j * imag, n=n, axis=2)
    return ir, 2.0 * freqs[-1]


def _responses(sofa, path: Path, convention: str) -> tuple[np.ndarray, float, int, int]:
    """Time-domain responses (M * E, R, N), rate, M and E; ``Data.Delay`` applied."""
    if convention in FREQUENCY_DOMAIN:
        data, rate = _frequency_domain(sofa, path)
        delay = None
    else:
        data = _as_mrne(_get(sofa, "Data_IR", path), path, "Data.IR")
        rate = _sampling_rate(sofa, path)
        delay = np.asarray(getattr(sofa, "Data_Delay", 0.0), dtype=float)
    m, r, n, e = data.shape
    _check_finite(data, path)
    ir = np.moveaxis(data, 3, 1).reshape(m * e, r, n)  # measurement-major
    if delay is not None and np.any(delay != 0):
        d = delay.reshape(delay.shape[0] if delay.ndim else 1, -1)
        try:
            d = np.broadcast_to(d[:, :r, None], (m, r, 1)) if d.shape[1] >= r else None
        except ValueError:
            d = None
        if d is None or np.any(d < 0):
            raise HRIRError(f"{path}: Data.Delay of shape {delay.shape} does not fit (M, R)")
        d = np.repeat(d[..., 0], e, axis=0)
        ir = shift_fractional(ir, d, n_out=n + int(np.ceil(d.max())))
    return ir, rate, m, e


def _check_finite(data: np.ndarray, path: Path) -> None:
    """Refuse NaN, infinite or all-zero responses of ``data`` (M, R, N, E), naming the first."""
    bad = first_bad_response(np.moveaxis(data, 3, 1).reshape(-1, data.shape[1], data.shape[2]))
    if bad is None:
        return
    n_emitters = data.shape[3]
    where = f"measurement {bad[0] // n_emitters}"
    if n_emitters > 1:
        where += f", emitter {bad[0] % n_emitters}"
    raise HRIRError(
        f"{path}: {where} (receiver {bad[1]}, indices from 0) {bad[2]}; every response of an "
        "HRIR set must be finite and not all zero"
    )


def _receiver_order(sofa, path: Path, n_receivers: int) -> list[int]:
    """[left, right] receiver indices (the receiver with the larger y is the left ear)."""
    if n_receivers != 2:
        raise HRIRError(
            f"{path}: the set has {n_receivers} receiver(s); an HRIR set needs "
            "exactly 2 (left and right ear)"
        )
    try:
        rec = _positions(
            sofa.ReceiverPosition,
            _attr(sofa, "ReceiverPosition_Type", "cartesian"),
            _attr(sofa, "ReceiverPosition_Units", "metre"),
            "ReceiverPosition",
            path,
        )
        y = rec.reshape(2, -1, 3)[:, 0, 1]
    except (AttributeError, HRIRError, ValueError):
        return [0, 1]
    return [1, 0] if y[1] > y[0] else [0, 1]


def _ear_geometry(sofa) -> tuple[np.ndarray, float]:
    """Unit vectors (2, 3) of the ears and head radius, from ReceiverPosition when plausible."""
    try:
        rec = np.asarray(sofa.ReceiverPosition, dtype=float).reshape(2, 3, -1)[:, :, 0]
        radius = np.linalg.norm(rec, axis=1)
        if str(sofa.ReceiverPosition_Type) == "cartesian" and np.all(
            (radius > 0.04) & (radius < 0.15)
        ):
            units = rec / radius[:, None]
            if units[0, 1] < units[1, 1]:
                units = units[::-1]
            return units, float(radius.mean())
    except (AttributeError, ValueError):
        pass
    return np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]]), HEAD_RADIUS_M


def load_sofa(path, *, sample_rate: int | None = None) -> HRIRSet:
    """Read a free-field HRIR SOFA file into an :class:`HRIRSet` (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The SOFA file.
    sample_rate : int, optional
        Resample to this rate (polyphase); ``None`` keeps the file's rate.

    Raises
    ------
    HRIRError
        One line naming the file and the problem: missing file, not a SOFA file, another
        convention, not two receivers, unusable positions, rates or delays.
    """
    path = Path(path)
    sofa = read_sofa_file(path)
    convention = _attr(sofa, "GLOBAL_SOFAConventions", "?")
    if convention not in TIME_DOMAIN + FREQUENCY_DOMAIN:
        raise HRIRError(
            f"{path}: SOFA convention {convention!r} is not a free-field HRIR set "
            f"(supported: {', '.join(TIME_DOMAIN + FREQUENCY_DOMAIN)})"
        )
    ir, rate, n_meas, n_emit = _responses(sofa, path, convention)
    ir = ir[:, _receiver_order(sofa, path, ir.shape[1])]
    xyz = _source_directions(sofa, path, n_meas, n_emit)
    # (rounded to 1e-9 so that conversions do not split a shell or a direction by 1e-16)
    az, el, dist = (np.round(v, 9) for v in cartesian_to_spherical(xyz))
    if np.any(~np.isfinite(dist)) or np.any(dist <= 0):
        raise HRIRError(f"{path}: every source needs a distance > 0 m (found {dist.min():g} m)")
    stored = getattr(sofa, "GLOBAL_" + DELAY_ATTRIBUTE, None)
    if stored is not None:
        try:
            delay = float(stored)
        except ValueError:
            raise HRIRError(f"{path}: {DELAY_ATTRIBUTE} must be a number, got {stored!r}") from None
    else:
        ir = ir * dist[:, None, None]
        ears, radius = _ear_geometry(sofa)
        units = xyz / dist[:, None]
        ir, delay = align_shells(
            ir, units, dist, shell_groups(dist), rate, ear_units=ears, radius_m=radius
        )
    hrirset = HRIRSet(az, el, dist, ir, rate, delay_samples=delay, name=path.name)
    if sample_rate is not None and int(round(rate)) != rate:
        raise HRIRError(f"{path}: cannot resample from a non-integer rate {rate} Hz")
    return hrirset if sample_rate is None else hrirset.resample(int(sample_rate))


def write_sofa(hrirset: HRIRSet, path) -> None:
    """Write ``hrirset`` as a SimpleFreeFieldHRIR file, atomically (:func:`bindata.io.atomic_path`).

    Positions are spherical in SOFA's convention (azimuth counter-clockwise from the front in
    [0, 360), elevation, radius = distance in metres). The responses are stored as they are in the
    container (relative to the head-centre free field); ``GLOBAL_Comment`` says so and
    ``GLOBAL_BindataDelaySamples`` holds ``delay_samples``. The object is verified by sofar before
    writing; a failure raises :class:`HRIRError`, a failure to write :class:`OutputError`.
    """
    import sofar

    path = Path(path)
    sofa = sofar.Sofa("SimpleFreeFieldHRIR")
    sofa.Data_IR = np.asarray(hrirset.ir, dtype=float)
    sofa.Data_SamplingRate = float(hrirset.sample_rate)
    sofa.Data_Delay = np.zeros((1, 2))
    sofa.SourcePosition = np.stack(
        [np.mod(hrirset.azimuth_deg, 360.0), hrirset.elevation_deg, hrirset.distance_m], axis=1
    )
    sofa.ReceiverPosition = np.array([[0.0, HEAD_RADIUS_M, 0.0], [0.0, -HEAD_RADIUS_M, 0.0]])
    sofa.GLOBAL_Title = hrirset.name or "HRIR set"
    sofa.GLOBAL_ApplicationName = "bindata"
    sofa.GLOBAL_Comment = (
        "Impulse responses relative to the free field at the head centre: the propagation delay "
        "and the 1/r spreading from the source to the head centre are removed, and the wave "
        f"reaches the head centre at sample {hrirset.delay_samples:.6g} (global attribute "
        f"{DELAY_ATTRIBUTE}). Receiver 1 is the left ear."
    )
    sofa.add_attribute("GLOBAL_" + DELAY_ATTRIBUTE, repr(float(hrirset.delay_samples)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sofa.verify(mode="write")
        except Exception as exc:
            raise HRIRError(
                f"{path}: the set does not verify as SimpleFreeFieldHRIR ({exc})"
            ) from None
    # sofar's own file, before rechunking (a name ending in .sofa: sofar appends it otherwise)
    raw = temporary_name(path.with_name(path.stem + ".raw.sofa"))
    try:
        with atomic_path(path) as tmp:
            try:
                sofar.write_sofa(str(raw), sofa, compression=0)
                _rechunked_copy(raw, tmp)
            except RuntimeError as exc:  # netCDF/HDF5 report some OS failures this way
                raise OutputError(f"{path}: cannot write ({exc})") from None
    finally:
        with contextlib.suppress(OSError):
            raw.unlink(missing_ok=True)


def _rechunked_copy(src: Path, dst: Path, *, chunk_bytes: int = CHUNK_BYTES) -> None:
    """Copy a netCDF-4 file, compressing every variable in chunks of whole rows.

    netCDF's default chunking gives large sets chunks of 8 MiB and more, which libmysofa (1.3,
    used by ``mysofa2json`` and many renderers) refuses as "invalid format"; rows of at most
    ``chunk_bytes`` keep every reader happy. Data, dimensions and attributes are copied as is.
    """
    from netCDF4 import Dataset

    with Dataset(src) as a, Dataset(dst, "w", format="NETCDF4") as b:
        a.set_auto_maskandscale(False)
        a.set_auto_chartostring(False)
        b.setncatts({k: a.getncattr(k) for k in a.ncattrs()})
        for name, dim in a.dimensions.items():
            b.createDimension(name, len(dim))
        for name, var in a.variables.items():
            shape = var.shape
            row_bytes = int(np.prod(shape[1:], dtype=np.int64)) * var.dtype.itemsize
            rows = max(1, min(shape[0], chunk_bytes // max(row_bytes, 1)))
            out = b.createVariable(
                name,
                var.datatype,
                var.dimensions,
                zlib=True,
                complevel=4,
                chunksizes=[rows, *shape[1:]],
            )
            out.set_auto_chartostring(False)
            out.setncatts({k: var.getncattr(k) for k in var.ncattrs()})
            out[:] = var[:]
