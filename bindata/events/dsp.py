"""Bit-reproducible DSP primitives (oscillators, envelopes, noise, filters) of the procedural bank.

The built-in bank must give the same bytes on every machine. NumPy's transcendental ufuncs
(``np.sin``, ``np.exp``, ...) pick SIMD kernels by CPU (SVML/AVX-512 on some, scalar libm on
others) whose last bits differ, and compiled filters (``lfilter``, BLAS dot products, FFTs) may be
built with fused multiply-add on some platforms. So everything here is made of operations IEEE 754
rounds exactly and NumPy applies one at a time: ``+ - * /``, ``sqrt``, ``floor``, ``ldexp``,
comparisons and sequential ``cumsum``. Sine and exponential are short polynomials after exact
range reduction (errors below 1e-12, far under 16-bit resolution). Random numbers come only from
``Generator.random`` and ``Generator.integers`` (exact bit manipulations); never from ``normal``,
``uniform`` or ``poisson``, whose C code uses libm or may be contracted to FMA.

Frequencies are in Hz, times in seconds, phases in *cycles* (1 cycle = 2 pi rad).
"""

from __future__ import annotations

import math

import numpy as np

_TWO_PI = 6.283185307179586
_LN2 = 0.6931471805599453
_LN10 = 2.302585092994046
#: Taylor coefficients of sin(y)/y in powers of y**2, for |y| <= pi/2 (degree 17, error < 3e-13).
_SIN_COEFFS = tuple((1 - 2 * (k % 2)) / math.factorial(2 * k + 1) for k in range(9))
#: Taylor coefficients of exp(r) for |r| <= ln(2)/2 (degree 12, relative error < 2e-16).
_EXP_COEFFS = tuple(1 / math.factorial(k) for k in range(13))
#: Block length of the polynomial evaluations (keeps the work arrays in cache).
_BLOCK = 16384


def sin_cycles(c: np.ndarray | float) -> np.ndarray:
    """``sin(2 pi c)`` for a phase ``c`` in cycles, bit-identical on every machine.

    Parameters
    ----------
    c : array_like
        Phase in cycles (any magnitude; reduction to one period is exact).

    Returns
    -------
    numpy.ndarray
        The sine, float64, same shape as ``c``, absolute error below 1e-12.
    """
    return _blockwise(_sin_block, c)


def _blockwise(block, x) -> np.ndarray:
    """``block`` applied to ``x`` (as float64) in chunks of :data:`_BLOCK` values."""
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(-1)
    out = np.empty(flat.size)
    for a in range(0, flat.size, _BLOCK):
        out[a : a + _BLOCK] = block(flat[a : a + _BLOCK])
    return out.reshape(x.shape)


def _sin_block(c: np.ndarray) -> np.ndarray:
    u = c - np.floor(c + 0.5)  # in [-0.5, 0.5)
    # sin(2 pi u) = sin(2 pi (+-0.5 - u)): fold into [-0.25, 0.25]
    np.copyto(u, 0.5 - u, where=u > 0.25)
    np.copyto(u, -0.5 - u, where=u < -0.25)
    y = u * _TWO_PI
    y2 = y * y
    acc = y2 * _SIN_COEFFS[-1]
    for coeff in _SIN_COEFFS[-2:0:-1]:
        acc += coeff
        acc *= y2
    acc += _SIN_COEFFS[0]
    acc *= y
    return acc


def cos_cycles(c: np.ndarray | float) -> np.ndarray:
    """``cos(2 pi c)`` for a phase in cycles (see :func:`sin_cycles`)."""
    return sin_cycles(np.asarray(c, dtype=np.float64) + 0.25)


def exp_det(x: np.ndarray | float) -> np.ndarray:
    """``exp(x)``, bit-identical on every machine (relative error below 1e-13).

    Arguments below -700 give 0; above 700 they are clipped to 700.
    """
    return _blockwise(_exp_block, x)


def _exp_block(x: np.ndarray) -> np.ndarray:
    x = np.minimum(x, 700.0)
    k = np.floor(x / _LN2 + 0.5)
    r = x - k * _LN2
    acc = r * _EXP_COEFFS[-1]
    for coeff in _EXP_COEFFS[-2:0:-1]:
        acc += coeff
        acc *= r
    acc += _EXP_COEFFS[0]
    out = np.ldexp(acc, np.maximum(k, -1100.0).astype(np.int64))
    out[x < -700.0] = 0.0
    return out


def log_det(x: np.ndarray | float) -> np.ndarray:
    """Natural logarithm of positive ``x``, bit-identical on every machine.

    ``x = m * 2**e`` exactly (``frexp``) with ``m`` in [sqrt(1/2), sqrt(2)), then
    ``log(m) = 2 atanh(s)`` with ``s = (m - 1) / (m + 1)`` as an odd series (|s| < 0.172).
    """
    x = np.asarray(x, dtype=np.float64)
    m, e = np.frexp(x)
    small = m < 0.7071067811865476
    m = np.where(small, m * 2.0, m)
    e = np.where(small, e - 1, e).astype(np.float64)
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    acc = np.full_like(s, 1.0 / 21.0)
    for odd in range(19, 0, -2):
        acc = acc * s2 + 1.0 / odd
    return 2.0 * s * acc + e * _LN2


def log_unif(rng: np.random.Generator, lo: float, hi: float) -> float:
    """A draw uniform in log scale between ``lo`` and ``hi`` (e.g. a frequency)."""
    return lo * float(exp_det(float(rng.random()) * float(log_det(hi / lo))))


def midi_hz(note: float) -> float:
    """Frequency of MIDI note ``note`` (A4 = 69 = 440 Hz)."""
    return 440.0 * float(exp_det((note - 69.0) * (_LN2 / 12.0)))


def db_to_amp(db: np.ndarray | float) -> np.ndarray:
    """Amplitude ratio of a level in dB (``10 ** (db / 20)``), deterministic."""
    return exp_det(np.asarray(db, dtype=np.float64) * (_LN10 / 20.0))


def unif(rng: np.random.Generator, lo: float, hi: float, size: int | None = None):
    """Uniform draw(s) in ``[lo, hi)`` from exact ``Generator.random`` bits.

    Returns a Python float when ``size`` is None, else a float64 array.
    """
    if size is None:
        return lo + (hi - lo) * float(rng.random())
    return lo + (hi - lo) * rng.random(size)


def n_samples(duration_s: float, sample_rate: int) -> int:
    """Number of samples of ``duration_s`` seconds (rounded, at least 1)."""
    return max(1, int(np.floor(duration_s * sample_rate + 0.5)))


def times(n: int, sample_rate: int) -> np.ndarray:
    """Sample times ``0, 1/sr, ...`` of ``n`` samples, seconds."""
    return np.arange(n, dtype=np.float64) / float(sample_rate)


def phase(freq_hz: np.ndarray | float, n: int, sample_rate: int, start: float = 0.0) -> np.ndarray:
    """Running phase in cycles of an oscillator with (time-varying) frequency ``freq_hz``."""
    f = np.broadcast_to(np.asarray(freq_hz, dtype=np.float64), (n,))
    return start + np.cumsum(f) / float(sample_rate)


def noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """White noise, uniform in [-1, 1) (filtered noise becomes Gaussian-like anyway).

    The samples come from a child generator seeded by one draw of ``rng``, so ``rng`` advances
    by the same amount whatever ``n`` (and hence the sample rate) is: a recipe's parameters do
    not depend on the rate it is rendered at.
    """
    child = np.random.default_rng(int(rng.integers(0, 2**63, dtype=np.uint64)))
    return child.random(n) * 2.0 - 1.0


def pick(rng: np.random.Generator, size: int) -> int:
    """A random index in ``range(size)`` using one ``random()`` draw (rate-independent)."""
    return min(size - 1, int(float(rng.random()) * size))


def box_smooth(x: np.ndarray, length: int, passes: int = 3) -> np.ndarray:
    """Cascade of centred moving averages (a near-Gaussian low-pass), same length as ``x``.

    Each pass is a running sum by ``cumsum`` (sequential, hence reproducible).
    """
    y = np.asarray(x, dtype=np.float64)
    length = int(length)
    if length <= 1:
        return y.copy()
    left = length // 2
    padded = np.zeros(y.size + length + 1)
    c = np.empty_like(padded)
    for _ in range(passes):
        padded[left + 1 : left + 1 + y.size] = y
        np.cumsum(padded, out=c)
        y = c[length : length + y.size] - c[: y.size]
        y /= float(length)
    return y


def lowpass(x: np.ndarray, cutoff_hz: float, sample_rate: int) -> np.ndarray:
    """Smooth low-pass (two box passes: a triangle kernel), -3 dB point near ``cutoff_hz``."""
    return box_smooth(x, int(np.floor(0.32 * sample_rate / cutoff_hz + 0.5)), passes=2)


def highpass(x: np.ndarray, cutoff_hz: float, sample_rate: int) -> np.ndarray:
    """Complement of :func:`lowpass` (``x`` minus its low-passed version)."""
    return x - lowpass(x, cutoff_hz, sample_rate)


def band_noise(
    rng: np.random.Generator, n: int, center_hz: float, bandwidth_hz: float, sample_rate: int
) -> np.ndarray:
    """Noise of about ``bandwidth_hz`` around ``center_hz`` (low-passed noise times a carrier)."""
    base = lowpass(noise(rng, n), bandwidth_hz / 2.0, sample_rate)
    return base * cos_cycles(phase(center_hz, n, sample_rate, start=float(rng.random())))


def _block_grid(n: int, sample_rate: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Times split as ``t = T[i] + tau[j]`` on a (blocks, 256) grid covering ``n`` samples."""
    width = 256
    blocks = -(-n // width)
    coarse = np.arange(blocks, dtype=np.float64) * (width / float(sample_rate))
    fine = np.arange(width, dtype=np.float64) / float(sample_rate)
    return coarse, fine, blocks


def decay(n: int, sample_rate: int, tau_s: float) -> np.ndarray:
    """Exponential decay ``exp(-t / tau_s)`` over ``n`` samples.

    Computed as ``exp(-T/tau) * exp(-t'/tau)`` on a block grid (one product per sample).
    """
    coarse, fine, _ = _block_grid(n, sample_rate)
    grid = exp_det(-coarse / tau_s)[:, None] * exp_det(-fine / tau_s)[None, :]
    return grid.reshape(-1)[:n]


def damped_sine(
    freq_hz: float, tau_s: float, n: int, sample_rate: int, phase0: float = 0.0
) -> np.ndarray:
    """``exp(-t/tau) sin(2 pi (f t + phase0))`` with constant ``f``, via the angle-sum rule.

    ``sin(a + b) = sin a cos b + cos a sin b`` with ``a`` on the block starts and ``b`` within a
    block, so only a few hundred sines are evaluated; ``tau_s`` may be ``inf`` (no decay).
    """
    coarse, fine, _ = _block_grid(n, sample_rate)
    a = freq_hz * coarse + phase0
    b = freq_hz * fine
    grid = sin_cycles(a)[:, None] * cos_cycles(b)[None, :]
    grid += cos_cycles(a)[:, None] * sin_cycles(b)[None, :]
    if np.isfinite(tau_s):
        grid *= exp_det(-coarse / tau_s)[:, None]
        grid *= exp_det(-fine / tau_s)[None, :]
    return grid.reshape(-1)[:n]


def ramps(x: np.ndarray, sample_rate: int, attack_s: float, release_s: float) -> np.ndarray:
    """``x`` with linear fade-in and fade-out of the given lengths (in place on a copy)."""
    y = np.array(x, dtype=np.float64)
    na = min(y.size, max(1, int(attack_s * sample_rate)))
    nr = min(y.size, max(1, int(release_s * sample_rate)))
    y[:na] *= (np.arange(na) + 1.0) / na
    y[y.size - nr :] *= (nr - np.arange(nr)) / nr
    return y


def segment_envelope(n: int, sample_rate: int, points: list[tuple[float, float]]) -> np.ndarray:
    """Piecewise-linear envelope through ``(time_s, value)`` points (held outside their span)."""
    t = times(n, sample_rate)
    out = np.full(n, float(points[0][1]))
    for (t0, v0), (t1, v1) in zip(points[:-1], points[1:], strict=True):
        inside = (t >= t0) & (t < t1)
        frac = (t[inside] - t0) / max(t1 - t0, 1e-12)
        out[inside] = v0 + (v1 - v0) * frac
    out[t >= points[-1][0]] = float(points[-1][1])
    return out


def harmonics(
    cycles: np.ndarray,
    amps: list,
    f0_hz: np.ndarray | float,
    sample_rate: int,
) -> np.ndarray:
    """Sum of harmonics ``sum_k amps[k-1] * sin(2 pi k cycles)``, alias-free.

    Uses the recurrence ``sin((k+1)a) = 2 cos(a) sin(ka) - sin((k-1)a)`` (plain arithmetic).
    A harmonic is muted wherever ``k * f0_hz`` exceeds 0.45 of the sample rate.

    Parameters
    ----------
    cycles : numpy.ndarray
        Fundamental phase in cycles.
    amps : list of float or numpy.ndarray
        Amplitude of harmonic k (scalars or per-sample arrays), k = 1, 2, ...
    f0_hz : float or numpy.ndarray
        Fundamental frequency (for the Nyquist mask).
    sample_rate : int
        Sample rate in Hz.
    """
    limit = 0.45 * sample_rate
    f0 = np.asarray(f0_hz, dtype=np.float64)
    s_prev = np.zeros_like(cycles)
    s_k = sin_cycles(cycles)
    two_c = 2.0 * cos_cycles(cycles)
    out = np.zeros_like(cycles)
    tmp = np.empty_like(cycles)
    f_lo, f_hi = float(np.min(f0)), float(np.max(f0))
    for k, amp in enumerate(amps, start=1):
        if f_lo * k >= limit:
            break
        if f_hi * k >= limit:
            amp = np.where(f0 * k < limit, amp, 0.0)
        np.multiply(amp, s_k, out=tmp)
        out += tmp
        np.multiply(two_c, s_k, out=tmp)  # s_{k+1} = 2 cos(a) s_k - s_{k-1}, into s_prev
        np.subtract(tmp, s_prev, out=s_prev)
        s_prev, s_k = s_k, s_prev
    return out


def formant_gain(freq_hz: np.ndarray, formants: list[tuple[float, float, float]]) -> np.ndarray:
    """Spectral envelope: a sum of resonance peaks ``(centre_hz, bandwidth_hz, gain)``."""
    f = np.asarray(freq_hz, dtype=np.float64)
    out = np.zeros_like(f)
    for centre, bandwidth, gain in formants:
        z = (f - centre) / (0.5 * bandwidth)
        out += gain / (1.0 + z * z)
    return out


def partials(
    freqs_hz: list[float],
    amps: list[float],
    taus_s: list[float],
    n: int,
    sample_rate: int,
    phases: np.ndarray | None = None,
    starts: list[int] | None = None,
) -> np.ndarray:
    """Sum of exponentially damped sinusoids (struck resonators) in an ``n``-sample signal.

    Partial ``i`` starts at sample ``starts[i]`` (default 0) and is computed down to -80 dB;
    partials at or above 0.45 of the sample rate are dropped. The sines and exponentials of all
    partials are evaluated in one batch on the block grid of :func:`damped_sine`.
    """
    f = np.asarray(freqs_hz, dtype=np.float64)
    a = np.asarray(amps, dtype=np.float64)
    tau = np.asarray(taus_s, dtype=np.float64)
    p0 = np.zeros(f.size) if phases is None else np.asarray(phases, dtype=np.float64)[: f.size]
    at = np.zeros(f.size, dtype=np.int64) if starts is None else np.asarray(starts, np.int64)
    keep = (f < 0.45 * sample_rate) & (at < n)
    f, a, tau, p0, at = f[keep], a[keep], tau[keep], p0[keep], at[keep]
    out = np.zeros(n)
    if f.size == 0:
        return out
    longest = int(min(n, float(np.max(tau)) * 9.3 * sample_rate + 1))
    coarse, fine, _ = _block_grid(longest, sample_rate)
    ca = f[:, None] * coarse[None, :] + p0[:, None]
    cb = f[:, None] * fine[None, :]
    # exp(-(T + t')/tau) sin(A + B) = [e(T) sin A] [e(t') cos B] + [e(T) cos A] [e(t') sin B]
    dec_a = exp_det(-coarse[None, :] / tau[:, None]) * a[:, None]
    dec_b = exp_det(-fine[None, :] / tau[:, None])
    sin_a, cos_a = sin_cycles(ca) * dec_a, cos_cycles(ca) * dec_a
    sin_b, cos_b = sin_cycles(cb) * dec_b, cos_cycles(cb) * dec_b
    width = fine.size
    for i in range(f.size):
        m = min(n - int(at[i]), int(tau[i] * 9.3 * sample_rate) + 1)  # down to -80 dB
        nb = -(-m // width)
        grid = sin_a[i, :nb, None] * cos_b[i, None, :]
        grid += cos_a[i, :nb, None] * sin_b[i, None, :]
        out[at[i] : at[i] + m] += grid.reshape(-1)[:m]
    return out


def jittered_times(
    rng: np.random.Generator, start_s: float, stop_s: float, spacing_s, jitter: float = 0.5
) -> list[float]:
    """Event times from ``start_s`` to before ``stop_s`` with randomised spacing.

    Each gap is ``spacing_s(t) * (1 - jitter + 2 * jitter * U)``; ``spacing_s`` is a number or a
    function of the current time. Unlike a Poisson process this bounds the longest gap.
    """
    out = []
    t = float(start_s)
    while t < stop_s:
        out.append(t)
        base = spacing_s(t) if callable(spacing_s) else spacing_s
        t += base * unif(rng, 1.0 - jitter, 1.0 + jitter)
    return out


def place(dst: np.ndarray, src: np.ndarray, start: int, gain: float = 1.0) -> None:
    """Add ``gain * src`` into ``dst`` from sample ``start`` on (truncated at the end)."""
    start = int(start)
    if start >= dst.size:
        return
    m = min(src.size, dst.size - start)
    dst[start : start + m] += gain * src[:m]


def unit(x: np.ndarray) -> np.ndarray:
    """``x`` scaled to a peak magnitude of 1 (unchanged if all zero)."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return x / peak if peak > 0.0 else x


def soft_clip(x: np.ndarray) -> np.ndarray:
    """Smooth saturation ``x / (1 + |x|)`` (odd, monotone, exact arithmetic)."""
    return x / (1.0 + np.abs(x))
