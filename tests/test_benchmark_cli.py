"""`bindata features / train / predict / benchmark` end to end on a small synthesized dataset."""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from bindata.cli import cli

from .test_benchmark_fakes import make_fake_dataset, one_torch_thread

TINY = [
    "--filters",
    "4",
    "--gru-units",
    "8",
    "--batch-size",
    "8",
    "--epochs",
    "1",
    "--threads",
    "1",
    "--quiet",
]
needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="needs the benchmark extra (torch)"
)


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    with one_torch_thread():
        yield


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """4 reverberant two-source files of 3 s in 4 folds, made by the synthesizer."""
    from bindata.config import load_config
    from bindata.synth import synthesize

    cfg = load_config(
        overrides={
            "n_files": 4,
            "n_folds": 4,
            "duration_s": 3.0,
            "max_overlap": 2,
            "events.per_file": [1, 2],
            "room.rt60_s": [0.3, 0.4],
        }
    )
    out = tmp_path_factory.mktemp("bench") / "ds"
    synthesize(cfg, out, seed=11, progress=False)
    return out


@needs_torch
@pytest.mark.slow
def test_benchmark_end_to_end_and_resumable(small, tmp_path):
    out_json = tmp_path / "results.json"
    res = run("benchmark", "--data", small, "--folds", "2", "--out", out_json, *TINY)
    assert res.exit_code == 0, res.output
    for text in ("Table 3", "Table 4", "Table 5", "(71.77)", "(47.90)", "(50.63)"):
        assert text in res.output
    report = json.loads(out_json.read_text())
    assert report["methods"] == [
        "UneqOne",
        "EqSepMod",
        "EqSepBran",
        "EqOne",
        "UneqSingle",
        "UneqMulti",
        "EqSepMod-J",
        "EqSepBran-J",
        "EqOne-J",
    ]
    assert report["folds"] == [1, 2] and report["direction_table"] == "4"
    for name, r in report["results"].items():
        assert set(r["folds"]) == {"1", "2"}, name
        for value in r["mean"].values():
            assert value is None or 0.0 <= value <= 1.0
    # shared models trained once: EqSepMod-J has no lr/fb/tb folders of its own
    runs = small / "runs"
    assert (runs / "EqSepMod" / "fold1" / "lr" / "done.json").exists()
    assert not (runs / "EqSepMod-J" / "fold1" / "lr").exists()
    # submissions: one row per 100 ms frame, header = the view's classes
    sub = (runs / "EqSepBran" / "predictions" / "octants").glob("*.csv")
    lines = next(iter(sub)).read_text().splitlines()
    assert lines[0].startswith("frame,top-front-left,") and len(lines) == 1 + 30
    # rerun: everything is skipped and the scores are the same
    stamp = (runs / "UneqOne" / "fold2" / "main" / "model.pt").stat().st_mtime_ns
    res = run("benchmark", "--data", small, "--folds", "2", "--out", out_json, *TINY)
    assert res.exit_code == 0, res.output
    again = json.loads(out_json.read_text())
    assert {k: v["mean"] for k, v in again["results"].items()} == {
        k: v["mean"] for k, v in report["results"].items()
    }
    assert (runs / "UneqOne" / "fold2" / "main" / "model.pt").stat().st_mtime_ns == stamp


@needs_torch
def test_train_then_predict_commands(small, tmp_path):
    runs = tmp_path / "runs"
    res = run(
        "train",
        "--data",
        small,
        "--method",
        "EqSepMod",
        "--model",
        "lr",
        "--fold",
        "3",
        "--runs",
        runs,
        *TINY,
    )
    assert res.exit_code == 0, res.output
    assert "EqSepMod/lr fold 3: best epoch 1 of 1" in res.output
    res = run(
        "predict", "--data", small, "--method", "EqSepMod", "--fold", "3", "--runs", runs, "--quiet"
    )
    assert res.exit_code == 2 and "no trained model" in res.output  # fb and tb are missing
    res = run(
        "train", "--data", small, "--method", "EqSepMod", "--fold", "3", "--runs", runs, *TINY
    )
    assert res.exit_code == 0, res.output
    res = run(
        "predict",
        "--data",
        small,
        "--method",
        "EqSepMod",
        "--fold",
        "3",
        "--runs",
        runs,
        "--out",
        tmp_path / "subm",
        "--quiet",
    )
    assert res.exit_code == 0, res.output
    files = sorted((tmp_path / "subm" / "planes").glob("*.csv"))
    assert [f.stem for f in files] == sorted(s for s in _stems(small) if s.startswith("fold3_"))
    planes = np.loadtxt(files[0], delimiter=",", skiprows=1)
    octs = np.loadtxt(tmp_path / "subm" / "octants" / files[0].name, delimiter=",", skiprows=1)
    # Eq. (1): top-front-left = cbrt(P_top * P_front * P_left) (columns: frame,l,r,f,b,t,b)
    assert np.allclose(octs[:, 1], np.cbrt(planes[:, 5] * planes[:, 3] * planes[:, 1]), atol=2e-6)
    res = run("train", "--data", small, "--method", "Nope", "--fold", "1", *TINY)
    assert res.exit_code == 2 and "unknown method 'Nope'" in res.output


def _stems(root):
    return [f["stem"] for f in json.loads((root / "manifest.json").read_text())["files"]]


def test_without_torch_the_cli_says_how_to_install(tmp_path, monkeypatch):
    make_fake_dataset(tmp_path / "ds", n_files=4, n_folds=4, duration_s=2.0, events_per_file=1)
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    res = run("train", "--data", tmp_path / "ds", "--method", "UneqOne", "--fold", "1")
    assert res.exit_code == 2
    assert "install the benchmark extra: pip install torch==2.13.0" in res.output
    res = run("benchmark", "--data", tmp_path / "ds", "--quiet")
    assert res.exit_code == 2 and "pip install torch==2.13.0" in res.output
    res = run("features", tmp_path / "ds", "--quiet")  # numpy only
    assert res.exit_code == 0, res.output
    assert "features of 4 files (400 frames)" in res.output
