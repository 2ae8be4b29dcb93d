"""Parsing and strict checking of one submission file (both formats).

Format (a), *DCASE rows*: no header; one row per active source and frame,
``frame,class,source,azimuth,elevation,distance`` (frame: 100 ms label frame in ``[0, n_frames)``;
class: event class index in the manifest's class list; source: integer >= 0; azimuth in
``[-180, 180]`` and elevation in ``[-90, 90]`` degrees, docs/design.md conventions; distance
>= 0, in centimetres unless the submission says metres). The DCASE baseline's output rows are
accepted too: ``frame,class,source,x,y,z`` (no distance) or ``frame,class,source,x,y,z,distance``,
``x, y, z`` a direction vector (unit length in the baseline; any non-zero length is read as its
direction). Seven columns are always cartesian; six columns are cartesian when every row's last
three values lie in [-1, 1] and not all of them are integers (a polar row has a distance of at
least 1 cm), else polar; ``coordinates`` overrides the detection. Any view's activity is derived
from the positions. DCASE 2025 stereo rows are accepted after their header line
``frame,class,source,azimuth,distance,onscreen`` (azimuth in ``[-180, 180]``, distance >= 0,
onscreen 0 or 1 and not scored); they have no elevation, so only the ``dcase2025`` metric set
scores them. Six-column rows without a header whose last column is 0 or 1 throughout are such
rows without their header (a distance of 0 or 1 cm for every row is no real submission), and
are reported as that.

Format (b), *class activity of a view*: a header ``frame,<class>,<class>,...`` naming the classes
of one view, then rows ``frame,v1,v2,...`` with each value 0/1 or a probability in ``[0, 1]``
(active when >= 0.5). Frames not listed are inactive. Without ``view`` the header must equal a
view's class list in order; with ``view`` it must hold exactly that view's classes, in any order.

Every problem is collected as ``'FILE:LINE: message'`` (or ``'FILE: message'``); parsing never
stops at the first one. At most :data:`MAX_PROBLEMS_PER_FILE` are listed per file, then a count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..divisions import active_divisions, get_view, is_packaged, view_names
from ..geometry import cartesian_to_spherical
from ..io.dcase_csv import COLUMNS, DCASE2025_COLUMNS, data_lines, numeric_table
from ..problems import Problems
from ..resources import load_metadata

#: Columns of the DCASE baseline's output rows (unit vectors; distance optional).
CARTESIAN_COLUMNS = ("frame", "class", "source", "x", "y", "z", "distance")

#: Problems listed per file before the rest are only counted.
MAX_PROBLEMS_PER_FILE = 100

#: Frame values at or above this are active (paper, section 2.1).
THRESHOLD = 0.5


class FileProblems:
    """The problems of one file: :class:`bindata.problems.Problems` bound to the file's label.

    Listed by line; at most :data:`MAX_PROBLEMS_PER_FILE` per file, then a count.
    """

    def __init__(self, label: str):
        self.label = label
        self._problems = Problems(cap=MAX_PROBLEMS_PER_FILE)

    def add(self, line: int | None, message: str) -> None:
        """Record a problem at ``line`` (1-based; None for the whole file)."""
        self._problems.add(self.label, message, line=line, kind="file")

    def listed(self) -> list[str]:
        """The problems in line order, capped, with a closing count of those not listed."""
        return self._problems.lines(by_line=True)

    def __len__(self) -> int:
        return len(self._problems)


@dataclass
class ParsedFile:
    """One submission file after parsing and checking.

    Attributes
    ----------
    kind : str
        ``'rows'`` (format a), ``'activity'`` (format b) or ``'empty'`` (no data lines).
    rows : numpy.ndarray or None
        Format (a): float array (n, 6) of the valid rows.
    view : str or None
        Format (b): the view the header names (None when it cannot be resolved).
    frames, values : numpy.ndarray or None
        Format (b): frame of each valid row and its values (n, n_classes) in the view's order.
    problems : FileProblems
    """

    kind: str
    problems: FileProblems
    rows: np.ndarray | None = None
    view: str | None = None
    header: tuple = ()
    frames: np.ndarray | None = None
    values: np.ndarray | None = None
    line_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    layout: str = "polar"
    has_distance: bool = True
    has_elevation: bool = True


def _numeric_table(lines, linenos, names, probs: FileProblems):
    """Parse comma-separated numbers; return (values, line numbers) of the well-formed rows."""
    values, linenos, problems = numeric_table(lines, linenos, names)
    for line, message in problems:
        probs.add(line, message)
    return values, linenos


def _check_columns(values, linenos, checks, probs: FileProblems):
    """Apply ``(column, bad_mask_fn, message_fn)`` checks; return the mask of valid rows."""
    valid = np.ones(len(values), dtype=bool)
    for col, bad_fn, msg_fn in checks:
        v = values[:, col]
        bad = bad_fn(v)
        for r in np.nonzero(bad)[0]:
            probs.add(linenos[r], msg_fn(v[r]))
        valid &= ~bad
    return valid


def _fmt(v) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _not_integer(v):
    return v != np.floor(v)


def _frame_checks(n_frames: int):
    def bad(v):
        return _not_integer(v) | (v < 0) | (v >= n_frames)

    def msg(v):
        if not float(v).is_integer():
            return f"frame {_fmt(v)} is not an integer"
        if v < 0:
            return f"frame {_fmt(v)} is negative"
        return (
            f"frame {_fmt(v)} is beyond the file's length of {n_frames} frames "
            f"(valid 0..{n_frames - 1}, 100 ms each)"
        )

    return (0, bad, msg)


def _duplicates(keys: np.ndarray, linenos: np.ndarray):
    """Yield (row, first_row) for rows whose key already occurred on an earlier line."""
    if len(keys) < 2:
        return
    order = np.lexsort((linenos,) + tuple(keys[:, j] for j in reversed(range(keys.shape[1]))))
    k = keys[order]
    same = np.concatenate([[False], (k[1:] == k[:-1]).all(axis=1)])
    starts = np.maximum.accumulate(np.where(same, 0, np.arange(len(k))))
    for pos in np.nonzero(same)[0]:
        yield order[pos], order[starts[pos]]


def _layout(lines, coordinates) -> tuple[str, tuple]:
    """Column layout of format-(a) lines: ``('polar'|'cartesian', column names)``."""
    counts = Counter(len(ln.split(",")) for ln in lines)
    n_cols = counts.most_common(1)[0][0] if counts else 6
    if coordinates == "polar" or (coordinates is None and n_cols != 7 and not _unit_vectors(lines)):
        return "polar", COLUMNS
    return "cartesian", CARTESIAN_COLUMNS if n_cols == 7 else CARTESIAN_COLUMNS[:6]


def _unit_vectors(lines) -> bool:
    """True when every 6-column line's last three values lie in [-1, 1], not all integers."""
    values, _, problems = numeric_table(lines, list(range(len(lines))), COLUMNS)
    if problems or not len(values):
        return False
    xyz = values[:, 3:6]
    return bool((np.abs(xyz) <= 1).all() and (xyz != np.round(xyz)).any())


def _rows_checks(layout: str, n_frames: int, class_bad, class_rule: str) -> list:
    checks = [
        _frame_checks(n_frames),
        (1, class_bad, lambda v: f"class {_fmt(v)} is not {class_rule}"),
        (
            2,
            lambda v: _not_integer(v) | (v < 0),
            lambda v: f"source {_fmt(v)} is not an integer >= 0",
        ),
    ]
    if layout == "dcase2025":
        return checks + [
            (
                3,
                lambda v: np.abs(v) > 180,
                lambda v: f"azimuth {_fmt(v)} is outside [-180, 180] degrees",
            ),
            (4, lambda v: v < 0, lambda v: f"distance {_fmt(v)} is negative (must be >= 0)"),
            (5, lambda v: (v != 0) & (v != 1), lambda v: f"onscreen {_fmt(v)} is not 0 or 1"),
        ]
    if layout == "polar":
        return checks + [
            (
                3,
                lambda v: np.abs(v) > 180,
                lambda v: f"azimuth {_fmt(v)} is outside [-180, 180] degrees",
            ),
            (
                4,
                lambda v: np.abs(v) > 90,
                lambda v: f"elevation {_fmt(v)} is outside [-90, 90] degrees",
            ),
            (5, lambda v: v < 0, lambda v: f"distance {_fmt(v)} is negative (must be >= 0)"),
        ]
    return checks + [
        (6, lambda v: v < 0, lambda v: f"distance {_fmt(v)} is negative (must be >= 0)")
    ]


def _to_polar(values, linenos, probs: FileProblems):
    """Cartesian rows (frame,class,source,x,y,z[,distance]) -> polar rows (n, 6); distance NaN
    when the file has none. Zero vectors have no direction and are reported."""
    xyz = values[:, 3:6]
    zero = ~(np.abs(xyz) > 0).any(axis=1)
    for r in np.nonzero(zero)[0]:
        probs.add(linenos[r], "x, y, z is the zero vector (a direction needs a non-zero vector)")
    values, linenos, xyz = values[~zero], linenos[~zero], xyz[~zero]
    az, el, _ = cartesian_to_spherical(xyz)
    dist = values[:, 6] if values.shape[1] == 7 else np.full(len(values), np.nan)
    return np.column_stack([values[:, :3], az, el, dist]), linenos


def _headerless_2025(layout: str, names: tuple, values: np.ndarray) -> bool:
    """Polar rows whose distance column is 0 or 1 throughout: DCASE 2025 rows without header."""
    if layout != "polar" or len(names) != 6 or not len(values):
        return False
    return bool(np.isin(values[:, 5], (0, 1)).all())


def parse_rows(
    lines,
    linenos,
    *,
    label,
    n_frames,
    n_event_classes,
    probs=None,
    coordinates=None,
    layout=None,
) -> ParsedFile:
    """Parse and check format-(a) data lines (see the module docstring for the rules).

    ``coordinates`` is ``'polar'``, ``'cartesian'`` or None (detected, see the module docstring);
    ``layout='dcase2025'`` reads DCASE 2025 rows (the lines after their header). The returned
    rows are polar (n, 6), distance in the file's unit (NaN when it has none; elevation 0 for
    2025 rows, which have none).
    """
    probs = probs if probs is not None else FileProblems(label)
    if layout == "dcase2025":
        names = DCASE2025_COLUMNS
    else:
        layout, names = _layout(lines, coordinates)
    values, linenos = _numeric_table(lines, linenos, names, probs)
    if _headerless_2025(layout, names, values):
        probs.add(
            None,
            "every row's last column is 0 or 1: these look like DCASE 2025 rows "
            f"({','.join(DCASE2025_COLUMNS)}) without their header line; a 2025 file starts "
            f"with the header {','.join(DCASE2025_COLUMNS)} (bindata's own rows are "
            f"{','.join(COLUMNS)}, distance in cm)",
        )
        return ParsedFile("rows", probs, rows=np.zeros((0, 6)), layout=layout)
    if n_event_classes is None:
        class_bad, class_rule = (lambda v: _not_integer(v) | (v < 0)), "an integer >= 0"
    else:
        class_rule = f"an event class index 0..{n_event_classes - 1} (the manifest's classes)"

        def class_bad(v):
            return _not_integer(v) | (v < 0) | (v >= n_event_classes)

    checks = _rows_checks(layout, n_frames, class_bad, class_rule)
    valid = _check_columns(values, linenos, [c for c in checks if c[0] < len(names)], probs)
    values, linenos = values[valid], linenos[valid]
    if layout == "cartesian":
        values, linenos = _to_polar(values, linenos, probs)
    if layout == "dcase2025":
        values = np.column_stack([values[:, :4], np.zeros(len(values)), values[:, 4]])
    keys = values[:, :3].astype(np.int64)
    for r, first in _duplicates(keys, linenos):
        f, c, s = keys[r]
        probs.add(
            linenos[r],
            f"duplicate row: frame {f}, class {c}, source {s} already given on line {linenos[first]}",
        )
    has_distance = layout in ("polar", "dcase2025") or len(names) == 7
    return ParsedFile(
        "rows",
        probs,
        rows=values,
        line_numbers=linenos,
        layout=layout,
        has_distance=has_distance,
        has_elevation=layout != "dcase2025",
    )


@lru_cache(maxsize=1)
def _packaged_views() -> dict[str, tuple]:
    return _views_of(load_metadata("divisions"))


def _views_of(spec: dict) -> dict[str, tuple]:
    names = list(view_names(spec)) + [d for d in spec["divisions"] if d not in spec["views"]]
    return {n: get_view(n, spec).classes for n in names}


def known_views(spec: dict | None = None) -> dict[str, tuple]:
    """Every view (and plain division) of a divisions spec: ``{name: classes}``.

    ``spec`` defaults to :func:`bindata.divisions.active_divisions` (the packaged
    ``metadata/divisions.json`` unless a user's file is in use;
    :func:`bindata.divisions.load_divisions` reads one).
    """
    spec = spec or active_divisions()
    return dict(_packaged_views()) if is_packaged(spec) else _views_of(spec)


def resolve_header(
    names, *, view=None, spec=None
) -> tuple[str | None, list[int] | None, list[str]]:
    """Match a format-(b) header's class names to a view.

    Parameters
    ----------
    names : sequence of str
        The header's class names (without the leading ``frame``).
    view : str, optional
        The view the submission declares; then the names may come in any order.
    spec : dict, optional
        Divisions spec (default: the packaged one).

    Returns
    -------
    (view, order, problems)
        ``order[j]`` is the header column of the view's j-th class; ``problems`` lists messages
        (without file and line) when the header does not resolve.
    """
    names = [n.strip() for n in names]
    problems = [f"header column {k + 2} is empty" for k, n in enumerate(names) if not n]
    seen = set()
    for n in names:
        if n and n in seen:
            problems.append(f"header names class {n!r} more than once")
        seen.add(n)
    views = known_views(spec)
    if view is not None:
        classes = views[view]
        unknown = [n for n in names if n and n not in classes]
        lacking = [c for c in classes if c not in names]
        if unknown:
            problems.append(
                f"header class(es) {unknown} are not classes of view {view!r} {list(classes)}"
            )
        if lacking:
            problems.append(f"header lacks class(es) {lacking} of view {view!r}")
        if problems:
            return None, None, problems
        return view, [names.index(c) for c in classes], []
    if problems:
        return None, None, problems
    exact = [v for v, cl in views.items() if list(cl) == names]
    if len(exact) == 1:
        return exact[0], list(range(len(names))), []
    if len(exact) > 1:
        return None, None, [f"header matches views {exact}; name the view"]
    same_set = [v for v, cl in views.items() if sorted(cl) == sorted(names)]
    known = {c for cl in views.values() for c in cl}
    unknown = [n for n in names if n not in known]
    if unknown:
        msg = f"header class(es) {unknown} are unknown; known classes: {sorted(known)}"
    elif same_set:
        msg = (
            f"header lists the classes of view(s) {same_set} in another order; name the view "
            f"(then any column order is accepted) or use the order {list(views[same_set[0]])}"
        )
    else:
        close = [f"{v} {list(cl)}" for v, cl in views.items() if len(cl) == len(names)]
        msg = f"header {names} matches no view's class list" + (
            f"; views with {len(names)} classes: {'; '.join(close)}" if close else ""
        )
    return None, None, [msg]


def parse_activity(
    lines, linenos, *, label, n_frames, view=None, probs=None, spec=None
) -> ParsedFile:
    """Parse and check a format-(b) file: header line first, then data lines."""
    probs = probs if probs is not None else FileProblems(label)
    header = tuple(f.strip() for f in lines[0].split(","))
    view_name, order, header_problems = resolve_header(header[1:], view=view, spec=spec)
    for msg in header_problems:
        probs.add(linenos[0], msg)
    names = ("frame",) + header[1:]
    values, lns = _numeric_table(lines[1:], linenos[1:], names, probs)
    checks = [_frame_checks(n_frames)]
    for c in range(1, len(names)):
        checks.append(
            (
                c,
                lambda v: (v < 0) | (v > 1),
                lambda v, n=names[c]: (
                    f"{n} value {_fmt(v)} is outside [0, 1] (0/1 or a probability)"
                ),
            )
        )
    valid = _check_columns(values, lns, checks, probs)
    values, lns = values[valid], lns[valid]
    frames = values[:, 0].astype(np.int64)
    for r, first in _duplicates(frames[:, None], lns):
        probs.add(lns[r], f"frame {frames[r]} already given on line {lns[first]}")
    cols = values[:, 1:][:, order] if order is not None else None
    return ParsedFile(
        "activity",
        probs,
        view=view_name,
        header=header,
        frames=frames,
        values=cols,
        line_numbers=lns,
    )


def parse_submission_text(
    text: str,
    *,
    label: str,
    n_frames: int,
    n_event_classes=None,
    view=None,
    coordinates=None,
    spec=None,
):
    """Detect the format of one file's text and parse it.

    Parameters
    ----------
    text : str
        File contents.
    label : str
        File name used in problem messages.
    n_frames : int
        Label frames of the reference file (frames must be in ``[0, n_frames)``).
    n_event_classes : int, optional
        Number of event classes (format a's class column); unchecked upper bound when None.
    view : str, optional
        View declared for format-(b) files.
    coordinates : {'polar', 'cartesian'}, optional
        Format-(a) column layout; detected when None (see the module docstring).
    spec : dict, optional
        Divisions spec for format-(b) headers (default: the packaged one).

    Returns
    -------
    ParsedFile
        ``kind`` 'empty' when the text has no non-blank line.
    """
    lines, linenos = data_lines(text)
    probs = FileProblems(label)
    if not lines:
        return ParsedFile("empty", probs)
    first = tuple(f.strip().lower() for f in lines[0].split(","))
    rows_args = dict(
        label=label,
        n_frames=n_frames,
        n_event_classes=n_event_classes,
        probs=probs,
        coordinates=coordinates,
    )
    if first == DCASE2025_COLUMNS:
        return parse_rows(lines[1:], linenos[1:], layout="dcase2025", **rows_args)
    if first in (COLUMNS, CARTESIAN_COLUMNS, CARTESIAN_COLUMNS[:6]):
        probs.add(linenos[0], "format (a) files have no header line; remove it")
        return parse_rows(lines[1:], linenos[1:], **rows_args)
    if first[0] == "frame":
        return parse_activity(
            lines, linenos, label=label, n_frames=n_frames, view=view, probs=probs, spec=spec
        )
    return parse_rows(lines, linenos, **rows_args)
