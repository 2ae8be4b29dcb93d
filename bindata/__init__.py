"""bindata: reverberant binaural sound-event datasets with near-field HRIRs, and benchmarks.

The library API is plain functions and small classes; the ``bindata`` command is a thin layer
over it (:mod:`bindata.cli`). Heavy or optional parts (torch, dask, matplotlib) are imported only
where they are used.
"""

from .errors import BindataError

__version__ = "0.1.0"

__all__ = ["BindataError", "__version__"]
