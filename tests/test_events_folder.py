"""Folder event libraries: layouts, resampling, downmix, trimming, errors, real recordings."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bindata.errors import BindataError, EventLibraryError
from bindata.events import FolderLibrary, open_event_library
from bindata.resample import resample_ratio

SR = 24000
FREEDESKTOP = Path("/usr/share/sounds/freedesktop/stereo")


def _tone(freq: float, dur: float, rate: int, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(dur * rate))) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def _pad(x: np.ndarray, rate: int, before: float, after: float) -> np.ndarray:
    pad = [(int(round(before * rate)), int(round(after * rate)))] + [(0, 0)] * (x.ndim - 1)
    return np.pad(x, pad)


def _write(path: Path, data: np.ndarray, rate: int, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), data, rate, **kw)
    return path


def _peak_hz(x: np.ndarray, rate: int = SR) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size), 8 * x.size))
    return float(np.fft.rfftfreq(8 * x.size, 1 / rate)[np.argmax(spec)])


def _level_at(x: np.ndarray, freq: float, rate: int = SR) -> float:
    """Amplitude of the component at ``freq`` (least squares on sin/cos)."""
    t = np.arange(x.size) / rate
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)
    coef = np.linalg.lstsq(basis, x, rcond=None)[0]
    return float(np.hypot(*coef))


def test_wav_44k1_stereo_is_resampled_downmixed_and_trimmed(tmp_path):
    rate = 44100
    left = _tone(1000.0, 0.8, rate, 0.5)
    right = _tone(3000.0, 0.8, rate, 0.25)
    stereo = _pad(np.stack([left, right], axis=1), rate, 0.4, 0.3)
    _write(tmp_path / "lib" / "beep" / "a.wav", stereo, rate, subtype="PCM_16")
    lib = FolderLibrary(tmp_path / "lib", sample_rate=SR)
    assert lib.kind == "folder" and lib.classes == ["beep"] and lib.sample_rate == SR
    x = lib.load("beep/a.wav")
    assert x.dtype == np.float64 and x.ndim == 1
    assert abs(x.size / SR - 0.8) < 0.01  # padding removed to within 10 ms
    assert lib.duration_s("beep/a.wav") == x.size / SR
    assert np.sqrt(np.mean(x**2)) == pytest.approx(0.1, rel=1e-9)
    assert _peak_hz(x) == pytest.approx(1000.0, abs=2.0)  # pitch kept by the resampler
    # mean of the channels: the 3 kHz (right) component is half the 1 kHz (left) one
    ratio = _level_at(x, 3000.0) / _level_at(x, 1000.0)
    assert ratio == pytest.approx(0.5, rel=0.02)


def test_flac_48k_and_wav_22k05_keep_their_pitch(tmp_path):
    _write(
        tmp_path / "lib" / "a" / "x.flac", _pad(_tone(1000.0, 0.5, 48000), 48000, 0.1, 0.1), 48000
    )
    _write(tmp_path / "lib" / "a" / "y.wav", _tone(440.0, 0.7, 22050), 22050)
    lib = FolderLibrary(tmp_path / "lib", sample_rate=SR)
    assert lib.sound_ids("a") == ["a/x.flac", "a/y.wav"]
    x = lib.load("a/x.flac")
    assert _peak_hz(x) == pytest.approx(1000.0, abs=2.0) and abs(x.size / SR - 0.5) < 0.01
    y = lib.load("a/y.wav")
    assert _peak_hz(y) == pytest.approx(440.0, abs=2.0) and abs(y.size / SR - 0.7) < 0.01


def test_resampling_suppresses_content_above_the_new_nyquist(tmp_path):
    rate = 48000
    mix = _tone(1000.0, 1.0, rate, 0.4) + _tone(15000.0, 1.0, rate, 0.4)  # 15 kHz > 12 kHz
    _write(tmp_path / "lib" / "a" / "x.wav", mix, rate, subtype="FLOAT")
    x = FolderLibrary(tmp_path / "lib", sample_rate=SR).load("a/x.wav")
    # a naive decimation would fold 15 kHz onto 9 kHz at the same level; require < -50 dB
    assert _level_at(x, 9000.0) < 10 ** (-50 / 20) * _level_at(x, 1000.0)


def test_trimming_keeps_quiet_tails_above_minus_50_db(tmp_path):
    rate = 24000
    loud = _tone(500.0, 0.5, rate, 0.5)
    quiet = _tone(500.0, 0.3, rate, 0.5 * 10 ** (-40 / 20))  # -40 dB: still active
    faint = _tone(500.0, 0.3, rate, 0.5 * 10 ** (-70 / 20))  # -70 dB: trimmed like silence
    x = np.concatenate([faint, loud, quiet, faint, np.zeros(rate // 5)])
    _write(tmp_path / "lib" / "a" / "x.wav", x, rate, subtype="FLOAT")
    y = FolderLibrary(tmp_path / "lib", sample_rate=SR).load("a/x.wav")
    assert abs(y.size / SR - 0.8) < 0.01


def test_nested_tut_layout_with_hidden_and_non_audio_files(tmp_path):
    root = tmp_path / "events"
    for label in ("gunshot", "babycry", "glassbreak"):
        _write(root / label / "audio" / "dev" / f"{label}_001.wav", _tone(800.0, 0.3, 16000), 16000)
    _write(root / "babycry" / "top.ogg", _tone(600.0, 0.4, 44100), 44100)
    (root / "babycry" / "meta.yaml").write_text("a: 1\n")
    (root / "gunshot" / ".DS_Store").write_bytes(b"\0\1junk")
    (root / "gunshot" / "._gunshot_001.wav").write_bytes(b"AppleDouble junk")
    (root / ".git").mkdir()
    (root / "cv_setup.txt").write_text("not a class")
    lib = open_event_library(str(root), sample_rate=SR)
    assert isinstance(lib, FolderLibrary)
    assert lib.classes == ["babycry", "glassbreak", "gunshot"]
    assert lib.sound_ids("babycry") == ["babycry/audio/dev/babycry_001.wav", "babycry/top.ogg"]
    assert lib.sound_ids("gunshot") == ["gunshot/audio/dev/gunshot_001.wav"]
    assert _peak_hz(lib.load("babycry/top.ogg")) == pytest.approx(600.0, abs=3.0)


def test_nigens_and_desed_layouts(tmp_path):
    nigens = tmp_path / "NIGENS"
    for label in ("alarm", "femaleSpeech", "knock"):
        _write(nigens / label / "1.wav", _tone(700.0, 0.3, 44100), 44100)
        (nigens / label / "1.wav.txt").write_text("0.1\t0.2\n")  # NIGENS annotations
    assert FolderLibrary(nigens).classes == ["alarm", "femaleSpeech", "knock"]
    desed = tmp_path / "soundbank" / "foreground"
    for label in ("Alarm_bell_ringing", "Dog", "Running_water", "cat_lower"):
        _write(desed / label / "123.wav", _tone(700.0, 0.3, 44100), 44100)
    lib = FolderLibrary(desed)
    assert lib.classes == sorted(["Alarm_bell_ringing", "Dog", "Running_water", "cat_lower"])
    assert lib.classes.index("Dog") == 1


def test_load_is_cached_deterministic_and_picklable(tmp_path):
    _write(tmp_path / "lib" / "a" / "x.wav", _tone(1000.0, 0.3, 44100), 44100)
    lib = FolderLibrary(tmp_path / "lib")
    first = lib.load("a/x.wav")
    assert lib.load("a/x.wav") is first and not first.flags.writeable
    other = FolderLibrary(tmp_path / "lib")
    assert np.array_equal(other.load("a/x.wav"), first)
    clone = pickle.loads(pickle.dumps(lib))
    assert np.array_equal(clone.load("a/x.wav"), first)


def test_tiny_cache_still_returns_the_same_sounds(tmp_path):
    for i in range(3):
        _write(tmp_path / "lib" / "a" / f"{i}.wav", _tone(300.0 * (i + 1), 0.3, SR), SR)
    lib = FolderLibrary(tmp_path / "lib", cache_bytes=60_000)  # holds ~one 0.3 s sound
    ref = {sid: lib.load(sid).copy() for sid in lib.sound_ids("a")}
    for sid in reversed(lib.sound_ids("a")):
        assert np.array_equal(lib.load(sid), ref[sid])
        assert lib.duration_s(sid) == ref[sid].size / SR


def test_describe_lists_files_with_their_sha256(tmp_path):
    path = _write(tmp_path / "lib" / "a" / "x.wav", _tone(1000.0, 0.3, 44100), 44100)
    d = json.loads(json.dumps(FolderLibrary(tmp_path / "lib").describe()))
    assert d["kind"] == "folder" and d["root"] == str(tmp_path / "lib")
    assert d["classes"] == ["a"] and d["sample_rate"] == SR
    (sound,) = d["sounds"]
    assert sound["id"] == "a/x.wav" and sound["source_sample_rate"] == 44100
    assert sound["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_missing_root_and_root_that_is_a_file(tmp_path):
    with pytest.raises(EventLibraryError, match="no such folder") as exc:
        open_event_library(str(tmp_path / "nope"))
    assert str(tmp_path / "nope") in str(exc.value)
    (tmp_path / "file.wav").write_bytes(b"x")
    with pytest.raises(EventLibraryError, match="not a folder"):
        FolderLibrary(tmp_path / "file.wav")


def test_root_without_class_folders(tmp_path):
    _write(tmp_path / "flat" / "x.wav", _tone(1000.0, 0.3, SR), SR)  # audio but no class dirs
    with pytest.raises(EventLibraryError, match="no class sub-folders") as exc:
        FolderLibrary(tmp_path / "flat")
    assert str(tmp_path / "flat") in str(exc.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BindataError, match="no class sub-folders"):
        FolderLibrary(tmp_path / "empty")


def test_every_problem_is_reported_in_one_error(tmp_path):
    root = tmp_path / "lib"
    _write(root / "good" / "x.wav", _tone(1000.0, 0.3, SR), SR)
    (root / "notes_only").mkdir()
    (root / "notes_only" / "readme.txt").write_text("no audio here")
    (root / "bad").mkdir()
    (root / "bad" / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio")
    (root / "bad" / "random.flac").write_bytes(np.random.default_rng(0).bytes(4000))
    _write(root / "empty" / "zero.wav", np.zeros(0), SR)
    (root / "bad" / "gone.wav").symlink_to(tmp_path / "deleted.wav")
    with pytest.raises(EventLibraryError) as exc:
        FolderLibrary(root)
    msg = str(exc.value)
    assert "5 problem(s)" in msg
    assert f"{root / 'bad' / 'gone.wav'}: not a regular file (broken link?)" in msg
    assert f"{root / 'notes_only'}: class folder holds no audio files" in msg
    assert f"{root / 'bad' / 'corrupt.wav'}: unreadable audio file (" in msg
    assert f"{root / 'bad' / 'random.flac'}: unreadable audio file (" in msg
    assert f"{root / 'empty' / 'zero.wav'}: audio file holds no samples" in msg
    assert "Error opening" in msg or "Format not recognised" in msg  # soundfile's reason


def test_silent_sound_is_an_error_on_load(tmp_path):
    path = _write(tmp_path / "lib" / "a" / "quiet.wav", np.zeros((SR, 2)), SR, subtype="PCM_16")
    lib = FolderLibrary(tmp_path / "lib")  # opening only reads headers
    with pytest.raises(EventLibraryError, match="sound is silent") as exc:
        lib.load("a/quiet.wav")
    assert str(path) in str(exc.value)
    opposite = np.stack([_tone(500.0, 0.3, SR), -_tone(500.0, 0.3, SR)], axis=1)
    _write(tmp_path / "lib" / "a" / "antiphase.wav", opposite, SR, subtype="FLOAT")
    with pytest.raises(EventLibraryError, match="sound is silent"):  # channels average to 0
        FolderLibrary(tmp_path / "lib").load("a/antiphase.wav")


def test_unknown_ids_and_classes(tmp_path):
    _write(tmp_path / "lib" / "a" / "x.wav", _tone(1000.0, 0.3, SR), SR)
    lib = FolderLibrary(tmp_path / "lib")
    with pytest.raises(EventLibraryError, match="unknown sound id 'a/y.wav'"):
        lib.load("a/y.wav")
    with pytest.raises(EventLibraryError, match="unknown class 'b'"):
        lib.sound_ids("b")


def test_file_truncated_after_opening_gives_decode_error(tmp_path):
    path = _write(tmp_path / "lib" / "a" / "x.flac", _tone(1000.0, 1.0, SR), SR)
    lib = FolderLibrary(tmp_path / "lib")
    path.write_bytes(b"garbage")
    with pytest.raises(EventLibraryError, match="cannot decode audio") as exc:
        lib.load("a/x.flac")
    assert str(path) in str(exc.value)


@pytest.mark.parametrize(
    "source, up, down",
    [
        (44100, 80, 147),
        (48000, 1, 2),
        (22050, 160, 147),
        (16000, 3, 2),
        (24000, 1, 1),
        (8000, 3, 1),
        (11025, 320, 147),
    ],
)
def test_resample_ratio_is_exact_for_common_rates(source, up, down):
    assert resample_ratio(source, SR) == (up, down)


def test_resample_ratio_approximates_odd_rates_closely():
    for source in (44056, 12345, 7999, 96001):
        up, down = resample_ratio(source, SR)
        assert max(up, down) <= 1000
        assert abs(source * up / down / SR - 1) < 2e-4  # under a third of a cent


@pytest.mark.skipif(
    not FREEDESKTOP.is_dir(), reason=f"{FREEDESKTOP} absent (sound-theme-freedesktop)"
)
def test_real_recorded_oga_sounds(tmp_path):
    layout = {
        "bell": ["bell.oga", "complete.oga"],
        "phone": ["phone-incoming-call.oga", "phone-outgoing-calling.oga"],
        "camera": ["camera-shutter.oga"],
    }
    for label, names in layout.items():
        (tmp_path / label).mkdir()
        for name in names:
            if not (FREEDESKTOP / name).exists():
                pytest.skip(f"{FREEDESKTOP / name} absent")
            shutil.copy(FREEDESKTOP / name, tmp_path / label / name)
    lib = open_event_library(str(tmp_path), sample_rate=SR)
    assert lib.classes == ["bell", "camera", "phone"]
    for sid in lib.all_sound_ids():
        x = lib.load(sid)
        info = sf.info(str(tmp_path / sid))
        assert 0.02 < x.size / SR <= info.duration + 0.01, sid
        assert np.sqrt(np.mean(x**2)) == pytest.approx(0.1, rel=1e-9)
        n = int(0.005 * SR)
        assert np.max(np.abs(x[:n])) > 1e-3 and np.max(np.abs(x[-n:])) > 1e-4, sid
