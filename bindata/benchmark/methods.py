"""The nine methods of the paper's section 3, read from ``metadata/methods.json``.

A :class:`Method` is data: its models, each with Q output branches of G units and C classes
(the classes of a :mod:`bindata.divisions` view), the view its outputs form, the product views
derived from them with the paper's Eq. (1), and the F1 cells it fills in Tables 3-5. Adding a
method means adding an entry to the JSON, not code.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..divisions import get_view
from ..errors import BenchmarkError, ConfigError
from ..resources import load_metadata
from ..score.api import PLANE_GROUPS
from ..score.derive import derivable_views


@dataclass(frozen=True)
class Branch:
    """One output branch: a G-unit linear layer and C sigmoid outputs (the view's classes)."""

    view: str
    units: int
    classes: tuple


@dataclass(frozen=True)
class ModelSpec:
    """One network of a method.

    Attributes
    ----------
    name : str
        ``main`` for single-model methods, else e.g. ``lr``.
    owner : str
        The method whose run folder holds the model (shared models are trained once).
    branches : tuple of Branch
    """

    name: str
    owner: str
    branches: tuple

    @property
    def classes(self) -> tuple:
        """All output classes, branch after branch."""
        return tuple(c for b in self.branches for c in b.classes)

    @property
    def views(self) -> tuple:
        """The view of each branch."""
        return tuple(b.view for b in self.branches)


@dataclass(frozen=True)
class ScoreSpec:
    """An F1 cell: a view the scorer derives from the method's submission, or a class pair of it.

    Attributes
    ----------
    view : str
        Scored view in :mod:`bindata.score` terms (e.g. ``lr``, ``unequal``, ``octants_eq1``).
    group : str or None
        A class pair of the view (``left/right``, ``front/back``, ``top/bottom``, ``near/far``);
        None for the view's overall F1.
    """

    view: str
    group: str | None


@dataclass(frozen=True)
class Method:
    """A method of the paper (see ``metadata/methods.json``)."""

    name: str
    stage: int
    description: str
    models: tuple
    output_view: str
    derived_views: tuple
    scores: dict
    reference: str | None

    @property
    def q_g_c(self) -> list[tuple]:
        """(Q, [G...], [C...]) of each model, for comparison with the paper's section 3."""
        return [
            (len(m.branches), [b.units for b in m.branches], [len(b.classes) for b in m.branches])
            for m in self.models
        ]


def _score_spec(name: str, key: str, spec: dict, output_view: str) -> ScoreSpec:
    available = derivable_views(output_view)
    view, group = spec["view"], spec.get("group")
    if view not in available:
        raise ConfigError(
            f"methods.json: {name}.scores.{key}: view {view!r} cannot be scored from a "
            f"{output_view!r} submission; available: {', '.join(available)}"
        )
    base = get_view(available[view].base)
    if group is not None and not all(c in base.classes for c in PLANE_GROUPS.get(group, ("?",))):
        raise ConfigError(f"methods.json: {name}.scores.{key}: group {group!r} not in {view!r}")
    return ScoreSpec(view, group)


def _method(name: str, spec: dict) -> Method:
    models = []
    for m in spec["models"]:
        branches = tuple(
            Branch(b["view"], int(b["units"]), get_view(b["view"]).classes) for b in m["branches"]
        )
        models.append(ModelSpec(m["name"], m.get("owner", name), branches))
    method = Method(
        name=name,
        stage=int(spec["stage"]),
        description=spec.get("description", ""),
        models=tuple(models),
        output_view=spec["output_view"],
        derived_views=tuple(spec.get("derived_views", ())),
        scores={k: _score_spec(name, k, s, spec["output_view"]) for k, s in spec["scores"].items()},
        reference=spec.get("reference"),
    )
    outputs = tuple(c for m in method.models for c in m.classes)
    if outputs != get_view(method.output_view).classes:
        raise ConfigError(
            f"methods.json: {name}: model outputs {list(outputs)} differ from the classes of "
            f"output_view {method.output_view!r} {list(get_view(method.output_view).classes)}"
        )
    return method


def load_methods(spec: dict | None = None) -> dict[str, Method]:
    """All methods, by name, in file order (``spec`` replaces ``metadata/methods.json``)."""
    spec = spec or load_metadata("methods")
    methods = {name: _method(name, s) for name, s in spec["methods"].items()}
    for m in methods.values():
        for model in m.models:
            if model.owner not in methods:
                raise ConfigError(f"methods.json: {m.name}.{model.name}: unknown owner")
        if m.reference is not None and m.reference not in methods:
            raise ConfigError(f"methods.json: {m.name}: unknown reference {m.reference!r}")
    return methods


def get_method(name: str) -> Method:
    """One method by name (:class:`BenchmarkError` naming the known ones otherwise)."""
    methods = load_methods()
    if name not in methods:
        raise BenchmarkError(f"unknown method {name!r}; known: {', '.join(methods)}")
    return methods[name]


def select_methods(names="all") -> list[Method]:
    """Methods by name, in the order given; ``"all"`` for every method of the table.

    Parameters
    ----------
    names : str or sequence of str
        ``"all"``, one method name, or a sequence of names.

    Raises
    ------
    BenchmarkError
        An empty selection or an unknown name.
    """
    methods = load_methods()
    if isinstance(names, str):
        names = list(methods) if names.strip() == "all" else [names.strip()]
    names = [str(n).strip() for n in names if str(n).strip()]
    if not names:
        raise BenchmarkError(
            f"the method selection is empty; name methods or 'all' (known: {', '.join(methods)})"
        )
    return [get_method(n) for n in names]


def model_of(method: Method, name: str | None) -> ModelSpec:
    """A model of a method by name (the only one when ``name`` is None)."""
    if name is None and len(method.models) == 1:
        return method.models[0]
    for m in method.models:
        if m.name == name:
            return m
    names = ", ".join(m.name for m in method.models)
    raise BenchmarkError(f"{method.name} has models {names}; model {name!r} is not one of them")
