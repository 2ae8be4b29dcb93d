"""The one problem collector: places with lines, a cap per place and kind, one error."""

from __future__ import annotations

import pytest

from bindata.errors import DatasetError, SubmissionError, ValidationError
from bindata.problems import Problems


def test_place_and_line_prefix_every_message():
    probs = Problems()
    probs.add("a.csv", "bad value", line=3)
    probs.add("a.csv", "file is empty")
    probs.extend(["cfg.json: n_files: must be >= 1, got 0"])
    assert probs.lines() == [
        "a.csv:3: bad value",
        "a.csv: file is empty",
        "cfg.json: n_files: must be >= 1, got 0",
    ]
    assert len(probs) == 3


def test_cap_applies_per_place_and_kind_and_counts_the_rest():
    probs = Problems(cap=3)
    for n in range(1, 8):
        probs.add("a.csv", f"row {n} bad", line=n, kind="row")
    for n in range(1, 5):
        probs.add("b.csv", f"row {n} bad", line=n, kind="row")
    for n in range(5):
        probs.add("a.csv", f"uncapped {n}")
    lines = probs.lines()
    assert lines[:4] == [
        "a.csv:1: row 1 bad",
        "a.csv:2: row 2 bad",
        "a.csv:3: row 3 bad",
        "a.csv: ... and 4 more problem(s) not listed",
    ]
    assert lines[4:8] == [
        "b.csv:1: row 1 bad",
        "b.csv:2: row 2 bad",
        "b.csv:3: row 3 bad",
        "b.csv: ... and 1 more problem(s) not listed",
    ]
    assert lines[8:] == [f"a.csv: uncapped {n}" for n in range(5)]
    assert len(probs) == 16


def test_exactly_cap_problems_get_no_tail():
    probs = Problems(cap=2)
    probs.add("x", "one", line=1, kind="k")
    probs.add("x", "two", line=2, kind="k")
    assert probs.lines() == ["x:1: one", "x:2: two"]


def test_by_line_orders_each_place_and_keeps_the_earliest_lines():
    probs = Problems(cap=2)
    probs.add("s.csv", "header", line=None, kind="k")
    for n in (9, 4, 7, 1):
        probs.add("s.csv", f"line {n}", line=n, kind="k")
    probs.add("t.csv", "late", line=2, kind="k")
    assert probs.lines(by_line=True) == [
        "s.csv: header",
        "s.csv:1: line 1",
        "s.csv: ... and 3 more problem(s) not listed",
        "t.csv:2: late",
    ]


def test_raise_if_any_builds_the_asked_error():
    Problems().raise_if_any(DatasetError, "nothing")  # no problem: returns
    probs = Problems()
    probs.add("m.json", "seed: missing")
    with pytest.raises(DatasetError, match=r"^m.json: seed: missing$"):
        probs.raise_if_any(DatasetError, "m.json")
    probs.add("m.json", "files: must be a list")
    with pytest.raises(DatasetError, match=r"^m.json: 2 problem\(s\):\n  m.json: seed"):
        probs.raise_if_any(DatasetError, "m.json")
    with pytest.raises(ValidationError) as info:
        probs.raise_if_any(ValidationError, "DATASET")
    assert info.value.problems == probs.lines()
    with pytest.raises(SubmissionError) as sub:
        probs.raise_if_any(SubmissionError)
    assert sub.value.problems == probs.lines()


def test_cap_must_be_positive():
    with pytest.raises(ValueError, match="cap must be >= 1"):
        Problems(cap=0)
