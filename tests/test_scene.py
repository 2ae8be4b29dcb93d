"""The scene sampler: rooms, listener, distance bands, timeline polyphony, seeding, folds."""

import numpy as np
import pytest

from bindata.config import load_config
from bindata.errors import SceneError
from bindata.scene import file_stem, fold_of, place_events, sample_scene
from bindata.scene.labels import LABEL_FRAME_S

RES = {"hrir": {"spec": "builtin"}, "event_library": {"spec": "builtin"}}


class FakeLibrary:
    """Stands in for an event library: three classes of sounds of known lengths."""

    classes = ["a", "b", "c"]

    def sound_ids(self, label):
        return [f"{label}/{i}" for i in range(3)]

    def duration_s(self, sound_id):
        return 1.0 + int(sound_id[-1])


def _scenes(cfg, n=40, seed=7):
    return [
        sample_scene(cfg, seed=seed, file_index=i, library=FakeLibrary(), resources=RES)
        for i in range(n)
    ]


def test_rooms_listeners_and_sources_respect_table_1_and_clearance():
    cfg = load_config()
    for scene in _scenes(cfg):
        dims = np.array(scene.room.description["dimensions_m"])
        assert 6 <= dims[0] <= 10 and 6 <= dims[1] <= 10 and 2.5 <= dims[2] <= 6
        assert 0.3 <= scene.room.description["rt60_s"] <= 0.9
        lis = np.array(scene.listener.position_m)
        assert np.all(lis >= 1.0) and np.all(lis <= dims - 1.0)
        for ev in scene.events:
            pos = np.array(ev.position_m)
            assert np.all(pos >= 1.0 - 1e-9) and np.all(pos <= dims - 1.0 + 1e-9)
            d = np.linalg.norm(pos - lis)
            assert abs(d - ev.distance_m) < 1e-9
            band = cfg.sources.band_m(ev.band)
            assert band[0] <= d <= band[1]
            assert not (2.0 < d < 3.0)  # the buffer zone is never sampled


def test_near_and_far_are_balanced():
    bands = [ev.band for s in _scenes(load_config(), n=60) for ev in s.events]
    near = bands.count("near") / len(bands)
    assert 0.45 <= near <= 0.55


@pytest.mark.parametrize("overlap", [1, 2, 3])
def test_polyphony_never_exceeds_overlap(overlap):
    cfg = load_config(overrides={"max_overlap": overlap, "events.per_file": [6, 10]})
    for scene in _scenes(cfg, n=15):
        busy = np.zeros(150, dtype=int)
        for ev in scene.events:
            a = round(ev.onset_s / LABEL_FRAME_S)
            busy[a : a + round(ev.duration_s / LABEL_FRAME_S)] += 1
        assert busy.max() <= overlap
        if overlap > 1:
            assert len(scene.events) >= 6  # room enough for every event
    rng = np.random.default_rng(0)
    placed = place_events(cfg, np.full(30, 4.0), rng)  # 120 s of events cannot fit in 15 s
    assert 0 < len(placed) <= 3 * overlap


def test_same_seed_same_scene_other_file_other_scene():
    cfg = load_config()
    a = _scenes(cfg, n=3, seed=11)
    b = _scenes(cfg, n=3, seed=11)
    c = _scenes(cfg, n=3, seed=12)
    assert a == b
    assert a[0].room != a[1].room and a[0].room != c[0].room
    # file i depends on (seed, i) only: computing file 2 alone gives the same scene
    alone = sample_scene(cfg, seed=11, file_index=2, library=FakeLibrary(), resources=RES)
    assert alone == a[2]


def test_folds_split_files_evenly_and_name_files():
    folds = [fold_of(i, n_files=400, n_folds=4) for i in range(400)]
    assert [folds.count(k) for k in (1, 2, 3, 4)] == [100, 100, 100, 100]
    assert file_stem(0, n_files=400, n_folds=4) == "fold1_room0001_mix001"
    assert file_stem(399, n_files=400, n_folds=4) == "fold4_room0400_mix001"


def test_unreachable_far_band_is_a_clear_error_not_a_hang():
    cfg = load_config(
        overrides={
            "room.width_m": [3.0, 3.0],
            "room.length_m": [3.0, 3.0],
            "room.height_m": [2.5, 2.5],
            "listener.max_redraws": 20,
        }
    )
    with pytest.raises(SceneError, match="reaches the far band"):
        sample_scene(cfg, seed=0, file_index=0, library=FakeLibrary(), resources=RES)
