"""The ``--divisions FILE.json`` option of the commands that build targets from views."""

from __future__ import annotations

import functools

import click

#: The ``--divisions`` option itself (``divisions_path``): for commands that pass the file on.
divisions_option = click.option(
    "--divisions",
    "divisions_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Your own divisions and views (JSON, schemas/divisions.schema.json) instead of "
    "metadata/divisions.json.",
)


def with_divisions(command):
    """Add ``--divisions`` to a click command callback; the callback runs with those divisions.

    The file (``schemas/divisions.schema.json``) is read and checked before the command starts;
    inside it every view without an explicit spec comes from the file
    (:func:`bindata.divisions.use_divisions`).
    """

    @divisions_option
    @functools.wraps(command)
    def wrapper(*args, divisions_path=None, **kwargs):
        from ..divisions import load_divisions, use_divisions

        spec = load_divisions(divisions_path) if divisions_path else None
        with use_divisions(spec):
            return command(*args, **kwargs)

    return wrapper
