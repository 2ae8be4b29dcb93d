"""Measured rooms (SOFA MultiSpeakerBRIR) and ``bindata brirs``, against independent peers.

* A room rendered by pyroomacoustics (image sources through the MIT KEMAR HRIRs as its
  measured microphone directivities), written with sofar, synthesised as a measured room: the
  labels follow the file's geometry and the audio's interaural lag has the labels' side.
* libmysofa's ``mysofa2json`` reads what ``bindata brirs`` writes.
* Round trip ``brirs`` -> ``synth --rooms DIR``: labels are the geometry of the SOFA emitters
  (read with sofar), validate passes, regen is byte-identical; a changed file is refused.
* Bad input: one clear error each, exit 2, nothing written.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from scipy.signal import resample_poly

from bindata.cli import cli

from .conftest import KEMAR_SOFA

MYSOFA2JSON = Path("/usr/bin/mysofa2json")
SMALL = ["--folds", "1", "--duration", "3", "--quiet"]
C = 343.0


def _sofar():
    sofar = pytest.importorskip("sofar")
    return sofar


def _read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _sofar().read_sofa(str(path), verify=False, verbose=False)


def _head_relative(points, listener, view):
    """(az, el, dist) of room points seen from a listener looking along ``view`` (z up)."""
    yaw = np.arctan2(view[1], view[0])
    v = np.asarray(points, float) - np.asarray(listener, float)
    x = np.cos(yaw) * v[:, 0] + np.sin(yaw) * v[:, 1]
    y = -np.sin(yaw) * v[:, 0] + np.cos(yaw) * v[:, 1]
    dist = np.linalg.norm(v, axis=1)
    return np.degrees(np.arctan2(y, x)), np.degrees(np.arcsin(v[:, 2] / dist)), dist


def write_multispeaker(path, *, ir, fs, listener, view, source, emitters, delay=0.0):
    """A MultiSpeakerBRIR file written by sofar itself (``ir``: (E, 2, N), left ear first).

    sofar 1.3 flags the convention as deprecated and its public writer refuses it, so the
    object is written by sofar's writer without that check (``_write_sofa``).
    """
    sofar = _sofar()
    from sofar.io import _write_sofa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = sofar.Sofa("MultiSpeakerBRIR")
        ir = np.asarray(ir, float)
        s.Data_IR = np.moveaxis(ir, 0, 1)[None]
        s.Data_SamplingRate = float(fs)
        s.Data_Delay = np.full((1, 2, ir.shape[0]), float(delay))
        s.ListenerPosition = np.array([listener], float)
        s.ListenerView = np.array([view], float)
        s.ReceiverPosition = np.array([[0, 0.09, 0], [0, -0.09, 0]], float)
        s.SourcePosition = np.array([source], float)
        s.SourcePosition_Type, s.SourcePosition_Units = "cartesian", "metre"
        s.EmitterPosition = np.asarray(emitters, float) - np.asarray(source, float)
        s.EmitterUp = np.tile([0.0, 0, 1], (ir.shape[0], 1))
        s.EmitterView = np.tile([1.0, 0, 0], (ir.shape[0], 1))
        s.verify(issue_handling="return")
        _write_sofa(str(path), s, verify=False)
    return Path(path)


def _kemar_reader(path, fs):
    """pyroomacoustics' SOFA reader callback, through sofar (python-sofa is not installed)."""
    s = _read(path)
    ratio = Fraction(int(fs), int(s.Data_SamplingRate))
    ir = resample_poly(np.asarray(s.Data_IR, float), ratio.numerator, ratio.denominator, axis=-1)
    pos = np.asarray(s.SourcePosition, float)
    directions = np.array([np.radians(pos[:, 0]), np.radians(90.0 - pos[:, 1]), pos[:, 2]])
    ears = np.asarray(s.ReceiverPosition, float).reshape(2, 3).T
    return ir, int(fs), directions, ears, None, None


#: Head-relative (azimuth, elevation, distance) of the pyroomacoustics room's loudspeakers.
PRA_SOURCES = [(60.0, 0.0, 1.2), (-70.0, 10.0, 1.5), (110.0, 0.0, 3.5), (-120.0, -5.0, 3.2)]
PRA_LISTENER, PRA_YAW = np.array([4.0, 3.0, 1.5]), 90.0


@pytest.fixture(scope="module")
def pra_render(tmp_path_factory):
    """A shoebox rendered by pyroomacoustics through the KEMAR HRIRs, as MultiSpeakerBRIR."""
    pra = pytest.importorskip("pyroomacoustics")
    from pyroomacoustics.directivities import MeasuredDirectivityFile, Rotation3D

    fs = 48000  # the dataset's 24 kHz: the reader resamples
    hrtf = MeasuredDirectivityFile(KEMAR_SOFA, fs=fs, file_reader_callback=_kemar_reader)
    turn = Rotation3D([PRA_YAW], "z", degrees=True)
    ears = [hrtf.get_mic_directivity(k, orientation=turn) for k in (0, 1)]  # 0: left (+y)
    room = pra.ShoeBox(
        [8, 6, 3], fs=fs, max_order=3, materials=pra.Material(0.5), air_absorption=False
    )
    room.add_microphone_array(np.c_[PRA_LISTENER, PRA_LISTENER], directivity=ears)
    yaw = np.radians(PRA_YAW)
    points = []
    for az, el, d in PRA_SOURCES:
        a, e = np.radians(az + PRA_YAW), np.radians(el)
        points.append(
            PRA_LISTENER + d * np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
        )
        room.add_source(points[-1])
    room.compute_rir()
    # pyroomacoustics delays every response by half its fractional-delay filter; 10 more
    # samples are cut here and given back through Data.Delay
    lead = pra.constants.get("frac_delay_length") // 2 + 10
    n = max(len(room.rir[m][s]) for m in (0, 1) for s in range(len(points))) - lead
    ir = np.zeros((len(points), 2, n))
    for s in range(len(points)):
        for m in (0, 1):
            h = np.asarray(room.rir[m][s])[lead:]
            ir[s, m, : h.size] = h
    path = tmp_path_factory.mktemp("pra") / "pra_room.sofa"
    view = [np.cos(yaw), np.sin(yaw), 0.0]
    write_multispeaker(
        path,
        ir=ir,
        fs=fs,
        listener=PRA_LISTENER,
        view=view,
        source=[1.0, 1.0, 0.0],
        emitters=points,
        delay=10.0,
    )
    raw = [np.array([room.rir[m][s] for m in (0, 1)]) for s in range(len(points))]
    return SimpleNamespace(path=path, raw=raw, lead=lead - 10)  # lead: pyroomacoustics' delay


@pytest.fixture(scope="module")
def pra_room(pra_render):
    return pra_render.path


def _scenes(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "scenes").glob("*.json"))]


def _interaural_lag(stereo: np.ndarray, *, max_lag: int, fs: int) -> int:
    """Lag (samples) of the left/right cross-correlation peak: < 0 when the left ear leads.

    Phase-transform weighted (GCC-PHAT, Knapp & Carter 1976) in 300-1500 Hz, the band where
    the interaural time difference is the lateral cue (duplex theory, Rayleigh 1907) and
    where, above the lowest frequencies, a far source's diffuse reverberation is not coherent
    enough between the ears to outweigh the direct sound.
    """
    n = 2 * stereo.shape[0]
    spec = np.fft.rfft(stereo[:, 0], n) * np.conj(np.fft.rfft(stereo[:, 1], n))
    f = np.fft.rfftfreq(n, 1.0 / fs)
    spec = np.where((f >= 300) & (f <= 1500), spec / np.maximum(np.abs(spec), 1e-12), 0)
    cc = np.fft.irfft(spec, n)
    window = np.concatenate([cc[-max_lag:], cc[: max_lag + 1]])  # lags -max_lag..max_lag
    return int(np.argmax(window)) - max_lag


def test_reading_applies_data_delay_and_orders_the_ears(pra_render):
    """The responses read are pyroomacoustics' own, less its half-filter delay: the 10 samples
    cut when writing come back through Data.Delay; channel 0 is the left ear (+y)."""
    from bindata.rooms.sofa_brir import read_brir_sofa

    room = read_brir_sofa(pra_render.path)
    assert room.sample_rate == 48000 and room.ir.shape[:3] == (1, 2, len(PRA_SOURCES))
    for e, raw in enumerate(pra_render.raw):
        want = raw[:, pra_render.lead :]
        got = room.ir[0, :, e, : want.shape[1]]
        assert np.max(np.abs(got[:, :10])) < 1e-12  # the delay's leading silence
        assert np.max(np.abs(got[:, 10:] - want[:, 10:])) < 1e-9 * np.max(np.abs(want))
        near_ear = 0 if PRA_SOURCES[e][0] > 0 else 1  # the louder direct sound
        assert np.argmax(np.abs(got).max(axis=1)) == near_ear


def test_a_pyroomacoustics_room_as_a_measured_room(pra_room, tmp_path):
    out = tmp_path / "ds"
    args = [
        "synth",
        "--out",
        str(out),
        "--rooms",
        str(pra_room),
        "--n",
        "5",
        "--overlap",
        "1",
        "--events-per-file",
        "2",
        "3",
        "--folds",
        "1",
        "--duration",
        "4",
        "--quiet",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    s = _read(pra_room)
    emitters = np.asarray(s.EmitterPosition, float).reshape(-1, 3) + np.asarray(s.SourcePosition)
    listener = np.asarray(s.ListenerPosition, float).reshape(3)
    az, el, dist = _head_relative(emitters, listener, np.asarray(s.ListenerView).reshape(3))
    assert np.allclose(np.c_[az, el, dist], PRA_SOURCES, atol=1e-9)  # the file's own geometry
    errors, agree, total, bands, lags = [], 0, 0, set(), []
    for scene in _scenes(out):
        assert scene["room"]["kind"] == "measured"
        assert np.allclose(scene["listener"]["position_m"], listener)
        audio, fs = sf.read(out / "audio" / f"{scene['stem']}.wav")
        for ev in scene["events"]:
            k = int(np.argmin(np.linalg.norm(emitters - ev["position_m"], axis=1)))
            assert np.linalg.norm(emitters[k] - ev["position_m"]) < 1e-9
            d_az = (ev["azimuth_deg"] - az[k] + 180) % 360 - 180
            errors.append(
                max(abs(d_az), abs(ev["elevation_deg"] - el[k]), abs(ev["distance_m"] - dist[k]))
            )
            bands.add(ev["band"])
            lo = int(round(ev["onset_s"] * fs))
            window = audio[lo : lo + int(min(ev["duration_s"], 0.25) * fs)]
            lag = _interaural_lag(window, max_lag=int(0.001 * fs), fs=fs)
            total += 1
            agree += int(np.sign(lag) == -np.sign(ev["azimuth_deg"]))
            lags.append((round(ev["azimuth_deg"]), lag))
    assert bands == {"near", "far"} and total >= 6
    assert max(errors) < 1e-9
    print(f"label error max {max(errors):.3g}; ITD sign agrees in {agree}/{total}: {lags}")
    assert agree == total, f"interaural lag sign agrees with the azimuth in {agree}/{total}"


@pytest.mark.skipif(not MYSOFA2JSON.exists(), reason="libmysofa's mysofa2json not installed")
@pytest.mark.parametrize("convention", ["SingleRoomMIMOSRIR", "MultiSpeakerBRIR"])
def test_libmysofa_reads_what_brirs_writes(tmp_path, convention):
    out = tmp_path / "brirs"
    args = ["brirs", "--out", str(out), "--n", "1", "--quiet", "--convention", convention]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "room0001.json").read_text())
    run = subprocess.run(
        [str(MYSOFA2JSON), str(out / "room0001.sofa")], capture_output=True, text=True, check=True
    )
    doc = json.loads(run.stdout)
    assert doc["Attributes"]["SOFAConventions"] == convention
    assert record["sofa_convention"] == convention
    dims = doc["Dimensions"]
    assert (dims["M"], dims["R"], dims["E"]) == (1, 2, 6) and dims["N"] > 1000
    values = {
        name: np.asarray(v["Values"], float)
        for name, v in doc["Variables"].items()
        if "Values" in v
    }
    sources = np.array([src["position_m"] for src in record["sources"]])
    source = values["SourcePosition"].reshape(3)
    assert np.allclose(values["EmitterPosition"].reshape(-1, 3) + source, sources, atol=1e-12)
    assert np.allclose(values["ListenerPosition"], record["listener"]["position_m"])
    assert values["Data.SamplingRate"][0] == 24000
    # libmysofa (1.3) keeps HRIR-shaped data (M, R, N) only: a 4-D Data.IR (M, R, E, N) is left
    # out of its JSON (the responses themselves are read back with sofar in the round trip)
    assert doc["Variables"]["Data.Delay"]["DimensionNames"] == ["M", "R", "E"]
    assert np.all(values["Data.Delay"] == 0)
    # the sources: 3 near, 3 far, each in its band (default config)
    dist = np.linalg.norm(sources - record["listener"]["position_m"], axis=1)
    assert [s["band"] for s in record["sources"]] == ["near"] * 3 + ["far"] * 3
    assert np.all((dist[:3] >= 0.4) & (dist[:3] <= 2.0)) and np.all(
        (dist[3:] >= 3) & (dist[3:] <= 8)
    )
    # the flat 'paper' room: the same RT60 in every octave band 125 Hz-8 kHz
    bands = record["rt60_target_s"]
    assert sorted(bands, key=int) == ["125", "250", "500", "1000", "2000", "4000", "8000"]
    assert set(bands.values()) == {record["room"]["rt60_s"]}
    index = json.loads((out / "brirs.json").read_text())
    from bindata.io import sha256_file

    assert index["files"][0]["sofa_sha256"] == sha256_file(out / "room0001.sofa")


def test_brirs_round_trip_into_synth(tmp_path):
    runner = CliRunner()
    brirs = tmp_path / "brirs"
    result = runner.invoke(
        cli, ["brirs", "--out", str(brirs), "--n", "2", "--seed", "5", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    geometry = {}
    for path in sorted(brirs.glob("*.sofa")):
        s = _read(path)
        emitters = np.asarray(s.EmitterPosition, float).reshape(-1, 3) + np.asarray(
            s.SourcePosition, float
        ).reshape(1, 3)
        listener = np.asarray(s.ListenerPosition, float).reshape(3)
        geometry[str(path.resolve())] = (
            emitters,
            listener,
            _head_relative(emitters, listener, np.asarray(s.ListenerView).reshape(3)),
        )
    out = tmp_path / "ds"
    result = runner.invoke(
        cli, ["synth", "--out", str(out), "--rooms", str(brirs), "--n", "8", *SMALL]
    )
    assert result.exit_code == 0, result.output
    files_used = set()
    for scene in _scenes(out):
        emitters, listener, (az, el, dist) = geometry[scene["room"]["file"]]
        files_used.add(scene["room"]["file"])
        assert np.allclose(scene["listener"]["position_m"], listener, atol=1e-12)
        for ev in scene["events"]:
            gap = np.linalg.norm(emitters - ev["position_m"], axis=1)
            k = int(np.argmin(gap))
            assert gap[k] < 1e-12
            assert abs((ev["azimuth_deg"] - az[k] + 180) % 360 - 180) < 1e-6
            assert abs(ev["elevation_deg"] - el[k]) < 1e-6
            assert abs(ev["distance_m"] - dist[k]) < 1e-9
    assert len(files_used) == 2
    assert runner.invoke(cli, ["validate", str(out)]).exit_code == 0
    scene_path = out / "scenes" / "fold1_room0001_mix001.json"
    regen = runner.invoke(cli, ["regen", str(scene_path)])
    assert regen.exit_code == 0 and "identical" in regen.output
    # a source moved off the measured emitters is reported by validate
    scene = json.loads(scene_path.read_text())
    scene["events"][0]["position_m"][0] += 0.01
    scene_path.write_text(json.dumps(scene))
    report = runner.invoke(cli, ["validate", str(out)])
    assert report.exit_code != 0 and "events[0]: position" in report.output
    # a changed SOFA file: regen is a clear error naming it
    changed = Path(scene["room"]["file"])
    changed.write_bytes(changed.read_bytes() + b"\0")
    regen = runner.invoke(cli, ["regen", str(scene_path), "--out", str(tmp_path / "x.wav")])
    assert regen.exit_code == 2 and "the file changed" in regen.output
    assert str(changed) in regen.output and not (tmp_path / "x.wav").exists()


def _one_band_room(path: Path) -> Path:
    rng = np.random.default_rng(0)
    emitters = [[2.5, 2.0, 1.5], [1.0, 3.0, 1.5]]  # 1.0 and 1.8 m from the listener: near only
    return write_multispeaker(
        path,
        ir=rng.normal(size=(2, 2, 256)),
        fs=24000,
        listener=[2.0, 2.0 - 0.866, 1.5],
        view=[1.0, 0.0, 0.0],
        source=[0.0, 0.0, 0.0],
        emitters=emitters,
    )


@pytest.mark.parametrize("case", ["hrir_set", "no_far_band", "anechoic", "missing", "brirs_full"])
def test_bad_measured_input_is_one_clear_error_nothing_written(tmp_path, pra_room, case):
    out = tmp_path / "out"
    args = ["synth", "--out", str(out), "--n", "2", *SMALL]
    if case == "hrir_set":
        args += ["--rooms", str(KEMAR_SOFA)]
        wanted = ["SimpleFreeFieldHRIR", "MultiSpeakerBRIR"]
    elif case == "no_far_band":
        room = _one_band_room(tmp_path / "near_only.sofa")
        preset = tmp_path / "lab.json"  # a preset file, its path relative to it
        preset.write_text(
            json.dumps(
                {"name": "lab", "kind": "measured", "description": "x", "files": ["near_only.sofa"]}
            )
        )
        args += ["--rooms", str(preset)]
        wanted = [
            str(room.resolve()),
            "far band [3.0, 8.0] m",
            "To use this room for its near band only, set sources.near_fraction to 1.0",
        ]
    elif case == "anechoic":
        args += ["--rooms", str(pra_room), "--anechoic"]
        wanted = ["anechoic"]
    elif case == "missing":
        args += ["--rooms", str(tmp_path / "nowhere.sofa")]
        wanted = ["nowhere.sofa", "no such file"]
    else:
        out.mkdir()
        (out / "keep.txt").write_text("mine")
        args = ["brirs", "--out", str(out), "--n", "1", "--quiet"]
        wanted = ["not empty", "--overwrite"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for text in wanted:
        assert text in result.output, result.output
    if case == "brirs_full":
        assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
        again = CliRunner().invoke(cli, [*args, "--overwrite"])  # not a brirs folder: refused
        assert again.exit_code == 2 and "did not write" in again.output
        assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    else:
        assert not out.exists()


def test_brirs_overwrite_replaces_only_its_own_files(tmp_path):
    out = tmp_path / "b"
    runner = CliRunner()
    assert (
        runner.invoke(
            cli, ["brirs", "--out", str(out), "--n", "2", "--quiet", "--near", "1", "--far", "1"]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        cli,
        [
            "brirs",
            "--out",
            str(out),
            "--n",
            "1",
            "--quiet",
            "--overwrite",
            "--near",
            "1",
            "--far",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["brirs.json", "room0001.json", "room0001.sofa"]
    shutil.rmtree(out)


def test_brirs_of_a_material_preset_record_its_bands_and_materials(tmp_path):
    out = tmp_path / "office"
    args = [
        "brirs",
        "--out",
        str(out),
        "--n",
        "1",
        "--rooms",
        "office",
        "--near",
        "1",
        "--far",
        "1",
        "--quiet",
    ]
    assert CliRunner().invoke(cli, args).exit_code == 0
    record = json.loads((out / "room0001.json").read_text())
    room = record["room"]
    assert record["rt60_target_s"] == room["rt60_bands_s"]
    assert len(set(record["rt60_target_s"].values())) > 1  # frequency-dependent
    assert record["materials"] == {s: v["material"] for s, v in room["surfaces"].items()}


def test_several_measurements_are_several_listener_poses(tmp_path):
    """M = 2 measurements (two head orientations, the same loudspeakers): a scene uses one,
    and its labels follow that measurement's view."""
    room = _one_band_room(tmp_path / "one.sofa")
    s = _read(room)
    s.Data_IR = np.concatenate([s.Data_IR, s.Data_IR], axis=0)  # (2, R, E, N)
    s.ListenerView = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])  # yaw 0 and -90 deg
    s.ListenerPosition = np.tile(np.asarray(s.ListenerPosition, float).reshape(1, 3), (2, 1))
    s.SourcePosition = np.zeros((2, 3))
    s.Data_Delay = np.zeros((2, 2, 2))
    from sofar.io import _write_sofa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.verify(issue_handling="return")
        _write_sofa(str(tmp_path / "two.sofa"), s, verify=False)
    out = tmp_path / "ds"
    args = [
        "synth",
        "--out",
        str(out),
        "--rooms",
        str(tmp_path / "two.sofa"),
        "--n",
        "6",
        "--seed",
        "1",
        "--config",
        str(_near_only_config(tmp_path)),
        *SMALL,
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    emitters = np.asarray(s.EmitterPosition, float).reshape(-1, 3)
    seen = set()
    for scene in _scenes(out):
        m = scene["room"]["measurement"]
        seen.add(m)
        view = np.asarray(s.ListenerView, float)[m]
        assert abs(scene["listener"]["yaw_deg"] - np.degrees(np.arctan2(view[1], view[0]))) < 1e-9
        az, el, _ = _head_relative(emitters, scene["listener"]["position_m"], view)
        for ev in scene["events"]:
            k = int(np.argmin(np.linalg.norm(emitters - ev["position_m"], axis=1)))
            assert abs((ev["azimuth_deg"] - az[k] + 180) % 360 - 180) < 1e-6
    assert seen == {0, 1}
    assert CliRunner().invoke(cli, ["validate", str(out)]).exit_code == 0


def _near_only_config(tmp_path: Path) -> Path:
    path = tmp_path / "near.json"
    path.write_text(json.dumps({"sources": {"near_fraction": 1.0}}))
    return path


def test_a_near_only_room_renders_with_what_its_error_says_to_set(tmp_path):
    """The error of a room without far emitters names the setting; with it the room renders."""
    room = _one_band_room(tmp_path / "near_only.sofa")
    out = tmp_path / "out"
    args = ["synth", "--out", str(out), "--n", "2", *SMALL, "--rooms", str(room)]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2 and "sources.near_fraction to 1.0" in refused.output
    assert not out.exists()
    done = CliRunner().invoke(cli, [*args, "--config", str(_near_only_config(tmp_path))])
    assert done.exit_code == 0, done.output
    bands = {ev["band"] for scene in _scenes(out) for ev in scene["events"]}
    assert bands == {"near"}
    assert CliRunner().invoke(cli, ["validate", str(out)]).exit_code == 0
