"""Provenance: the manifest records the SOFA file's SHA-256; validate warns when it changed."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from click.testing import CliRunner

from bindata.cli import cli

from .conftest import KEMAR_SOFA

pytestmark = pytest.mark.skipif(not KEMAR_SOFA.is_file(), reason="MIT KEMAR SOFA not installed")


def test_manifest_records_sofa_sha256_and_validate_warns_on_change(tmp_path):
    sofa = tmp_path / "kemar.sofa"
    shutil.copyfile(KEMAR_SOFA, sofa)
    out = tmp_path / "ds"
    r = CliRunner().invoke(
        cli,
        [
            "synth",
            "--out",
            str(out),
            "--n",
            "1",
            "--folds",
            "1",
            "--duration",
            "2",
            "--anechoic",
            "--hrir",
            str(sofa),
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["hrir"]["spec"] == str(sofa)
    assert manifest["hrir"]["sha256"] == hashlib.sha256(sofa.read_bytes()).hexdigest()
    r = CliRunner().invoke(cli, ["validate", str(out)])
    assert r.exit_code == 0 and "warning" not in r.output, r.output
    with open(sofa, "ab") as fh:  # the file at that path changes
        fh.write(b"\0")
    r = CliRunner().invoke(cli, ["validate", str(out)])
    assert r.exit_code == 0, r.output  # the dataset itself is still valid
    assert f"warning: {sofa}: the HRIR file has changed" in r.output
    sofa.unlink()
    r = CliRunner().invoke(cli, ["validate", str(out)])
    assert (
        f"warning: {sofa}: the HRIR file the dataset was made with is no longer there" in r.output
    )
