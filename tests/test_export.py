"""`bindata export`: DCASE 2024 / 2025 layouts, class maps, round trip through the scorer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bindata.cli import cli
from bindata.config import load_config
from bindata.errors import OutputError
from bindata.labels import read_metadata_csv
from bindata.score import score_dataset
from bindata.synth import synthesize

SPLIT = "dev-bindata"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    cfg = load_config(overrides={"n_files": 4, "n_folds": 2, "duration_s": 2.0,
                                 "events.per_file": [2, 3], "room.rt60_s": [0.2, 0.2]})  # fmt: skip
    out = tmp_path_factory.mktemp("export") / "ds"
    synthesize(cfg, out, seed=3, progress=False)
    return out


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def listing(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def stems(dataset):
    return [f["stem"] for f in json.loads((dataset / "manifest.json").read_text())["files"]]


def test_dcase2024_round_trip_scores_f1(dataset, tmp_path):
    out = tmp_path / "x24"
    r = run("export", dataset, "--format", "dcase2024", "--out", out)
    assert r.exit_code == 0, r.output
    meta = out / "metadata_dev" / SPLIT
    for stem in stems(dataset):
        wav = out / "mic_dev" / SPLIT / f"{stem}.wav"
        assert wav.is_symlink() and wav.resolve() == (dataset / "audio" / f"{stem}.wav").resolve()
        assert (meta / f"{stem}.csv").read_text() == (
            dataset / "metadata" / f"{stem}.csv"
        ).read_text()
    res = score_dataset(dataset, meta, metrics="all")
    d24 = res["seld"]["dcase2024"]
    assert d24["micro"]["f_score"] == pytest.approx(1.0)
    assert d24["micro"]["doa_error_deg"] == pytest.approx(0.0, abs=1e-5)
    assert d24["micro"]["rel_distance_error"] == pytest.approx(0.0, abs=1e-12)
    present = {c: m for c, m in d24["class_wise"].items() if m["n_ref"] > 0}
    assert present and all(m["f_score"] == pytest.approx(1.0) for m in present.values())
    assert res["seld"]["dcase2023"]["micro"]["f_score"] == pytest.approx(1.0)
    # every view from positions is exact (Eq. (1) combinations of overlapping sources are not)
    direct = {n: v["overall"]["f_measure"] for n, v in res["views"].items() if "eq1" not in n}
    assert direct == {n: 1.0 for n in direct}
    record = json.loads((out / "bindata_export.json").read_text())
    assert record["classes"] == json.loads((dataset / "manifest.json").read_text())["classes"]


def test_dcase2025_has_header_and_folded_azimuths(dataset, tmp_path):
    out = tmp_path / "x25"
    r = run("export", dataset, "--format", "dcase2025", "--out", out, "--copy")
    assert r.exit_code == 0, r.output
    n_back = 0
    for stem in stems(dataset):
        wav = out / "stereo_dev" / SPLIT / f"{stem}.wav"
        assert (
            not wav.is_symlink()
            and wav.read_bytes() == (dataset / "audio" / f"{stem}.wav").read_bytes()
        )
        lines = (out / "metadata_dev" / SPLIT / f"{stem}.csv").read_text().splitlines()
        assert lines[0] == "frame,class,source,azimuth,distance,onscreen"
        got = np.array([[int(v) for v in ln.split(",")] for ln in lines[1:]])
        ref = read_metadata_csv(dataset / "metadata" / f"{stem}.csv")
        assert len(got) == len(ref)
        az = ref["azimuth"]
        # mirror in the interaural axis: the lateral angle (y / r) is kept, x changes sign
        want = np.where(az > 90, 180 - az, np.where(az < -90, -180 - az, az))
        assert np.array_equal(got[:, 3], want)
        assert np.abs(got[:, 3]).max() <= 90
        assert np.allclose(np.sin(np.radians(got[:, 3])), np.sin(np.radians(az)), atol=1e-12)
        assert np.array_equal(
            got[:, [0, 1, 2, 4]],
            np.stack([ref[c] for c in ("frame", "class", "source", "distance")], 1),
        )
        assert (got[:, 5] == 0).all()
        n_back += int((np.abs(az) > 90).sum())
    assert n_back > 0  # the dataset has rear sources, so folding was exercised


def test_class_map_renames_and_drops(dataset, tmp_path):
    classes = json.loads((dataset / "manifest.json").read_text())["classes"]
    kept = read_metadata_csv(dataset / "metadata" / f"{stems(dataset)[0]}.csv")["class"][0]
    cmap = {"classes": ["Other", "Kept"],
            "map": {c: ("Kept" if k == kept else None) for k, c in enumerate(classes)}}  # fmt: skip
    path = tmp_path / "map.json"
    path.write_text(json.dumps(cmap))
    out = tmp_path / "xm"
    assert (
        run("export", dataset, "--format", "dcase2024", "--out", out, "--class-map", path).exit_code
        == 0
    )
    for stem in stems(dataset):
        ref = read_metadata_csv(dataset / "metadata" / f"{stem}.csv")
        got = read_metadata_csv(out / "metadata_dev" / SPLIT / f"{stem}.csv")
        assert len(got) == int((ref["class"] == kept).sum())
        assert (got["class"] == 1).all()
    assert json.loads((out / "bindata_export.json").read_text())["classes"] == ["Other", "Kept"]


def _bad_map(tmp_path, dataset):
    classes = json.loads((dataset / "manifest.json").read_text())["classes"]
    cmap = {"classes": ["A"], "map": {**{c: "A" for c in classes}, "unicorn": "A"}}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(cmap))
    return path


@pytest.mark.parametrize("case", ["unknown-class", "non-empty", "unknown-format", "not-json"])
def test_bad_input_exit_2_nothing_written(dataset, tmp_path, case):
    out = tmp_path / "out"
    args = ["export", dataset, "--format", "dcase2024", "--out", out]
    expect = {"unknown-class": "unicorn", "non-empty": "non-empty folder",
              "unknown-format": "Invalid value for '--format'", "not-json": "not JSON"}[case]  # fmt: skip
    if case == "unknown-class":
        args += ["--class-map", _bad_map(tmp_path, dataset)]
    elif case == "non-empty":
        out.mkdir()
        (out / "mine.txt").write_text("keep me")
    elif case == "unknown-format":
        args[3] = "dcase2099"
    else:
        (tmp_path / "m.json").write_text("{nope")
        args += ["--class-map", tmp_path / "m.json"]
    before = listing(dataset)
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert expect in r.output
    assert "Traceback" not in r.output
    assert listing(dataset) == before
    if case == "non-empty":
        assert listing(out) == {"mine.txt": b"keep me"}
    else:
        assert not out.exists()


def test_failure_while_writing_removes_what_was_written(dataset, tmp_path, monkeypatch):
    import bindata.export as export

    calls = {"n": 0}
    real = export.write_text

    def flaky(path, text):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OutputError(f"{path}: cannot write (No space left on device)")
        real(path, text)

    monkeypatch.setattr(export, "write_text", flaky)
    out = tmp_path / "out"
    r = run("export", dataset, "--format", "dcase2024", "--out", out)
    assert r.exit_code == 2 and "No space left" in r.output
    assert not out.exists()
