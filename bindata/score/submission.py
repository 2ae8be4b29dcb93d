"""Reading a submission folder: every problem first, then the data for scoring.

A submission folder holds one ``<stem>.csv`` per reference file, all in one format (see
:mod:`bindata.score.formats`). :func:`read_submission` checks the folder (missing and unexpected
files), every file (line by line) and the consistency of formats and views across files, and
raises one :class:`~bindata.errors.SubmissionError` listing everything it found. Only a clean
submission is returned.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import ConfigError, SubmissionError
from ..problems import Problems
from .activity import StackedRows, stack_rows
from .formats import ParsedFile, known_views, parse_submission_text
from .reference import Reference

#: Accepted values of the ``missing`` option.
MISSING_MODES = ("error", "empty")

#: Units of a submission's distance column, and their factor to centimetres.
DISTANCE_UNITS = {"cm": 1.0, "m": 100.0}

#: Largest distance that, when every distance of a submission in cm is below it, looks like metres.
METRES_LOOK = 10.0


@dataclass(frozen=True)
class Submission:
    """A checked submission, aligned with the reference files.

    Attributes
    ----------
    kind : str
        ``'rows'`` (format a, DCASE rows) or ``'activity'`` (format b, class activity of a view).
    view : str or None
        Format (b): the view of the columns.
    rows : StackedRows or None
        Format (a): the rows of all files (file index = reference order).
    values : numpy.ndarray or None
        Format (b): float array (n_files, n_frames, n_classes), values in [0, 1], view order.
    missing : tuple of str
        Stems without a file, scored as no activity (``missing='empty'``).
    has_distance : bool
        Format (a): the rows give distances (polar rows, or cartesian rows with 7 columns).
    has_elevation : bool
        Format (a): the rows give elevations (all but DCASE 2025 rows).
    warnings : tuple of str
        Things that look wrong but are not errors (distances that look like metres).
    divisions : dict or None
        The divisions spec its views come from (None: the packaged one).
    """

    kind: str
    view: str | None
    rows: StackedRows | None
    values: np.ndarray | None
    missing: tuple
    has_distance: bool = True
    has_elevation: bool = True
    warnings: tuple = ()
    divisions: dict | None = None


def _check_options(view, missing, distance_unit="cm", coordinates=None, spec=None) -> None:
    if distance_unit not in DISTANCE_UNITS:
        raise ConfigError(
            f"distance unit must be one of {list(DISTANCE_UNITS)}, got {distance_unit!r}"
        )
    if coordinates not in (None, "polar", "cartesian"):
        raise ConfigError(
            f"coordinates must be 'polar', 'cartesian' or detected (None), got {coordinates!r}"
        )
    if missing not in MISSING_MODES:
        raise ConfigError(f"missing must be one of {list(MISSING_MODES)}, got {missing!r}")
    if view is not None and view not in known_views(spec):
        known = ", ".join(known_views(spec))
        raise ConfigError(f"view {view!r} is not a known view; known: {known}")


def _unexpected_entries(root: Path, reference: Reference) -> list[str]:
    expected = {f"{s}.csv" for s in reference.stems} | {f"{s}.csv" for s in reference.ignored_stems}
    problems = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name in expected:
            continue
        what = "folder" if entry.is_dir() else "file"
        problems.append(
            f"{entry}: unexpected {what}; a submission holds one <stem>.csv per reference file "
            f"and the reference has no file {entry.stem!r}"
        )
    return problems


def _read_text(path: Path) -> tuple[str | None, str | None]:
    try:
        return path.read_bytes().decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
    except OSError as exc:
        return None, f"{path}: cannot read ({exc.strerror})"


def _consistency(parsed: dict[str, ParsedFile], labels: dict[str, str]) -> list[str]:
    kinds = Counter(p.kind for p in parsed.values() if p.kind != "empty")
    problems = []
    if len(kinds) > 1:
        main = "rows" if kinds["rows"] >= kinds["activity"] else "activity"
        names = {"rows": "format (a) DCASE rows", "activity": "format (b) class activity"}
        for stem, p in parsed.items():
            if p.kind not in (main, "empty"):
                problems.append(
                    f"{labels[stem]}: {names[p.kind]}, but {kinds[main]} other file(s) are "
                    f"{names[main]}; a submission uses one format"
                )
        return problems
    views = Counter(p.view for p in parsed.values() if p.kind == "activity" and p.view)
    if len(views) > 1:
        main = views.most_common(1)[0][0]
        for stem, p in parsed.items():
            if p.kind == "activity" and p.view and p.view != main:
                problems.append(
                    f"{labels[stem]}:1: header is view {p.view!r}, but {views[main]} other "
                    f"file(s) use view {main!r}; a submission uses one view"
                )
    return problems


def _distance_warnings(per_file, distance_unit: str, root) -> tuple:
    dist = np.concatenate([r[:, 5] for r in per_file]) if per_file else np.zeros(0)
    dist = dist[np.isfinite(dist)]
    if distance_unit == "cm" and len(dist) and (dist < METRES_LOOK).all():
        return (
            f"{root}: every distance of the submission is below {METRES_LOOK:g} (largest "
            f"{dist.max():g}) but they are read as centimetres; they look like metres -- "
            "give the distance unit m if they are",
        )
    return ()


def _layout_consistency(parsed: dict[str, ParsedFile], labels: dict[str, str]) -> list[str]:
    """DCASE-rows files must share one column layout (polar, cartesian, with/without distance)."""

    def name(p):
        return f"{p.layout} rows {'with' if p.has_distance else 'without'} distance"

    kinds = Counter(name(p) for p in parsed.values() if p.kind == "rows")
    if len(kinds) < 2:
        return []
    main = kinds.most_common(1)[0][0]
    return [
        f"{labels[stem]}: {name(p)}, but {kinds[main]} other file(s) are {main}; a submission "
        "uses one column layout"
        for stem, p in parsed.items()
        if p.kind == "rows" and name(p) != main
    ]


def _assemble_rows(files, missing_stems, distance_unit: str, root) -> Submission:
    per_file = [np.zeros((0, 6)) if p is None or p.rows is None else p.rows for p in files]
    warnings = _distance_warnings(per_file, distance_unit, root)
    scale = DISTANCE_UNITS[distance_unit]
    per_file = [np.column_stack([r[:, :5], r[:, 5] * scale]) for r in per_file]
    given = [p for p in files if p is not None and p.kind == "rows"]
    return Submission(
        "rows",
        None,
        stack_rows(per_file),
        None,
        tuple(missing_stems),
        has_distance=all(p.has_distance for p in given),
        has_elevation=all(p.has_elevation for p in given),
        warnings=warnings,
    )


def _assemble(parsed, reference: Reference, view, missing_stems, distance_unit, root, spec):
    kinds = {p.kind for p in parsed.values()} - {"empty"}
    kind = kinds.pop() if kinds else ("activity" if view else "rows")
    files = [parsed.get(s) for s in reference.stems]
    if kind == "rows":
        sub = _assemble_rows(files, missing_stems, distance_unit, root)
        return replace(sub, divisions=spec)
    views = {p.view for p in files if p is not None and p.kind == "activity"}
    view = views.pop() if views else view
    n_classes = len(known_views(spec)[view])
    values = np.zeros((len(files), reference.n_frames, n_classes))
    for k, p in enumerate(files):
        if p is not None and p.kind == "activity":
            values[k, p.frames] = p.values
    return Submission(
        "activity", view, None, values, tuple(missing_stems), has_distance=False, divisions=spec
    )


def _read_files(root: Path, reference: Reference, view, missing, problems: Problems, options: dict):
    """Parse every reference file's submission file; add problems; return the parsed files."""
    parsed, labels, missing_stems = {}, {}, []
    n_event_classes = len(reference.event_classes) if reference.event_classes else None
    for stem in reference.stems:
        path = root / f"{stem}.csv"
        labels[stem] = str(path)
        if not path.is_file():
            if missing == "empty":
                missing_stems.append(stem)
            else:
                problems.add(
                    path,
                    f"missing; the reference has file {stem!r} (to score absent files as no "
                    "activity, set missing='empty')",
                )
            continue
        text, problem = _read_text(path)
        if problem:
            problems.extend([problem])
            continue
        p = parse_submission_text(
            text,
            label=str(path),
            n_frames=reference.n_frames,
            n_event_classes=n_event_classes,
            view=view,
            **options,
        )
        problems.extend(p.problems.listed())
        parsed[stem] = p
    return parsed, labels, missing_stems


def read_submission(
    pred_dir,
    *,
    reference: Reference,
    view=None,
    missing="error",
    distance_unit="cm",
    coordinates=None,
    divisions=None,
) -> Submission:
    """Check a submission folder completely, then load it.

    Parameters
    ----------
    pred_dir : path-like
        Folder with one ``<stem>.csv`` per reference file.
    reference : Reference
        The reference (:func:`bindata.score.reference.load_reference`).
    view : str, optional
        View of format-(b) files (their header may then list its classes in any order).
    missing : {'error', 'empty'}
        How to treat reference files without a submission file: a problem, or no activity.
    distance_unit : {'cm', 'm'}
        Unit of the rows' distance column (the metadata's is cm). When it is cm and every
        distance is below 10, the submission carries a warning that they look like metres.
    coordinates : {'polar', 'cartesian'}, optional
        Column layout of DCASE rows; detected when None (:mod:`bindata.score.formats`).
    divisions : dict, optional
        Divisions spec of format-(b) views (:func:`bindata.divisions.load_divisions`).

    Returns
    -------
    Submission

    Raises
    ------
    SubmissionError
        With every problem found (file and line each).
    ConfigError
        An unknown ``view`` or ``missing`` mode.
    """
    _check_options(view, missing, distance_unit, coordinates, divisions)
    root = Path(pred_dir)
    if not root.is_dir():
        raise SubmissionError([f"{root}: submission folder not found"])
    problems = Problems()
    problems.extend(_unexpected_entries(root, reference))
    parsed, labels, missing_stems = _read_files(
        root, reference, view, missing, problems, {"coordinates": coordinates, "spec": divisions}
    )
    problems.extend(_layout_consistency(parsed, labels))
    problems.extend(_consistency(parsed, labels))
    if view is not None and any(p.kind == "rows" for p in parsed.values()):
        problems.add(
            root,
            f"view {view!r} describes format (b) files, but the submission holds format (a) "
            "DCASE rows (which give every view); leave the view unset",
        )
    problems.raise_if_any(SubmissionError)
    return _assemble(parsed, reference, view, missing_stems, distance_unit, root, divisions)
