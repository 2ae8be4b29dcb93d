"""Moving scenes through `bindata synth`: paths, head rotation, labels, rendering, ambience."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from bindata.scene.labels import read_metadata_csv

from .test_synth import run, tree_bytes

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
MOVING = ["--moving", "0.6", "--line-fraction", "0.3", "--head-rotation", "--snr", "6", "30"]


def _wrap(deg):
    return (np.asarray(deg, float) + 180.0) % 360.0 - 180.0


@pytest.fixture(scope="module")
def moving_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("mv") / "jobs1"
    res = run("synth", "--out", out, "--seed", 5, "--jobs", 1, *SMALL, *MOVING)
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def arcs_dataset(tmp_path_factory):
    """Anechoic, one event at a time, every event on an arc at 30 deg/s, head still."""
    out = tmp_path_factory.mktemp("mv") / "arcs"
    res = run(
        "synth",
        "--out",
        out,
        "--seed",
        4,
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
        "--moving",
        1,
        "--angular-speed",
        30,
        30,
        "--quiet",
    )
    assert res.exit_code == 0, res.output
    return out


def _scenes(root):
    return [json.loads(p.read_text()) for p in sorted((root / "scenes").glob("*.json"))]


def test_moving_scenes_hold_paths_head_tracks_and_ambience(moving_dataset):
    scenes = _scenes(moving_dataset)
    paths = [ev["path"]["kind"] for s in scenes for ev in s["events"] if "path" in ev]
    assert paths and set(paths) <= {"arc", "line"}
    assert all(s["head"]["kind"] == "keyframes" and "motion_render" in s for s in scenes)
    assert all(
        s["ambience"]["kind"] == "diffuse" and 6 <= s["ambience"]["snr_db"] <= 30 for s in scenes
    )
    assert run("validate", moving_dataset).exit_code == 0


def test_same_seed_same_bytes_with_two_jobs_and_regen(moving_dataset, tmp_path):
    out = tmp_path / "jobs2"
    assert run("synth", "--out", out, "--seed", 5, "--jobs", 2, *SMALL, *MOVING).exit_code == 0
    assert tree_bytes(out) == tree_bytes(moving_dataset)
    for scene in sorted((moving_dataset / "scenes").glob("*.json")):
        res = run("regen", scene)
        assert res.exit_code == 0 and "identical" in res.output, res.output


def test_dask_run_of_moving_scenes_is_byte_identical(moving_dataset, tmp_path):
    pytest.importorskip("distributed")
    import dask
    from distributed import LocalCluster

    from bindata.config import load_config
    from bindata.synth import synthesize

    cfg = load_config(
        overrides={
            "n_files": 4,
            "duration_s": 4.0,
            "events.per_file": [2, 3],
            "room.rt60_s": [0.3, 0.4],
            "n_folds": 2,
            "motion.moving_fraction": 0.6,
            "motion.line_fraction": 0.3,
            "head.rotation": True,
            "ambience.snr_db": [6.0, 30.0],
        }
    )
    env = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    with (
        dask.config.set(env),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cl,
    ):
        synthesize(cfg, tmp_path / "dask", seed=5, progress=False, scheduler=cl.scheduler_address)
    assert tree_bytes(tmp_path / "dask") == tree_bytes(moving_dataset)


def test_resume_of_a_moving_run_is_byte_identical(moving_dataset, tmp_path):
    out = tmp_path / "resumed"
    shutil.copytree(moving_dataset, out)
    (out / "manifest.json").unlink()
    (out / "scenes" / "fold1_room0002_mix001.json").unlink()  # unfinished item
    wav = out / "audio" / "fold2_room0003_mix001.wav"
    wav.write_bytes(wav.read_bytes()[:1000])  # damaged item
    marker = {
        "bindata_version": __import__("bindata").__version__,
        "config": json.loads((moving_dataset / "manifest.json").read_text())["config"],
        "seed": 5,
    }
    (out / ".bindata-run.json").write_text(json.dumps(marker))
    res = run("synth", "--out", out, "--seed", 5, "--resume", *SMALL, *MOVING)
    assert res.exit_code == 0, res.output
    assert tree_bytes(out) == tree_bytes(moving_dataset)


def test_arc_labels_turn_at_the_drawn_speed(arcs_dataset):
    """Head still, arc about the head: the label azimuth at a frame centre t is the start
    azimuth + w (t - onset), elevation and distance stay those of the start."""
    checked = 0
    for scene in _scenes(arcs_dataset):
        rows = read_metadata_csv(arcs_dataset / "metadata" / f"{scene['stem']}.csv")
        for ev in scene["events"]:
            w = ev["path"]["angular_speed_deg_s"]
            assert abs(abs(w) - 30.0) < 1e-9
            mine = rows[rows["source"] == ev["source"]]
            t = (mine["frame"] + 0.5) * 0.1 - ev["onset_s"]
            if abs(ev["elevation_deg"]) > 80:
                continue  # the azimuth of a source overhead is ill-defined
            want = ev["azimuth_deg"] + w * t
            assert np.all(np.abs(_wrap(mine["azimuth"] - want)) <= 0.5 + 1e-6), ev["source"]
            assert np.all(np.abs(mine["elevation"] - ev["elevation_deg"]) <= 0.5 + 1e-6)
            assert np.all(np.abs(mine["distance"] - 100 * ev["distance_m"]) <= 0.5 + 1e-6)
            steps = _wrap(np.diff(mine["azimuth"]))
            assert abs(np.mean(steps) - w * 0.1) < 0.5  # 3 degrees per 100 ms frame
            checked += 1
    assert checked >= 4


def test_head_rotation_labels_are_the_room_direction_minus_the_yaw(tmp_path):
    out = tmp_path / "head"
    res = run(
        "synth",
        "--out",
        out,
        "--seed",
        2,
        "--anechoic",
        "--n",
        2,
        "--duration",
        5,
        "--events-per-file",
        2,
        3,
        "--folds",
        1,
        "--head-rotation",
        "--quiet",
    )
    assert res.exit_code == 0, res.output
    checked = 0
    for scene in _scenes(out):
        rows = read_metadata_csv(out / "metadata" / f"{scene['stem']}.csv")
        head = scene["head"]
        assert np.ptp(head["yaw_deg"]) > 1.0  # the head does turn
        for ev in scene["events"]:
            v = np.subtract(ev["position_m"], scene["listener"]["position_m"])
            if np.degrees(np.arctan2(abs(v[2]), np.hypot(v[0], v[1]))) > 80:
                continue
            room_az = np.degrees(np.arctan2(v[1], v[0]))
            mine = rows[rows["source"] == ev["source"]]
            yaw = np.interp((mine["frame"] + 0.5) * 0.1, head["times_s"], head["yaw_deg"])
            assert np.all(np.abs(_wrap(mine["azimuth"] - (room_az - yaw))) <= 0.5 + 1e-6)
            checked += 1
    assert checked >= 3


def test_itd_sign_of_moving_sources_follows_the_labels(arcs_dataset):
    """Per 100 ms frame: GCC-PHAT lag between the ears against the label's side."""
    agree = total = 0
    for scene in _scenes(arcs_dataset):
        x, fs = sf.read(arcs_dataset / "audio" / f"{scene['stem']}.wav")
        rows = read_metadata_csv(arcs_dataset / "metadata" / f"{scene['stem']}.csv")
        hop = fs // 10
        for row in rows:
            if not (30 <= abs(row["azimuth"]) <= 150) or abs(row["elevation"]) > 50:
                continue
            seg = x[row["frame"] * hop : (row["frame"] + 1) * hop]
            if np.mean(seg**2) < 1e-8:
                continue
            n = 2 * hop
            spec_l, spec_r = np.fft.rfft(seg[:, 0], n), np.fft.rfft(seg[:, 1], n)
            auto = np.fft.irfft(np.abs(spec_l) ** 2, n)
            if np.abs(auto[6:48]).max() > 0.5 * auto[0]:
                continue  # periodic: ambiguous within +-2 ms
            cross = spec_l * np.conj(spec_r)
            cross = np.fft.irfft(cross / (np.abs(cross) + 1e-12), n)
            lags = np.r_[np.arange(0, 21), np.arange(-20, 0)]
            lag = lags[np.argmax(np.r_[cross[:21], cross[-20:]])]
            # a peak at a negative lag: the right ear hears a delayed copy (source on the left)
            agree += int(np.sign(lag) == -np.sign(row["azimuth"]))
            total += 1
    assert total >= 15
    assert agree / total >= 0.9, (agree, total)


def _measured_snr_db(root, stem):
    from bindata.render.ambience import active_frames
    from bindata.scene.labels import scene_rows
    from bindata.synth import load_resources, load_scene, render_scene
    from bindata.synth.mix import mix_events

    scene = load_scene(root / "scenes" / f"{stem}.json")
    hrirset, library, _ = load_resources(
        scene.hrir.source, False, "builtin", scene.sample_rate, scene.hrir.calibration
    )
    events, _ = mix_events(scene, library=library, hrirset=hrirset)
    _, _, info = render_scene(scene, library=library, hrirset=hrirset)
    written, _ = sf.read(root / "audio" / f"{stem}.wav", dtype="int16")
    events = events * info["mix_gain"]
    ambience = written / 32767.0 - events
    active = np.repeat(active_frames(scene_rows(scene), 40), scene.sample_rate // 10)
    snr = 10 * np.log10(np.mean(events[active] ** 2) / np.mean(ambience**2))
    return snr, scene.ambience["snr_db"]


def test_measured_snr_of_the_written_file_is_the_drawn_one(moving_dataset):
    for stem in ("fold1_room0001_mix001", "fold2_room0004_mix001"):
        measured, drawn = _measured_snr_db(moving_dataset, stem)
        assert abs(measured - drawn) < 0.2, (stem, measured, drawn)


def test_recorded_ambience_folder(tmp_path):
    folder = tmp_path / "amb"
    folder.mkdir()
    rng = np.random.default_rng(0)
    sf.write(folder / "street.wav", rng.normal(size=(44100 * 3 // 2, 2)) * 0.1, 44100)
    out = tmp_path / "out"
    res = run("synth", "--out", out, "--seed", 1, *SMALL, "--snr", "10", "20", "--ambience", folder)
    assert res.exit_code == 0, res.output
    scene = _scenes(out)[0]
    amb = scene["ambience"]
    assert amb["kind"] == "recorded" and amb["file"] == "street.wav" and 0 <= amb["offset"] < 1
    from bindata.io import sha256_file

    assert amb["sha256"] == sha256_file(folder / "street.wav")
    measured, drawn = _measured_snr_db(out, scene["stem"])
    assert abs(measured - drawn) < 0.2
    assert run("regen", out / "scenes" / f"{scene['stem']}.json").exit_code == 0
    assert run("validate", out).exit_code == 0
    moved = tmp_path / "moved"
    folder.rename(moved)  # the recordings elsewhere: regen --ambience finds them
    res = run("regen", out / "scenes" / f"{scene['stem']}.json", "--ambience", moved)
    assert res.exit_code == 0 and "identical" in res.output, res.output


def test_plot_and_report_show_paths_head_and_snr(moving_dataset, tmp_path):
    pytest.importorskip("matplotlib")
    scene = sorted((moving_dataset / "scenes").glob("*.json"))[0]
    assert run("plot", scene, "--out", tmp_path / "scene.png").exit_code == 0
    assert (tmp_path / "scene.png").stat().st_size > 10_000
    res = run("report", moving_dataset, "--out", tmp_path / "report")
    assert res.exit_code == 0, res.output
    card = (tmp_path / "report" / "README.md").read_text()
    assert "## Motion and ambience" in card and "SNR min" in card
    for name in ("source_speeds", "head_speeds", "snr"):
        assert (tmp_path / "report" / f"{name}.png").exists()


def test_validate_catches_a_path_that_leaves_its_band(moving_dataset, tmp_path):
    out = tmp_path / "edited"
    shutil.copytree(moving_dataset, out)
    for p in sorted((out / "scenes").glob("*.json")):
        scene = json.loads(p.read_text())
        moving = [ev for ev in scene["events"] if "path" in ev]
        if moving:
            ev = moving[0]
            ev["path"] = {
                "kind": "line",
                "start_m": ev["position_m"],
                "velocity_m_s": [3.0, 0.0, 0.0],
            }
            p.write_text(json.dumps(scene))
            break
    res = run("validate", out)
    assert res.exit_code != 0
    assert "path" in res.output and (
        "leaves its distance band" in res.output or "of a wall" in res.output
    )


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--moving", "0.5", "--angular-speed", "40", "10"], "--angular-speed lower bound"),
        (["--moving", "0.5", "--linear-speed", "-1", "1"], "--linear-speed must be >= 0"),
        (["--head-rotation", "--head-speed", "90", "20"], "--head-speed lower bound"),
        (["--snr", "nan", "10"], "must be a finite number, got 'nan'"),
        (["--config", "NAN_CFG"], "ambience.snr_db.0: must be a finite number"),
        (["--snr", "6", "30", "--ambience", "EMPTY"], "no audio file found"),
        (["--snr", "6", "30", "--ambience", "BROKEN"], "unreadable"),
        (["--moving", "1", "--line-fraction", "1", "--linear-speed", "20", "30"], "finds no path"),
        (
            ["--config", "TIGHT", "--moving", "1", "--angular-speed", "90", "90"],
            "arc at 90 deg/s) finds no path in room [6.0, 6.0, 2.5] m",
        ),
        (["--ambience", "EMPTY"], "--ambience an ambience folder"),
    ],
)
def test_bad_motion_input_is_one_clear_error_and_writes_nothing(tmp_path, extra, message):
    (tmp_path / "nan.json").write_text(json.dumps({"ambience": {"snr_db": [float("nan"), 1.0]}}))
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "noise.wav").write_bytes(b"RIFF not a wav at all")
    tight = {
        "room": {"width_m": [6.0, 6.0], "length_m": [6.0, 6.0], "height_m": [2.5, 2.5]},
        "events": {"duration_s": [3.5, 3.9]},
        "duration_s": 5.0,
        "listener": {"max_redraws": 5},
        "motion": {"max_tries": 4},
    }
    (tmp_path / "tight.json").write_text(json.dumps(tight))
    subst = {
        "NAN_CFG": tmp_path / "nan.json",
        "EMPTY": tmp_path / "empty",
        "BROKEN": tmp_path / "broken",
        "TIGHT": tmp_path / "tight.json",
    }
    out = tmp_path / "out"
    res = run("synth", "--out", out, *SMALL, *[str(subst.get(a, a)) for a in extra])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not out.exists()


def test_a_kind_of_fixed_positions_refuses_motion(tmp_path, monkeypatch):
    from bindata.rooms.shoebox import ShoeboxKind

    monkeypatch.setattr(ShoeboxKind, "renders_any_position", False)
    for extra, flag in (
        (["--moving", "0.5"], "--moving"),
        (["--head-rotation"], "--head-rotation"),
    ):
        out = tmp_path / flag.strip("-")
        res = run("synth", "--out", out, *SMALL, *extra)
        assert res.exit_code == 2 and f"{flag}: room kind 'shoebox'" in res.output, res.output
        assert not out.exists()
    assert run("synth", "--out", tmp_path / "static", *SMALL).exit_code == 0
