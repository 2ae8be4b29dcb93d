"""Head-centre arrival of measured HRIRs, and fractional shifts to a common arrival.

Measured responses keep the propagation delay from the loudspeaker, which differs between distance
shells. :func:`estimate_centre_arrival` finds, per shell, the sample at which the wave reaches the
head centre: the onset of every response (first crossing of -12 dB re its peak, on a 4x
oversampled copy) minus the ray-acoustic delay of its ear relative to the centre
(:func:`.sphere.geometric_ear_delay`: the ear facing the source leads, the far ear lags by the
path around the head), and the median over all directions and both ears. :func:`align_shells` then
shifts every shell (band-limited, in the frequency domain) so that all share one arrival
``delay_samples``, at least :data:`MIN_PREDELAY_S` so that the leading ear stays causal.
"""

from __future__ import annotations

import numpy as np

from ..resample import resample
from .sphere import HEAD_RADIUS_M, geometric_ear_delay

#: Onset threshold relative to each response's peak (dB): just above the first sidelobe of a
#: band-limited impulse (-13.3 dB for a sinc), so pre-ringing is not taken for the onset. (At
#: -20 dB the onset of the model's responses comes ~2.5 samples early at 24 kHz; at -12 dB
#: 0.8 samples, the same at every distance.)
ONSET_THRESHOLD_DB = -12.0
#: Smallest head-centre arrival kept after alignment (seconds): the ear facing a source leads
#: the centre by at most a / c (~0.26 ms); the rest is margin for band-limited ripple.
MIN_PREDELAY_S = 0.5e-3


def onset_samples(ir: np.ndarray, *, threshold_db: float = ONSET_THRESHOLD_DB, oversample: int = 4):
    """Fractional index of the first sample reaching ``threshold_db`` re the peak, (...,)."""
    x = np.abs(resample(ir, 1, oversample)) if oversample > 1 else np.abs(ir)
    thr = np.max(x, axis=-1, keepdims=True) * 10.0 ** (threshold_db / 20.0)
    above = x >= thr
    first = np.argmax(above, axis=-1)
    before = np.take_along_axis(x, np.maximum(first - 1, 0)[..., None], axis=-1)[..., 0]
    at = np.take_along_axis(x, first[..., None], axis=-1)[..., 0]
    frac = np.where((first > 0) & (at > before), (thr[..., 0] - before) / (at - before + 1e-300), 1)
    return (first - 1 + frac) / oversample


def estimate_centre_arrival(
    ir: np.ndarray,
    unit_directions: np.ndarray,
    distance_m: np.ndarray,
    sample_rate: float,
    *,
    ear_units: np.ndarray,
    radius_m: float = HEAD_RADIUS_M,
) -> float:
    """Head-centre arrival (samples) of measurements (M, 2, N) at directions (M, 3).

    ``ear_units`` (2, 3) are the unit vectors of the left and right ear.
    """
    onsets = onset_samples(ir)  # (M, 2)
    cos_theta = unit_directions @ np.asarray(ear_units, dtype=float).T  # (M, 2)
    lead = geometric_ear_delay(cos_theta, np.asarray(distance_m)[:, None], radius_m=radius_m)
    return float(np.median(onsets - lead * sample_rate))


def shift_fractional(ir: np.ndarray, shift, *, n_out: int) -> np.ndarray:
    """Delay responses (M, R, N) by ``shift`` samples (scalar or (M,) / (M, R)); length ``n_out``.

    Negative shifts advance (the leading samples drop out). Band-limited (linear phase in the
    frequency domain) on a zero-padded buffer, so nothing wraps around.
    """
    n = ir.shape[-1]
    shift = np.asarray(shift, dtype=float)
    span = int(np.ceil(np.max(np.abs(shift)))) if shift.size else 0
    nfft = 1 << int(np.ceil(np.log2(max(n, n_out) + 2 * span + 64)))
    spectrum = np.fft.rfft(ir, nfft, axis=-1)
    freqs = np.fft.rfftfreq(nfft)
    while shift.ndim < ir.ndim:
        shift = shift[..., None]
    out = np.fft.irfft(spectrum * np.exp(-2j * np.pi * freqs * shift), nfft, axis=-1)
    return out[..., :n_out]


def align_shells(
    ir: np.ndarray,
    unit_directions: np.ndarray,
    distance_m: np.ndarray,
    groups: list[np.ndarray],
    sample_rate: float,
    *,
    ear_units: np.ndarray,
    radius_m: float = HEAD_RADIUS_M,
) -> tuple[np.ndarray, float]:
    """Shift each shell (index array in ``groups``) to one common head-centre arrival.

    The common arrival is the earliest shell's (but at least :data:`MIN_PREDELAY_S`): later
    shells move earlier, dropping leading silence, so the length grows only by the padding needed
    for the minimum pre-delay. A shell already at the common arrival is left bit-for-bit unchanged.
    Returns ``(ir, delay_samples)``.
    """
    arrivals = [
        estimate_centre_arrival(
            ir[g],
            unit_directions[g],
            distance_m[g],
            sample_rate,
            ear_units=ear_units,
            radius_m=radius_m,
        )
        for g in groups
    ]
    common = max(min(arrivals), MIN_PREDELAY_S * sample_rate)
    shifts = np.zeros(ir.shape[0])
    for g, arrival in zip(groups, arrivals, strict=True):
        shifts[g] = common - arrival
    moved = np.abs(shifts) > 1e-9
    if not moved.any():
        return ir, common
    n = ir.shape[-1]
    n_out = n + max(0, int(np.ceil(shifts.max())))
    out = np.zeros(ir.shape[:-1] + (n_out,))
    out[~moved, :, :n] = ir[~moved]
    out[moved] = shift_fractional(ir[moved], shifts[moved], n_out=n_out)
    return out, common
