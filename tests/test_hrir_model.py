"""Built-in HRIR model: binaural cues it must carry, FIR design, and the on-disk cache."""

from __future__ import annotations

import os

import numpy as np
import pytest

from bindata.errors import HRIRError
from bindata.geometry import spherical_to_cartesian, wrap_azimuth_deg
from bindata.hrir import build_model_hrirset, default_hrirset, direction_grid, load_hrirset
from bindata.hrir.alignment import estimate_centre_arrival
from bindata.hrir.cache import cache_path
from bindata.hrir.sphere import HEAD_RADIUS_M, ear_vectors

FS = 24000


def band_level_db(ir: np.ndarray, lo: float, hi: float, *, fs: int = FS) -> np.ndarray:
    """Mean power (dB) of responses (..., N) between lo and hi Hz."""
    n = 8192
    spec = np.fft.rfft(ir, n, axis=-1)
    f = np.fft.rfftfreq(n, 1 / fs)
    band = (f >= lo) & (f <= hi)
    return 10 * np.log10(np.mean(np.abs(spec[..., band]) ** 2, axis=-1))


def ild_db(hrirset, distance, az, el, lo, hi) -> float:
    left, right = hrirset.nearest_shell(distance).lookup(az, el)[0]
    return float(band_level_db(left, lo, hi) - band_level_db(right, lo, hi))


@pytest.fixture(scope="module")
def small_model():
    """The default structural model on a coarse grid (every option else as shipped)."""
    return build_model_hrirset(model="structural", grid_deg=15.0, distances_m=[0.2, 0.5, 1.5, 3.0])


def test_grid_covers_the_full_sphere_densely():
    az, el = direction_grid()
    assert az.size >= 1000 and el.min() == -90 and el.max() == 90
    # every direction of the sphere is within 5 degrees of a grid point
    rng = np.random.default_rng(0)
    q = rng.normal(size=(5000, 3))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    g = spherical_to_cartesian(az, el)
    assert np.degrees(np.arccos(np.clip((q @ g.T).max(axis=1), -1, 1))).max() < 5.0


def test_left_right_mirror_symmetry(small_model):
    for shell in small_model.shells:
        pairs = [
            (round(float(a), 6), round(float(e), 6))
            for a, e in zip(shell.azimuth_deg, shell.elevation_deg, strict=True)
        ]
        index = {p: i for i, p in enumerate(pairs)}
        mirror = [index[(round(float(wrap_azimuth_deg(-a)), 6), e)] for a, e in pairs]
        np.testing.assert_allclose(shell.ir[mirror, 1], shell.ir[:, 0], atol=1e-9)


def test_near_field_ild_grows_most_at_low_frequency(small_model):
    low = [ild_db(small_model, d, 90, 0, 100, 500) for d in (0.2, 1.5)]
    high = [ild_db(small_model, d, 90, 0, 3000, 10000) for d in (0.2, 1.5)]
    assert high[0] - high[1] > 5.0  # several dB more at high frequency
    assert low[0] - low[1] > 6.0  # and more still at low frequency ...
    assert low[0] / low[1] > 4.0 > 2.0 > high[0] / high[1]  # ... where the far field has none


def test_far_field_lateral_ild_is_plausible(small_model):
    assert 10.0 < ild_db(small_model, 3.0, 90, 0, 3000, 10000) < 25.0
    assert abs(ild_db(small_model, 3.0, 0, 0, 100, 10000)) < 0.1  # frontal source: none
    assert ild_db(small_model, 3.0, -90, 0, 3000, 10000) < -10.0  # right side: negative


def test_structural_model_separates_front_from_back():
    az = np.array([30.0, 150.0])
    kw = {"distances_m": [3.0], "directions_deg": (az, np.zeros(2))}
    for model, minimum in (("structural", 4.0), ("sphere", None)):
        ir = build_model_hrirset(model=model, **kw).ir[:, 0]  # left (ipsilateral) ear
        front_minus_back = float(np.diff(band_level_db(ir, 6000, 10000))[0]) * -1
        if minimum is None:
            assert abs(front_minus_back) < 2.0  # the sphere alone is nearly ambiguous
        else:
            assert front_minus_back > minimum  # pinna shadow: sounds behind are duller


def test_pinna_notch_rises_with_elevation():
    el = np.array([-40.0, -10.0, 20.0, 50.0])
    hrirset = build_model_hrirset(
        model="structural", sample_rate=48000, distances_m=[3.0], directions_deg=(np.zeros(4), el)
    )
    n = 8192
    spec = 20 * np.log10(np.abs(np.fft.rfft(hrirset.ir[:, 0], n, axis=-1)))
    f = np.fft.rfftfreq(n, 1 / 48000)
    band = (f > 5000) & (f < 16000)
    notch = f[band][np.argmin(spec[:, band], axis=1)]
    assert np.all(np.diff(notch) > 0), notch
    # and the spectra of up and down differ clearly (not an up/down ambiguity)
    assert np.abs(spec[0, band] - spec[-1, band]).max() > 10.0


def test_fir_is_causal_compact_and_centred(small_model):
    shell = small_model.nearest_shell(0.2)
    ir = shell.ir
    energy = np.sum(ir**2, axis=-1)
    # nothing but band-limiting ripple before the leading ear's arrival (which precedes the
    # head-centre arrival by at most a / c): less than 0.1 % of the energy 0.5 ms earlier
    lead = int(np.floor(small_model.delay_samples - (HEAD_RADIUS_M / 343.0 + 0.5e-3) * FS))
    assert np.all(np.sum(ir[..., :lead] ** 2, axis=-1) < 1e-3 * energy)
    assert np.all(np.sum(ir[..., -small_model.n_taps // 8 :] ** 2, axis=-1) < 1e-4 * energy)
    units = spherical_to_cartesian(shell.azimuth_deg, shell.elevation_deg)
    arrival = estimate_centre_arrival(
        ir, units, np.full(len(units), shell.distance_m), FS, ear_units=ear_vectors()
    )
    assert arrival == pytest.approx(small_model.delay_samples, abs=1.0)


def test_bad_model_options_are_clear_errors():
    with pytest.raises(HRIRError, match="model must be one of"):
        build_model_hrirset(model="kemar")
    with pytest.raises(HRIRError, match="distances"):
        build_model_hrirset(distances_m=[0.05])
    with pytest.raises(HRIRError, match="grid spacing"):
        build_model_hrirset(grid_deg=0.1)


def test_default_set_is_built_once_then_read_from_cache(tmp_path, monkeypatch):
    import bindata.hrir.cache as cache

    builds = []

    def small_build(**kw):  # the cache logic with a coarse model (the full one: next test)
        builds.append(kw)
        return build_model_hrirset(grid_deg=45.0, distances_m=[0.5, 3.0], **kw)

    monkeypatch.setattr(cache, "build_model_hrirset", small_build)
    monkeypatch.setenv("BINDATA_CACHE_DIR", str(tmp_path / "cache"))
    path = cache_path(sample_rate=FS)
    assert path.parent == tmp_path / "cache" and not path.exists()
    built = default_hrirset(sample_rate=FS)
    assert len(builds) == 1 and path.exists() and path.suffix == ".npz"
    assert f"-v{cache.MODEL_VERSION}-" in path.name and f"{FS}hz" in path.name
    assert sorted(os.listdir(path.parent)) == [path.name]  # no temporary file left
    cached = load_hrirset(None, sample_rate=FS, calibration="raw")
    assert len(builds) == 1  # read, not rebuilt
    np.testing.assert_array_equal(cached.ir, built.ir)  # a fresh build renders like the cache
    assert cached.delay_samples == built.delay_samples
    path.write_bytes(b"garbage")  # a damaged cache file is rebuilt
    np.testing.assert_array_equal(default_hrirset(sample_rate=FS).ir, built.ir)
    assert len(builds) == 2
    assert cache_path(sample_rate=16000) != path != cache_path(sample_rate=FS, model="sphere")


def test_default_set_is_the_full_near_field_model():
    hrirset = load_hrirset("builtin")  # the session's cache (tests/conftest.py)
    assert np.allclose(hrirset.distances, [*np.arange(0.2, 1.51, 0.1), 3.0])
    assert hrirset.sample_rate == FS and hrirset.n_taps <= 512 and hrirset.delay_samples == 24.0
    for shell in hrirset.shells:
        assert shell.azimuth_deg.size >= 1000 and shell.elevation_deg.min() == -90
