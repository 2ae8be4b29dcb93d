"""Measured rooms at a true level, and the SOFA conventions of rooms (read and written).

* Level (the target of issue 24): a room bindata simulates, written by ``bindata brirs``, stored
  at -34 dB (x 0.02) and read back as a measured room, gives every file within 1 dB of the same
  scenes rendered through the simulated room; ``--room-level raw`` keeps the stored -34 dB.
* Against an independent head: a room measured with the MIT KEMAR (its HRIRs at an arbitrary
  gain, 1 / r, a diffuse tail) in front of the head calibrates by the gain bindata's frontal
  HRIR reference gives the KEMAR set itself.
* Conventions: ``write_brir_sofa`` -> ``read_brir_sofa`` returns the responses written, in
  ``SingleRoomMIMOSRIR`` (sofar's public writer) and ``MultiSpeakerBRIR``; ``bindata brirs``
  writes the rendered BRIRs in both; a binaural ``SingleRoomSRIR`` (one loudspeaker per
  measurement) is read as its listener poses; a file with other than two receivers is refused.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bindata.cli import cli
from bindata.config import SynthConfig, load_config
from bindata.dataset import load_scene
from bindata.hrir import load_hrirset
from bindata.rooms import kind_of
from bindata.rooms.level import calibration_gain_db
from bindata.rooms.sofa_brir import read_brir_sofa
from bindata.scene.spec import Listener, SceneRoom
from bindata.synth.brirs import write_brir_sofa, write_brirs
from bindata.synth.mix import mix_scene
from bindata.synth.run import resources_for_config, resources_for_scene

from .conftest import KEMAR_SOFA
from .test_rooms_measured import SMALL

SCALE = 0.02  # -34 dB


def _sofar():
    return pytest.importorskip("sofar")


def _brirs(out: Path, *args) -> Path:
    result = CliRunner().invoke(cli, ["brirs", "--out", str(out), "--quiet", *args])
    assert result.exit_code == 0, result.output
    return out


def _scaled_copy(src: Path, dst: Path, scale: float) -> Path:
    """Every SOFA file of ``src`` with its responses times ``scale`` (sofar's public API)."""
    sofar = _sofar()
    dst.mkdir()
    for path in sorted(src.glob("*.sofa")):
        s = sofar.read_sofa(str(path), verbose=False)
        s.Data_IR = np.asarray(s.Data_IR) * scale
        sofar.write_sofa(str(dst / path.name), s)
    return dst


def _level_db(x: np.ndarray) -> float:
    return 10.0 * np.log10(np.mean(np.asarray(x, float) ** 2))


def test_a_measured_room_renders_at_the_level_of_the_simulated_room(tmp_path):
    brirs = _brirs(tmp_path / "brirs", "--n", "2", "--seed", "4", "--near", "3", "--far", "3")
    scaled = _scaled_copy(brirs, tmp_path / "scaled", SCALE)
    levels = {}
    for level in ("reference", "raw"):
        out = tmp_path / level
        args = ["synth", "--out", str(out), "--rooms", str(scaled), "--n", "4", "--seed", "1"]
        result = CliRunner().invoke(cli, [*args, "--room-level", level, *SMALL])
        assert result.exit_code == 0, result.output
        diffs = []
        for path in sorted((out / "scenes").glob("*.json")):
            scene = load_scene(path)
            hrirset, library, _ = resources_for_scene(scene)
            measured, _ = mix_scene(scene, library=library, hrirset=hrirset)
            record = json.loads((brirs / f"{Path(scene.room['file']).stem}.json").read_text())
            simulated_scene = replace(scene, room=SceneRoom(record["room"]))
            simulated, _ = mix_scene(simulated_scene, library=library, hrirset=hrirset)
            diffs.append(_level_db(measured) - _level_db(simulated))
            assert scene.room["calibration"] == level
        levels[level] = np.array(diffs)
        assert CliRunner().invoke(cli, ["validate", str(out)]).exit_code == 0
    print(f"file level, measured - simulated (dB): {levels}")
    assert np.all(np.abs(levels["reference"]) < 1.0)  # the target: within 1 dB
    assert np.all(np.abs(levels["raw"] - 20 * np.log10(SCALE)) < 1.0)  # as stored


def test_a_room_measured_with_kemar_calibrates_as_the_kemar_set(tmp_path):
    """A room 'measured' with the MIT KEMAR (its HRIRs read by sofar, relative to the free field
    at the head centre, stored at an arbitrary gain A, delayed by r / c, attenuated by 1 / r and
    followed by a decaying diffuse tail from 5 ms on) in front of the head (within 10 degrees, at
    1-2.5 m): its calibration gain is the gain bindata's frontal reference gives the KEMAR set as
    an HRIR set, less 20 log10 A."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kemar = _sofar().read_sofa(str(KEMAR_SOFA), verify=False, verbose=False)
    fs, c, amplitude = int(kemar.Data_SamplingRate), 343.0, 0.013
    pos = np.asarray(kemar.SourcePosition, float)
    az = (pos[:, 0] + 180) % 360 - 180
    front = np.flatnonzero((np.abs(az) <= 10) & (np.abs(pos[:, 1]) <= 10))
    left = int(np.argmax(np.asarray(kemar.ReceiverPosition, float).reshape(2, -1)[:, 1]))
    listener = np.array([3.0, 3.0, 1.5])
    rng = np.random.default_rng(0)
    n = int(0.3 * fs)
    ir, emitters = np.zeros((front.size, 2, n)), []
    for k, i in enumerate(front):
        r = 1.0 + 1.5 * k / (front.size - 1)
        a, e = np.radians(az[i]), np.radians(pos[i, 1])
        emitters.append(
            listener + r * np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
        )
        lag = int(round(r / c * fs))
        # the response re the free field at the head centre: the stored one times its
        # measurement distance (the 1 / d of the measurement undone)
        hrir = np.asarray(kemar.Data_IR, float)[i][[left, 1 - left]] * pos[i, 2]
        ir[k, :, lag : lag + hrir.shape[1]] = amplitude * hrir / r
        t = np.arange(n - lag - int(0.005 * fs)) / fs
        tail = 0.02 * amplitude * rng.normal(size=(2, t.size)) * np.exp(-6.9 * t / 0.5) / r
        ir[k, :, lag + int(0.005 * fs) :] += tail
    path = tmp_path / "kemar_room.sofa"
    write_brir_sofa(
        path,
        ir=ir,
        sample_rate=fs,
        listener_m=listener,
        yaw_deg=0.0,
        emitters_m=emitters,
        title="KEMAR",
    )
    want = load_hrirset(str(KEMAR_SOFA), calibration="reference", sample_rate=fs)
    want = want.calibration_gain_db - 20 * np.log10(amplitude)
    gain = calibration_gain_db(path)
    print(f"{front.size} emitters: gain {gain:.2f} dB, KEMAR set's {want:.2f} dB")
    assert abs(gain - want) < 0.5


@pytest.mark.parametrize("convention", ["SingleRoomMIMOSRIR", "MultiSpeakerBRIR"])
def test_written_responses_read_back(tmp_path, convention):
    rng = np.random.default_rng(3)
    ir = rng.normal(size=(3, 2, 300))
    emitters = [[1.0, 2.0, 1.5], [4.0, 1.0, 1.2], [2.5, 5.0, 1.8]]
    path = tmp_path / "room.sofa"
    write_brir_sofa(
        path,
        ir=ir,
        sample_rate=24000,
        listener_m=[2.0, 2.5, 1.5],
        yaw_deg=30.0,
        emitters_m=emitters,
        title="t",
        dimensions_m=[5.0, 6.0, 3.0],
        convention=convention,
    )
    room = read_brir_sofa(path)
    assert room.convention == convention and room.sample_rate == 24000
    assert np.array_equal(room.ir[0], np.moveaxis(ir, 0, 1))  # (R, E, N), left ear first
    assert np.allclose(room.emitters_m[0], emitters) and np.allclose(room.yaw_deg, [30.0])
    assert np.allclose(room.listener_m[0], [2.0, 2.5, 1.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = _sofar().read_sofa(str(path), verify=False, verbose=False)  # sofar as the peer
    data = np.asarray(peer.Data_IR)
    if convention == "SingleRoomMIMOSRIR":
        assert data.shape == (1, 2, 300, 3) and np.array_equal(data[0], np.moveaxis(ir, 0, -1))
        assert np.allclose(np.asarray(peer.RoomCornerB).ravel(), [5.0, 6.0, 3.0])
        _sofar().read_sofa(str(path), verbose=False)  # and it verifies as the convention
    else:
        assert data.shape == (1, 2, 3, 300) and np.array_equal(data[0], np.moveaxis(ir, 0, 1))
    assert str(peer.GLOBAL_SOFAConventions) == convention


def test_brirs_writes_the_rendered_responses_in_both_conventions(tmp_path):
    args = ["--n", "1", "--seed", "2", "--near", "1", "--far", "1"]
    new = _brirs(tmp_path / "new", *args)
    old = _brirs(tmp_path / "old", *args, "--convention", "MultiSpeakerBRIR")
    a, b = read_brir_sofa(new / "room0001.sofa"), read_brir_sofa(old / "room0001.sofa")
    assert (a.convention, b.convention) == ("SingleRoomMIMOSRIR", "MultiSpeakerBRIR")
    assert np.array_equal(a.ir, b.ir) and np.array_equal(a.emitters_m, b.emitters_m)
    record = json.loads((new / "room0001.json").read_text())
    hrirset, _, _ = resources_for_config(SynthConfig.default())
    room = record["room"]
    for e, source in enumerate(record["sources"]):
        brir = kind_of(room).render(
            room,
            listener=Listener.from_json(record["listener"]),
            source_m=source["position_m"],
            hrirset=hrirset,
            render_cfg=SynthConfig.default().render,
            anechoic=False,
        )
        n = brir.ir.shape[1]
        assert np.allclose(a.ir[0, :, e, :n], brir.ir, rtol=0, atol=1e-12)
        assert not np.any(a.ir[0, :, e, n:])
    index = json.loads((old / "brirs.json").read_text())
    assert index["convention"] == "MultiSpeakerBRIR"


def _srir(path: Path, n_receivers: int = 2) -> tuple[Path, np.ndarray]:
    """A SingleRoomSRIR file: three loudspeakers heard from two listener poses (2 + 1)."""
    sofar = _sofar()
    rng = np.random.default_rng(5)
    ir = rng.normal(size=(3, n_receivers, 128))
    s = sofar.Sofa("SingleRoomSRIR")
    s.Data_IR = ir
    s.Data_SamplingRate = 24000.0
    s.Data_Delay = np.zeros((3, n_receivers))
    s.ListenerPosition = np.array([[2.0, 2.0, 1.5], [2.0, 2.0, 1.5], [3.0, 1.0, 1.5]])
    s.ListenerView = np.array([[1.0, 0, 0], [1.0, 0, 0], [0, 1.0, 0]])
    s.ListenerUp = np.array([[0, 0, 1.0]] * 3)
    s.ReceiverPosition = np.array([[0, -0.09, 0], [0, 0.09, 0], [0, 0, 0.1], [0, 0, -0.1]])[
        :n_receivers
    ]
    s.ReceiverPosition_Type, s.ReceiverPosition_Units = "cartesian", "metre"
    s.SourcePosition = np.array([[3.0, 2.0, 1.5], [2.0, 4.0, 1.5], [3.0, 2.5, 1.5]])
    s.EmitterPosition = np.zeros((1, 3))
    s.EmitterPosition_Type, s.EmitterPosition_Units = "cartesian", "metre"
    for name in ("ReceiverDescriptions", "ReceiverView", "ReceiverUp", "EmitterDescriptions"):
        s.delete(name)
    for name in ("EmitterView", "EmitterUp", "MeasurementDate"):
        s.delete(name)
    sofar.write_sofa(str(path), s)
    return path, ir


def test_a_binaural_srir_file_is_read_as_its_listener_poses(tmp_path):
    path, ir = _srir(tmp_path / "srir.sofa")
    room = read_brir_sofa(path)
    assert room.convention == "SingleRoomSRIR" and room.n_measurements == 2
    assert np.allclose(room.yaw_deg, [0.0, 90.0])
    assert np.allclose(room.emitters_m[0], [[3.0, 2.0, 1.5], [2.0, 4.0, 1.5]])
    assert np.allclose(room.emitters_m[1, 0], [3.0, 2.5, 1.5])
    assert np.all(np.isnan(room.emitters_m[1, 1]))  # the second pose has one loudspeaker
    # receiver 0 is at -y: the right ear, channel 1
    assert np.array_equal(room.ir[0, :, 0], ir[0, ::-1]) and np.array_equal(
        room.ir[1, :, 0], ir[2, ::-1]
    )
    assert not np.any(room.ir[1, :, 1])
    assert np.allclose(room.distances_m(0), [1.0, 2.0]) and np.isnan(room.distances_m(1)[1])


def test_a_room_of_four_receivers_is_refused(tmp_path):
    path, _ = _srir(tmp_path / "array.sofa", n_receivers=4)
    out = tmp_path / "out"
    args = ["synth", "--out", str(out), "--n", "2", "--rooms", str(path), *SMALL]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "4 receiver(s); a binaural room has 2" in result.output and not out.exists()


def test_brirs_calibrate_the_head_in_the_configured_band(tmp_path):
    """``write_brirs`` with ``hrir.calibration_band_hz`` set: the MIT KEMAR set is levelled on
    that band, so the same rooms written with the default band (250 Hz-2 kHz) and with 2-8 kHz
    differ by the difference of the set's reference gains in the two bands (the gain
    :func:`bindata.hrir.load_hrirset` gives), which for a measured head is not 0 dB."""
    sofar = _sofar()
    levels, gains = {}, {}
    for band in [None, (2000.0, 8000.0)]:
        cfg = load_config(
            overrides={
                "hrir.sofa": str(KEMAR_SOFA),
                "hrir.calibration_band_hz": None if band is None else list(band),
            }
        )
        out = tmp_path / ("default" if band is None else "high")
        write_brirs(out, n_rooms=1, seed=2, n_near=1, n_far=1, cfg=cfg, progress=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ir = sofar.read_sofa(str(out / "room0001.sofa"), verbose=False).Data_IR
        levels[band] = _level_db(ir)
        kw = {} if band is None else {"band_hz": band}
        gains[band] = load_hrirset(
            str(KEMAR_SOFA), calibration="reference", sample_rate=cfg.sample_rate, **kw
        ).calibration_gain_db
    want = gains[(2000.0, 8000.0)] - gains[None]
    got = levels[(2000.0, 8000.0)] - levels[None]
    print(f"level change {got:.3f} dB, the set's reference gain change {want:.3f} dB")
    assert abs(want) > 0.5
    assert abs(got - want) < 0.05
