"""Several heads per dataset, drawn head parameters, the diffuse-field level and HRIR models
installed through the ``bindata.hrirs`` entry points (docs/hrir.md)."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

import bindata
from bindata.cli import cli
from bindata.hrir import (
    HRIRSet,
    build_model_hrirset,
    calibrate,
    diffuse_level_db,
    write_sofa,
)
from bindata.hrir import registry as hrir_registry
from bindata.hrir.cache import cache_path
from bindata.hrir.calibration import direction_weights
from bindata.synth.heads import clear_heads, load_head

SMALL = ["--duration", "2", "--events-per-file", "1", "2", "--quiet"]
FS = 24000
C = 343.0


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """A folder of two small SOFA sets, each another head: a sphere of 8 cm measured at 1 and
    3 m, and a structural head of 9.5 cm measured at 1.4 m (one shell: --nearfield adds some)."""
    folder = tmp_path_factory.mktemp("heads") / "sets"
    folder.mkdir()
    a = build_model_hrirset(model="sphere", grid_deg=30, distances_m=[1.0, 3.0], radius_m=0.08)
    b = build_model_hrirset(model="structural", grid_deg=30, distances_m=[1.4], radius_m=0.095)
    write_sofa(a, folder / "a.sofa")
    write_sofa(b, folder / "b.sofa")
    return folder


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_two_sofa_sets_and_the_builtin_head_split_by_subject(sets, tmp_path):
    out = tmp_path / "ds"
    done = run(
        "synth", "--out", out, "--n", 6, "--folds", 3, "--hrir", "builtin", "--hrir", sets,
        "--nearfield", "--hrir-split", "subjects", *SMALL,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    scenes = {p.stem: json.loads(p.read_text()) for p in sorted((out / "scenes").glob("*.json"))}
    heads = {s["fold"]: set() for s in scenes.values()}
    for s in scenes.values():
        heads[s["fold"]].add(s["hrir"]["spec"])
    # the three heads dealt to the three folds in order: no test fold's head is trained on
    assert heads == {1: {"builtin"}, 2: {str(sets / "a.sofa")}, 3: {str(sets / "b.sofa")}}
    for k, mine in heads.items():
        assert not mine & set().union(*(h for f, h in heads.items() if f != k))
    records = {s["hrir"]["spec"]: s["hrir"] for s in scenes.values()}
    assert "sha256" not in records["builtin"] and len(records[str(sets / "a.sofa")]["sha256"]) == 64
    assert records[str(sets / "b.sofa")]["distances_m"][0] == pytest.approx(0.2)  # near field
    manifest = json.loads((out / "manifest.json").read_text())
    assert [(h["spec"], h["folds"]) for h in manifest["hrir"]["heads"]] == [
        ("builtin", [1]),
        (str(sets / "a.sofa"), [2]),
        (str(sets / "b.sofa"), [3]),
    ]
    assert run("validate", out).exit_code == 0
    clear_heads()  # regen loads each head afresh
    for stem in scenes:
        regen = run("regen", out / "scenes" / f"{stem}.json")
        assert regen.exit_code == 0 and "identical" in regen.output, regen.output


def test_each_file_draws_its_head_from_a_stream_of_its_own(sets):
    entries = ["builtin", str(sets / "a.sofa"), str(sets / "b.sofa")]
    one = bindata.Synthesizer(seed=4, n_files=12, n_folds=3, duration_s=2)
    many = bindata.Synthesizer(seed=4, n_files=12, n_folds=3, duration_s=2, hrir=entries)
    drawn = [many.sample(i) for i in range(12)]
    assert {s.hrir.source for s in drawn} == set(entries)  # every head is drawn
    for i, scene in enumerate(drawn):  # and nothing else about the file changes
        assert scene.to_json() | {"hrir": None} == one.sample(i).to_json() | {"hrir": None}
    again = bindata.Synthesizer(seed=4, n_files=12, n_folds=3, duration_s=2, hrir=entries)
    assert [again.sample(i).hrir for i in range(12)] == [s.hrir for s in drawn]
    # a split given as a mapping: folds 1-2 hear set a only, fold 3 the other two
    split = {"1": [entries[1]], "2": [entries[1]], "3": [entries[0], entries[2]]}
    mapped = bindata.Synthesizer(
        seed=4, n_files=12, n_folds=3, duration_s=2, hrir=entries, hrir_split=split
    )
    for i in range(12):
        scene = mapped.sample(i)
        assert scene.hrir.source in split[str(scene.fold)]


def interaural_phase_delay_s(hrirset: HRIRSet, freq_hz: float = 300.0) -> float:
    """Interaural phase delay (s) of a source at azimuth 90, elevation 0 at ``freq_hz``."""
    h = hrirset.far_field_shell.lookup(90.0, 0.0)[0]
    n = np.arange(h.shape[-1])
    left, right = (np.sum(h[e] * np.exp(-2j * np.pi * freq_hz * n / FS)) for e in (0, 1))
    return float(np.angle(left / right) / (2 * np.pi * freq_hz))  # the right ear lags


def test_drawn_head_radius_reaches_the_model_and_keys_its_cache():
    syn = bindata.Synthesizer(
        seed=1, n_files=8, n_folds=2, duration_s=2, head_radius_m=(0.08, 0.0825)
    )
    radii = [syn.sample(i).hrir.head_radius_m for i in range(8)]
    assert set(radii) == {0.08, 0.0825}  # the 2.5 mm grid of the range
    names = {syn.sample(i).hrir.name for i in range(8)}
    assert names == {
        f"bindata-structural-v1 (a={r} m, ears +-100.0 deg, c=343.0 m/s)" for r in (0.08, 0.0825)
    }
    # a rigid sphere's low-frequency interaural delay grows in proportion to its radius
    # (Kuhn 1977: 3 a sin(theta) / c below ~500 Hz)
    small, large = (
        build_model_hrirset(model="sphere", grid_deg=30, distances_m=[3.0], radius_m=a)
        for a in (0.08, 0.095)
    )
    ratio = interaural_phase_delay_s(large) / interaural_phase_delay_s(small)
    assert ratio == pytest.approx(0.095 / 0.08, rel=0.01)
    kuhn = 3 * 0.095 * np.sin(np.deg2rad(80.0)) / C  # the ears sit 10 degrees behind 90
    assert interaural_phase_delay_s(large) == pytest.approx(kuhn, rel=0.05)
    # the cache is keyed by the parameters; the default head keeps its file
    default = cache_path(model="structural", sample_rate=FS)
    assert cache_path(model="structural", sample_rate=FS, radius_m=0.08) != default
    assert cache_path(model="structural", sample_rate=FS, radius_m=0.0875) == default
    # a default config draws and records nothing about the head
    scene = bindata.Synthesizer(seed=1, n_files=2, n_folds=2, duration_s=2).sample(0)
    assert "head_radius_m" not in scene.to_json()["hrir"]


def flat_set(azimuth_deg, elevation_deg, gain) -> HRIRSet:
    """Responses that are a scaled unit impulse (a flat spectrum) per direction."""
    ir = np.zeros((len(gain), 2, 64))
    ir[:, :, 24] = np.asarray(gain)[:, None]
    return HRIRSet(azimuth_deg, elevation_deg, np.full(len(gain), 2.0), ir, FS, delay_samples=24.0)


def test_diffuse_level_is_the_average_over_the_sphere_however_it_is_sampled():
    rng = np.random.default_rng(0)
    v = rng.standard_normal((3000, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    v = v[(v[:, 2] > 0) | (rng.uniform(size=3000) < 0.2)]  # five times denser above
    az, el = np.rad2deg(np.arctan2(v[:, 1], v[:, 0])), np.rad2deg(np.arcsin(v[:, 2]))
    # power 1 + 0.8 sin(el): its mean over the sphere is 1 (0 dB); over the points, more
    power = 1.0 + 0.8 * v[:, 2]
    hrirset = flat_set(az, el, np.sqrt(power))
    assert 10 * np.log10(power.mean()) > 1.0  # an unweighted mean would be biased
    assert diffuse_level_db(hrirset) == pytest.approx(0.0, abs=0.05)
    weights = direction_weights(hrirset.far_field_shell)
    assert weights.sum() == pytest.approx(1.0)
    cal = calibrate(flat_set(az, el, 0.1 * np.sqrt(power)), "diffuse")
    assert cal.calibration_gain_db == pytest.approx(20.0, abs=0.05)
    assert diffuse_level_db(cal) == pytest.approx(0.0, abs=1e-9)


def test_diffuse_calibration_and_its_band_are_recorded_and_regenerated(tmp_path):
    out = tmp_path / "ds"
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"hrir": {"calibration_band_hz": [500.0, 4000.0]}}))
    done = run(
        "synth", "--out", out, "--n", 2, "--folds", 2, "--config", config,
        "--hrir-level", "diffuse", *SMALL,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    scene = next((out / "scenes").glob("*.json"))
    record = json.loads(scene.read_text())["hrir"]
    assert record["calibration"] == "diffuse" and record["calibration_band_hz"] == [500.0, 4000.0]
    hrirset, _ = load_head(
        "builtin", nearfield=False, sample_rate=FS, calibration="diffuse", band_hz=(500, 4000)
    )
    assert diffuse_level_db(hrirset, (500.0, 4000.0)) == pytest.approx(0.0, abs=1e-9)
    assert record["calibration_gain_db"] == pytest.approx(hrirset.calibration_gain_db, abs=1e-4)
    clear_heads()
    assert "identical" in run("regen", scene).output


TINY_HEAD = '''
import numpy as np
from bindata.hrir import HRIRSet


class TinyHead:
    """A spherical head as interaural delay and level only (a third-party model)."""

    parameters = ("head_radius_m",)

    def build(self, *, sample_rate, head_radius_m=0.09):
        az = np.repeat(np.arange(0.0, 360.0, 30.0), 5)
        el = np.tile([-60.0, -30.0, 0.0, 30.0, 60.0], 12)
        lateral = np.cos(np.deg2rad(el)) * np.sin(np.deg2rad(az))  # +1 at the left
        itd = head_radius_m / 343.0 * (np.arcsin(lateral) + lateral)  # Woodworth, seconds
        ir = np.zeros((az.size, 2, 64))
        n = np.arange(64)
        delay = 16.0
        for e, sign in ((0, -1.0), (1, 1.0)):
            shift = delay + sign * 0.5 * itd * sample_rate
            gain = 10 ** (-3.0 * sign * lateral / 20)
            ir[:, e] = gain[:, None] * np.sinc(n[None, :] - shift[:, None]) * np.hanning(64)
        return HRIRSet(az, el, np.full(az.size, 2.0), ir, sample_rate, delay_samples=delay,
                       name=f"tiny head (a={head_radius_m} m)")
'''


@pytest.fixture
def tiny_head_installed(tmp_path, monkeypatch):
    """A package with a ``bindata.hrirs`` entry point, on the path as if pip-installed."""
    site = tmp_path / "site"
    (site / "tinyhead").mkdir(parents=True)
    (site / "tinyhead" / "__init__.py").write_text(textwrap.dedent(TINY_HEAD))
    info = site / "tinyhead-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinyhead\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[bindata.hrirs]\ntiny = tinyhead:TinyHead\n")
    monkeypatch.syspath_prepend(str(site))
    hrir_registry.clear_cache()
    clear_heads()
    yield
    monkeypatch.undo()
    hrir_registry.clear_cache()
    clear_heads()


def test_a_third_party_hrir_model_renders_a_dataset(tiny_head_installed, tmp_path):
    assert "tiny" in run("hrir", "models").output
    out = tmp_path / "ds"
    done = run(
        "synth", "--out", out, "--n", 4, "--folds", 2, "--hrir", "tiny", "--hrir", "builtin",
        "--head-radius", 0.08, 0.09, *SMALL,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    scenes = [json.loads(p.read_text()) for p in sorted((out / "scenes").glob("*.json"))]
    tiny = [s["hrir"] for s in scenes if s["hrir"]["spec"] == "tiny"]
    assert tiny and all(h["name"] == f"tiny head (a={h['head_radius_m']} m)" for h in tiny)
    assert all("sha256" not in h for h in tiny)
    assert run("validate", out).exit_code == 0
    clear_heads()
    for path in sorted((out / "scenes").glob("*.json")):
        assert "identical" in run("regen", path).output


@pytest.mark.parametrize(
    "case, args, words",
    [
        ("empty folder", ["--hrir", "{empty}"], ["--hrir", "{empty}", "holds no *.sofa"]),
        ("unknown set", ["--hrir", "nosuch"], ["--hrir", "'nosuch'", "no such file or folder"]),
        (
            "too few heads for the folds",
            ["--hrir", "builtin", "--hrir", "{a}", "--folds", "3", "--hrir-split", "subjects"],
            ["--hrir-split", "2 head(s) to 3 folds", "without heads"],
        ),
        (
            "a fold the mapping leaves out",
            ["--hrir", "builtin", "--hrir", "{a}", "--folds", "2", "--hrir-split", "1=builtin"],
            ["--hrir-split", "fold(s) [2] without heads"],
        ),
        (
            "a radius no head takes",
            ["--hrir", "{a}", "--head-radius", "0.08", "0.09"],
            ["--head-radius", "no head of hrir.sofa takes it"],
        ),
    ],
)
def test_bad_heads_are_one_clear_error_and_nothing_is_written(sets, tmp_path, case, args, words):
    empty = tmp_path / "empty"
    empty.mkdir()
    names = {"empty": empty, "a": sets / "a.sofa"}
    out = tmp_path / "out"
    result = run("synth", "--out", out, "--n", 4, *[a.format(**names) for a in args], *SMALL)
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert message.count("\n") == 0, message
    for word in words:
        assert word.format(**names) in message, message
    assert not out.exists()
