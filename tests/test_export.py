"""`bindata export`: DCASE 2024 / 2025 layouts, class maps, round trip through the scorer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from bindata.cli import cli
from bindata.config import load_config
from bindata.errors import OutputError
from bindata.scene.labels import read_metadata_csv
from bindata.score import score_dataset
from bindata.synth import synthesize

SPLIT = "dev-bindata"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    cfg = load_config(
        overrides={
            "n_files": 4,
            "n_folds": 2,
            "duration_s": 2.0,
            "events.per_file": [2, 3],
            "room.rt60_s": [0.2, 0.2],
        }
    )
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
    cmap = {
        "classes": ["Other", "Kept"],
        "map": {c: ("Kept" if k == kept else None) for k, c in enumerate(classes)},
    }
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
    expect = {
        "unknown-class": "unicorn",
        "non-empty": "non-empty folder",
        "unknown-format": "Invalid value for '--format'",
        "not-json": "not JSON",
    }[case]
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
    import bindata.dataset.export as export

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


# --- clips and fold maps, on a hand-made dataset whose rows are known -----------------------------

FS = 8000  # 800 samples per 100 ms label frame, 40 000 per 5 s clip
DURATION_S = 12.0  # 120 frames: clips of 5 s give 50 + 50 + 20 frames (the last one padded)
CLIP = 5 * FS
CLASSES = ["a", "b", "c"]


def _event(frames, cls, src, az, el, dist):
    return [(f, cls, src, az, el, dist) for f in frames]


#: Rows frame,class,source,azimuth,elevation,distance of each file (written as its metadata).
HAND_ROWS = {
    # class 0 crosses the boundary between clip 0 (frames 0..49) and clip 1 (frames 50..99)
    "fold1_room0001_mix001": _event(range(45, 55), 0, 0, 120, 10, 150)
    + _event(range(0, 5), 2, 1, -30, 0, 200),
    "fold2_room0002_mix001": _event(range(100, 120), 1, 0, -150, 0, 300),
    "fold4_room0003_mix001": _event(range(98, 102), 0, 0, 45, -20, 100),
}


def _hand_dataset(root: Path, rows_of: dict, *, duration_s=DURATION_S, seed=0) -> Path:
    """A dataset with a hand-written manifest, the given rows and seeded noise as audio."""
    (root / "audio").mkdir(parents=True)
    (root / "metadata").mkdir()
    rng = np.random.default_rng(seed)
    for stem, rows in rows_of.items():
        pcm = rng.integers(-20000, 20000, size=(int(duration_s * FS), 2), dtype=np.int16)
        sf.write(root / "audio" / f"{stem}.wav", pcm, FS, subtype="PCM_16")
        text = "".join(",".join(str(v) for v in row) + "\n" for row in sorted(rows))
        (root / "metadata" / f"{stem}.csv").write_text(text)
    manifest = {
        "files": [{"stem": s} for s in rows_of],
        "classes": CLASSES,
        "config": {"duration_s": duration_s, "sample_rate": FS},
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


@pytest.fixture(scope="module")
def hand(tmp_path_factory) -> Path:
    return _hand_dataset(tmp_path_factory.mktemp("hand") / "ds", HAND_ROWS)


def _rows_2025(path: Path) -> list[tuple]:
    lines = path.read_text().splitlines()
    assert lines[0] == "frame,class,source,azimuth,distance,onscreen"
    return sorted(tuple(int(v) for v in ln.split(",")) for ln in lines[1:])


def _row25(frames, cls, src, az, dist):
    """Rows frame,class,source,azimuth,distance,onscreen (onscreen 0) of one event."""
    return [(f, cls, src, az, dist, 0) for f in frames]


def test_clips_of_5_s_rebase_labels_and_cut_the_audio(hand, tmp_path):
    out = tmp_path / "x"
    r = run("export", hand, "--format", "dcase2025", "--out", out, "--clip-s", 5)
    assert r.exit_code == 0, r.output
    meta, audio = out / "metadata_dev" / SPLIT, out / "stereo_dev" / SPLIT
    # by hand: clip k holds frames 50k..50k+49 re-based by -50k; azimuths folded onto the front
    # (120 -> 60, -150 -> -30); the event at frames 45..54 is in clip 0 (45..49) and clip 1 (0..4)
    want = {
        "fold1_room0001_mix001_clip00": sorted(
            _row25(range(45, 50), 0, 0, 60, 150) + _row25(range(0, 5), 2, 1, -30, 200)
        ),
        "fold1_room0001_mix001_clip01": _row25(range(0, 5), 0, 0, 60, 150),
        "fold1_room0001_mix001_clip02": [],
        "fold2_room0002_mix001_clip00": [],
        "fold2_room0002_mix001_clip01": [],
        "fold2_room0002_mix001_clip02": _row25(range(0, 20), 1, 0, -30, 300),
        "fold4_room0003_mix001_clip00": [],
        "fold4_room0003_mix001_clip01": _row25(range(48, 50), 0, 0, 45, 100),
        "fold4_room0003_mix001_clip02": _row25(range(0, 2), 0, 0, 45, 100),
    }
    assert sorted(p.name for p in meta.iterdir()) == sorted(f"{n}.csv" for n in want)
    assert sorted(p.name for p in audio.iterdir()) == sorted(f"{n}.wav" for n in want)
    for name, rows in want.items():
        assert _rows_2025(meta / f"{name}.csv") == rows, name
    for stem in HAND_ROWS:
        src, _ = sf.read(hand / "audio" / f"{stem}.wav", dtype="int16", always_2d=True)
        assert len(src) == 12 * FS
        for k in range(3):
            wav = audio / f"{stem}_clip{k:02d}.wav"
            assert not wav.is_symlink()
            info = sf.info(wav)
            assert (info.samplerate, info.channels, info.subtype) == (FS, 2, "PCM_16")
            clip, _ = sf.read(wav, dtype="int16", always_2d=True)
            assert clip.shape == (CLIP, 2)  # every clip 5 s, the last one padded
            part = src[k * CLIP : (k + 1) * CLIP]
            assert np.array_equal(clip[: len(part)], part)
            assert not clip[len(part) :].any()
    record = json.loads((out / "bindata_export.json").read_text())
    assert record["clip_s"] == 5.0 and record["fold_map"] is None and record["audio"] == "copied"
    assert record["n_files"] == 3 and record["n_exported"] == 9
    assert record["files"]["fold2_room0002_mix001_clip02"] == {
        "stem": "fold2_room0002_mix001",
        "first_frame": 100,
    }


def test_fold_map_renames_files(hand, tmp_path):
    from bindata.dataset.export import export_dataset

    out = tmp_path / "x"
    record = export_dataset(hand, out, fmt="dcase2025", fold_map={1: 3, 2: 3, 4: 4})
    renamed = {
        "fold3_room0001_mix001": "fold1_room0001_mix001",
        "fold3_room0002_mix001": "fold2_room0002_mix001",
        "fold4_room0003_mix001": "fold4_room0003_mix001",
    }
    audio, meta = out / "stereo_dev" / SPLIT, out / "metadata_dev" / SPLIT
    assert sorted(p.stem for p in audio.iterdir()) == sorted(renamed)
    assert sorted(p.stem for p in meta.iterdir()) == sorted(renamed)
    for new, old in renamed.items():
        assert (audio / f"{new}.wav").resolve() == (hand / "audio" / f"{old}.wav").resolve()
        assert len(_rows_2025(meta / f"{new}.csv")) == len(HAND_ROWS[old])
    assert record["fold_map"] == {"1": 3, "2": 3, "4": 4}
    assert json.loads((out / "bindata_export.json").read_text())["fold_map"] == record["fold_map"]
    # with clips: the fold prefix the baseline selects by, then the room, mix and clip
    out2 = tmp_path / "y"
    r = run(
        "export",
        hand,
        "--format",
        "dcase2025",
        "--out",
        out2,
        "--clip-s",
        5,
        "--fold-map",
        "1:3, 2:3 ,4:4",
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.stem for p in (out2 / "stereo_dev" / SPLIT).iterdir()) == sorted(
        f"{n}_clip{k:02d}" for n in renamed for k in range(3)
    )
    assert _rows_2025(out2 / "metadata_dev" / SPLIT / "fold3_room0001_mix001_clip01.csv") == (
        _row25(range(0, 5), 0, 0, 60, 150)
    )


def _colliding(tmp_path) -> Path:
    rows = {
        "fold1_room0001_mix001": [(0, 0, 0, 0, 0, 100)],
        "fold2_room0001_mix001": [(0, 1, 0, 0, 0, 100)],
    }
    return _hand_dataset(tmp_path / "clash", rows, duration_s=1.0)


BAD_OPTIONS = {
    "unknown-fold": ({"fold_map": {1: 1, 2: 2, 4: 4, 7: 1}}, ["fold map", "[7]", "[1, 2, 4]"]),
    "unmapped-fold": ({"fold_map": {1: 3}}, ["fold map", "[2, 4] are not mapped"]),
    "not-a-fold": ({"fold_map": {1: 0, 2: 2, 4: 4}}, ["fold map", "1: 0", "integers >= 1"]),
    "clip-not-frames": ({"clip_s": 0.25}, ["clip length 0.25 s", "multiple of the 0.1 s label"]),
    "clip-zero": ({"clip_s": 0}, ["clip length 0 s", "positive multiple"]),
    "clip-negative": ({"clip_s": -5}, ["clip length -5 s", "positive multiple"]),
    "collision": (
        {"fold_map": {1: 3, 2: 3}},
        ["fold3_room0001_mix001 (from fold1_room0001_mix001, fold2_room0001_mix001)", "unique"],
    ),
    "non-empty": ({"clip_s": 5}, ["non-empty folder"]),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_bad_option_is_one_clear_error_and_nothing_is_written(hand, tmp_path, case):
    from bindata.dataset.export import export_dataset
    from bindata.errors import BindataError

    options, expect = BAD_OPTIONS[case]
    ds = _colliding(tmp_path) if case == "collision" else hand
    out = tmp_path / "out"
    if case == "non-empty":
        out.mkdir()
        (out / "mine.txt").write_text("keep me")
    before = listing(ds)
    with pytest.raises(BindataError) as err:
        export_dataset(ds, out, fmt="dcase2025", **options)
    message = str(err.value)
    assert all(e in message for e in expect), message
    assert "--" not in message  # library terms, not the CLI's flags
    assert listing(ds) == before
    if case == "non-empty":
        assert listing(out) == {"mine.txt": b"keep me"}
    else:
        assert not out.exists()


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--clip-s", "0.25"], "--clip-s: export clip length 0.25 s: must be a positive multiple"),
        (["--fold-map", "1-3"], "--fold-map '1-3': '1-3' is not a fold pair"),
        (["--fold-map", "1:3,1:4"], "dataset fold 1 is mapped twice"),
        (["--fold-map", "1:3,2:3,4:4,9:9"], "--fold-map: export fold map"),
    ],
)
def test_cli_bad_clip_or_fold_map_exits_2_with_one_line(hand, tmp_path, args, expect):
    out = tmp_path / "out"
    r = run("export", hand, "--format", "dcase2025", "--out", out, *args)
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("bindata: error: "), r.output
    assert expect in lines[0]
    assert not out.exists()


def test_failure_while_writing_a_clip_removes_what_was_written(hand, tmp_path, monkeypatch):
    import bindata.dataset.export as export

    calls = {"n": 0}
    real = export.write_wav

    def flaky(path, pcm, fs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OutputError(f"{path}: cannot write (No space left on device)")
        real(path, pcm, fs)

    monkeypatch.setattr(export, "write_wav", flaky)
    out = tmp_path / "out"
    r = run("export", hand, "--format", "dcase2025", "--out", out, "--clip-s", 5)
    assert r.exit_code == 2 and "No space left" in r.output
    assert calls["n"] == 4 and not out.exists()


def test_reassembled_clip_predictions_have_the_dataset_names_and_frames(hand, tmp_path):
    from bindata.dataset.export import export_dataset, reassemble_predictions
    from bindata.errors import SubmissionError

    out = tmp_path / "x"
    export_dataset(hand, out, fmt="dcase2025", clip_s=5, fold_map={1: 3, 2: 3, 4: 4})
    pred = tmp_path / "pred"
    shutil.copytree(out / "metadata_dev" / SPLIT, pred)  # a perfect system's clip predictions
    (pred / "fold4_room0003_mix001_clip00.csv").unlink()  # not predicted: no activity
    with (pred / "fold4_room0003_mix001_clip02.csv").open("a") as fh:
        fh.write("30,1,0,10,100,0\n")  # frame 130 lies in the padding of a 120-frame file
    joined = tmp_path / "joined"
    result = reassemble_predictions(out, pred, joined)
    assert result["stems"] == sorted(HAND_ROWS)
    assert result["missing"] == ["fold4_room0003_mix001_clip00"]
    # by hand: the dataset's rows in 2025 columns, azimuths folded (120 -> 60, -150 -> -30)
    want = {
        "fold1_room0001_mix001": _row25(range(45, 55), 0, 0, 60, 150)
        + _row25(range(0, 5), 2, 1, -30, 200),
        "fold2_room0002_mix001": _row25(range(100, 120), 1, 0, -30, 300),
        "fold4_room0003_mix001": _row25(range(98, 102), 0, 0, 45, 100),
    }
    assert sorted(p.name for p in joined.iterdir()) == sorted(f"{s}.csv" for s in want)
    for stem, rows in want.items():
        assert _rows_2025(joined / f"{stem}.csv") == sorted(rows), stem
        frames = [int(ln.split(",")[0]) for ln in (joined / f"{stem}.csv").read_text().split()[1:]]
        assert frames == sorted(frames)
    (pred / "fold9_room0001_mix001_clip00.csv").write_text("")
    with pytest.raises(SubmissionError, match="fold9_room0001_mix001_clip00.csv: not the pred"):
        reassemble_predictions(out, pred, tmp_path / "joined2")
    assert not (tmp_path / "joined2").exists()


def test_cli_reassemble_then_score_a_perfect_2025_system(hand, tmp_path):
    """Export clips, take the clip metadata as a perfect system's output, reassemble, score."""
    out, pred, joined = tmp_path / "x", tmp_path / "pred", tmp_path / "joined"
    r = run("export", hand, "--format", "dcase2025", "--out", out, "--clip-s", 5)
    assert r.exit_code == 0, r.output
    shutil.copytree(out / "metadata_dev" / SPLIT, pred)
    r = run("reassemble", out, "--pred", pred, "--out", joined)
    assert r.exit_code == 0, r.output
    assert f"into {len(HAND_ROWS)} dataset file(s)" in r.output
    res = tmp_path / "res.json"
    r = run("score", "--ref", hand, "--pred", joined, "--metrics", "dcase2025", "--json", res)
    assert r.exit_code == 0, r.output
    micro = json.loads(res.read_text())["seld"]["dcase2025"]["micro"]
    assert micro["f_score"] == pytest.approx(1.0) and micro["fp"] == 0 and micro["fn"] == 0
    r = run("reassemble", out, "--pred", pred, "--out", joined)  # non-empty output: refused
    assert r.exit_code == 2 and "Traceback" not in r.output
