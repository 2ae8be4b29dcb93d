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
