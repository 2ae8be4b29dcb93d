"""The level of a measured room: its direct sound at the free-field level of bindata's rooms.

A measured binaural room arrives at an arbitrary gain (loudspeaker, microphone, amplifier and the
file's normalisation). A room bindata simulates renders a source at distance ``r`` with a direct
sound equal to the HRIR set's response in the source's direction divided by ``r``, the HRIR set
itself calibrated to 0 dB re the free field at the head centre in front, 250 Hz-2 kHz
(:mod:`bindata.hrir.calibration`): an event's ``level_db`` is its level at 1 m. A measured room
is brought to the same convention by one gain per file, :func:`calibration_gain_db`:

.. math::

    g = \\operatorname{median}_{m, e} \\left[ L_\\mathrm{head}(\\theta_{me}, r_{me})
        - 20 \\log_{10} r_{me} - L_\\mathrm{direct}(m, e) \\right]

over every measurement ``m`` and emitter ``e`` at distance ``r_me`` and direction
``theta_me`` from the listener, where

* ``L_direct(m, e)`` is the band level (:func:`bindata.hrir.calibration.band_level_db`: both
  ears, 250 Hz-2 kHz, equal weight per octave) of the measured *direct sound*: the response in a
  window from :data:`PRE_S` before to :data:`POST_S` after the first arrival (the earlier ear's
  onset, :func:`bindata.hrir.alignment.onset_samples`), with raised-cosine edges of
  :data:`TAPER_S`;
* ``L_head(theta, r)`` is the same level of the reference head, windowed alike: the built-in
  HRIR model (structural, :data:`REFERENCE_RATE`) calibrated to the frontal reference, in the
  direction ``theta`` on the shell nearest ``r``.

For a frontal emitter ``L_head`` is 0 dB by the definition of the reference, so the gain is the
HRIR calibration itself, ``-(L_direct + 20 log10 r)``; the head model carries the reference to
the other directions, where the two ears' mean level in the band differs from the front by up
to a few dB (the ear facing a lateral source gains more than the far ear loses). Between heads
the band's level differs little (a rigid sphere is within about 1 dB of a dummy head there,
:mod:`bindata.hrir.calibration`). The median makes one emitter whose direct sound an early
reflection overlaps, or a loudspeaker turned away, an outlier that does not move the gain.

Why this window: it holds the direct sound of a head (the far ear lags the near one by at most
0.7 ms, pinna and shoulder reflections follow within about 1.5 ms) and ends before the first
reflection of a listener and source 0.5 m or more from every surface (an extra path of at least
1 m, 2.9 ms). The reference head is windowed the same way, so what the window cuts from the
band level (its frequency resolution is about 1 / 3.5 ms) cuts both alike.

A room whose direct sound is too weak to find (below :data:`MIN_LEVEL_DB`) cannot be calibrated:
read it raw (config ``room.measured_calibration``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import ConfigError
from ..geometry import cartesian_to_spherical, room_to_head
from ..hrir import calibrate, default_hrirset
from ..hrir.alignment import onset_samples
from ..hrir.calibration import band_level_db
from .sofa_brir import _stat_key, load_measured_room

#: Levels of a measured room: calibrated to bindata's reference, or as stored.
CALIBRATIONS = ("reference", "raw")
#: The direct-sound window: from PRE_S before the first arrival to POST_S after it (seconds).
PRE_S, POST_S = 1.0e-3, 2.5e-3
#: Raised-cosine edges of the window (seconds, inside it).
TAPER_S = 0.25e-3
#: Rate (Hz) of the reference head (the built-in model; band levels do not depend on the rate).
REFERENCE_RATE = 24000
#: A direct-sound level below this (dB) cannot be calibrated.
MIN_LEVEL_DB = -150.0


def direct_taper(n: int, sample_rate: float, onset: float) -> np.ndarray:
    """The tapered window (n,) of the direct sound arriving at sample ``onset`` (a level
    measurement; the DRR splits at a hard edge instead, :func:`bindata.render.drr.direct_window`)."""
    t = (np.arange(n) - onset) / sample_rate
    edge = np.clip(np.minimum(t + PRE_S, POST_S - t) / TAPER_S, 0.0, 1.0)
    return np.sin(0.5 * np.pi * edge) ** 2


def direct_level_db(ir: np.ndarray, sample_rate: float) -> float:
    """Band level (dB) of the direct sound of a two-ear response ``ir`` (2, N)."""
    ir = np.asarray(ir, dtype=float)
    onset = float(np.min(onset_samples(ir, oversample=1)))
    lo = max(0, int(np.floor(onset - PRE_S * sample_rate)))
    hi = min(ir.shape[-1], int(np.ceil(onset + POST_S * sample_rate)) + 1)
    window = direct_taper(hi - lo, sample_rate, onset - lo)
    return band_level_db(ir[:, lo:hi] * window, sample_rate)


@lru_cache(maxsize=1)
def _reference_head():
    return calibrate(default_hrirset(sample_rate=REFERENCE_RATE), "reference")


def reference_direct_level_db(azimuth_deg: float, elevation_deg: float, distance_m: float) -> float:
    """``L_head``: the direct-sound level of the reference head in a direction and distance."""
    head = _reference_head()
    shell = head.nearest_shell(float(distance_m))
    return direct_level_db(shell.lookup(azimuth_deg, elevation_deg)[0], head.sample_rate)


def room_gain_terms_db(room) -> np.ndarray:
    """``L_head - 20 log10 r - L_direct`` of every emitter of every measurement of a
    :class:`~bindata.rooms.sofa_brir.MeasuredRoom` with its responses (missing emitters left
    out), dB."""
    terms = []
    for m in range(room.n_measurements):
        dist = room.distances_m(m)
        for e in np.flatnonzero(np.isfinite(dist) & (dist > 0)):
            level = direct_level_db(room.ir[m, :, e], room.sample_rate)
            if not level > MIN_LEVEL_DB:
                continue
            head = room_to_head(room.emitters_m[m, e], room.listener_m[m], room.yaw_deg[m])
            az, el, r = cartesian_to_spherical(head)
            ref = reference_direct_level_db(float(az), float(el), float(r))
            terms.append(ref - 20.0 * np.log10(r) - level)
    return np.asarray(terms, dtype=float)


@lru_cache(maxsize=4096)
def _gain_db(path: str, mtime_ns: int, size: int) -> float:
    terms = room_gain_terms_db(load_measured_room(path))
    if terms.size == 0:
        raise ConfigError(
            f"measured room {path}: no direct sound above {MIN_LEVEL_DB:g} dB in "
            "250 Hz-2 kHz; it cannot be calibrated (set room.measured_calibration to 'raw')",
            key="room.measured_calibration",
        )
    return round(float(np.median(terms)), 6)


def calibration_gain_db(path) -> float:
    """The gain (dB, rounded to 1e-6) that brings the measured room in ``path`` to bindata's
    level (module docstring); cached per process while the file keeps its time and size.

    Raises
    ------
    ConfigError
        A room without a direct sound to measure.
    """
    return _gain_db(*_stat_key(path))


__all__ = [
    "CALIBRATIONS",
    "POST_S",
    "PRE_S",
    "calibration_gain_db",
    "direct_level_db",
    "direct_taper",
    "reference_direct_level_db",
    "room_gain_terms_db",
]
