"""The one manifest reader/writer: a real synth manifest validates, broken ones are named."""

from __future__ import annotations

import copy
import json

import pytest

from bindata.benchmark.corpus import open_corpus
from bindata.config import load_config
from bindata.errors import DatasetError
from bindata.io import (
    MANIFEST,
    RUN_MARKER,
    manifest_problems,
    read_manifest,
    sha256_file,
    write_manifest,
)
from bindata.synth import synthesize


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A finished two-file dataset written by synth (1 s files, one event each)."""
    cfg = load_config(
        overrides={"n_files": 2, "n_folds": 2, "duration_s": 1.0, "events.per_file": [1, 1]}
    )
    out = tmp_path_factory.mktemp("manifest") / "ds"
    synthesize(cfg, out, seed=4, progress=False)
    return out


@pytest.fixture
def manifest(dataset) -> dict:
    return json.loads((dataset / MANIFEST).read_text("utf-8"))


def test_synth_manifest_validates_and_lists_real_checksums(dataset):
    manifest = read_manifest(dataset)
    assert manifest_problems(manifest, what="m") == []
    assert [rec["fold"] for rec in manifest["files"]] == [1, 2]
    for rec in manifest["files"]:
        for kind in ("audio", "metadata", "scene"):
            assert rec[f"{kind}_sha256"] == sha256_file(dataset / rec[kind])


@pytest.mark.parametrize(
    "break_it, key, rule",
    [
        (lambda m: m.pop("seed"), "seed", "missing"),
        (lambda m: m["files"][1].pop("scene_sha256"), "files.1.scene_sha256", "missing"),
        (
            lambda m: m["files"][0].update(audio_sha256="abc"),
            "files.0.audio_sha256",
            "does not match",
        ),
        (lambda m: m["files"][0].update(fold=0), "files.0.fold", "must be >= 1, got 0"),
        (lambda m: m.update(format_version=2), "format_version", "1 was expected"),
        (lambda m: m["config"].update(duration_s=-1.0), "config.duration_s", "must be > 0"),
        (lambda m: m["hrir"].pop("distances_m"), "hrir.distances_m", "missing"),
        (lambda m: m.update(files=[]), "files", "must be a list of at least 1 items, got []"),
        (lambda m: m.pop("format"), "format", "missing"),
    ],
)
def test_broken_manifest_names_file_and_key(dataset, manifest, tmp_path, break_it, key, rule):
    break_it(manifest)
    (tmp_path / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(DatasetError) as info:
        read_manifest(tmp_path)
    assert f"{tmp_path / MANIFEST}: {key}: " in str(info.value)
    assert rule in str(info.value)


def test_unreadable_manifests_are_dataset_errors(tmp_path):
    with pytest.raises(DatasetError, match="no manifest.json"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_text("{not json", "utf-8")
    with pytest.raises(DatasetError, match="not valid JSON"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_bytes(b"\xff\xfe")
    with pytest.raises(DatasetError, match="not UTF-8"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_text("[1, 2]", "utf-8")
    with pytest.raises(DatasetError, match="must be a JSON object, got list"):
        read_manifest(tmp_path)


def test_hand_written_manifest_is_read_only_when_allowed(tmp_path):
    doc = {"config": {"duration_s": 6.0}, "files": [{"stem": "fold2_a"}, {"stem": "b", "fold": 1}]}
    (tmp_path / MANIFEST).write_text(json.dumps(doc), "utf-8")
    assert read_manifest(tmp_path, minimal_ok=True) == doc
    with pytest.raises(DatasetError, match="format: missing"):
        read_manifest(tmp_path)
    assert open_corpus(tmp_path).folds == (2, 1)
    doc["files"].append({"stem": "../escape"})
    (tmp_path / MANIFEST).write_text(json.dumps(doc), "utf-8")
    with pytest.raises(DatasetError, match="files.2.stem"):
        read_manifest(tmp_path, minimal_ok=True)


def test_many_problems_are_capped_in_one_error(manifest, tmp_path):
    manifest["files"] = [dict(manifest["files"][0], audio_sha256=str(k)) for k in range(25)]
    (tmp_path / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(DatasetError) as info:
        read_manifest(tmp_path)
    text = str(info.value)
    assert "25 problem(s)" in text
    assert "files.9.audio_sha256" in text and "files.10.audio_sha256" not in text
    assert "... and 15 more problem(s) not listed" in text


def test_write_manifest_refuses_an_invalid_one_and_writes_nothing(manifest, tmp_path):
    (tmp_path / RUN_MARKER).write_text("{}", "utf-8")
    bad = copy.deepcopy(manifest)
    bad["files"][0].pop("stem")
    with pytest.raises(DatasetError, match="files.0.stem: missing"):
        write_manifest(tmp_path, bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == [RUN_MARKER]
    write_manifest(tmp_path, manifest)
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST]
    assert read_manifest(tmp_path) == manifest
