"""Train here, test there: model files, `bindata predict` on any dataset or recordings, the
transfer table, and predictions that never overwrite anything silently."""

from __future__ import annotations

import copy
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
from bindata.resources import load_metadata

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


@pytest.mark.parametrize(
    "case", ["corrupted", "other-version", "mono", "empty-folder", "both", "other-boundary"]
)
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
    elif case == "both":
        source, want = ["--data", world["B"].root, "--audio", tmp_path], "either --data"
    else:  # near/far at 1.5 m instead of the 2.5 m the model learnt: other labels, refused
        spec = copy.deepcopy(load_metadata("divisions"))
        for c in spec["divisions"]["proximity"]["classes"]:
            rng = c["distance_m"]
            rng.update({k: 1.5 for k in ("from", "to") if rng[k] == 2.5})
        (tmp_path / "div.json").write_text(json.dumps(spec))
        source = [*source, "--divisions", tmp_path / "div.json"]
        want = "other class boundaries than the divisions in effect define (divisions ['proximity']"
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


def test_models_of_other_run_folders_never_replace_each_others_predictions(world, tmp_path):
    """Two run folders trained on the same dataset (other seeds) predict the same test set into
    two folders; the first one's predictions keep their bytes."""
    folders = []
    for seed in (0, 1):
        out_json = tmp_path / f"bench{seed}.json"
        args = ["--data", world["A"].root, "--test", world["B"].root, "--folds", "1,"]
        args += ["--methods", METHOD, "--runs", tmp_path / f"runs{seed}", "--seed", str(seed)]
        res = run("benchmark", *args, "--out", out_json, *TINY)
        assert res.exit_code == 0, res.output
        report = json.loads(out_json.read_text())
        folder = Path(report["transfer"][str(world["B"].root)][METHOD]["predictions"]["1"])
        folders.append((folder, {p: p.read_bytes() for p in sorted(folder.rglob("*.csv"))}))
    (first, before), (second, _) = folders
    assert first != second and first.parent == second.parent
    assert before and {p: p.read_bytes() for p in sorted(first.rglob("*.csv"))} == before


def test_several_training_datasets_are_pooled_fold_by_fold(world, tmp_path):
    """`benchmark --data A --data B`: fold k of the training data is fold k of A and of B."""
    runs, out_json = tmp_path / "runs", tmp_path / "bench.json"
    a, b = world["A"].root, world["B"].root
    args = ["--folds", "1,", "--methods", METHOD, "--runs", runs, "--out", out_json, *TINY]
    res = run("benchmark", "--data", a, "--data", b, *args)
    assert res.exit_code == 0, res.output
    report = json.loads(out_json.read_text())
    assert report["pooled_from"] == [str(a.resolve()), str(b.resolve())]
    pool = Path(report["dataset"])
    assert pool == runs / "pool"
    files = json.loads((pool / "manifest.json").read_text())["files"]
    for root, name in ((a, "A"), (b, "B")):
        source = {
            f["stem"]: f["fold"] for f in json.loads((root / "manifest.json").read_text())["files"]
        }
        mine = {f["source_stem"]: f["fold"] for f in files if f["stem"].startswith(f"{name}__")}
        assert mine == source
        for stem in source:  # the pool's files are the source's bytes
            pooled = pool / "audio" / f"{name}__{stem}.wav"
            assert pooled.read_bytes() == (root / "audio" / f"{stem}.wav").read_bytes()
    # fold 1 of both sources was predicted and scored: one file of each
    predicted = sorted(p.stem for p in (runs / METHOD / "predictions").rglob("*.csv"))
    assert {s.split("__")[0] for s in predicted} == {"A", "B"}
    assert all("fold1_" in s for s in predicted)
    # a second run reuses the pool and the trained models
    res = run("benchmark", "--data", a, "--data", b, *args)
    assert res.exit_code == 0, res.output


def test_a_pool_refuses_what_does_not_fit_and_never_replaces_a_folder(world, tmp_path):
    from bindata.dataset.pool import pool_datasets
    from bindata.errors import DatasetError

    a, b = world["A"].root, world["B"].root
    with pytest.raises(DatasetError, match="named twice"):
        pool_datasets([a, a], tmp_path / "p")
    with pytest.raises(DatasetError, match="at least 2"):
        pool_datasets([a], tmp_path / "p")
    other = bindata.synthesize(
        tmp_path / "C", seed=3, progress=False, **{**SMALL, "duration_s": 2.0}
    )
    with pytest.raises(DatasetError, match=r"duration_s differs .*: 3.0, .*: 2.0"):
        pool_datasets([a, other.root], tmp_path / "p")
    assert not (tmp_path / "p").exists()
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("keep")
    with pytest.raises(DatasetError, match="not the pool of these datasets"):
        pool_datasets([a, b], taken)
    assert [p.name for p in taken.iterdir()] == ["mine.txt"]
    first = pool_datasets([a, b], tmp_path / "p")
    stamp = (first / "manifest.json").stat().st_mtime_ns
    assert pool_datasets([a, b], tmp_path / "p") == first  # reused as it is
    assert (first / "manifest.json").stat().st_mtime_ns == stamp
