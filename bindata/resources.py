"""Access to the packaged data folders ``schemas/`` and ``metadata/``."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from .errors import ConfigError


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load the JSON Schema ``schemas/<name>.schema.json``."""
    text = resources.files("bindata.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def load_metadata(name: str) -> dict[str, Any]:
    """Load the data file ``metadata/<name>.json``."""
    text = resources.files("bindata.metadata").joinpath(f"{name}.json").read_text("utf-8")
    return json.loads(text)


def validate_against_schema(instance: Any, name: str, *, what: str) -> list[str]:
    """Return every schema violation of ``instance`` as ``'key.path: message'`` strings."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema(name))
    problems = []
    for err in sorted(validator.iter_errors(instance), key=_path_order):
        path = ".".join(str(p) for p in err.absolute_path) or "<root>"
        problems.append(f"{what}: {path}: {_rule_message(err)}")
    return problems


def _path_order(err) -> list[tuple]:
    """Sort key of a violation: its key path, list indices in numeric order (2 before 10)."""
    return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in err.absolute_path]


def _rule_message(err) -> str:
    """A schema violation as 'must <rule>, got <value>'."""
    rules = {
        "minimum": ">= {}",
        "maximum": "<= {}",
        "exclusiveMinimum": "> {}",
        "exclusiveMaximum": "< {}",
        "type": "of type {}",
        "minItems": "a list of at least {} items",
        "maxItems": "a list of at most {} items",
        "enum": "one of {}",
        "minLength": "at least {} characters long",
    }
    if err.validator in rules:
        return f"must be {rules[err.validator].format(err.validator_value)}, got {err.instance!r}"
    if err.validator == "additionalProperties":
        return f"unknown key(s): {err.message.split('(')[-1].rstrip(')')}"
    if err.validator == "required":
        return err.message
    return err.message


def require_valid(instance: Any, name: str, *, what: str, error=ConfigError) -> None:
    """Raise ``error`` listing every schema violation, or return quietly."""
    problems = validate_against_schema(instance, name, what=what)
    if problems:
        raise error("; ".join(problems))
