"""`bindata validate`: a clean dataset passes; planted corruptions are each found and located."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from bindata.cli import cli
from bindata.config import load_config
from bindata.dataset.validate import MAX_LINE_PROBLEMS, find_problems, validate_dataset
from bindata.errors import DatasetError, ValidationError
from bindata.io.atomic import temporary_name
from bindata.synth import synthesize

SEED = 11
STEM = "fold1_room0001_mix001"
STEM3 = "fold2_room0003_mix001"


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """A small finished dataset: 4 files of 3 s, 2-3 events each, reverberant."""
    cfg = load_config(
        overrides={
            "n_files": 4,
            "n_folds": 2,
            "duration_s": 3.0,
            "events.per_file": [2, 3],
            "room.rt60_s": [0.3, 0.3],
        }
    )
    out = tmp_path_factory.mktemp("validate") / "clean"
    synthesize(cfg, out, seed=SEED, progress=False)
    return out


@pytest.fixture
def ds(clean, tmp_path) -> Path:
    """A private copy of the clean dataset to corrupt."""
    return Path(shutil.copytree(clean, tmp_path / "ds"))


# --- helpers that plant corruptions -----------------------------------------------------------


def manifest_of(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text())


def save_manifest(root: Path, manifest: dict) -> None:
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2))


def rehash(root: Path, stem: str) -> None:
    """Update the manifest's checksums of ``stem`` so that only the planted problem remains."""
    manifest = manifest_of(root)
    for rec in manifest["files"]:
        if rec["stem"] == stem:
            for kind in ("audio", "metadata", "scene"):
                data = (root / rec[kind]).read_bytes() if (root / rec[kind]).exists() else b""
                rec[f"{kind}_sha256"] = hashlib.sha256(data).hexdigest()
    save_manifest(root, manifest)


def csv_path(root, stem=STEM):
    return root / "metadata" / f"{stem}.csv"


def wav_path(root, stem=STEM):
    return root / "audio" / f"{stem}.wav"


def scene_path(root, stem=STEM):
    return root / "scenes" / f"{stem}.json"


def edit_csv(root: Path, edit, stem=STEM) -> None:
    lines = csv_path(root, stem).read_text().splitlines()
    lines = edit(lines)
    csv_path(root, stem).write_text("\n".join(lines) + "\n")
    rehash(root, stem)


def edit_scene(root: Path, edit, stem=STEM) -> None:
    scene = json.loads(scene_path(root, stem).read_text())
    edit(scene)
    scene_path(root, stem).write_text(json.dumps(scene, indent=2, sort_keys=True) + "\n")
    rehash(root, stem)


def rewrite_wav(root: Path, *, rate=24000, channels=2, subtype="PCM_16", scale=1.0) -> None:
    data, _ = sf.read(wav_path(root), dtype="float64", always_2d=True)
    data = data[:, :channels] * scale
    sf.write(wav_path(root), np.clip(data, -1.0, 32767 / 32768), rate, subtype=subtype)
    rehash(root, STEM)


def set_row(line: str, column: int, value: int) -> str:
    parts = line.split(",")
    parts[column] = str(value)
    return ",".join(parts)


def truncate(root):
    data = wav_path(root).read_bytes()
    wav_path(root).write_bytes(data[: len(data) // 2])


def flip_byte(root):
    data = bytearray(wav_path(root).read_bytes())
    data[len(data) // 2] ^= 0x55
    wav_path(root).write_bytes(bytes(data))


def overfull_frame(lines):
    frame = lines[0].split(",")[0]
    extra = [f"{frame},0,7,10,0,100", f"{frame},0,8,20,0,100"]
    return sorted(lines + extra, key=lambda ln: tuple(int(x) for x in ln.split(",")[:3:2]))


def edit_manifest(root, edit):
    manifest = manifest_of(root)
    edit(manifest)
    save_manifest(root, manifest)


def drop_record(root):
    manifest = manifest_of(root)
    manifest["files"] = [r for r in manifest["files"] if r["stem"] != STEM3]
    save_manifest(root, manifest)


def set_fold(root):
    manifest = manifest_of(root)
    manifest["files"][0]["fold"] = 2
    save_manifest(root, manifest)


def swap_label(scene):
    ev = scene["events"][0]
    ev["label"] = "water" if ev["label"] != "water" else "alarm"


def turn_source(scene):
    scene["events"][0]["azimuth_deg"] = (scene["events"][0]["azimuth_deg"] + 190.0) % 360 - 180


def wrong_band(scene):
    ev = scene["events"][0]
    ev["band"] = "far" if ev["band"] == "near" else "near"


#: (id, corruption, path of the problem, words the problem must contain)
CORRUPTIONS = [
    ("truncated-wav", truncate, wav_path, "length (samples) must be 72000"),
    ("checksum", flip_byte, wav_path, "SHA-256 differs from the manifest"),
    (
        "wrong-rate",
        lambda r: rewrite_wav(r, rate=16000),
        wav_path,
        "sample rate (Hz) must be 24000, got 16000",
    ),
    ("mono", lambda r: rewrite_wav(r, channels=1), wav_path, "channels must be 2, got 1"),
    (
        "float-wav",
        lambda r: rewrite_wav(r, subtype="FLOAT"),
        wav_path,
        "sample format must be PCM_16, got FLOAT",
    ),
    ("not-audio", lambda r: wav_path(r).write_text("hello"), wav_path, "cannot read as audio"),
    ("clipped", lambda r: rewrite_wav(r, scale=1e4), wav_path, "exceeds mix.peak_dbfs -1.0"),
    ("silenced", lambda r: rewrite_wav(r, scale=0.0), wav_path, "silent (all samples zero)"),
    (
        "edited-csv-row",
        lambda r: edit_csv(r, lambda ls: [set_row(ls[0], 3, 7)] + ls[1:]),
        lambda r: f"{csv_path(r)}:1",
        "is not produced by scene",
    ),
    ("dropped-csv-row", lambda r: edit_csv(r, lambda ls: ls[1:]), csv_path, "is missing"),
    (
        "csv-header",
        lambda r: edit_csv(r, lambda ls: ["frame,class,source,azimuth,elevation,distance"] + ls),
        lambda r: f"{csv_path(r)}:1",
        "non-integer value",
    ),
    (
        "csv-columns",
        lambda r: edit_csv(r, lambda ls: [ls[0] + ",1"] + ls[1:]),
        lambda r: f"{csv_path(r)}:1",
        "expected 6 columns",
    ),
    (
        "csv-class",
        lambda r: edit_csv(r, lambda ls: [set_row(ls[0], 1, 99)] + ls[1:]),
        lambda r: f"{csv_path(r)}:1",
        "class must be in 0..17, got 99",
    ),
    (
        "csv-azimuth",
        lambda r: edit_csv(r, lambda ls: [set_row(ls[0], 3, 200)] + ls[1:]),
        lambda r: f"{csv_path(r)}:1",
        "azimuth must be in (-180, 180], got 200",
    ),
    (
        "csv-elevation",
        lambda r: edit_csv(r, lambda ls: [set_row(ls[0], 4, -91)] + ls[1:]),
        lambda r: f"{csv_path(r)}:1",
        "elevation must be in [-90, 90], got -91",
    ),
    (
        "csv-distance",
        lambda r: edit_csv(r, lambda ls: [set_row(ls[0], 5, 250)] + ls[1:]),
        lambda r: f"{csv_path(r)}:1",
        "distance must be in the near (40-200 cm) or far",
    ),
    (
        "csv-frame",
        lambda r: edit_csv(r, lambda ls: ls + ["30,0,0,0,0,100"]),
        csv_path,
        "frame must be in 0..29, got 30",
    ),
    (
        "csv-unsorted",
        lambda r: edit_csv(r, lambda ls: ls[::-1]),
        csv_path,
        "rows must be sorted by frame",
    ),
    ("csv-polyphony", lambda r: edit_csv(r, overfull_frame), csv_path, "exceeds max_overlap 2"),
    ("missing-scene", lambda r: scene_path(r).unlink(), scene_path, "missing (scene of"),
    ("missing-audio", lambda r: wav_path(r).unlink(), wav_path, "missing (audio of"),
    (
        "scene-schema",
        lambda r: edit_scene(r, lambda s: s["events"][0].update(elevation_deg=120)),
        scene_path,
        "events.0.elevation_deg: must be <= 90, got 120",
    ),
    ("scene-label", lambda r: edit_scene(r, swap_label), scene_path, "is not classes["),
    (
        "scene-direction",
        lambda r: edit_scene(r, turn_source),
        scene_path,
        "differ from the source position seen from the head",
    ),
    ("scene-band", lambda r: edit_scene(r, wrong_band), scene_path, "is outside its"),
    (
        "scene-seed",
        lambda r: edit_scene(r, lambda s: s.update(seed=12)),
        scene_path,
        f"seed must be {SEED} (from the manifest), got 12",
    ),
    ("manifest-fold", set_fold, lambda r: r / "manifest.json", f"fold of {STEM} must be 1"),
    (
        "unlisted-file",
        lambda r: shutil.copy(wav_path(r), r / "audio" / "extra.wav"),
        lambda r: r / "audio" / "extra.wav",
        "not listed in the manifest",
    ),
    ("dropped-record", drop_record, lambda r: r / "manifest.json", "file_index 2 is not listed"),
    (
        "leftover-temporary",
        lambda r: temporary_name(csv_path(r)).write_text(""),
        lambda r: temporary_name(csv_path(r)),
        "leftover temporary file",
    ),
    (
        "run-marker",
        lambda r: (r / ".bindata-run.json").write_text("{}"),
        lambda r: r / ".bindata-run.json",
        "unfinished synthesis run",
    ),
    (
        "no-manifest",
        lambda r: (r / "manifest.json").unlink(),
        lambda r: r / "manifest.json",
        "not a finished bindata dataset",
    ),
    (
        "manifest-no-seed",
        lambda r: edit_manifest(r, lambda m: m.pop("seed")),
        lambda r: r / "manifest.json",
        "seed: missing (a required key)",
    ),
    (
        "manifest-checksum-form",
        lambda r: edit_manifest(r, lambda m: m["files"][1].update(metadata_sha256="beef")),
        lambda r: r / "manifest.json",
        "files.1.metadata_sha256: 'beef'",
    ),
]


def test_clean_dataset_passes(clean):
    assert find_problems(clean) == []
    summary = validate_dataset(clean)
    scenes = [json.loads(p.read_text()) for p in sorted((clean / "scenes").glob("*.json"))]
    n_rows = sum(len(p.read_text().splitlines()) for p in (clean / "metadata").glob("*.csv"))
    assert summary["files"] == 4
    assert summary["events"] == sum(len(s["events"]) for s in scenes) >= 8
    assert summary["rows"] == n_rows > 0


@pytest.mark.parametrize(
    "corrupt, where, words", [c[1:] for c in CORRUPTIONS], ids=[c[0] for c in CORRUPTIONS]
)
def test_planted_corruption_is_found_and_located(ds, corrupt, where, words):
    corrupt(ds)
    problems = find_problems(ds)
    prefix = f"{where(ds)}:"
    hits = [p for p in problems if p.startswith(prefix) and words in p]
    assert hits, f"expected {prefix} ... {words!r} among:\n" + "\n".join(problems)
    with pytest.raises(ValidationError) as info:
        validate_dataset(ds)
    assert info.value.problems == problems


def test_scene_overlap_beyond_limit_is_reported_as_polyphony(ds):
    """Three events on top of each other in a scene whose limit is 2."""

    def pile_up(scene):
        first = scene["events"][0]
        scene["events"] += [dict(first, source=8), dict(first, source=9)]

    edit_scene(ds, pile_up)
    problems = find_problems(ds)
    assert any(
        p.startswith(f"{scene_path(ds)}:") and "exceeds max_overlap 2" in p for p in problems
    )
    # the CSV no longer matches its scene: the scene's new rows are missing from it
    assert any(p.startswith(f"{csv_path(ds)}:") and "is missing" in p for p in problems)


def test_every_problem_is_collected_at_once(ds):
    truncate(ds)
    scene_path(ds, STEM3).unlink()
    edit_csv(ds, lambda ls: [set_row(ls[0], 3, 200)] + ls[1:], stem="fold2_room0004_mix001")
    problems = find_problems(ds)
    assert any(str(wav_path(ds)) in p for p in problems)
    assert any(str(scene_path(ds, STEM3)) in p for p in problems)
    assert any(str(csv_path(ds, "fold2_room0004_mix001")) + ":1:" in p for p in problems)


def test_cli_exit_codes_and_one_line_per_problem(clean, ds):
    runner = CliRunner()
    ok = runner.invoke(cli, ["validate", str(clean)])
    assert ok.exit_code == 0, ok.output
    assert "valid (4 files" in ok.output
    flip_byte(ds)
    scene_path(ds, STEM3).unlink()
    bad = runner.invoke(cli, ["validate", str(ds)])
    assert bad.exit_code == 2
    lines = [ln.strip() for ln in bad.output.splitlines()]
    assert f"{wav_path(ds)}: SHA-256 differs from the manifest (changed after synthesis)" in lines
    assert any(ln.startswith(f"{scene_path(ds, STEM3)}: missing") for ln in lines)


def test_row_problems_are_capped_per_file_and_counted(ds):
    n_rows = len(csv_path(ds).read_text().splitlines())
    assert n_rows > MAX_LINE_PROBLEMS
    edit_csv(ds, lambda ls: [set_row(ln, 4, -91) for ln in ls])
    problems = find_problems(ds)
    listed = [p for p in problems if p.startswith(f"{csv_path(ds)}:") and "elevation must" in p]
    assert len(listed) == MAX_LINE_PROBLEMS
    assert listed[0].startswith(f"{csv_path(ds)}:1: ")
    tail = f"{csv_path(ds)}: ... and {n_rows - MAX_LINE_PROBLEMS} more problem(s) not listed"
    assert tail in problems


def test_not_a_folder_is_a_dataset_error(tmp_path):
    with pytest.raises(DatasetError, match="not a folder"):
        find_problems(tmp_path / "nothing")
