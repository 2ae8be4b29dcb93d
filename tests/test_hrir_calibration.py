"""Level calibration of HRIR sets: one reference for the built-in model and measured sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import fftconvolve, welch

from bindata.errors import HRIRError
from bindata.hrir import (
    build_model_hrirset,
    calibrate,
    load_hrirset,
    load_sofa,
    nearfield_from_farfield,
    reference_level_db,
)
from bindata.hrir.calibration import band_level_db
from bindata.render.brir import render_brir
from bindata.render.shoebox import ShoeboxRoom

KEMAR = Path("/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa")
needs_kemar = pytest.mark.skipif(not KEMAR.exists(), reason="needs Debian's libmysofa1 (KEMAR)")
FS = 24000
C = 343.0


def pink_noise(n: int, seed: int) -> np.ndarray:
    """Gaussian noise with a 1/f power spectrum (equal power per octave)."""
    spec = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / FS)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    x = np.fft.irfft(spec, n)
    return x / np.std(x)


def rendered_band_level_db(hrirset, *, distance_m=3.0, band=(250.0, 2000.0)) -> float:
    """Level (dB) of a pink noise rendered from straight ahead (anechoic), both ears, in ``band``,
    re the free field at the head centre (the same noise / distance), from Welch spectra."""
    room = ShoeboxRoom((12.0, 8.0, 4.0), 0.5)
    listener = np.array([4.0, 4.0, 1.6])
    brir = render_brir(
        room,
        listener_m=listener,
        yaw_deg=0.0,
        hrirset=hrirset,
        source_m=listener + [distance_m, 0, 0],
        reflections=False,
    )
    s = pink_noise(1 << 17, seed=7)
    n = brir.ir.shape[1]
    ears = np.stack([fftconvolve(s, h)[n : s.size] for h in brir.ir])  # steady part only
    free = s[n : s.size] / distance_m
    f, p_free = welch(free, FS, nperseg=4096)
    _, p_ears = welch(ears, FS, nperseg=4096, axis=-1)
    sel = (f >= band[0]) & (f <= band[1])
    return float(10 * np.log10(np.mean(p_ears[:, sel].sum(axis=1)) / p_free[sel].sum()))


@needs_kemar
def test_builtin_and_kemar_render_the_same_level_once_calibrated(tmp_path):
    import sofar

    quiet = sofar.read_sofa(str(KEMAR), verify=False, verbose=False)
    quiet.Data_IR = quiet.Data_IR * 0.1  # the same head measured with 20 dB less gain
    sofar.write_sofa(str(tmp_path / "quiet.sofa"), quiet)
    specs = {"builtin": "builtin", "kemar": str(KEMAR), "quiet": str(tmp_path / "quiet.sofa")}
    sets = {name: load_hrirset(spec, sample_rate=FS) for name, spec in specs.items()}
    raw = {
        name: load_hrirset(spec, sample_rate=FS, calibration="raw") for name, spec in specs.items()
    }
    levels = {name: rendered_band_level_db(s) for name, s in sets.items()}
    raw_levels = {name: rendered_band_level_db(s) for name, s in raw.items()}
    for name in ("kemar", "quiet"):  # the done-when criterion
        assert abs(levels["builtin"] - levels[name]) < 1.0
    assert all(abs(v) < 0.5 for v in levels.values())  # 0 dB re free field
    assert raw_levels["kemar"] - raw_levels["quiet"] == pytest.approx(20.0, abs=0.01)
    assert abs(raw_levels["builtin"] - raw_levels["quiet"]) > 15.0  # as stored they differ
    for name, cal in sets.items():
        gain = cal.calibration_gain_db
        assert raw_levels[name] + gain == pytest.approx(levels[name], abs=0.05)
        assert cal.describe()["calibration"] == "reference"
        assert cal.describe()["calibration_gain_db"] == pytest.approx(gain, abs=1e-4)
    # the raw option is the stored level: the set exactly as load_sofa reads it
    assert raw["kemar"].calibration_gain_db == 0.0 and raw["kemar"].calibration == "raw"
    assert raw["kemar"].ir.tobytes() == load_sofa(KEMAR, sample_rate=FS).ir.tobytes()


def test_physical_sphere_model_needs_almost_no_gain():
    """A rigid sphere is within ~1 dB of the free field below 2 kHz (Duda & Martens 1998)."""
    sphere = build_model_hrirset(model="sphere", grid_deg=15.0, distances_m=[3.0])
    assert abs(reference_level_db(sphere)) < 0.5
    assert abs(calibrate(sphere).calibration_gain_db) < 0.5


def test_one_gain_for_every_shell_keeps_near_field_levels_relative_to_the_far_field():
    raw = build_model_hrirset(model="sphere", grid_deg=30.0, distances_m=[0.3, 1.0, 2.0])
    scaled = raw.__class__(
        raw.azimuth_deg,
        raw.elevation_deg,
        raw.distance_m,
        raw.ir * 0.05,
        raw.sample_rate,
        delay_samples=raw.delay_samples,
    )
    cal = calibrate(scaled)
    expected = -20 * np.log10(0.05) + calibrate(raw).calibration_gain_db
    assert cal.calibration_gain_db == pytest.approx(expected, abs=1e-9)
    assert abs(reference_level_db(cal)) < 1e-9
    np.testing.assert_allclose(cal.ir, scaled.ir * 10 ** (cal.calibration_gain_db / 20), rtol=1e-12)
    # near field from a calibrated set == calibration of the near-field set (same single gain)
    far = build_model_hrirset(model="sphere", grid_deg=30.0, distances_m=[1.4])
    a = nearfield_from_farfield(calibrate(far))
    b = calibrate(nearfield_from_farfield(far))
    assert a.calibration_gain_db == pytest.approx(b.calibration_gain_db, abs=1e-12)
    np.testing.assert_allclose(a.ir, b.ir, rtol=1e-9, atol=1e-12)
    # back to raw gives the stored level
    np.testing.assert_allclose(calibrate(cal, "raw").ir, scaled.ir, rtol=1e-12)
    assert calibrate(cal, "raw").calibration_gain_db == 0.0


def test_unknown_calibration_is_refused_naming_the_value():
    with pytest.raises(
        HRIRError, match="calibration must be one of reference, raw, diffuse, equalised, got 'loud'"
    ):
        load_hrirset("builtin", calibration="loud")
    silent = build_model_hrirset(model="sphere", grid_deg=45.0, distances_m=[1.0])
    silent.ir[:] *= 1e-9  # -180 dB: no usable level
    with pytest.raises(HRIRError, match="cannot calibrate"):
        calibrate(silent)


@needs_kemar
def test_synth_records_the_calibration_and_regen_reproduces_it(tmp_path):
    import json

    import soundfile as sf
    from click.testing import CliRunner

    from bindata.cli import cli

    def run(*args):
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    raw_cfg = tmp_path / "raw.json"
    raw_cfg.write_text(json.dumps({"hrir": {"calibration": "raw"}}))
    small = [
        "--hrir",
        KEMAR,
        "--n",
        1,
        "--duration",
        2,
        "--events-per-file",
        1,
        1,
        "--folds",
        1,
        "--anechoic",
        "--seed",
        4,
        "--quiet",
    ]
    out = {"reference": tmp_path / "cal", "raw": tmp_path / "raw"}
    assert run("synth", "--out", out["reference"], *small).exit_code == 0
    assert run("synth", "--config", raw_cfg, "--out", out["raw"], *small).exit_code == 0
    gain = load_hrirset(str(KEMAR), sample_rate=FS).calibration_gain_db
    rms = {}
    for mode, folder in out.items():
        manifest = json.loads((folder / "manifest.json").read_text())
        (scene_path,) = sorted((folder / "scenes").glob("*.json"))
        scene = json.loads(scene_path.read_text())
        expected = round(gain, 4) if mode == "reference" else 0.0
        for record in (manifest["hrir"], scene["hrir"]):
            assert record["calibration"] == mode
            assert record["calibration_gain_db"] == pytest.approx(expected, abs=1e-9)
        res = run("regen", scene_path)  # byte-identical to the dataset's audio
        assert res.exit_code == 0, res.output
        audio, _ = sf.read(folder / "audio" / f"{scene_path.stem}.wav")
        rms[mode] = 10 * np.log10(np.mean(audio**2))
    # the same scene, one gain apart
    assert rms["reference"] - rms["raw"] == pytest.approx(gain, abs=0.05)


def test_resampling_keeps_the_level_of_a_model_computed_at_the_target_rate():
    """Two routes to a 24 kHz sphere set: evaluated at 24 kHz, or at 48 kHz and resampled."""
    kw = {"model": "sphere", "grid_deg": 30.0, "distances_m": [1.0, 3.0]}
    direct = build_model_hrirset(sample_rate=FS, **kw)
    resampled = build_model_hrirset(sample_rate=2 * FS, **kw).resample(FS)
    assert reference_level_db(resampled) == pytest.approx(reference_level_db(direct), abs=0.05)
    for a, b in zip(direct.shells, resampled.shells, strict=True):
        for lo, hi in ((100, 500), (500, 2000), (2000, 8000)):
            assert band_level_db(b.ir, FS, (lo, hi)) == pytest.approx(
                band_level_db(a.ir, FS, (lo, hi)), abs=0.1
            )
