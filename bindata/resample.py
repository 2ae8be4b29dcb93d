"""The one sample-rate converter: polyphase resampling (:func:`scipy.signal.resample_poly`).

Every rate conversion in bindata goes through :func:`resample`: event recordings and ambience
recordings to the dataset's rate, HRIR sets and measured BRIRs to the dataset's rate, and the
4x oversampling that finds an HRIR's onset. One convention for the ratio
(:func:`resample_ratio`): the reduced ratio ``rate_out / rate_in`` when both its terms are
<= :data:`MAX_RATIO_TERM` (every common rate: 44100 -> 24000 is 80 / 147, 48000 -> 24000 is
1 / 2), else the closest fraction with both terms <= :data:`MAX_RATIO_TERM` (a pitch error of a
fraction of a cent). The filter is scipy's Kaiser-windowed FIR; its window is the caller's
choice (:data:`SIGNAL_WINDOW` for signals, :data:`FILTER_WINDOW` with ``keep_response=True``
for responses whose transfer function must be kept, :meth:`bindata.hrir.HRIRSet.resample`).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

#: Largest term of a resampling ratio (and so of the polyphase filter's up/down factors).
MAX_RATIO_TERM = 1000
#: scipy's default window: signals (recordings, oversampled responses).
SIGNAL_WINDOW = ("kaiser", 5.0)
#: A sharper window for HRIRs, whose transfer functions are kept up to the new Nyquist rate.
FILTER_WINDOW = ("kaiser", 8.0)


def resample_ratio(source_rate: int, target_rate: int) -> tuple[int, int]:
    """``(up, down)`` with ``up / down`` ~= ``target_rate / source_rate``, both <= 1000.

    Exact when the reduced ratio's terms are <= 1000 (all common rates: 44100 -> 24000 is
    80 / 147), else the closest such fraction (a pitch error of a fraction of a cent).
    """
    ratio = Fraction(int(target_rate), int(source_rate))
    if max(ratio.numerator, ratio.denominator) <= MAX_RATIO_TERM:
        return ratio.numerator, ratio.denominator
    best = (float("inf"), 1, 1)
    for down in range(1, MAX_RATIO_TERM + 1):
        up = round(ratio * down)
        if 1 <= up <= MAX_RATIO_TERM:
            err = abs(Fraction(up, down) / ratio - 1)
            best = min(best, (err, up, down))
    return best[1], best[2]


def resample(
    x,
    rate_in: int,
    rate_out: int,
    *,
    axis: int = -1,
    window=SIGNAL_WINDOW,
    keep_response: bool = False,
) -> np.ndarray:
    """``x`` from ``rate_in`` to ``rate_out`` Hz along ``axis`` (``x`` itself if they are equal).

    Parameters
    ----------
    x : array_like
    rate_in, rate_out : int
        Rates in hertz (or any two integers in the ratio wanted: ``1, 4`` oversamples by 4).
    axis : int, keyword-only
    window : keyword-only
        The FIR filter's window (:func:`scipy.signal.resample_poly`).
    keep_response : bool, keyword-only
        ``x`` holds filters (impulse responses re the free field): scale the result by
        ``down / up`` so that the frequency response ``H(f) = sum_n h[n] exp(-2 pi i f n / fs)``
        is kept (interpolation alone keeps the waveform, whose sum grows with the rate).
    """
    if int(rate_in) == int(rate_out):
        return x
    up, down = resample_ratio(rate_in, rate_out)
    y = resample_poly(x, up, down, axis=axis, window=window)
    return y * (down / up) if keep_response else y


__all__ = ["FILTER_WINDOW", "MAX_RATIO_TERM", "SIGNAL_WINDOW", "resample", "resample_ratio"]
