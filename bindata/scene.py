"""The scene sampler: one fully instantiated, regenerable scene per file.

Everything random about a file is drawn here, from that file's own SeedSequence
(:mod:`bindata.seeding`), and written into the scene dict that :mod:`bindata.synth` saves as
``scenes/<stem>.json``. The renderer and mixer only read the scene.

Sampling rules (documented choices where the paper is silent):

* Room: width, length, height and RT60 uniform in their ranges.
* Listener: uniform inside the box that keeps ``wall_clearance_m`` from every surface, yaw
  uniform. A listener is redrawn (at most ``listener.max_redraws`` times, then a
  :class:`~bindata.errors.SceneError`) when the far band cannot be reached from it, i.e. when
  the farthest corner of the clearance box is closer than the far band's start plus 0.5 m.
* Timeline: events are placed one by one on the 100 ms label grid; an event's onset is drawn
  uniformly among the positions where it keeps the polyphony <= ``max_overlap``. An event that
  fits nowhere is not placed (the file then holds fewer events than drawn).
* Bands: a file's events alternate near/far from a random start (``near_fraction`` = 0.5) or
  draw their band with probability ``near_fraction`` otherwise.
* Source: direction uniform on the sphere (of the head), distance uniform in the part of its
  band that the clearance box can reach, kept when inside the box; candidates are tried up to
  ``sources.max_tries`` times, then the listener is redrawn (with all the file's sources), at most
  ``listener.max_redraws`` times in all before a :class:`~bindata.errors.SceneError`.
"""

from __future__ import annotations

import numpy as np

from . import __version__
from .errors import SceneError
from .folds import fold_of
from .geometry import cartesian_to_spherical, head_to_room, room_to_head
from .labels import LABEL_FRAME_S, n_label_frames
from .seeding import file_rngs

SCENE_SCHEMA_VERSION = 1

#: A listener must reach this far (metres) past the far band's start, so far sources have room.
FAR_BAND_MARGIN_M = 0.5


def file_stem(file_index: int, *, n_files: int, n_folds: int) -> str:
    """``fold<k>_room<NNNN>_mix001``: one room per file, rooms numbered from 1."""
    fold = fold_of(file_index, n_files=n_files, n_folds=n_folds)
    width = max(4, len(str(n_files)))
    return f"fold{fold}_room{file_index + 1:0{width}d}_mix001"


def _uniform(rng: np.random.Generator, lo_hi) -> float:
    lo, hi = lo_hi
    return float(rng.uniform(lo, hi)) if hi > lo else float(lo)


def sample_room(cfg: dict, rng: np.random.Generator) -> dict:
    """Room dimensions (width x, length y, height z) and RT60."""
    r = cfg["room"]
    dims = [_uniform(rng, r["width_m"]), _uniform(rng, r["length_m"]), _uniform(rng, r["height_m"])]
    return {"dimensions_m": dims, "rt60_s": _uniform(rng, r["rt60_s"])}


def _clearance_box(room: dict, clearance: float) -> tuple[np.ndarray, np.ndarray]:
    dims = np.asarray(room["dimensions_m"], dtype=float)
    return np.full(3, clearance), dims - clearance


def sample_listener(cfg: dict, room: dict, rng: np.random.Generator) -> dict:
    """Listener position inside the clearance box, from which the far band is reachable."""
    lo, hi = _clearance_box(room, cfg["room"]["wall_clearance_m"])
    far_start = cfg["sources"]["far_m"][0]
    corners = np.array(np.meshgrid(*zip(lo, hi, strict=False), indexing="ij")).reshape(3, -1).T
    for _ in range(cfg["listener"]["max_redraws"]):
        pos = rng.uniform(lo, hi)
        if np.max(np.linalg.norm(corners - pos, axis=1)) >= far_start + FAR_BAND_MARGIN_M:
            yaw = _uniform(rng, cfg["listener"]["yaw_deg"])
            return {"position_m": pos.tolist(), "yaw_deg": yaw}
    raise SceneError(
        f"room {np.round(room['dimensions_m'], 2).tolist()} m: no listener position within "
        f"{cfg['listener']['max_redraws']} draws reaches the far band (>= {far_start} m)"
    )


def place_events(cfg: dict, durations_s: np.ndarray, rng: np.random.Generator) -> list[tuple]:
    """Onset frames for events of the given durations so that polyphony <= max_overlap.

    Returns ``(event_number, onset_frame, n_frames)`` for the events that fit, in draw order.
    """
    n_frames = n_label_frames(cfg["duration_s"])
    busy = np.zeros(n_frames, dtype=np.int64)
    placed = []
    for k, dur in enumerate(durations_s):
        length = max(1, int(round(dur / LABEL_FRAME_S)))
        if length > n_frames:
            continue
        # window sums of the occupancy over [t, t+length) for every candidate onset t
        csum = np.concatenate([[0], np.cumsum(busy >= cfg["max_overlap"])])
        starts = np.arange(n_frames - length + 1)
        ok = starts[(csum[starts + length] - csum[starts]) == 0]
        if ok.size == 0:
            continue
        onset = int(ok[rng.integers(ok.size)])
        busy[onset : onset + length] += 1
        placed.append((k, onset, length))
    return placed


def sample_source(cfg: dict, room: dict, listener: dict, band_m, rng: np.random.Generator):
    """Source position (room frame) in the distance band, inside the clearance box, or None.

    The direction is uniform on the sphere and the distance uniform in the part of the band that
    the clearance box can reach from the listener; a candidate is kept when inside the box.
    """
    lo, hi = _clearance_box(room, cfg["room"]["wall_clearance_m"])
    corners = np.array(np.meshgrid(*zip(lo, hi, strict=True), indexing="ij")).reshape(3, -1).T
    reach = float(np.max(np.linalg.norm(corners - np.asarray(listener["position_m"]), axis=1)))
    r_lo, r_hi = band_m[0], min(band_m[1], reach)
    if r_hi < r_lo:
        return None
    batch = 256
    for _ in range(max(1, cfg["sources"]["max_tries"] // batch)):
        v = rng.normal(size=(batch, 3))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        r = rng.uniform(r_lo, r_hi, size=(batch, 1))
        pts = head_to_room(v * r, listener["position_m"], listener["yaw_deg"])
        inside = np.all((pts >= lo) & (pts <= hi), axis=1)
        if inside.any():
            return pts[int(np.argmax(inside))]
    return None


def _place_sources(cfg, room, listener, bands, rng) -> list | None:
    positions = []
    for band in bands:
        pos = sample_source(cfg, room, listener, cfg["sources"][f"{band}_m"], rng)
        if pos is None:
            return None
        positions.append(pos)
    return positions


def _event_durations(cfg, library, labels, sound_ids, rng) -> np.ndarray:
    lo, hi = cfg["events"]["duration_s"]
    wanted = rng.uniform(lo, hi, size=len(labels)) if hi > lo else np.full(len(labels), lo)
    avail = np.array([library.duration_s(s) for s in sound_ids])
    dur = np.minimum(wanted, avail)
    return np.maximum(np.floor(dur / LABEL_FRAME_S), 1) * LABEL_FRAME_S


def _bands(cfg: dict, n: int, rng: np.random.Generator) -> list[str]:
    frac = cfg["sources"]["near_fraction"]
    if frac == 0.5:
        first = int(rng.integers(2))
        return ["near" if (i + first) % 2 == 0 else "far" for i in range(n)]
    return ["near" if u < frac else "far" for u in rng.uniform(size=n)]


def sample_scene(cfg: dict, *, seed: int, file_index: int, library, resources: dict) -> dict:
    """Draw the complete scene of file ``file_index`` (a JSON-able dict).

    ``resources`` describes the HRIR set and event library for the record
    (``{"hrir": {...}, "event_library": {...}}``).
    """
    rngs = file_rngs(seed, file_index)
    room = sample_room(cfg, rngs["room"])
    n_lo, n_hi = cfg["events"]["per_file"]
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
    for _ in range(cfg["listener"]["max_redraws"]):
        listener = sample_listener(cfg, room, rngs["listener"])
        positions = _place_sources(cfg, room, listener, bands, rngs["sources"])
        if positions is not None:
            break
    else:
        raise SceneError(
            f"file {file_index}: no listener position in room "
            f"{np.round(room['dimensions_m'], 2).tolist()} m lets every source of its bands "
            f"({sorted(set(bands))}) fit within {cfg['sources']['max_tries']} tries, after "
            f"{cfg['listener']['max_redraws']} listener draws"
        )
    events = [
        _event_record(cfg, source, labels[k], sound_ids[k], library, onset, length, band, pos,
                      listener, rngs["levels"])
        for source, ((k, onset, length), band, pos) in enumerate(zip(placed, bands, positions,
                                                                     strict=True))
    ]  # fmt: skip
    return _scene_record(cfg, seed, file_index, room, listener, events, resources)


def _event_record(cfg, source, label, sound_id, library, onset, length, band, pos, listener, rng):
    head = room_to_head(pos, listener["position_m"], listener["yaw_deg"])
    az, el, dist = cartesian_to_spherical(head)
    return {
        "source": source,
        "label": label,
        "class_index": library.classes.index(label),
        "sound_id": sound_id,
        "onset_s": round(onset * LABEL_FRAME_S, 6),
        "duration_s": round(length * LABEL_FRAME_S, 6),
        "level_db": round(_uniform(rng, cfg["events"]["level_db"]), 4),
        "band": band,
        "position_m": [float(x) for x in pos],
        "azimuth_deg": float(az),
        "elevation_deg": float(el),
        "distance_m": float(dist),
    }


def _scene_record(cfg, seed, file_index, room, listener, events, resources) -> dict:
    n_files, n_folds = cfg["n_files"], cfg["n_folds"]
    return {
        "schema_version": SCENE_SCHEMA_VERSION,
        "bindata_version": __version__,
        "stem": file_stem(file_index, n_files=n_files, n_folds=n_folds),
        "file_index": int(file_index),
        "fold": fold_of(file_index, n_files=n_files, n_folds=n_folds),
        "seed": int(seed),
        "duration_s": float(cfg["duration_s"]),
        "sample_rate": int(cfg["sample_rate"]),
        "max_overlap": int(cfg["max_overlap"]),
        "room": {**room, "anechoic": bool(cfg["room"]["anechoic"])},
        "listener": listener,
        "render": dict(cfg["render"]),
        "mix": dict(cfg["mix"]),
        "hrir": resources["hrir"],
        "event_library": resources["event_library"],
        "events": events,
    }
