"""Background ambience for a scene: a generated diffuse binaural field or a recorded one.

Generated (diffuse) ambience
----------------------------
A diffuse field is the limit of infinitely many mutually uncorrelated plane waves arriving from
all directions with equal power. Its ear signals are a stationary Gaussian process whose 2 x 2
cross-spectral matrix is the solid-angle weighted average of the HRTF outer products,

.. math::

    C(f) = \\sum_d w_d \\, \\mathbf{h}_d(f) \\mathbf{h}_d(f)^H, \\qquad
    \\mathbf{h}_d = (H_{L,d}, H_{R,d})^T, \\quad \\sum_d w_d = 1,

with :math:`w_d` the area of direction :math:`d`'s cell of the spherical Voronoi diagram of the
HRIR set's directions (so unevenly sampled sets, or sets with a gap below the head, are weighted
by the area each measurement stands for). Instead of convolving noise with every HRIR, the field
is drawn directly with that cross-spectrum (Cholesky factor per frequency bin, e.g. Habets &
Gannot 2007, "Generating sensor signals in isotropic noise fields", JASA 122(6)): the result has
exactly the diffuse-field interaural coherence

.. math::

    \\gamma(f) = \\frac{|C_{LR}(f)|}{\\sqrt{C_{LL}(f) C_{RR}(f)}}

of the set, at the cost of one FFT of the file length. :math:`C(f)` is evaluated exactly on the
file's FFT grid from the averaged auto- and cross-correlations of the HRIRs (length ``2N - 1``),
so the field is circular in time and loops without a seam. The spectrum is shaped by a power-law
slope in dB per octave (0: white, -3: pink, -6: brown) with a first-order 50 Hz high-pass.

Recorded ambience
-----------------
:class:`AmbienceFolder` lists the 2-channel (stereo or binaural) recordings of a folder; a file
is resampled (:func:`bindata.resample.resample`), cut at an offset drawn from the file's RNG, and
looped with a short raised-cosine cross-fade when shorter than the scene.

Signal-to-noise ratio
---------------------
``snr_db`` is defined against the **events**: the mean power of the event mix (both ears
together) over the 100 ms label frames in which at least one event is active, divided by the
mean power of the ambience (both ears) over the whole file,

.. math::

    \\mathrm{SNR} = 10 \\log_{10} \\frac{\\overline{x_{\\mathrm{events}}^2}|_{\\mathrm{active}}}
    {\\overline{x_{\\mathrm{ambience}}^2}}.

:func:`scale_to_snr` scales the ambience to a drawn SNR (the mix does, for a scene:
:func:`bindata.synth.mix.scene_ambience`). Labels are unaffected by ambience.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..config import SynthConfig
from ..errors import AmbienceError
from ..events.folder import AUDIO_EXTENSIONS
from ..geometry import spherical_to_cartesian
from ..hrir.derived import derived
from ..io import sha256_file
from ..problems import Problems
from ..resample import resample
from ..seeding import uniform

#: Cross-fade used when a recorded ambience is looped, seconds.
LOOP_FADE_S = 0.5
#: Corner of the high-pass applied to generated ambience, Hz.
HIGHPASS_HZ = 50.0


# ----------------------------------------------------------------------------- generated field
def direction_weights(azimuth_deg, elevation_deg) -> np.ndarray:
    """Solid-angle weights (sum 1) of directions: areas of their spherical Voronoi cells.

    Directions closer than 1e-6 rad to an earlier one share its cell (weight split evenly).
    """
    from scipy.spatial import SphericalVoronoi

    xyz = spherical_to_cartesian(np.asarray(azimuth_deg, float), np.asarray(elevation_deg, float))
    xyz = np.atleast_2d(xyz) / np.linalg.norm(np.atleast_2d(xyz), axis=-1, keepdims=True)
    key = np.round(xyz, 6)
    unique, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    if unique.shape[0] < 4:
        raise AmbienceError(
            f"a diffuse field needs at least 4 distinct HRIR directions, got {unique.shape[0]}"
        )
    unique = unique / np.linalg.norm(unique, axis=1, keepdims=True)
    areas = SphericalVoronoi(unique, radius=1.0, threshold=1e-6).calculate_areas()
    weights = areas[inverse] / counts[inverse]
    return weights / weights.sum()


def diffuse_correlations(ir: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted average auto/cross-correlations of binaural IRs: shape (3, 2N - 1).

    Rows are ``r_LL``, ``r_RR``, ``r_LR`` at lags ``-(N-1) .. N-1``; their Fourier transforms
    are ``C_LL``, ``C_RR``, ``C_LR`` of the module docstring.
    """
    ir = np.asarray(ir, float)
    n = ir.shape[-1]
    n_fft = 1 << int(np.ceil(np.log2(2 * n - 1)))
    spec = np.fft.rfft(ir, n_fft, axis=-1)  # (M, 2, F)
    w = np.asarray(weights, float)[:, None]
    cross = np.stack(
        [
            np.sum(w * np.abs(spec[:, 0]) ** 2, axis=0),
            np.sum(w * np.abs(spec[:, 1]) ** 2, axis=0),
            np.sum(w * spec[:, 0] * np.conj(spec[:, 1]), axis=0),
        ]
    )
    corr = np.fft.irfft(cross, n_fft, axis=-1)
    return np.concatenate([corr[:, n_fft - (n - 1) :], corr[:, :n]], axis=-1)


def _shell_correlations(shell) -> np.ndarray:
    """:func:`diffuse_correlations` of a shell with its Voronoi weights, built once per shell."""

    def build():
        weights = direction_weights(shell.azimuth_deg, shell.elevation_deg)
        return diffuse_correlations(shell.ir, weights)

    return derived(
        "diffuse_correlations", (shell.ir, shell.azimuth_deg, shell.elevation_deg), build
    )


def _spectra_on_grid(corr: np.ndarray, n_samples: int) -> np.ndarray:
    """``C_LL, C_RR, C_LR`` on the rfft grid of ``n_samples`` (exact, correlations wrapped)."""
    lags = corr.shape[-1] // 2
    if n_samples < corr.shape[-1]:
        raise AmbienceError(f"ambience of {n_samples} samples is shorter than the HRIRs")
    wrapped = np.zeros((3, n_samples))
    wrapped[:, : lags + 1] = corr[:, lags:]
    wrapped[:, n_samples - lags :] = corr[:, :lags]
    spec = np.fft.rfft(wrapped, axis=-1)
    spec[:2] = spec[:2].real.clip(min=0.0)
    return spec


def spectral_shape(n_samples: int, sample_rate: int, *, slope_db_per_octave: float) -> np.ndarray:
    """Amplitude weights per rfft bin: a power-law slope re 1 kHz and a 50 Hz high-pass."""
    f = np.fft.rfftfreq(n_samples, 1.0 / sample_rate)
    f_safe = np.maximum(f, 1e-3)
    slope = 10.0 ** (slope_db_per_octave * np.log2(f_safe / 1000.0) / 20.0)
    highpass = (f / HIGHPASS_HZ) / np.sqrt(1.0 + (f / HIGHPASS_HZ) ** 2)
    return slope * highpass


def diffuse_field(
    shell,
    *,
    n_samples: int,
    sample_rate: int,
    rng: np.random.Generator,
    slope_db_per_octave: float = -3.0,
) -> np.ndarray:
    """A diffuse binaural field through an HRIR shell: float array (n_samples, 2), RMS 1.

    Parameters
    ----------
    shell : HRIRShell
        Directions (``azimuth_deg``, ``elevation_deg``) and responses ``ir`` (M, 2, N) of one
        distance shell, normally the set's far-field shell.
    n_samples, sample_rate : int
        Length and rate of the result (the shell must be at ``sample_rate``).
    rng : numpy.random.Generator
        The file's ambience stream.
    slope_db_per_octave : float
        Spectral slope of the field's power, dB per octave (0 white, -3 pink).
    """
    if not np.isfinite(slope_db_per_octave):
        raise AmbienceError(f"spectral slope must be finite, got {slope_db_per_octave}")
    spec = _spectra_on_grid(_shell_correlations(shell), int(n_samples))
    c_ll, c_rr, c_lr = spec[0].real, spec[1].real, spec[2]
    l11 = np.sqrt(c_ll)
    l21 = np.divide(np.conj(c_lr), l11, out=np.zeros_like(c_lr), where=l11 > 0)
    l22 = np.sqrt(np.clip(c_rr - np.abs(l21) ** 2, 0.0, None))
    z = rng.standard_normal((2, 2, spec.shape[-1]))
    z1, z2 = (z[0] + 1j * z[1]) / np.sqrt(2.0)
    shape = spectral_shape(
        int(n_samples), int(sample_rate), slope_db_per_octave=slope_db_per_octave
    )
    left = np.fft.irfft(shape * l11 * z1, int(n_samples))
    right = np.fft.irfft(shape * (l21 * z1 + l22 * z2), int(n_samples))
    field = np.stack([left, right], axis=1)
    rms = float(np.sqrt(np.mean(field**2)))
    return field / rms if rms > 0 else field


def band_coherence(c_ll, c_rr, c_lr, freqs_hz, bands_hz) -> np.ndarray:
    """Magnitude coherence per band from (cross-)spectra summed over each band's bins.

    ``bands_hz`` is a sequence of ``(lo, hi)`` edges; a band without bins gives NaN.
    """
    out = []
    for lo, hi in bands_hz:
        sel = (freqs_hz >= lo) & (freqs_hz < hi)
        if not np.any(sel):
            out.append(np.nan)
            continue
        den = np.sqrt(np.sum(np.real(c_ll[sel])) * np.sum(np.real(c_rr[sel])))
        out.append(float(np.abs(np.sum(c_lr[sel])) / den) if den > 0 else np.nan)
    return np.array(out)


def third_octave_bands(lo_hz: float = 100.0, hi_hz: float = 4000.0) -> list[tuple[float, float]]:
    """Base-ten third-octave bands (IEC 61260-1) with centres ``1000 * 10**(k/10)`` in range."""
    ks = np.arange(
        np.floor(10 * np.log10(lo_hz / 1000.0)), np.ceil(10 * np.log10(hi_hz / 1000.0)) + 1
    )
    centres = 1000.0 * 10.0 ** (ks / 10.0)
    centres = centres[(centres >= lo_hz * 0.99) & (centres <= hi_hz * 1.01)]
    return [(c * 10 ** (-1 / 20), c * 10 ** (1 / 20)) for c in centres]


# ----------------------------------------------------------------------------- recorded ambience
@dataclass(frozen=True)
class AmbienceFile:
    """One 2-channel recording of an ambience folder."""

    path: Path
    sample_rate: int
    n_frames: int


class AmbienceFolder:
    """The 2-channel recordings below a folder (any format soundfile reads), sorted by path.

    Every problem (missing folder, no audio, a mono or unreadable file) is collected and raised
    together as one :class:`~bindata.errors.AmbienceError`.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        if not self.root.is_dir():
            raise AmbienceError(f"{self.root}: ambience folder does not exist or is not a folder")
        problems, files = Problems(), []
        for path in sorted(self.root.rglob("*")):
            hidden = any(part.startswith(".") for part in path.relative_to(self.root).parts)
            if hidden or not path.is_file() or path.suffix.lower() not in AUDIO_EXTENSIONS:
                continue
            found = _probe_ambience(path, problems)
            if found is not None:
                files.append(found)
        if not files and not problems:
            formats = ", ".join(sorted(AUDIO_EXTENSIONS))
            problems.add(self.root, f"no audio file found (formats: {formats})")
        problems.raise_if_any(AmbienceError, f"ambience folder {self.root}")
        self.files: tuple[AmbienceFile, ...] = tuple(files)

    def sha256(self, index: int) -> str:
        """SHA-256 of recording ``index`` (its bytes), computed once."""
        cache = self.__dict__.setdefault("_sha", {})
        if index not in cache:
            cache[index] = sha256_file(self.files[int(index)].path)
        return cache[index]

    def describe(self) -> dict:
        """JSON-able summary for the manifest."""
        return {
            "root": str(self.root),
            "files": [f.path.relative_to(self.root).as_posix() for f in self.files],
        }

    def load(self, index: int, *, sample_rate: int, n_samples: int, offset: float) -> np.ndarray:
        """File ``index`` at ``sample_rate``, ``n_samples`` long from relative ``offset`` in
        [0, 1) of the recording, looped with a cross-fade where needed; RMS 1, shape (n, 2)."""
        entry = self.files[int(index)]
        data, rate = sf.read(entry.path, dtype="float64", always_2d=True)
        data = resample(data, rate, sample_rate, axis=0)
        start = int(float(offset) * data.shape[0]) % max(data.shape[0], 1)
        out = loop_to_length(
            np.roll(data, -start, axis=0), n_samples, fade=int(LOOP_FADE_S * sample_rate)
        )
        rms = float(np.sqrt(np.mean(out**2)))
        if rms <= 0:
            raise AmbienceError(f"{entry.path}: ambience recording is silent")
        return out / rms


def _probe_ambience(path: Path, problems: Problems) -> AmbienceFile | None:
    try:
        info = sf.info(str(path))
    except Exception as exc:  # soundfile raises its own LibsndfileError / RuntimeError
        problems.add(path, f"unreadable ({exc})")
        return None
    if info.channels != 2:
        problems.add(
            path, f"has {info.channels} channel(s); ambience must be 2-channel (stereo or binaural)"
        )
        return None
    if info.frames == 0:
        problems.add(path, "is empty")
        return None
    return AmbienceFile(path, int(info.samplerate), int(info.frames))


def loop_to_length(data: np.ndarray, n_samples: int, *, fade: int) -> np.ndarray:
    """``data`` (n, C) cut or looped to ``n_samples``, joins cross-faded over ``fade`` samples.

    The raised-cosine (equal-power for uncorrelated material) cross-fade overlaps the end of
    one repetition with the start of the next.
    """
    if data.shape[0] >= n_samples:
        return data[:n_samples].copy()
    fade = int(min(fade, data.shape[0] // 2))
    hop = data.shape[0] - fade
    out = np.zeros((n_samples + data.shape[0], data.shape[1]))
    ramp = np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade)[:, None] if fade else None
    piece = data.copy()
    if fade:
        piece[:fade] *= ramp
        piece[-fade:] *= ramp[::-1]
    for start in range(0, n_samples, hop):
        out[start : start + data.shape[0]] += piece
    if fade:  # the first repetition has no predecessor: restore its unfaded start
        out[:fade] = data[:fade]
    return out[:n_samples]


# ----------------------------------------------------------------------------- SNR
def event_power(
    events_mix: np.ndarray, active_frames: np.ndarray, sample_rate: int, frame_s: float = 0.1
) -> float:
    """Mean power of ``events_mix`` (n, 2) over the active label frames (bool, one per frame)."""
    hop = int(round(frame_s * sample_rate))
    mask = np.repeat(np.asarray(active_frames, bool), hop)[: events_mix.shape[0]]
    mask = np.pad(mask, (0, events_mix.shape[0] - mask.shape[0]))
    if not np.any(mask):
        raise AmbienceError("the scene has no active event frame to set an SNR against")
    return float(np.mean(events_mix[mask] ** 2))


def scale_to_snr(ambience: np.ndarray, *, snr_db: float, event_power_value: float) -> np.ndarray:
    """``ambience`` (n, 2) scaled so that its mean power is ``event_power / 10**(snr_db/10)``."""
    if not np.isfinite(snr_db):
        raise AmbienceError(f"SNR must be a finite number of dB, got {snr_db}")
    power = float(np.mean(ambience**2))
    if power <= 0:
        raise AmbienceError("the ambience is silent; cannot set an SNR")
    return ambience * np.sqrt(event_power_value / 10.0 ** (snr_db / 10.0) / power)


# ----------------------------------------------------------------------------- scenes
def draw_ambience(cfg: SynthConfig, rng: np.random.Generator, *, folder=None) -> dict | None:
    """The scene record of a file's ambience, drawn from its ambience stream (None: none).

    Diffuse: ``{"kind": "diffuse", "snr_db", "slope_db_per_octave", "noise_seed"}`` (the
    integer seed of the field's noise, so the scene alone regenerates it). Recorded:
    ``{"kind": "recorded", "snr_db", "folder", "file", "sha256", "offset"}`` (a file of
    ``folder`` uniformly, a relative start ``offset`` in [0, 1)).
    """
    amb = cfg.ambience
    if amb.snr_db is None:
        return None
    snr = round(uniform(rng, amb.snr_db), 4)
    if amb.source == "diffuse":
        return {
            "kind": "diffuse",
            "snr_db": snr,
            "slope_db_per_octave": float(amb.slope_db_per_octave),
            "noise_seed": int(rng.integers(2**63 - 1)),
        }
    folder = folder if folder is not None else open_ambience_folder(amb.source)
    index = int(rng.integers(len(folder.files)))
    entry = folder.files[index]
    return {
        "kind": "recorded",
        "snr_db": snr,
        "folder": str(folder.root),
        "file": entry.path.relative_to(folder.root).as_posix(),
        "sha256": folder.sha256(index),
        "offset": round(float(rng.uniform()), 6),
    }


_FOLDERS: dict[str, AmbienceFolder] = {}


def open_ambience_folder(root) -> AmbienceFolder:
    """:class:`AmbienceFolder` of ``root``, listed once per process."""
    key = str(root)
    if key not in _FOLDERS:
        _FOLDERS[key] = AmbienceFolder(root)
    return _FOLDERS[key]


def ambience_signal(record: dict, *, hrirset, n_samples: int, sample_rate: int) -> np.ndarray:
    """The ambience of a scene record (:func:`draw_ambience`): (n_samples, 2), RMS 1."""
    if record["kind"] == "diffuse":
        return diffuse_field(
            hrirset.far_field_shell,
            n_samples=n_samples,
            sample_rate=sample_rate,
            rng=np.random.default_rng(int(record["noise_seed"])),
            slope_db_per_octave=float(record["slope_db_per_octave"]),
        )
    folder = open_ambience_folder(record["folder"])
    names = [f.path.relative_to(folder.root).as_posix() for f in folder.files]
    if record["file"] not in names:
        raise AmbienceError(
            f"{folder.root}: ambience recording {record['file']!r} of the "
            "scene is not in the folder"
        )
    index = names.index(record["file"])
    if folder.sha256(index) != record["sha256"]:
        raise AmbienceError(
            f"{folder.files[index].path}: SHA-256 differs from the scene's "
            f"{record['sha256']} (the recording changed)"
        )
    return folder.load(
        index, sample_rate=sample_rate, n_samples=n_samples, offset=float(record["offset"])
    )


def active_frames(rows: np.ndarray, n_frames: int) -> np.ndarray:
    """Label frames (bool, ``n_frames``) in which at least one event is active."""
    active = np.zeros(n_frames, dtype=bool)
    frames = np.asarray(rows["frame"], dtype=np.int64) if len(rows) else np.zeros(0, np.int64)
    active[frames[(frames >= 0) & (frames < n_frames)]] = True
    return active


__all__ = [
    "AmbienceFolder",
    "active_frames",
    "ambience_signal",
    "draw_ambience",
    "open_ambience_folder",
    "band_coherence",
    "diffuse_correlations",
    "diffuse_field",
    "direction_weights",
    "event_power",
    "loop_to_length",
    "scale_to_snr",
    "third_octave_bands",
]
