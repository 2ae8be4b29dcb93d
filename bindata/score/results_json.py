"""Scoring results as JSON, checked against ``schemas/score.schema.json`` and written atomically."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import OutputError, OutputExistsError, ValidationError
from ..io import write_text
from ..io.atomic import os_reason, unwritable_reason
from ..resources import validate_against_schema


def check_results(results: dict) -> None:
    """Raise :class:`~bindata.errors.ValidationError` if ``results`` breaks the score schema."""
    problems = validate_against_schema(results, "score", what="score results")
    if problems:
        raise ValidationError("score results", problems)


def check_results_path(path, *, overwrite: bool = False) -> Path:
    """Check, before anything is scored, that the results can go to ``path``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is false (existing output is never replaced silently).
    OutputError
        ``path`` is a folder, or the nearest existing folder above it is not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; the score results go to a .json file")
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: exists (overwrite=True replaces it)")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    reason = unwritable_reason(folder)
    if reason:
        raise OutputError(f"{path}: cannot write in {folder} ({reason})")
    return path


def write_results_json(results: dict, path) -> Path:
    """Validate ``results`` and write them as JSON (:func:`bindata.io.write_text`, atomic).

    Parameters
    ----------
    results : dict
        Output of :func:`bindata.score.api.score_dataset`.
    path : path-like
        Destination file; its folder is created if needed.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValidationError
        The results break the schema (nothing is written).
    OutputError
        The file cannot be written.
    """
    check_results(results)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path.parent}: cannot create the folder ({os_reason(exc)})") from exc
    write_text(path, json.dumps(results, indent=2, allow_nan=False) + "\n")
    return path
