"""bindata.benchmark.stream: scenes rendered on the fly equal the cached features of the files."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import bindata

torch = pytest.importorskip("torch")

from bindata.benchmark.corpus import open_corpus  # noqa: E402
from bindata.benchmark.features import read_audio  # noqa: E402
from bindata.benchmark.stream import RenderedScenes, pcm_to_float, rebatch  # noqa: E402
from bindata.benchmark.torch_dataset import SequenceDataset  # noqa: E402

SEED = 11
OPTIONS = {"n_files": 3, "n_folds": 3, "duration_s": 3, "events.per_file": [1, 2]}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """3 files of 3 s written by bindata.synthesize."""
    out = tmp_path_factory.mktemp("stream") / "ds"
    return bindata.synthesize(out, seed=SEED, progress=False, **OPTIONS)


@pytest.fixture(scope="module")
def synthesizer():
    return bindata.Synthesizer(seed=SEED, **OPTIONS)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("feature-cache")


@pytest.fixture(scope="module")
def cached(dataset, cache):
    """The cached path: features computed from the WAVs, windows of 64 frames."""
    return SequenceDataset.for_method(dataset.root, "EqSepBran-J", seq_len=64, cache_dir=cache)


def test_rendered_items_equal_the_cached_files(dataset, synthesizer, cache, cached):
    stream = RenderedScenes(synthesizer, method="EqSepBran-J", seq_len=64)
    assert len(stream) == 3 and stream.classes == cached.classes
    # default normalisation: the statistics of all (here: the same 3) files, bit for bit
    assert np.array_equal(stream.norm.mean, cached.norm.mean)
    assert np.array_equal(stream.norm.std, cached.norm.std)
    w = stream.windows_per_scene  # 150 frames of 20 ms: windows at 0, 64 and 86
    assert w == 3 and len(cached) == 3 * w and cached.stems == list(dataset.stems)
    corpus = open_corpus(dataset.root, cache_dir=cache)
    for i, stem in enumerate(dataset.stems):
        feats, rows, scene = stream.scene_features(i)
        assert scene.stem == stem
        pcm, _ = synthesizer.render(scene)
        assert np.array_equal(pcm_to_float(pcm), read_audio(corpus.audio_path(stem))[0])
        assert feats.dtype == np.float32
        assert np.array_equal(feats, corpus.features(stem))  # the cached .npy, exactly
        assert np.array_equal(rows, corpus.rows(stem))
        x, y, mask = stream[i]
        assert x.shape == (w, 4, 64, 512) and y.shape == (w, 64, 8) and mask.shape == (w, 64)
        for k in range(w):
            want = cached[i * w + k]
            for got, ref in zip((x[k], y[k], mask[k]), want, strict=True):
                assert got.dtype == ref.dtype and torch.equal(got, ref), (stem, k)


def test_options_first_index_and_a_given_normalisation(dataset, cached):
    norm = {"mean": cached.norm.mean, "std": cached.norm.std}
    views = ["lr", "fb", "tb", "proximity"]
    options = {"seed": SEED, **OPTIONS}
    stream = RenderedScenes(options, views=views, first_index=1, seq_len=64, norm=norm)
    assert len(stream) == 2 and stream.views == cached.views
    w = stream.windows_per_scene
    x, y, mask = stream[1]  # file 2
    assert torch.equal(x, torch.stack([cached[2 * w + k][0] for k in range(w)]))
    assert torch.equal(y, torch.stack([cached[2 * w + k][1] for k in range(w)]))
    with pytest.raises(IndexError):
        stream[2]


def test_user_divisions_give_their_own_targets(synthesizer, cached):
    halves = {
        "divisions": {
            "halves": {
                "classes": [
                    {
                        "name": "h_front",
                        "azimuth_deg": {"from": -90, "to": 90, "include_to": False},
                    },
                    {"name": "h_back", "azimuth_deg": {"from": 90, "to": -90, "include_to": False}},
                ]
            }
        },
        "views": {},
    }
    kw = {"n_scenes": 1, "seq_len": 64, "norm": cached.norm}
    own = RenderedScenes(synthesizer, views=["halves"], divisions=halves, **kw)
    fb = RenderedScenes(synthesizer, views=["fb"], **kw)
    assert own.classes == ("h_front", "h_back")
    assert torch.equal(own[0][1], fb[0][1])  # same boundaries as the packaged fb division


def test_dataloader_workers_give_the_same_items(synthesizer):
    stream = RenderedScenes(synthesizer, method="EqSepMod", model="lr", seq_len=64)
    clone = pickle.loads(pickle.dumps(stream))
    assert clone._synth is None  # made again in each process
    assert all(torch.equal(a, b) for a, b in zip(clone[2], stream[2], strict=True))

    def load(**kw):
        loader = torch.utils.data.DataLoader(
            stream, batch_size=2, collate_fn=RenderedScenes.collate, **kw
        )
        return list(loader)

    batches = load(num_workers=0)
    serial = [torch.cat(parts) for parts in zip(*batches, strict=True)]
    assert serial[0].shape == (3 * stream.windows_per_scene, 4, 64, 512)
    for context in ("fork", "spawn"):  # spawn: the dataset pickled into fresh processes
        workers = load(num_workers=2, multiprocessing_context=context)
        parallel = [torch.cat(parts) for parts in zip(*workers, strict=True)]
        assert all(torch.equal(a, b) for a, b in zip(serial, parallel, strict=True)), context
    assert [b[0].shape[0] for b in batches] == [6, 3]  # scenes 0-1, scene 2
    again = list(rebatch(batches, 4))
    assert [x.shape[0] for x, _, _ in again] == [4, 4, 1]
    for a, b in zip(serial, (torch.cat(parts) for parts in zip(*again, strict=True)), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"method": "NoSuchMethod"}, "BenchmarkError", "unknown method 'NoSuchMethod'"),
        ({"method": "EqSepMod", "model": "xy"}, "BenchmarkError", "model 'xy'"),
        ({"views": ["nowhere"]}, "ConfigError", "unknown view or division 'nowhere'"),
        ({"views": "lr"}, "ConfigError", "views must be a non-empty list"),
        ({}, "ConfigError", "not neither"),
        ({"method": "EqOne", "views": ["lr"]}, "ConfigError", "not both"),
        ({"views": ["lr"], "model": "lr"}, "ConfigError", "give the method too"),
        ({"views": ["lr"], "n_scenes": 0}, "ConfigError", "n_scenes must be"),
        ({"views": ["lr"], "n_scenes": 1.5}, "ConfigError", "n_scenes must be"),
        ({"views": ["lr"], "first_index": -1}, "ConfigError", "first_index must be"),
        ({"views": ["lr"], "seq_len": 0}, "ConfigError", "seq_len must be"),
        ({"views": ["lr"], "n_scenes": 3, "first_index": 1}, "ConfigError", "n_files (3)"),
    ],
)
def test_bad_input_raises_library_errors(synthesizer, kwargs, error, words):
    with pytest.raises(bindata.BindataError) as info:
        RenderedScenes(synthesizer, **kwargs)
    assert type(info.value).__name__ == error
    assert words in str(info.value) and "--" not in str(info.value)


def test_bad_synthesizer_and_options():
    with pytest.raises(bindata.BindataError, match="bindata.Synthesizer or a dict"):
        RenderedScenes("data/", views=["lr"])
    with pytest.raises(bindata.BindataError, match="no_such_option"):
        RenderedScenes({"no_such_option": 1}, views=["lr"])
