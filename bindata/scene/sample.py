"""The scene sampler: one fully instantiated, regenerable scene per file.

Everything random about a file is drawn here, from that file's own SeedSequence
(:mod:`bindata.seeding`), into the :class:`~bindata.scene.spec.Scene` that
:mod:`bindata.synth.run` saves as ``scenes/<stem>.json``. The renderer and the mix only read the scene.

Sampling rules (documented choices where the paper is silent):

* Room: drawn by the room kind of the config's preset (``rooms``, default ``paper``:
  width, length, height and RT60 uniform in the config's ranges); see :mod:`bindata.rooms`.
  A room mix first draws the file's entry (``room_choice`` stream, recorded as
  ``room_entry``), and the file is then drawn with that entry's config
  (:mod:`bindata.rooms.mix`).
* Listener and sources: placed by the room's kind (for box rooms see
  :class:`bindata.rooms.base.BoxRoomKind`: uniform in the clearance box, far band reachable).
* Timeline: events are placed one by one on the 100 ms label grid; an event's onset is drawn
  uniformly among the positions where it keeps the polyphony <= ``max_overlap``. An event that
  fits nowhere is not placed (the file then holds fewer events than drawn).
* Bands: a file's events alternate near/far from a random start (``near_fraction`` = 0.5) or
  draw their band with probability ``near_fraction`` otherwise.
* Sources: when a kind finds no position for a source, the listener is redrawn (with all the
  file's sources), at most ``listener.max_redraws`` times in all before a
  :class:`~bindata.errors.SceneError`.
* Motion (only when the config asks; docs/design.md "Moving scenes"): which events move and
  their paths (:mod:`bindata.scene.motion`, ``motion`` stream; a moving event that finds no
  path also redraws the listener), the head track (``head`` stream) and the ambience record
  (``ambience`` stream) are drawn after the sources; absent keys mean static, still, none.
* Directivity (only when the config's ``directivity.pattern`` is not ``omni``): each event's
  directivity and orientation, last, from the ``directivity`` stream
  (:mod:`bindata.scene.radiation`).
* Head (only with several heads or a head parameter range, config ``hrir``; docs/hrir.md):
  the ``hrir`` stream draws one of the heads of the file's fold uniformly, then each parameter
  with a range uniformly among the values of :func:`bindata.hrir.heads.parameter_values`
  (:func:`sample_head`). With one head and no range nothing is drawn.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import __version__
from ..config import SynthConfig
from ..errors import SceneError
from ..geometry import cartesian_to_spherical, room_to_head
from ..hrir.heads import parameter_values
from ..hrir.models import PARAMETERS
from ..render.ambience import draw_ambience
from ..rooms import draw_room, kind_of
from ..rooms.mix import draw_file_room
from ..seeding import file_rngs, uniform
from .folds import file_stem, fold_of
from .labels import LABEL_FRAME_S, n_label_frames
from .motion import check_motion_allowed, draw_head_track, draw_path, motion_plan
from .radiation import check_directivity_allowed, draw_radiation
from .spec import Listener, MotionRender, Scene, SceneEvent, SceneEventLibrary, SceneHRIR, SceneRoom

SCENE_SCHEMA_VERSION = 1


def sample_room(cfg: SynthConfig, rng: np.random.Generator) -> dict:
    """The room description of a file, drawn by the kind of the config's preset (``rooms``)."""
    return draw_room(cfg, rng)


def sample_listener(cfg: SynthConfig, room: dict, rng: np.random.Generator) -> Listener:
    """Listener position and yaw, placed by the room's kind."""
    return Listener.from_json(kind_of(room).sample_listener(room, cfg, rng), where="listener")


def place_events(
    cfg: SynthConfig, durations_s: np.ndarray, rng: np.random.Generator
) -> list[tuple]:
    """Onset frames for events of the given durations so that polyphony <= max_overlap.

    Returns ``(event_number, onset_frame, n_frames)`` for the events that fit, in draw order.
    """
    n_frames = n_label_frames(cfg.duration_s)
    busy = np.zeros(n_frames, dtype=np.int64)
    placed = []
    for k, dur in enumerate(durations_s):
        length = max(1, int(round(dur / LABEL_FRAME_S)))
        if length > n_frames:
            continue
        # window sums of the occupancy over [t, t+length) for every candidate onset t
        csum = np.concatenate([[0], np.cumsum(busy >= cfg.max_overlap)])
        starts = np.arange(n_frames - length + 1)
        ok = starts[(csum[starts + length] - csum[starts]) == 0]
        if ok.size == 0:
            continue
        onset = int(ok[rng.integers(ok.size)])
        busy[onset : onset + length] += 1
        placed.append((k, onset, length))
    return placed


def sample_source(
    cfg: SynthConfig, room: dict, listener: Listener, band_m, rng: np.random.Generator
):
    """Source position (room frame) in the distance band, placed by the room's kind, or None."""
    return kind_of(room).sample_source(room, cfg, listener, band_m, rng)


def _place_sources(cfg, room, listener, bands, rngs, plan, durations, failure) -> list | None:
    """(position, path or None) per event, or None (redraw the listener; ``failure`` says
    which moving event found no path and why)."""
    placed = []
    for k, band in enumerate(bands):
        band_m = cfg.sources.band_m(band)
        pos = sample_source(cfg, room, listener, band_m, rngs["sources"])
        if pos is None:
            return None
        path = None
        if plan[k] is not None:
            path, reason = draw_path(
                cfg,
                room,
                kind_of(room),
                listener,
                band_m,
                pos,
                durations[k],
                plan[k],
                rngs["motion"],
            )
            if path is None:
                failure[:] = [k, band, plan[k], durations[k], reason]
                return None
            pos = path["start_m"]
        placed.append((pos, path))
    return placed


def _event_durations(cfg: SynthConfig, library, labels, sound_ids, rng) -> np.ndarray:
    lo, hi = cfg.events.duration_s
    wanted = rng.uniform(lo, hi, size=len(labels)) if hi > lo else np.full(len(labels), lo)
    avail = np.array([library.duration_s(s) for s in sound_ids])
    dur = np.minimum(wanted, avail)
    return np.maximum(np.floor(dur / LABEL_FRAME_S), 1) * LABEL_FRAME_S


def _bands(cfg: SynthConfig, n: int, rng: np.random.Generator) -> list[str]:
    frac = cfg.sources.near_fraction
    if frac == 0.5:
        first = int(rng.integers(2))
        return ["near" if (i + first) % 2 == 0 else "far" for i in range(n)]
    return ["near" if u < frac else "far" for u in rng.uniform(size=n)]


def sample_scene(
    cfg: SynthConfig, *, seed: int, file_index: int, library, resources: dict
) -> Scene:
    """Draw the complete scene of file ``file_index``.

    ``resources`` describes the HRIR set and event library for the record
    (``{"hrir": {...}, "event_library": {...}}``, the JSON objects of
    :class:`~bindata.scene.spec.SceneHRIR` and :class:`~bindata.scene.spec.SceneEventLibrary`);
    with several heads, ``resources["heads"]`` is the run's
    :class:`~bindata.synth.heads.HeadSet` and the file's head is drawn (:func:`sample_head`).
    """
    rngs = file_rngs(seed, file_index)
    cfg, room, room_entry = draw_file_room(cfg, rngs)  # the file's config: its room's
    n_lo, n_hi = cfg.events.n_per_file
    n_events = int(rngs["events"].integers(n_lo, n_hi + 1))
    labels = [
        library.classes[i] for i in rngs["events"].integers(len(library.classes), size=n_events)
    ]
    sound_ids = []
    for lab in labels:
        ids = library.sound_ids(lab)
        sound_ids.append(ids[int(rngs["events"].integers(len(ids)))])
    durations = _event_durations(cfg, library, labels, sound_ids, rngs["events"])
    placed = place_events(cfg, durations, rngs["timeline"])
    bands = _bands(cfg, len(placed), rngs["sources"])
    check_motion_allowed(cfg, kind_of(room))
    check_directivity_allowed(cfg, kind_of(room))
    plan = motion_plan(cfg, len(placed), rngs["motion"])
    lengths = [length * LABEL_FRAME_S for _, _, length in placed]
    failure: list = []
    for _ in range(cfg.listener.max_redraws):
        failure.clear()  # why the last listener failed, if a path did
        listener = sample_listener(cfg, room, rngs["listener"])
        positions = _place_sources(cfg, room, listener, bands, rngs, plan, lengths, failure)
        if positions is not None:
            break
    else:
        raise SceneError(_no_fit_message(cfg, file_index, room, bands, failure))
    events = tuple(
        _event_record(
            cfg,
            source,
            labels[k],
            sound_ids[k],
            library,
            onset,
            length,
            band,
            pos,
            listener,
            rngs["levels"],
            path,
        )
        for source, ((k, onset, length), band, (pos, path)) in enumerate(
            zip(placed, bands, positions, strict=True)
        )
    )
    head, motion_render, ambience = _scene_extras(cfg, listener, events, rngs)
    radiation = draw_radiation(cfg, listener, [ev.position_m for ev in events], rngs["directivity"])
    events = tuple(
        ev if record is None else replace(ev, directivity=record, orientation_deg=orientation)
        for ev, (record, orientation) in zip(events, radiation, strict=True)
    )
    n_files, n_folds = cfg.n_files, cfg.n_folds
    fold = fold_of(file_index, n_files=n_files, n_folds=n_folds)
    return Scene(
        schema_version=SCENE_SCHEMA_VERSION,
        bindata_version=__version__,
        stem=file_stem(file_index, n_files=n_files, n_folds=n_folds),
        file_index=int(file_index),
        fold=fold,
        seed=int(seed),
        duration_s=float(cfg.duration_s),
        sample_rate=int(cfg.sample_rate),
        max_overlap=int(cfg.max_overlap),
        room=SceneRoom({**room, "anechoic": bool(cfg.room.anechoic)}),
        listener=listener,
        render=cfg.render,
        mix=cfg.mix,
        hrir=SceneHRIR.from_json(sample_head(cfg, resources, fold, rngs["hrir"]), where="hrir"),
        event_library=SceneEventLibrary.from_json(
            resources["event_library"], where="event_library"
        ),
        events=events,
        head=head,
        motion_render=motion_render,
        ambience=ambience,
        room_entry=room_entry,
    )


def sample_head(cfg: SynthConfig, resources: dict, fold: int, rng: np.random.Generator) -> dict:
    """The ``hrir`` record of a file: ``resources["hrir"]`` with one head; with several (or a
    parameter range), a head of the file's fold drawn uniformly, then each parameter with a
    range uniformly among its values (drawn whatever the head, so that the stream does not
    depend on the head; recorded only for a model that takes it)."""
    heads = resources.get("heads")
    if heads is None:
        return resources["hrir"]
    candidates = heads.candidates(fold)
    index = candidates[int(rng.integers(len(candidates)))] if len(candidates) > 1 else candidates[0]
    parameters = {}
    for name in PARAMETERS:
        range_ = getattr(cfg.hrir, name)
        if range_ is not None:
            values = parameter_values(name, range_)
            pick = int(rng.integers(values.size)) if values.size > 1 else 0
            parameters[name] = float(values[pick])
    return heads.record(index, parameters)


def _no_fit_message(cfg: SynthConfig, file_index, room, bands, failure) -> str:
    if failure:
        k, band, move, duration, reason = failure
        unit = "deg/s" if move["kind"] == "arc" else "m/s"
        return (
            f"file {file_index}: event {k} ({band} band {list(cfg.sources.band_m(band))} m, "
            f"{duration:g} s, {move['kind']} at {move['speed']:.3g} {unit}) finds no path "
            f"in room {_room_label(room)} that stays in its band and "
            f"{cfg.room.wall_clearance_m} m from the walls within "
            f"{cfg.motion.max_tries} tries, after {cfg.listener.max_redraws} "
            f"listener draws (last try: {reason})"
        )
    return (
        f"file {file_index}: no listener position in room {_room_label(room)} lets every "
        f"source of its bands ({sorted(set(bands))}) fit within "
        f"{cfg.sources.max_tries} tries, after {cfg.listener.max_redraws} "
        "listener draws"
    )


def _scene_extras(cfg: SynthConfig, listener: Listener, events, rngs) -> tuple:
    """Head track, render options of moving events and ambience: ``None`` where not in use."""
    head = cfg.head
    track = motion_render = None
    if head.turns:
        track = draw_head_track(
            rngs["head"],
            yaw_deg=listener.yaw_deg,
            duration_s=float(cfg.duration_s),
            speed_range_deg_s=head.speed_deg_s,
            pause_range_s=head.pause_s,
            max_turn_deg=float(head.max_turn_deg),
        )
    if head.turns or any(ev.path is not None for ev in events):
        motion_render = MotionRender(
            early_s=float(cfg.motion.early_s), max_step_deg=float(cfg.motion.max_step_deg)
        )
    return track, motion_render, draw_ambience(cfg, rngs["ambience"])


def _room_label(room: dict) -> str:
    dims = kind_of(room).summary(room).get("dimensions_m")
    preset = room.get("preset", room.get("kind", "?"))
    return f"{np.round(dims, 2).tolist()} m ({preset})" if dims else repr(preset)


def _event_record(
    cfg: SynthConfig,
    source,
    label,
    sound_id,
    library,
    onset,
    length,
    band,
    pos,
    listener: Listener,
    rng,
    path=None,
) -> SceneEvent:
    head = room_to_head(pos, listener.position_m, listener.yaw_deg)
    az, el, dist = cartesian_to_spherical(head)
    return SceneEvent(
        source_index=source,
        label=label,
        class_index=library.classes.index(label),
        sound_id=sound_id,
        onset_s=round(onset * LABEL_FRAME_S, 6),
        duration_s=round(length * LABEL_FRAME_S, 6),
        level_db=round(uniform(rng, cfg.events.level_db), 4),
        band=band,
        position_m=tuple(float(x) for x in pos),
        azimuth_deg=float(az),
        elevation_deg=float(el),
        distance_m=float(dist),
        path=path,
    )
