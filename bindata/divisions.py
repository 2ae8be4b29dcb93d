"""Direction and proximity classes, read from ``metadata/divisions.json``.

A *division* splits positions into classes by interval constraints on azimuth, elevation and
distance (see the ``_doc`` of the JSON file for the boundary rule). A *view* is what a model or
the scorer sees: one division, several side by side (multi-label), or their product (single-label
combinations such as ``top-front-left`` or ``near-left``). A user adds a division or a view in their
own file (same layout, ``schemas/divisions.schema.json``), read by :func:`load_divisions`, or by
passing their own dict, without touching code.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError
from .geometry import wrap_azimuth_deg
from .resources import load_metadata, validate_against_schema

#: The divisions spec in use when none is passed (None: the packaged one); see use_divisions.
_ACTIVE: contextvars.ContextVar[dict | None] = contextvars.ContextVar("divisions", default=None)


def active_divisions() -> dict[str, Any]:
    """The divisions spec in effect: set by :func:`use_divisions`, else the packaged one."""
    spec = _ACTIVE.get()
    return load_metadata("divisions") if spec is None else spec


def is_packaged(spec: dict | None) -> bool:
    """True when ``spec`` is (or stands for) the packaged ``metadata/divisions.json``."""
    return spec is None or spec is load_metadata("divisions")


@contextlib.contextmanager
def use_divisions(spec: dict | None) -> Iterator[dict]:
    """Make ``spec`` the default divisions inside the block (None: the packaged ones).

    Used by commands that take a user's divisions file (train, predict, benchmark): every
    :func:`get_view` without an explicit spec then reads the user's views.
    """
    token = _ACTIVE.set(spec)
    try:
        yield active_divisions()
    finally:
        _ACTIVE.reset(token)


def _in_interval(values, spec) -> np.ndarray:
    lo, hi = float(spec["from"]), float(spec["to"])
    inc_lo, inc_hi = bool(spec.get("include_from", True)), bool(spec.get("include_to", True))
    above = values >= lo if inc_lo else values > lo
    below = values <= hi if inc_hi else values < hi
    return above & below


def _in_azimuth_interval(azimuth_deg, spec) -> np.ndarray:
    """Counter-clockwise arc from ``from`` to ``to`` (on the circle), ends as specified."""
    lo = float(spec["from"]) % 360.0
    span = (float(spec["to"]) - float(spec["from"])) % 360.0
    if span == 0.0:
        span = 360.0
    offset = (np.asarray(azimuth_deg, dtype=float) - lo) % 360.0
    inc_lo, inc_hi = bool(spec.get("include_from", True)), bool(spec.get("include_to", True))
    at_lo = offset == 0.0
    inside = (offset > 0.0) & (offset < span)
    at_hi = offset == span
    return inside | (at_lo & inc_lo) | (at_hi & inc_hi)


def class_membership(division: dict[str, Any], azimuth_deg, elevation_deg, distance_m):
    """Boolean array (n, n_classes): which class(es) of ``division`` each position falls in."""
    az = wrap_azimuth_deg(np.atleast_1d(azimuth_deg))
    el = np.atleast_1d(np.asarray(elevation_deg, dtype=float))
    dist = np.atleast_1d(np.asarray(distance_m, dtype=float))
    az, el, dist = np.broadcast_arrays(az, el, dist)
    out = np.ones((az.shape[0], len(division["classes"])), dtype=bool)
    for j, cls in enumerate(division["classes"]):
        if "azimuth_deg" in cls:
            out[:, j] &= _in_azimuth_interval(az, cls["azimuth_deg"])
        if "elevation_deg" in cls:
            out[:, j] &= _in_interval(el, cls["elevation_deg"])
        if "distance_m" in cls:
            out[:, j] &= _in_interval(dist, cls["distance_m"])
    return out


@dataclass(frozen=True)
class View:
    """A named set of output classes derived from one or more divisions."""

    name: str
    classes: tuple[str, ...]
    single_label: bool
    _spec: dict
    _divisions: dict

    def membership(self, azimuth_deg, elevation_deg, distance_m) -> np.ndarray:
        """Boolean array (n, len(classes)) of the classes each position belongs to."""
        parts = [
            class_membership(self._divisions[p], azimuth_deg, elevation_deg, distance_m)
            for p in self._part_divisions()
        ]
        if self._spec["type"] == "concat":
            # each listed part is a view of its own (a product part keeps its combinations)
            subs = self._spec["_part_views"]
            return np.concatenate(
                [v.membership(azimuth_deg, elevation_deg, distance_m) for v in subs], axis=1
            )
        if self._spec["type"] == "single":
            return np.concatenate(parts, axis=1)
        combos = itertools.product(*[range(p.shape[1]) for p in parts])
        cols = [np.logical_and.reduce([parts[k][:, i] for k, i in enumerate(c)]) for c in combos]
        return np.stack(cols, axis=1)

    def _part_divisions(self) -> list[str]:
        return self._spec["_expanded_parts"]

    def class_constraints(self) -> list[dict]:
        """The class specs (interval constraints) of every division the view is built from."""
        return [c for d in self._part_divisions() for c in self._divisions[d]["classes"]]


def _expand(name: str, spec_all: dict, seen=()) -> tuple[list[str], list[str]]:
    """Resolve a view or division name into (division names, class names)."""
    divisions, views = spec_all["divisions"], spec_all["views"]
    if name in divisions:
        return [name], [c["name"] for c in divisions[name]["classes"]]
    if name not in views:
        known = sorted(set(divisions) | set(views))
        raise ConfigError(f"unknown view or division {name!r}; known: {', '.join(known)}")
    if name in seen:
        raise ConfigError(f"view {name!r} refers to itself")
    spec = views[name]
    part_divs, part_classes = [], []
    for p in spec["parts"]:
        d, c = _expand(p, spec_all, seen + (name,))
        if spec["type"] == "product" and len(d) > 1:
            raise ConfigError(
                f"view {name!r}: product parts must be divisions or products, not {p!r}"
            )
        part_divs.append(d)
        part_classes.append(c)
    if spec["type"] == "product":
        names = ["-".join(combo) for combo in itertools.product(*part_classes)]
    else:
        names = [c for cs in part_classes for c in cs]
    return [d for ds in part_divs for d in ds], names


def get_view(name: str, spec_all: dict | None = None) -> View:
    """The view ``name`` (or a plain division used as a view) from ``spec_all``.

    ``spec_all`` defaults to :func:`active_divisions` (the packaged ``metadata/divisions.json``
    unless a user's file is in use).
    """
    spec_all = spec_all or active_divisions()
    divs, classes = _expand(name, spec_all)
    spec = dict(spec_all["views"].get(name, {"type": "single", "single_label": True}))
    if spec["type"] == "product":
        # products of products: flatten to a product of plain divisions
        spec = {**spec, "type": "product"}
    spec["_expanded_parts"] = divs
    if spec["type"] == "concat":
        spec["_part_views"] = [get_view(p, spec_all) for p in spec["parts"]]
    single = bool(spec.get("single_label", spec["type"] != "concat"))
    return View(name, tuple(classes), single, spec, spec_all["divisions"])


def view_definition(name: str, spec_all: dict | None = None) -> dict:
    """What decides the classes of view ``name``: its classes and the divisions behind them.

    Two divisions specs give the same labels for a view exactly when its definitions are equal
    (same class names, same intervals), so a model file records this per view and a prediction
    under other divisions is refused (:mod:`bindata.benchmark.portable`).

    Examples
    --------
    >>> d = view_definition("lr")
    >>> d["classes"], sorted(d["divisions"])
    (['left', 'right'], ['lr'])
    """
    spec_all = spec_all or active_divisions()
    divisions, classes = _expand(name, spec_all)
    view = spec_all["views"].get(name)
    return {
        "classes": list(classes),
        "view": None if view is None else dict(view),
        "divisions": {d: spec_all["divisions"][d] for d in divisions},
    }


def multiclass_outputs(name: str, spec_all: dict | None = None) -> list[bool]:
    """Per output class of view ``name``: does it belong to a single-label part of more than two
    classes (octants, cones, their products), where each class is active in a small share of
    the frames? The two-class views (left/right, near/far, ...) and multi-label parts are False.

    Examples
    --------
    >>> multiclass_outputs("proximity_and_octants")
    [False, False, True, True, True, True, True, True, True, True]
    >>> any(multiclass_outputs("planes"))
    False
    """
    view = get_view(name, spec_all)
    parts = view._spec["_part_views"] if view._spec["type"] == "concat" else [view]
    return [
        bool(part.single_label and len(part.classes) > 2) for part in parts for _ in part.classes
    ]


def view_names(spec_all: dict | None = None) -> list[str]:
    """All view names defined in ``spec_all`` (default: :func:`active_divisions`)."""
    spec_all = spec_all or active_divisions()
    return list(spec_all["views"])


def frame_activity(frames, azimuth_deg, elevation_deg, distance_m, *, n_frames: int, view: View):
    """Per-frame class activity (n_frames, n_classes) bool from DCASE rows of one file.

    A class is active in a frame when any row (any source) of that frame belongs to it.
    """
    frames = np.asarray(frames, dtype=np.int64)
    act = np.zeros((n_frames, len(view.classes)), dtype=bool)
    if frames.size == 0:
        return act
    member = view.membership(azimuth_deg, elevation_deg, distance_m)
    keep = (frames >= 0) & (frames < n_frames)
    rows, cols = np.nonzero(member[keep])
    act[frames[keep][rows], cols] = True
    return act


def check_divisions(spec: Any, *, source: str = "divisions") -> list[str]:
    """Every problem of a divisions spec: schema violations, unknown parts, repeated classes.

    Parameters
    ----------
    spec : object
        Parsed JSON (layout of ``metadata/divisions.json``).
    source : str, keyword-only
        Where it came from (prefix of each message).

    Returns
    -------
    list of str
        Empty when the spec is usable.
    """
    problems = validate_against_schema(spec, "divisions", what=source)
    if problems:
        return problems
    for name, div in spec["divisions"].items():
        names = [c["name"] for c in div["classes"]]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"{source}: divisions.{name}: class {dup!r} is listed more than once")
    known = set(spec["divisions"]) | set(spec["views"])
    for name, view in spec["views"].items():
        for part in view["parts"]:
            if part not in known:
                problems.append(
                    f"{source}: views.{name}.parts: {part!r} names no division or view; "
                    f"known: {', '.join(sorted(known))}"
                )
    if problems:
        return problems
    for name in spec["views"]:
        try:
            view = get_view(name, spec)
        except ConfigError as exc:
            problems.append(f"{source}: views.{name}: {exc}")
            continue
        dups = sorted({c for c in view.classes if view.classes.count(c) > 1})
        if dups:
            problems.append(f"{source}: views.{name}: class name(s) {dups} occur more than once")
    return problems


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number (JSON numbers must be finite)")


def load_divisions(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """A divisions spec: the packaged ``metadata/divisions.json``, or a user's JSON file.

    Parameters
    ----------
    path : path-like, optional
        A JSON file with the layout of ``schemas/divisions.schema.json``.

    Returns
    -------
    dict

    Raises
    ------
    ConfigError
        The file cannot be read, is not JSON, or breaks the schema or the rules of
        :func:`check_divisions` (every problem is listed).
    """
    if path is None:
        return load_metadata("divisions")
    path = Path(path)
    try:
        spec = json.loads(path.read_text("utf-8"), parse_constant=_no_constant)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the divisions file ({exc.strerror})") from exc
    except ValueError as exc:
        raise ConfigError(f"{path}: the divisions file is not JSON ({exc})") from exc
    problems = check_divisions(spec, source=str(path))
    if problems:
        raise ConfigError("; ".join(problems))
    return spec
