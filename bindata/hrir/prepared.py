"""A head ready to render: :func:`~.loading.load_hrirset` and near-field shells, a SOFA file's
result cached on disk.

Reading a SOFA head takes a second or more per process (sofar and netCDF, the checks of every
response at each step, resampling, calibration, and for a single-distance set the near-field
synthesis of :mod:`.nearfield`), and every worker process of every run repeats it. A SOFA file's
prepared set is therefore kept in the cache folder (:mod:`.diskcache`, ``head-*.npz``), named by
a hash of

* the file's SHA-256 and name (a changed file is another file; the name is the set's name),
* the options (sample rate, level calibration and its band, near field),
* :data:`PREPARED_VERSION`, the bytes of the source of every module the preparation runs
  (:data:`PIPELINE_MODULES`) and the versions of numpy, scipy and sofar,

so that no change of the file, the options or the code computing the set ever reads a stale
file. The responses are stored as they are (float64) and the set read back is the one
prepared, array for array (:func:`~.cache.set_from_arrays`), so a cached load renders the same
bytes as a fresh preparation. HRIR models
(built in or installed) are not cached here: the built-in ones have their own cache
(:func:`~.cache.default_hrirset`), and an installed model's code is not bindata's to hash.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np

from ..io import sha256_bytes, sha256_file, sha256_json
from .cache import set_from_arrays, set_to_arrays
from .calibration import REFERENCE_BAND_HZ
from .diskcache import cache_dir, read_arrays, write_arrays
from .hrirset import HRIRSet
from .loading import load_hrirset
from .nearfield import nearfield_from_farfield
from .registry import is_model

#: Version of the cached layout; part of every file's name.
PREPARED_VERSION = 1
#: Modules whose code makes a prepared set (their source is part of the cache key).
PIPELINE_MODULES = (
    "bindata.geometry",
    "bindata.resample",
    "bindata.hrir.alignment",
    "bindata.hrir.builtin",
    "bindata.hrir.cache",
    "bindata.hrir.calibration",
    "bindata.hrir.hrirset",
    "bindata.hrir.loading",
    "bindata.hrir.nearfield",
    "bindata.hrir.prepared",
    "bindata.hrir.sofa_io",
    "bindata.hrir.sphere",
    "bindata.hrir.structural",
)


@cache
def _code_key() -> str:
    """Hash of the pipeline's source and of the numeric libraries' versions."""
    import scipy

    parts = {}
    for name in PIPELINE_MODULES:
        origin = importlib.util.find_spec(name).origin
        parts[name] = sha256_bytes(Path(origin).read_bytes())
    try:
        from importlib.metadata import version

        sofar = version("sofar")
    except Exception:  # not installed: nothing read with it
        sofar = None
    parts["versions"] = [np.__version__, scipy.__version__, sofar]
    return sha256_json(parts)


def prepared_path(
    spec, *, sample_rate: int, calibration: str, band_hz, nearfield: bool, sha256: str
) -> Path:
    """The cache file of a SOFA file's prepared set (``sha256``: the file's)."""
    key = {
        "version": PREPARED_VERSION,
        "code": _code_key(),
        "file_sha256": sha256,
        "file_name": Path(spec).name,
        "sample_rate": int(sample_rate),
        "calibration": str(calibration),
        "band_hz": [float(f) for f in band_hz],
        "nearfield": bool(nearfield),
    }
    return cache_dir() / f"head-v{PREPARED_VERSION}-{sha256_json(key, length=24)}.npz"


def prepared_hrirset(
    spec: str,
    *,
    nearfield: bool,
    sample_rate: int,
    calibration: str,
    band_hz=REFERENCE_BAND_HZ,
    parameters: dict | None = None,
) -> HRIRSet:
    """:func:`~.loading.load_hrirset` of ``spec`` and, with ``nearfield``, near-field shells
    (:func:`~.nearfield.nearfield_from_farfield`); a SOFA file's result read from and kept in
    the cache folder (module docstring). Parameters are :func:`~.loading.load_hrirset`'s."""
    band_hz = REFERENCE_BAND_HZ if band_hz is None else band_hz

    def prepare() -> HRIRSet:
        hrirset = load_hrirset(
            spec,
            sample_rate=sample_rate,
            calibration=calibration,
            band_hz=band_hz,
            parameters=parameters,
        )
        return nearfield_from_farfield(hrirset) if nearfield else hrirset

    if is_model(spec) or parameters or not Path(spec).is_file():
        return prepare()  # a model, or a bad spec that load_hrirset reports
    path = prepared_path(
        spec,
        sample_rate=sample_rate,
        calibration=calibration,
        band_hz=band_hz,
        nearfield=nearfield,
        sha256=sha256_file(spec),
    )
    arrays = read_arrays(path)
    cached = None if arrays is None else set_from_arrays(arrays)
    if cached is not None:
        return cached
    hrirset = prepare()
    write_arrays(path, set_to_arrays(hrirset, ir_dtype=np.float64))
    return hrirset


__all__ = ["PIPELINE_MODULES", "PREPARED_VERSION", "prepared_hrirset", "prepared_path"]
