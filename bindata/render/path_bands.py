"""Early BRIRs of a shoebox room with materials for many poses at once.

The batched form of :func:`bindata.render.bands.render_band_brir` cut at a split sample (see
:mod:`bindata.render.path`): the images of every block from one enumeration
(:func:`~bindata.render.path.batch_images` with per-surface reflection counts), their band
gains ``g_ib = prod_w (1 - alpha_wb) ** (n_iw / 2) 10 ** (-a_b d_i / 20) / d_i`` in one array,
each band's images of all blocks in one sparse assembly (blocks laid end to end), the bands
joined by the zero-phase filterbank of :mod:`bindata.render.bands`, the direct path with its
exact air absorption and the high-pass, as that renderer does. Its zero-phase filters see the
response only up to the split, so near the split a block differs slightly from the full render
cut there.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft, rfftfreq

from ..hrir.lookup import shell_lookup
from .assembly import shell_bank, sum_responses
from .bands import FFT_PAD, band_masks
from .brir import _highpass
from .directivity import direct_direction
from .path import _direct_paths, batch_images, block_layout


def band_shoebox_early(
    dims,
    absorption,
    air_db_per_m,
    *,
    bands_hz,
    listeners_m,
    yaws_deg,
    sources_m,
    hrirset,
    speed_of_sound: float,
    decay_time_s: float,
    split: int,
    air_spectrum=None,
    reflections: bool = True,
    highpass_hz: float | None,
    radiation=None,
) -> np.ndarray:
    """Early BRIRs (K, 2, split) of a shoebox with per-surface band absorption (6, B).

    ``radiation``: the source's :class:`~bindata.render.directivity.SourceRadiation` (its
    orientation held in the room along the path) or None, applied as
    :func:`~bindata.render.bands.render_band_brir` applies it.
    """
    fs, c = hrirset.sample_rate, float(speed_of_sound)
    listeners, yaws, sources, lead, width = block_layout(
        listeners_m, yaws_deg, sources_m, hrirset, split
    )
    k_blocks = sources.shape[0]
    n_fft = next_fast_len(width + FFT_PAD, real=True)
    freqs = rfftfreq(n_fft, 1.0 / fs)
    buffer = np.zeros((k_blocks, 2, width))
    emitted = None
    if radiation is not None:
        emitted = radiation.gains(direct_direction(sources, listeners), bands_hz)  # (K,) / (K, B)
    flat = emitted if emitted is not None and emitted.ndim == 1 else None
    _direct_paths(buffer, lead, listeners, yaws, sources, hrirset, fs, c, flat)
    if air_spectrum is not None or flat is None and emitted is not None:
        gain = np.ones((k_blocks, freqs.size))
        if air_spectrum is not None:
            r = np.linalg.norm(sources - listeners, axis=1)
            gain *= 10.0 ** (-np.asarray(air_spectrum(freqs))[None, :] * r[:, None] / 20.0)
        if flat is None and emitted is not None:
            gain *= np.asarray(emitted, float) @ band_masks(freqs, bands_hz)
        buffer = irfft(rfft(buffer, n_fft, axis=-1) * gain[:, None, :], n_fft, axis=-1)[
            :, :, :width
        ]
    if reflections and decay_time_s > 0:
        reach = min(float(decay_time_s) * c, (split + hrirset.delay_samples + 1.0) * c / fs)
        buffer += _band_reflections(
            dims,
            absorption,
            air_db_per_m,
            bands_hz,
            listeners,
            yaws,
            sources,
            hrirset,
            fs,
            c,
            reach,
            lead,
            width,
            n_fft,
            freqs,
            radiation,
        )
    if highpass_hz:
        buffer = _highpass(buffer, highpass_hz, fs)
    return np.ascontiguousarray(buffer[:, :, lead:])


def _band_reflections(
    dims,
    absorption,
    air_db_per_m,
    bands_hz,
    listeners,
    yaws,
    sources,
    hrirset,
    fs,
    c,
    reach,
    lead,
    width,
    n_fft,
    freqs,
    radiation=None,
) -> np.ndarray:
    """Reflections of every block, (K, 2, width): per-band image sums joined by the filterbank."""
    k_blocks = sources.shape[0]
    out = np.zeros((k_blocks, 2, width))
    offsets, orders, walls, *parity = batch_images(
        dims, sources, listeners, reach, walls=True, parity=radiation is not None
    )
    dist = np.sqrt(np.sum(offsets.astype(np.float32) ** 2, axis=-1))
    pos = np.rint(
        np.minimum(dist, np.float32(reach)) * np.float32(fs / c)
        + np.float32(lead - hrirset.delay_samples)
    ).astype(np.int64)
    kk, ii = np.nonzero((orders[None, :] > 0) & (dist <= np.float32(reach)) & (pos < width))
    if kk.size == 0:
        return out
    log_refl = 0.5 * np.log1p(-np.clip(np.asarray(absorption, float), 0.0, 0.9999))
    air_np = np.asarray(air_db_per_m, float) * math.log(10.0) / 20.0
    d = dist[kk, ii]
    log_g = walls[ii].astype(np.float32) @ log_refl.astype(np.float32)
    gains = np.exp(log_g - d[:, None] * air_np.astype(np.float32)[None, :]) / d[:, None]
    off = offsets[kk, ii].astype(np.float32)
    if radiation is not None:
        emitted = radiation.image_gains(off[:, 0], off[:, 1], off[:, 2], d, parity[0][ii], bands_hz)
        gains *= emitted if emitted.ndim == 2 else emitted[:, None]
    yaw = np.deg2rad(yaws[kk])
    cos_y, sin_y = np.cos(yaw).astype(np.float32), np.sin(yaw).astype(np.float32)
    dirs = shell_lookup(hrirset.far_field_shell).query(
        cos_y * off[:, 0] + sin_y * off[:, 1], cos_y * off[:, 1] - sin_y * off[:, 0], off[:, 2]
    )
    bank = shell_bank(hrirset.far_field_shell)
    stride = width + bank.first_tap + bank.n_taps
    masks = band_masks(freqs, bands_hz)
    spec = np.zeros((k_blocks, 2, freqs.size), dtype=complex)
    stacked = sum_responses(
        pos[kk, ii] + kk * stride, dirs, gains, bank, length=k_blocks * stride
    )  # (B, 2, K stride): all blocks end to end
    for b in range(masks.shape[0]):
        y_b = stacked[b].reshape(2, k_blocks, stride)[:, :, :width].transpose(1, 0, 2)
        spec += masks[b] * rfft(y_b, n_fft, axis=-1)
    out += irfft(spec, n_fft, axis=-1)[:, :, :width]
    return out


__all__ = ["band_shoebox_early"]
