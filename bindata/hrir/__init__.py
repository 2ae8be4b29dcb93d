"""HRIR sets: the container, SOFA input/output, built-in head models and near-field synthesis.

Public API
----------
- :class:`HRIRSet`, :class:`HRIRShell`: the container (:mod:`.hrirset` fixes the convention).
- :func:`load_hrirset` (``None``/``"builtin"`` or a SOFA path, level-calibrated by default),
  :func:`default_hrirset` (the cached built-in model), :func:`build_model_hrirset` (the model
  with any options).
- :func:`calibrate`, :func:`reference_level_db`: the level reference of every set
  (:mod:`.calibration`).
- :func:`load_sofa`, :func:`write_sofa`: SOFA input and output.
- :func:`nearfield_from_farfield`: distance shells from a single-distance set.
"""

from .builtin import build_model_hrirset, direction_grid
from .cache import cache_dir, default_hrirset, load_hrirset
from .calibration import calibrate, reference_level_db
from .hrirset import CALIBRATIONS, HRIRSet, HRIRShell
from .nearfield import nearfield_from_farfield
from .sofa_io import load_sofa, write_sofa
from .sphere import sphere_transfer

__all__ = [
    "CALIBRATIONS",
    "HRIRSet",
    "HRIRShell",
    "build_model_hrirset",
    "calibrate",
    "cache_dir",
    "default_hrirset",
    "direction_grid",
    "load_hrirset",
    "load_sofa",
    "nearfield_from_farfield",
    "reference_level_db",
    "sphere_transfer",
    "write_sofa",
]
