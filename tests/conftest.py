"""Shared test fixtures: an isolated HRIR cache and small synthesized datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Build the built-in HRIR set into a per-session cache, never the user's."""
    old = os.environ.get("BINDATA_CACHE_DIR")
    os.environ["BINDATA_CACHE_DIR"] = str(tmp_path_factory.mktemp("bindata-cache"))
    yield
    if old is None:
        os.environ.pop("BINDATA_CACHE_DIR", None)
    else:
        os.environ["BINDATA_CACHE_DIR"] = old


KEMAR_SOFA = Path("/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa")
FREEDESKTOP_SOUNDS = Path("/usr/share/sounds/freedesktop/stereo")
