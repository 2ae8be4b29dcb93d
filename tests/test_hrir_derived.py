"""The in-memory cache of objects derived from HRIR arrays (bindata.hrir.derived)."""

from __future__ import annotations

import ast
import gc
from pathlib import Path

import numpy as np

import bindata.hrir as hrir_pkg
from bindata.hrir import build_model_hrirset, calibrate
from bindata.hrir.derived import cached_kinds, clear
from bindata.hrir.lookup import shell_lookup
from bindata.render.assembly import shell_bank

HRIR_DIR = Path(hrir_pkg.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Relative modules imported anywhere in a module (top level or inside functions)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names.add(node.module or "")
    return names


def test_no_import_cycle_between_the_container_and_the_lookup():
    assert "lookup" in imported_modules(HRIR_DIR / "hrirset.py")
    assert "hrirset" not in imported_modules(HRIR_DIR / "lookup.py")
    assert imported_modules(HRIR_DIR / "derived.py") == set()


def test_shells_share_one_lookup_and_carry_no_cache():
    clear()
    hrirset = build_model_hrirset(model="sphere", grid_deg=30.0, distances_m=[0.5, 1.0, 3.0])
    lookups = {id(shell_lookup(s)) for s in hrirset.shells}
    assert len(lookups) == 1 and cached_kinds() == ["direction_lookup"]
    shell = hrirset.far_field_shell
    assert (
        shell.nearest_index(90, 0)[0]
        == np.flatnonzero((shell.azimuth_deg == 90) & (shell.elevation_deg == 0))[0]
    )
    bank = shell_bank(shell)
    assert shell_bank(shell) is bank
    assert set(vars(shell)) == {"distance_m", "azimuth_deg", "elevation_deg", "ir"}
    # a calibrated set holds new arrays: its own bank, scaled by the gain
    cal = calibrate(hrirset)
    cal_bank = shell_bank(cal.far_field_shell)
    assert cal_bank is not bank
    gain = 10 ** (cal.calibration_gain_db / 20)
    np.testing.assert_allclose(cal_bank.matrix, bank.matrix * gain, rtol=1e-6, atol=1e-9)
    # entries die with their arrays
    del hrirset, shell, cal, bank, cal_bank
    gc.collect()
    assert cached_kinds() == []
