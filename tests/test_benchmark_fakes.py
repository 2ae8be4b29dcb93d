"""Helpers of the benchmark tests: small datasets with simple, known binaural cues.

:func:`make_fake_dataset` writes the layout of docs/design.md (audio, metadata, manifest) without the
synthesizer: each event is band-limited noise reaching the two ears with an interaural delay and
level difference that grow with ``sin(azimuth)`` (left ear leading and louder for a source on the
left), as a spherical head roughly would. Only the left/right cue is present, so a model can learn
left/right but not front/back or top/bottom.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import soundfile as sf

from bindata.scene.labels import LABEL_FRAME_S

#: Largest interaural delay (s) and level difference (dB), reached at azimuth +-90 degrees.
MAX_ITD_S = 0.00066
MAX_ILD_DB = 10.0


def _event_rows(rng, *, duration_s, n_events, source, lateral=False):
    """Onset/offset and position of each event, no overlap (events placed in slots).

    ``lateral``: azimuths within 30 degrees of +-90 (the side drawn by the sign of the usual
    draw) and elevations within +-30 degrees, i.e. every event in the left or right cone of
    the unequal division; the same draws as otherwise, so default datasets do not change.
    """
    slots = np.linspace(0.0, duration_s, n_events + 1)
    out = []
    for k in range(n_events):
        lo, hi = slots[k], slots[k + 1]
        length = rng.uniform(0.4, 0.9) * (hi - lo)
        onset = rng.uniform(lo, hi - length)
        az = float(rng.uniform(-179.0, 179.0))
        el = float(rng.uniform(-40.0, 40.0))
        if lateral:
            az = float(np.sign(az) * (90.0 + 30.0 * ((abs(az) / 179.0) * 2.0 - 1.0)))
            el = el * 30.0 / 40.0
        dist = float(rng.choice([rng.uniform(0.5, 1.9), rng.uniform(3.1, 7.5)]))
        out.append((onset, onset + length, az, el, dist, source + k))
    return out


def _render(rng, events, *, duration_s, sample_rate):
    n = int(round(duration_s * sample_rate))
    audio = np.zeros((n, 2))
    for onset, offset, az, _el, dist, _src in events:
        i0, i1 = int(onset * sample_rate), int(offset * sample_rate)
        noise = rng.standard_normal(i1 - i0 + 64)
        noise = np.convolve(noise, np.ones(3) / 3.0, mode="same")  # gentle low-pass
        gain = 0.05 / max(dist, 0.5) ** 0.5
        s = np.sin(np.radians(az))
        shift = int(round(abs(s) * MAX_ITD_S * sample_rate))
        lead, lag = noise[shift : shift + i1 - i0], noise[: i1 - i0]
        ild = 10.0 ** (abs(s) * MAX_ILD_DB / 40.0)
        near, far = gain * lead * ild, gain * lag / ild
        left, right = (near, far) if s >= 0 else (far, near)
        audio[i0:i1, 0] += left
        audio[i0:i1, 1] += right
    return np.clip(audio, -1.0, 1.0)


def make_fake_dataset(
    root,
    *,
    n_files=8,
    n_folds=4,
    duration_s=6.0,
    events_per_file=3,
    sample_rate=24000,
    seed=0,
    lateral=False,
):
    """Write a small dataset to ``root``; returns its manifest (``lateral``: every source in
    the left or right cone, see :func:`_event_rows`)."""
    root = Path(root)
    (root / "audio").mkdir(parents=True, exist_ok=True)
    (root / "metadata").mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n_files):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
        fold = i * n_folds // n_files + 1
        stem = f"fold{fold}_room{i:04d}_mix001"
        events = _event_rows(
            rng, duration_s=duration_s, n_events=events_per_file, source=0, lateral=lateral
        )
        audio = _render(rng, events, duration_s=duration_s, sample_rate=sample_rate)
        sf.write(root / "audio" / f"{stem}.wav", audio, sample_rate, subtype="PCM_16")
        lines = []
        for onset, offset, az, el, dist, src in events:
            first, last = int(onset / LABEL_FRAME_S), int(np.ceil(offset / LABEL_FRAME_S))
            for f in range(first, last):
                lines.append(f"{f},{src % 3},{src},{round(az)},{round(el)},{round(dist * 100)}")
        (root / "metadata" / f"{stem}.csv").write_text("\n".join(lines) + "\n", "utf-8")
        files.append({"stem": stem, "fold": fold})
    manifest = {
        "config": {
            "duration_s": duration_s,
            "sample_rate": sample_rate,
            "max_overlap": 1,
            "n_folds": n_folds,
            "n_files": n_files,
        },
        "classes": ["a", "b", "c"],
        "files": files,
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")
    return manifest


@contextlib.contextmanager
def one_torch_thread():
    """Run PyTorch on one thread (restored after): tiny models on a shared 2-core machine are
    several times faster so, because OpenMP threads stop waiting for each other."""
    if importlib.util.find_spec("torch") is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
