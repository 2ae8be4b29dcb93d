"""Fast sum of many delayed, scaled two-ear impulse responses.

``y[:, p_i + n] = sum_i g_i h_{m_i}[:, n]``: the reflections of a room are a few thousand to a few
million such terms, each with one of the ``M`` responses of the far-field HRIR shell. The terms
form a sparse (time x direction) matrix ``A`` (one entry ``g_i`` at row ``p_i``, column
``m_i``; coinciding entries add), so ``Z = A @ H`` with ``H`` the (direction x taps) responses
holds in row ``t`` the taps that land at ``t + n``, and ``y[k] = sum_n Z[k - n, n]`` (a skewed
sum over the taps). The product is one compiled sparse-times-dense pass (about ``2 N K``
multiply-adds); ``Z`` is formed a segment of rows at a time, so memory stays bounded whatever
``K``. (Grouping the terms by direction and convolving each direction's impulse train by FFT was
measured slower for the image densities of the rooms this package renders.)
"""

from __future__ import annotations

import numpy as np

from ..hrir.derived import derived

#: Rows (output samples) of ``Z`` formed at a time.
SEGMENT_SAMPLES = 4096


#: Leading and trailing taps holding together less than this share of a bank's energy are cut.
TRIM_ENERGY_DB = -60.0


class ResponseBank:
    """The two-ear responses (M, 2, N) as an (M, 2 N') float32 matrix (left taps, right taps).

    Taps before ``first_tap`` and after the support are cut where all responses of the bank hold
    together less than ``trim_db`` of their energy (-60 dB: inaudible under any reflection, and it
    makes the sum 2-4x cheaper for model HRIRs whose tails are silent).
    """

    def __init__(self, ir: np.ndarray, *, trim_db: float = TRIM_ENERGY_DB):
        ir = np.asarray(ir)
        energy = np.sum(ir.astype(np.float64) ** 2, axis=(0, 1))
        cum = np.cumsum(energy) / max(float(energy.sum()), 1e-300)
        floor = 0.5 * 10.0 ** (trim_db / 10.0)  # half the budget at each end
        self.first_tap = int(np.argmax(cum > floor))
        last = int(np.argmax(cum >= 1.0 - floor)) + 1
        ir = ir[:, :, self.first_tap : max(last, self.first_tap + 1)]
        self.n_dirs, _, self.n_taps = ir.shape
        self.matrix = np.ascontiguousarray(ir.reshape(self.n_dirs, -1), dtype=np.float32)


def shell_bank(shell) -> ResponseBank:
    """The :class:`ResponseBank` of an HRIR shell, cached by :mod:`bindata.hrir.derived`."""
    return derived("render_bank", (shell.ir,), lambda: ResponseBank(shell.ir))


def sum_responses(
    positions: np.ndarray,
    directions: np.ndarray,
    gains: np.ndarray,
    bank: ResponseBank,
    *,
    length: int,
    segment_samples: int = SEGMENT_SAMPLES,
) -> np.ndarray:
    """``y[:, p_i + n] = sum_i gains[i] * response[directions[i], :, n]``, cut to ``length``.

    Parameters
    ----------
    positions : ndarray of int, shape (K,)
        Sample where sample 0 of each response lands (>= 0).
    directions : ndarray of int, shape (K,)
        Row of the bank of each term.
    gains : ndarray, shape (K,) or (K, B)
        Scale of each term; with B columns (e.g. octave bands), B sums of the same terms.
    bank : ResponseBank
        The responses.
    length : int
        Samples of the result (what reaches past it is cut).
    segment_samples : int
        Output samples formed at a time (bounds the memory: ``segment_samples x 2 N`` floats).

    Returns
    -------
    ndarray, shape (2, length) or (B, 2, length), float64
    """
    from scipy.sparse import csr_matrix

    positions = np.asarray(positions)
    if positions.size and positions.min() < 0:
        raise ValueError(f"positions must be >= 0, got {positions.min()}")
    positions = positions + bank.first_tap  # the bank's responses start at that tap
    if segment_samples < 1:
        raise ValueError(f"segment_samples must be >= 1, got {segment_samples}")
    length = int(length)
    n = bank.n_taps
    out = np.zeros((2, length + n))
    keep = positions < length
    if not np.all(keep):
        positions, directions, gains = positions[keep], directions[keep], gains[keep]
    if np.ndim(gains) == 2:
        return _sum_bands(positions, directions, gains, bank, length, segment_samples)
    if positions.size == 0:
        return out[:, :length]
    terms = csr_matrix(
        (np.asarray(gains, dtype=np.float32), (positions, directions)),
        shape=(length, bank.n_dirs),
    )
    for start in range(0, length, segment_samples):
        stop = min(start + segment_samples, length)
        rows = terms[start:stop]
        if rows.nnz == 0:
            continue
        z = np.asarray(rows @ bank.matrix)  # (rows, 2 N): row t holds the taps landing at t + n
        for ear in range(2):
            out[ear, start : stop + n - 1] += skew_sum(z[:, ear * n : (ear + 1) * n])
    return out[:, :length]


def _sum_bands(positions, directions, gains, bank, length, segment_samples) -> np.ndarray:
    """:func:`sum_responses` for gains (K, B): the terms are sorted into rows once and every
    column reuses that structure (the sparse product needs no sorted or summed duplicates)."""
    from scipy.sparse import csr_matrix

    n, n_bands = bank.n_taps, gains.shape[1]
    out = np.zeros((n_bands, 2, length + n))
    order = np.argsort(positions, kind="stable")
    indptr = np.searchsorted(positions[order], np.arange(length + 1), side="left")
    indices = np.asarray(directions, dtype=np.int32)[order]
    data = np.asarray(gains, dtype=np.float32)[order]
    for start in range(0, length, segment_samples):
        stop = min(start + segment_samples, length)
        a, b = int(indptr[start]), int(indptr[stop])
        if a == b:
            continue
        ptr = indptr[start : stop + 1] - a
        for band in range(n_bands):
            rows = csr_matrix(
                (data[a:b, band], indices[a:b], ptr), shape=(stop - start, bank.n_dirs)
            )
            z = np.asarray(rows @ bank.matrix)
            for ear in range(2):
                out[band, ear, start : stop + n - 1] += skew_sum(z[:, ear * n : (ear + 1) * n])
    return out[:, :, :length]


def skew_sum(z: np.ndarray) -> np.ndarray:
    """``y[k] = sum_n z[k - n, n]`` for ``z`` of shape (T, N); returns length T + N - 1 (float64)."""
    t, n = z.shape
    padded = np.zeros((t + 2 * (n - 1), n), dtype=z.dtype)
    padded[n - 1 : n - 1 + t] = z
    row, col = padded.strides
    view = np.lib.stride_tricks.as_strided(
        padded[n - 1 :], shape=(t + n - 1, n), strides=(row, col - row), writeable=False
    )
    return view.sum(axis=1, dtype=np.float64)


__all__ = ["ResponseBank", "shell_bank", "sum_responses", "skew_sum", "SEGMENT_SAMPLES"]
