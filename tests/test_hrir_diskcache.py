"""The on-disk cache of derived HRIR data: what is read back is what was computed.

* Nearest-direction lookup tables (:mod:`bindata.hrir.lookup`): a lookup read from its cache
  file answers every query as brute force does; a damaged file is rebuilt.
* Prepared SOFA heads (:mod:`bindata.hrir.prepared`): the set read back equals, array for
  array, the set prepared without any cache; the file's name, the options and the file's bytes
  each make another cache entry; a damaged file is prepared anew.
"""

from __future__ import annotations

import numpy as np
import pytest

from bindata.geometry import spherical_to_cartesian
from bindata.hrir import (
    build_model_hrirset,
    derived,
    load_hrirset,
    lookup,
    nearfield_from_farfield,
    prepared,
    write_sofa,
)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("BINDATA_CACHE_DIR", str(folder))
    return folder


def _forget_lookups():
    derived.clear()
    lookup._BY_CONTENT.clear()


def test_lookup_tables_read_back_answer_as_brute_force(cache, monkeypatch):
    rng = np.random.default_rng(7)
    az, el = rng.uniform(-180, 180, 300), np.degrees(np.arcsin(rng.uniform(-1, 1, 300)))
    units = spherical_to_cartesian(az, el)
    queries = rng.normal(size=(20000, 3))
    truth = np.argmax(queries @ units.T, axis=1)
    _forget_lookups()
    built = lookup.direction_lookup(az, el)
    files = sorted(cache.glob("lookup-*.npz"))
    assert len(files) == 1
    _forget_lookups()
    monkeypatch.setattr(lookup.DirectionLookup, "_build", lambda self: 1 / 0)  # must not build
    read = lookup.direction_lookup(az, el)
    assert read is not built
    np.testing.assert_array_equal(read.table, built.table)
    np.testing.assert_array_equal(read.query_vectors(queries), truth)
    monkeypatch.undo()
    monkeypatch.setenv("BINDATA_CACHE_DIR", str(cache))
    for damage in (b"not a zip", None):
        if damage is None:  # tables of another grid under this name: out of range
            other = np.zeros(2 * lookup.FINE_CELLS**2, dtype=np.int32) + 400
            np.savez(files[0], table=other, candidates=np.zeros((0, 4), dtype=np.int32))
        else:
            files[0].write_bytes(damage)
        _forget_lookups()
        again = lookup.direction_lookup(az, el)
        np.testing.assert_array_equal(again.query_vectors(queries), truth)
    _forget_lookups()


def _same_set(a, b):
    for name in ("azimuth_deg", "elevation_deg", "distance_m", "ir"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in (
        "sample_rate",
        "delay_samples",
        "name",
        "calibration",
        "calibration_gain_db",
        "calibration_band_hz",
    ):
        assert getattr(a, name) == getattr(b, name), name


def test_prepared_sofa_head_read_back_is_the_prepared_set(cache, tmp_path, monkeypatch):
    path = tmp_path / "head.sofa"
    write_sofa(
        build_model_hrirset(model="structural", grid_deg=30, distances_m=[1.4], radius_m=0.095),
        path,
    )
    options = {"sample_rate": 16000, "calibration": "diffuse", "band_hz": (300.0, 3000.0)}
    fresh = nearfield_from_farfield(load_hrirset(str(path), **options))  # no cache involved
    first = prepared.prepared_hrirset(str(path), nearfield=True, **options)
    _same_set(first, fresh)
    assert len(first.distances) > 1 and first.calibration_band_hz == (300.0, 3000.0)
    (entry,) = cache.glob("head-*.npz")
    monkeypatch.setattr(prepared, "load_hrirset", lambda *a, **k: 1 / 0)  # must not prepare
    second = prepared.prepared_hrirset(str(path), nearfield=True, **options)
    _same_set(second, fresh)
    monkeypatch.undo()
    monkeypatch.setenv("BINDATA_CACHE_DIR", str(cache))
    # another option, another name for the same bytes, other bytes: other entries
    prepared.prepared_hrirset(str(path), nearfield=False, **options)
    renamed = tmp_path / "other.sofa"
    renamed.write_bytes(path.read_bytes())
    other = prepared.prepared_hrirset(str(renamed), nearfield=True, **options)
    assert other.name.startswith("other.sofa") and first.name.startswith("head.sofa")
    assert len(list(cache.glob("head-*.npz"))) == 3
    entry.write_bytes(b"damaged")
    _same_set(prepared.prepared_hrirset(str(path), nearfield=True, **options), fresh)
