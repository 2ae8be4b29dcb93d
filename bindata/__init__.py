"""bindata: reverberant binaural sound-event datasets with near-field HRIRs, and benchmarks.

The library API is plain functions and small classes; the ``bindata`` command is a thin layer
over it (:mod:`bindata.cli`). The front door:

* :func:`synthesize` -- a dataset on disk, returned as a :class:`Dataset`;
* :class:`Dataset` -- a finished dataset: stems, folds, classes, audio, label rows, scenes;
* :class:`Synthesizer` -- one file's scene and audio in memory, as :func:`synthesize` makes it;
* :func:`score` -- score a submission folder against a dataset.

They are imported on first use, so that ``import bindata`` stays cheap (the command line
imports it for every command); heavy or optional parts (torch, dask, matplotlib) are imported
only where they are used.

``bindata.score`` is both the scoring subpackage (``from bindata.score import score_dataset``,
``import bindata.score.seld``) and callable: ``bindata.score(dataset, predictions)`` calls
:func:`bindata.api.score`. The package module is given a callable module class
(:class:`_ScoringPackage`) when it is imported, whichever import comes first; there is one
object, so attribute access, ``import ... as`` and patching by dotted path all work.
"""

import importlib
import sys
import types

from .errors import BindataError

__version__ = "0.1.0"

__all__ = ["BindataError", "Dataset", "Synthesizer", "__version__", "score", "synthesize"]

#: Public names defined in submodules, imported on first access (PEP 562).
_LAZY = {"synthesize": "bindata.api", "Synthesizer": "bindata.api", "Dataset": "bindata.dataset"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _ScoringPackage(types.ModuleType):
    """The module class of ``bindata.score``: the package, callable as :func:`bindata.api.score`."""

    def __call__(self, dataset, predictions, *, metrics="paper", **options):
        """Score a submission folder against a dataset (:func:`bindata.api.score`)."""
        from .api import score  # on first call only: bindata.api imports the synthesis stack

        return score(dataset, predictions, metrics=metrics, **options)


class _Bindata(types.ModuleType):
    """The module class of ``bindata``: its ``score`` attribute is the callable scoring package.

    The import system sets ``bindata.score`` when it first imports the subpackage; the setter
    gives the package its callable class then, and the getter imports it on first access.
    """

    @property
    def score(self):
        if "score" not in self.__dict__:
            self.score = importlib.import_module("bindata.score")
        return self.__dict__["score"]

    @score.setter
    def score(self, value):
        if isinstance(value, types.ModuleType) and value.__name__ == "bindata.score":
            value.__class__ = _ScoringPackage
        self.__dict__["score"] = value

    @score.deleter
    def score(self):
        self.__dict__.pop("score", None)


sys.modules[__name__].__class__ = _Bindata
