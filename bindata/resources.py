"""Access to the packaged data folders ``schemas/`` and ``metadata/``."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import ConfigError


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """Load the JSON Schema ``schemas/<name>.schema.json``."""
    text = resources.files("bindata.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def load_metadata(name: str) -> dict[str, Any]:
    """Load the data file ``metadata/<name>.json``."""
    text = resources.files("bindata.metadata").joinpath(f"{name}.json").read_text("utf-8")
    return json.loads(text)


def validate_against_schema(instance: Any, name: str, *, what: str) -> list[str]:
    """Return every schema violation of ``instance`` as ``'key.path: message'`` strings."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema(name))
    problems = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        path = ".".join(str(p) for p in err.absolute_path) or "<root>"
        problems.append(f"{what}: {path}: {err.message}")
    return problems


def require_valid(instance: Any, name: str, *, what: str, error=ConfigError) -> None:
    """Raise ``error`` listing every schema violation, or return quietly."""
    problems = validate_against_schema(instance, name, what=what)
    if problems:
        raise error("; ".join(problems))
