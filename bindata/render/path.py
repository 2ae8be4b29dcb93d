"""BRIRs along a path: the early part for many poses at once, one full BRIR for the tail.

A moving source (or a turning head) is rendered block by block (:mod:`bindata.render.moving`):
each block needs the BRIR of its pose, but only its **early part** -- the direct sound and the
reflections arriving within ``early_s`` after the latest direct sound of the path -- changes
audibly with the pose; the late tail is diffuse and is taken from one BRIR (the middle block's).
:class:`PathBRIR` holds both. Room kinds answer :meth:`bindata.rooms.base.RoomKind.render_path`;
:func:`path_brir_from` builds a PathBRIR from full per-block BRIRs (any kind), and
:func:`flat_shoebox_early` renders the early parts of a flat shoebox room for all blocks at
once:

- the image sources of every block come from one batched enumeration (:func:`batch_images`,
  the per-axis image formula of :mod:`bindata.render.image_source`, ``x(n, p) = (1 - 2 p) s +
  2 n L`` with ``|2 n - p|`` reflections, evaluated for all blocks' sources and receivers in
  one array), keeping only images whose HRIR starts before the split sample;
- all blocks' reflections go through one nearest-direction query
  (:mod:`bindata.hrir.lookup`) and one sparse assembly (:func:`~bindata.render.assembly.
  sum_responses`), the blocks laid end to end with a gap of one HRIR length so that they do
  not overlap;
- the direct path, the high-pass and the rounding of arrivals are those of
  :func:`~bindata.render.render_brir`, so each block's early part equals the first ``split``
  samples of that renderer's BRIR of the block's pose (the high-pass is causal and every image
  left out starts after the split).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft

from ..errors import RenderError
from ..geometry import room_to_head
from ..hrir.lookup import shell_lookup
from .assembly import shell_bank, sum_responses
from .brir import FD_HALF_TAPS, FD_KAISER_BETA, _highpass
from .directivity import direct_direction
from .image_source import parity_code


@dataclass
class PathBRIR:
    """Early BRIRs of the blocks of a path and one full BRIR for the tail.

    Attributes
    ----------
    early : ndarray (K, 2, split)
        Block ``k``'s BRIR up to sample ``split`` (emission time at sample 0).
    tail : ndarray (2, L)
        A full BRIR of the path (the middle block's); samples from ``split`` on are used.
    split : int
        First sample of the tail.
    onset_samples : ndarray (K,)
        Direct-sound arrival (samples) of every block.
    n_images : int
        Image sources rendered over all blocks and the tail BRIR.
    """

    early: np.ndarray
    tail: np.ndarray
    split: int
    onset_samples: np.ndarray
    n_images: int


def split_sample(onset_samples, *, early_s: float, sample_rate: int) -> int:
    """``ceil(max onset + early_s fs)``: where the early part of a path's BRIRs ends."""
    return int(math.ceil(float(np.max(onset_samples)) + float(early_s) * sample_rate))


def path_brir_from(brirs: list, tail, *, early_s: float) -> PathBRIR:
    """A :class:`PathBRIR` from full per-block :class:`~bindata.render.BRIR` and a tail BRIR."""
    fs = int(tail.sample_rate)
    onsets = np.array([float(b.onset_samples) for b in brirs])
    split = split_sample(onsets, early_s=early_s, sample_rate=fs)
    early = np.zeros((len(brirs), 2, split))
    for k, b in enumerate(brirs):
        take = min(split, b.ir.shape[1])
        early[k, :, :take] = b.ir[:, :take]
    n_images = int(sum(int(b.n_images) for b in brirs) + int(tail.n_images))
    return PathBRIR(
        early=early, tail=np.asarray(tail.ir), split=split, onset_samples=onsets, n_images=n_images
    )


def _axis_images(s: np.ndarray, r: np.ndarray, length: float, reach: float):
    """Per axis: (n, p) candidates with an offset within ``reach`` for some block.

    ``s``, ``r``: (K,) source and receiver coordinates. Returns offsets (K, J) and the
    reflections of each candidate on the wall at 0 (``|n - p|``) and at ``L`` (``|n|``), (J, 2).
    """
    n_max = int(np.ceil((reach + np.max(np.abs(s)) + np.max(np.abs(r))) / (2.0 * length))) + 1
    n = np.arange(-n_max, n_max + 1)
    offs, counts = [], []
    for p in (0, 1):
        off = (1 - 2 * p) * s[:, None] + 2.0 * n[None, :] * length - r[:, None]
        keep = np.min(np.abs(off), axis=0) <= reach
        offs.append(off[:, keep])
        counts.append(np.stack([np.abs(n - p), np.abs(n)], axis=1)[keep])
    return np.concatenate(offs, axis=1), np.concatenate(counts)


def batch_images(
    dims,
    sources: np.ndarray,
    receivers: np.ndarray,
    reach: float,
    *,
    walls: bool = False,
    parity: bool = False,
):
    """Images of every block within ``reach`` of its receiver: offsets (K, I, 3) and orders (I,).

    The candidate set is shared by the blocks (a superset for each); callers mask by distance.
    ``walls=True`` adds the reflections of each image on each surface, (I, 6) in the order of
    :func:`~bindata.render.image_source.iter_image_offsets` (floor, ceiling, x = 0, x = Lx,
    y = 0, y = Ly); ``parity=True`` (after the walls, if both) the images' mirror parities,
    (I,) uint8 (:func:`~bindata.render.image_source.parity_code`).
    """
    axes = [_axis_images(sources[:, a], receivers[:, a], float(dims[a]), reach) for a in range(3)]
    (ox, cx), (oy, cy), (oz, cz) = axes
    low = [np.min(np.abs(o), axis=0) ** 2 for o in (ox, oy, oz)]
    ix, iy = np.nonzero(low[0][:, None] + low[1][None, :] <= reach * reach)
    rest = reach * reach - low[0][ix] - low[1][iy]
    pair, iz = np.nonzero(low[2][None, :] <= rest[:, None])
    ix, iy = ix[pair], iy[pair]
    offsets = np.stack([ox[:, ix], oy[:, iy], oz[:, iz]], axis=-1)
    per_axis = [c.sum(1) for c in (cx[ix], cy[iy], cz[iz])]
    orders = (per_axis[0] + per_axis[1] + per_axis[2]).astype(np.int64)
    out = (offsets, orders)
    if walls:
        out += (np.concatenate([cz[iz], cx[ix], cy[iy]], axis=1).astype(np.int64),)
    if parity:
        out += (parity_code(*per_axis),)
    return out


def block_layout(listeners_m, yaws_deg, sources_m, hrirset, split: int) -> tuple:
    """Per-block poses as arrays (listeners (K, 3), yaws (K,), sources (K, 3)), and the
    buffer layout of the early renderers: ``lead`` samples before emission time 0 (the HRIR
    delay and the fractional-delay half-length), ``width = lead + split``."""
    listeners = np.asarray(listeners_m, float).reshape(-1, 3)
    sources = np.asarray(sources_m, float).reshape(-1, 3)
    yaws = np.asarray(yaws_deg, float).ravel()
    lead = int(math.ceil(max(hrirset.delay_samples, 0.0))) + FD_HALF_TAPS
    return listeners, yaws, sources, lead, lead + int(split)


def flat_shoebox_early(
    dims,
    *,
    listeners_m,
    yaws_deg,
    sources_m,
    hrirset,
    speed_of_sound: float,
    beta: float,
    max_distance_m: float,
    split: int,
    highpass_hz: float | None,
    radiation=None,
) -> np.ndarray:
    """Early BRIRs (K, 2, split) of a flat shoebox for per-block listeners, yaws and sources.

    ``beta`` is the walls' reflection coefficient (0: anechoic), ``max_distance_m`` the reach
    of the full render (images farther are never rendered). ``radiation``: a
    frequency-independent :class:`~bindata.render.directivity.SourceRadiation` (its orientation
    held in the room along the path) or None, as :func:`~bindata.render.render_brir` takes it.
    """
    if radiation is not None and radiation.frequency_dependent:
        raise RenderError(
            f"{radiation!r} depends on frequency; a flat room renders one band: render the "
            "path per band (bindata.render.path_bands.band_shoebox_early)"
        )
    fs, c = hrirset.sample_rate, float(speed_of_sound)
    listeners, yaws, sources, lead, width = block_layout(
        listeners_m, yaws_deg, sources_m, hrirset, split
    )
    buffer = np.zeros((sources.shape[0], 2, width))
    if beta > 0:
        reach = min(float(max_distance_m), (split + hrirset.delay_samples + 1.0) * c / fs)
        buffer = _early_reflections(
            dims, listeners, yaws, sources, hrirset, fs, c, beta, reach, lead, width, radiation
        )
        if highpass_hz:
            buffer = _highpass(buffer, highpass_hz, fs)
    gains = None if radiation is None else radiation.gains(direct_direction(sources, listeners))
    _direct_paths(buffer, lead, listeners, yaws, sources, hrirset, fs, c, gains)
    return np.ascontiguousarray(buffer[:, :, lead:])


def _fd_filters(fracs: np.ndarray) -> np.ndarray:
    """:func:`~bindata.render.brir.fractional_delay_filter` of many fractions: (K, 2 h)."""
    x = np.arange(2 * FD_HALF_TAPS)[None, :] - (FD_HALF_TAPS - 1) - fracs[:, None]
    window = np.i0(FD_KAISER_BETA * np.sqrt(np.clip(1.0 - (x / FD_HALF_TAPS) ** 2, 0.0, 1.0)))
    taps = np.sinc(x) * window
    return taps / taps.sum(axis=1, keepdims=True)


def _direct_paths(buffer, lead, listeners, yaws, sources, hrirset, fs, c, gains=None) -> None:
    """Add every block's direct sound to ``buffer`` (K, 2, W), as ``_direct_path`` does for one:
    nearest shell and direction, fractional delay, ``1 / r`` (times ``gains`` (K,), if given);
    the filters applied by one FFT."""
    head = np.stack(
        [room_to_head(s, p, float(y)) for s, p, y in zip(sources, listeners, yaws, strict=True)]
    )
    r = np.linalg.norm(head, axis=1)
    shift = r / c * fs - hrirset.delay_samples
    whole = np.floor(shift).astype(np.int64)
    fd = _fd_filters(shift - whole)
    irs = np.zeros((len(r), 2, hrirset.n_taps))
    for k, rk in enumerate(r):
        shell = hrirset.nearest_shell(float(rk))
        irs[k] = shell.ir[int(shell.nearest_index_xyz(head[k][None, :])[0])]
    n = hrirset.n_taps + fd.shape[1] - 1
    n_fft = next_fast_len(n, real=True)
    resp = (
        irfft(rfft(irs, n_fft, axis=-1) * rfft(fd, n_fft, axis=-1)[:, None, :], n_fft, axis=-1)[
            :, :, :n
        ]
        / r[:, None, None]
    )
    if gains is not None:
        resp *= np.asarray(gains, float)[:, None, None]
    width = buffer.shape[-1]
    for k in range(len(r)):
        start = int(whole[k]) - (FD_HALF_TAPS - 1) + lead
        stop = min(start + n, width)
        if stop > start:
            buffer[k, :, start:stop] += resp[k, :, : stop - start]


def _early_reflections(
    dims, listeners, yaws, sources, hrirset, fs, c, beta, reach, lead, width, radiation=None
):
    """Reflections of every block (K, 2, width), assembled in one sparse pass."""
    offsets, orders, *parity = batch_images(
        dims, sources, listeners, reach, parity=radiation is not None
    )
    dist = np.sqrt(np.sum(offsets.astype(np.float32) ** 2, axis=-1))  # (K, I)
    to_samples, delay = np.float32(fs / c), np.float32(lead - hrirset.delay_samples)
    pos = np.rint(np.minimum(dist, np.float32(reach)) * to_samples + delay).astype(np.int64)
    live = (orders[None, :] > 0) & (dist <= np.float32(reach)) & (pos < width)
    kk, ii = np.nonzero(live)
    if kk.size == 0:
        return np.zeros((sources.shape[0], 2, width))
    off = offsets[kk, ii].astype(np.float32)
    yaw = np.deg2rad(yaws[kk])
    cos_y, sin_y = np.cos(yaw).astype(np.float32), np.sin(yaw).astype(np.float32)
    hx = cos_y * off[:, 0] + sin_y * off[:, 1]
    hy = cos_y * off[:, 1] - sin_y * off[:, 0]
    dirs = shell_lookup(hrirset.far_field_shell).query(hx, hy, off[:, 2])
    d = dist[kk, ii]
    powers = (beta ** np.arange(int(orders.max()) + 1)).astype(np.float32)
    gains = powers[orders[ii]] / d
    if radiation is not None:
        gains = gains * radiation.image_gains(off[:, 0], off[:, 1], off[:, 2], d, parity[0][ii])
    bank = shell_bank(hrirset.far_field_shell)
    stride = width + bank.first_tap + bank.n_taps
    out = sum_responses(
        pos[kk, ii] + kk * stride, dirs, gains, bank, length=sources.shape[0] * stride
    )
    return out.reshape(2, sources.shape[0], stride)[:, :, :width].transpose(1, 0, 2).copy()


__all__ = [
    "PathBRIR",
    "batch_images",
    "flat_shoebox_early",
    "path_brir_from",
    "split_sample",
]
