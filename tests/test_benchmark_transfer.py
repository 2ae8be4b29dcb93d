"""Train here, test there: model files, `bindata predict` on any dataset or recordings, the
transfer table, and predictions that never overwrite anything silently."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from scipy.signal import resample_poly

import bindata
from bindata.benchmark.methods import get_method
from bindata.cli import cli

from .test_benchmark_cli import TINY, needs_torch
from .test_benchmark_fakes import one_torch_thread

pytestmark = needs_torch

METHOD = "EqSepBran-J"
SMALL = {
    "n_files": 4,
    "n_folds": 4,
    "duration_s": 3.0,
    "max_overlap": 1,
    "events_per_file": [1, 2],
    "rt60_s": [0.3, 0.4],
}
KEMAR = Path("/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa")


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    with one_torch_thread():
        yield


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def read_b(path) -> tuple[list[str], np.ndarray]:
    lines = Path(path).read_text().splitlines()
    return lines[0].split(",")[1:], np.array(
        [[float(v) for v in ln.split(",")[1:]] for ln in lines[1:]]
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A: the training data (built-in head); B: test data through another HRIR set."""
    root = tmp_path_factory.mktemp("transfer")
    a = bindata.synthesize(root / "A", seed=1, progress=False, **SMALL)
    if KEMAR.is_file():
        other = KEMAR
    else:  # the rigid sphere alone: another head than the built-in structural model
        other = root / "sphere.sofa"
        assert run("hrir", "build", "--model", "sphere", "--out", other).exit_code == 0
    b = bindata.synthesize(root / "B", seed=2, progress=False, **{**SMALL, "hrir": str(other)})
    res = run("train", "--data", a.root, "--method", METHOD, "--fold", "1", *TINY)
    assert res.exit_code == 0, res.output
    model_file = next((a.root / "runs" / METHOD / "fold1").glob("*.bindata-model.pt"))
    return {"root": root, "A": a, "B": b, "model_file": model_file}


def test_a_model_file_predicts_another_dataset_as_the_cli_does(world):
    from bindata.benchmark.portable import load_model

    model = load_model(world["model_file"])
    manifest = (world["A"].root / "manifest.json").read_bytes()
    assert model.provenance["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    assert model.provenance["test_fold"] == 1 and model.provenance["train_folds"] == [2, 3, 4]
    method = get_method(METHOD)
    assert list(model.views) == [method.output_view, *method.derived_views]
    res = run("predict", "--model", world["model_file"], "--data", world["B"].root, "--quiet")
    assert res.exit_code == 0, res.output
    out = world["B"].root / "predictions" / model.name
    assert out.is_dir()
    b = world["B"]
    for stem in b.stems:
        audio, fs = b.audio(stem)
        probs = model.predict(audio, fs)
        for view, classes in model.views.items():
            header, written = read_b(out / view / f"{stem}.csv")
            assert header == list(classes)
            assert written.shape == probs[view].shape == (30, len(classes))
            np.testing.assert_allclose(written, probs[view], atol=5.1e-7)
    # a run folder names the same model
    same = load_model(world["model_file"].parent)
    assert same.name == model.name


def test_audio_folders_at_48_and_24_khz_agree_within_resampling(world, tmp_path):
    b = world["B"]
    stem = b.stems[0]
    pcm = sf.read(b.paths(stem)["audio"], dtype="int16")[0]
    (tmp_path / "at24" / "sub").mkdir(parents=True)
    (tmp_path / "at48").mkdir()
    sf.write(tmp_path / "at24" / "sub" / "rec.wav", pcm, 24000, subtype="PCM_16")
    up = resample_poly(pcm.astype(np.float64) / 32768.0, 2, 1, axis=0)  # an independent resampler
    sf.write(tmp_path / "at48" / "rec.flac", np.clip(up, -1, 1), 48000, subtype="PCM_24")
    outs = {}
    for name in ("at24", "at48"):
        out = tmp_path / f"pred_{name}"
        res = run(
            "predict",
            "--model",
            world["model_file"],
            "--audio",
            tmp_path / name,
            "--out",
            out,
            "--quiet",
        )
        assert res.exit_code == 0, res.output
        outs[name] = out
    views = json.loads((outs["at24"] / "predicted.json").read_text())["views"]
    for view in views:
        _, p24 = read_b(outs["at24"] / view / "sub__rec.csv")
        _, p48 = read_b(outs["at48"] / view / "rec.csv")
        assert p24.shape == p48.shape
        assert np.abs(p24 - p48).max() < 0.02, view
    timeline = (outs["at24"] / "timeline" / "sub__rec.csv").read_text().splitlines()
    assert timeline[0] == "view,class,onset_s,offset_s,peak_probability"
    if importlib.util.find_spec("matplotlib"):
        assert (outs["at24"] / "plots" / "sub__rec.png").stat().st_size > 1000


def test_predictions_never_overwrite_anything_silently(world, tmp_path):
    from bindata.benchmark.portable import load_model

    b, a = world["B"], world["A"]
    name = load_model(world["model_file"]).name
    # a file planted where the default output of a cross-dataset prediction goes
    planted = b.root / "predictions" / f"{name}-x"
    planted.mkdir(parents=True)
    (planted / "fold1_room0001_mix001.csv").write_text("mine\n")
    res = run("predict", "--model", world["model_file"], "--data", b.root, "--out", planted)
    assert res.exit_code == 2 and "--overwrite" in res.output, res.output
    assert (planted / "fold1_room0001_mix001.csv").read_text() == "mine\n"
    # in-domain predictions of A, then B's files (same names!) into A's run folder: refused
    runs = a.root / "runs"
    res = run("predict", "--data", a.root, "--method", METHOD, "--fold", "1", "--quiet")
    assert res.exit_code == 0, res.output
    ours = {p: p.read_bytes() for p in (runs / METHOD / "predictions").rglob("*.csv")}
    assert ours and any(p.name.startswith("fold1_") for p in ours)
    res = run("predict", "--data", b.root, "--runs", runs, "--method", METHOD, "--fold", "1")
    assert res.exit_code == 2 and "predictions of other data" in res.output, res.output
    assert {p: p.read_bytes() for p in (runs / METHOD / "predictions").rglob("*.csv")} == ours
    res = run(
        "predict",
        "--model",
        world["model_file"],
        "--data",
        b.root,
        "--out",
        planted,
        "--overwrite",
        "--quiet",
    )
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("case", ["corrupted", "other-version", "mono", "empty-folder", "both"])
def test_bad_input_is_one_clear_error_nothing_written(world, tmp_path, case):
    import torch

    model, source = world["model_file"], ["--data", world["B"].root]
    if case == "corrupted":
        model = tmp_path / "x.bindata-model.pt"
        model.write_bytes(b"not a model at all")
        want = "not a readable bindata model file"
    elif case == "other-version":
        archive = torch.load(world["model_file"], weights_only=True)
        header = json.loads(archive["header"])
        archive["header"] = json.dumps({**header, "format_version": 99})
        model = tmp_path / "v99.bindata-model.pt"
        torch.save(archive, model)
        want = "format version 99"
    elif case == "mono":
        (tmp_path / "rec").mkdir()
        sf.write(tmp_path / "rec" / "mono.wav", np.zeros(4800), 24000)
        source, want = ["--audio", tmp_path / "rec"], "1 channel(s)"
    elif case == "empty-folder":
        (tmp_path / "rec").mkdir()
        (tmp_path / "rec" / "notes.txt").write_text("no audio here")
        source, want = ["--audio", tmp_path / "rec"], "no audio files"
    else:
        source, want = ["--data", world["B"].root, "--audio", tmp_path], "either --data"
    out = tmp_path / "out"
    res = run("predict", "--model", model, *source, "--out", out)
    assert res.exit_code == 2, res.output
    assert want in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_benchmark_prints_and_writes_the_transfer_table(world, tmp_path):
    out_json = tmp_path / "bench.json"
    res = run(
        "benchmark",
        "--data",
        world["A"].root,
        "--test",
        world["B"].root,
        "--folds",
        "1,",
        "--methods",
        METHOD,
        "--out",
        out_json,
        *TINY,
    )
    assert res.exit_code == 0, res.output
    assert "Transfer: trained on" in res.output and str(world["B"].root) in res.output
    report = json.loads(out_json.read_text())
    cells = report["transfer"][str(world["B"].root)][METHOD]["cells"]
    assert set(cells) == set(report["results"][METHOD]["mean"])
    assert any(c["transfer"] is not None for c in cells.values())
    for cell, c in cells.items():
        assert c["in_domain"] == report["results"][METHOD]["mean"][cell]
        if c["transfer"] is not None and c["in_domain"] is not None:
            assert c["difference"] == pytest.approx(c["transfer"] - c["in_domain"])
