"""``bindata synth``: sample, render, mix and write a dataset; ``bindata regen`` for one scene.

The entry points are :func:`synth_config` (the checked config of a run, from a file and
options), :func:`synthesize` (a whole dataset from such a config) and :func:`render_scene_file`
(re-render one file from its scene JSON, byte for byte). ``bindata.synthesize`` and ``bindata
synth`` both call the first two, so they write the same bytes for the same config and seed;
``bindata.Synthesizer`` draws and renders single files with :func:`draw_scene` and
:func:`render_scene`, exactly as :func:`synthesize` does.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm.auto import tqdm

from .. import __version__
from ..config import OPTIONS, SynthConfig, load_config, option_overrides
from ..dataset.output import (
    OutputLock,
    apply_output,
    check_unlocked,
    discard_unused_layout,
    file_record,
    finished_record,
    plan_output,
    removed_note,
)
from ..dataset.reader import load_scene
from ..errors import AmbienceError, BindataError, ConfigError, InterruptedRun, SceneError
from ..events import open_event_library
from ..hrir.registry import is_model
from ..io import (
    FORMAT,
    FORMAT_VERSION,
    write_bytes,
    write_manifest,
    write_text,
)
from ..io.atomic import json_text
from ..io.layout import paths_of
from ..render.ambience import open_ambience_folder
from ..render.drr import WINDOW_S as DRR_WINDOW_S
from ..rooms.acoustics import OCTAVE_BANDS_HZ
from ..rooms.mix import check_rooms, inline_rooms, room_kinds
from ..scene.folds import file_stem
from ..scene.labels import rows_to_csv_text, scene_rows
from ..scene.motion import check_motion_allowed
from ..scene.radiation import check_directivity_allowed
from ..scene.sample import sample_scene
from ..scene.spec import Scene
from .dask_backend import close_client, connect
from .heads import HeadSet, head_set, load_head
from .mix import event_drr, mix_scene, to_pcm16
from .parallel import map_ordered

#: Most scenes one pre-draw task samples (a few hundred milliseconds).
DRAW_SPAN = 64


def synth_config(
    config=None, *, options: dict | None = None, names: dict[str, str] | None = None
) -> SynthConfig:
    """The checked configuration of a run: the defaults, updated by ``config``, updated by
    ``options``; a room preset given as a file is inlined.

    Inlining the preset (:func:`bindata.rooms.mix.inline_rooms`) makes the manifest hold
    it, so that Dask workers need not read the file and the dataset records what it used.

    Parameters
    ----------
    config : path-like, dict or SynthConfig, optional
        A JSON or TOML config file, such a dict, or a typed config
        (:func:`bindata.config.load_config`).
    options : dict, optional
        Library option -> value: :data:`bindata.config.OPTIONS` names or dotted config keys;
        ``None`` values are not given.
    names : dict, optional
        Option -> the name the user typed for it (the CLI's flags), for error messages;
        default: the option's own name.

    Returns
    -------
    SynthConfig

    Raises
    ------
    ConfigError
        An unknown option, or every problem of the configuration, each naming its source.

    Examples
    --------
    >>> from bindata.synth import synth_config
    >>> cfg = synth_config(options={"n_files": 8, "moving": 0.5, "rt60_s": (0.3, 0.5)})
    >>> cfg.n_files, cfg.motion.moving_fraction, cfg.room.rt60_s
    (8, 0.5, (0.3, 0.5))
    >>> cfg.to_json()["room"]["rt60_s"]  # as the manifest records it
    [0.3, 0.5]
    """
    options, names = options or {}, names or {}
    overrides = option_overrides(options)
    typed = {
        OPTIONS.get(name, name): names.get(name, name)
        for name, value in options.items()
        if value is not None
    }
    cfg = load_config(config, overrides=overrides, flag_names=typed)
    return replace(cfg, room_preset=inline_rooms(cfg.room_preset))


def load_resources(
    hrir_spec: str,
    nearfield: bool,
    library_spec: str,
    sample_rate: int,
    hrir_calibration: str,
    *,
    band_hz=None,
    parameters: dict | None = None,
):
    """HRIR set and event library of a run with one head, loaded once per process.

    ``hrir_calibration`` is the HRIR level (:mod:`bindata.hrir.calibration`): ``"reference"``,
    ``"diffuse"``, ``"equalised"`` or ``"raw"``. It has no default: a config says which
    (:func:`resources_for_config`, default ``"reference"``), and so does a scene
    (:func:`resources_for_scene`; ``"raw"`` for scenes written before the option existed).
    ``band_hz`` and ``parameters`` are the calibration band and a model head's parameters
    (:func:`bindata.synth.heads.load_head`).
    Returns ``(hrirset, library, record)`` where ``record`` is what scenes store about both.
    """
    hrirset, hrir_record = load_head(
        hrir_spec,
        nearfield=nearfield,
        sample_rate=sample_rate,
        calibration=hrir_calibration,
        band_hz=band_hz,
        parameters=parameters,
    )
    library, library_record = load_library(library_spec, sample_rate)
    return hrirset, library, {"hrir": dict(hrir_record), "event_library": dict(library_record)}


@lru_cache(maxsize=4)
def load_library(library_spec: str, sample_rate: int):
    """The event library of a run, loaded once per process: ``(library, record)``."""
    library = open_event_library(
        None if library_spec == "builtin" else library_spec, sample_rate=sample_rate
    )
    record = {"spec": library_spec, "kind": library.kind, "classes": list(library.classes)}
    return library, record


def resources_for_config(cfg: SynthConfig):
    """The HRIR set(s) and event library of a run's config: ``(hrirset, library, record)``.

    With one head and nothing drawn (the default), ``hrirset`` is that head's
    :class:`~bindata.hrir.HRIRSet` and ``record`` holds what every scene stores about it and the
    library (:func:`load_resources`). With several heads or a drawn head parameter (config
    ``hrir``, docs/hrir.md), ``hrirset`` is the run's :class:`~bindata.synth.heads.HeadSet`
    (each head loaded when first drawn; :func:`render_scene` takes the scene's),
    ``record["heads"]`` is the same object (the sampler draws from it) and ``record["hrir"]``
    what the manifest records about the heads.
    """
    heads = head_set(cfg)
    if not heads.varies:
        hrir = cfg.hrir
        return load_resources(
            heads.heads[0].spec,
            bool(hrir.nearfield),
            str(cfg.events.library),
            int(cfg.sample_rate),
            str(hrir.calibration),
            band_hz=hrir.calibration_band_hz,
        )
    library, library_record = load_library(str(cfg.events.library), int(cfg.sample_rate))
    record = {
        "hrir": heads.manifest_record(),
        "event_library": dict(library_record),
        "heads": heads,
    }
    return heads, library, record


def resources_for_scene(scene: Scene, *, hrir: str | None = None, library: str | None = None):
    """:func:`load_resources` of a scene (``hrir`` / ``library`` replace its specs: the same
    files at another path): ``(hrirset, library, record)``.

    A scene without ``hrir.calibration`` was written before the option existed, with the HRIR
    set as stored: ``"raw"``.
    """
    record = scene.hrir
    return load_resources(
        hrir or record.source,
        bool(record.nearfield),
        library or scene.event_library.source,
        int(scene.sample_rate),
        str("raw" if record.calibration is None else record.calibration),
        band_hz=record.calibration_band_hz,
        parameters=record.parameters,
    )


def scene_hrirset(scene: Scene, hrirset):
    """The HRIR set that renders ``scene``: ``hrirset``, or the scene's head of a run's
    :class:`~bindata.synth.heads.HeadSet` (:meth:`~bindata.synth.heads.HeadSet.hrirset_of`)."""
    return hrirset.hrirset_of(scene.hrir) if isinstance(hrirset, HeadSet) else hrirset


def render_scene(scene: Scene, *, library, hrirset) -> tuple[np.ndarray, str, dict]:
    """Audio (int16, (n, 2)), metadata CSV text and render info of a scene.

    ``hrirset`` is an HRIR set, or a run's :class:`~bindata.synth.heads.HeadSet` (several
    heads: the scene's is taken, :meth:`~bindata.synth.heads.HeadSet.hrirset_of`).
    """
    mix, info = mix_scene(scene, library=library, hrirset=scene_hrirset(scene, hrirset))
    pcm, gain = to_pcm16(mix, peak_dbfs=scene.mix.peak_dbfs)
    info["mix_gain"] = gain
    return pcm, rows_to_csv_text(scene_rows(scene)), info


def draw_scene(cfg: SynthConfig, *, seed: int, index: int, library, record: dict) -> Scene:
    """The scene of file ``index`` of a run, as :func:`synthesize` draws and writes it
    (``library`` and ``record`` from :func:`resources_for_config`)."""
    return sample_scene(cfg, seed=seed, file_index=index, library=library, resources=record)


class _SceneCheck:
    """Picklable pre-draw job: sample the scenes of files ``range(*span)``; nothing is written.

    Returns ``None``, or ``(index, message)`` of the first file whose scene cannot be drawn.
    """

    def __init__(self, cfg: SynthConfig, seed: int):
        self.cfg, self.seed = cfg, seed

    def __call__(self, span: tuple[int, int]):
        _, library, record = resources_for_config(self.cfg)
        for index in range(*span):
            try:
                draw_scene(self.cfg, seed=self.seed, index=index, library=library, record=record)
            except SceneError as exc:
                return index, str(exc)
        return None


class _FileJob:
    """Picklable per-file job: draw the scene of file ``index``, render and write its files.

    With ``resume``, an item already complete on disk
    (:func:`bindata.dataset.output.finished_record`) is kept as it is. The scene is drawn again from the file's own seed, so it is the one the
    pre-draw checked, in any process.
    """

    def __init__(self, cfg: SynthConfig, seed: int, out_dir: str, *, resume: bool = False):
        self.cfg, self.seed, self.out_dir, self.resume = cfg, seed, out_dir, resume

    def __call__(self, index: int) -> dict:
        cfg = self.cfg
        hrirset, library, record = resources_for_config(cfg)
        scene = draw_scene(cfg, seed=self.seed, index=index, library=library, record=record)
        stem, scene_text = scene.stem, json_text(scene.to_json())
        csv_text = rows_to_csv_text(scene_rows(scene))
        if self.resume:
            expected = {"scene": scene_text.encode("utf-8"), "metadata": csv_text.encode("utf-8")}
            n_frames = int(round(scene.duration_s * scene.sample_rate))  # as the mix
            done = finished_record(self.out_dir, stem, expected=expected, n_frames=n_frames)
            if done is not None:  # its DRRs from its BRIRs, rendered again
                head = scene_hrirset(scene, hrirset)
                drr = [event_drr(scene, ev, head) for ev in scene.events]
                return {**done, "fold": scene.fold, "file_index": index, "drr": drr}
        pcm, csv_text, info = render_scene(scene, library=library, hrirset=hrirset)
        p = paths_of(self.out_dir, stem)
        write_bytes(p["audio"], wav_bytes(pcm, scene.sample_rate))
        write_text(p["metadata"], csv_text)
        write_text(p["scene"], scene_text)  # last: its presence marks the item finished
        record = file_record(self.out_dir, stem)
        return {**record, "fold": scene.fold, "file_index": index, "drr": info["drr"]}


def _spans(n: int, span: int = DRAW_SPAN) -> list[tuple[int, int]]:
    return [(lo, min(n, lo + span)) for lo in range(0, n, span)]


def check_scenes(cfg: SynthConfig, *, seed: int, jobs: int = 1, scheduler=None) -> None:
    """Draw the scene of every file (sampling only, nothing written) and stop at the first that
    cannot be drawn.

    Raises
    ------
    SceneError
        Naming the first file (index and stem) whose scene breaks a sampling rule, and the rule.
    """
    check = _SceneCheck(cfg, int(seed))
    for failure in map_ordered(check, _spans(cfg.n_files), jobs=jobs, scheduler=scheduler):
        if failure is not None:
            index, message = failure
            stem = file_stem(index, n_files=cfg.n_files, n_folds=cfg.n_folds)
            message = message.removeprefix(f"file {index}: ")
            raise SceneError(
                f"file index {index} ({stem}): cannot draw its scene: {message}; the "
                "configuration cannot be synthesized as it is and nothing was written"
            )


def synthesize(
    cfg: SynthConfig,
    out_dir: str | os.PathLike,
    *,
    seed: int,
    jobs: int = 1,
    overwrite: bool = False,
    resume: bool = False,
    scheduler=None,
    connect_timeout_s: float | None = None,
    progress: bool = True,
) -> dict:
    """Synthesize a dataset of ``cfg.n_files`` files into ``out_dir``; returns the manifest.

    ``cfg`` is a checked config (:func:`synth_config`; a room preset given as a file is
    inlined here too); the manifest and the run marker record its JSON object. Everything is checked before the output folder is touched: the seed, the
    output folder (:func:`bindata.dataset.output.plan_output`, its lock), the HRIR set and event
    library (loaded), the Dask scheduler (reached within ``connect_timeout_s``, its workers'
    versions checked) and the scene of every file (:func:`check_scenes`). Only then is the
    folder locked (:class:`bindata.dataset.output.OutputLock`), cleared (``overwrite``: only what
    bindata wrote there) and written. The same ``cfg`` and ``seed`` give the same bytes whatever ``jobs`` or
    ``scheduler``, and a resumed run gives the bytes of an uninterrupted one.

    Raises
    ------
    InterruptedRun
        Ctrl-C; ``done`` of ``total`` files were finished (the run can be resumed).
    BindataError
        Any check or write failed; after an overwrite the message lists what was removed.
    """
    if not isinstance(cfg, SynthConfig):
        raise ConfigError(
            f"cfg must be a checked SynthConfig (bindata.synth.synth_config), got "
            f"{type(cfg).__name__}",
            key="cfg",
        )
    if seed < 0:
        raise ConfigError(f"seed must be >= 0, got {seed}", key="seed")
    if jobs == 0 or jobs < -1:
        raise ConfigError(f"jobs must be >= 1 or -1 (all cores), got {jobs}", key="jobs")
    out = Path(out_dir)
    # a preset file's content, as synth_config records it
    cfg = replace(cfg, room_preset=inline_rooms(cfg.room_preset))
    run_record = {"bindata_version": __version__, "config": cfg.to_json(), "seed": int(seed)}
    try:
        plan_output(out, run_record=run_record, overwrite=overwrite, resume=resume)
        check_unlocked(out)
        _, library, record = resources_for_config(cfg)
        check_scene_options(cfg)  # the room preset, motion and ambience, before writing
        client = _connect(scheduler, connect_timeout_s)
    except KeyboardInterrupt:
        raise InterruptedRun("interrupted before anything was written") from None
    try:
        try:
            check_scenes(cfg, seed=seed, jobs=jobs, scheduler=client)
        except KeyboardInterrupt:
            raise InterruptedRun("interrupted before anything was written") from None
        manifest = _write_dataset(
            cfg,
            out,
            run_record,
            seed=int(seed),
            jobs=jobs,
            client=client,
            overwrite=overwrite,
            resume=resume,
            progress=progress,
            library=library,
            record=record,
        )
    finally:
        if client is not None and client is not scheduler:
            _close_quietly(client)
    return manifest


def check_scene_options(cfg: SynthConfig) -> None:
    """The room preset (every entry of a room mix) loads, its kind can render the motion and
    source directivity asked for (a measured directivity loads), a mix serves every band, and an
    ambience folder holds usable recordings (:class:`~bindata.errors.ConfigError` /
    ``AmbienceError``)."""
    check_rooms(cfg)
    for kind in room_kinds(cfg):
        check_motion_allowed(cfg, kind)
        check_directivity_allowed(cfg, kind)
    amb = cfg.ambience
    if amb.snr_db is not None and amb.source != "diffuse":
        try:
            open_ambience_folder(amb.source)
        except AmbienceError as exc:
            raise AmbienceError(f"ambience.source: {exc}", key="ambience.source") from None


def _write_dataset(
    cfg, out: Path, run_record, *, seed, jobs, client, overwrite, resume, progress, library, record
) -> dict:
    """Lock, prepare and write the output folder (every check has passed)."""
    existed, discarded = out.exists(), False
    try:
        with OutputLock(out):
            plan = plan_output(out, run_record=run_record, overwrite=overwrite, resume=resume)
            try:
                removed = apply_output(plan)
                note = removed_note(out, removed) if plan.mode == "overwrite" else ""
                try:
                    files = _render_all(
                        cfg,
                        out,
                        seed=seed,
                        jobs=jobs,
                        client=client,
                        resume=plan.mode == "resume",
                        progress=progress,
                    )
                    manifest = _manifest(cfg, seed, library, record, files)
                    write_manifest(out, manifest)
                except BindataError as exc:
                    if note:
                        exc.args = (f"{exc}{note}",)
                    raise
            except BaseException:
                if plan.mode == "new":  # a new run that finished no file leaves no trace
                    discarded = discard_unused_layout(out, remove_folder=False)
                raise
    finally:
        if discarded and not existed:
            with contextlib.suppress(OSError):
                out.rmdir()
    return manifest


def _connect(scheduler, timeout_s):
    if scheduler is None:
        return None
    return connect(scheduler, timeout_s=timeout_s)


def _close_quietly(client) -> None:
    close_client(client)


def _render_all(cfg, out: Path, *, seed, jobs, client, resume, progress) -> list[dict]:
    n = cfg.n_files
    job = _FileJob(cfg, seed, str(out), resume=resume)
    files = []
    results = map_ordered(job, range(n), jobs=jobs, scheduler=client)
    try:
        for rec in tqdm(results, total=n, desc="synth", unit="file", disable=not progress):
            files.append(rec)
    except KeyboardInterrupt:
        results.close()
        raise InterruptedRun(
            f"interrupted after {len(files)} of {n} files", done=len(files), total=n
        ) from None
    return files


def _manifest(cfg, seed, library, record, files) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "bindata_version": __version__,
        "seed": int(seed),
        "config": cfg.to_json(),
        "classes": list(library.classes),
        "hrir": record["hrir"],
        "event_library": library.describe(),
        "drr": {"window_s": DRR_WINDOW_S, "bands_hz": list(OCTAVE_BANDS_HZ)},
        "files": files,
    }


def render_scene_file(
    scene_path,
    *,
    hrir: str | None = None,
    library: str | None = None,
    ambience: str | None = None,
    directivity: str | None = None,
):
    """Re-render a scene file: (pcm int16 (n, 2), sample_rate, metadata CSV text).

    ``hrir`` / ``library`` / ``ambience`` / ``directivity`` replace the specs (HRIR set, event
    library, folder of a recorded ambience, SOFA file of a measured source directivity) stored
    in the scene: the same files at another path (a changed directivity file is refused by its
    recorded SHA-256, as when the scene is rendered from its own path).

    Raises
    ------
    SceneError
        The scene's HRIR SOFA file or directivity file is not where the scene says (and no
        new path is given): the message names the path and the keyword that gives a new one.
    """
    scene = load_scene(scene_path)
    if ambience is not None and (scene.ambience or {}).get("kind") == "recorded":
        scene = replace(scene, ambience={**scene.ambience, "folder": str(ambience)})
    if directivity is not None:
        scene = replace(
            scene,
            events=tuple(
                replace(ev, directivity={**ev.directivity, "file": str(directivity)})
                if (ev.directivity or {}).get("pattern") == "sofa"
                else ev
                for ev in scene.events
            ),
        )
    _check_scene_files(scene_path, scene, hrir=hrir)
    hrirset, lib, _ = resources_for_scene(scene, hrir=hrir, library=library)
    pcm, csv_text, _ = render_scene(scene, library=lib, hrirset=hrirset)
    return pcm, int(scene.sample_rate), csv_text


def _check_scene_files(scene_path, scene: Scene, *, hrir) -> None:
    """A :class:`~bindata.errors.SceneError` naming the first file the scene needs that is not
    where it says (an HRIR SOFA file unless ``hrir`` replaces it, a directivity file), and the
    keyword of :func:`render_scene_file` that points at its new place."""
    needed = []
    if hrir is None and not is_model(scene.hrir.source):
        needed.append(("HRIR set", scene.hrir.source, "hrir"))
    files = {ev.directivity["file"] for ev in scene.events if (ev.directivity or {}).get("file")}
    needed += [("directivity file", f, "directivity") for f in sorted(files)]
    for what, path, keyword in needed:
        if not Path(path).is_file():
            raise SceneError(
                f"{scene_path}: the scene's {what} {path} does not exist; if it has moved, give "
                f"its new path ({keyword}=PATH)"
            )


def wav_bytes(pcm: np.ndarray, sample_rate: int) -> bytes:
    """The exact bytes synth writes for ``pcm`` (for regen comparisons)."""
    buf = io.BytesIO()
    sf.write(buf, pcm, sample_rate, subtype="PCM_16", format="WAV")
    return buf.getvalue()
