"""``bindata hrir info | build | nearfield`` through the click root command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sofar
from click.testing import CliRunner

from bindata.cli import cli

KEMAR = Path("/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_build_writes_verified_sofa_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "sphere.sofa"
    args = ("hrir", "build", "--model", "sphere", "--rate", 16000, "--grid-deg", 30, "--out", out)
    res = run(*args)
    assert res.exit_code == 0, res.output
    sofa = sofar.read_sofa(str(out), verbose=False)
    assert sofa.verify(issue_handling="return") is None
    assert sofa.Data_SamplingRate == 16000 and sofa.Data_IR.shape[1] == 2
    assert np.allclose(np.unique(sofa.SourcePosition[:, 2]), [*np.arange(0.2, 1.51, 0.1), 3.0])
    if shutil.which("mysofa2json"):
        dump = subprocess.run(["mysofa2json", str(out)], capture_output=True, timeout=60)
        assert dump.returncode == 0, dump.stderr
    before = out.read_bytes()
    res = run(*args)
    assert res.exit_code == 2 and "--overwrite" in res.output and str(out) in res.output
    assert out.read_bytes() == before
    assert run(*args, "--overwrite").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sphere.sofa"]  # no temporary left


def test_info_describes_a_set(tmp_path):
    out = tmp_path / "s.sofa"
    run("hrir", "build", "--model", "sphere", "--grid-deg", 45, "--out", out)
    res = run("hrir", "info", out)
    assert res.exit_code == 0, res.output
    for text in ("SimpleFreeFieldHRIR", "24000 Hz", "15 shell(s)", "0.2, 0.3", "coverage"):
        assert text in res.output
    res = run("hrir", "info", "--json", out)
    assert res.exit_code == 0 and '"n_taps": 256' in res.output


@pytest.mark.skipif(not KEMAR.exists(), reason="needs Debian's libmysofa1 (KEMAR)")
def test_nearfield_adds_shells_to_kemar(tmp_path):
    out = tmp_path / "kemar_nf.sofa"
    res = run("hrir", "nearfield", KEMAR, "--rate", 24000, "--out", out)
    assert res.exit_code == 0, res.output
    sofa = sofar.read_sofa(str(out), verbose=False)
    assert sofa.verify(issue_handling="return") is None
    # the measured 1.4 m shell stays the far-field one; nothing beyond it is extrapolated
    assert np.allclose(np.unique(sofa.SourcePosition[:, 2]), np.arange(0.2, 1.41, 0.1))
    assert run("hrir", "nearfield", KEMAR, "--out", out).exit_code == 2


@pytest.mark.parametrize("kind", ["missing", "text", "GeneralFIR", "one_receiver", "nan", "zero"])
def test_bad_files_exit_2_with_one_line(tmp_path, kind):
    path = tmp_path / f"{kind}.sofa"
    if kind == "text":
        path.write_text("not netCDF")
    elif kind == "GeneralFIR":
        sofar.write_sofa(str(path), sofar.Sofa("GeneralFIR"))
    elif kind == "one_receiver":
        one = sofar.Sofa("SimpleFreeFieldHRIR")
        one.Data_IR = np.ones((2, 1, 8))
        one.ReceiverPosition = np.array([[0, 0.09, 0]])
        one.SourcePosition = np.array([[0, 0, 1], [90, 0, 1]])
        one.Data_Delay = np.zeros((1, 1))
        sofar.write_sofa(str(path), one)
    elif kind in ("nan", "zero"):
        broken = sofar.Sofa("SimpleFreeFieldHRIR")
        broken.Data_IR = np.ones((3, 2, 8))
        broken.Data_IR[1, 0] = np.nan if kind == "nan" else 0.0
        broken.SourcePosition = np.array([[0, 0, 1], [90, 0, 1], [180, 0, 1]])
        sofar.write_sofa(str(path), broken)
    for args in (("hrir", "info", path), ("hrir", "nearfield", path, "--out", tmp_path / "o.sofa")):
        res = run(*args)
        assert res.exit_code == 2
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("bindata: error: ") and str(path) in lines[0]
        if kind in ("nan", "zero"):
            assert "measurement 1 (receiver 0" in lines[0]
    assert not (tmp_path / "o.sofa").exists()
