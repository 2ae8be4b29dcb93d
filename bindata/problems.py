"""The one problem collector: checks report every problem, not only the first.

A check adds each problem with the place it was found (a path, a ``path:line``, a config key) and
goes on; the caller lists them all or raises one error holding them all. So that one broken file
of 100 000 lines does not drown the report, problems of the same *kind* at the same place are
capped: after ``cap`` of them the rest are counted in a closing ``... and N more problem(s) not
listed`` line. Problems added without a kind are never capped.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import BindataError, SubmissionError, ValidationError

#: Problems of one kind listed per place before the rest are only counted.
DEFAULT_CAP = 10


@dataclass(frozen=True)
class _Item:
    where: str
    line: int | None
    kind: str | None
    text: str


class Problems:
    """Problems as ``WHERE[:LINE]: message`` lines, capped per (place, kind).

    Parameters
    ----------
    cap : int, keyword-only
        Problems listed per place and kind (default :data:`DEFAULT_CAP`); the rest are counted.

    Examples
    --------
    >>> probs = Problems(cap=2)
    >>> for n in (1, 2, 3):
    ...     probs.add("a.csv", "bad row", line=n, kind="row")
    >>> probs.lines()
    ['a.csv:1: bad row', 'a.csv:2: bad row', 'a.csv: ... and 1 more problem(s) not listed']
    """

    def __init__(self, *, cap: int = DEFAULT_CAP):
        if cap < 1:
            raise ValueError(f"cap must be >= 1, got {cap}")
        self.cap = int(cap)
        self._items: list[_Item] = []

    def add(
        self,
        where: str | os.PathLike,
        message: str,
        *,
        line: int | None = None,
        kind: str | None = None,
    ) -> None:
        """Record ``message`` found at ``where`` (and 1-based ``line``, when given).

        ``kind`` groups problems for the cap (e.g. ``"row"``); None: never capped.
        """
        place = str(where) if line is None else f"{where}:{int(line)}"
        self._items.append(_Item(str(where), line, kind, f"{place}: {message}"))

    def extend(self, lines: Iterable[str]) -> None:
        """Record problems already written as ``WHERE: message`` (schema checks, error texts)."""
        for text in lines:
            self._items.append(_Item(str(text).split(": ", 1)[0], None, None, str(text)))

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def lines(self, *, by_line: bool = False) -> list[str]:
        """Every problem, capped per place and kind, in the order added.

        ``by_line`` orders the problems of each place by line number (problems without a line
        first), keeping places in the order they first appeared.
        """
        items = self._items
        if by_line:
            first = {}
            for item in items:
                first.setdefault(item.where, len(first))
            items = sorted(items, key=lambda it: (first[it.where], it.line or 0))
        counts = Counter((it.where, it.kind) for it in items if it.kind is not None)
        out: list[str] = []
        shown: Counter = Counter()
        for item in items:
            group = (item.where, item.kind)
            if item.kind is None:
                out.append(item.text)
                continue
            shown[group] += 1
            if shown[group] <= self.cap:
                out.append(item.text)
            if shown[group] == min(self.cap, counts[group]) and counts[group] > self.cap:
                out.append(
                    f"{item.where}: ... and {counts[group] - self.cap} more problem(s) not listed"
                )
        return out

    def raise_if_any(self, error_cls: type[BindataError] = ValidationError, what: str = "") -> None:
        """Raise ``error_cls`` holding every listed problem, or return when there is none.

        :class:`~bindata.errors.ValidationError` and :class:`~bindata.errors.SubmissionError`
        carry the list (``.problems``); any other class gets one message: the problem itself when
        there is one, else ``WHAT: N problem(s):`` and one indented line each.
        """
        if not self:
            return
        lines = self.lines()
        if issubclass(error_cls, ValidationError):
            raise error_cls(what, lines)
        if issubclass(error_cls, SubmissionError):
            raise error_cls(lines)
        if len(lines) == 1:
            raise error_cls(lines[0])
        head = f"{what}: {len(self)} problem(s)" if what else f"{len(self)} problem(s)"
        raise error_cls(head + ":\n" + "\n".join(f"  {line}" for line in lines))
