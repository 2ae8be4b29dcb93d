"""The one registry of HRIR models (head models that compute an HRIR set instead of reading one).

Models come from two places, as room kinds do (:mod:`bindata.rooms.registry`): the models built
into bindata (:data:`BUILTIN_MODELS`) and the Python entry-point group ``bindata.hrirs``
(:data:`ENTRY_POINT_GROUP`), through which an installed package adds a head model without
editing bindata::

    [project.entry-points."bindata.hrirs"]
    myhead = "my_package.heads:MyHead"

An entry point names a :class:`~bindata.hrir.models.HeadModel` subclass (instantiated with no
arguments) or an instance. Its name is what a config's ``hrir.sofa`` (``--hrir``) gives and
what every scene records as ``hrir.spec``; docs/hrir.md has the recipe. A name that is neither
a built-in model nor an entry point is read as a SOFA file or a folder of them.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata

from ..errors import HRIRError

#: Entry-point group through which packages add HRIR models.
ENTRY_POINT_GROUP = "bindata.hrirs"
#: Built-in models: name -> "module:attribute" (imported when first used).
BUILTIN_MODELS = {
    "builtin": "bindata.hrir.models:StructuralHead",
    "builtin:structural": "bindata.hrir.models:StructuralHead",
    "builtin:sphere": "bindata.hrir.models:SphereHead",
}


def _instantiate(obj, name: str):
    model = obj() if isinstance(obj, type) else obj
    if not callable(getattr(model, "build", None)):
        raise HRIRError(f"HRIR model {name!r} ({obj!r}) has no method build()")
    parameters = getattr(model, "parameters", ())
    if not isinstance(parameters, (tuple, list)) or not all(isinstance(p, str) for p in parameters):
        raise HRIRError(
            f"HRIR model {name!r}: parameters must be a tuple of names, got {parameters!r}"
        )
    model.name = name
    return model


@cache
def _entry_points() -> dict:
    """Name -> entry point of every model: the built-in table as entry points of the same
    group, then the installed packages' (which cannot replace a built-in name)."""
    installed = {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    builtin = {
        name: metadata.EntryPoint(name=name, value=target, group=ENTRY_POINT_GROUP)
        for name, target in BUILTIN_MODELS.items()
    }
    return {**installed, **builtin}


def model_names() -> list[str]:
    """Names of every available HRIR model (built in and from entry points), sorted."""
    return sorted(_entry_points())


def is_model(spec: str) -> bool:
    """Whether ``spec`` names an HRIR model (else it is a SOFA file or folder)."""
    return str(spec) in _entry_points()


@cache
def get_model(name: str):
    """The HRIR model registered as ``name``.

    Raises
    ------
    HRIRError
        When no built-in model or ``bindata.hrirs`` entry point has that name, or its entry
        point fails to load.
    """
    eps = _entry_points()
    if name not in eps:
        raise HRIRError(
            f"unknown HRIR model {name!r}: known models are {model_names()} (built in, or "
            f"installed through the entry-point group {ENTRY_POINT_GROUP!r})"
        )
    try:
        obj = eps[name].load()
    except Exception as exc:  # a broken plug-in: say which one
        raise HRIRError(
            f"HRIR model {name!r}: entry point {eps[name].value!r} fails to load: {exc}"
        ) from exc
    return _instantiate(obj, name)


def clear_cache() -> None:
    """Forget the entry points and models found so far (after installing a package at run
    time; tests)."""
    _entry_points.cache_clear()
    get_model.cache_clear()


__all__ = [
    "BUILTIN_MODELS",
    "ENTRY_POINT_GROUP",
    "clear_cache",
    "get_model",
    "is_model",
    "model_names",
]
