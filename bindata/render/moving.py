"""Time-varying binaural rendering: a dry signal through a BRIR that changes along a path.

Method (input-side cross-fade, "weighted overlap-add" of filtered blocks): the dry signal is cut
into blocks of ``2 H`` samples at a hop of ``H`` with a periodic Hann window, whose shifted
copies sum to exactly 1; block ``k`` (centred at sample ``k H``) is convolved with the BRIR at
its centre time and the results are added at their positions. Each input sample is so heard
through a raised-cosine blend of the two BRIRs nearest in time: no discontinuity at block joins
(no clicks), and with a constant BRIR the output equals the static convolution to rounding.
Convolutions of all blocks run as one batched FFT.

Choose ``H`` so that the direction changes by at most ``max_step_deg`` per block
(:func:`block_hop_samples`: 1 degree at the fastest relative speed, at most 25 ms): at 40 deg/s
that is a hop of 25 ms (600 samples at 24 kHz); the blend of two HRIRs one degree apart is
below the spatial resolution of the HRIR sets.

Speed: only the early part of a BRIR (direct sound and early reflections, the first
``early_s``) follows the path block by block; the late tail, which barely depends on the
positions, is taken from one BRIR (the path's middle) and convolved once with the whole signal
(:func:`render_moving`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft
from scipy.signal import oaconvolve

from ..errors import RenderError
from .path import PathBRIR

#: Largest block hop, seconds.
MAX_HOP_S = 0.025
#: Length of the part of each BRIR that is updated block by block, seconds.
DEFAULT_EARLY_S = 0.08


def block_hop_samples(
    max_speed_deg_s: float,
    sample_rate: int,
    *,
    max_step_deg: float = 1.0,
    max_hop_s: float = MAX_HOP_S,
) -> int:
    """Hop ``H`` (samples) so that the direction moves at most ``max_step_deg`` per block."""
    hop_s = max_hop_s if max_speed_deg_s <= 0 else min(max_hop_s, max_step_deg / max_speed_deg_s)
    return max(int(math.floor(hop_s * sample_rate)), 16)


def block_centres(n_samples: int, hop: int) -> np.ndarray:
    """Centre sample of every block covering ``n_samples`` (0, H, 2H, ... past the end)."""
    return np.arange(0, n_samples + hop, hop)


def convolve_time_varying(dry: np.ndarray, filters: np.ndarray, hop: int) -> np.ndarray:
    """``dry`` (n,) through per-block ``filters`` (K, 2, L): output (2, n + L - 1).

    ``filters[k]`` applies around sample ``k * hop``; ``K`` must be ``len(block_centres(n,
    hop))``.
    """
    dry = np.asarray(dry, float)
    n, (k_blocks, n_ch, length) = dry.shape[0], filters.shape
    if k_blocks != block_centres(n, hop).size:
        raise RenderError(f"need {block_centres(n, hop).size} block filters, got {k_blocks}")
    window = np.sin(np.pi * np.arange(2 * hop) / (2 * hop)) ** 2  # periodic Hann, sums to 1
    padded = np.zeros(hop + n + 3 * hop)
    padded[hop : hop + n] = dry
    idx = np.arange(k_blocks)[:, None] * hop + np.arange(2 * hop)[None, :]
    blocks = padded[idx] * window[None, :]  # block k covers samples kH - H .. kH + H
    n_fft = next_fast_len(2 * hop + length - 1, real=True)
    spec = rfft(blocks, n_fft, axis=-1)[:, None, :] * rfft(filters, n_fft, axis=-1)
    pieces = irfft(spec, n_fft, axis=-1)[:, :, : 2 * hop + length - 1]
    out = np.zeros((n_ch, (k_blocks + 1) * hop + 2 * hop + length))
    for k in range(k_blocks):  # overlap-add; K is a few hundred
        out[:, k * hop : k * hop + pieces.shape[-1]] += pieces[k]
    return out[:, hop : hop + n + length - 1]


def render_moving(
    dry: np.ndarray,
    brir_at,
    *,
    sample_rate: int,
    hop: int,
    early_s: float = DEFAULT_EARLY_S,
    direct_onset_samples: float,
) -> np.ndarray:
    """Render ``dry`` (n,) through a time-varying BRIR: (2, n + L - 1).

    Parameters
    ----------
    brir_at : callable
        ``brir_at(t_s) -> ndarray (2, L_t)``, the BRIR (emission time at sample 0) of the
        positions at ``t_s`` seconds after the signal's start.
    hop : int
        Block hop (:func:`block_hop_samples`).
    early_s : float
        Seconds after the direct sound that follow the path block by block; the rest of each
        BRIR is the middle block's (``early_s = inf``: everything follows the path).
    direct_onset_samples : float
        Latest direct-sound arrival (samples) over the path; the early part ends
        ``early_s`` after it.
    """
    centres = block_centres(dry.shape[0], hop)
    irs = [np.asarray(brir_at(c / sample_rate), float) for c in centres]
    length = max(ir.shape[-1] for ir in irs)
    filters = np.zeros((len(irs), 2, length))
    for k, ir in enumerate(irs):
        filters[k, :, : ir.shape[-1]] = ir
    split = (
        length if not np.isfinite(early_s) else int(direct_onset_samples + early_s * sample_rate)
    )
    split = min(max(split, 1), length)
    path_brir = PathBRIR(
        early=filters[:, :, :split],
        tail=filters[len(irs) // 2],
        split=split,
        onset_samples=np.zeros(len(irs)),
        n_images=0,
    )
    return render_path_signal(dry, path_brir, hop=hop)


def render_path_signal(dry: np.ndarray, path_brir, *, hop: int) -> np.ndarray:
    """Render ``dry`` (n,) through a :class:`~bindata.render.path.PathBRIR`: (2, n + L - 1).

    Block ``k`` of the early part goes through ``path_brir.early[k]`` (:func:`
    convolve_time_varying`); the tail (samples from ``split`` on of ``path_brir.tail``) is
    convolved once with the whole signal, as in :func:`render_moving`.
    """
    dry = np.asarray(dry, float)
    split, tail_ir = int(path_brir.split), np.asarray(path_brir.tail, float)
    length = max(split, tail_ir.shape[-1])
    out = np.zeros((2, dry.shape[0] + length - 1))
    early = convolve_time_varying(dry, path_brir.early, hop)
    out[:, : early.shape[-1]] += early
    if tail_ir.shape[-1] > split:
        wet = oaconvolve(dry[None, :], tail_ir[:, split:], axes=1)
        out[:, split : split + wet.shape[-1]] += wet
    return out


__all__ = [
    "block_centres",
    "block_hop_samples",
    "convolve_time_varying",
    "render_moving",
    "render_path_signal",
]
