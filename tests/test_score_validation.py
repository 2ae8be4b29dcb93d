"""Malformed submissions: every problem is reported with file and line, nothing is scored."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bindata.cli import cli
from bindata.errors import ConfigError, SubmissionError
from bindata.score import load_reference, read_submission, score_dataset
from bindata.score.formats import MAX_PROBLEMS_PER_FILE

from .test_score_helpers import csv_rows, make_dataset, write_files

GOOD = csv_rows([(f, 0, 0, 90, 0, 150) for f in range(10, 30)])
HEADER = "frame,left,right,front,back,top,bottom\n"

# (id, text of fold1_a.csv, view, expected line, expected message part)
FILE_CASES = [
    ("column count", "0,0,0,90,0\n", None, 1, "expected 6 columns (frame,class,source,azimuth"),
    ("non-numeric", GOOD + "3,0,0,left,0,100\n", None, 21, "azimuth is not a number: 'left'"),
    ("empty field", "0,0,0,,0,100\n", None, 1, "azimuth is not a number: ''"),
    ("nan", "0,0,0,90,nan,100\n", None, 1, "elevation is nan; values must be finite"),
    ("inf", "0,0,0,90,0,inf\n", None, 1, "distance is inf; values must be finite"),
    ("frame beyond", "150,0,0,90,0,100\n", None, 1, "frame 150 is beyond the file's length of 150"),
    ("negative frame", "-1,0,0,90,0,100\n", None, 1, "frame -1 is negative"),
    ("fractional frame", "2.5,0,0,90,0,100\n", None, 1, "frame 2.5 is not an integer"),
    ("unknown class", "0,4,0,90,0,100\n", None, 1, "class 4 is not an event class index 0..3"),
    ("negative source", "0,1,-1,90,0,100\n", None, 1, "source -1 is not an integer >= 0"),
    ("azimuth range", "0,0,0,200,0,100\n", None, 1, "azimuth 200 is outside [-180, 180]"),
    ("elevation range", "0,0,0,90,-95,100\n", None, 1, "elevation -95 is outside [-90, 90]"),
    ("negative distance", "0,0,0,90,0,-3\n", None, 1, "distance -3 is negative"),
    (
        "duplicate row",
        "5,1,0,90,0,100\n5,1,0,10,0,100\n",
        None,
        2,
        "duplicate row: frame 5, class 1, source 0 already given on line 1",
    ),
    (
        "dcase header",
        "frame,class,source,azimuth,elevation,distance\n" + GOOD,
        None,
        1,
        "format (a) files have no header line",
    ),
    (
        "unknown header class",
        "frame,left,rite\n0,1,0\n",
        None,
        1,
        "header class(es) ['rite'] are unknown",
    ),
    (
        "header order",
        "frame,right,left,front,back,top,bottom\n",
        None,
        1,
        "in another order; name the view (then",
    ),
    (
        "duplicate header class",
        "frame,left,left\n",
        None,
        1,
        "header names class 'left' more than once",
    ),
    ("no matching view", "frame,left,front\n", None, 1, "matches no view's class list"),
    ("activity column count", HEADER + "0,1,0,1,0,1\n", None, 2, "expected 7 columns"),
    (
        "probability range",
        HEADER + "0,1.5,0,1,0,1,0\n",
        None,
        2,
        "left value 1.5 is outside [0, 1]",
    ),
    ("activity nan", HEADER + "0,1,0,nan,0,1,0\n", None, 2, "front is nan"),
    (
        "duplicate frame",
        HEADER + "3,1,0,1,0,1,0\n4,1,0,1,0,1,0\n3,0,1,1,0,1,0\n",
        None,
        4,
        "frame 3 already given on line 2",
    ),
    ("activity frame beyond", HEADER + "200,1,0,1,0,1,0\n", None, 2, "frame 200 is beyond"),
    (
        "header not of --view",
        "frame,left,right,front\n",
        "lr",
        1,
        "header class(es) ['front'] are not classes of view 'lr'",
    ),
    ("header lacks --view class", "frame,left\n", "lr", 1, "header lacks class(es) ['right']"),
]


@pytest.fixture
def reference(tmp_path):
    files = {"fold1_a": [(f, 0, 0, 90, 0, 150) for f in range(20)], "fold2_b": []}
    make_dataset(tmp_path / "ref", files, duration_s=15.0)
    return load_reference(tmp_path / "ref")


def problems_of(pred, reference, **kw) -> list[str]:
    with pytest.raises(SubmissionError) as info:
        read_submission(pred, reference=reference, **kw)
    return info.value.problems


@pytest.mark.parametrize("case", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_malformed_file_is_reported_with_file_and_line(tmp_path, reference, case):
    _, text, view, line, message = case
    pred = write_files(tmp_path / "pred", {"fold1_a": text, "fold2_b": ""})  # empty: no activity
    problems = problems_of(pred, reference, view=view)
    prefix = f"{pred / 'fold1_a.csv'}:{line}: "
    assert len(problems) == 1, problems
    assert problems[0].startswith(prefix), problems
    assert message in problems[0], problems


def test_every_problem_of_every_file_is_collected(tmp_path, reference):
    bad_a = "0,0,0,90,0\n1,0,0,90,0,100\n2,9,0,90,0,100\n3,0,0,90,0,100,7\n"
    bad_b = "x,0,0,90,0,100\n"
    pred = write_files(tmp_path / "pred", {"fold1_a": bad_a, "fold2_b": bad_b})
    problems = problems_of(pred, reference)
    a, b = pred / "fold1_a.csv", pred / "fold2_b.csv"
    assert [p.split(": ")[0] for p in problems] == [f"{a}:1", f"{a}:3", f"{a}:4", f"{b}:1"]


def test_missing_and_unexpected_files(tmp_path, reference):
    pred = write_files(tmp_path / "pred", {"fold1_a": GOOD, "fold3_zz": GOOD})
    (pred / "notes.txt").write_text("hello")
    problems = problems_of(pred, reference)
    assert len(problems) == 3
    assert any(p.startswith(f"{pred / 'fold2_b.csv'}: missing") for p in problems)
    assert any(p.startswith(f"{pred / 'fold3_zz.csv'}: unexpected file") for p in problems)
    assert any(p.startswith(f"{pred / 'notes.txt'}: unexpected file") for p in problems)


def test_cli_names_the_flags_where_the_library_names_its_options(tmp_path, reference):
    pred = write_files(tmp_path / "pred", {"fold1_a": "frame,right,left,front,back,top,bottom\n"})
    r = CliRunner().invoke(cli, ["score", "--ref", str(reference.root), "--pred", str(pred)])
    assert r.exit_code == 2
    assert "pass --missing empty" in r.output and "name the view with --view" in r.output
    with pytest.raises(SubmissionError) as err:
        read_submission(pred, reference=reference)
    assert "set missing='empty'" in str(err.value) and "--" not in str(err.value)


def test_missing_folder(tmp_path, reference):
    problems = problems_of(tmp_path / "nope", reference)
    assert problems == [f"{tmp_path / 'nope'}: submission folder not found"]


def test_mixed_formats_are_reported(tmp_path, reference):
    pred = write_files(tmp_path / "pred", {"fold1_a": GOOD, "fold2_b": HEADER + "0,1,0,1,0,1,0\n"})
    (problem,) = problems_of(pred, reference)
    assert problem.startswith(f"{pred / 'fold2_b.csv'}: format (b) class activity")
    assert "one format" in problem


def test_mixed_views_are_reported(tmp_path, reference):
    texts = {"fold1_a": HEADER + "0,1,0,1,0,1,0\n", "fold2_b": "frame,left,right\n0,1,0\n"}
    pred = write_files(tmp_path / "pred", texts)
    problems = problems_of(pred, reference)
    assert len(problems) == 1 and "one view" in problems[0]


def test_view_option_with_dcase_rows_is_reported(tmp_path, reference):
    pred = write_files(tmp_path / "pred", {"fold1_a": GOOD, "fold2_b": ""})
    (problem,) = problems_of(pred, reference, view="planes")
    assert "view 'planes' describes format (b) files" in problem
    assert "--" not in problem.split(": ", 1)[1]  # library terms, no CLI flag


def test_non_utf8_file(tmp_path, reference):
    pred = write_files(tmp_path / "pred", {"fold2_b": ""})
    (pred / "fold1_a.csv").write_bytes(b"0,0,0,90,0,100\n\xff\xfe\n")
    (problem,) = problems_of(pred, reference)
    assert problem.startswith(f"{pred / 'fold1_a.csv'}: not UTF-8 text")


def test_problem_list_is_capped_per_file_with_a_count(tmp_path, reference):
    pred = write_files(tmp_path / "pred", {"fold1_a": "1,2,3\n" * 150, "fold2_b": ""})
    problems = problems_of(pred, reference)
    assert len(problems) == MAX_PROBLEMS_PER_FILE + 1
    assert problems[-1].endswith(
        f"... and {150 - MAX_PROBLEMS_PER_FILE} more problem(s) not listed"
    )


def test_bad_options_are_config_errors(tmp_path, reference):
    pred = write_files(tmp_path / "pred", {"fold1_a": GOOD, "fold2_b": ""})
    with pytest.raises(ConfigError, match="not a known view"):
        read_submission(pred, reference=reference, view="sideways")
    with pytest.raises(ConfigError, match="missing must be one of"):
        read_submission(pred, reference=reference, missing="skip")
    with pytest.raises(ConfigError, match="cannot be scored from DCASE rows"):
        score_dataset(reference.root, pred, views=["planes_eq1"])


def test_cli_reports_problems_and_exits_2(tmp_path, reference):
    pred = write_files(tmp_path / "pred", {"fold1_a": "150,0,0,90,0,100\n0,0,0,90,0\n"})
    args = ["score", "--ref", str(reference.root), "--pred", str(pred)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "3 problem(s) in submission" in result.output
    assert f"{pred / 'fold1_a.csv'}:1: frame 150 is beyond" in result.output
    assert f"{pred / 'fold1_a.csv'}:2: expected 6 columns" in result.output
    assert f"{pred / 'fold2_b.csv'}: missing" in result.output
    assert "Segment-based F1" not in result.output
