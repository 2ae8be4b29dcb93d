"""Which views a submission gives, and their per-frame probabilities.

- Format (a), DCASE rows: every view, from the positions (0/1 activity).
- Format (b), activity of view ``V``: ``V`` itself; the parts of a ``concat`` view (their
  columns, e.g. ``lr`` from ``planes``); any ``concat`` view whose parts are all given (e.g.
  ``planes`` from ``planes_and_proximity``).
- For every ``product`` view whose parts are all given, ``<product>_eq1``: the paper's Eq. (1),
  the frame-level probability product ``P_c[n] = (prod_k P_k[n]) ** (1/K)`` over the K parts,
  active when ``>= 0.5``. For ``octants`` (parts tb, fb, lr) this is exactly
  ``cbrt(P_tb * P_fb * P_lr) >= 0.5``, each ``P`` the probability of the octant's side in that
  plane, read from that side's own column (no ``1 - P`` of the opposite side is ever taken; a
  header must list both sides of each plane). With 0/1 values it is the logical AND of the sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..divisions import active_divisions, get_view, is_packaged
from .activity import rows_activity
from .formats import known_views

#: Suffix of views combined from their parts by the paper's Eq. (1).
EQ1_SUFFIX = "_eq1"

#: Views scored by default for format-(a) submissions (the paper's Tables 3-5).
DEFAULT_ROW_VIEWS = ("lr", "fb", "tb", "planes", "unequal", "octants", "octants_eq1", "proximity")


@dataclass(frozen=True)
class Derivation:
    """How a scored view is obtained from a submission.

    Attributes
    ----------
    name : str
        Scored view name (``<product>_eq1`` for Eq. (1) combinations).
    base : str
        The view of :mod:`bindata.divisions` whose classes and reference labels it uses.
    how : str
        ``'positions'``, ``'columns'`` or ``'eq1'``.
    columns : tuple of int
        ``'columns'``: the submission columns of the view's classes.
    parts : tuple of str
        ``'eq1'``: the part views combined.
    """

    name: str
    base: str
    how: str
    columns: tuple = ()
    parts: tuple = ()


def _structure(name: str, spec: dict) -> tuple[str, list[str]]:
    views = spec["views"]
    if name in views:
        return views[name]["type"], list(views[name]["parts"])
    return "single", [name]


def _column_map(view: str, spec: dict) -> dict[str, list[int]]:
    """Views given by the columns of a format-(b) submission of ``view``."""
    classes = known_views(spec)
    cols = {view: list(range(len(classes[view])))}
    stack = [view]
    while stack:
        name = stack.pop()
        kind, parts = _structure(name, spec)
        if kind != "concat":
            continue
        offset = 0
        for part in parts:
            k = len(classes[part])
            if part not in cols:
                cols[part] = cols[name][offset : offset + k]
                stack.append(part)
            offset += k
    changed = True
    while changed:
        changed = False
        for name in classes:
            kind, parts = _structure(name, spec)
            if name not in cols and kind == "concat" and all(p in cols for p in parts):
                cols[name] = [c for p in parts for c in cols[p]]
                changed = True
    return cols


def derivable_views(submission_view: str | None = None, spec=None) -> dict[str, Derivation]:
    """Every view a submission gives, by name.

    Parameters
    ----------
    submission_view : str, optional
        The view of a format-(b) submission; None for format (a) (positions).
    spec : dict, optional
        Divisions spec (default: the packaged ``metadata/divisions.json``).

    Returns
    -------
    dict of str to Derivation
    """
    names = list(known_views(spec))
    spec = spec or active_divisions()
    if submission_view is None:
        out = {n: Derivation(n, n, "positions") for n in names}
        given = set(names)
    else:
        cols = _column_map(submission_view, spec)
        out = {n: Derivation(n, n, "columns", columns=tuple(c)) for n, c in cols.items()}
        given = set(cols)
    for name in names:
        kind, parts = _structure(name, spec)
        if kind == "product" and all(p in given for p in parts):
            eq1 = name + EQ1_SUFFIX
            out[eq1] = Derivation(eq1, name, "eq1", parts=tuple(parts))
    return out


def default_views(submission_view: str | None = None, spec=None) -> list[str]:
    """Views scored when none are asked for.

    Format (a): the paper's set with the packaged divisions, every view and division of a
    user's ``spec`` otherwise; format (b): every view the submission gives.
    """
    if submission_view is None:
        packaged = is_packaged(spec or active_divisions())
        return list(DEFAULT_ROW_VIEWS) if packaged else list(known_views(spec))
    return list(derivable_views(submission_view, spec))


def eq1_combine(part_probabilities) -> np.ndarray:
    """The paper's Eq. (1): geometric mean of part probabilities for every class combination.

    Parameters
    ----------
    part_probabilities : sequence of numpy.ndarray, each (..., C_k)
        Probabilities of each part's classes (e.g. tb, fb, lr).

    Returns
    -------
    numpy.ndarray, shape (..., prod C_k)
        Combined probability of each combination, in ``itertools.product`` order of the parts'
        classes (the order of the product view's classes). Cube root for three parts.
    """
    parts = [np.asarray(p, dtype=float) for p in part_probabilities]
    prod = parts[0]
    for p in parts[1:]:
        prod = (prod[..., :, None] * p[..., None, :]).reshape(*prod.shape[:-1], -1)
    if len(parts) == 3:
        return np.cbrt(prod)
    return prod ** (1.0 / len(parts))


def view_probabilities(submission, derivation: Derivation, *, n_frames: int) -> np.ndarray:
    """Per-frame probabilities (0/1 for positions) of a derived view.

    Parameters
    ----------
    submission : bindata.score.submission.Submission
    derivation : Derivation
    n_frames : int, keyword-only

    Returns
    -------
    numpy.ndarray of float, shape (n_files, n_frames, n_classes)
        Active where ``>= 0.5``.
    """
    if derivation.how == "eq1":
        parts = [
            view_probabilities(submission, _part_derivation(submission, p), n_frames=n_frames)
            for p in derivation.parts
        ]
        return eq1_combine(parts)
    if derivation.how == "positions":
        view = get_view(derivation.base, submission.divisions)
        act = rows_activity(submission.rows, n_frames=n_frames, view=view)
        return act.astype(float)
    return submission.values[..., list(derivation.columns)]


def _part_derivation(submission, part: str) -> Derivation:
    sub_view = submission.view if submission.kind == "activity" else None
    return derivable_views(sub_view, submission.divisions)[part]
