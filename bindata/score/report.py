"""Writing scoring results as JSON, checked against ``schemas/score.schema.json``."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import ValidationError
from ..resources import validate_against_schema


def check_results(results: dict) -> None:
    """Raise :class:`~bindata.errors.ValidationError` if ``results`` breaks the score schema."""
    problems = validate_against_schema(results, "score", what="score results")
    if problems:
        raise ValidationError("score results", problems)


def write_results_json(results: dict, path) -> Path:
    """Validate ``results`` and write them as JSON (to a temporary name, then renamed).

    Parameters
    ----------
    results : dict
        Output of :func:`bindata.score.api.score_dataset`.
    path : path-like
        Destination file; its folder is created if needed.

    Returns
    -------
    pathlib.Path
    """
    check_results(results)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(results, indent=2, allow_nan=False) + "\n", "utf-8")
    os.replace(tmp, path)
    return path
