"""The HRIR set container: directions, distances, two-ear impulse responses, sample rate.

Convention (shared by every loader, model and the renderer): the impulse responses are
*relative to the free field at the head centre*. The propagation delay and the 1/r spreading from
the source to the head centre are removed; the arrival of the wave at the head centre lies at
sample :attr:`HRIRSet.delay_samples` of every response (a fractional index, the same for all
measurements of a set). The renderer adds the delay ``r / c`` and the gain ``1 / r`` itself.

Directions follow docs/design.md (azimuth counter-clockwise in (-180, 180], +90 = left; elevation in
[-90, 90]); channel 0 is the left ear, channel 1 the right ear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import HRIRError
from ..geometry import spherical_to_cartesian, wrap_azimuth_deg
from ..resample import FILTER_WINDOW, resample_ratio
from ..resample import resample as polyphase_resample
from .lookup import direction_lookup

#: Level states of a set: scaled to the frontal reference of :mod:`.calibration`, as stored,
#: scaled to the diffuse-field level, or diffuse-field equalised to the built-in head.
CALIBRATIONS = ("reference", "raw", "diffuse", "equalised")
#: Band (Hz) of the calibration levels unless another is asked for (:mod:`.calibration`).
REFERENCE_BAND_HZ = (250.0, 2000.0)
#: Distances closer than this (metres) are treated as the same measurement shell.
SHELL_TOLERANCE_M = 0.02


def shell_groups(distance_m) -> list[np.ndarray]:
    """Indices of the measurements of each distance shell, shells sorted by distance.

    A shell starts at the closest remaining distance and takes every distance within
    :data:`SHELL_TOLERANCE_M` of it.
    """
    distance_m = np.asarray(distance_m, dtype=float).ravel()
    order = np.argsort(distance_m, kind="stable")
    groups: list[list[int]] = []
    for i in order:
        if groups and distance_m[i] - distance_m[groups[-1][0]] <= SHELL_TOLERANCE_M:
            groups[-1].append(int(i))
        else:
            groups.append([int(i)])
    return [np.array(g, dtype=np.int64) for g in groups]


def first_bad_response(ir: np.ndarray) -> tuple[int, int, str] | None:
    """``(measurement, ear, reason)`` of the first unusable response of ``ir`` (M, 2, N), or None.

    A response is unusable when it holds a NaN or an infinity, or is zero at every tap (a missing
    measurement: no real ear is silent for a source in free field).
    """
    ir = np.asarray(ir)
    flat = ir.reshape(-1, ir.shape[-1]) if ir.ndim >= 2 else ir.reshape(1, -1)
    finite = np.isfinite(flat).all(axis=-1)
    silent = ~np.any(flat != 0, axis=-1)
    bad = np.flatnonzero(~finite | silent)
    if bad.size == 0:
        return None
    i = int(bad[0])
    n_ears = ir.shape[1] if ir.ndim == 3 else 1
    reason = "holds NaN or infinite values" if not finite[i] else "is zero at every tap"
    return i // n_ears, i % n_ears, reason


@dataclass(eq=False)
class HRIRShell:
    """All measurements of one set at one distance, with a nearest-direction lookup.

    The lookup is built once per direction arrays and kept by :mod:`.derived` (not on the shell).
    """

    distance_m: float
    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    ir: np.ndarray  # (M, 2, N)

    def nearest_index(self, azimuth_deg, elevation_deg) -> np.ndarray:
        """Index of the measured direction nearest (great circle) to each query direction.

        Exact, and vectorised: a million queries take about 0.1 s (see
        :mod:`bindata.hrir.lookup`).
        """
        q = spherical_to_cartesian(np.atleast_1d(azimuth_deg), np.atleast_1d(elevation_deg))
        return self.nearest_index_xyz(q)

    def nearest_index_xyz(self, directions) -> np.ndarray:
        """Like :meth:`nearest_index` for direction vectors (..., 3) (need not be unit length)."""
        d = np.asarray(directions, dtype=float)
        lookup = direction_lookup(self.azimuth_deg, self.elevation_deg)
        return lookup.query_vectors(d.reshape(-1, 3)).reshape(d.shape[:-1])

    def lookup(self, azimuth_deg, elevation_deg) -> np.ndarray:
        """Two-ear responses (n, 2, N) of the measured directions nearest to the queries."""
        return self.ir[self.nearest_index(azimuth_deg, elevation_deg)]


@dataclass
class HRIRSet:
    """A set of head-related impulse responses on one or several distance shells.

    Parameters
    ----------
    azimuth_deg, elevation_deg, distance_m : ndarray, shape (M,)
        Direction and distance of each measurement (docs/design.md conventions).
    ir : ndarray, shape (M, 2, N)
        Left and right impulse responses, relative to the free field at the head centre.
    sample_rate : int
        Sample rate in Hz.
    delay_samples : float
        Sample index at which the wave reaches the head centre in every response.
    name : str
        Human-readable origin (file name or model).
    calibration : {"raw", "reference", "diffuse", "equalised"}
        ``"raw"``: the level as stored; ``"reference"`` / ``"diffuse"``: scaled to the frontal
        or diffuse-field level reference of :mod:`.calibration` (every shell by the same gain);
        ``"equalised"``: scaled to the frontal reference, then filtered by the diffuse-field
        equalisation filter of :mod:`.calibration` (every shell, both ears, by the same filter).
    calibration_gain_db : float
        Gain (dB) applied to the stored responses to reach ``calibration`` (0 for ``"raw"``;
        for ``"equalised"`` the frontal gain, before the filter).
    calibration_band_hz : (float, float) or None
        Band of the calibration level (``None`` for ``"raw"``; default
        :data:`REFERENCE_BAND_HZ` otherwise).
    """

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    distance_m: np.ndarray
    ir: np.ndarray
    sample_rate: int
    delay_samples: float = 0.0
    name: str = ""
    calibration: str = "raw"
    calibration_gain_db: float = 0.0
    calibration_band_hz: tuple[float, float] | None = None
    _shells: list = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.azimuth_deg = wrap_azimuth_deg(np.asarray(self.azimuth_deg, dtype=float).ravel())
        self.elevation_deg = np.asarray(self.elevation_deg, dtype=float).ravel()
        self.distance_m = np.asarray(self.distance_m, dtype=float).ravel()
        self.ir = np.asarray(self.ir, dtype=float)
        m = self.azimuth_deg.shape[0]
        problems = []
        if self.ir.ndim != 3 or self.ir.shape[1] != 2:
            problems.append(f"ir must have shape (M, 2, N), got {self.ir.shape}")
        elif self.ir.shape[0] != m:
            problems.append(f"ir has {self.ir.shape[0]} measurements but {m} directions")
        if self.elevation_deg.shape[0] != m or self.distance_m.shape[0] != m:
            problems.append("azimuth, elevation and distance must have the same length")
        if m == 0:
            problems.append("the set holds no measurement")
        if np.any(np.abs(self.elevation_deg) > 90 + 1e-9):
            problems.append("elevation outside [-90, 90]")
        if np.any(self.distance_m <= 0):
            problems.append("distances must be > 0")
        if int(self.sample_rate) <= 0:
            problems.append(f"sample_rate must be > 0, got {self.sample_rate}")
        if self.calibration not in CALIBRATIONS:
            problems.append(
                f"calibration must be one of {', '.join(CALIBRATIONS)}, got {self.calibration!r}"
            )
        if not np.isfinite(float(self.calibration_gain_db)):
            problems.append(f"calibration_gain_db must be finite, got {self.calibration_gain_db}")
        if not problems and (bad := first_bad_response(self.ir)) is not None:
            problems.append(
                f"measurement {bad[0]} ({'left' if bad[1] == 0 else 'right'} ear) "
                f"{bad[2]}; every response must be finite and not all zero"
            )
        if problems:
            raise HRIRError(f"{self.name or 'HRIR set'}: " + "; ".join(problems))
        self.sample_rate = int(self.sample_rate)
        self.calibration_gain_db = float(self.calibration_gain_db)
        if self.calibration == "raw":
            self.calibration_band_hz = None
        elif self.calibration_band_hz is None:
            self.calibration_band_hz = REFERENCE_BAND_HZ
        else:
            self.calibration_band_hz = tuple(float(f) for f in self.calibration_band_hz)

    # ----------------------------------------------------------------------------- shells
    @property
    def n_taps(self) -> int:
        """Length of every impulse response in samples."""
        return int(self.ir.shape[2])

    @property
    def shells(self) -> list[HRIRShell]:
        """Distance shells, sorted by distance (measurements within 2 cm share a shell).

        A shell whose measurements are consecutive in the set (every set bindata makes) holds
        a view of :attr:`ir`, not a copy.
        """
        if self._shells is None:
            shared: dict = {}  # equal directions share arrays, hence one lookup (.derived)
            self._shells = []
            for g in shell_groups(self.distance_m):
                az, el = self.azimuth_deg[g], self.elevation_deg[g]
                az, el = shared.setdefault((az.tobytes(), el.tobytes()), (az, el))
                distance = float(np.mean(self.distance_m[g]))
                consecutive = bool(np.all(np.diff(g) == 1))
                ir = self.ir[g[0] : g[-1] + 1] if consecutive else self.ir[g]
                self._shells.append(HRIRShell(distance, az, el, ir))
        return self._shells

    @property
    def distances(self) -> np.ndarray:
        """Shell distances in metres, ascending."""
        return np.array([s.distance_m for s in self.shells])

    def nearest_shell(self, distance_m: float) -> HRIRShell:
        """The shell whose distance is nearest to ``distance_m`` (for the direct path)."""
        shells = self.shells
        return shells[int(np.argmin(np.abs(self.distances - float(distance_m))))]

    @property
    def far_field_shell(self) -> HRIRShell:
        """The shell at the largest distance (used for every reflection)."""
        return self.shells[-1]

    # ----------------------------------------------------------------------------- resampling
    def resample(self, sample_rate: int) -> HRIRSet:
        """This set at ``sample_rate``, by a polyphase (Kaiser-windowed) anti-aliasing filter.

        The responses are filters (transfer functions re the free field), so their frequency
        response ``H(f) = sum_n h[n] exp(-2 pi i f n / fs)`` is kept: the interpolated samples
        are scaled by ``fs_old / fs_new`` (interpolation alone keeps the waveform, whose
        sum, the DC gain, grows with the rate: -5.3 dB from 44.1 to 24 kHz).
        """
        sample_rate = int(sample_rate)
        if sample_rate == self.sample_rate:
            return self
        up, down = resample_ratio(self.sample_rate, sample_rate)
        ir = polyphase_resample(
            self.ir, self.sample_rate, sample_rate, window=FILTER_WINDOW, keep_response=True
        )
        return HRIRSet(
            self.azimuth_deg,
            self.elevation_deg,
            self.distance_m,
            ir,
            sample_rate,
            delay_samples=self.delay_samples * up / down,
            name=self.name,
            calibration=self.calibration,
            calibration_gain_db=self.calibration_gain_db,
            calibration_band_hz=self.calibration_band_hz,
        )

    def describe(self) -> dict:
        """JSON-able summary (for manifests and ``bindata hrir info``)."""
        return {
            "name": self.name,
            "sample_rate": self.sample_rate,
            "n_taps": self.n_taps,
            "n_measurements": int(self.azimuth_deg.shape[0]),
            "distances_m": [round(float(d), 4) for d in self.distances],
            "delay_samples": float(self.delay_samples),
            "calibration": self.calibration,
            "calibration_gain_db": round(float(self.calibration_gain_db), 4),
            "calibration_band_hz": (
                None if self.calibration_band_hz is None else list(self.calibration_band_hz)
            ),
            "elevation_range_deg": [
                float(self.elevation_deg.min()),
                float(self.elevation_deg.max()),
            ],
        }
