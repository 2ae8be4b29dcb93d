"""``bindata validate``: check a dataset on disk against its manifest, its formats and its scenes.

Every problem is collected (none stops the others) and reported as ``<path>[:line]: <problem>``:

* manifest: readable, the right format and version, a schema-valid config, one record per file
  index ``0 .. n_files-1`` whose stem, fold and paths follow the layout of docs/design.md;
* files: present, SHA-256 as in the manifest, nothing unlisted or half-written beside them;
* audio: a WAV, 16-bit PCM, 2 channels, the configured rate and length, peak within
  ``mix.peak_dbfs``, not silent when the scene has events;
* metadata: DCASE rows (six integers, no header) in range (frame, class index, azimuth in
  (-180, 180], elevation in [-90, 90], distance in a proximity band), sorted, one row per source
  and frame, polyphony <= ``max_overlap``, and exactly the rows of its scene
  (:func:`bindata.scene.labels.scene_rows`);
* scenes: schema-valid, consistent with the manifest (stem, index, fold, seed, config), with the
  class list (``label == classes[class_index]``), with geometry (positions inside the room,
  azimuth/elevation/distance = the source seen from the head, distance in the event's band) and
  with the polyphony limit, with its room (checked by the room kind against the config, the
  entry of a room mix the scene names); moving scenes' paths, head tracks and ambience
  (:mod:`bindata.dataset.validate_motion`).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import soundfile as sf

from ..config import SynthConfig, default_config
from ..errors import BindataError, DatasetError, SceneError, ValidationError
from ..geometry import cartesian_to_spherical, room_to_head
from ..io import (
    RUN_MARKER,
    TMP_MARK,
    is_temporary,
    manifest_path,
    manifest_problems,
    read_json,
    read_manifest,
    sha256_file,
)
from ..io.dcase_csv import parse_metadata_text
from ..io.layout import SUBDIRS, paths_of
from ..problems import Problems
from ..resources import validate_against_schema
from ..rooms import kind_of
from ..rooms.mix import entry_config
from ..scene.folds import file_stem, fold_of
from ..scene.labels import LABEL_FRAME_S, n_label_frames, rows_to_csv_text, scene_rows
from ..scene.radiation import radiation_problems
from ..scene.spec import Listener, Scene, SceneEvent
from .validate_motion import MOTION_SECTIONS, motion_problems, with_motion_defaults

#: Line-level problems reported per metadata file before the rest are summarised.
MAX_LINE_PROBLEMS = 10

_RECORD_KEYS = (
    "stem",
    "fold",
    "file_index",
    "audio",
    "audio_sha256",
    "metadata",
    "metadata_sha256",
    "scene",
    "scene_sha256",
)
_ANGLE_TOL = 1e-6
_POS_TOL = 1e-9


@dataclass
class _Context:
    """What the checks of one dataset share: its root, manifest and the problems so far."""

    root: Path
    manifest: dict = field(default_factory=dict)
    problems: Problems = field(default_factory=lambda: Problems(cap=MAX_LINE_PROBLEMS))

    @cached_property
    def cfg(self) -> SynthConfig:
        """The manifest's config, typed (read once the manifest's config proved complete)."""
        return SynthConfig.from_json(with_motion_defaults(self.manifest["config"]))

    @property
    def classes(self) -> list[str]:
        return self.manifest["classes"]

    def add(self, path: Path | str, message: str, line: int | None = None, kind=None) -> None:
        self.problems.add(path, message, line=line, kind=kind)


def find_problems(dataset: str | os.PathLike) -> list[str]:
    """Every problem of the dataset in ``dataset``, one ``<path>[:line]: <problem>`` each.

    Raises
    ------
    DatasetError
        ``dataset`` is not a folder at all.
    """
    root = Path(dataset)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder")
    ctx = _Context(root)
    if _load_manifest(ctx):
        records = _check_records(ctx)
        for rec in records:
            _check_item(ctx, rec)
        _check_unlisted(ctx, records)
    return ctx.problems.lines()


def validate_dataset(dataset: str | os.PathLike) -> dict:
    """Check the dataset; return a summary, or raise with every problem found.

    Returns
    -------
    dict
        ``{"dataset", "files", "classes", "events", "rows"}`` of a dataset without problems.

    Raises
    ------
    ValidationError
        ``.problems`` lists every problem as ``<path>[:line]: <problem>``.
    """
    problems = find_problems(dataset)
    if problems:
        raise ValidationError(str(dataset), problems)
    manifest = read_manifest(dataset)
    n_events = n_rows = 0
    for rec in manifest["files"]:
        p = paths_of(dataset, rec["stem"])
        n_events += len(read_json(p["scene"])["events"])
        n_rows += sum(1 for ln in p["metadata"].read_text("utf-8").splitlines() if ln.strip())
    return {
        "dataset": str(dataset),
        "files": len(manifest["files"]),
        "classes": len(manifest["classes"]),
        "events": n_events,
        "rows": n_rows,
        "warnings": provenance_warnings(manifest),
    }


def provenance_warnings(manifest: dict) -> list[str]:
    """Input files (the SOFA files) whose bytes differ from the SHA-256 the manifest records.

    Not problems of the dataset itself: it stays valid, but it can no longer be regenerated from
    the file at that path. A manifest of several heads records each head (``hrir.heads``).
    """
    hrir = manifest.get("hrir") or {}
    if not isinstance(hrir, dict):
        return []
    heads = hrir.get("heads") if isinstance(hrir.get("heads"), list) else [hrir]
    warnings = []
    for head in heads:
        if not isinstance(head, dict) or not head.get("sha256"):
            continue
        path = Path(str(head.get("spec")))
        if not path.is_file():
            warnings.append(f"{path}: the HRIR file the dataset was made with is no longer there")
        elif sha256_file(path) != head["sha256"]:
            warnings.append(
                f"{path}: the HRIR file has changed since the dataset was made (SHA-256 "
                f"{head['sha256'][:12]}... recorded); regenerated files will differ"
            )
    return warnings


# --- manifest ----------------------------------------------------------------------------------


def _load_manifest(ctx: _Context) -> bool:
    """Read and check the manifest (its schema, the config's); False when nothing else can be
    checked."""
    path = manifest_path(ctx.root)
    if (ctx.root / RUN_MARKER).exists():
        ctx.add(
            ctx.root / RUN_MARKER,
            "run marker of an unfinished synthesis run is present (finish it by resuming the run)",
        )
    if not path.exists():
        ctx.add(path, "missing: not a finished bindata dataset")
        return False
    try:
        manifest = read_json(path)
    except DatasetError as exc:
        ctx.problems.extend([str(exc)])
        return False
    for line in manifest_problems(manifest, what=str(path)):
        ctx.add(path, line.removeprefix(f"{path}: "), kind="manifest schema")
    if not _usable(manifest):
        return False
    ctx.manifest = manifest
    config_problems = validate_against_schema(manifest["config"], "config", what=str(path))
    ctx.problems.extend(p.replace(f"{path}: ", f"{path}: config.", 1) for p in config_problems)
    if not config_problems:
        reference = {
            k: v
            for k, v in default_config().items()
            if k not in MOTION_SECTIONS or k in manifest["config"]
        }  # older manifests: static scenes
        absent = _missing_keys(reference, manifest["config"])
        config_problems = [f"{path}: config: missing key {key}" for key in absent]
        ctx.problems.extend(config_problems)
    if manifest["classes"] != sorted(manifest["classes"]):
        ctx.add(path, "classes must be sorted and unique (the class column indexes them)")
    return not config_problems


def _usable(manifest) -> bool:
    """Whether the manifest's top level is sound enough for checking the files against it."""
    if not isinstance(manifest, dict):
        return False
    classes = manifest.get("classes")
    return (
        isinstance(manifest.get("config"), dict)
        and isinstance(manifest.get("files"), list)
        and isinstance(manifest.get("seed"), int)
        and isinstance(classes, list)
        and bool(classes)
        and all(isinstance(c, str) for c in classes)
    )


def _missing_keys(reference: dict, config_json: dict, prefix: str = "") -> list[str]:
    """Dotted keys of ``reference`` (the default config) that ``config_json`` (a manifest's)
    lacks."""
    out = []
    for key, value in reference.items():
        if key not in config_json:
            out.append(prefix + key)
        elif isinstance(value, dict) and isinstance(config_json[key], dict):
            out += _missing_keys(value, config_json[key], f"{prefix}{key}.")
    return out


def _check_records(ctx: _Context) -> list[dict]:
    """Check the file records (keys, indices, stems, folds, paths); return the usable ones."""
    path = manifest_path(ctx.root)
    n_files, n_folds = ctx.cfg.n_files, ctx.cfg.n_folds
    good, seen_index, seen_stem = [], Counter(), Counter()
    for k, rec in enumerate(ctx.manifest["files"]):
        where = f"files.{k}"
        if not isinstance(rec, dict) or any(key not in rec for key in _RECORD_KEYS):
            continue  # reported by the manifest schema
        index, stem = rec["file_index"], rec["stem"]
        seen_index[index] += 1
        seen_stem[stem] += 1
        if not isinstance(index, int) or not 0 <= index < n_files:
            ctx.add(path, f"{where}: file_index must be in 0..{n_files - 1}, got {index!r}")
            continue
        expected = file_stem(index, n_files=n_files, n_folds=n_folds)
        if stem != expected:
            ctx.add(path, f"{where}: stem of file_index {index} must be {expected!r}, got {stem!r}")
            continue
        fold = fold_of(index, n_files=n_files, n_folds=n_folds)
        if rec["fold"] != fold:
            ctx.add(
                path,
                f"{where}: fold of {stem} must be {fold} (stem and even split), "
                f"got {rec['fold']!r}",
            )
        for kind, p in paths_of(".", stem).items():
            want = p.relative_to(".").as_posix()
            if rec[kind] != want:
                ctx.add(path, f"{where}: {kind} path must be {want!r}, got {rec[kind]!r}")
        good.append(rec)
    for stem, count in seen_stem.items():
        if count > 1:
            ctx.add(path, f"stem {stem!r} listed {count} times")
    absent = sorted(set(range(n_files)) - set(seen_index))
    if absent:
        shown = ", ".join(map(str, absent[:10])) + (", ..." if len(absent) > 10 else "")
        ctx.add(path, f"config.n_files is {n_files} but file_index {shown} is not listed")
    return [rec for rec in good if seen_stem[rec["stem"]] == 1]


def _check_unlisted(ctx: _Context, records: list[dict]) -> None:
    """Files in audio/, metadata/, scenes/ that the manifest does not list, or temporaries."""
    listed = {p for rec in records for p in paths_of(ctx.root, rec["stem"]).values()}
    listed |= {
        ctx.root / rec[kind]
        for rec in ctx.manifest["files"]
        if isinstance(rec, dict)
        for kind in ("audio", "metadata", "scene")
        if isinstance(rec.get(kind), str)
    }
    for name in SUBDIRS:
        folder = ctx.root / name
        if not folder.is_dir():
            ctx.add(folder, "missing folder")
            continue
        for p in sorted(folder.iterdir()):
            if is_temporary(p):
                ctx.add(p, "leftover temporary file of an interrupted write")
            elif p not in listed:
                ctx.add(p, "not listed in the manifest")
    for p in sorted(ctx.root.glob(f".*{TMP_MARK}*")):
        if is_temporary(p):
            ctx.add(p, "leftover temporary file of an interrupted write")


# --- one item ----------------------------------------------------------------------------------


def _check_item(ctx: _Context, rec: dict) -> None:
    paths = paths_of(ctx.root, rec["stem"])
    present = {}
    for kind, path in paths.items():
        present[kind] = path.is_file()
        if not present[kind]:
            ctx.add(path, f"missing ({kind} of {rec['stem']} listed in the manifest)")
        elif sha256_file(path) != rec[f"{kind}_sha256"]:
            ctx.add(path, "SHA-256 differs from the manifest (changed after synthesis)")
    scene = _check_scene(ctx, paths["scene"], rec) if present["scene"] else None
    if present["audio"]:
        _check_wav(ctx, paths["audio"], scene)
    if present["metadata"]:
        rows = _check_csv(ctx, paths["metadata"], scene)
        if rows is not None and scene is not None:
            _check_rows_match_scene(ctx, paths["metadata"], rows, scene)


def _check_wav(ctx: _Context, path: Path, scene: Scene | None) -> None:
    fs = ctx.cfg.sample_rate
    want_frames = int(round(ctx.cfg.duration_s * fs))
    try:
        info = sf.info(str(path))
        data = sf.read(str(path), dtype="int16", always_2d=True)[0]
    except (RuntimeError, sf.LibsndfileError) as exc:
        ctx.add(path, f"cannot read as audio ({exc})")
        return
    checks = [
        ("container", info.format, "WAV"),
        ("sample format", info.subtype, "PCM_16"),
        ("channels", info.channels, 2),
        ("sample rate (Hz)", info.samplerate, fs),
        ("length (samples)", info.frames, want_frames),
        ("samples readable", data.shape[0], info.frames),
    ]
    for what, got, want in checks:
        if got != want:
            ctx.add(path, f"{what} must be {want}, got {got}")
    if data.size == 0:
        return
    peak_dbfs = (ctx.cfg.mix if scene is None else scene.mix).peak_dbfs
    limit = int(round(10.0 ** (peak_dbfs / 20.0) * 32767.0)) + 1
    peak = int(np.max(np.abs(data.astype(np.int32))))
    if peak > limit:
        ctx.add(path, f"peak {peak} exceeds mix.peak_dbfs {peak_dbfs} dBFS ({limit - 1})")
    if scene is not None:
        _check_events_audible(ctx, path, data, scene)


def _check_events_audible(ctx: _Context, path: Path, data: np.ndarray, scene: Scene) -> None:
    """Every event must leave a trace: its span in the audio must not be digital silence."""
    fs = scene.sample_rate
    for k, ev in enumerate(scene.events):
        lo = int(round(ev.onset_s * fs))
        hi = min(int(round((ev.onset_s + ev.duration_s) * fs)), data.shape[0])
        if hi > lo and not np.any(data[lo:hi]):
            ctx.add(
                path,
                f"silent (all samples zero) during events[{k}] {ev.label!r} "
                f"({ev.onset_s:g}-{ev.onset_s + ev.duration_s:g} s)",
            )


# --- metadata CSV ------------------------------------------------------------------------------


def _parse_csv(ctx: _Context, path: Path) -> tuple[np.ndarray, list[int]] | None:
    """Rows and their line numbers; None (with problems) when the file is not DCASE CSV."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        ctx.add(path, f"cannot read as UTF-8 text ({exc})")
        return None
    rows, lines, bad = parse_metadata_text(text)
    _add_limited(ctx, path, bad)
    if bad:
        return None
    return rows, lines.tolist()


def _add_limited(ctx: _Context, path: Path, items: list[tuple[int | None, str]], kind="row"):
    """Add line problems of one kind; past :data:`MAX_LINE_PROBLEMS` they are only counted."""
    for line, message in items:
        ctx.add(path, message, line, kind=kind)


def _row_range_problems(ctx: _Context, rows: np.ndarray) -> list[str | None]:
    """For each row, the first value out of range (or None)."""
    n_frames = n_label_frames(ctx.cfg.duration_s)
    near = [round(x * 100) for x in ctx.cfg.sources.near_m]
    far = [round(x * 100) for x in ctx.cfg.sources.far_m]
    rules = [
        ("frame", lambda v: 0 <= v < n_frames, f"in 0..{n_frames - 1}"),
        ("class", lambda v: 0 <= v < len(ctx.classes), f"in 0..{len(ctx.classes) - 1}"),
        ("source", lambda v: v >= 0, ">= 0"),
        ("azimuth", lambda v: -180 < v <= 180, "in (-180, 180]"),
        ("elevation", lambda v: -90 <= v <= 90, "in [-90, 90]"),
        (
            "distance",
            lambda v: near[0] <= v <= near[1] or far[0] <= v <= far[1],
            f"in the near ({near[0]}-{near[1]} cm) or far ({far[0]}-{far[1]} cm) band",
        ),
    ]
    out = []
    for r in rows:
        msg = None
        for col, ok, rule in rules:
            if not ok(int(r[col])):
                msg = f"{col} must be {rule}, got {int(r[col])}"
                break
        out.append(msg)
    return out


def _check_csv(ctx: _Context, path: Path, scene: Scene | None) -> np.ndarray | None:
    """Format, ranges, order, uniqueness and polyphony of one metadata file."""
    parsed = _parse_csv(ctx, path)
    if parsed is None:
        return None
    rows, lines = parsed
    bad = [(ln, msg) for ln, msg in zip(lines, _row_range_problems(ctx, rows), strict=True) if msg]
    keys = list(zip(rows["frame"].tolist(), rows["source"].tolist(), strict=True))
    seen = set()
    for k, key in enumerate(keys):
        if key in seen:
            bad.append((lines[k], f"second row for frame {key[0]} and source {key[1]}"))
        seen.add(key)
        if k and key < keys[k - 1]:
            bad.append((lines[k], "rows must be sorted by frame, then source"))
    limit = scene.max_overlap if scene is not None else ctx.cfg.max_overlap
    counts = Counter(rows["frame"].tolist())
    first_line = {}
    for ln, f in zip(lines, rows["frame"].tolist(), strict=True):
        first_line.setdefault(f, ln)
    for frame, count in sorted(counts.items()):
        if count > limit:
            bad.append(
                (
                    first_line[frame],
                    f"polyphony {count} in frame {frame} exceeds max_overlap {limit}",
                )
            )
    _add_limited(ctx, path, sorted(bad, key=lambda b: b[0]))
    return rows


def _check_rows_match_scene(ctx: _Context, path: Path, rows: np.ndarray, scene: Scene) -> None:
    """The CSV must hold exactly the rows its scene produces (and nothing else)."""
    got = rows_to_csv_text(rows).splitlines()
    want = rows_to_csv_text(scene_rows(scene)).splitlines()
    if got == want:
        return
    raw = [ln for ln in path.read_text("utf-8").splitlines()]
    line_of = {}
    for number, ln in enumerate(raw, start=1):
        line_of.setdefault(ln.strip(), number)
    extra = sorted(Counter(got) - Counter(want), key=lambda ln: line_of.get(ln, 0))
    missing = sorted(Counter(want) - Counter(got), key=lambda ln: [int(x) for x in ln.split(",")])
    items = [(line_of.get(ln), f"row {ln!r} is not produced by scene {scene.stem}") for ln in extra]
    items += [(None, f"row {ln!r} of scene {scene.stem} is missing") for ln in missing]
    _add_limited(ctx, path, items, kind="scene row")


# --- scene JSON --------------------------------------------------------------------------------


def _check_scene(ctx: _Context, path: Path, rec: dict) -> Scene | None:
    """Schema, identity and content of one scene; the scene when usable for further checks."""
    try:
        data = read_json(path)
    except DatasetError as exc:
        ctx.problems.extend([str(exc)])
        return None
    problems = validate_against_schema(data, "scene", what=str(path))
    if problems:
        ctx.problems.extend(problems)
        return None
    try:
        scene = Scene.from_json(data)
    except SceneError as exc:
        ctx.add(path, str(exc))
        return None
    cfg = ctx.cfg
    expected = {
        "stem": rec["stem"],
        "file_index": rec["file_index"],
        "fold": fold_of(rec["file_index"], n_files=cfg.n_files, n_folds=cfg.n_folds),
        "seed": ctx.manifest["seed"],
        "duration_s": cfg.duration_s,
        "sample_rate": cfg.sample_rate,
        "max_overlap": cfg.max_overlap,
    }
    for key, want in expected.items():  # the scene's attributes of these names are its keys
        got = getattr(scene, key)
        if got != want:
            ctx.add(path, f"{key} must be {want!r} (from the manifest), got {got!r}")
    if scene.room.description["anechoic"] != cfg.room.anechoic:
        ctx.add(path, f"room.anechoic must be {cfg.room.anechoic} (manifest config)")
    lib_classes = scene.event_library.classes
    if lib_classes is not None and list(lib_classes) != ctx.classes:
        ctx.add(path, "event_library.classes differ from the manifest's classes")
    _check_scene_room(ctx, path, scene)
    _check_scene_events(ctx, path, scene)
    for problem in motion_problems(scene, ctx.cfg, _room_kind(ctx, path, scene)):
        ctx.add(path, problem)
    for problem in radiation_problems(scene, ctx.cfg):
        ctx.add(path, problem)
    return scene


def _check_scene_room(ctx: _Context, path: Path, scene: Scene) -> None:
    kind = _room_kind(ctx, path, scene)
    if kind is None:
        return
    room = scene.room.description
    try:  # the config the file was drawn with: its entry's, in a room mix
        file_cfg = entry_config(ctx.cfg, scene.room_entry)
    except BindataError as exc:
        ctx.add(path, str(exc))
        return
    for problem in kind.check(room, file_cfg):
        ctx.add(path, problem)
    position = list(scene.listener.position_m)
    if not kind.contains(room, position, tol=_POS_TOL):
        ctx.add(path, f"listener position {position} is outside the room")


def _room_kind(ctx: _Context, path: Path, scene: Scene):
    """The scene room's kind (bindata.rooms), or None after recording why there is none."""
    try:
        return kind_of(scene.room.description)
    except BindataError as exc:
        ctx.add(path, f"room: {exc}")
        return None


def _check_scene_events(ctx: _Context, path: Path, scene: Scene) -> None:
    kind = _room_kind(ctx, path, scene)
    sources = Counter(ev.source_index for ev in scene.events)
    for src, count in sources.items():
        if count > 1:
            ctx.add(path, f"source {src} is used by {count} events")
    for k, ev in enumerate(scene.events):
        where = f"events[{k}]"
        idx = ev.class_index
        if idx >= len(ctx.classes):
            ctx.add(path, f"{where}: class_index must be < {len(ctx.classes)}, got {idx}")
        elif ev.label != ctx.classes[idx]:
            ctx.add(
                path, f"{where}: label {ev.label!r} is not classes[{idx}] = {ctx.classes[idx]!r}"
            )
        end = ev.onset_s + ev.duration_s
        if end > scene.duration_s + 1e-6:
            ctx.add(path, f"{where}: ends at {end:g} s, after the file ({scene.duration_s} s)")
        for key, value in (("onset_s", ev.onset_s), ("duration_s", ev.duration_s)):
            if abs(value / LABEL_FRAME_S - round(value / LABEL_FRAME_S)) > 1e-6:
                ctx.add(path, f"{where}: {key} must lie on the 100 ms label grid, got {value}")
        band = list(ctx.cfg.sources.band_m(ev.band))
        if not band[0] - _POS_TOL <= ev.distance_m <= band[1] + _POS_TOL:
            ctx.add(
                path,
                f"{where}: distance {ev.distance_m:.4f} m is outside its {ev.band} band {band} m",
            )
        position = list(ev.position_m)
        if kind is not None and not kind.contains(scene.room.description, position, tol=_POS_TOL):
            ctx.add(path, f"{where}: position {position} is outside the room")
        _check_event_direction(ctx, path, where, ev, scene.listener)
    _check_scene_polyphony(ctx, path, scene)


def _check_event_direction(
    ctx: _Context, path: Path, where: str, ev: SceneEvent, listener: Listener
):
    """Azimuth, elevation and distance must be the source position seen from the head."""
    head = room_to_head(ev.position_m, listener.position_m, listener.yaw_deg)
    az, el, dist = (float(v) for v in cartesian_to_spherical(head))
    d_az = abs((ev.azimuth_deg - az + 180.0) % 360.0 - 180.0)
    if d_az > _ANGLE_TOL or abs(ev.elevation_deg - el) > _ANGLE_TOL:
        ctx.add(
            path,
            f"{where}: azimuth/elevation ({ev.azimuth_deg:.4f}, "
            f"{ev.elevation_deg:.4f}) deg differ from the source position seen from the "
            f"head ({az:.4f}, {el:.4f})",
        )
    if abs(ev.distance_m - dist) > 1e-6:
        ctx.add(
            path,
            f"{where}: distance {ev.distance_m:.4f} m differs from the source "
            f"position seen from the head ({dist:.4f} m)",
        )


def _check_scene_polyphony(ctx: _Context, path: Path, scene: Scene) -> None:
    n_frames = n_label_frames(scene.duration_s)
    active = np.zeros(n_frames + 1, dtype=np.int64)
    for ev in scene.events:
        first = int(round(ev.onset_s / LABEL_FRAME_S))
        count = int(round(ev.duration_s / LABEL_FRAME_S))
        active[max(first, 0) : max(min(first + count, n_frames), 0)] += 1
    worst = int(active.max()) if active.size else 0
    if worst > scene.max_overlap:
        frame = int(np.argmax(active))
        ctx.add(path, f"polyphony {worst} at frame {frame} exceeds max_overlap {scene.max_overlap}")
