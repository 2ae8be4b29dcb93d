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
  the head (exact, :mod:`bindata.render.lookup`); arrivals rounded to the nearest sample
  (energy preserving; timing error <= half a sample, 21 us at 24 kHz); summed by
  :mod:`bindata.render.assembly`.
- Length: images out to ``c * T`` where ``T`` is the time at which the room's model decay
  has fallen by ``decay_db`` (:func:`bindata.render.room.decay_time_s`); the response is cut at
  ``T`` plus the HRIR length. Anything an HRIR holds before the emission time is cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import RenderError
from ..geometry import rotation_yaw
from .assembly import shell_bank, sum_responses
from .image_source import iter_image_sources
from .lookup import shell_lookup
from .room import DEFAULT_SPEED_OF_SOUND, ShoeboxRoom, decay_time_s, reflection_coefficient

#: Half length (taps on each side) and Kaiser beta of the direct-path fractional-delay filter.
FD_HALF_TAPS = 32
FD_KAISER_BETA = 9.0
#: Distances below this (metres) cannot be rendered (1/r has no clamp).
MIN_DISTANCE_M = 1e-3


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


def _direct_path(buffer, lead, head_vec, hrirset, fs, speed_of_sound):
    """Add the direct sound to ``buffer`` (2, L); returns its distance."""
    r = float(np.linalg.norm(head_vec))
    shell = hrirset.nearest_shell(r)
    idx = int(shell.nearest_index_xyz(head_vec[None, :])[0])
    shift = r / speed_of_sound * fs - hrirset.delay_samples  # where HRIR sample 0 lands
    whole = math.floor(shift)
    fd = fractional_delay_filter(shift - whole)
    resp = np.stack([np.convolve(shell.ir[idx, ear], fd) for ear in range(2)]) / r
    start = whole - (FD_HALF_TAPS - 1) + lead
    stop = min(start + resp.shape[1], buffer.shape[1])
    if stop > start:
        buffer[:, start:stop] += resp[:, : stop - start]
    return r


def _reflection_terms(room, source, listener, yaw_deg, hrirset, fs, c, beta, max_dist, lead):
    """(positions, directions, gains) of every reflection, and the number of images."""
    shell = hrirset.far_field_shell
    lookup = shell_lookup(shell)
    rot = rotation_yaw(yaw_deg)
    pos_parts, dir_parts, gain_parts = [], [], []
    n_images = 0
    for offsets, orders in iter_image_sources(
        room, source, receiver_m=listener, max_distance_m=max_dist, relative=True
    ):
        n_images += orders.size
        keep = orders > 0  # the direct path is rendered apart
        head = offsets[keep] @ rot  # room -> head frame (row vectors)
        orders = orders[keep]
        dist = np.sqrt(np.einsum("ij,ij->i", head, head))
        powers = beta ** np.arange(int(orders.max(initial=0)) + 1)
        arrival = dist * (fs / c) - hrirset.delay_samples
        pos_parts.append(np.rint(arrival).astype(np.int64) + lead)
        dir_parts.append(lookup.query(head))
        gain_parts.append(powers[orders] / dist)
    if not pos_parts:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), n_images
    cat = np.concatenate
    return cat(pos_parts), cat(dir_parts), cat(gain_parts), n_images


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

    Returns
    -------
    BRIR
    """
    if not isinstance(room, ShoeboxRoom):
        raise RenderError(f"room must be a ShoeboxRoom, got {type(room).__name__}")
    source = np.asarray(source_m, dtype=float).ravel()
    listener = np.asarray(listener_m, dtype=float).ravel()
    for name, point in (("source", source), ("listener", listener)):
        if point.shape != (3,) or not room.contains(point) or not np.all(np.isfinite(point)):
            raise RenderError(
                f"{name} position {point.tolist()} must lie inside the room "
                f"{list(room.dimensions_m)}"
            )
    head_vec = (source - listener) @ rotation_yaw(float(yaw_deg))
    r = float(np.linalg.norm(head_vec))
    if r < MIN_DISTANCE_M:
        raise RenderError(f"source is {r:.2e} m from the head centre; must be >= {MIN_DISTANCE_M}")
    fs = hrirset.sample_rate
    c = float(speed_of_sound)
    beta = reflection_coefficient(room.dimensions_m, room.rt60_s, speed_of_sound=c)
    t_end = decay_time_s(room.dimensions_m, room.rt60_s, decay_db=decay_db, speed_of_sound=c)
    if not reflections:
        t_end, beta = 0.0, 0.0
    onset = r / c * fs
    n_taps = hrirset.n_taps
    length = int(math.ceil(max(t_end * fs, onset))) + n_taps + FD_HALF_TAPS
    lead = int(math.ceil(max(hrirset.delay_samples, 0.0))) + FD_HALF_TAPS
    n_images = 1
    if reflections and t_end * c > 0:
        positions, dirs, gains, n_images = _reflection_terms(
            room, source, listener, yaw_deg, hrirset, fs, c, beta, t_end * c, lead
        )
        bank = shell_bank(hrirset.far_field_shell)
        buffer = sum_responses(positions, dirs, gains, bank, length=lead + length)
    else:
        buffer = np.zeros((2, lead + length))
    _direct_path(buffer, lead, head_vec, hrirset, fs, c)
    return BRIR(
        ir=buffer[:, lead:],
        sample_rate=fs,
        direct_delay_s=r / c,
        direct_distance_m=r,
        n_images=int(n_images),
        onset_samples=onset,
        reflection_coefficient=float(beta),
    )


__all__ = ["BRIR", "render_brir", "fractional_delay_filter"]
