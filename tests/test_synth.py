"""End to end: `bindata synth` / `bindata regen` on small datasets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from bindata.cli import cli
from bindata.scene.labels import read_metadata_csv

from .conftest import FREEDESKTOP_SOUNDS, KEMAR_SOFA

SMALL = [
    "--n",
    "4",
    "--duration",
    "4",
    "--events-per-file",
    "2",
    "3",
    "--rt60",
    "0.3",
    "0.4",
    "--folds",
    "2",
    "--quiet",
]


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "jobs1"
    res = run("synth", "--out", out, "--seed", 5, "--jobs", 1, *SMALL)
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def anechoic_single(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "anechoic"
    res = run(
        "synth",
        "--out",
        out,
        "--seed",
        3,
        "--anechoic",
        "--overlap",
        1,
        "--n",
        6,
        "--duration",
        6,
        "--events-per-file",
        3,
        4,
        "--folds",
        1,
        "--quiet",
    )
    assert res.exit_code == 0, res.output
    return out


def test_layout_and_formats(small_dataset):
    manifest = json.loads((small_dataset / "manifest.json").read_text())
    stems = [f["stem"] for f in manifest["files"]]
    assert stems == [
        "fold1_room0001_mix001",
        "fold1_room0002_mix001",
        "fold2_room0003_mix001",
        "fold2_room0004_mix001",
    ]
    for stem in stems:
        info = sf.info(small_dataset / "audio" / f"{stem}.wav")
        assert (info.samplerate, info.channels, info.subtype, info.frames) == (
            24000,
            2,
            "PCM_16",
            96000,
        )
        rows = read_metadata_csv(small_dataset / "metadata" / f"{stem}.csv")
        assert rows.size > 0 and rows["frame"].max() < 40
        assert set(rows["class"]) <= set(range(len(manifest["classes"])))
    assert not (small_dataset / ".bindata-run.json").exists()


def test_same_seed_same_bytes_with_one_or_two_jobs(small_dataset, tmp_path):
    res = run("synth", "--out", tmp_path / "jobs2", "--seed", 5, "--jobs", 2, *SMALL)
    assert res.exit_code == 0, res.output
    assert tree_bytes(tmp_path / "jobs2") == tree_bytes(small_dataset)


def test_regen_reproduces_a_file_exactly(small_dataset, tmp_path):
    scene = small_dataset / "scenes" / "fold2_room0003_mix001.json"
    res = run("regen", scene)
    assert res.exit_code == 0 and "identical" in res.output
    res = run("regen", scene, "--out", tmp_path / "x.wav")
    assert (tmp_path / "x.wav").read_bytes() == (
        small_dataset / "audio" / "fold2_room0003_mix001.wav"
    ).read_bytes()
    res = run("regen", scene, "--out", tmp_path / "x.wav")
    assert res.exit_code == 2 and "exists" in res.output


def test_resume_after_interruption_equals_uninterrupted_run(small_dataset, tmp_path):
    from bindata.config import load_config
    from bindata.dataset.output import OutputPlan, apply_output
    from bindata.io import TMP_MARK
    from bindata.synth.run import _FileJob

    out = tmp_path / "resumed"
    cfg = load_config(
        overrides={
            "n_files": 4,
            "duration_s": 4.0,
            "events.per_file": [2, 3],
            "room.rt60_s": [0.3, 0.4],
            "n_folds": 2,
        }
    )
    record = {
        "bindata_version": __import__("bindata").__version__,
        "config": cfg.to_json(),
        "seed": 5,
    }
    apply_output(OutputPlan(out, "new", record))
    job = _FileJob(cfg, 5, str(out))
    job(0), job(1), job(2)  # three files finished, then the run "crashed" ...
    (out / "scenes" / "fold1_room0002_mix001.json").unlink()  # ... before item 1's scene JSON
    wav = out / "audio" / "fold1_room0001_mix001.wav"  # and item 0's audio was damaged later
    wav.write_bytes(wav.read_bytes()[: wav.stat().st_size // 2])
    stale = out / "audio" / f".fold2_room0004_mix001.wav{TMP_MARK}999.wav"
    stale.write_bytes(b"half a file")
    res = run("synth", "--out", out, "--seed", 5, *SMALL)
    assert res.exit_code == 2 and "--resume" in res.output
    res = run("synth", "--out", out, "--seed", 6, "--resume", *SMALL)
    assert res.exit_code == 2 and "different seed" in res.output
    kept = out / "audio" / "fold2_room0003_mix001.wav"  # complete: resume must keep it
    inode, damaged_inode = kept.stat().st_ino, wav.stat().st_ino
    res = run("synth", "--out", out, "--seed", 5, "--resume", *SMALL)
    assert res.exit_code == 0, res.output
    assert kept.stat().st_ino == inode  # not re-rendered (an atomic rewrite makes a new inode)
    assert wav.stat().st_ino != damaged_inode  # the damaged one was written again
    assert not stale.exists()  # bindata's own stale temporary file is gone
    assert tree_bytes(out) == tree_bytes(small_dataset)
    assert run("validate", out).exit_code == 0


def test_overlap_one_never_has_two_events_active(anechoic_single):
    for csv in (anechoic_single / "metadata").glob("*.csv"):
        rows = read_metadata_csv(csv)
        _, counts = np.unique(rows["frame"], return_counts=True)
        assert counts.max() == 1


def _frame_rms_db(x: np.ndarray, fs: int = 24000) -> np.ndarray:
    hop = fs // 10
    n = x.shape[0] // hop
    frames = x[: n * hop].reshape(n, hop, -1)
    return 10 * np.log10(np.mean(frames.astype(float) ** 2, axis=(1, 2)) + 1e-12)


def test_metadata_frames_agree_with_where_audio_is_active(anechoic_single):
    for wav in (anechoic_single / "audio").glob("*.wav"):
        x, fs = sf.read(wav)
        level = _frame_rms_db(x, fs)
        rows = read_metadata_csv(anechoic_single / "metadata" / f"{wav.stem}.csv")
        active = np.zeros(level.size, dtype=bool)
        active[rows["frame"]] = True
        near_active = active | np.roll(active, 1) | np.roll(active, -1)
        loud = level > level.max() - 50
        assert loud[active].mean() > 0.75  # labelled frames carry sound (footsteps have gaps)
        assert not loud[~near_active].any()  # unlabelled frames away from events are silent


def test_itd_sign_agrees_with_azimuth_label(anechoic_single):
    checked = 0
    for scene_path in (anechoic_single / "scenes").glob("*.json"):
        scene = json.loads(scene_path.read_text())
        x, fs = sf.read(anechoic_single / "audio" / f"{scene['stem']}.wav")
        for ev in scene["events"]:
            az = ev["azimuth_deg"]
            if not (20 <= abs(az) <= 160) or abs(ev["elevation_deg"]) > 60:
                continue
            a, b = int(ev["onset_s"] * fs), int((ev["onset_s"] + ev["duration_s"]) * fs)
            left, right = x[a:b, 0], x[a:b, 1]
            n = 1 << int(np.ceil(np.log2(2 * (b - a))))
            spec_l, spec_r = np.fft.rfft(left, n), np.fft.rfft(right, n)
            auto = np.fft.irfft(np.abs(spec_l) ** 2, n)
            if np.abs(auto[6:48]).max() > 0.5 * auto[0]:
                continue  # periodic sound: its cross-correlation is ambiguous within +-2 ms
            cross = spec_l * np.conj(spec_r)
            cross = np.fft.irfft(cross / (np.abs(cross) + 1e-12), n)  # GCC-PHAT
            lags = np.r_[np.arange(0, 21), np.arange(-20, 0)]  # +-0.83 ms, beyond any head's ITD
            lag = lags[np.argmax(np.r_[cross[:21], cross[-20:]])]
            # cross[k] = sum_n left[n + k] right[n]: a peak at k < 0 means right[n] = left[n - |k|],
            # the right ear hears a delayed copy: the left ear leads, as for a source on the left
            assert np.sign(lag) == -np.sign(az), (scene["stem"], ev["source"], az, lag)
            checked += 1
    assert checked >= 4


def test_non_empty_output_is_refused_and_left_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    res = run("synth", "--out", tmp_path, *SMALL)
    assert res.exit_code == 2 and "not empty" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--n", "0"], "--n must be >= 1, got 0"),
        (["--overlap", "0"], "--overlap must be >= 1, got 0"),
        (["--rt60", "0.9", "0.3"], "lower bound must be <= upper bound"),
        (["--config", "CFG"], "unknown key(s): 'roomz'"),
        (["--events", "EMPTY"], "EMPTY"),
        (["--hrir", "NOT_SOFA"], "NOT_SOFA"),
    ],
)
def test_bad_input_is_one_clear_error_and_writes_nothing(tmp_path, extra, message):
    (tmp_path / "cfg.json").write_text(json.dumps({"roomz": {}}))
    (tmp_path / "empty_events").mkdir()
    (tmp_path / "not.sofa").write_text("hello")
    subst = {
        "CFG": tmp_path / "cfg.json",
        "EMPTY": tmp_path / "empty_events",
        "NOT_SOFA": tmp_path / "not.sofa",
    }
    extra = [str(subst.get(a, a)) for a in extra]
    message = str(subst.get(message, message))
    out = tmp_path / "out"
    res = run("synth", "--out", out, *SMALL, *extra)
    assert res.exit_code == 2
    assert message in res.output
    assert not out.exists()


@pytest.mark.skipif(
    not KEMAR_SOFA.exists() or not FREEDESKTOP_SOUNDS.exists(),
    reason="needs Debian's libmysofa1 and sound-theme-freedesktop",
)
def test_measured_kemar_and_recorded_sounds_run_through_synth(tmp_path):
    lib = tmp_path / "events"
    for label, names in {
        "bell": ["bell.oga", "complete.oga"],
        "alarm": ["alarm-clock-elapsed.oga", "phone-incoming-call.oga"],
        "door": ["dialog-warning.oga", "message.oga"],
    }.items():
        (lib / label).mkdir(parents=True)
        for name in names:
            shutil.copy(FREEDESKTOP_SOUNDS / name, lib / label / name)
    out = tmp_path / "out"
    res = run(
        "synth",
        "--out",
        out,
        "--hrir",
        KEMAR_SOFA,
        "--events",
        lib,
        "--n",
        2,
        "--duration",
        5,
        "--folds",
        1,
        "--rt60",
        0.3,
        0.3,
        "--quiet",
    )
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["classes"] == ["alarm", "bell", "door"]
    x, fs = sf.read(out / "audio" / "fold1_room0001_mix001.wav")
    assert fs == 24000 and x.shape == (120000, 2) and np.abs(x).max() > 0.01


def test_the_synth_path_never_imports_optional_extras():
    import subprocess
    import sys

    code = (
        "import sys; from bindata.cli import cli; from bindata.synth import synthesize; "
        "print(sorted(m for m in ('torch', 'matplotlib', 'dask') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_hrir_level_raw_keeps_the_stored_level(small_dataset, tmp_path):
    """--hrir-level raw renders the set as stored: louder by minus the calibration gain."""
    out = tmp_path / "raw"
    res = run("synth", "--out", out, "--seed", 5, "--jobs", 1, "--hrir-level", "raw", *SMALL)
    assert res.exit_code == 0, res.output
    raw, ref = (json.loads((d / "manifest.json").read_text()) for d in (out, small_dataset))
    assert raw["hrir"]["calibration"] == "raw" and raw["hrir"]["calibration_gain_db"] == 0.0
    gain_db = ref["hrir"]["calibration_gain_db"]
    assert ref["hrir"]["calibration"] == "reference" and gain_db != 0.0
    # The 16-bit files are peak-normalised, so compare the float mixes of one scene.
    from bindata.synth import load_resources, load_scene
    from bindata.synth.mix import mix_scene

    scene = load_scene(small_dataset / "scenes" / f"{raw['files'][0]['stem']}.json")
    spec = ("builtin", False, "builtin", 24000)
    mixes = [
        mix_scene(
            scene, library=load_resources(*spec, level)[1], hrirset=load_resources(*spec, level)[0]
        )[0]
        for level in ("raw", "reference")
    ]
    level_db = 10 * np.log10(np.mean(mixes[0] ** 2) / np.mean(mixes[1] ** 2))
    assert level_db == pytest.approx(-gain_db, abs=0.01)
