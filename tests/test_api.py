"""The front door: ``bindata.synthesize``, ``bindata.Dataset``, ``bindata.Synthesizer``,
``bindata.score``, checked against what ``bindata synth`` and ``bindata score`` write and print."""

from __future__ import annotations

import doctest
import importlib
import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

import bindata
from bindata.cli import cli
from bindata.config import OPTIONS
from bindata.errors import ConfigError, DatasetError, OutputExistsError, SceneError
from bindata.io.atomic import json_text
from bindata.scene.spec import Scene

REPO = Path(__file__).resolve().parent.parent

#: A tiny run: CLI flags and the same settings as library options.
FLAGS = [
    "--n",
    "2",
    "--folds",
    "2",
    "--duration",
    "3",
    "--events-per-file",
    "1",
    "2",
    "--rt60",
    "0.3",
    "0.4",
    "--seed",
    "4",
    "--quiet",
]
OPTS = {
    "n_files": 2,
    "n_folds": 2,
    "duration_s": 3,
    "events_per_file": (1, 2),
    "rt60_s": (0.3, 0.4),
}
SEED = 4


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def csv_table(path: Path) -> np.ndarray:
    """The integers of a metadata CSV, (rows, 6), read without bindata."""
    lines = path.read_text().splitlines()
    return np.array([[int(v) for v in line.split(",")] for line in lines], np.int64).reshape(-1, 6)


def as_table(rows: np.ndarray) -> np.ndarray:
    """Structured rows as a plain (rows, 6) integer array, columns in their order."""
    return np.column_stack([rows[c] for c in rows.dtype.names]).reshape(-1, 6)


def cli_error(*args) -> str:
    res = run(*args)
    assert res.exit_code == 2, res.output
    return res.output.strip().removeprefix("bindata: error: ")


@pytest.fixture(scope="module")
def preset_file(tmp_path_factory):
    """A material preset given as a file (a copy of the shipped ``office`` preset)."""
    path = tmp_path_factory.mktemp("presets") / "my_office.json"
    shutil.copy(REPO / "metadata" / "rooms" / "office.json", path)
    return path


#: (id, CLI flags, library options) of the runs whose files the API must reproduce.
VARIANTS = [
    ("paper", [], {}),
    ("office", ["--rooms", "office"], {"rooms": "office"}),
    ("preset-file", ["--rooms", "{preset}"], {"rooms": "{preset}"}),
    ("moving", ["--moving", "1.0"], {"moving": 1.0}),
]


@pytest.fixture(scope="module", params=VARIANTS, ids=[v[0] for v in VARIANTS])
def variant(request, tmp_path_factory, preset_file):
    """A dataset written by ``bindata synth`` and the library options of the same run."""
    name, flags, options = request.param
    flags = [str(f).format(preset=preset_file) for f in flags]
    options = {
        k: str(v).format(preset=preset_file) if isinstance(v, str) else v
        for k, v in options.items()
    }
    out = tmp_path_factory.mktemp("cli") / name
    res = run("synth", "--out", out, *FLAGS, *flags)
    assert res.exit_code == 0, res.output
    return out, {**OPTS, **options}


def test_synthesizer_renders_the_samples_rows_and_scene_of_each_file_synth_wrote(variant):
    out, options = variant
    syn = bindata.Synthesizer(seed=SEED, **options)
    manifest = json.loads((out / "manifest.json").read_text())
    assert syn.config.to_json() == manifest["config"]
    for i, rec in enumerate(manifest["files"]):
        scene = syn.sample(i)
        text = (out / rec["scene"]).read_text()
        assert scene.to_json() == json.loads(text) and json_text(scene.to_json()) == text
        if options.get("moving"):  # every event moves
            assert scene.events and all(ev.path is not None for ev in scene.events)
        audio, rows = syn.render(scene)
        written, fs = sf.read(out / rec["audio"], dtype="int16")
        assert fs == 24000 and audio.dtype == np.int16
        np.testing.assert_array_equal(audio, written)
        np.testing.assert_array_equal(as_table(rows), csv_table(out / rec["metadata"]))


def test_synthesize_writes_the_bytes_bindata_synth_wrote(variant, tmp_path):
    out, options = variant
    ds = bindata.synthesize(tmp_path / "api", seed=SEED, progress=False, **options)
    assert tree_bytes(tmp_path / "api") == tree_bytes(out)
    assert ds.manifest == json.loads((out / "manifest.json").read_text())
    if str(options.get("rooms", "")).endswith(".json"):  # the file's preset, inlined
        assert ds.manifest["config"]["rooms"] == json.loads(Path(options["rooms"]).read_text())


def test_a_synthesizer_of_a_manifests_config_reproduces_its_dataset(variant):
    out, _ = variant
    ds = bindata.Dataset.open(out)
    syn = bindata.Synthesizer(seed=ds.manifest["seed"], config=ds.manifest["config"])
    stem = ds.stems[-1]
    audio, rows = syn.render(ds.scene(stem))
    np.testing.assert_array_equal(audio, ds.audio(stem, dtype="int16")[0])
    np.testing.assert_array_equal(rows, ds.labels(stem))


# --- Dataset ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "data"
    res = run("synth", "--out", out, *FLAGS)
    assert res.exit_code == 0, res.output
    return out


def test_dataset_reads_what_synth_wrote(dataset):
    ds = bindata.Dataset.open(dataset)
    manifest = json.loads((dataset / "manifest.json").read_text())
    assert ds.root == dataset and ds.manifest == manifest
    assert ds.stems == tuple(f["stem"] for f in manifest["files"]) == tuple(ds)
    assert ds.folds == tuple(f["fold"] for f in manifest["files"]) == (1, 2)
    assert len(ds) == 2 and ds.classes == manifest["classes"] and ds.sample_rate == 24000
    for stem in ds:
        x, fs = ds.audio(stem)
        ref, ref_fs = sf.read(dataset / "audio" / f"{stem}.wav")
        assert fs == ref_fs == 24000 and x.shape == ref.shape == (72000, 2)
        np.testing.assert_array_equal(x, ref)
        rows = ds.labels(stem)
        assert rows.dtype.names == ("frame", "class", "source", "azimuth", "elevation", "distance")
        np.testing.assert_array_equal(
            as_table(rows), csv_table(dataset / "metadata" / f"{stem}.csv")
        )
        scene = ds.scene(stem)
        assert isinstance(scene, Scene)
        assert scene.to_json() == json.loads((dataset / "scenes" / f"{stem}.json").read_text())
        assert ds.paths(stem) == {
            "audio": dataset / "audio" / f"{stem}.wav",
            "metadata": dataset / "metadata" / f"{stem}.csv",
            "scene": dataset / "scenes" / f"{stem}.json",
        }


def test_dataset_bad_input_is_a_dataset_error_naming_it(dataset, tmp_path):
    ds = bindata.Dataset.open(dataset)
    for call in (ds.audio, ds.labels, ds.scene, ds.paths):
        with pytest.raises(DatasetError, match="no file 'fold9_room0009_mix001' in this dataset"):
            call("fold9_room0009_mix001")
    with pytest.raises(DatasetError, match=r"nowhere: not a bindata dataset \(no manifest.json\)"):
        bindata.Dataset.open(tmp_path / "nowhere")
    unfinished = tmp_path / "unfinished"
    shutil.copytree(dataset, unfinished)
    (unfinished / "manifest.json").rename(unfinished / ".bindata-run.json")
    with pytest.raises(DatasetError, match="unfinished synthesis run.*with resume"):
        bindata.Dataset.open(unfinished)
    broken = tmp_path / "broken"
    shutil.copytree(dataset, broken)
    (broken / "audio" / f"{ds.stems[0]}.wav").write_bytes(b"not a wav")
    with pytest.raises(DatasetError, match=f"{ds.stems[0]}.wav: cannot read audio"):
        bindata.Dataset.open(broken).audio(ds.stems[0])


def test_synthesizer_refuses_an_index_out_of_range_and_a_scene_of_another_hrir_level(dataset):
    syn = bindata.Synthesizer(seed=SEED, **OPTS)
    assert syn.config.hrir.calibration == "reference"  # as the config's default
    with pytest.raises(ConfigError, match=r"file index must be in \[0, 1\] \(n_files 2\), got 2"):
        syn.sample(2)
    raw = bindata.Synthesizer(seed=SEED, hrir_calibration="raw", **OPTS)
    with pytest.raises(SceneError, match="its hrir .* is not this synthesizer's"):
        raw.render(bindata.Dataset.open(dataset).scene("fold1_room0001_mix001"))


def test_a_scene_without_a_calibration_renders_raw_as_before_the_option(dataset):
    from bindata.synth import load_resources, resources_for_scene

    scene = bindata.Dataset.open(dataset).scene("fold1_room0001_mix001")
    assert resources_for_scene(scene)[0].calibration == "reference"
    older = replace(scene, hrir=replace(scene.hrir, calibration=None))
    assert "calibration" not in older.to_json()["hrir"]
    assert resources_for_scene(older)[0].calibration == "raw"
    with pytest.raises(TypeError):  # no default level: a caller says which
        load_resources("builtin", False, "builtin", 24000)


# --- score --------------------------------------------------------------------------------------


@pytest.mark.parametrize("metrics", ["paper", "dcase2024"])
def test_score_gives_the_figures_and_the_table_of_bindata_score(dataset, metrics):
    from bindata.score import score_dataset

    pred = dataset / "metadata"
    result = bindata.score(bindata.Dataset.open(dataset), pred, metrics=metrics)
    assert result.to_dict() == score_dataset(dataset, pred, metrics=metrics)
    res = run("score", "--ref", dataset, "--pred", pred, "--metrics", metrics)
    assert res.exit_code == 0, res.output
    assert result.table() == res.output
    assert bindata.score(dataset, pred, metrics=metrics).table() == res.output  # a path works


def test_score_passes_options_to_score_dataset(dataset):
    from bindata.score import score_dataset

    pred = dataset / "metadata"
    result = bindata.score(dataset, pred, metrics="paper", folds=[2], missing="empty")
    assert result.to_dict() == score_dataset(dataset, pred, folds=[2], missing="empty")
    assert result.to_dict()["n_files"] == 1
    with pytest.raises(TypeError, match="no_such_option"):
        bindata.score(dataset, pred, no_such_option=1)


def test_score_is_the_scoring_package_and_callable_whatever_is_imported_first():
    codes = [
        "import bindata.score.seld as seld; import bindata; "
        "assert bindata.score.seld is seld and callable(bindata.score)",
        "from bindata.score import score_dataset; import bindata; "
        "assert bindata.score.score_dataset is score_dataset and callable(bindata.score)",
        "import bindata; assert callable(bindata.score); "
        "from bindata.score import score_dataset; import bindata.score.api as api; "
        "assert api.score_dataset is score_dataset is bindata.score.score_dataset",
        "from bindata import score; from bindata.score.table import format_tables; "
        "assert callable(score) and score.format_tables is format_tables",
    ]
    for code in codes:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode == 0, (code, out.stderr)


def test_importing_bindata_is_cheap_and_the_front_door_imports_no_extras():
    code = (
        "import sys; import bindata; first = sorted(m for m in ('numpy', 'scipy', 'torch', "
        "'matplotlib', 'dask') if m in sys.modules); "
        "bindata.synthesize, bindata.Dataset, bindata.Synthesizer, bindata.score; "
        "print(first, sorted(m for m in ('torch', 'matplotlib', 'dask') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] []"
    assert set(bindata.__all__) == {
        "synthesize",
        "Dataset",
        "Synthesizer",
        "score",
        "BindataError",
        "__version__",
    }


# --- bad input: the CLI's messages, in the library's terms ------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "flag"),
    [("n_files", 0, "--n"), ("moving", 2.0, "--moving"), ("sample_rate", 100, "--rate")],
)
def test_a_bad_value_is_the_clis_message_naming_the_option(tmp_path, option, value, flag):
    out = tmp_path / "out"
    with pytest.raises(ConfigError) as api:
        bindata.synthesize(out, progress=False, **{option: value})
    message = str(api.value)
    assert f"{option} must be" in message and "--" not in message
    assert cli_error("synth", "--out", out, flag, value) == message.replace(option, flag, 1)
    with pytest.raises(ConfigError, match=re.escape(message)):
        bindata.Synthesizer(**{option: value})
    assert not out.exists()


def test_a_bad_value_from_a_config_file_is_the_clis_message(tmp_path):
    config = tmp_path / "zero.toml"
    config.write_text("n_files = 0\n")
    with pytest.raises(ConfigError) as api:
        bindata.synthesize(tmp_path / "out", config=config, progress=False)
    assert str(api.value) == f"invalid configuration: {config}: n_files: must be >= 1, got 0"
    assert cli_error("synth", "--out", tmp_path / "out", "--config", config) == str(api.value)


def test_an_unknown_option_is_named_with_the_known_ones(tmp_path):
    for make in (lambda **kw: bindata.synthesize(tmp_path / "out", **kw), bindata.Synthesizer):
        with pytest.raises(ConfigError) as exc:
            make(n_file=3, rooms="office")
        message = str(exc.value)
        assert message.startswith("unknown option(s) 'n_file'; known options are ")
        assert all(name in message for name in OPTIONS)
    assert not (tmp_path / "out").exists()
    ok = bindata.Synthesizer(**{"room.wall_clearance_m": 1.2, "n_files": 4})  # a dotted key
    assert ok.config.room.wall_clearance_m == 1.2


def test_a_non_empty_output_folder_without_overwrite_is_the_clis_message(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    with pytest.raises(OutputExistsError) as api:
        bindata.synthesize(out, progress=False, **OPTS)
    message = str(api.value)
    assert message == f"{out}: output folder is not empty (1 entries: notes.txt)"
    cli_message = cli_error("synth", "--out", out, *FLAGS)
    assert cli_message.startswith(message + "; pass --overwrite")
    assert (out / "notes.txt").read_text() == "mine\n" and sorted(out.iterdir()) == [
        out / "notes.txt"
    ]


# --- documentation ------------------------------------------------------------------------------


def test_the_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    text = (REPO / "README.md").read_text()
    section = text.split("## From Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    ds, syn = namespace["ds"], namespace["syn"]
    assert len(ds) == 4 and namespace["x"].shape == (120000, 2) and namespace["fs"] == 24000
    assert namespace["audio"].dtype == np.int16 and namespace["audio"].shape == (120000, 2)
    assert syn.config.room_preset == "office" and syn.config.motion.moving_fraction == 0.5
    assert namespace["scene"].stem == namespace["stem"]
    micro = namespace["result"].to_dict()["seld"]["dcase2024"]["micro"]
    assert micro["f_score"] == 1.0  # the labels scored as predictions
    assert "dcase2024 SELD metrics" in capsys.readouterr().out


@pytest.mark.parametrize(
    "module",
    [
        "bindata.api",
        "bindata.dataset.reader",
        "bindata.dataset.pool",
        "bindata.divisions",
        "bindata.config",
        "bindata.jsonspec",
        "bindata.scene.spec",
        "bindata.synth.run",
    ],
)
def test_the_docstring_examples_run(module, tmp_path, monkeypatch):
    """Each docstring's examples run in a folder of their own."""
    tests = doctest.DocTestFinder().find(importlib.import_module(module))
    tests = [t for t in tests if t.examples]
    assert tests
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for k, test in enumerate(tests):
        folder = tmp_path / str(k)
        folder.mkdir()
        monkeypatch.chdir(folder)
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
