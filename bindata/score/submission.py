"""Reading a submission folder: every problem first, then the data for scoring.

A submission folder holds one ``<stem>.csv`` per reference file, all in one format (see
:mod:`bindata.score.formats`). :func:`read_submission` checks the folder (missing and unexpected
files), every file (line by line) and the consistency of formats and views across files, and
raises one :class:`~bindata.errors.SubmissionError` listing everything it found. Only a clean
submission is returned.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError, SubmissionError
from .activity import StackedRows, stack_rows
from .formats import ParsedFile, known_views, parse_submission_text
from .reference import Reference

#: Accepted values of the ``missing`` option.
MISSING_MODES = ("error", "empty")


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
    """

    kind: str
    view: str | None
    rows: StackedRows | None
    values: np.ndarray | None
    missing: tuple


def _check_options(view, missing) -> None:
    if missing not in MISSING_MODES:
        raise ConfigError(f"missing must be one of {list(MISSING_MODES)}, got {missing!r}")
    if view is not None and view not in known_views():
        raise ConfigError(f"--view {view!r} is not a known view; known: {', '.join(known_views())}")


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


def _assemble(parsed, reference: Reference, view, missing_stems) -> Submission:
    kinds = {p.kind for p in parsed.values()} - {"empty"}
    kind = kinds.pop() if kinds else ("activity" if view else "rows")
    files = [parsed.get(s) for s in reference.stems]
    if kind == "rows":
        rows = stack_rows(
            [np.zeros((0, 6)) if p is None or p.rows is None else p.rows for p in files]
        )
        return Submission("rows", None, rows, None, tuple(missing_stems))
    views = {p.view for p in files if p is not None and p.kind == "activity"}
    view = views.pop() if views else view
    n_classes = len(known_views()[view])
    values = np.zeros((len(files), reference.n_frames, n_classes))
    for k, p in enumerate(files):
        if p is not None and p.kind == "activity":
            values[k, p.frames] = p.values
    return Submission("activity", view, None, values, tuple(missing_stems))


def _read_files(root: Path, reference: Reference, view, missing, problems: list):
    """Parse every reference file's submission file; append problems; return the parsed files."""
    parsed, labels, missing_stems = {}, {}, []
    n_event_classes = len(reference.event_classes) if reference.event_classes else None
    for stem in reference.stems:
        path = root / f"{stem}.csv"
        labels[stem] = str(path)
        if not path.is_file():
            if missing == "empty":
                missing_stems.append(stem)
            else:
                problems.append(
                    f"{path}: missing; the reference has file {stem!r} "
                    "(use --missing empty to score absent files as no activity)"
                )
            continue
        text, problem = _read_text(path)
        if problem:
            problems.append(problem)
            continue
        p = parse_submission_text(
            text, label=str(path), n_frames=reference.n_frames,
            n_event_classes=n_event_classes, view=view,
        )  # fmt: skip
        problems.extend(p.problems.listed())
        parsed[stem] = p
    return parsed, labels, missing_stems


def read_submission(pred_dir, *, reference: Reference, view=None, missing="error") -> Submission:
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
    _check_options(view, missing)
    root = Path(pred_dir)
    if not root.is_dir():
        raise SubmissionError([f"{root}: submission folder not found"])
    problems = _unexpected_entries(root, reference)
    parsed, labels, missing_stems = _read_files(root, reference, view, missing, problems)
    problems.extend(_consistency(parsed, labels))
    if view is not None and any(p.kind == "rows" for p in parsed.values()):
        problems.append(
            f"{root}: --view {view} describes format (b) files, but the submission holds format "
            "(a) DCASE rows (which give every view); drop --view"
        )
    if problems:
        raise SubmissionError(problems)
    return _assemble(parsed, reference, view, missing_stems)
