"""Binaural input features of the paper (section 2.1), cached per file; numpy/scipy only.

Four channels per STFT frame and frequency bin (:data:`CHANNELS`):

0. ``sin_ipd``, 1. ``cos_ipd``: sine and cosine of the interaural phase difference
   ``IPD = angle(L * conj(R))``; positive when the left ear leads (a source on the left, azimuth
   > 0). Where a bin is exactly zero in one ear the IPD is taken as 0 (sin 0, cos 1).
2. ``ild_db``: interaural level difference ``10 log10((|L|^2 + eps^2) / (|R|^2 + eps^2))`` in dB,
   positive when the left ear is louder, clipped to ``[-ild_max_db, ild_max_db]``.
3. ``log_magnitude``: ``log10(eps + (|L| + |R|) / 2)``, the single magnitude spectrogram (the mean
   of both ears, so that it is symmetric in left and right).

STFT: Hamming window of ``window_s`` (40 ms), hop ``hop_s`` (20 ms), ``n_fft`` (1024) points; the
DC bin is dropped, leaving ``n_fft / 2`` bins (512, the last one at Nyquist). Spectra are scaled
by the window sum, so a full-scale sine on a bin centre has magnitude 0.5 and ``eps`` (1e-7,
-140 dB) sits below the 16-bit quantisation floor. Frame ``t`` is centred at ``(t + 1/2) * hop``
(the signal is zero-padded at both ends), so a file of ``n`` samples has ``n // hop`` frames and a
100 ms label frame holds exactly 5 feature frames.

Features of a file are an array ``(n_frames, 4, n_bins)`` float32, cached as ``.npy`` in
``DATASET/features/<key>/`` (``key`` hashes :class:`FeatureParams`) or a given cache folder, and
read back memory-mapped. A cached file is recomputed when its audio is newer than it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import BenchmarkError, DatasetError
from ..io import sha256_json, write_json, write_npy

#: Feature channels, in order.
CHANNELS = ("sin_ipd", "cos_ipd", "ild_db", "log_magnitude")


@dataclass(frozen=True)
class FeatureParams:
    """STFT and feature settings (defaults: the paper's).

    Attributes
    ----------
    window_s, hop_s : float
        Hamming window length and hop, seconds (40 ms, 20 ms).
    n_fft : int
        FFT length (1024); ``n_fft / 2`` bins are kept (DC dropped).
    ild_max_db : float
        Bound of the ILD, dB (40).
    eps : float
        Magnitude floor of the ILD and the log magnitude (1e-7, relative to a full-scale sine's 0.5).
    """

    window_s: float = 0.04
    hop_s: float = 0.02
    n_fft: int = 1024
    ild_max_db: float = 40.0
    eps: float = 1e-7

    @property
    def n_bins(self) -> int:
        """Frequency bins kept (DC dropped)."""
        return self.n_fft // 2

    def frame_sizes(self, sample_rate: int) -> tuple[int, int]:
        """Window and hop in samples at ``sample_rate``; the window must fit in ``n_fft``."""
        win = int(round(self.window_s * sample_rate))
        hop = int(round(self.hop_s * sample_rate))
        if not 0 < hop <= win <= self.n_fft:
            raise BenchmarkError(
                f"features: need 0 < hop ({hop}) <= window ({win}) <= n_fft ({self.n_fft}) "
                f"samples at {sample_rate} Hz; use a larger n_fft"
            )
        return win, hop

    def key(self) -> str:
        """Short hash naming the cache folder of these settings."""
        return "stft-" + sha256_json({"v": 1, **asdict(self)}, length=10)


#: The paper's settings.
DEFAULT_FEATURES = FeatureParams()


def n_feature_frames(n_samples: int, hop: int) -> int:
    """Feature frames of a signal of ``n_samples`` (frame ``t`` centred at ``(t + 1/2) hop``)."""
    return max(1, int(n_samples) // int(hop))


def stft(x, *, sample_rate: int, params: FeatureParams = DEFAULT_FEATURES) -> np.ndarray:
    """Window-sum-scaled STFT of a mono signal without its DC bin.

    Parameters
    ----------
    x : array_like, shape (n,)
    sample_rate : int, keyword-only
    params : FeatureParams, keyword-only

    Returns
    -------
    numpy.ndarray of complex128, shape (n_frames, n_fft // 2)
    """
    from scipy.signal import get_window

    x = np.asarray(x, dtype=np.float64)
    win, hop = params.frame_sizes(sample_rate)
    n_frames = n_feature_frames(x.shape[0], hop)
    left = (win - hop) // 2
    need = (n_frames - 1) * hop + win
    padded = np.zeros(need, dtype=np.float64)
    take = min(x.shape[0], need - left)
    padded[left : left + take] = x[:take]
    frames = np.lib.stride_tricks.sliding_window_view(padded, win)[::hop][:n_frames]
    window = get_window("hamming", win, fftbins=True)
    spec = np.fft.rfft(frames * window, n=params.n_fft, axis=1)
    return spec[:, 1:] / window.sum()


def binaural_features(audio, *, sample_rate: int, params: FeatureParams = DEFAULT_FEATURES):
    """The four feature channels of a stereo signal (see the module docstring).

    Parameters
    ----------
    audio : array_like, shape (n, 2)
        Left and right channels.
    sample_rate : int, keyword-only
    params : FeatureParams, keyword-only

    Returns
    -------
    numpy.ndarray of float32, shape (n_frames, 4, n_fft // 2)
    """
    audio = np.asarray(audio)
    if audio.ndim != 2 or audio.shape[1] != 2:
        raise BenchmarkError(f"features need stereo audio (n, 2), got shape {audio.shape}")
    left = stft(audio[:, 0], sample_rate=sample_rate, params=params)
    right = stft(audio[:, 1], sample_rate=sample_rate, params=params)
    cross = left * np.conj(right)
    mag = np.abs(cross)
    zero = mag == 0.0
    unit = np.where(zero, 1.0, cross / np.where(zero, 1.0, mag))
    eps2 = params.eps**2
    ild = 10.0 * np.log10((np.abs(left) ** 2 + eps2) / (np.abs(right) ** 2 + eps2))
    out = np.empty((left.shape[0], 4, left.shape[1]), dtype=np.float32)
    out[:, 0] = unit.imag
    out[:, 1] = unit.real
    out[:, 2] = np.clip(ild, -params.ild_max_db, params.ild_max_db)
    out[:, 3] = np.log10(params.eps + 0.5 * (np.abs(left) + np.abs(right)))
    return out


def read_audio(path) -> tuple[np.ndarray, int]:
    """A stereo WAV as float64 (n, 2) in [-1, 1] and its sample rate."""
    import soundfile as sf

    try:
        audio, fs = sf.read(str(path), dtype="float64", always_2d=True)
    except (RuntimeError, OSError) as exc:
        raise DatasetError(f"{path}: cannot read audio ({exc})") from exc
    if audio.shape[1] != 2:
        raise DatasetError(f"{path}: expected 2 channels (left, right), got {audio.shape[1]}")
    return audio, int(fs)


def feature_cache_dir(dataset_dir, *, cache_dir=None, params: FeatureParams = DEFAULT_FEATURES):
    """The folder holding the cached features of these ``params``.

    ``cache_dir`` (if given) replaces ``DATASET/features``; the settings' :meth:`FeatureParams.key`
    names a sub-folder, so that different settings never mix.
    """
    base = Path(cache_dir) if cache_dir is not None else Path(dataset_dir) / "features"
    return base / params.key()


def cached_features(wav_path, *, cache: Path, params: FeatureParams = DEFAULT_FEATURES):
    """Features of one WAV, computed once and read back memory-mapped.

    Parameters
    ----------
    wav_path : path-like
        The file's audio.
    cache : pathlib.Path, keyword-only
        Cache folder (see :func:`feature_cache_dir`); created when missing.
    params : FeatureParams, keyword-only

    Returns
    -------
    numpy.memmap of float32, shape (n_frames, 4, n_bins)
    """
    wav_path = Path(wav_path)
    path = Path(cache) / f"{wav_path.stem}.npy"
    if not wav_path.is_file():
        raise DatasetError(f"{wav_path}: audio file missing")
    fresh = path.exists() and path.stat().st_mtime_ns >= wav_path.stat().st_mtime_ns
    if not fresh:
        audio, fs = read_audio(wav_path)
        feats = binaural_features(audio, sample_rate=fs, params=params)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not (path.parent / "params.json").exists():
            write_json(path.parent / "params.json", asdict(params))
        write_npy(path, feats)
    return np.load(path, mmap_mode="r")


@dataclass(frozen=True)
class NormStats:
    """Per channel and bin mean and standard deviation of the training features.

    Attributes
    ----------
    mean, std : numpy.ndarray of float32, shape (4, n_bins)
    """

    mean: np.ndarray
    std: np.ndarray

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``(x - mean) / std`` for features ``(..., 4, n_bins)`` (float32)."""
        return ((np.asarray(x, dtype=np.float32) - self.mean) / self.std).astype(np.float32)

    @classmethod
    def from_dict(cls, d: dict) -> NormStats:
        """From ``{"mean": ..., "std": ...}`` (arrays, lists or CPU tensors)."""
        return cls(np.asarray(d["mean"], np.float32), np.asarray(d["std"], np.float32))


def normalisation_stats(features, *, floor: float = 1e-4) -> NormStats:
    """Mean and standard deviation over all frames of the given (training) files.

    Parameters
    ----------
    features : iterable of numpy.ndarray, each (n_frames, 4, n_bins)
        Features of the training files only (never validation or test files).
    floor : float, keyword-only
        Smallest standard deviation used (a constant bin is centred, not blown up).

    Returns
    -------
    NormStats
    """
    total = sq = None
    count = 0
    for x in features:
        x = np.asarray(x, dtype=np.float64)
        s, q = x.sum(axis=0), np.square(x).sum(axis=0)
        total, sq = (s, q) if total is None else (total + s, sq + q)
        count += x.shape[0]
    if count == 0:
        raise BenchmarkError("normalisation statistics need at least one training frame")
    mean = total / count
    var = np.maximum(sq / count - mean**2, 0.0)
    return NormStats(mean.astype(np.float32), np.maximum(np.sqrt(var), floor).astype(np.float32))
