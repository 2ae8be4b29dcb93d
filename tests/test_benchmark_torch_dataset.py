"""bindata.benchmark.torch_dataset: windows, targets checked against the metadata, DataLoader."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bindata.config import load_config
from bindata.scene.labels import read_metadata_csv
from bindata.synth import synthesize

torch = pytest.importorskip("torch")

from bindata.benchmark.torch_dataset import SequenceDataset  # noqa: E402


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    cfg = load_config(
        overrides={
            "n_files": 4,
            "n_folds": 2,
            "duration_s": 2.0,
            "events.per_file": [2, 3],
            "room.rt60_s": [0.2, 0.2],
        }
    )
    out = tmp_path_factory.mktemp("torchds") / "ds"
    synthesize(cfg, out, seed=5, progress=False)
    return out


def stems_of(dataset, fold):
    files = json.loads((dataset / "manifest.json").read_text())["files"]
    return [f["stem"] for f in files if f["fold"] == fold]


def test_windows_and_targets_match_the_metadata(dataset, tmp_path):
    ds = SequenceDataset(
        dataset, views=["lr", "proximity"], folds=[1], seq_len=32, cache_dir=tmp_path / "cache"
    )
    assert ds.classes == ("left", "right", "near", "far")
    assert ds.stems == stems_of(dataset, 1)
    # 2 s = 100 frames of 20 ms: windows at 0, 32, 64 and one ending at the end (68)
    assert len(ds) == 4 * len(ds.stems)
    x, y, mask = ds[3]
    assert x.shape == (4, 32, x.shape[2]) and y.shape == (32, 4) and mask.shape == (32,)
    assert x.dtype == torch.float32 and bool((mask == 1).all())
    rows = read_metadata_csv(dataset / "metadata" / f"{ds.stems[0]}.csv")
    for t in range(32):
        label = (68 + t) // 5  # 5 feature frames per 100 ms label frame
        r = rows[rows["frame"] == label]
        az, dist = r["azimuth"], r["distance"] / 100
        want = [
            ((az >= 0) & (az < 180)).any(),
            ((az < 0) | (az == 180)).any(),
            (dist < 2.5).any(),
            (dist >= 2.5).any(),
        ]
        assert y[t].tolist() == [float(w) for w in want], t
    assert y.sum() > 0


def test_dataloader_normalisation_and_methods(dataset, tmp_path):
    train = SequenceDataset.for_method(
        dataset, "EqSepBran", folds=[2], seq_len=50, cache_dir=tmp_path / "c"
    )
    assert train.views == ("lr", "fb", "tb")
    xs = torch.cat([x for x, _, _ in torch.utils.data.DataLoader(train, batch_size=3)])
    assert xs.shape[0] == len(train) == 2 * len(train.stems)
    # normalised with the statistics of these files: zero mean, unit spread per channel and bin
    flat = xs.permute(0, 2, 1, 3).reshape(-1, 4, xs.shape[-1]).numpy()
    assert np.abs(flat.mean(axis=0)).max() < 1e-3
    spread = flat.std(axis=0)
    assert np.allclose(spread[spread > 0.5], 1.0, atol=1e-3)
    test = SequenceDataset(
        dataset, views=train.views, folds=[1], norm=train.norm, seq_len=50, cache_dir=tmp_path / "c"
    )
    assert test.norm is train.norm and set(test.stems).isdisjoint(train.stems)


def test_user_divisions_give_their_own_targets(dataset, tmp_path):
    spec = {
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
    path = tmp_path / "div.json"
    path.write_text(json.dumps(spec))
    ds = SequenceDataset(
        dataset, views=["halves"], divisions=path, seq_len=100, cache_dir=tmp_path / "c"
    )
    fb = SequenceDataset(dataset, views=["fb"], seq_len=100, cache_dir=tmp_path / "c")
    assert ds.classes == ("h_front", "h_back")
    for k in range(len(ds)):  # same boundaries as the packaged fb division
        assert torch.equal(ds[k][1], fb[k][1])
