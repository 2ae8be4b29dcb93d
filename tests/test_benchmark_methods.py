"""The nine methods as data (against the paper's section 3), targets, Eq. (1), paper figures."""

from __future__ import annotations

import numpy as np
import pytest

from bindata.benchmark.methods import get_method, load_methods, select_methods
from bindata.benchmark.targets import (
    combine_product,
    frames_per_label,
    label_activity,
    to_label_frames,
    upsample,
)
from bindata.errors import BenchmarkError, ConfigError
from bindata.resources import load_metadata
from bindata.scene.labels import ROW_DTYPE

# Section 3 of the paper: (Q, G, C) per model.
PAPER_QGC = {
    "UneqOne": [(1, 128, 6)],
    "EqSepMod": [(1, 64, 2)] * 3,
    "EqSepBran": [(3, 64, 2)],
    "EqOne": [(1, 128, 8)],
    "UneqSingle": [(1, 128, 12)],
    "UneqMulti": [(1, 128, 8)],
    "EqSepMod-J": [(1, 64, 2)] * 4,
    "EqSepBran-J": [(4, 64, 2)],
    "EqOne-J": [(1, 128, 10)],
}


def test_methods_match_the_paper():
    methods = load_methods()
    assert list(methods) == list(PAPER_QGC)
    for name, expected in PAPER_QGC.items():
        got = [(q, gs[0], cs[0]) for q, gs, cs in methods[name].q_g_c]
        assert got == expected, name
        for q, gs, cs in methods[name].q_g_c:
            assert len(set(gs)) == 1 and len(set(cs)) == 1 and len(gs) == q


def test_joint_sep_mod_reuses_the_plane_models():
    m = get_method("EqSepMod-J")
    assert [(x.owner, x.name) for x in m.models] == [
        ("EqSepMod", "lr"),
        ("EqSepMod", "fb"),
        ("EqSepMod", "tb"),
        ("EqSepMod-J", "proximity"),
    ]
    assert get_method("EqSepMod").models == m.models[:3]


def test_selection_and_errors():
    assert [m.name for m in select_methods(["EqOne", " UneqOne"])] == ["EqOne", "UneqOne"]
    assert [m.name for m in select_methods("EqOne")] == ["EqOne"]
    assert len(select_methods("all")) == len(select_methods()) == 9
    with pytest.raises(BenchmarkError, match="selection is empty"):
        select_methods([" "])
    with pytest.raises(BenchmarkError, match="known: UneqOne"):
        get_method("Nope")


def test_a_method_whose_outputs_differ_from_its_view_is_refused():
    spec = {
        "methods": {
            "X": {
                "stage": 1,
                "output_view": "planes",
                "scores": {},
                "models": [{"name": "main", "branches": [{"view": "lr", "units": 8}]}],
            }
        }
    }
    with pytest.raises(ConfigError, match="output_view"):
        load_methods(spec)
    spec["methods"]["X"]["output_view"] = "lr"
    spec["methods"]["X"]["scores"] = {"single": {"view": "octants_eq1"}}  # needs all 3 planes
    with pytest.raises(ConfigError, match="cannot be scored from a 'lr' submission"):
        load_methods(spec)


def _rows(entries):
    """(frame, azimuth, elevation, distance_cm) tuples as DCASE rows."""
    out = np.zeros(len(entries), dtype=ROW_DTYPE)
    for i, (f, az, el, d) in enumerate(entries):
        out[i] = (f, 0, i, az, el, d)
    return out


def test_targets_follow_the_class_definitions():
    # frame 0: near source front-left-up (az 30, el 10, 1 m); frame 2: far, right-back-down
    rows = _rows([(0, 30, 10, 100), (2, -150, -50, 500)])
    multi = get_method("UneqMulti").models[0]
    act = label_activity(rows, n_frames=3, views=multi.views)
    cls = list(multi.classes)
    assert cls == ["near", "far", "front", "back", "left", "right", "top", "bottom"]
    assert {cls[j] for j in np.flatnonzero(act[0])} == {"near", "front"}
    assert not act[1].any()
    assert {cls[j] for j in np.flatnonzero(act[2])} == {"far", "bottom"}
    bran = get_method("EqSepBran-J").models[0]
    act = label_activity(rows, n_frames=3, views=bran.views)
    names = [c for j, c in enumerate(bran.classes) if act[0, j]]
    assert names == ["left", "front", "top", "near"]
    names = [c for j, c in enumerate(bran.classes) if act[2, j]]
    assert names == ["right", "back", "bottom", "far"]
    octs = label_activity(rows, n_frames=3, views=get_method("EqOne").models[0].views)
    classes = get_method("EqOne").models[0].classes
    assert classes[int(np.argmax(octs[0]))] == "top-front-left"
    assert classes[int(np.argmax(octs[2]))] == "bottom-back-right"
    assert octs.sum(axis=1).tolist() == [1, 0, 1]


def test_rates_between_label_and_feature_frames():
    assert frames_per_label(0.02) == 5
    with pytest.raises(BenchmarkError):
        frames_per_label(0.03)
    lab = np.array([[1, 0], [0, 1], [1, 1]], dtype=bool)
    up = upsample(lab, n_feature_frames=15, ratio=5)
    assert up.shape == (15, 2) and up.dtype == np.float32
    assert np.array_equal(up[::5], lab) and np.array_equal(up[4::5], lab)
    probs = np.repeat(np.array([[0.2, 0.9], [0.6, 0.1]]), 5, axis=0)
    probs[0, 0] = 0.7  # mean of frame 0: (0.7 + 4 * 0.2) / 5 = 0.3
    back = to_label_frames(probs, n_label_frames=3, ratio=5)
    assert np.allclose(back, [[0.3, 0.9], [0.6, 0.1], [0.6, 0.1]])  # missing frame repeats


def test_eq1_is_the_cube_root_of_the_plane_product():
    probs = {
        "left": np.array([0.9, 0.2]),
        "right": np.array([0.1, 0.8]),
        "front": np.array([0.8, 0.5]),
        "back": np.array([0.3, 0.5]),
        "top": np.array([0.7, 0.1]),
        "bottom": np.array([0.2, 0.9]),
    }
    octs = combine_product("octants", probs)
    assert octs.shape == (2, 8)
    assert np.isclose(octs[0, 0], (0.7 * 0.8 * 0.9) ** (1 / 3))  # top-front-left
    assert np.isclose(octs[1, 7], (0.9 * 0.5 * 0.8) ** (1 / 3))  # bottom-back-right
    # thresholding at 0.5 can activate several octants: 0.504, 0.189 and 0.144 clear 0.125
    assert (octs[0] >= 0.5).tolist() == [True, False, True, False, True, False, False, False]
    with pytest.raises(BenchmarkError):
        combine_product("planes", probs)


def test_paper_figures_as_printed():
    t = load_metadata("paper_results")["tables"]
    assert t["3"]["values"]["UneqOne"] == {
        "lr": 71.39,
        "fb": 39.91,
        "tb": 28.66,
        "single": 51.98,
        "multi": None,
    }
    assert t["3"]["values"]["EqSepMod"]["multi"] == 73.11
    assert t["4"]["values"]["EqSepBran"] == {
        "lr": 87.45,
        "fb": 73.88,
        "tb": 73.10,
        "single": 46.79,
        "multi": 78.05,
    }
    assert t["4"]["values"]["EqOne"]["single"] == 34.11
    assert t["5"]["values"]["UneqMulti"]["proximity"] == 82.54
    assert t["5"]["values"]["EqSepMod-J"] == {
        "proximity": 83.97,
        "direction": 47.90,
        "joint": None,
        "sep_direction": 47.90,
    }
    assert t["5"]["values"]["UneqSingle"]["joint"] == 50.63
    methods = load_methods()
    for tid in ("3", "4"):
        for m, cells in t[tid]["values"].items():
            filled = {k for k, v in cells.items() if v is not None}
            assert filled == set(methods[m].scores), (tid, m)  # our cells = the paper's
    for m, cells in t["5"]["values"].items():
        ours = set(methods[m].scores) | {"sep_direction"}
        assert {k for k, v in cells.items() if v is not None} == ours, m
