"""Binaural room impulse responses in SOFA: the reader of measured rooms.

One file is one measured room: one listener (``ListenerPosition``, ``ListenerView``,
``ListenerUp``), two ears (receivers), several loudspeakers (emitters) and ``M`` measurements.
Three conventions (AES69) are read (:data:`CONVENTIONS`):

* ``SingleRoomMIMOSRIR`` (AES69-2022, the current one; ``bindata brirs`` writes it by
  default): ``Data.IR`` (M, R, N, E), with R = 2 receivers, the ears;
* ``MultiSpeakerBRIR`` (its deprecated predecessor): ``Data.IR`` (M, R, E, N) (files with the
  order (M, R, N, E) are recognised by the variable's dimension names);
* ``SingleRoomSRIR`` with R = 2: ``Data.IR`` (M, R, N), one loudspeaker per measurement; the
  measurements of one listener pose (the same ``ListenerPosition``, ``ListenerView`` and
  ``ListenerUp``, within :data:`POSE_TOL`) are gathered into one measurement whose emitters are
  their loudspeakers (a pose with fewer loudspeakers than another has its missing emitters at
  NaN, never drawn).

A file with other than 2 receivers (a microphone array, an Ambisonics response) is refused.

Conventions (docs/rooms.md, "A measured room (SOFA)"):

* Geometry: positions (cartesian or spherical, metres/degrees) of the file's own frame, which
  becomes the scene's room frame. An emitter lies at ``SourcePosition + R_s^T EmitterPosition``
  where ``R_s`` is the source's frame from ``SourceView`` / ``SourceUp`` (identity when absent).
  The listener must be upright (``ListenerUp`` along +z, ``ListenerView`` horizontal, within
  :data:`UPRIGHT_TOL`): scenes know a head yaw only; the yaw is ``atan2(view_y, view_x)``.
* Measurements: each measurement ``m`` is one listener pose (its own ``ListenerPosition`` /
  ``ListenerView`` rows, or the shared ones), with all its emitters; a scene uses one.
* Ears: the receiver with the larger ``y`` (head frame) is the left ear, channel 0
  (:func:`bindata.hrir.sofa_io._receiver_order`).
* Time: sample 0 of ``Data.IR`` delayed by ``Data.Delay`` (samples, per measurement, receiver
  and emitter, broadcast from (I or M, R[, E])) is the emission time, as in AES69. The delay is
  applied on reading (band-limited fractional shift), so the responses held start at emission.
* Rate: ``Data.SamplingRate`` (one value, hertz); :func:`resampled` brings a response to the
  dataset's rate (:func:`bindata.resample.resample`: polyphase, linear phase, so arrivals keep
  their time).
* Level: as stored here; :mod:`.level` computes the gain that brings a file to bindata's level.

The writer is the BRIR export's (:func:`bindata.synth.brirs.write_brir_sofa`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..errors import ConfigError, HRIRError
from ..hrir.alignment import shift_fractional
from ..hrir.sofa_io import (
    _attr,
    _listener_frame,
    _positions,
    _receiver_order,
    _sampling_rate,
    read_sofa_file,
)
from ..io import sha256_file
from ..resample import resample

#: Conventions read, the current one first.
CONVENTIONS = ("SingleRoomMIMOSRIR", "MultiSpeakerBRIR", "SingleRoomSRIR")
#: Largest distance (metres) and view or up difference (unit vectors) of one listener pose.
POSE_TOL = 1e-6
#: Largest |z| of the unit view and smallest z of the unit up vector of an upright listener.
UPRIGHT_TOL = 1e-6


@dataclass(frozen=True)
class MeasuredRoom:
    """A measured binaural room (a SOFA file of :data:`CONVENTIONS`), read.

    Attributes
    ----------
    path : Path
        The file (absolute).
    sha256 : str
        Its checksum when read.
    sample_rate : float
        ``Data.SamplingRate`` in Hz.
    ir : ndarray, (M, 2, E, N), or None
        Responses, left ear first, ``Data.Delay`` applied (sample 0 = emission); None in the
        geometry-only record of :func:`measured_geometry`.
    listener_m : ndarray, (M, 3)
        Listener position per measurement (file frame, metres).
    yaw_deg : ndarray, (M,)
        Listener yaw per measurement (counter-clockwise from +x).
    emitters_m : ndarray, (M, E, 3)
        Emitter positions per measurement (file frame, metres); NaN for the missing emitters of
        a ``SingleRoomSRIR`` pose with fewer loudspeakers than another.
    convention : str
        The file's SOFA convention.
    """

    path: Path
    sha256: str
    sample_rate: float
    ir: np.ndarray
    listener_m: np.ndarray
    yaw_deg: np.ndarray
    emitters_m: np.ndarray
    convention: str = "MultiSpeakerBRIR"

    @property
    def n_measurements(self) -> int:
        return int(self.emitters_m.shape[0])

    def distances_m(self, m: int) -> np.ndarray:
        """Distances (E,) of measurement ``m``'s emitters from the listener's head centre (NaN
        for a missing emitter)."""
        return np.linalg.norm(self.emitters_m[m] - self.listener_m[m], axis=1)


def _data_ir(sofa, path: Path) -> np.ndarray:
    """``Data.IR`` as (M, R, E, N), whatever the file's dimension order (E = 1 for the
    (M, R, N) of ``SingleRoomSRIR``)."""
    data = np.asarray(sofa.Data_IR, dtype=float)
    try:
        from netCDF4 import Dataset

        with Dataset(path) as nc:
            dims = tuple(nc.variables["Data.IR"].dimensions)
            shape = tuple(nc.variables["Data.IR"].shape)
    except (OSError, KeyError) as exc:
        raise HRIRError(f"{path}: SOFA file lacks Data.IR ({exc})") from None
    data = data.reshape(shape)
    if dims == ("M", "R", "N", "E"):
        data = np.moveaxis(data, 3, 2)
    elif dims == ("M", "R", "N"):
        data = data[:, :, None, :]
    elif dims != ("M", "R", "E", "N"):
        raise HRIRError(
            f"{path}: Data.IR has dimensions {dims}; expected (M, R, N, E), (M, R, E, N) "
            "or (M, R, N)"
        )
    if not np.all(np.isfinite(data)):
        raise HRIRError(f"{path}: Data.IR holds NaN or infinite values")
    return data


def _delays(sofa, path: Path, shape: tuple) -> np.ndarray:
    """``Data.Delay`` broadcast to (M, R, E) samples."""
    m, r, e = shape
    d = np.asarray(getattr(sofa, "Data_Delay", 0.0), dtype=float)
    d = d.reshape(d.shape + (1,) * (3 - d.ndim)) if d.ndim < 3 else d
    try:
        d = np.broadcast_to(d, (m, r, e))
    except ValueError:
        raise HRIRError(
            f"{path}: Data.Delay of shape {d.shape} does not fit (M, R, E) = {(m, r, e)}"
        ) from None
    if np.any(d < 0) or not np.all(np.isfinite(d)):
        raise HRIRError(f"{path}: Data.Delay must be finite and >= 0 samples")
    return d


def _emitters(sofa, path: Path, m: int, e: int) -> np.ndarray:
    """Emitter positions (M, E, 3) in the file frame."""
    src = _positions(
        sofa.SourcePosition,
        _attr(sofa, "SourcePosition_Type", "cartesian"),
        _attr(sofa, "SourcePosition_Units", "metre"),
        "SourcePosition",
        path,
    )
    emi = _positions(
        getattr(sofa, "EmitterPosition", np.zeros((1, 3))),
        _attr(sofa, "EmitterPosition_Type", "cartesian"),
        _attr(sofa, "EmitterPosition_Units", "metre"),
        "EmitterPosition",
        path,
    )
    emi = emi.swapaxes(0, 1) if emi.ndim == 3 else emi.reshape(1, -1, 3)  # (M or 1, E, 3)
    frame = SimpleNamespace(
        ListenerPosition=np.zeros(3),
        ListenerView=getattr(sofa, "SourceView", [1.0, 0.0, 0.0]),
        ListenerUp=getattr(sofa, "SourceUp", [0.0, 0.0, 1.0]),
        ListenerView_Type=_attr(sofa, "SourceView_Type", "cartesian"),
        ListenerView_Units=_attr(sofa, "SourceView_Units", "metre"),
    )
    _, rot = _listener_frame(frame, path)  # rows: source frame axes in the file frame
    try:
        local = np.broadcast_to(emi, (m, e, 3))
        out = src.reshape(-1, 1, 3) + np.einsum(
            "mji,mej->mei", np.broadcast_to(rot, (m, 3, 3)), local
        )
        return np.ascontiguousarray(np.broadcast_to(out, (m, e, 3)))
    except ValueError:
        raise HRIRError(
            f"{path}: SourcePosition/EmitterPosition do not match {m} measurement(s) "
            f"x {e} emitter(s)"
        ) from None


def _listener(sofa, path: Path, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Listener positions (M, 3), yaws (M,) and frames (M, 3, 3) of an upright listener."""
    pos, rot = _listener_frame(sofa, path)
    try:
        pos, rot = np.broadcast_to(pos, (m, 3)), np.broadcast_to(rot, (m, 3, 3))
    except ValueError:
        raise HRIRError(
            f"{path}: ListenerPosition/ListenerView do not match {m} measurement(s)"
        ) from None
    view, up = rot[:, 0], rot[:, 2]
    if np.any(np.abs(view[:, 2]) > UPRIGHT_TOL) or np.any(up[:, 2] < 1 - UPRIGHT_TOL):
        raise HRIRError(
            f"{path}: the listener must be upright (ListenerUp along +z, ListenerView "
            "horizontal): scenes give the head a yaw only"
        )
    yaw = np.degrees(np.arctan2(view[:, 1], view[:, 0]))
    return np.array(pos, dtype=float), yaw, np.array(rot, dtype=float)


def _apply_delays(ir: np.ndarray, delay: np.ndarray) -> np.ndarray:
    if not np.any(delay):
        return ir
    n_out = ir.shape[-1] + int(math.ceil(delay.max()))
    return shift_fractional(ir, delay, n_out=n_out)


def _poses(listener: np.ndarray, frames: np.ndarray) -> list[np.ndarray]:
    """Measurement indices of each listener pose (position and frame within
    :data:`POSE_TOL`), in the order of their first measurement."""
    key = np.concatenate([listener, frames.reshape(len(listener), -1)], axis=1)
    groups: list[list[int]] = []
    for i in range(len(key)):
        for group in groups:
            if np.max(np.abs(key[group[0]] - key[i])) <= POSE_TOL:
                group.append(i)
                break
        else:
            groups.append([i])
    return [np.array(g) for g in groups]


def _gathered(ir, listener, yaw, emitters, frames):
    """``SingleRoomSRIR``: the one-loudspeaker measurements of each listener pose gathered into
    one measurement (missing emitters: zero responses at NaN positions)."""
    groups = _poses(listener, frames)
    n_emitters = max(len(g) for g in groups)
    out_ir = np.zeros((len(groups), 2, n_emitters, ir.shape[-1]))
    out_em = np.full((len(groups), n_emitters, 3), np.nan)
    for k, g in enumerate(groups):
        out_ir[k, :, : len(g)] = np.moveaxis(ir[g, :, 0], 0, 1)
        out_em[k, : len(g)] = emitters[g, 0]
    first = [g[0] for g in groups]
    return out_ir, listener[first], yaw[first], out_em


def read_brir_sofa(path) -> MeasuredRoom:
    """Read a measured binaural room: a SOFA file of :data:`CONVENTIONS` with two receivers
    (conventions in the module docstring).

    Raises
    ------
    HRIRError
        Missing file, not SOFA, another convention, not two receivers, a listener that is not
        upright, positions or delays that do not fit the data.
    """
    path = Path(path).resolve()
    sofa = read_sofa_file(path)
    convention = _attr(sofa, "GLOBAL_SOFAConventions", "?")
    if convention not in CONVENTIONS:
        hint = " (an HRIR set, not a room)" if "FreeField" in convention else ""
        raise HRIRError(
            f"{path}: SOFA convention {convention!r}{hint} is not a measured "
            f"binaural room; rooms are read from {', '.join(map(repr, CONVENTIONS))} files"
        )
    data = _data_ir(sofa, path)
    m, r, e, _ = data.shape
    if r != 2:
        raise HRIRError(
            f"{path}: {convention} with {r} receiver(s); a binaural room has 2 (the left and "
            "right ear): a microphone array or Ambisonics response is not read"
        )
    order = _receiver_order(sofa, path, r)
    data = data[:, order]
    if not np.all(np.any(data != 0, axis=-1)):
        raise HRIRError(f"{path}: every response of Data.IR must hold a non-zero sample")
    ir = _apply_delays(data, _delays(sofa, path, (m, r, e))[:, order])
    listener, yaw, frames = _listener(sofa, path, m)
    emitters = _emitters(sofa, path, m, e)
    if convention == "SingleRoomSRIR":
        ir, listener, yaw, emitters = _gathered(ir, listener, yaw, emitters, frames)
    return MeasuredRoom(
        path=path,
        sha256=sha256_file(path),
        sample_rate=_sampling_rate(sofa, path),
        ir=ir,
        listener_m=listener,
        yaw_deg=yaw,
        emitters_m=emitters,
        convention=convention,
    )


@lru_cache(maxsize=4)  # whole files in memory: a few
def _cached(path: str, mtime_ns: int, size: int) -> MeasuredRoom:
    return read_brir_sofa(path)


@lru_cache(maxsize=4096)
def _cached_geometry(path: str, mtime_ns: int, size: int) -> MeasuredRoom:
    return dataclasses.replace(_cached(path, mtime_ns, size), ir=None)


def _stat_key(path) -> tuple[str, int, int]:
    p = Path(path).resolve()
    try:
        st = p.stat()
    except OSError as exc:
        raise ConfigError(f"measured room {p}: cannot be read ({exc.strerror})") from None
    return str(p), st.st_mtime_ns, st.st_size


def load_measured_room(path) -> MeasuredRoom:
    """:func:`read_brir_sofa`, cached per process (a few files) while the file keeps its
    modification time and size."""
    return _cached(*_stat_key(path))


def measured_geometry(path) -> MeasuredRoom:
    """The file's :class:`MeasuredRoom` without its responses (``ir`` None), cached for many
    files: what drawing scenes needs."""
    return _cached_geometry(*_stat_key(path))


def resampled(ir: np.ndarray, rate_in: float, rate_out: int) -> np.ndarray:
    """``ir`` (..., N) from ``rate_in`` to ``rate_out`` Hz (polyphase, linear phase)."""
    if rate_in == rate_out:
        return ir
    if rate_in != int(rate_in):
        raise HRIRError(f"cannot resample from a non-integer rate {rate_in} Hz")
    return resample(ir, int(rate_in), int(rate_out))


__all__ = [
    "CONVENTIONS",
    "MeasuredRoom",
    "load_measured_room",
    "read_brir_sofa",
    "resampled",
    "measured_geometry",
]
