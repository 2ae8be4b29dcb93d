"""Scene -> audio: render each event's binaural RIR, convolve, place, sum, scale to 16-bit PCM.

Placement: an event's direct sound reaches the head centre exactly at its labelled onset (the
renderer reports where the direct arrival lies in the BRIR); the event's dry signal is cut to its
labelled duration with 5 ms fades, its RMS set to ``level_db`` (dB re full scale, for a source at
1 m: the library normalises every sound to an RMS of 0.1, -20 dB). Reverberant tails run past the
offset and are cut at the end of the file. The mix is scaled down only when its peak would exceed
``mix.peak_dbfs`` (the gain applied is recorded in the render info), then rounded to int16.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import oaconvolve

from .labels import LABEL_FRAME_S, ROW_DTYPE, n_label_frames
from .rooms import kind_of

LIBRARY_RMS = 0.1
FADE_S = 0.005


def dry_event_signal(event: dict, library, sample_rate: int) -> np.ndarray:
    """The event's dry mono signal: cut to its duration, faded, scaled to its level."""
    sound = library.load(event["sound_id"])
    n = int(round(event["duration_s"] * sample_rate))
    sig = np.zeros(n)
    take = min(n, sound.shape[0])
    sig[:take] = sound[:take]
    fade = min(int(FADE_S * sample_rate), take // 2)
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade, endpoint=False)
        sig[:fade] *= ramp
        sig[take - fade : take] *= ramp[::-1]
    return sig * (10.0 ** (event["level_db"] / 20.0) / LIBRARY_RMS)


def event_brir(scene: dict, event: dict, hrirset):
    """The binaural RIR of one event of a scene, rendered by the scene room's kind."""
    room = scene["room"]
    return kind_of(room).render(room, listener=scene["listener"], source_m=event["position_m"],
                                hrirset=hrirset, render_cfg=scene["render"],
                                anechoic=bool(room["anechoic"]))  # fmt: skip


def mix_scene(scene: dict, *, library, hrirset) -> tuple[np.ndarray, dict]:
    """Render a scene to float stereo (n, 2), before scaling; returns (mix, info)."""
    fs = int(scene["sample_rate"])
    n_total = int(round(scene["duration_s"] * fs))
    mix = np.zeros((2, n_total))
    n_images = 0
    for event in scene["events"]:
        dry = dry_event_signal(event, library, fs)
        brir = event_brir(scene, event, hrirset)
        n_images += int(brir.n_images)
        wet = oaconvolve(dry[None, :], brir.ir, axes=1)
        start = int(round(event["onset_s"] * fs)) - int(round(brir.onset_samples))
        lo, hi = max(start, 0), min(start + wet.shape[1], n_total)
        if hi > lo:
            mix[:, lo:hi] += wet[:, lo - start : hi - start]
    return mix.T, {"n_images": n_images}


def to_pcm16(mix: np.ndarray, *, peak_dbfs: float) -> tuple[np.ndarray, float]:
    """Scale down if the peak exceeds ``peak_dbfs`` and round to int16; returns (pcm, gain)."""
    limit = 10.0 ** (peak_dbfs / 20.0)
    peak = float(np.max(np.abs(mix))) if mix.size else 0.0
    gain = min(1.0, limit / peak) if peak > 0 else 1.0
    pcm = np.clip(np.round(mix * gain * 32767.0), -32768, 32767).astype(np.int16)
    return pcm, gain


def scene_rows(scene: dict) -> np.ndarray:
    """DCASE metadata rows of a scene: one per active 100 ms frame of each event."""
    n_frames = n_label_frames(scene["duration_s"])
    rows = []
    for ev in scene["events"]:
        first = int(round(ev["onset_s"] / LABEL_FRAME_S))
        count = int(round(ev["duration_s"] / LABEL_FRAME_S))
        az = int(round(ev["azimuth_deg"]))
        az = 180 if az == -180 else az
        el, dist_cm = int(round(ev["elevation_deg"])), int(round(ev["distance_m"] * 100))
        for f in range(first, min(first + count, n_frames)):
            rows.append((f, ev["class_index"], ev["source"], az, el, dist_cm))
    return np.array(rows, dtype=ROW_DTYPE) if rows else np.zeros(0, dtype=ROW_DTYPE)
