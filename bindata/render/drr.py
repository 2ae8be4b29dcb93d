"""The direct-to-reverberant energy ratio (DRR) of a binaural room impulse response.

DRR is the main distance cue in a room (Zahorik, "Direct-to-reverberant energy ratio
sensitivity", JASA 112(5), 2002; Bronkhorst & Houtgast, "Auditory distance perception in
rooms", Nature 397, 1999; Kolarik et al., "Auditory distance perception in humans: a review of
cues, development, neuronal bases, and effects of sensory loss", Attention, Perception, &
Psychophysics 78, 2016). Definition used here (for both ears together):

    DRR = 10 log10( sum_{|n - n_d| <= w} h^2(n) / sum_{|n - n_d| > w} h^2(n) )  dB,

``h`` the two ear responses, ``n_d`` the sample at which the direct sound reaches the head centre
(the renderer knows it: :attr:`bindata.render.BRIR.onset_samples`) and ``w`` = :data:`WINDOW_S`
(2.5 ms on each side, a rectangular window). Studies differ in the window, a few milliseconds
around the direct sound, and ISO 3382-1 (which defines clarity and definition, ``C50``, ``D50``,
from the same energies) defines none; it must hold the head's response to the direct sound and
the interaural delay (up to 0.7 ms), and end before the first reflection for the ratio to mean
what it says (a reflection arriving within 2.5 ms travels less than 0.86 m farther). Per octave band, the direct part (the windowed
response) and the rest are split into bands in the frequency domain
(:func:`~bindata.render.diffuse_tail.band_partition`: every frequency in the band whose centre is
nearest in log-frequency) and their energies compared (Parseval), so the bands add up to the
broadband energies and no filter's ringing moves energy out of the window.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.fft import next_fast_len, rfft, rfftfreq

from .diffuse_tail import band_partition

#: Half width (s) of the window around the direct arrival that holds the direct sound.
WINDOW_S = 0.0025
#: A ratio whose reverberant (or direct) energy is zero is reported at this bound (dB).
LIMIT_DB = 99.0


def _db(direct: np.ndarray, reverberant: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = 10.0 * np.log10(direct / reverberant)
    return np.clip(np.nan_to_num(ratio, nan=-LIMIT_DB), -LIMIT_DB, LIMIT_DB)


def direct_window(onset_samples: float, sample_rate: int, *, window_s: float = WINDOW_S):
    """``(first, stop)`` samples of the direct part: ``|n - onset| <= window_s * fs``."""
    half = float(window_s) * sample_rate
    first = max(int(math.ceil(float(onset_samples) - half)), 0)
    return first, int(math.floor(float(onset_samples) + half)) + 1


def direct_to_reverberant(
    ir,
    onset_samples: float,
    sample_rate: int,
    *,
    bands_hz=None,
    window_s: float = WINDOW_S,
) -> tuple[float, np.ndarray | None]:
    """DRR (dB) of a response, broadband and per band (see the module's text).

    Parameters
    ----------
    ir : array (2, L) or (L,)
        The response (sample 0 the emission time; both ears summed in energy).
    onset_samples : float
        Where the direct sound reaches the head centre.
    sample_rate : int
    bands_hz : sequence of float or None
        Band centres (octave bands); None: broadband only.
    window_s : float
        Half width of the direct part.

    Returns
    -------
    drr_db : float
    bands_db : ndarray (B,) or None
        Ratios beyond +-:data:`LIMIT_DB` (an empty part) are reported at that bound.
    """
    h = np.atleast_2d(np.asarray(ir, dtype=float))
    first, stop = direct_window(onset_samples, sample_rate, window_s=window_s)
    direct = np.zeros_like(h)
    direct[:, first:stop] = h[:, first:stop]
    rest = h - direct
    total_d, total_r = float(np.sum(direct**2)), float(np.sum(rest**2))
    drr = float(_db(np.array(total_d), np.array(total_r)))
    if bands_hz is None:
        return drr, None
    n_fft = next_fast_len(h.shape[1], real=True)
    masks = band_partition(rfftfreq(n_fft, 1.0 / sample_rate), bands_hz)  # (B, F)
    weight = np.full(masks.shape[1], 2.0)  # one-sided spectrum: DC and Nyquist once
    weight[0] = 1.0
    if n_fft % 2 == 0:
        weight[-1] = 1.0
    energies = []
    for part in (direct, rest):
        power = np.sum(np.abs(rfft(part, n_fft, axis=1)) ** 2, axis=0) * weight
        energies.append(masks @ power)
    return drr, _db(energies[0], energies[1])


__all__ = ["LIMIT_DB", "WINDOW_S", "direct_to_reverberant", "direct_window"]
