"""Binaural RIRs of shoebox rooms with frequency-dependent surfaces and air absorption.

Each image ``i`` has, per octave band ``b``, the pressure gain

    g_ib = prod_w (1 - alpha_wb) ** (n_iw / 2) * 10 ** (-a_b d_i / 20) / d_i,

with ``n_iw`` its reflections on surface ``w`` (:func:`~bindata.render.image_source.
iter_image_offsets` with ``walls=True``), ``alpha_wb`` the surface's absorption and ``a_b`` the
air's attenuation in dB/m (ISO 9613-1). Each band's images are summed through the HRIRs
(:mod:`bindata.render.assembly`, one sparse assembly per band) and the band sums are joined by
a zero-phase octave filterbank that sums to one (:func:`band_masks`: squared-cosine crossovers
in log-frequency between adjacent centres, band 125 Hz down to DC, band 8 kHz up to Nyquist),
in one spectrum: ``Y(f) = sum_b M_b(f) FFT[y_b](f)``. Flat gains therefore give the broadband
image sum exactly, and each image is heard with its own spectrum.

Why not one assembly shaped per band afterwards (a broadband image sum whose band envelopes
are set, window by window, to the bands' image energies, "decay shaping", the first design):
it was 1.3-1.5 times cheaper, but wherever images of different spectra share a window it gives
every one of them the window's mean spectrum, and rooms with one very absorbing surface then
decayed up to 15 % slower or faster per band than pyroomacoustics' image-source engine with the
same room; the per-band sums agree with it (tests/test_rooms_pyroomacoustics.py).

The direct path gets the exact air absorption of its distance at every frequency
(``10 ** (-alpha(f) r / 20)``, FFT domain). Direct path and reflections share the 2nd-order
Butterworth high-pass.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft, rfftfreq

from ..hrir.derived import derived
from ..hrir.lookup import shell_lookup
from . import image_source
from .assembly import shell_bank, sum_responses
from .brir import (
    BRIR,
    FD_HALF_TAPS,
    HIGHPASS_HZ,
    _direct_path,
    _highpass,
    source_geometry,
)
from .diffuse_tail import (
    FADE_S,
    TRANSITION_S,
    band_partition,
    diffuse_level,
    diffuse_tail,
    fade_out,
)
from .directivity import direct_direction
from .image_source import iter_image_offsets
from .shoebox import ShoeboxRoom

#: Zero padding (samples) of the FFT filtering, so that the zero-phase filters do not wrap.
FFT_PAD = 4096


def band_masks(freqs_hz: np.ndarray, centres_hz) -> np.ndarray:
    """Zero-phase filterbank gains (B, F) that sum to 1 at every frequency.

    Between adjacent centres ``f_b < f < f_{b+1}`` band ``b`` has ``cos(pi/2 log2(f/f_b) /
    log2(f_{b+1}/f_b)) ** 2`` and band ``b+1`` the complementary ``sin**2``.
    """
    f = np.maximum(np.asarray(freqs_hz, dtype=float), 1e-9)
    c = np.asarray(centres_hz, dtype=float)
    masks = np.zeros((c.size, f.size))
    masks[0, f <= c[0]] = 1.0
    masks[-1, f >= c[-1]] = 1.0
    for b in range(c.size - 1):
        sel = (f >= c[b]) & (f < c[b + 1])
        phase = 0.5 * math.pi * np.log2(f[sel] / c[b]) / math.log2(c[b + 1] / c[b])
        masks[b, sel] = np.cos(phase) ** 2
        masks[b + 1, sel] = np.sin(phase) ** 2
    return masks


def _band_terms(
    dims,
    source,
    listener,
    yaw_deg,
    hrirset,
    fs,
    c,
    log_refl,
    air_np,
    max_dist,
    lead,
    radiation=None,
    bands_hz=None,
):
    """(positions, directions, band gains (K, B), images) of every reflection; ``radiation``
    (or None) scales each image by its emission direction's gains."""
    lookup = shell_lookup(hrirset.far_field_shell)
    cos_y, sin_y = (np.float32(f(math.radians(yaw_deg))) for f in (math.cos, math.sin))
    to_samples = np.float32(fs / c)
    offset = np.float32(lead - hrirset.delay_samples)
    log_refl = log_refl.astype(np.float32)
    air_np = air_np.astype(np.float32)
    pos, dirs, gains, n_images = [], [], [], 0
    for dx, dy, dz, orders, walls, *parity in iter_image_offsets(
        dims,
        source,
        receiver_m=listener,
        max_distance_m=max_dist,
        chunk_size=image_source.DEFAULT_CHUNK,
        dtype=np.float32,
        walls=True,
        parity=radiation is not None,
    ):
        n_images += orders.size
        live = orders > 0  # the direct path is rendered apart
        dx, dy, dz, walls = dx[live], dy[live], dz[live], walls[live]
        dist = np.sqrt(dx * dx + dy * dy + dz * dz)
        hx = cos_y * dx + sin_y * dy
        hy = cos_y * dy - sin_y * dx
        dirs.append(lookup.query(hx, hy, dz))
        log_g = walls.astype(np.float32) @ log_refl - dist[:, None] * air_np[None, :]
        gain = np.exp(log_g) / dist[:, None]
        if radiation is not None:
            emitted = radiation.image_gains(dx, dy, dz, dist, parity[0][live], bands_hz)
            gain *= emitted if emitted.ndim == 2 else emitted[:, None]
        gains.append(gain)
        arrival = np.minimum(dist, np.float32(max_dist)) * to_samples + offset
        pos.append(np.rint(arrival).astype(np.int32))
    cat = np.concatenate
    return cat(pos), cat(dirs), cat(gains), n_images


def render_band_brir(
    dimensions_m,
    absorption,
    air_db_per_m,
    *,
    bands_hz,
    listener_m,
    yaw_deg: float,
    source_m,
    hrirset,
    speed_of_sound: float,
    decay_time_s: float,
    air_spectrum=None,
    reflections: bool = True,
    highpass_hz: float | None = HIGHPASS_HZ,
    late: dict | None = None,
    radiation=None,
) -> BRIR:
    """Render the BRIR of one source in a shoebox with per-surface, per-band absorption.

    Parameters
    ----------
    dimensions_m : 3 floats
    absorption : array (6, B)
        Energy absorption per surface (floor, ceiling, x = 0, x = Lx, y = 0, y = Ly) and band.
    air_db_per_m : array (B,)
        Air attenuation (dB/m) at the band centres (zeros: none).
    bands_hz : B floats
        Band centres.
    listener_m, yaw_deg, source_m, hrirset, speed_of_sound
        As :func:`~bindata.render.render_brir`.
    decay_time_s : float
        Images are rendered out to ``c * decay_time_s`` (the slowest band's -60 dB time).
    air_spectrum : callable or None
        ``alpha(f)`` in dB/m at any frequencies, for the direct path (None: no air).
    reflections : bool
        False renders the direct path only.
    highpass_hz : float or None
        High-pass of the whole response (None: none).
    late : dict or None
        ``{"rt60_s": B floats, "rng": Generator}``: image sources until the change-over of
        :mod:`bindata.render.diffuse_tail`, then its diffuse tail decaying at ``rt60_s`` out to
        ``decay_time_s``. None: image sources throughout.
    radiation : SourceRadiation or None
        The source's directivity and orientation (:mod:`bindata.render.directivity`): the
        direct sound gets its gains per band (through the filterbank of :func:`band_masks`),
        every image the gains of its emission direction, the diffuse tail ``1 / Q`` of the
        energy per band. None: omnidirectional.
    """
    room = ShoeboxRoom(tuple(float(v) for v in dimensions_m), 1.0)  # rt60 unused here
    source, listener, c, head_vec, r = source_geometry(
        room, source_m, listener_m, yaw_deg, speed_of_sound
    )
    fs = hrirset.sample_rate
    t_full = float(decay_time_s) if reflections else 0.0
    late = late if reflections and t_full > 0 else None
    t_end = min(t_full, r / c + TRANSITION_S) if late else t_full
    onset = r / c * fs
    lead = int(math.ceil(max(hrirset.delay_samples, 0.0))) + FD_HALF_TAPS

    def span(t):
        return int(math.ceil(max(t * fs, onset))) + hrirset.n_taps + FD_HALF_TAPS

    total = lead + span(t_end)
    n_fft = next_fast_len(total + FFT_PAD, real=True)
    freqs = rfftfreq(n_fft, 1.0 / fs)
    direct = np.zeros((2, total))
    _direct_path(direct, lead, head_vec, hrirset, fs, c)
    spec = rfft(direct, n_fft, axis=1)
    if air_spectrum is not None:
        spec *= 10.0 ** (-np.asarray(air_spectrum(freqs)) * r / 20.0)
    if radiation is not None:
        spec *= direct_gain(radiation, direct_direction(source, listener), freqs, bands_hz)
    n_images = 1
    if reflections and t_end > 0:
        absorption = np.clip(np.asarray(absorption, dtype=float), 0.0, 0.9999)
        log_refl = 0.5 * np.log1p(-absorption)  # ln sqrt(1 - alpha), (6, B)
        air_np = np.asarray(air_db_per_m, dtype=float) * math.log(10.0) / 20.0
        pos, dirs, gains, n_images = _band_terms(
            room.dimensions_m,
            source,
            listener,
            yaw_deg,
            hrirset,
            fs,
            c,
            log_refl,
            air_np,
            t_end * c,
            lead,
            radiation,
            bands_hz,
        )
        bank = shell_bank(hrirset.far_field_shell)
        masks = band_masks(freqs, bands_hz)
        y = sum_responses(pos, dirs, gains, bank, length=total)  # (B, 2, total)
        for b in range(masks.shape[0]):
            spec += masks[b] * rfft(y[b], n_fft, axis=1)
    buffer = irfft(spec, n_fft, axis=1)[:, :total]
    if late:
        volume = float(np.prod(room.dimensions_m))
        buffer = _with_diffuse_tail(
            buffer,
            late,
            lead=lead,
            t_m=t_end,
            total=lead + span(t_full),
            bands_hz=bands_hz,
            hrirset=hrirset,
            volume_m3=volume,
            c=c,
            radiation=radiation,
        )
    if highpass_hz:
        buffer = _highpass(buffer, highpass_hz, fs)
    return BRIR(
        ir=np.ascontiguousarray(buffer[:, lead:]),
        sample_rate=fs,
        direct_delay_s=r / c,
        direct_distance_m=r,
        n_images=int(n_images),
        onset_samples=onset,
    )


def shell_band_energy(shell, bands_hz, sample_rate: int) -> np.ndarray:
    """(B, 2): energy of ``shell``'s responses in each band (the partition of
    :func:`~bindata.render.diffuse_tail.band_partition`, so the bands add up to the whole),
    averaged over its directions; kept by :mod:`bindata.hrir.derived`."""
    key = f"shell_band_energy:{int(sample_rate)}:" + ",".join(f"{float(b):g}" for b in bands_hz)

    def build():
        n_fft = next_fast_len(2 * shell.ir.shape[-1], real=True)
        power = np.mean(np.abs(rfft(shell.ir, n_fft, axis=-1)) ** 2, axis=0)  # (2, F)
        one_sided = np.full(power.shape[-1], 2.0)
        one_sided[0] = 1.0
        one_sided[-1] = 1.0 if n_fft % 2 == 0 else 2.0
        masks = band_partition(rfftfreq(n_fft, 1.0 / sample_rate), bands_hz)
        return (masks * one_sided) @ power.T / n_fft  # Parseval

    return derived(key, (shell.ir,), build)


def direct_gain(radiation, direction, freqs_hz, bands_hz):
    """The direct sound's directivity gain at ``freqs_hz``: a number for a frequency-independent
    pattern, else ``sum_b M_b(f) g_b`` (F,) with the filterbank :func:`band_masks`."""
    g = radiation.band_gains(direction, bands_hz)
    if not radiation.frequency_dependent:
        return float(g[0])
    return g @ band_masks(freqs_hz, bands_hz)


def _with_diffuse_tail(
    early, late, *, lead, t_m, total, bands_hz, hrirset, volume_m3, c, radiation=None
):
    """``early`` (2, n) faded out before ``t_m`` (s after the emission at sample ``lead``),
    extended to ``total`` samples with the diffuse tail at the statistical level (times
    ``1 / Q`` per band for a directional ``radiation``)."""
    fs = hrirset.sample_rate
    fade = int(round(FADE_S * fs))
    start = lead + int(round(t_m * fs)) - fade
    rt60 = np.asarray(late["rt60_s"], dtype=float)
    level = diffuse_level(
        shell_band_energy(hrirset.far_field_shell, bands_hz, fs),
        volume_m3=volume_m3,
        speed_of_sound=c,
        sample_rate=fs,
        time_s=(start - lead) / fs,
        rt60_s=rt60,
    )
    if radiation is not None:
        level = level * radiation.tail_gain(bands_hz)[:, None]
    out = np.zeros((2, max(total, early.shape[1])))
    fade_out(early, start=start, length=fade)
    out[:, : early.shape[1]] = early
    if total > start:
        out[:, start:total] += diffuse_tail(
            level,
            rt60,
            bands_hz=bands_hz,
            shell=hrirset.far_field_shell,
            n_samples=total - start,
            sample_rate=fs,
            rng=late["rng"],
            fade_samples=fade,
        )
    return out


__all__ = ["render_band_brir", "band_masks", "direct_gain", "shell_band_energy"]
