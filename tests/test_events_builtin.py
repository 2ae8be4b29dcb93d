"""The built-in procedural event bank: size, reproducibility, level, trimming, distinctness."""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pytest

from bindata.errors import EventLibraryError
from bindata.events import BuiltinLibrary, EventLibrary, open_event_library

SR = 24000
#: sha256 of every sound's float64 bytes at 24 kHz, in id order. The bank must be the same bits
#: on every machine; if a recipe changes on purpose, bump GENERATOR_VERSION and update this.
BANK_DIGEST_24K = "b4b106de929de168330a3d2c0229d714abe33830a71474ad6d3617db3c4b185a"


@pytest.fixture(scope="module")
def bank():
    lib = BuiltinLibrary(sample_rate=SR)
    return lib, {sid: np.asarray(lib.load(sid)) for sid in lib.all_sound_ids()}


def _frame_db(x: np.ndarray, frame_s: float) -> np.ndarray:
    """Frame power in dB relative to the loudest frame."""
    n = max(1, int(round(frame_s * SR)))
    m = x.size // n
    e = np.mean(x[: m * n].reshape(m, n) ** 2, axis=1)
    return 10 * np.log10(e / e.max() + 1e-30)


def test_open_gives_builtin_bank_with_at_least_12_sorted_classes():
    for spec in (None, "builtin"):
        lib = open_event_library(spec, sample_rate=SR)
        assert isinstance(lib, BuiltinLibrary) and isinstance(lib, EventLibrary)
        assert lib.kind == "builtin" and lib.sample_rate == SR
    assert len(lib.classes) >= 12 and lib.classes == sorted(lib.classes)
    assert len(set(lib.classes)) == len(lib.classes)
    for label in lib.classes:
        ids = lib.sound_ids(label)
        assert len(ids) == 8 and ids == sorted(ids)
        assert ids[3] == f"{label}/03"


def test_sounds_are_mono_float64_rms_0_1_readonly_and_0_5_to_4_s(bank):
    lib, sounds = bank
    for sid, x in sounds.items():
        assert x.dtype == np.float64 and x.ndim == 1, sid
        assert np.sqrt(np.mean(x**2)) == pytest.approx(0.1, rel=1e-9), sid
        assert 0.5 <= x.size / SR <= 4.0, (sid, x.size / SR)
        assert lib.duration_s(sid) == x.size / SR
        assert np.all(np.isfinite(x)) and np.abs(x).max() < 4.0, sid
    with pytest.raises(ValueError):
        lib.load("alarm/00")[0] = 1.0  # the cached array is read-only


def test_bank_is_bit_identical_across_opens_and_machines(bank):
    lib, sounds = bank
    fresh = BuiltinLibrary(sample_rate=SR)
    digest = hashlib.sha256()
    for sid in reversed(lib.all_sound_ids()):  # other order: no hidden state between sounds
        assert np.array_equal(fresh.load(sid), sounds[sid]), sid
    for sid in lib.all_sound_ids():
        digest.update(np.ascontiguousarray(sounds[sid]).tobytes())
    assert digest.hexdigest() == BANK_DIGEST_24K
    clone = pickle.loads(pickle.dumps(lib))
    assert np.array_equal(clone.load("water/05"), sounds["water/05"])


def test_variants_differ(bank):
    lib, sounds = bank
    for label in lib.classes:
        durations = {sounds[sid].size for sid in lib.sound_ids(label)}
        assert len(durations) >= 6, label


def test_no_leading_or_trailing_silence(bank):
    _, sounds = bank
    for sid, x in sounds.items():
        n = int(0.005 * SR)
        frames = x[: x.size // n * n].reshape(-1, n)
        loudest = np.max(np.mean(frames**2, axis=1))
        for edge in (x[:n], x[-n:]):  # first / last 5 ms hold a sample above -50 dB
            assert np.max(edge**2) >= loudest * 1e-5, sid


def test_gaps_shorter_than_0_3_s_and_label_frames_mostly_active(bank):
    lib, sounds = bank
    for sid, x in sounds.items():
        inactive = _frame_db(x, 0.01) < -40.0
        longest = run = 0
        for v in inactive:
            run = run + 1 if v else 0
            longest = max(longest, run)
        assert longest * 0.01 < 0.3, (sid, longest * 0.01)
        active_100ms = np.mean(_frame_db(x, 0.1) > -40.0)  # DCASE label frames
        gappy = lib.label_of(sid) in ("dog", "footsteps", "knock")
        assert active_100ms >= (0.65 if gappy else 0.9), (sid, active_100ms)
    steady = ["blender", "engine", "fire", "scream", "water"]
    for sid in (s for label in steady for s in lib.sound_ids(label)):
        inner = _frame_db(sounds[sid], 0.05)[4:-4]  # 50 ms frames, fades excluded
        assert inner.min() > -25.0, (sid, inner.min())


def _features(x: np.ndarray) -> np.ndarray:
    """Spectral and temporal descriptors computed from scratch (no bindata code)."""
    n = x.size
    spec = np.abs(np.fft.rfft(x * np.hanning(n))) ** 2
    f = np.fft.rfftfreq(n, 1 / SR)
    p = spec / spec.sum()
    centroid = np.sum(f * p)
    spread = np.sqrt(np.sum((f - centroid) ** 2 * p))
    flatness = np.exp(np.mean(np.log(spec[1:] + 1e-30))) / np.mean(spec[1:])
    db = np.maximum(_frame_db(x, 0.02), -60.0)
    slope = np.polyfit(np.linspace(0.0, 1.0, db.size), db, 1)[0]
    width = int(0.04 * SR)  # periodicity: autocorrelation peak at 0.5-20 ms lags, loud frames
    frames = x[: n // width * width].reshape(-1, width)
    energy = np.sum(frames**2, axis=1)
    spec_f = np.fft.rfft(frames[energy >= 0.1 * energy.max()], 2 * width, axis=1)
    ac = np.fft.irfft(np.abs(spec_f) ** 2, axis=1)[:, :width]
    periodicity = np.median(np.max(ac[:, 12:480] / ac[:, :1], axis=1))
    crest = np.log(np.max(np.abs(x)) / np.sqrt(np.mean(x**2)))
    return np.array(
        [
            np.log(centroid),
            np.log(spread),
            np.log(flatness),
            np.std(db),
            np.mean(db > -10.0),
            slope / 10.0,
            np.log(n / SR),
            periodicity,
            crest,
        ]
    )


def test_classes_are_told_apart_by_spectro_temporal_features(bank):
    lib, sounds = bank
    feats = np.array([_features(sounds[sid]) for sid in lib.all_sound_ids()])
    labels = np.repeat(np.arange(len(lib.classes)), 8)
    z = (feats - feats.mean(0)) / feats.std(0)
    hits = np.zeros(len(lib.classes))
    for i in range(len(labels)):  # leave-one-out nearest class mean
        keep = np.arange(len(labels)) != i
        means = np.array([z[keep & (labels == c)].mean(0) for c in range(len(lib.classes))])
        hits[labels[i]] += np.argmin(np.sum((means - z[i]) ** 2, axis=1)) == labels[i]
    assert hits.sum() / len(labels) >= 0.9, dict(zip(lib.classes, hits, strict=True))
    assert hits.min() >= 5, dict(zip(lib.classes, hits, strict=True))


def test_class_signatures(bank):
    lib, sounds = bank

    def centroid(x):
        spec = np.abs(np.fft.rfft(x)) ** 2
        return np.sum(np.fft.rfftfreq(x.size, 1 / SR) * spec) / spec.sum()

    def peak_hz(x):
        return np.fft.rfftfreq(x.size, 1 / SR)[np.argmax(np.abs(np.fft.rfft(x)))]

    for v in range(8):
        assert centroid(sounds[f"engine/0{v}"]) < 500.0
        assert centroid(sounds[f"footsteps/0{v}"]) < 500.0
        assert centroid(sounds[f"glassbreak/0{v}"]) > 4000.0
        assert centroid(sounds[f"crash/0{v}"]) > 4000.0
        assert 1400.0 < peak_hz(sounds[f"alarm/0{v}"]) < 3300.0
        assert 700.0 < peak_hz(sounds[f"phone/0{v}"]) < 1700.0
        for gappy in ("dog", "footsteps", "knock"):  # clearly separated hits / barks
            assert np.any(_frame_db(sounds[f"{gappy}/0{v}"], 0.02) < -40.0), gappy


def test_other_sample_rates_give_the_same_sounds():
    ids = ["alarm/02", "piano/05", "speech/01", "knock/07"]
    base = BuiltinLibrary(sample_rate=SR)
    for rate in (16000, 48000):
        lib = BuiltinLibrary(sample_rate=rate)
        for sid in ids:
            x = lib.load(sid)
            assert np.sqrt(np.mean(x**2)) == pytest.approx(0.1, rel=1e-9)
            assert lib.duration_s(sid) == pytest.approx(base.duration_s(sid), abs=0.03), sid


def test_every_class_renders_at_the_lowest_rate():
    lib = BuiltinLibrary(sample_rate=8000)
    for label in lib.classes:
        x = lib.load(f"{label}/00")
        assert np.all(np.isfinite(x)) and 0.4 < x.size / 8000 <= 4.0, label
        assert np.sqrt(np.mean(x**2)) == pytest.approx(0.1, rel=1e-9), label


def test_bad_ids_classes_and_rates_raise_event_library_error():
    lib = BuiltinLibrary(sample_rate=SR, variants=2)
    for bad in ("alarm/02", "alarm/1", "nosuch/00", "alarm", "alarm/xx"):
        with pytest.raises(EventLibraryError, match="unknown sound id"):
            lib.load(bad)
    with pytest.raises(EventLibraryError, match="unknown class 'nosuch'"):
        lib.sound_ids("nosuch")
    with pytest.raises(EventLibraryError, match="sample_rate must be >= 8000 Hz, got 100"):
        BuiltinLibrary(sample_rate=100)
    with pytest.raises(EventLibraryError, match="variants must be in 1..100, got 0"):
        BuiltinLibrary(variants=0)
    with pytest.raises(EventLibraryError, match="spec is empty"):
        open_event_library("  ")


def test_describe_is_json_and_names_generator_and_sounds():
    lib = BuiltinLibrary(sample_rate=SR)
    d = json.loads(json.dumps(lib.describe()))
    assert d["kind"] == "builtin" and d["sample_rate"] == SR
    assert d["classes"] == lib.classes and d["generator_version"] == "1"
    assert [s["id"] for s in d["sounds"]] == lib.all_sound_ids()
