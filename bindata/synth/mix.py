"""The mix, scene -> audio: each event's binaural RIR, convolve, place, sum, scale to 16-bit PCM.

Placement: an event's direct sound reaches the head centre exactly at its labelled onset (the
renderer reports where the direct arrival lies in the BRIR); the event's dry signal is cut to its
labelled duration with 5 ms fades, its RMS set to ``level_db`` (dB re full scale, for a source at
1 m: the library normalises every sound to an RMS of 0.1, -20 dB). Reverberant tails run past the
offset and are cut at the end of the file. The mix is scaled down only when its peak would exceed
``mix.peak_dbfs`` (the gain applied is recorded in the render info), then rounded to int16.

Moving events (a ``path``, or a turning ``head``) go through the BRIRs of their path
(:func:`event_path_brir`, the room kind's ``render_path``; :mod:`bindata.render.moving`): the
direct sound of the path's first pose reaches the head at the onset. A scene's ``ambience`` is
added at its SNR against the event mix before the scaling (:func:`scene_ambience`, the signals
of :mod:`bindata.render.ambience`). The metadata rows of a scene are
:func:`bindata.scene.labels.scene_rows`.

A directional event (``directivity`` and ``orientation_deg``, :mod:`bindata.scene.radiation`)
is rendered with its :class:`~bindata.render.directivity.SourceRadiation` (the room kind's
``radiation`` argument). Every event's direct-to-reverberant ratio is measured on the BRIR it
is rendered with (:func:`event_drr`; a moving event's at its start) and returned in the render
info (``drr``), broadband and per octave band.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import oaconvolve

from ..errors import SceneError
from ..render.ambience import active_frames, ambience_signal, event_power, scale_to_snr
from ..render.drr import direct_to_reverberant
from ..render.moving import block_centres, block_hop_samples, render_path_signal
from ..rooms import kind_of
from ..rooms.acoustics import OCTAVE_BANDS_HZ
from ..scene.labels import LABEL_FRAME_S, n_label_frames, scene_rows
from ..scene.motion import head_yaw_deg, is_moving, relative_speed_deg_s, source_positions
from ..scene.radiation import event_radiation
from ..scene.spec import Listener, Scene, SceneEvent

LIBRARY_RMS = 0.1
FADE_S = 0.005


def dry_event_signal(event: SceneEvent, library, sample_rate: int) -> np.ndarray:
    """The event's dry mono signal: cut to its duration, faded, scaled to its level."""
    sound = library.load(event.sound_id)
    n = int(round(event.duration_s * sample_rate))
    sig = np.zeros(n)
    take = min(n, sound.shape[0])
    sig[:take] = sound[:take]
    fade = min(int(FADE_S * sample_rate), take // 2)
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade, endpoint=False)
        sig[:fade] *= ramp
        sig[take - fade : take] *= ramp[::-1]
    return sig * (10.0 ** (event.level_db / 20.0) / LIBRARY_RMS)


def _radiation(event: SceneEvent) -> dict:
    """The room kind's ``radiation`` argument of a directional event ({} for an omni one)."""
    radiation = event_radiation(event)
    return {} if radiation is None else {"radiation": radiation}


def event_brir(scene: Scene, event: SceneEvent, hrirset):
    """The binaural RIR of one event of a scene, rendered by the scene room's kind."""
    room = scene.room.description
    return kind_of(room).render(
        room,
        listener=scene.listener,
        source_m=list(event.position_m),
        hrirset=hrirset,
        render_cfg=scene.render,
        anechoic=scene.room.anechoic,
        **_radiation(event),
    )


def drr_record(source: int, ir: np.ndarray, onset_samples: float, sample_rate: int) -> dict:
    """``{"source", "drr_db", "bands_db"}`` of one event's BRIR (dB, 0.01 dB steps; bands:
    :data:`~bindata.rooms.acoustics.OCTAVE_BANDS_HZ`; :mod:`bindata.render.drr`)."""
    drr, bands = direct_to_reverberant(ir, onset_samples, sample_rate, bands_hz=OCTAVE_BANDS_HZ)
    return {
        "source": int(source),
        "drr_db": round(drr, 2),
        "bands_db": [round(float(v), 2) for v in bands],
    }


def _path_start_ir(path_brir) -> np.ndarray:
    """The full BRIR of a path's first block: its early part, then the tail."""
    split, tail = int(path_brir.split), np.asarray(path_brir.tail)
    ir = np.zeros((2, max(split, tail.shape[-1])))
    ir[:, :split] = path_brir.early[0]
    ir[:, split : tail.shape[-1]] = tail[:, split:]
    return ir


def event_drr(scene: Scene, event: SceneEvent, hrirset) -> dict:
    """:func:`drr_record` of an event, its BRIR rendered anew (a moving event: at its start)."""
    fs = int(scene.sample_rate)
    if not is_moving(scene, event):
        brir = event_brir(scene, event, hrirset)
        return drr_record(event.source_index, brir.ir, brir.onset_samples, fs)
    n = int(round(event.duration_s * fs))
    path_brir, _ = event_path_brir(scene, event, hrirset, n_samples=n)
    onset = float(path_brir.onset_samples[0])
    return drr_record(event.source_index, _path_start_ir(path_brir), onset, fs)


def _wet_event(
    scene: Scene, event: SceneEvent, dry: np.ndarray, hrirset
) -> tuple[np.ndarray, int, int, dict]:
    """(wet (2, m), start sample in the file, images rendered, :func:`drr_record`) of one
    event."""
    fs = int(scene.sample_rate)
    if not is_moving(scene, event):
        brir = event_brir(scene, event, hrirset)
        wet = oaconvolve(dry[None, :], brir.ir, axes=1)
        start = int(round(event.onset_s * fs)) - int(round(brir.onset_samples))
        drr = drr_record(event.source_index, brir.ir, brir.onset_samples, fs)
        return wet, start, int(brir.n_images), drr
    path_brir, hop = event_path_brir(scene, event, hrirset, n_samples=dry.shape[0])
    wet = render_path_signal(dry, path_brir, hop=hop)
    start = int(round(event.onset_s * fs)) - int(round(path_brir.onset_samples[0]))
    onset = float(path_brir.onset_samples[0])
    drr = drr_record(event.source_index, _path_start_ir(path_brir), onset, fs)
    return wet, start, int(path_brir.n_images), drr


def event_path_brir(scene: Scene, event: SceneEvent, hrirset, *, n_samples: int):
    """(:class:`~bindata.render.path.PathBRIR`, hop) of a moving event, from the room's kind.

    Blocks sit at a hop that keeps the direction change per block within the scene's
    ``motion_render.max_step_deg``; block ``k``'s pose is that of ``k * hop`` samples after
    the onset (positions held at the event's end).
    """
    fs, room, listener = int(scene.sample_rate), scene.room.description, scene.listener
    opts = scene.motion_render
    if opts is None:
        raise SceneError(
            f"scene {scene.stem}: motion_render is missing (events move or the head turns)"
        )
    path, head = event.source_path, scene.head_track
    speed = relative_speed_deg_s(
        path,
        head,
        listener_m=listener.position_m,
        onset_s=float(event.onset_s),
        duration_s=float(event.duration_s),
    )
    hop = block_hop_samples(speed, fs, max_step_deg=float(opts.max_step_deg))
    t = np.minimum(block_centres(n_samples, hop) / fs, float(event.duration_s))
    sources = source_positions(path, t)
    yaws = head_yaw_deg(head, float(event.onset_s) + t)
    poses = [Listener(position_m=listener.position_m, yaw_deg=float(y)) for y in yaws]
    path_brir = kind_of(room).render_path(
        room,
        listeners=poses,
        sources_m=sources,
        hrirset=hrirset,
        render_cfg=scene.render,
        anechoic=scene.room.anechoic,
        early_s=float(opts.early_s),
        **_radiation(event),
    )
    return path_brir, hop


def mix_events(scene: Scene, *, library, hrirset) -> tuple[np.ndarray, dict]:
    """The events of a scene, rendered and summed: float stereo (n, 2); returns (mix, info).

    ``info``: ``n_images`` (image sources rendered) and ``drr`` (a :func:`drr_record` per
    event)."""
    fs = int(scene.sample_rate)
    n_total = int(round(scene.duration_s * fs))
    mix = np.zeros((2, n_total))
    n_images, drr = 0, []
    for event in scene.events:
        dry = dry_event_signal(event, library, fs)
        wet, start, images, record = _wet_event(scene, event, dry, hrirset)
        n_images += images
        drr.append(record)
        lo, hi = max(start, 0), min(start + wet.shape[1], n_total)
        if hi > lo:
            mix[:, lo:hi] += wet[:, lo - start : hi - start]
    return mix.T, {"n_images": n_images, "drr": drr}


def mix_scene(scene: Scene, *, library, hrirset) -> tuple[np.ndarray, dict]:
    """Render a scene to float stereo (n, 2), before scaling; returns (mix, info).

    The events (:func:`mix_events`), plus the scene's ambience when it has one, scaled to its
    SNR against the events (:func:`scene_ambience`).
    """
    mix, info = mix_events(scene, library=library, hrirset=hrirset)
    if scene.ambience is not None:
        mix = mix + scene_ambience(scene, mix, rows=scene_rows(scene), hrirset=hrirset)
        info["snr_db"] = float(scene.ambience["snr_db"])
    return mix, info


def to_pcm16(mix: np.ndarray, *, peak_dbfs: float) -> tuple[np.ndarray, float]:
    """Scale down if the peak exceeds ``peak_dbfs`` and round to int16; returns (pcm, gain)."""
    limit = 10.0 ** (peak_dbfs / 20.0)
    peak = float(np.max(np.abs(mix))) if mix.size else 0.0
    gain = min(1.0, limit / peak) if peak > 0 else 1.0
    pcm = np.clip(np.round(mix * gain * 32767.0), -32768, 32767).astype(np.int16)
    return pcm, gain


def scene_ambience(scene: Scene, events_mix: np.ndarray, *, rows, hrirset) -> np.ndarray:
    """A scene's ambience (n, 2) scaled to its ``snr_db`` against ``events_mix`` (n, 2).

    A file without an active event frame has no SNR reference and gets no ambience (zeros).
    """
    fs, n = int(scene.sample_rate), events_mix.shape[0]
    active = active_frames(rows, n_label_frames(scene.duration_s))
    if not active.any():
        return np.zeros_like(events_mix)
    power = event_power(events_mix, active, fs, frame_s=LABEL_FRAME_S)
    record = scene.ambience
    signal = ambience_signal(record, hrirset=hrirset, n_samples=n, sample_rate=fs)
    return scale_to_snr(signal, snr_db=float(record["snr_db"]), event_power_value=power)
