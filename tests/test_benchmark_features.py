"""Binaural features on synthetic signals with known interaural cues, the cache, normalisation."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from bindata.benchmark.features import (
    CHANNELS,
    FeatureParams,
    binaural_features,
    cached_features,
    feature_cache_dir,
    normalisation_stats,
    stft,
)
from bindata.errors import BenchmarkError

FS = 24000
N_FFT = 1024


def _noise(seconds=2.0, seed=1):
    return np.random.default_rng(seed).standard_normal(int(seconds * FS)) * 0.1


def _delay(x, delay_samples):
    """Delay by a (fractional) number of samples: linear phase in the frequency domain."""
    spec = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x))
    return np.fft.irfft(spec * np.exp(-2j * np.pi * freqs * delay_samples), n=len(x))


def _circular_mean_ipd(feats):
    """Per bin, the angle of the mean unit phasor over frames (edge frames dropped)."""
    mid = feats[5:-5]
    return np.angle(mid[:, 1].mean(axis=0) + 1j * mid[:, 0].mean(axis=0))


def _wrapped(a):
    return np.angle(np.exp(1j * a))


def test_shapes_and_frame_rate():
    x = np.zeros((15 * FS, 2))
    feats = binaural_features(x, sample_rate=FS)
    # 40 ms window, 20 ms hop: 15 s -> 750 frames; 1024-point FFT without DC -> 512 bins
    assert feats.shape == (750, len(CHANNELS), 512)
    assert feats.dtype == np.float32


@pytest.mark.parametrize("delay_s", [0.0005, -0.0003, 0.00021])
def test_pure_interaural_delay_gives_expected_ipd(delay_s):
    """Right ear delayed by d (source on the left for d > 0): IPD(f) = 2 pi f d, wrapped."""
    left = _noise()
    right = _delay(left, delay_s * FS)
    feats = binaural_features(np.stack([left, right], axis=1), sample_rate=FS)
    freqs = np.arange(1, N_FFT // 2 + 1) * FS / N_FFT
    expected = _wrapped(2 * np.pi * freqs * delay_s)
    err = np.abs(_wrapped(_circular_mean_ipd(feats) - expected))
    assert np.percentile(err, 95) < 0.05
    # (the Nyquist bin of a real signal is real: a fractional delay has no phase there)
    assert err[:-1].max() < 0.2
    # sin^2 + cos^2 = 1 in every bin with energy
    assert np.allclose(feats[:, 0] ** 2 + feats[:, 1] ** 2, 1.0, atol=1e-5)
    # a pure delay leaves the levels equal (on average over frames: windowing adds jitter)
    assert np.percentile(np.abs(feats[5:-5, 2].mean(axis=0)), 95) < 0.3


@pytest.mark.parametrize("ild_db", [6.0, -12.0, 0.0])
def test_pure_level_difference_gives_expected_ild(ild_db):
    left = _noise()
    right = left * 10 ** (-ild_db / 20)
    feats = binaural_features(np.stack([left, right], axis=1), sample_rate=FS)
    assert np.allclose(feats[:, 2], ild_db, atol=1e-3)
    # no delay: IPD 0 everywhere
    assert np.allclose(feats[:, 1], 1.0, atol=1e-5)
    assert np.allclose(feats[:, 0], 0.0, atol=1e-4)


def test_ild_is_bounded_and_silence_is_neutral():
    left = _noise()
    feats = binaural_features(np.stack([left, np.zeros_like(left)], axis=1), sample_rate=FS)
    assert np.allclose(feats[:, 2], 40.0)  # clipped at the bound
    assert np.allclose(feats[:, 1], 1.0) and np.allclose(feats[:, 0], 0.0)
    silent = binaural_features(np.zeros((FS, 2)), sample_rate=FS)
    assert np.all(silent[:, 2] == 0.0)
    assert np.allclose(silent[:, 3], np.log10(1e-7))


def test_log_magnitude_of_a_sine_on_a_bin_centre():
    """A full-scale sine has magnitude 0.5 after window-sum scaling: log10(0.5) in its bin."""
    k = 100
    t = np.arange(FS) / FS
    x = np.sin(2 * np.pi * k * FS / N_FFT * t)
    feats = binaural_features(np.stack([x, 0.5 * x], axis=1), sample_rate=FS)
    mid = feats[3:-3]
    # bin k is column k - 1 (DC dropped); mean of the ears' magnitudes 0.5 and 0.25
    assert np.allclose(mid[:, 3, k - 1], np.log10(0.375), atol=1e-3)
    assert np.allclose(mid[:, 2, k - 1], 20 * np.log10(2.0), atol=1e-3)


def test_frames_are_centred_at_half_hops():
    """An impulse at t lands in the frame centred nearest to t, (t / hop - 1/2)."""
    hop = int(0.02 * FS)
    x = np.zeros(FS)
    x[7 * hop + hop // 2] = 1.0
    energy = np.abs(stft(x, sample_rate=FS)).sum(axis=1)
    assert int(np.argmax(energy)) == 7


def test_window_must_fit_the_fft():
    with pytest.raises(BenchmarkError, match="n_fft"):
        binaural_features(np.zeros((48000, 2)), sample_rate=48000)
    assert FeatureParams(n_fft=2048).frame_sizes(48000) == (1920, 960)


def test_cache_is_memory_mapped_and_follows_the_audio(tmp_path):
    wav = tmp_path / "audio" / "a.wav"
    wav.parent.mkdir()
    left = _noise(1.0)
    sf.write(wav, np.stack([left, 0.5 * left], axis=1), FS, subtype="PCM_16")
    cache = feature_cache_dir(tmp_path, params=FeatureParams())
    first = cached_features(wav, cache=cache)
    assert isinstance(first, np.memmap)
    assert np.allclose(np.median(first[:, 2]), 20 * np.log10(2.0), atol=0.1)
    stamp = (cache / "a.npy").stat().st_mtime_ns
    cached_features(wav, cache=cache)
    assert (cache / "a.npy").stat().st_mtime_ns == stamp  # reused
    sf.write(wav, np.stack([0.5 * left, left], axis=1), FS, subtype="PCM_16")
    os.utime(wav, ns=(stamp + 10**9, stamp + 10**9))
    again = cached_features(wav, cache=cache)
    assert np.allclose(np.median(again[:, 2]), -20 * np.log10(2.0), atol=0.1)  # recomputed
    assert cache.parent == tmp_path / "features"
    assert feature_cache_dir(tmp_path, params=FeatureParams(ild_max_db=30)) != cache


def test_normalisation_uses_only_the_given_files():
    rng = np.random.default_rng(0)
    train = [rng.normal(3.0, 2.0, size=(400, 4, 8)) for _ in range(3)]
    other = rng.normal(-50.0, 9.0, size=(400, 4, 8))
    stats = normalisation_stats(iter(train))
    z = stats.apply(np.concatenate(train))
    assert np.allclose(z.mean(axis=0), 0.0, atol=1e-4)
    assert np.allclose(z.std(axis=0), 1.0, atol=1e-3)
    assert np.all(np.abs(stats.apply(other).mean(axis=0)) > 10)  # the test data is not used
    const = normalisation_stats([np.ones((10, 4, 8))])
    assert np.all(const.apply(np.ones((2, 4, 8))) == 0.0)
    with pytest.raises(BenchmarkError):
        normalisation_stats([])


def test_feature_path_never_imports_torch():
    code = (
        "import sys, bindata.cli, bindata.benchmark.features, bindata.benchmark.corpus, "
        "bindata.benchmark.methods, bindata.benchmark.targets, bindata.benchmark.data, "
        "bindata.benchmark.scoring, bindata.benchmark.tables, bindata.benchmark.runs; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
