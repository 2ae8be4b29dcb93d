"""Diffuse-field equalisation of HRIR sets (``calibration="equalised"``, docs/hrir.md): the
equalised set's diffuse-field spectrum is the built-in head's, its interaural cues are untouched,
its filter is minimum phase, the built-in head is left as it is, and file levels through two
heads agree."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from bindata.cli import cli
from bindata.errors import HRIRError
from bindata.hrir import build_model_hrirset, calibrate, load_hrirset
from bindata.hrir.calibration import (
    EQUALISATION_LIMIT_DB,
    equalisation_correction_db,
    minimum_phase_filter,
)
from bindata.synth import draw_scene, resources_for_config, synth_config
from bindata.synth.heads import clear_heads, load_head
from bindata.synth.mix import mix_scene

from .conftest import KEMAR_SOFA

needs_kemar = pytest.mark.skipif(not KEMAR_SOFA.exists(), reason="needs Debian's libmysofa1")
FS = 24000
#: Third-octave band centres (IEC 61260 nominal) inside the equalisation band at 24 kHz.
THIRDS_HZ = 1000.0 * 2.0 ** (np.arange(-9, 11) / 3.0)  # 125 Hz-10 kHz


@pytest.fixture(scope="module")
def kemar():
    """MIT KEMAR at 24 kHz, frontally calibrated and equalised."""
    return (
        load_hrirset(str(KEMAR_SOFA), sample_rate=FS),
        load_hrirset(str(KEMAR_SOFA), sample_rate=FS, calibration="equalised"),
    )


def sphere_weights(azimuth_deg, elevation_deg, n_points: int = 12000) -> np.ndarray:
    """Share of the sphere nearest to each direction, from random uniform points (Gaussian
    vectors normalised) and a brute-force nearest direction: a peer of the library's weights."""
    az, el = np.deg2rad(azimuth_deg), np.deg2rad(elevation_deg)
    dirs = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=1)
    points = np.random.default_rng(3).standard_normal((n_points, 3))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    nearest = np.concatenate([np.argmax(p @ dirs.T, axis=1) for p in np.array_split(points, 8)])
    return np.bincount(nearest, minlength=len(dirs)) / n_points


def third_octave_df_db(hrirset) -> np.ndarray:
    """Diffuse-field level (dB) of each band of :data:`THIRDS_HZ`: the power of the far-field
    responses, both ears, summed over the band and averaged over the sphere."""
    shell = hrirset.far_field_shell
    n_fft = 8192
    f = np.fft.rfftfreq(n_fft, 1 / hrirset.sample_rate)
    power = (np.abs(np.fft.rfft(shell.ir, n_fft, axis=-1)) ** 2).mean(axis=1)
    df = sphere_weights(shell.azimuth_deg, shell.elevation_deg) @ power
    edges = np.stack([THIRDS_HZ * 2 ** (-1 / 6), THIRDS_HZ * 2 ** (1 / 6)], axis=1)
    return np.array([10 * np.log10(df[(f >= lo) & (f < hi)].sum()) for lo, hi in edges])


@needs_kemar
def test_equalised_kemar_has_the_diffuse_field_spectrum_of_the_builtin_head(kemar):
    reference, equalised = kemar
    target = third_octave_df_db(load_hrirset("builtin", sample_rate=FS))
    before = third_octave_df_db(reference) - target
    after = third_octave_df_db(equalised) - target
    assert np.abs(before).max() > 5.0  # KEMAR as measured: 7 dB apart at 250 Hz
    assert np.abs(after).max() < 0.5, np.round(after, 2)
    # the filter grows the responses by its length; every shell, both ears, one filter
    assert equalised.n_taps > reference.n_taps
    assert equalised.calibration == "equalised"
    assert equalised.calibration_gain_db == reference.calibration_gain_db


@needs_kemar
def test_equalisation_keeps_the_interaural_cues_of_every_direction(kemar):
    reference, equalised = kemar
    n_fft = 2048  # longer than the equalised responses: the products are linear convolutions
    a = np.fft.rfft(reference.ir, n_fft, axis=-1)
    b = np.fft.rfft(equalised.ir, n_fft, axis=-1)
    f = np.fft.rfftfreq(n_fft, 1 / FS)
    band = (f >= 100) & (f <= 10000)
    # the interaural transfer function left / right of every direction, at every frequency
    itf_a, itf_b = a[:, 0, band] / a[:, 1, band], b[:, 0, band] / b[:, 1, band]
    np.testing.assert_allclose(itf_b, itf_a, rtol=1e-6)
    # ILD per third-octave band (the band mean of the level difference in dB: a band power
    # ratio would weigh the band's frequencies by the filter, and move where both vary) and the
    # low-frequency ITD (interaural group delay below 1.5 kHz)
    for fc in (250.0, 1000.0, 4000.0, 8000.0):
        sel = (f >= fc * 2 ** (-1 / 6)) & (f < fc * 2 ** (1 / 6))
        ild = [20 * np.log10(np.abs(x[:, 0, sel] / x[:, 1, sel])).mean(axis=1) for x in (a, b)]
        np.testing.assert_allclose(ild[1], ild[0], atol=1e-6)
        assert np.abs(ild[0]).max() > 3.0  # there is an ILD to keep
    low = (f > 100) & (f < 1500)
    phase = [np.unwrap(np.angle(x[:, 0, low] * np.conj(x[:, 1, low])), axis=-1) for x in (a, b)]
    itd = [np.polyfit(2 * np.pi * f[low], p.T, 1)[0] * 1e6 for p in phase]  # microseconds
    np.testing.assert_allclose(itd[1], itd[0], atol=1.0)
    assert np.abs(itd[0]).max() > 500  # lateral directions do have an ITD


def test_equalising_the_builtin_head_changes_nothing():
    reference = load_hrirset("builtin", sample_rate=FS)
    equalised = load_hrirset("builtin", sample_rate=FS, calibration="equalised")
    assert equalised.ir.tobytes() == reference.ir.tobytes()
    assert equalised.calibration_gain_db == reference.calibration_gain_db
    _, gain_db = equalisation_correction_db(reference)
    assert not np.any(gain_db)


def test_the_filter_is_the_minimum_phase_filter_of_its_magnitude():
    n_fft = 1024
    h_min = np.array([1.0, -0.5, 0.2])  # zeros at |z| = 0.45: minimum phase
    for h in (h_min, h_min[::-1]):  # the reversed filter (maximum phase) has the same magnitude
        gain_db = 20 * np.log10(np.abs(np.fft.rfft(h, n_fft)))
        g = minimum_phase_filter(gain_db)
        np.testing.assert_allclose(g[:3], h_min, atol=1e-9)
        assert np.abs(g[3:]).max() < 1e-9


@needs_kemar
def test_the_kemar_filter_has_its_magnitude_and_comes_first(kemar):
    reference, _ = kemar
    f, gain_db = equalisation_correction_db(reference)
    assert np.abs(gain_db).max() <= EQUALISATION_LIMIT_DB
    h = minimum_phase_filter(gain_db)
    n_fft = 2 * (f.size - 1)
    got = 20 * np.log10(np.abs(np.fft.rfft(h, n_fft)))
    band = (f >= 150) & (f <= 10000)
    np.testing.assert_allclose(got[band], gain_db[band], atol=0.15)
    # minimum energy delay: no filter of that magnitude has more energy in its first n taps
    magnitude = np.abs(np.fft.rfft(h, n_fft))
    rng = np.random.default_rng(0)
    others = [np.roll(np.fft.irfft(magnitude, n_fft), n_fft // 2)]  # linear phase
    for _ in range(3):
        phase = np.exp(2j * np.pi * rng.uniform(size=magnitude.size))
        phase[[0, -1]] = 1.0
        others.append(np.fft.irfft(magnitude * phase, n_fft))
    mine = np.cumsum(np.pad(h, (0, n_fft - h.size)) ** 2)
    for other in others:
        assert np.all(mine >= np.cumsum(other**2) - 1e-9 * mine[-1])


def test_every_shell_gets_the_same_filter():
    """A sphere has no pinna: its correction to the structural head is a filter, not a gain."""
    raw = build_model_hrirset(model="sphere", grid_deg=30.0, distances_m=[0.5, 2.0])
    reference, equalised = calibrate(raw), calibrate(raw, "equalised")
    n_fft = 4096
    ratio = [
        np.fft.rfft(e.ir, n_fft, axis=-1) / np.fft.rfft(r.ir, n_fft, axis=-1)
        for r, e in zip(reference.shells, equalised.shells, strict=True)
    ]
    filt = ratio[1][0, 0]
    assert np.ptp(20 * np.log10(np.abs(filt[10:1500]))) > 1.0  # a filter, not a gain
    for r in ratio:
        np.testing.assert_allclose(
            r[:, :, 10:1500], np.broadcast_to(filt, r.shape)[:, :, 10:1500], rtol=1e-6
        )


def test_an_equalised_set_cannot_be_brought_to_another_level():
    raw = build_model_hrirset(model="sphere", grid_deg=45.0, distances_m=[1.0])
    equalised = calibrate(raw, "equalised")
    assert calibrate(equalised, "equalised") is equalised
    with pytest.raises(HRIRError, match="is equalised; its level cannot be changed"):
        calibrate(equalised, "raw")


def file_levels_db(hrir, calibration, n) -> np.ndarray:
    options = {
        "n_files": n, "n_folds": 1, "duration_s": 4.0, "anechoic": True, "nearfield": True,
        "hrir": hrir, "hrir_calibration": calibration,
    }  # fmt: skip
    cfg = synth_config(options=options)
    hrirset, library, record = resources_for_config(cfg)
    levels = []
    for index in range(n):
        scene = draw_scene(cfg, seed=0, index=index, library=library, record=record)
        mix, _ = mix_scene(scene, library=library, hrirset=hrirset)
        levels.append(10 * np.log10(np.mean(mix**2)))
    return np.array(levels)


@needs_kemar
def test_file_levels_through_two_heads_agree_once_equalised():
    n = 5
    builtin = file_levels_db("builtin", "reference", n)
    d = {c: file_levels_db(str(KEMAR_SOFA), c, n) - builtin for c in ("reference", "equalised")}
    assert np.median(np.abs(d["equalised"])) < 1.0, d
    assert np.median(np.abs(d["equalised"])) < np.median(np.abs(d["reference"])), d


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@needs_kemar
def test_equalised_level_is_recorded_regenerated_and_validated(tmp_path):
    out = tmp_path / "ds"
    small = ["--n", 1, "--folds", 1, "--duration", 2, "--events-per-file", 1, 1, "--quiet"]
    done = run(
        "synth", "--out", out, "--hrir", KEMAR_SOFA, "--nearfield", "--hrir-level", "equalised",
        *small,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    manifest = json.loads((out / "manifest.json").read_text())
    (scene,) = sorted((out / "scenes").glob("*.json"))
    record = json.loads(scene.read_text())["hrir"]
    assert manifest["hrir"]["calibration"] == record["calibration"] == "equalised"
    # the loaded heads are keyed by their level: the reference set is another set
    eq, eq_record = load_head(
        str(KEMAR_SOFA), nearfield=True, sample_rate=FS, calibration="equalised"
    )
    ref, _ = load_head(str(KEMAR_SOFA), nearfield=True, sample_rate=FS, calibration="reference")
    assert record == eq_record and eq.n_taps > ref.n_taps
    clear_heads()
    assert "identical" in run("regen", scene).output
    assert run("validate", out).exit_code == 0


def test_an_unknown_level_is_one_clear_error(tmp_path):
    done = run("synth", "--out", tmp_path / "a", "--n", 1, "--hrir-level", "equalized")
    assert done.exit_code == 2 and "'equalized' is not one of" in done.output
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"hrir": {"calibration": "flat"}}))
    done = run("synth", "--out", tmp_path / "b", "--n", 1, "--config", config)
    assert done.exit_code == 2
    assert "hrir.calibration" in done.output and "'flat'" in done.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
