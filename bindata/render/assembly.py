"""Fast sum of many delayed, scaled two-ear impulse responses: ``out[:, p_i + n] += g_i h_{m_i}[:, n]``.

The reflections of a room are a few thousand to a few million such terms, each with one of the
``M`` responses of the far-field HRIR shell. Adding them one by one costs ``K x N`` per ear;
instead the time axis is cut into blocks of ``B`` samples (``B >= N``) and the terms are grouped
by (direction, block): each group becomes a short impulse train, and one FFT of size ``2 B`` per
non-empty group, a product with that direction's HRIR spectrum and a sum over directions give
every block's contribution (overlap-add). Blocks are processed a segment (a few blocks) at a
time, and directions in chunks, so memory stays bounded whatever ``K`` and ``M``.

Where a segment holds few terms per direction (the sparse start of a room response, or HRIR sets
with very many directions), the time-domain route is cheaper and is used instead: a sparse
(time x direction) matrix times the (direction x taps) responses, then a skewed sum over taps.
Both routes compute the same sum (float32 arithmetic, float64 output).
"""

from __future__ import annotations

import numpy as np

#: Samples per segment (a segment is processed as one unit of bounded memory).
SEGMENT_SAMPLES = 4096
#: Upper bound on the samples of one direction-chunk of impulse trains (float32 elements).
MAX_TRAIN_SAMPLES = 1 << 21
#: Relative cost of one FFT-route (direction, block) group, per sample of the block, against
#: one time-domain multiply-add (measured roughly; only steers the choice of route).
FFT_COST_PER_SAMPLE = 12.0
FFT_WORKERS = 1


def block_length(n_taps: int) -> int:
    """Block length ``B`` for responses of ``n_taps``: a power of two >= n_taps, >= 256."""
    return max(256, 1 << int(np.ceil(np.log2(max(n_taps, 1)))))


class ResponseBank:
    """The responses (M, 2, N) with their block spectra and time-domain matrix, cached."""

    def __init__(self, ir: np.ndarray):
        self.ir = np.asarray(ir)
        self.n_dirs, _, self.n_taps = self.ir.shape
        self.block = block_length(self.n_taps)
        self._spectra = None
        self._matrix = None

    @property
    def spectra(self) -> np.ndarray:
        """rfft of every response at size ``2 B``: (M, 2, B + 1) complex64."""
        if self._spectra is None:
            import scipy.fft

            spec = scipy.fft.rfft(self.ir, n=2 * self.block, axis=-1)
            self._spectra = spec.astype(np.complex64)
        return self._spectra

    @property
    def matrix(self) -> np.ndarray:
        """The responses as an (M, 2 N) float32 matrix (left taps, then right taps)."""
        if self._matrix is None:
            self._matrix = np.ascontiguousarray(self.ir.reshape(self.n_dirs, -1), np.float32)
        return self._matrix


def shell_bank(shell) -> ResponseBank:
    """The :class:`ResponseBank` of an HRIR shell, built once and kept on the shell."""
    bank = getattr(shell, "_render_bank", None)
    if bank is None:
        bank = ResponseBank(shell.ir)
        shell._render_bank = bank
    return bank


def sum_responses(
    positions: np.ndarray,
    directions: np.ndarray,
    gains: np.ndarray,
    bank: ResponseBank,
    *,
    length: int,
    route: str = "auto",
    segment_samples: int = SEGMENT_SAMPLES,
) -> np.ndarray:
    """``y[:, p_i + n] = sum_i gains[i] * bank.ir[directions[i], :, n]``, cut to ``length``.

    Parameters
    ----------
    positions : ndarray of int, shape (K,)
        Sample where sample 0 of each response lands (>= 0).
    directions : ndarray of int, shape (K,)
        Row of the bank of each term.
    gains : ndarray, shape (K,)
        Scale of each term.
    bank : ResponseBank
        The responses.
    length : int
        Samples of the result (terms reaching past it are cut there).
    route : {"auto", "fft", "time"}
        Force one route (tests) or choose per segment by cost ("auto").
    segment_samples : int
        Samples per segment (rounded to whole blocks).

    Returns
    -------
    ndarray, shape (2, length), float64
    """
    positions = np.asarray(positions, dtype=np.int64)
    if positions.size and positions.min() < 0:
        raise ValueError(f"positions must be >= 0, got {positions.min()}")
    blk = bank.block
    seg_len = max(1, segment_samples // blk) * blk
    keep = positions < length
    positions, directions, gains = positions[keep], directions[keep], gains[keep]
    n_seg = -(-int(length) // seg_len)
    out = np.zeros((2, n_seg * seg_len + max(blk, bank.n_taps)))
    if positions.size:
        seg = positions // seg_len
        order = np.argsort(seg.astype(np.int32), kind="stable")
        bounds = np.searchsorted(seg[order], np.arange(n_seg + 1))
        for s in range(n_seg):
            lo, hi = bounds[s], bounds[s + 1]
            if hi == lo:
                continue
            take = order[lo:hi]
            start = s * seg_len
            _add_segment(
                out,
                start,
                seg_len,
                positions[take] - start,
                directions[take],
                gains[take],
                bank,
                route,
            )
    return out[:, :length]


def _add_segment(out, start, seg_len, offsets, dirs, gains, bank, route):
    present = np.bincount(dirs, minlength=bank.n_dirs) > 0
    active = np.flatnonzero(present)
    if route == "auto":
        fft_cost = active.size * seg_len * FFT_COST_PER_SAMPLE
        td_cost = offsets.size * 2.0 * bank.n_taps
        route = "fft" if fft_cost < td_cost else "time"
    if route == "fft":
        local = (np.cumsum(present) - 1)[dirs]
        _segment_fft(out, start, seg_len, offsets, local, gains, active, bank)
    elif route == "time":
        _segment_time(out, start, seg_len, offsets, dirs, gains, bank)
    else:
        raise ValueError(f"route must be 'auto', 'fft' or 'time', got {route!r}")


def _segment_fft(out, start, seg_len, offsets, local, gains, active, bank):
    import scipy.fft

    blk = bank.block
    n_blocks = seg_len // blk
    per_chunk = max(1, MAX_TRAIN_SAMPLES // seg_len)
    if active.size > per_chunk:
        order = np.argsort(local, kind="stable")
        offsets, local, gains = offsets[order], local[order], gains[order]
        cuts = np.searchsorted(local, np.arange(0, active.size + per_chunk, per_chunk))
    else:
        cuts = np.array([0, offsets.size])
    acc = np.zeros((2, n_blocks, blk + 1), dtype=np.complex64)
    for c in range(cuts.size - 1):
        a, b = cuts[c], cuts[c + 1]
        if a == b:
            continue
        first = c * per_chunk
        n_dir = min(per_chunk, active.size - first)
        key = (local[a:b] - first) * seg_len + offsets[a:b]
        trains = np.bincount(key, weights=gains[a:b], minlength=n_dir * seg_len)
        trains = trains.astype(np.float32).reshape(n_dir, n_blocks, blk)
        spec = scipy.fft.rfft(trains, n=2 * blk, axis=-1, workers=FFT_WORKERS)
        hrtf = bank.spectra[active[first : first + n_dir]]  # (n_dir, 2, blk + 1)
        for ear in range(2):
            acc[ear] += np.einsum("mbf,mf->bf", spec, hrtf[:, ear])
    y = scipy.fft.irfft(acc, n=2 * blk, axis=-1, workers=FFT_WORKERS)  # (2, n_blocks, 2 blk)
    out[:, start : start + seg_len] += y[:, :, :blk].reshape(2, -1)
    out[:, start + blk : start + seg_len + blk] += y[:, :, blk:].reshape(2, -1)


def _segment_time(out, start, seg_len, offsets, dirs, gains, bank):
    from scipy.sparse import csr_matrix

    n = bank.n_taps
    trains = csr_matrix((gains.astype(np.float32), (offsets, dirs)), shape=(seg_len, bank.n_dirs))
    z = np.asarray(trains @ bank.matrix)  # (seg_len, 2 N): row t holds the taps landing at t + n
    for ear in range(2):
        out[ear, start : start + seg_len + n - 1] += _skew_sum(z[:, ear * n : (ear + 1) * n])


def _skew_sum(z: np.ndarray) -> np.ndarray:
    """``y[k] = sum_n z[k - n, n]`` for ``z`` of shape (T, N); returns length T + N - 1."""
    t, n = z.shape
    padded = np.zeros((t + 2 * (n - 1), n), dtype=z.dtype)
    padded[n - 1 : n - 1 + t] = z
    row, col = padded.strides
    view = np.lib.stride_tricks.as_strided(
        padded[n - 1 :], shape=(t + n - 1, n), strides=(row, col - row)
    )
    return view.sum(axis=1, dtype=np.float64)


__all__ = ["ResponseBank", "shell_bank", "sum_responses", "block_length"]
