"""Binaural room impulse responses: image sources of a shoebox room through an HRIR set.

Time origin: sample 0 is the emission time, so the direct sound reaches the head centre at
sample ``r / c * fs`` (:attr:`BRIR.onset_samples`). The HRIR set is relative to the free field at
the head centre, its arrival at sample ``delay_samples`` of every response (see
:mod:`bindata.hrir.hrirset`); a wave reaching the head centre at time ``t`` therefore contributes
its HRIR shifted so that the HRIR's sample ``delay_samples`` lands at ``t * fs``, scaled by the
spreading loss ``1 / distance`` (no clamp) and ``beta ** order`` for ``order`` wall reflections.

- Direct path: the HRIR shell nearest to the source distance, the measured direction nearest to
  the source as seen from the head, shifted by a Kaiser-windowed sinc fractional-delay filter
  (sub-sample accurate).
- Reflections: the far-field shell, the measured direction nearest to each image as seen from
  the head (exact, :mod:`bindata.hrir.lookup`); arrivals rounded to the nearest sample
  (energy preserving; timing error <= half a sample, 21 us at 24 kHz); summed by
  :mod:`bindata.render.assembly`; then a 2nd-order Butterworth high-pass (20 Hz by default,
  causal). With a frequency-independent positive ``beta`` every image adds a positive pulse, so
  the late part of a raw image-source response rides on a slowly decaying positive mean (its DC
  hump: with ~100 images per sample the mean holds ~100 times the energy of the fluctuations).
  That artefact (Allen & Berkley high-pass their responses too; pyroomacoustics applies 10 Hz
  by default) would lengthen the measured T30 by 15-25 %; without it the T30 is within a few
  per cent of the target.
- Length: images out to ``c * T`` where ``T`` is the time at which the room's model decay
  has fallen by ``decay_db`` (:func:`bindata.render.shoebox.decay_time_s`); the response is cut at
  ``T`` plus the HRIR length. Anything an HRIR holds before the emission time is cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import RenderError
from ..geometry import room_to_head
from ..hrir.lookup import shell_lookup
from . import assembly, image_source
from .assembly import shell_bank, sum_responses
from .directivity import direct_direction
from .image_source import iter_image_offsets
from .shoebox import DEFAULT_SPEED_OF_SOUND, ShoeboxRoom, decay_time_s, reflection_coefficient

#: Half length (taps on each side) and Kaiser beta of the direct-path fractional-delay filter.
FD_HALF_TAPS = 32
FD_KAISER_BETA = 9.0
#: Distances below this (metres) cannot be rendered (1/r has no clamp).
MIN_DISTANCE_M = 1e-3
#: Default cutoff (Hz) of the 2nd-order Butterworth high-pass applied to the reflections.
HIGHPASS_HZ = 20.0


@dataclass
class BRIR:
    """A binaural room impulse response and where its direct sound lies.

    Attributes
    ----------
    ir : ndarray, shape (2, L), float64
        Left (row 0) and right (row 1) ear responses; sample 0 is the emission time.
    sample_rate : int
        Hz (the HRIR set's).
    direct_delay_s : float
        Propagation delay ``r / c`` of the direct path to the head centre.
    direct_distance_m : float
        Source distance ``r`` from the head centre.
    n_images : int
        Image sources rendered, the direct one included.
    onset_samples : float
        Sample (fractional) at which the direct sound reaches the head centre: ``r / c * fs``.
    reflection_coefficient : float
        Wall pressure reflection coefficient used (0 when rendered without reflections).
    """

    ir: np.ndarray
    sample_rate: int
    direct_delay_s: float
    direct_distance_m: float
    n_images: int
    onset_samples: float
    reflection_coefficient: float = 0.0

    @property
    def length_s(self) -> float:
        """Duration of :attr:`ir` in seconds."""
        return self.ir.shape[1] / self.sample_rate


def fractional_delay_filter(frac: float, *, half_taps: int = FD_HALF_TAPS) -> np.ndarray:
    """Kaiser-windowed sinc delaying by ``half_taps - 1 + frac`` samples (``0 <= frac < 1``).

    Unit gain at DC; ``2 * half_taps`` taps.
    """
    x = np.arange(2 * half_taps) - (half_taps - 1) - frac
    window = np.i0(FD_KAISER_BETA * np.sqrt(np.clip(1.0 - (x / half_taps) ** 2, 0.0, 1.0)))
    taps = np.sinc(x) * window
    return taps / taps.sum()


def _highpass(x: np.ndarray, cutoff_hz: float, fs: int) -> np.ndarray:
    """2nd-order Butterworth high-pass along the last axis (causal)."""
    from scipy.signal import butter, sosfilt

    if not 0 < cutoff_hz < fs / 2:
        raise RenderError(f"highpass_hz must be in (0, {fs / 2}), got {cutoff_hz}")
    return sosfilt(butter(2, cutoff_hz, "highpass", fs=fs, output="sos"), x, axis=-1)


def _direct_path(buffer, lead, head_vec, hrirset, fs, speed_of_sound, gain=None):
    """Add the direct sound to ``buffer`` (2, L), scaled by ``gain`` (None: 1); returns its
    distance."""
    r = float(np.linalg.norm(head_vec))
    shell = hrirset.nearest_shell(r)
    idx = int(shell.nearest_index_xyz(head_vec[None, :])[0])
    shift = r / speed_of_sound * fs - hrirset.delay_samples  # where HRIR sample 0 lands
    whole = math.floor(shift)
    fd = fractional_delay_filter(shift - whole)
    resp = np.stack([np.convolve(shell.ir[idx, ear], fd) for ear in range(2)]) / r
    if gain is not None:
        resp *= float(gain)
    start = whole - (FD_HALF_TAPS - 1) + lead
    stop = min(start + resp.shape[1], buffer.shape[1])
    if stop > start:
        buffer[:, start:stop] += resp[:, : stop - start]
    return r


def _reflection_terms(
    room, source, listener, yaw_deg, hrirset, fs, c, beta, max_dist, lead, radiation=None
):
    """(positions, directions, gains) of every reflection, and the number of images.

    Float32 arithmetic: at 400 m its rounding moves an arrival by < 0.003 samples.
    ``radiation`` (a frequency-independent :class:`~bindata.render.directivity.
    SourceRadiation`, or None) scales each image by its emission direction's gain.
    """
    lookup = shell_lookup(hrirset.far_field_shell)
    cos_y, sin_y = (np.float32(f(math.radians(yaw_deg))) for f in (math.cos, math.sin))
    to_samples = np.float32(fs / c)
    offset = np.float32(lead - hrirset.delay_samples)
    pos_parts, dir_parts, gain_parts = [], [], []
    n_images = 0
    for dx, dy, dz, orders, *parity in iter_image_offsets(
        room,
        source,
        receiver_m=listener,
        max_distance_m=max_dist,
        chunk_size=image_source.DEFAULT_CHUNK,
        dtype=np.float32,
        parity=radiation is not None,
    ):
        n_images += orders.size
        dist = np.sqrt(dx * dx + dy * dy + dz * dz)
        if radiation is not None:
            emitted = radiation.image_gains(dx, dy, dz, dist, parity[0])
        dist[orders == 0] = np.inf  # the direct path is rendered apart: gain 0 here
        # room -> head frame: rotate by -yaw about z
        hx = cos_y * dx + sin_y * dy
        hy = cos_y * dy - sin_y * dx
        dir_parts.append(lookup.query(hx, hy, dz))
        powers = (beta ** np.arange(int(orders.max()) + 1)).astype(np.float32)
        gain_parts.append(
            powers[orders] / dist if radiation is None else powers[orders] / dist * emitted
        )
        arrival = np.minimum(dist, np.float32(max_dist)) * to_samples + offset
        pos_parts.append(np.rint(arrival).astype(np.int32))
    cat = np.concatenate
    return cat(pos_parts), cat(dir_parts), cat(gain_parts), n_images


def source_geometry(room, source_m, listener_m, yaw_deg, speed_of_sound):
    """Checked ``(source, listener, c, head_vec, r)``: positions, sound speed, the source in
    the head frame and its distance (>= :data:`MIN_DISTANCE_M`)."""
    source, listener, c = _checked_inputs(room, source_m, listener_m, speed_of_sound)
    head_vec = room_to_head(source, listener, float(yaw_deg))
    r = float(np.linalg.norm(head_vec))
    if r < MIN_DISTANCE_M:
        raise RenderError(f"source is {r:.2e} m from the head centre; must be >= {MIN_DISTANCE_M}")
    return source, listener, c, head_vec, r


def render_brir(
    room: ShoeboxRoom,
    *,
    listener_m,
    yaw_deg: float,
    source_m,
    hrirset,
    speed_of_sound: float = DEFAULT_SPEED_OF_SOUND,
    decay_db: float = 60.0,
    reflections: bool = True,
    highpass_hz: float | None = HIGHPASS_HZ,
    radiation=None,
) -> BRIR:
    """Render the binaural room impulse response of one source.

    Parameters
    ----------
    room : ShoeboxRoom
        Room size and target RT60.
    listener_m : sequence of 3 floats
        Head centre, room coordinates (metres), inside the room.
    yaw_deg : float
        Head yaw: the listener faces the room's +x axis turned counter-clockwise by this.
    source_m : sequence of 3 floats
        Source position, room coordinates, inside the room.
    hrirset : HRIRSet
        HRIRs at the render sample rate (direct path: nearest shell; reflections: far field).
    speed_of_sound : float
        m/s; also used to calibrate the wall reflection coefficient.
    decay_db : float
        Render reflections until the room's model decay has fallen by this much.
    reflections : bool
        False renders the direct path only (anechoic).
    highpass_hz : float or None
        Cutoff of the high-pass applied to the reflections (None: none).
    radiation : SourceRadiation or None
        The source's directivity and orientation (:mod:`bindata.render.directivity`),
        frequency independent (a cardioid): the direct sound and every image are scaled by the
        gain of their emission direction. None: omnidirectional.

    Returns
    -------
    BRIR
    """
    source, listener, c, head_vec, r = source_geometry(
        room, source_m, listener_m, yaw_deg, speed_of_sound
    )
    if radiation is not None and radiation.frequency_dependent:
        raise RenderError(
            f"{radiation!r} depends on frequency; a flat room renders one band: render it per "
            "band (bindata.render.bands.render_band_brir)"
        )
    fs = hrirset.sample_rate
    beta, t_end = 0.0, 0.0
    if reflections:
        beta = reflection_coefficient(room.dimensions_m, room.rt60_s, speed_of_sound=c)
        t_end = decay_time_s(room.dimensions_m, room.rt60_s, decay_db=decay_db, speed_of_sound=c)
    onset = r / c * fs
    length = int(math.ceil(max(t_end * fs, onset))) + hrirset.n_taps + FD_HALF_TAPS
    lead = int(math.ceil(max(hrirset.delay_samples, 0.0))) + FD_HALF_TAPS
    n_images = 1
    if reflections and t_end > 0:
        positions, dirs, gains, n_images = _reflection_terms(
            room, source, listener, yaw_deg, hrirset, fs, c, beta, t_end * c, lead, radiation
        )
        buffer = sum_responses(
            positions,
            dirs,
            gains,
            shell_bank(hrirset.far_field_shell),
            length=lead + length,
            segment_samples=assembly.SEGMENT_SAMPLES,
        )
        if highpass_hz:
            buffer = _highpass(buffer, highpass_hz, fs)
    else:
        buffer = np.zeros((2, lead + length))
    gain = None
    if radiation is not None:
        gain = radiation.gains(direct_direction(source, listener)[None, :])[0]
    _direct_path(buffer, lead, head_vec, hrirset, fs, c, gain)
    return BRIR(
        ir=np.ascontiguousarray(buffer[:, lead:]),
        sample_rate=fs,
        direct_delay_s=r / c,
        direct_distance_m=r,
        n_images=int(n_images),
        onset_samples=onset,
        reflection_coefficient=float(beta),
    )


def _checked_inputs(room, source_m, listener_m, speed_of_sound):
    """(source, listener, c) as arrays/float, or a RenderError naming the rule broken."""
    if not isinstance(room, ShoeboxRoom):
        raise RenderError(f"room must be a ShoeboxRoom, got {type(room).__name__}")
    points = []
    for name, value in (("source", source_m), ("listener", listener_m)):
        point = np.asarray(value, dtype=float).ravel()
        if point.shape != (3,) or not np.all(np.isfinite(point)) or not room.contains(point):
            raise RenderError(
                f"{name} position {point.tolist()} must lie inside the room "
                f"{list(room.dimensions_m)}"
            )
        points.append(point)
    c = float(speed_of_sound)
    if not (math.isfinite(c) and c > 0):
        raise RenderError(f"speed_of_sound must be > 0, got {speed_of_sound}")
    return points[0], points[1], c


__all__ = ["BRIR", "render_brir", "fractional_delay_filter"]
