"""``bindata synth``: sample, render, mix and write a dataset; ``bindata regen`` for one scene.

The library entry points are :func:`synthesize` (a whole dataset) and :func:`render_scene_file`
(re-render one file from its scene JSON, byte for byte).
"""

from __future__ import annotations

import io
import os
from functools import lru_cache

import numpy as np

from . import __version__
from .dataset import (
    FORMAT_VERSION,
    file_record,
    finished_record,
    paths_of,
    prepare_output,
    read_json,
    write_bytes_atomic,
    write_json_atomic,
    write_manifest,
    write_wav_atomic,
)
from .errors import SceneError
from .labels import rows_to_csv_text
from .mixer import mix_scene, scene_rows, to_pcm16
from .parallel import map_ordered
from .resources import require_valid
from .rooms.registry import DEFAULT_PRESET, load_preset
from .scene import file_stem, fold_of, sample_scene


@lru_cache(maxsize=4)
def load_resources(hrir_spec: str, nearfield: bool, library_spec: str, sample_rate: int):
    """HRIR set and event library of a run, loaded once per process.

    Returns ``(hrirset, library, record)`` where ``record`` is what scenes store about both.
    """
    from .events import open_event_library
    from .hrir import load_hrirset, nearfield_from_farfield

    hrirset = load_hrirset(None if hrir_spec == "builtin" else hrir_spec, sample_rate=sample_rate)
    if nearfield:
        hrirset = nearfield_from_farfield(hrirset)
    library = open_event_library(None if library_spec == "builtin" else library_spec,
                                 sample_rate=sample_rate)  # fmt: skip
    record = {
        "hrir": {"spec": hrir_spec, "nearfield": bool(nearfield), "name": hrirset.name,
                 "distances_m": [round(float(d), 4) for d in hrirset.distances]},
        "event_library": {"spec": library_spec, "kind": library.kind,
                          "classes": list(library.classes)},
    }  # fmt: skip
    return hrirset, library, record


def _resources_for(cfg: dict):
    return load_resources(
        str(cfg["hrir"]["sofa"]), bool(cfg["hrir"]["nearfield"]),
        str(cfg["events"]["library"]), int(cfg["sample_rate"]),
    )  # fmt: skip


def render_scene(scene: dict, *, library, hrirset) -> tuple[np.ndarray, str, dict]:
    """Audio (int16, (n, 2)), metadata CSV text and render info of a scene."""
    mix, info = mix_scene(scene, library=library, hrirset=hrirset)
    pcm, gain = to_pcm16(mix, peak_dbfs=scene["mix"]["peak_dbfs"])
    info["mix_gain"] = gain
    return pcm, rows_to_csv_text(scene_rows(scene)), info


def _write_item(out_dir, scene: dict, pcm: np.ndarray, csv_text: str) -> None:
    p = paths_of(out_dir, scene["stem"])
    write_wav_atomic(p["audio"], pcm, scene["sample_rate"])
    write_bytes_atomic(p["metadata"], csv_text.encode("utf-8"))
    write_json_atomic(p["scene"], scene)  # last: its presence marks the item finished


class _FileJob:
    """Picklable per-file job: sample (or resume), render and write file ``index``."""

    def __init__(self, cfg: dict, seed: int, out_dir: str):
        self.cfg, self.seed, self.out_dir = cfg, seed, out_dir

    def __call__(self, index: int) -> dict:
        cfg = self.cfg
        stem = file_stem(index, n_files=cfg["n_files"], n_folds=cfg["n_folds"])
        done = finished_record(self.out_dir, stem)
        if done is not None:
            return {**done, "fold": fold_of(index, n_files=cfg["n_files"], n_folds=cfg["n_folds"]),
                    "file_index": index, "resumed": True}  # fmt: skip
        hrirset, library, record = _resources_for(cfg)
        scene = sample_scene(cfg, seed=self.seed, file_index=index, library=library,
                             resources=record)  # fmt: skip
        pcm, csv_text, _ = render_scene(scene, library=library, hrirset=hrirset)
        _write_item(self.out_dir, scene, pcm, csv_text)
        rec = file_record(self.out_dir, stem)
        return {**rec, "fold": scene["fold"], "file_index": index, "resumed": False}


def synthesize(
    cfg: dict,
    out_dir: str | os.PathLike,
    *,
    seed: int,
    jobs: int = 1,
    overwrite: bool = False,
    resume: bool = False,
    scheduler=None,
    progress: bool = True,
) -> dict:
    """Synthesize a dataset of ``cfg["n_files"]`` files into ``out_dir``; returns the manifest.

    Resources (HRIR set, event library) are loaded, and so checked, before anything is written.
    The same ``cfg`` and ``seed`` give the same bytes whatever ``jobs`` or ``scheduler``.
    ``scheduler`` (a Dask scheduler address or file, a cluster or a client) runs the files on
    Dask; the scheduler is reached, and its workers' bindata version checked, before anything
    is written.
    """
    from tqdm.auto import tqdm

    if seed < 0:
        from .errors import ConfigError

        raise ConfigError(f"--seed must be >= 0, got {seed}")
    _, library, record = _resources_for(cfg)
    load_preset(cfg.get("rooms", DEFAULT_PRESET))  # the room preset, checked before writing
    if scheduler is not None:  # reach it and check the workers before anything is written
        from .dask_backend import connect

        client = connect(scheduler)
    else:
        client = None
    try:
        run_record = {"bindata_version": __version__, "config": cfg, "seed": int(seed)}
        prepare_output(out_dir, run_record=run_record, overwrite=overwrite, resume=resume)
        job = _FileJob(cfg, int(seed), str(out_dir))
        files = []
        results = map_ordered(job, range(cfg["n_files"]), jobs=jobs, scheduler=client)
        bar = tqdm(results, total=cfg["n_files"], desc="synth", unit="file", disable=not progress)
        for rec in bar:
            rec.pop("resumed")
            files.append(rec)
    finally:
        if client is not None and client is not scheduler:
            client.close()
    manifest = {
        "format": "bindata-dataset",
        "format_version": FORMAT_VERSION,
        "bindata_version": __version__,
        "seed": int(seed),
        "config": cfg,
        "classes": list(library.classes),
        "hrir": record["hrir"],
        "event_library": library.describe(),
        "files": files,
    }
    write_manifest(out_dir, manifest)
    return manifest


def load_scene(path: str | os.PathLike) -> dict:
    """Read and validate a scene JSON."""
    scene = read_json(path)
    require_valid(scene, "scene", what=str(path), error=SceneError)
    return scene


def render_scene_file(scene_path, *, hrir: str | None = None, library: str | None = None):
    """Re-render a scene file: (pcm int16 (n, 2), sample_rate, metadata CSV text).

    ``hrir`` / ``library`` replace the specs stored in the scene (same set at another path).
    """
    scene = load_scene(scene_path)
    hrirset, lib, _ = load_resources(
        hrir or scene["hrir"]["spec"], bool(scene["hrir"].get("nearfield", False)),
        library or scene["event_library"]["spec"], int(scene["sample_rate"]),
    )  # fmt: skip
    pcm, csv_text, _ = render_scene(scene, library=lib, hrirset=hrirset)
    return pcm, int(scene["sample_rate"]), csv_text


def wav_bytes(pcm: np.ndarray, sample_rate: int) -> bytes:
    """The exact bytes synth writes for ``pcm`` (for regen comparisons)."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, pcm, sample_rate, subtype="PCM_16", format="WAV")
    return buf.getvalue()


__all__ = ["synthesize", "render_scene", "render_scene_file", "load_scene", "load_resources",
           "wav_bytes"]  # fmt: skip
