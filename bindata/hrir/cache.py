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
from .hrirset import HRIRSet
from .sphere import EAR_AZIMUTH_DEG, HEAD_RADIUS_M, SPEED_OF_SOUND
from .structural import StructuralParams

CACHE_ENV = "BINDATA_CACHE_DIR"


def cache_dir() -> Path:
    """The folder holding cached HRIR sets (not created here)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("bindata"))


def _model_parameters(
    model: str, sample_rate: int, radius_m: float, ear_azimuth_deg: float
) -> dict:
    return {
        "model": model,
        "version": MODEL_VERSION,
        "sample_rate": int(sample_rate),
        "distances_m": list(NEAR_DISTANCES_M) + [FAR_FIELD_M],
        "grid_deg": GRID_DEG,
        "n_taps": default_n_taps(int(sample_rate)),
        "radius_m": float(radius_m),
        "ear_azimuth_deg": float(ear_azimuth_deg),
        "speed_of_sound": SPEED_OF_SOUND,
        "delay_s": DELAY_S,
        "structural": repr(StructuralParams()) if model == "structural" else None,
    }


def cache_path(
    *,
    model: str = "structural",
    sample_rate: int = 24000,
    radius_m: float = HEAD_RADIUS_M,
    ear_azimuth_deg: float = EAR_AZIMUTH_DEG,
) -> Path:
    """Where the set of ``model`` at ``sample_rate`` (and this head radius and ear azimuth) is
    cached; the name's hash covers every parameter, so each head has a file of its own."""
    params = _model_parameters(model, sample_rate, radius_m, ear_azimuth_deg)
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


def default_hrirset(
    *,
    sample_rate: int = 24000,
    model: str = "structural",
    radius_m: float = HEAD_RADIUS_M,
    ear_azimuth_deg: float = EAR_AZIMUTH_DEG,
) -> HRIRSet:
    """The built-in model HRIR set (see :mod:`.builtin`), from the cache or built and cached.

    Parameters
    ----------
    sample_rate : int
        Rate in Hz; the model is evaluated at this rate.
    model : {"structural", "sphere"}
        The structural model (default) or the rigid sphere alone.
    radius_m, ear_azimuth_deg : float
        Head radius (m) and azimuth of the left ear (degrees); defaults: 8.75 cm, 100 degrees.
    """
    if model not in MODELS:
        raise HRIRError(f"built-in HRIR model must be one of {', '.join(MODELS)}, got {model!r}")
    radius_m, ear_azimuth_deg = float(radius_m), float(ear_azimuth_deg)
    path = cache_path(
        model=model, sample_rate=sample_rate, radius_m=radius_m, ear_azimuth_deg=ear_azimuth_deg
    )
    if path.exists():
        cached = _read_cache(path)
        if cached is not None:
            return cached
    built = build_model_hrirset(
        model=model,
        sample_rate=int(sample_rate),
        radius_m=radius_m,
        ear_azimuth_deg=ear_azimuth_deg,
    )
    arrays = _to_arrays(built)
    _write_cache(path, arrays)
    return _from_arrays(arrays)
