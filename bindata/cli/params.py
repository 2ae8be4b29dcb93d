"""Parameter types shared by the sub-commands."""

from __future__ import annotations

import math

import click


class FiniteFloat(click.ParamType):
    """A float flag that refuses NaN and infinity, optionally within ``[lo, hi]``.

    ``click``'s own ``float`` and ``FloatRange`` let ``nan`` through (every comparison with NaN
    is false); this type reports ``--duration: must be a finite number, got 'nan'`` (exit 2).
    """

    name = "float"

    def __init__(self, lo: float | None = None, hi: float | None = None, *, lo_open=False):
        self.lo, self.hi, self.lo_open = lo, hi, lo_open

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"must be a number, got {value!r}", param, ctx)
        if not math.isfinite(number):
            self.fail(f"must be a finite number, got {value!r}", param, ctx)
        if self.lo is not None and (number <= self.lo if self.lo_open else number < self.lo):
            self.fail(
                f"must be {'>' if self.lo_open else '>='} {self.lo:g}, got {value!r}", param, ctx
            )
        if self.hi is not None and number > self.hi:
            self.fail(f"must be <= {self.hi:g}, got {value!r}", param, ctx)
        return number


#: Use instead of ``type=float`` for every float flag.
FINITE_FLOAT = FiniteFloat()


#: The flags of a source's directivity and orientation -> library options
#: (:data:`bindata.config.OPTIONS`), shared by ``synth`` and ``brirs``.
DIRECTIVITY_FLAGS = {
    "--directivity": "directivity",
    "--directivity-alpha": "directivity_alpha",
    "--directivity-order": "directivity_order",
    "--source-orientation": "source_orientation",
    "--source-facing": "facing_spread_deg",
}


def directivity_options(command):
    """Add the :data:`DIRECTIVITY_FLAGS` options to a command (keyword arguments
    ``directivity``, ``directivity_alpha``, ``directivity_order``, ``source_orientation``,
    ``source_facing``)."""
    options = [
        click.option(
            "--directivity",
            metavar="omni|cardioid|FILE",
            help="Source directivity: 'omni', 'cardioid' (the family |(1-a) + a cos| ** order) "
            "or a SOFA file of a measured one (FreeFieldDirectivityTF, GeneralTF) [omni].",
        ),
        click.option(
            "--directivity-alpha",
            type=FINITE_FLOAT,
            nargs=2,
            metavar="LO HI",
            help="Range of the cardioid family's alpha, drawn per source (0 omni, 0.5 cardioid, "
            "0.75 hypercardioid, 1 figure-eight) [0.5 0.5].",
        ),
        click.option(
            "--directivity-order",
            type=FINITE_FLOAT,
            metavar="N",
            help="Exponent of the cardioid family (higher: narrower) [1].",
        ),
        click.option(
            "--source-orientation",
            type=click.Choice(["facing", "uniform"]),
            help="Source axes: facing the head (within --source-facing) or uniform in azimuth "
            "[facing].",
        ),
        click.option(
            "--source-facing",
            type=FINITE_FLOAT,
            metavar="SPREAD_DEG",
            help="Largest azimuth turn of a facing source from facing the head, degrees [30].",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def directivity_given(
    directivity, directivity_alpha, directivity_order, source_orientation, source_facing
) -> dict:
    """Flag -> value of the :data:`DIRECTIVITY_FLAGS` options as a command received them."""
    return {
        "--directivity": directivity,
        "--directivity-alpha": directivity_alpha,
        "--directivity-order": directivity_order,
        "--source-orientation": source_orientation,
        "--source-facing": source_facing,
    }
