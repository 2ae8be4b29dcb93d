"""The one registry of HRIR models (head models that compute an HRIR set instead of reading one).

Models come from two places, as room kinds do (:mod:`bindata.rooms.registry`; both through
:class:`bindata.plugins.PluginRegistry`): the models built into bindata
(:data:`BUILTIN_MODELS`) and the Python entry-point group ``bindata.hrirs``
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

from ..errors import HRIRError
from ..plugins import PluginRegistry

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


#: The models (:class:`~bindata.plugins.PluginRegistry` of :data:`ENTRY_POINT_GROUP`).
MODELS = PluginRegistry(
    ENTRY_POINT_GROUP, BUILTIN_MODELS, what="HRIR model", error=HRIRError, make=_instantiate
)


def model_names() -> list[str]:
    """Names of every available HRIR model (built in and from entry points), sorted."""
    return MODELS.names()


def is_model(spec: str) -> bool:
    """Whether ``spec`` names an HRIR model (else it is a SOFA file or folder)."""
    return str(spec) in MODELS


def get_model(name: str):
    """The HRIR model registered as ``name``.

    Raises
    ------
    HRIRError
        When no built-in model or ``bindata.hrirs`` entry point has that name, or its entry
        point fails to load.
    """
    return MODELS.get(name)


def clear_cache() -> None:
    """Forget the entry points and models found so far (after installing a package at run
    time; tests)."""
    MODELS.clear()


__all__ = [
    "BUILTIN_MODELS",
    "ENTRY_POINT_GROUP",
    "MODELS",
    "clear_cache",
    "get_model",
    "is_model",
    "model_names",
]
