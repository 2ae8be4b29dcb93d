"""The BRIR export (``bindata brirs``): the binaural room impulse responses of sampled rooms,
as SOFA files.

Room ``i`` of a run with seed ``s`` is drawn exactly as file ``i`` of a dataset would draw its
room, listener and sources (the room, listener and sources streams of
:func:`bindata.seeding.file_rngs`, through the preset's room kind; the entry of a room mix from
the ``room_choice`` stream): ``n_near`` sources in the near band, then ``n_far`` in the far
band, the listener redrawn (at most ``listener.max_redraws`` times) when a band has no
position. With a directional config (``directivity.pattern`` not ``"omni"``) each emitter
gets its directivity and orientation as the events of a scene do, in emitter order, from the
room's ``directivity`` stream (:func:`bindata.scene.radiation.draw_radiation`: facing the
listener within the spread, or uniform); its BRIRs are rendered with them, its record in the
room's JSON holds them (``directivity``, ``orientation_deg``, as a scene event's) and the SOFA
file's ``EmitterView`` / ``EmitterUp`` are its axis and up vector (omnidirectional emitters:
+x and +z, nothing recorded). Layout (docs/rooms.md, "BRIRs as a product")::

    OUT/room0001.sofa   SingleRoomMIMOSRIR (default) or MultiSpeakerBRIR (M = 1,
                        E = n_near + n_far, sample 0 = emission; :func:`write_brir_sofa`), the
                        conventions the ``measured`` kind reads (:mod:`bindata.rooms.sofa_brir`):
                        ``synth --rooms OUT`` uses these rooms
    OUT/room0001.json   the room description, ``rt60_target_s`` per octave band
                        (``{"125": ..., ..., "8000": ...}``), the materials, listener, sources
    OUT/brirs.json      the index (seed, config, convention, every file with its SHA-256),
                        written last

An output folder that is not empty is refused unless ``overwrite``; then only the files a
``brirs`` run writes (the names above and bindata's temporaries) are removed, and a folder
holding anything else is refused.

Writing: ``SingleRoomMIMOSRIR`` through sofar's public API (``sofar.Sofa``, verified and written
by ``sofar.write_sofa``). sofar (1.3) lists ``MultiSpeakerBRIR`` as deprecated and its public
writer refuses it; asked for that convention, the same verified ``SingleRoomMIMOSRIR`` file is
rewritten as ``MultiSpeakerBRIR`` 0.3 with netCDF4 (the library sofar itself writes with, and
that :mod:`bindata.rooms.sofa_brir` already reads dimension names with): the global attributes
of that convention, ``Data.IR`` transposed from (M, R, N, E) to (M, R, E, N), and the
variables of the newer convention that the older does not define (room corners, volume,
temperature, dates, source orientation) left out.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .. import __version__
from ..config import SynthConfig
from ..dataset.output import check_writable
from ..errors import ConfigError, HRIRError, OutputError, OutputExistsError, SceneError
from ..geometry import cartesian_to_spherical, room_to_head
from ..hrir.prepared import prepared_hrirset
from ..hrir.sofa_io import _rechunked_copy
from ..hrir.sphere import HEAD_RADIUS_M
from ..io import atomic_path, is_temporary, remove_stale_temporaries, sha256_file, write_json
from ..io.atomic import os_reason, temporary_name
from ..render.directivity import axis_frame
from ..rooms import kind_of
from ..rooms.acoustics import OCTAVE_BANDS_HZ
from ..rooms.mix import check_rooms, draw_file_room, inline_rooms
from ..scene.folds import ROOM_STEM, room_stem
from ..scene.radiation import check_directivity_allowed, draw_radiation, source_radiation
from ..scene.spec import Listener
from ..seeding import file_rngs

INDEX = "brirs.json"
FORMAT = "bindata-brirs"
FORMAT_VERSION = 1
#: Conventions ``bindata brirs`` writes, the default first.
WRITE_CONVENTIONS = ("SingleRoomMIMOSRIR", "MultiSpeakerBRIR")
#: Variables of a ``MultiSpeakerBRIR`` 0.3 file (the rest of a ``SingleRoomMIMOSRIR`` file is
#: left out when writing the older convention).
_MULTISPEAKER_VARIABLES = (
    "ListenerPosition",
    "ListenerUp",
    "ListenerView",
    "ReceiverPosition",
    "SourcePosition",
    "EmitterPosition",
    "EmitterUp",
    "EmitterView",
    "Data.IR",
    "Data.SamplingRate",
    "Data.Delay",
)
_NAME = re.compile(rf"{ROOM_STEM.pattern}\.(sofa|json)")


def rt60_target_s(description: dict) -> dict | None:
    """RT60 per octave band (``{"125": ..., "8000": ...}``): the kind's prediction
    ``rt60_bands_s`` when it has one, else the broadband ``rt60_s`` in every band, else None."""
    if description.get("rt60_bands_s"):
        return {str(b): float(description["rt60_bands_s"][str(b)]) for b in OCTAVE_BANDS_HZ}
    if description.get("rt60_s") is not None:
        return {str(b): float(description["rt60_s"]) for b in OCTAVE_BANDS_HZ}
    return None


def _materials(description: dict) -> dict | None:
    surfaces = description.get("surfaces")
    return {s: v["material"] for s, v in surfaces.items()} if surfaces else None


def draw_room_layout(cfg: SynthConfig, *, seed: int, index: int, n_near: int, n_far: int) -> dict:
    """Room description, listener (:class:`~bindata.scene.spec.Listener`), sources
    ``[(band, position_m)]`` and each source's ``(directivity record, orientation_deg)``
    (``(None, None)``: omnidirectional) of room ``index``."""
    rngs = file_rngs(seed, index)
    cfg, room, _ = draw_file_room(cfg, rngs)
    kind = kind_of(room)
    check_directivity_allowed(cfg, kind)
    bands = ["near"] * n_near + ["far"] * n_far
    for _ in range(cfg.listener.max_redraws):
        listener = Listener.from_json(kind.sample_listener(room, cfg, rngs["listener"]))
        positions = [
            kind.sample_source(room, cfg, listener, cfg.sources.band_m(b), rngs["sources"])
            for b in bands
        ]
        if all(p is not None for p in positions):
            return {
                "room": room,
                "listener": listener,
                "sources": [
                    (b, [float(v) for v in p]) for b, p in zip(bands, positions, strict=True)
                ],
                "radiation": draw_radiation(cfg, listener, positions, rngs["directivity"]),
            }
    raise SceneError(
        f"room {index}: no listener position lets {n_near} near and {n_far} far "
        f"sources fit, after {cfg.listener.max_redraws} listener draws"
    )


def _source_record(k: int, band: str, pos, listener: Listener, brir, radiation) -> dict:
    az, el, dist = cartesian_to_spherical(room_to_head(pos, listener.position_m, listener.yaw_deg))
    record = {
        "emitter": k,
        "band": band,
        "position_m": pos,
        "azimuth_deg": float(az),
        "elevation_deg": float(el),
        "distance_m": float(dist),
        "onset_samples": float(brir.onset_samples),
    }
    directivity, orientation = radiation
    if directivity is not None:
        record["directivity"] = directivity
        record["orientation_deg"] = list(orientation)
    return record


def _emitter_axes(radiation) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """``EmitterView`` and ``EmitterUp`` (E, 3) of the emitters' orientations (None, None when
    every emitter is omnidirectional: the files' defaults +x and +z)."""
    if all(orientation is None for _, orientation in radiation):
        return None, None
    frames = [
        axis_frame(*orientation) if orientation is not None else np.eye(3)
        for _, orientation in radiation
    ]
    return np.stack([f[0] for f in frames]), np.stack([f[2] for f in frames])


def _write_room(
    out: Path, stem: str, layout: dict, *, cfg, hrirset, seed, index, convention
) -> dict:
    room, listener = layout["room"], layout["listener"]
    kind = kind_of(room)
    brirs, sources = [], []
    for k, ((band, pos), drawn) in enumerate(
        zip(layout["sources"], layout["radiation"], strict=True)
    ):
        radiation = source_radiation(*drawn, where=f"{stem} emitter {k}")
        brir = kind.render(
            room,
            listener=listener,
            source_m=pos,
            hrirset=hrirset,
            render_cfg=cfg.render,
            anechoic=bool(cfg.room.anechoic),
            **({} if radiation is None else {"radiation": radiation}),
        )
        brirs.append(brir.ir)
        sources.append(_source_record(k, band, pos, listener, brir, drawn))
    views, ups = _emitter_axes(layout["radiation"])
    n = max(ir.shape[1] for ir in brirs)
    ir = np.stack([np.pad(b, ((0, 0), (0, n - b.shape[1]))) for b in brirs])
    sofa_path, json_path = out / f"{stem}.sofa", out / f"{stem}.json"
    label = kind.summary(room).get("label", room.get("kind"))
    write_brir_sofa(
        sofa_path,
        ir=ir,
        sample_rate=hrirset.sample_rate,
        listener_m=list(listener.position_m),
        yaw_deg=listener.yaw_deg,
        emitters_m=[s["position_m"] for s in sources],
        emitter_views=views,
        emitter_ups=ups,
        title=f"{stem} ({label})",
        room_description=f"bindata room {stem}, preset {room.get('preset')}",
        dimensions_m=kind.summary(room).get("dimensions_m"),
        convention=convention,
    )
    record = {
        "format": f"{FORMAT}-room",
        "stem": stem,
        "room_index": index,
        "seed": seed,
        "sofa": sofa_path.name,
        "sofa_sha256": sha256_file(sofa_path),
        "sofa_convention": convention,
        "sample_rate": int(hrirset.sample_rate),
        "room": {**room, "anechoic": False},
        "rt60_target_s": rt60_target_s(room),
        "materials": _materials(room),
        "listener": listener.to_json(),
        "sources": sources,
        "hrir": hrirset.describe(),
    }
    write_json(json_path, record)
    return {
        "stem": stem,
        "sofa": sofa_path.name,
        "sofa_sha256": record["sofa_sha256"],
        "description": json_path.name,
        "description_sha256": sha256_file(json_path),
    }


def plan_brirs_output(out: Path, *, overwrite: bool) -> list[Path]:
    """Check ``out`` without touching it; the files an overwrite removes.

    Raises
    ------
    OutputExistsError, OutputError
        Not a folder, not empty (and no ``overwrite``), or holding files ``brirs`` did not write.
    """
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder")
    check_writable(out)
    try:
        entries = sorted(out.iterdir()) if out.is_dir() else []
    except OSError as exc:
        raise OutputError(f"{out}: cannot list ({os_reason(exc)})") from exc
    if not entries:
        return []
    if not overwrite:
        shown = ", ".join(p.name for p in entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise OutputExistsError(
            f"{out}: output folder is not empty ({len(entries)} entries: {shown})",
            key="output.not_empty",
        )
    foreign = [
        p.name
        for p in entries
        if not (p.is_file() and (p.name == INDEX or _NAME.fullmatch(p.name) or is_temporary(p)))
    ]
    if foreign:
        raise OutputExistsError(
            f"{out}: holds entries bindata brirs did not write "
            f"({', '.join(foreign[:5])}); only its own files are replaced; "
            "choose an empty or new folder",
            key="overwrite",
        )
    return [p for p in entries if not is_temporary(p)]


def write_brirs(
    out_dir: str | os.PathLike,
    *,
    n_rooms: int,
    rooms="paper",
    seed: int = 0,
    n_near: int = 3,
    n_far: int = 3,
    cfg: SynthConfig | None = None,
    overwrite: bool = False,
    progress: bool = True,
    convention: str = WRITE_CONVENTIONS[0],
) -> dict:
    """Write the BRIRs of ``n_rooms`` sampled rooms into ``out_dir``; returns the index.

    Everything is checked and every room drawn before anything is written (the folder, the
    preset, the HRIR set, each room's listener and sources). ``cfg`` (default: the default
    config) gives the bands, clearances, rate, HRIR set and the sources' directivity and
    orientation (module docstring); ``rooms`` the preset or a room mix
    (:mod:`bindata.rooms.mix`); ``convention`` the SOFA convention of the files
    (:data:`WRITE_CONVENTIONS`: ``"SingleRoomMIMOSRIR"``, or the deprecated
    ``"MultiSpeakerBRIR"``).

    Raises
    ------
    BindataError
        A bad value, preset or folder (nothing written), or a failed write.
    """
    if n_rooms < 1:
        raise ConfigError(f"n_rooms must be >= 1, got {n_rooms}", key="n_rooms")
    if n_near < 0 or n_far < 0 or n_near + n_far < 1:
        raise ConfigError(
            f"need n_near, n_far >= 0 and at least one source in all, got "
            f"n_near={n_near}, n_far={n_far}",
            key="sources",
        )
    if seed < 0:
        raise ConfigError(f"seed must be >= 0, got {seed}", key="seed")
    if convention not in WRITE_CONVENTIONS:
        raise ConfigError(
            f"convention must be one of {', '.join(WRITE_CONVENTIONS)}, got {convention!r}",
            key="convention",
        )
    out = Path(out_dir)
    cfg = replace(SynthConfig.default() if cfg is None else cfg, room_preset=inline_rooms(rooms))
    check_rooms(cfg)
    remove = plan_brirs_output(out, overwrite=overwrite)
    layouts = [
        draw_room_layout(cfg, seed=seed, index=i, n_near=n_near, n_far=n_far)
        for i in range(n_rooms)
    ]
    if len(cfg.hrir.sources) != 1:
        raise ConfigError(
            f"BRIRs are rendered through one HRIR set; hrir.sofa lists {len(cfg.hrir.sources)}",
            key="hrir.sofa",
        )
    hrirset = prepared_hrirset(
        cfg.hrir.sources[0],
        nearfield=bool(cfg.hrir.nearfield),
        sample_rate=cfg.sample_rate,
        calibration=cfg.hrir.calibration,
        band_hz=cfg.hrir.calibration_band_hz,
    )
    try:
        for p in remove:
            p.unlink(missing_ok=True)
        if out.is_dir():
            remove_stale_temporaries(out)
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot prepare ({os_reason(exc)})") from exc
    files = []
    for i, layout in enumerate(tqdm(layouts, desc="brirs", unit="room", disable=not progress)):
        files.append(
            _write_room(
                out,
                room_stem(i, n_rooms),
                layout,
                cfg=cfg,
                hrirset=hrirset,
                seed=seed,
                index=i,
                convention=convention,
            )
        )
    index = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "bindata_version": __version__,
        "seed": int(seed),
        "n_rooms": n_rooms,
        "n_near": n_near,
        "n_far": n_far,
        "convention": convention,
        "config": cfg.to_json(),
        "files": files,
    }
    write_json(out / INDEX, index)
    return index


def write_brir_sofa(
    path,
    *,
    ir,
    sample_rate: int,
    listener_m,
    yaw_deg: float,
    emitters_m,
    title: str,
    room_description: str = "",
    dimensions_m=None,
    convention: str = WRITE_CONVENTIONS[0],
    emitter_views=None,
    emitter_ups=None,
) -> None:
    """Write one room's BRIRs as ``SingleRoomMIMOSRIR`` or ``MultiSpeakerBRIR`` (M = 1),
    atomically.

    Parameters
    ----------
    ir : ndarray, (E, 2, N)
        Left and right ear responses per emitter, sample 0 = emission time.
    listener_m, yaw_deg
        Listener position (room frame) and yaw; view ``(cos yaw, sin yaw, 0)``, up +z.
    emitters_m : ndarray, (E, 3)
        Emitter positions in the room frame (``SourcePosition`` = origin, cartesian).
    dimensions_m : (float, float, float), optional
        A box room's size: ``RoomCornerA`` = origin, ``RoomCornerB`` = the far corner and
        ``RoomVolume`` (``SingleRoomMIMOSRIR``); unknown (a measured room) when None.
    convention : str
        One of :data:`WRITE_CONVENTIONS` (module docstring).
    emitter_views, emitter_ups : ndarray (E, 3), optional
        The emitters' axes and up vectors (room frame; ``EmitterView``, ``EmitterUp``), both
        or neither; default +x and +z for every emitter.
    """
    if convention not in WRITE_CONVENTIONS:
        raise ConfigError(
            f"convention must be one of {', '.join(WRITE_CONVENTIONS)}, got {convention!r}",
            key="convention",
        )
    path = Path(path)
    sofa = _mimo_sofa(
        np.asarray(ir, dtype=float),
        sample_rate=sample_rate,
        listener_m=listener_m,
        yaw_deg=yaw_deg,
        emitters_m=emitters_m,
        dimensions_m=dimensions_m,
        views=emitter_views,
        ups=emitter_ups,
    )
    sofa.GLOBAL_Title, sofa.GLOBAL_ApplicationName = title, "bindata"
    sofa.GLOBAL_ApplicationVersion = __version__
    sofa.GLOBAL_RoomDescription = room_description or title
    sofa.GLOBAL_Comment = (
        "Rendered by bindata. Sample 0 is the emission time (Data.Delay 0); "
        "receiver 1 is the left ear; positions in the room frame (metres, "
        "origin at a floor corner, z up)."
    )
    raw = temporary_name(path.with_name(path.stem + ".raw.sofa"))
    old = temporary_name(path.with_name(path.stem + ".old.sofa"))
    try:
        with atomic_path(path) as tmp:
            try:
                _public_write(sofa, raw, path)
                if convention == "MultiSpeakerBRIR":
                    _as_multispeaker(raw, old)
                _rechunked_copy(old if convention == "MultiSpeakerBRIR" else raw, tmp)
            except RuntimeError as exc:  # netCDF/HDF5 report some OS failures this way
                raise OutputError(f"{path}: cannot write ({exc})") from None
    finally:
        for p in (raw, old):
            with contextlib.suppress(OSError):
                p.unlink(missing_ok=True)


def _mimo_sofa(
    ir, *, sample_rate, listener_m, yaw_deg, emitters_m, dimensions_m, views=None, ups=None
):
    """The ``SingleRoomMIMOSRIR`` object of one room (sofar's public API)."""
    import sofar  # deferred: sofar loads netCDF4 and its conventions (only brirs writes BRIRs)

    n_emitters = ir.shape[0]
    yaw = math.radians(float(yaw_deg))
    sofa = sofar.Sofa("SingleRoomMIMOSRIR")
    sofa.Data_IR = np.moveaxis(ir, 0, -1)[None]  # (E, R, N) -> (1, R, N, E)
    sofa.Data_SamplingRate = float(sample_rate)
    sofa.Data_Delay = np.zeros((1, 2, n_emitters))
    sofa.ListenerPosition = np.asarray(listener_m, dtype=float).reshape(1, 3)
    sofa.ListenerView = np.array([[math.cos(yaw), math.sin(yaw), 0.0]])
    sofa.ListenerUp = np.array([[0.0, 0.0, 1.0]])
    sofa.ReceiverPosition = np.array([[0.0, HEAD_RADIUS_M, 0.0], [0.0, -HEAD_RADIUS_M, 0.0]])
    sofa.ReceiverPosition_Type, sofa.ReceiverPosition_Units = "cartesian", "metre"
    sofa.SourcePosition = np.zeros((1, 3))
    sofa.SourcePosition_Type, sofa.SourcePosition_Units = "cartesian", "metre"
    sofa.EmitterPosition = np.asarray(emitters_m, dtype=float).reshape(-1, 3)
    sofa.EmitterPosition_Type, sofa.EmitterPosition_Units = "cartesian", "metre"
    if views is None:
        views, ups = (
            np.tile([1.0, 0.0, 0.0], (n_emitters, 1)),
            np.tile([0.0, 0.0, 1.0], (n_emitters, 1)),
        )
    sofa.EmitterUp = np.asarray(ups, dtype=float).reshape(-1, 3)
    sofa.EmitterView = np.asarray(views, dtype=float).reshape(-1, 3)
    sofa.EmitterView_Type, sofa.EmitterView_Units = "cartesian", "metre"
    # optional R- and E-dependent descriptions and receiver orientations: none here
    for name in ("ReceiverDescriptions", "ReceiverView", "ReceiverUp", "EmitterDescriptions"):
        sofa.delete(name)
    if dimensions_m is not None:
        dims = np.asarray(dimensions_m, dtype=float).reshape(1, 3)
        sofa.GLOBAL_RoomType = "shoebox"
        sofa.RoomCornerA, sofa.RoomCornerB = np.zeros((1, 3)), dims
        sofa.RoomVolume = float(np.prod(dims))
    else:
        # a room of unknown geometry (a measured one): AES69's general room type
        # "reverberant" (with GLOBAL_RoomDescription, which sofar's checks require), no
        # corners, no volume; the convention's comment names shoebox and dae only, which
        # both need a geometry this room does not have
        sofa.GLOBAL_RoomType = "reverberant"
        for name in ("RoomCornerA", "RoomCornerB", "RoomCorners", "RoomVolume"):
            sofa.delete(name)
    return sofa


def _public_write(sofa, raw: Path, path: Path) -> None:
    """``sofar.write_sofa`` (which verifies the object first); a failed check names ``path``."""
    import sofar

    try:
        sofar.write_sofa(str(raw), sofa, compression=0)
    except ValueError as exc:  # sofar's verification
        lines = [ln.strip("- ") for ln in str(exc).splitlines() if ln.strip("-\n ")]
        raise HRIRError(
            f"{path}: the BRIRs do not verify as SingleRoomMIMOSRIR: {' '.join(lines)}"
        ) from None


def _as_multispeaker(src: Path, dst: Path) -> None:
    """Rewrite a ``SingleRoomMIMOSRIR`` file as ``MultiSpeakerBRIR`` 0.3 (module docstring)."""
    from netCDF4 import Dataset

    with Dataset(src) as a, Dataset(dst, "w", format="NETCDF4") as b:
        a.set_auto_maskandscale(False)
        a.set_auto_chartostring(False)
        attrs = {k: a.getncattr(k) for k in a.ncattrs()}
        attrs.update(
            Version="1.0",
            SOFAConventions="MultiSpeakerBRIR",
            SOFAConventionsVersion="0.3",
            DataType="FIRE",
            RoomType="reverberant",
        )
        b.setncatts(attrs)
        for name, dim in a.dimensions.items():
            b.createDimension(name, len(dim))
        for name in _MULTISPEAKER_VARIABLES:
            if name not in a.variables:
                continue
            var = a.variables[name]
            dims, data = var.dimensions, var[:]
            if name == "Data.IR":  # (M, R, N, E) -> (M, R, E, N)
                dims, data = ("M", "R", "E", "N"), np.moveaxis(np.asarray(data), 3, 2)
            out = b.createVariable(name, var.datatype, dims)
            out.setncatts({k: var.getncattr(k) for k in var.ncattrs()})
            out[:] = data


__all__ = [
    "INDEX",
    "WRITE_CONVENTIONS",
    "draw_room_layout",
    "plan_brirs_output",
    "rt60_target_s",
    "write_brir_sofa",
    "write_brirs",
]
