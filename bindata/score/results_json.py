"""Scoring results as JSON, checked against ``schemas/score.schema.json`` and written atomically."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import OutputError, ValidationError
from ..io import write_text
from ..io.atomic import os_reason
from ..resources import validate_against_schema


def check_results(results: dict) -> None:
    """Raise :class:`~bindata.errors.ValidationError` if ``results`` breaks the score schema."""
    problems = validate_against_schema(results, "score", what="score results")
    if problems:
        raise ValidationError("score results", problems)


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
