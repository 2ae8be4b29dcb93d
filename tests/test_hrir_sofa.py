"""SOFA input and output: measured KEMAR, coordinate conventions, round trips, bad files."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sofar

from bindata.errors import HRIRError
from bindata.geometry import spherical_to_cartesian
from bindata.hrir import build_model_hrirset, load_hrirset, load_sofa, write_sofa
from bindata.hrir.alignment import estimate_centre_arrival
from bindata.hrir.sphere import ear_vectors

KEMAR = Path("/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa")
needs_kemar = pytest.mark.skipif(not KEMAR.exists(), reason="needs Debian's libmysofa1 (KEMAR)")
needs_mysofa = pytest.mark.skipif(
    shutil.which("mysofa2json") is None, reason="needs mysofa2json (libmysofa-utils)"
)


def raw_kemar():
    return sofar.read_sofa(str(KEMAR), verify=False, verbose=False)


def energy_db(x):
    return 10 * np.log10(np.sum(np.asarray(x) ** 2, axis=-1))


@needs_kemar
def test_measured_kemar_loads_with_its_measured_responses():
    raw = raw_kemar()
    hrirset = load_sofa(KEMAR)
    assert hrirset.sample_rate == 44100 and len(hrirset.shells) == 1
    assert hrirset.distances[0] == pytest.approx(1.4)
    # SOFA azimuth 30 deg, elevation 10 deg is the measured direction: returned as measured x 1.4 m
    i = np.flatnonzero(
        (np.abs(raw.SourcePosition[:, 0] - 30) < 1e-6) & (raw.SourcePosition[:, 1] == 10)
    )[0]
    np.testing.assert_allclose(hrirset.far_field_shell.lookup(30, 10)[0], raw.Data_IR[i] * 1.4)
    # SOFA azimuth 270 is DESIGN's -90 (right): the right ear (channel 1) is the louder one there
    j = np.flatnonzero(
        (np.abs(raw.SourcePosition[:, 0] - 270) < 1e-6) & (raw.SourcePosition[:, 1] == 0)
    )[0]
    np.testing.assert_allclose(hrirset.far_field_shell.lookup(-90, 0)[0], raw.Data_IR[j] * 1.4)
    left, right = energy_db(hrirset.far_field_shell.lookup(90, 0)[0])
    assert left - right > 10


@needs_kemar
def test_kemar_head_centre_lies_between_the_ears_onsets():
    hrirset = load_sofa(KEMAR)
    d = hrirset.delay_samples
    front = hrirset.far_field_shell.lookup(0, 0)[
        0
    ]  # both ears ~90 deg from the source: onsets ~ head centre
    side = hrirset.far_field_shell.lookup(90, 0)[0]

    def onset(x):
        return np.argmax(np.abs(x) >= 0.25 * np.abs(x).max())

    assert abs(onset(front[0]) - d) <= 2.5
    assert onset(side[0]) < d - 5 and onset(side[1]) > d + 5  # leading left, lagging right


@needs_kemar
def test_kemar_resampled_to_24k_keeps_its_spectrum_and_delay():
    native = load_sofa(KEMAR)
    hrirset = load_hrirset(str(KEMAR), sample_rate=24000, calibration="raw")
    assert hrirset.sample_rate == 24000
    assert hrirset.delay_samples == pytest.approx(native.delay_samples * 24000 / 44100)
    a, b = native.far_field_shell.lookup(40, 20)[0], hrirset.far_field_shell.lookup(40, 20)[0]
    f = np.linspace(200, 9000, 50)  # (the polyphase filter's passband ends near 0.8 x 12 kHz)
    # transfer functions (filters): H(f) = sum_n h[n] exp(-2 pi i f n / fs), at 1 Hz bins
    spec_a = np.abs(np.fft.rfft(a, 44100)[:, f.astype(int)])
    spec_b = np.abs(np.fft.rfft(b, 24000)[:, f.astype(int)])
    np.testing.assert_allclose(20 * np.log10(spec_b / spec_a), 0, atol=0.2)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sofa") / "model.sofa"
    hrirset = build_model_hrirset(model="sphere", grid_deg=30.0, distances_m=[0.3, 1.5])
    write_sofa(hrirset, path)
    return hrirset, path


def test_written_sofa_verifies_and_reads_back_unchanged(model_file):
    hrirset, path = model_file
    sofa = sofar.read_sofa(str(path), verbose=False)
    assert sofa.verify(issue_handling="return") is None
    assert sofa.GLOBAL_SOFAConventions == "SimpleFreeFieldHRIR"
    # SOFA's own convention: azimuth in [0, 360), radius = distance
    assert sofa.SourcePosition[:, 0].min() >= 0 and sofa.SourcePosition[:, 0].max() < 360
    np.testing.assert_allclose(sofa.SourcePosition[:, 2], hrirset.distance_m)
    back = load_sofa(path)
    np.testing.assert_array_equal(back.ir, hrirset.ir)
    np.testing.assert_allclose(back.azimuth_deg, hrirset.azimuth_deg, atol=1e-9)
    np.testing.assert_allclose(back.elevation_deg, hrirset.elevation_deg, atol=1e-9)
    assert back.delay_samples == hrirset.delay_samples
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


@needs_mysofa
def test_libmysofa_reads_written_sofa(model_file):
    hrirset, path = model_file
    run = subprocess.run(["mysofa2json", str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    dump = json.loads(run.stdout)
    assert dump["Dimensions"]["M"] == hrirset.azimuth_deg.size
    assert float(dump["Attributes"]["BindataDelaySamples"]) == hrirset.delay_samples


def _write_raw(
    path,
    ir,
    source_positions,
    *,
    source_type="spherical",
    view=(1, 0, 0),
    up=(0, 0, 1),
    receivers=((0, 0.09, 0), (0, -0.09, 0)),
    rate=24000,
):
    sofa = sofar.Sofa("SimpleFreeFieldHRIR")
    sofa.Data_IR = np.asarray(ir, dtype=float)
    sofa.Data_SamplingRate = float(rate)
    sofa.SourcePosition = np.asarray(source_positions, dtype=float)
    if source_type == "cartesian":
        sofa.SourcePosition_Type, sofa.SourcePosition_Units = "cartesian", "metre"
    sofa.ListenerView = np.array([view], dtype=float)
    sofa.ListenerUp = np.array([up], dtype=float)
    sofa.ReceiverPosition = np.array(receivers, dtype=float)
    sofar.write_sofa(str(path), sofa)


def test_cartesian_positions_listener_orientation_and_receiver_order(tmp_path):
    # listener looking along +y (its left is -x); receivers (in the listener's own frame, as
    # SOFA defines them) stored right ear first
    ir = np.zeros((3, 2, 64))
    ir[:, 0, 20] = 1.0  # receiver 0 (right ear) ...
    ir[:, 1, 20] = 0.5  # ... receiver 1 (left ear, larger y)
    positions = [[0, 2, 0], [-2, 0, 0], [0, 0, -1]]  # ahead, to the left, below
    path = tmp_path / "rotated.sofa"
    _write_raw(
        path,
        ir,
        positions,
        source_type="cartesian",
        view=(0, 1, 0),
        receivers=((0, -0.09, 0), (0, 0.09, 0)),
    )
    hrirset = load_sofa(path)
    np.testing.assert_allclose(hrirset.azimuth_deg, [0, 90, 0], atol=1e-9)
    np.testing.assert_allclose(hrirset.elevation_deg, [0, 0, -90], atol=1e-9)
    np.testing.assert_allclose(hrirset.distance_m, [2, 2, 1])
    # left ear first; 1/r removed shell by shell (x distance)
    for shell in hrirset.shells:
        level = np.sqrt(np.sum(shell.ir**2, axis=-1))  # (the shells may be shifted fractionally)
        np.testing.assert_allclose(level[:, 0] / level[:, 1], 0.5, rtol=1e-6)
        np.testing.assert_allclose(level[:, 1], shell.distance_m, rtol=0.02)


def test_measured_shells_are_aligned_to_one_head_centre_arrival(tmp_path):
    """A 'measurement' of the sphere model: 1/r and the propagation delay put back per shell."""
    model = build_model_hrirset(model="sphere", grid_deg=30.0, distances_m=[0.3, 1.2])
    fs, n = model.sample_rate, model.n_taps
    extra = {0.3: 5, 1.2: 31}  # integer propagation delays (samples) per shell
    rows = []
    for shell in model.shells:
        k = extra[round(shell.distance_m, 1)]
        padded = np.zeros(shell.ir.shape[:2] + (n + 40,))
        padded[..., k : k + n] = shell.ir / shell.distance_m
        rows.append((shell, padded))
    ir = np.concatenate([p for _, p in rows])
    pos = np.concatenate(
        [
            np.stack(
                [s.azimuth_deg % 360, s.elevation_deg, np.full(s.azimuth_deg.size, s.distance_m)], 1
            )
            for s, _ in rows
        ]
    )
    path = tmp_path / "measured.sofa"
    _write_raw(path, ir, pos, rate=fs)
    loaded = load_sofa(path)
    # the earliest shell keeps its arrival (24 + 5 samples), the other is moved onto it
    assert loaded.delay_samples == pytest.approx(model.delay_samples + 5, abs=1.0)
    arrivals = []
    for shell in loaded.shells:
        units = spherical_to_cartesian(shell.azimuth_deg, shell.elevation_deg)
        arrivals.append(
            estimate_centre_arrival(
                shell.ir, units, np.full(len(units), shell.distance_m), fs, ear_units=ear_vectors()
            )
        )
        # and the level is the model's again (1/r removed)
        ref = model.nearest_shell(shell.distance_m).lookup(shell.azimuth_deg, shell.elevation_deg)
        np.testing.assert_allclose(energy_db(shell.ir), energy_db(ref), atol=0.05)
    assert abs(arrivals[0] - arrivals[1]) < 0.1


def test_frequency_domain_and_free_field_conventions_are_read(tmp_path):
    model = build_model_hrirset(model="sphere", grid_deg=45.0, distances_m=[1.5])
    tf = sofar.Sofa("SimpleFreeFieldHRTF")
    spectrum = np.fft.rfft(model.ir, axis=-1)
    tf.Data_Real, tf.Data_Imag = spectrum.real, spectrum.imag
    tf.N = np.fft.rfftfreq(model.n_taps, 1 / model.sample_rate)
    tf.SourcePosition = np.stack(
        [model.azimuth_deg % 360, model.elevation_deg, model.distance_m], 1
    )
    sofar.write_sofa(str(tmp_path / "tf.sofa"), tf)
    loaded = load_sofa(tmp_path / "tf.sofa")
    assert loaded.sample_rate == model.sample_rate
    np.testing.assert_allclose(loaded.ir / 1.5, model.ir, atol=1e-9)  # 1/r removed

    ff = sofar.Sofa("FreeFieldHRIR")  # one measurement, directions as emitters
    ff.Data_IR = np.moveaxis(model.ir, 0, -1)[None]  # (1, R, N, E)
    ff.EmitterPosition_Type, ff.EmitterPosition_Units = "spherical", "degree, degree, metre"
    ff.EmitterPosition = np.stack([model.azimuth_deg, model.elevation_deg, model.distance_m], 1)
    ff.Data_SamplingRate = float(model.sample_rate)
    ff.Data_Delay = np.zeros((1, 2, 1))
    sofar.write_sofa(str(tmp_path / "ff.sofa"), ff)
    loaded = load_sofa(tmp_path / "ff.sofa")
    np.testing.assert_allclose(loaded.azimuth_deg, model.azimuth_deg, atol=1e-9)
    np.testing.assert_allclose(loaded.elevation_deg, model.elevation_deg, atol=1e-9)


def _bad_files(tmp_path) -> dict:
    files = {"missing": (tmp_path / "absent.sofa", "no such file")}
    text = tmp_path / "text.sofa"
    text.write_text("hello, not a SOFA file\n")
    files["not SOFA"] = (text, "not a SOFA file")
    for name in ("GeneralFIR", "SimpleFreeFieldHRSOS"):
        path = tmp_path / f"{name}.sofa"
        sofar.write_sofa(str(path), sofar.Sofa(name))
        files[name] = (path, f"SOFA convention '{name}' is not a free-field HRIR set")
    one = sofar.Sofa("SimpleFreeFieldHRIR")
    one.Data_IR = np.ones((2, 1, 16))
    one.ReceiverPosition = np.array([[0, 0.09, 0]])
    one.SourcePosition = np.array([[0, 0, 1], [90, 0, 1]])
    one.Data_Delay = np.zeros((1, 1))
    sofar.write_sofa(str(tmp_path / "one.sofa"), one)
    files["one receiver"] = (tmp_path / "one.sofa", "1 receiver(s)")
    return files


def test_bad_input_gives_one_line_naming_file_and_problem(tmp_path):
    for path, problem in _bad_files(tmp_path).values():
        with pytest.raises(HRIRError) as info:
            load_hrirset(str(path))
        message = str(info.value)
        assert "\n" not in message and str(path) in message and problem in message


def _small_set(path, ir):
    """A SimpleFreeFieldHRIR file of ``ir`` (M, 2, N) on the horizontal plane at 1 m."""
    sofa = sofar.Sofa("SimpleFreeFieldHRIR")
    sofa.Data_IR = ir
    m = ir.shape[0]
    sofa.SourcePosition = np.stack([np.arange(m) * 360.0 / m, np.zeros(m), np.ones(m)], axis=1)
    sofa.Data_Delay = np.zeros((1, 2))
    sofar.write_sofa(str(path), sofa)
    return path


@pytest.mark.parametrize(
    ("kind", "measurement", "receiver", "problem"),
    [
        ("nan", 2, 1, "NaN or infinite"),
        ("inf", 1, 0, "NaN or infinite"),
        ("zero", 3, 0, "zero at every tap"),
    ],
)
def test_sofa_with_nan_inf_or_silent_responses_is_refused(
    tmp_path, kind, measurement, receiver, problem
):
    ir = np.random.default_rng(1).standard_normal((6, 2, 32))
    ir[5, 0] = 0.0
    ir[5, 0, 4] = 1e-30  # tiny but not silent: fine
    if kind == "zero":
        ir[measurement, receiver] = 0.0
    else:
        ir[measurement, receiver, 7] = np.nan if kind == "nan" else np.inf
        ir[4, 1, 3] = np.nan  # a later bad response: the first one is named
    path = _small_set(tmp_path / f"{kind}.sofa", ir)
    before = path.read_bytes()
    for load in (load_sofa, load_hrirset):
        with pytest.raises(HRIRError) as info:
            load(str(path))
        message = str(info.value)
        assert message.startswith(f"{path}: measurement {measurement} (receiver {receiver},")
        assert problem in message and "\n" not in message
    assert path.read_bytes() == before
    ir[measurement, receiver] = 1.0  # the same file repaired loads
    ir[4, 1, 3] = 0.5
    assert load_sofa(_small_set(tmp_path / "fixed.sofa", ir)).ir.shape[:2] == (6, 2)
