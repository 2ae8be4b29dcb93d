"""The ``bindata`` command: a thin click layer over the library API.

Every :class:`~bindata.errors.BindataError` becomes a one-line (or, for collected problems, a
short multi-line) message on stderr and exit code 2, here and nowhere else.
"""

from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from ..errors import BindataError

#: Sub-command modules, each defining ``register(group)``. Optional parts import lazily inside.
_COMMAND_MODULES = ("hrir", "synth", "score", "bench", "dataset", "rooms")


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BindataError as exc:
            click.echo(f"bindata: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bindata")
def cli() -> None:
    """Synthesize binaural sound-event datasets and benchmark models on them."""


for _name in _COMMAND_MODULES:
    try:
        _mod = importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _exc:  # a sub-command module not written yet
        if _exc.name != f"{__name__}.{_name}":
            raise
        continue
    _mod.register(cli)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        cli.main(args=argv, prog_name="bindata", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
