"""HRIR sets: the container, SOFA input/output, built-in head models and near-field synthesis.

Public API
----------
- :class:`HRIRSet`, :class:`HRIRShell`: the container (:mod:`.hrirset` fixes the convention).
- :func:`load_hrirset` (an HRIR model such as ``"builtin"``, or a SOFA path; level-calibrated
  by default), :func:`default_hrirset` (the cached built-in model), :func:`build_model_hrirset`
  (the model with any options).
- :func:`get_model`, :func:`model_names`, :class:`HeadModel`: HRIR models, built in or installed
  through the entry-point group ``bindata.hrirs`` (:mod:`.registry`, docs/hrir.md).
- :func:`expand_heads`, :func:`fold_heads`: the heads of a dataset and the folds of each
  (:mod:`.heads`).
- :func:`calibrate`, :func:`reference_level_db`, :func:`diffuse_level_db`: the level references
  of every set (:mod:`.calibration`).
- :func:`load_sofa`, :func:`write_sofa`: SOFA input and output.
- :func:`nearfield_from_farfield`: distance shells from a single-distance set.
"""

from .builtin import build_model_hrirset, direction_grid
from .cache import default_hrirset
from .calibration import calibrate, diffuse_level_db, reference_level_db
from .diskcache import cache_dir
from .heads import Head, expand_heads, fold_heads
from .hrirset import CALIBRATIONS, HRIRSet, HRIRShell
from .loading import load_hrirset
from .models import HeadModel
from .nearfield import nearfield_from_farfield
from .registry import get_model, model_names
from .sofa_io import load_sofa, write_sofa
from .sphere import sphere_transfer

__all__ = [
    "CALIBRATIONS",
    "Head",
    "HeadModel",
    "HRIRSet",
    "HRIRShell",
    "build_model_hrirset",
    "calibrate",
    "cache_dir",
    "default_hrirset",
    "diffuse_level_db",
    "direction_grid",
    "expand_heads",
    "fold_heads",
    "get_model",
    "load_hrirset",
    "load_sofa",
    "model_names",
    "nearfield_from_farfield",
    "reference_level_db",
    "sphere_transfer",
    "write_sofa",
]
