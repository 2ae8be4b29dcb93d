"""The default HRIR set: the built-in model, computed once and cached on disk.

The cache folder is ``$BINDATA_CACHE_DIR`` when set, else ``platformdirs.user_cache_dir("bindata")``.
A cached set is an ``.npz`` named by model, model version, sample rate and a hash of every
parameter, so a new model version or option never reads a stale file. It is written to a temporary
name and renamed by :func:`bindata.io.atomic_path` (concurrent workers never see a partial file);
an unreadable cache file is rebuilt; an unwritable cache folder only costs the rebuild.

The set returned after building is the one read back from the cache (responses rounded to
float32 either way), so a fresh build and a cached load give identical arrays and renders.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from ..errors import HRIRError, OutputError
from ..io import atomic_path, sha256_json
from .builtin import (
    DELAY_S,
    FAR_FIELD_M,
    GRID_DEG,
    MODEL_VERSION,
    MODELS,
    NEAR_DISTANCES_M,
    build_model_hrirset,
    default_n_taps,
)
from .calibration import calibrate
from .hrirset import CALIBRATIONS, HRIRSet
from .sofa_io import load_sofa
from .sphere import EAR_AZIMUTH_DEG, HEAD_RADIUS_M, SPEED_OF_SOUND
from .structural import StructuralParams

CACHE_ENV = "BINDATA_CACHE_DIR"
BUILTIN_SPECS = ("builtin", "builtin:structural", "builtin:sphere")


def cache_dir() -> Path:
    """The folder holding cached HRIR sets (not created here)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("bindata"))


def _model_parameters(model: str, sample_rate: int) -> dict:
    return {
        "model": model,
        "version": MODEL_VERSION,
        "sample_rate": int(sample_rate),
        "distances_m": list(NEAR_DISTANCES_M) + [FAR_FIELD_M],
        "grid_deg": GRID_DEG,
        "n_taps": default_n_taps(int(sample_rate)),
        "radius_m": HEAD_RADIUS_M,
        "ear_azimuth_deg": EAR_AZIMUTH_DEG,
        "speed_of_sound": SPEED_OF_SOUND,
        "delay_s": DELAY_S,
        "structural": repr(StructuralParams()) if model == "structural" else None,
    }


def cache_path(*, model: str = "structural", sample_rate: int = 24000) -> Path:
    """Where the default set of ``model`` at ``sample_rate`` is cached."""
    params = _model_parameters(model, sample_rate)
    digest = sha256_json(params, length=12)
    name = f"hrir-{model}-v{MODEL_VERSION}-{int(sample_rate)}hz-{digest}.npz"
    return cache_dir() / name


def _to_arrays(hrirset: HRIRSet) -> dict:
    return {
        "azimuth_deg": hrirset.azimuth_deg,
        "elevation_deg": hrirset.elevation_deg,
        "distance_m": hrirset.distance_m,
        "ir": hrirset.ir.astype(np.float32),
        "sample_rate": np.int64(hrirset.sample_rate),
        "delay_samples": np.float64(hrirset.delay_samples),
        "name": np.str_(hrirset.name),
    }


def _from_arrays(arrays) -> HRIRSet:
    return HRIRSet(
        arrays["azimuth_deg"],
        arrays["elevation_deg"],
        arrays["distance_m"],
        arrays["ir"],
        int(arrays["sample_rate"]),
        delay_samples=float(arrays["delay_samples"]),
        name=str(arrays["name"]),
    )


def _read_cache(path: Path) -> HRIRSet | None:
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return _from_arrays(arrays)
    except (OSError, ValueError, KeyError, HRIRError, zipfile.BadZipFile):
        return None


def _write_cache(path: Path, arrays: dict) -> None:
    """Write the cache file atomically; an unwritable cache folder only costs the rebuild."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    except (OSError, OutputError):
        pass


def default_hrirset(*, sample_rate: int = 24000, model: str = "structural") -> HRIRSet:
    """The built-in model HRIR set (see :mod:`.builtin`), from the cache or built and cached.

    Parameters
    ----------
    sample_rate : int
        Rate in Hz; the model is evaluated at this rate.
    model : {"structural", "sphere"}
        The structural model (default) or the rigid sphere alone.
    """
    if model not in MODELS:
        raise HRIRError(f"built-in HRIR model must be one of {', '.join(MODELS)}, got {model!r}")
    path = cache_path(model=model, sample_rate=sample_rate)
    if path.exists():
        cached = _read_cache(path)
        if cached is not None:
            return cached
    arrays = _to_arrays(build_model_hrirset(model=model, sample_rate=int(sample_rate)))
    _write_cache(path, arrays)
    return _from_arrays(arrays)


def load_hrirset(
    spec: str | None, *, sample_rate: int = 24000, calibration: str = "reference"
) -> HRIRSet:
    """The HRIR set named by ``spec``, at ``sample_rate`` and the level ``calibration``.

    ``None`` or ``"builtin"`` give :func:`default_hrirset` (``"builtin:sphere"``: the sphere-only
    model); anything else is a SOFA file path read by :func:`.sofa_io.load_sofa`. A set measured at
    one distance stays single-shell (see :func:`.nearfield.nearfield_from_farfield`).

    ``calibration="reference"`` (the default) scales the set to the level reference of
    :mod:`.calibration` (frontal far field, 250 Hz-2 kHz, 0 dB re the free field at the head
    centre); the gain applied is ``calibration_gain_db`` of the result (and of its
    :meth:`~.hrirset.HRIRSet.describe`). ``"raw"`` keeps the level as stored.
    """
    if calibration not in CALIBRATIONS:
        raise HRIRError(
            f"HRIR calibration must be one of {', '.join(CALIBRATIONS)}, got {calibration!r}"
        )
    if spec is None or str(spec) in BUILTIN_SPECS:
        model = "structural" if spec is None else (str(spec).partition(":")[2] or "structural")
        hrirset = default_hrirset(sample_rate=sample_rate, model=model)
    else:
        hrirset = load_sofa(spec, sample_rate=sample_rate)
    return calibrate(hrirset, calibration)
