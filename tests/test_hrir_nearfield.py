"""Near-field shells from a single-distance set (sphere distance variation function)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bindata.errors import HRIRError
from bindata.hrir import build_model_hrirset, load_sofa, nearfield_from_farfield

KEMAR = Path("/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa")


def band_db(ir, lo, hi, fs):
    n = 8192
    spec = np.fft.rfft(ir, n, axis=-1)
    f = np.fft.rfftfreq(n, 1 / fs)
    band = (f >= lo) & (f <= hi)
    return 10 * np.log10(np.mean(np.abs(spec[..., band]) ** 2, axis=-1))


def test_dvf_of_far_model_reproduces_the_model_built_at_that_distance():
    """Two independent routes to a 0.4 m response: series at 0.4 m vs 3 m FIR x DVF(0.4 / 3)."""
    kw = {"model": "sphere", "grid_deg": 30.0}
    far = build_model_hrirset(distances_m=[3.0], **kw)
    direct = build_model_hrirset(distances_m=[0.4], **kw).shells[0]
    synth = nearfield_from_farfield(far, distances_m=[0.4]).nearest_shell(0.4)
    assert synth.distance_m == pytest.approx(0.4)
    fs = far.sample_rate
    for lo, hi in ((100, 500), (500, 2000), (2000, 8000)):
        np.testing.assert_allclose(
            band_db(synth.ir, lo, hi, fs), band_db(direct.ir, lo, hi, fs), atol=0.3
        )


@pytest.mark.skipif(not KEMAR.exists(), reason="needs Debian's libmysofa1 (KEMAR)")
def test_kemar_near_field_shells_raise_the_ild_of_a_lateral_source():
    kemar = load_sofa(KEMAR, sample_rate=24000)
    near = nearfield_from_farfield(kemar)
    assert np.allclose(near.distances, np.arange(0.2, 1.41, 0.1))  # measured 1.4 m: the farthest
    assert near.delay_samples == kemar.delay_samples and near.n_taps == kemar.n_taps
    # the measured 1.4 m shell is kept as measured
    np.testing.assert_array_equal(near.nearest_shell(1.4).ir, kemar.far_field_shell.ir)
    ild = []
    i = near.far_field_shell.nearest_index(90, 0)[0]  # shells share their directions
    for shell in near.shells:
        assert (shell.azimuth_deg[i], shell.elevation_deg[i]) == (90, 0)
        left, right = shell.ir[i]
        ild.append(
            [
                band_db(left, a, b, 24000) - band_db(right, a, b, 24000)
                for a, b in ((100, 500), (3000, 10000))
            ]
        )
    ild = np.array(ild)
    assert np.all(np.diff(ild[:, 0]) < 0)  # closer -> larger low-frequency ILD, monotonically
    assert ild[0, 0] - ild[-1, 0] > 6.0 and ild[0, 1] - ild[-1, 1] > 4.0
    j = near.far_field_shell.nearest_index(0, 0)[0]
    front_l, front_r = near.shells[0].ir[j]  # median plane: still no ILD
    assert abs(band_db(front_l, 100, 8000, 24000) - band_db(front_r, 100, 8000, 24000)) < 0.5


def test_bad_distances_are_refused():
    far = build_model_hrirset(model="sphere", grid_deg=45.0, distances_m=[1.0])
    with pytest.raises(HRIRError, match="near-field distances"):
        nearfield_from_farfield(far, distances_m=[0.05, 0.5])


def test_measured_shell_stays_the_far_field_shell_and_only_nearer_shells_are_added():
    far = build_model_hrirset(model="sphere", grid_deg=45.0, distances_m=[1.04])
    near = nearfield_from_farfield(far)  # defaults 0.2, ..., 1.5: only those nearer than 1.04 m
    assert np.allclose(near.distances, [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.04])
    measured = near.far_field_shell
    assert measured.distance_m == pytest.approx(1.04)
    assert measured.ir.tobytes() == far.shells[0].ir.tobytes()  # byte-equal, not re-synthesised
    for r in (1.03, 1.2, 3.0, 20.0):  # far sources (and every reflection) get the measured shell
        assert near.nearest_shell(r).ir.tobytes() == far.shells[0].ir.tobytes()
    # explicit targets: at the measured distance (within 2 cm) keep it; beyond it are refused
    assert nearfield_from_farfield(far, distances_m=[1.05]) is far
    with pytest.raises(HRIRError, match=r"not beyond the measured far-field shell \(1.04 m\)"):
        nearfield_from_farfield(far, distances_m=[0.5, 1.5])
    # a set measured nearer than every default target gains nothing
    assert (
        nearfield_from_farfield(
            build_model_hrirset(model="sphere", grid_deg=45.0, distances_m=[0.15])
        ).distances.size
        == 1
    )
