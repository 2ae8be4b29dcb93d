"""The ``bindata`` command: a thin click layer over the library API.

Every :class:`~bindata.errors.BindataError` becomes a one-line (or, for collected problems, a
short multi-line) message on stderr and its exit code (2; 130 for an interrupted run); so does
an ``OSError`` that escaped the library (the path and the operating system's reason), and Ctrl-C.
This happens here and nowhere else.
"""

from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from ..errors import BindataError

#: Sub-command modules, each defining ``register(group)``. Optional parts import lazily inside.
_COMMAND_MODULES = ("hrir", "synth", "score", "bench", "dataset", "export", "rooms", "brirs")

#: Exit code of a command interrupted by Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


def os_error_message(exc: OSError) -> str:
    """``PATH: REASON`` of an ``OSError`` (both file names of a rename)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(str(p) for p in paths)
    return f"{where}: {reason}" if where else reason


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BindataError as exc:
            click.echo(f"bindata: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:
            click.echo(f"bindata: error: {os_error_message(exc)}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("bindata: interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bindata")
def cli() -> None:
    """Synthesize binaural sound-event datasets and benchmark models on them."""


for _name in _COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_name}").register(cli)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        cli.main(args=argv, prog_name="bindata", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
