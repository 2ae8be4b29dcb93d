"""Ambience: diffuse-field coherence against the HRIR set, SNR, recorded ambience folders."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import csd, oaconvolve, welch

from bindata.errors import AmbienceError
from bindata.hrir import load_hrirset
from bindata.render.ambience import (
    AmbienceFolder,
    band_coherence,
    diffuse_field,
    direction_weights,
    event_power,
    loop_to_length,
    scale_to_snr,
    third_octave_bands,
)

from .conftest import KEMAR_SOFA

FS = 24000
BANDS = third_octave_bands(100.0, 4000.0)


def _theory_coherence(shell, weights, n_fft=4096):
    """Diffuse-field coherence straight from the HRTFs: sum_d w_d H_L conj(H_R)."""
    spec = np.fft.rfft(shell.ir, n_fft, axis=-1)
    w = weights[:, None]
    c_ll = np.sum(w * np.abs(spec[:, 0]) ** 2, axis=0)
    c_rr = np.sum(w * np.abs(spec[:, 1]) ** 2, axis=0)
    c_lr = np.sum(w * spec[:, 0] * np.conj(spec[:, 1]), axis=0)
    return band_coherence(c_ll, c_rr, c_lr, np.fft.rfftfreq(n_fft, 1 / FS), BANDS)


def _measured_coherence(x):
    f, c_ll = welch(x[:, 0], FS, nperseg=4096)
    _, c_rr = welch(x[:, 1], FS, nperseg=4096)
    _, c_lr = csd(x[:, 0], x[:, 1], FS, nperseg=4096)
    return band_coherence(c_ll, c_rr, c_lr, f, BANDS)


@pytest.fixture(scope="module")
def builtin_shell():
    return load_hrirset(None, sample_rate=FS).far_field_shell


def test_voronoi_weights_cover_the_sphere_evenly():
    # A cube's 8 corners each stand for one eighth of the sphere.
    az = np.array([45, 135, -135, -45] * 2, float)
    el = np.array([35.264] * 4 + [-35.264] * 4)
    w = direction_weights(az, el)
    np.testing.assert_allclose(w, 1 / 8, rtol=1e-3)


def test_generated_field_has_the_sets_diffuse_coherence(builtin_shell):
    x = diffuse_field(
        builtin_shell,
        n_samples=8 * FS,
        sample_rate=FS,
        rng=np.random.default_rng(1),
        slope_db_per_octave=0.0,
    )
    weights = direction_weights(builtin_shell.azimuth_deg, builtin_shell.elevation_deg)
    theory = _theory_coherence(builtin_shell, weights)
    measured = _measured_coherence(x)
    assert np.max(np.abs(measured - theory)) < 0.1, np.c_[theory, measured]
    # Physics of a head-sized obstacle: coherent at low frequencies, nearly incoherent at 4 kHz.
    assert theory[0] > 0.9 and theory[-1] < 0.35


def test_coherence_equals_many_uncorrelated_point_sources(builtin_shell):
    """The Gaussian draw equals the physical definition: uncorrelated noise from every cell."""
    rng = np.random.default_rng(2)
    weights = direction_weights(builtin_shell.azimuth_deg, builtin_shell.elevation_deg)
    noise = rng.standard_normal((weights.size, 1, 3 * FS)) * np.sqrt(weights)[:, None, None]
    ears = oaconvolve(noise, builtin_shell.ir, axes=-1).sum(axis=0).T
    physical = _measured_coherence(ears)
    drawn = _measured_coherence(
        diffuse_field(
            builtin_shell, n_samples=3 * FS, sample_rate=FS, rng=rng, slope_db_per_octave=0.0
        )
    )
    assert np.max(np.abs(physical - drawn)) < 0.12, np.c_[physical, drawn]


@pytest.mark.skipif(not KEMAR_SOFA.exists(), reason="libmysofa1's MIT KEMAR set not installed")
def test_measured_set_with_a_gap_below_still_matches():
    shell = load_hrirset(str(KEMAR_SOFA), sample_rate=FS).far_field_shell
    x = diffuse_field(shell, n_samples=8 * FS, sample_rate=FS, rng=np.random.default_rng(3))
    theory = _theory_coherence(shell, direction_weights(shell.azimuth_deg, shell.elevation_deg))
    assert np.max(np.abs(_measured_coherence(x) - theory)) < 0.1


def test_spectral_slope_is_applied(builtin_shell):
    x = diffuse_field(
        builtin_shell,
        n_samples=4 * FS,
        sample_rate=FS,
        rng=np.random.default_rng(4),
        slope_db_per_octave=-3.0,
    )
    flat = diffuse_field(
        builtin_shell,
        n_samples=4 * FS,
        sample_rate=FS,
        rng=np.random.default_rng(4),
        slope_db_per_octave=0.0,
    )
    f, p = welch(x[:, 0], FS, nperseg=2048)
    _, p0 = welch(flat[:, 0], FS, nperseg=2048)
    ratio = 10 * np.log10(p / p0)
    at = [np.argmin(np.abs(f - hz)) for hz in (500.0, 4000.0)]
    assert ratio[at[0]] - ratio[at[1]] == pytest.approx(9.0, abs=1.5)  # 3 octaves x 3 dB


def test_same_rng_same_field_and_rms_one(builtin_shell):
    a = diffuse_field(builtin_shell, n_samples=FS, sample_rate=FS, rng=np.random.default_rng(5))
    b = diffuse_field(builtin_shell, n_samples=FS, sample_rate=FS, rng=np.random.default_rng(5))
    assert np.array_equal(a, b)
    assert np.sqrt(np.mean(a**2)) == pytest.approx(1.0)


def test_snr_measured_equals_drawn():
    rng = np.random.default_rng(6)
    n = 10 * FS
    events = np.zeros((n, 2))
    active = np.zeros(100, bool)
    for first in (5, 40, 71):  # three bursts of 1.2 s on the 100 ms grid
        events[first * 2400 : (first + 12) * 2400] = rng.standard_normal((12 * 2400, 2)) * 0.3
        active[first : first + 12] = True
    amb = rng.standard_normal((n, 2))
    for snr in (6.0, 17.5, 30.0):
        scaled = scale_to_snr(amb, snr_db=snr, event_power_value=event_power(events, active, FS))
        on = np.repeat(active, 2400)
        measured = 10 * np.log10(np.mean(events[on] ** 2) / np.mean(scaled**2))
        assert measured == pytest.approx(snr, abs=0.2)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_snr_must_be_finite(bad):
    with pytest.raises(AmbienceError, match="finite"):
        scale_to_snr(np.ones((10, 2)), snr_db=bad, event_power_value=1.0)


def test_no_active_frame_is_an_error():
    with pytest.raises(AmbienceError, match="no active event"):
        event_power(np.ones((2400, 2)), np.zeros(1, bool), FS)


def test_loop_has_no_level_dip_at_the_joins():
    rng = np.random.default_rng(7)
    data = rng.standard_normal((FS, 2))
    out = loop_to_length(data, int(3.5 * FS), fade=int(0.5 * FS))
    assert out.shape == (int(3.5 * FS), 2)
    power = np.mean(out.reshape(-1, 1200, 2) ** 2, axis=(1, 2))  # 50 ms blocks
    assert 10 * np.log10(power.min() / power.max()) > -3.0


def test_ambience_folder_loads_resampled_and_cut(tmp_path):
    rng = np.random.default_rng(8)
    sf.write(tmp_path / "street.wav", rng.standard_normal((44100, 2)) * 0.1, 44100)
    folder = AmbienceFolder(tmp_path)
    x = folder.load(0, sample_rate=FS, n_samples=2 * FS, offset=0.25)
    assert x.shape == (2 * FS, 2)
    assert np.sqrt(np.mean(x**2)) == pytest.approx(1.0)
    assert folder.describe()["files"] == ["street.wav"]


def test_ambience_folder_problems_are_reported_together(tmp_path):
    sf.write(tmp_path / "mono.wav", np.zeros(100), FS)
    (tmp_path / "broken.wav").write_bytes(b"not audio")
    with pytest.raises(AmbienceError) as err:
        AmbienceFolder(tmp_path)
    assert "mono.wav" in str(err.value) and "2-channel" in str(err.value)
    assert "broken.wav" in str(err.value) and "unreadable" in str(err.value)


def test_empty_or_missing_ambience_folder(tmp_path):
    with pytest.raises(AmbienceError, match="no audio file"):
        AmbienceFolder(tmp_path)
    with pytest.raises(AmbienceError, match="does not exist"):
        AmbienceFolder(tmp_path / "nope")
