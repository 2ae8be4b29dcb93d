"""Faster training: batched ensembles equal one-by-one training, ear swapping mirrors the scene,
resident features equal memory-mapped ones, bf16 and fp32 both train."""

from __future__ import annotations

import os

import numpy as np
import pytest

from bindata.benchmark.corpus import open_corpus
from bindata.benchmark.features import NormStats, binaural_features, read_audio
from bindata.benchmark.methods import get_method
from bindata.benchmark.runs import ComputeConfig, TrainConfig, model_dir, split_files
from bindata.errors import BenchmarkError

from .test_benchmark_fakes import make_fake_dataset, one_torch_thread

torch = pytest.importorskip("torch")

TINY = TrainConfig(filters=4, gru_units=8, batch_size=4, max_epochs=2, patience=3)
FP32 = ComputeConfig(precision="fp32")


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny") / "ds"
    make_fake_dataset(root, n_files=4, n_folds=4, duration_s=4.0, events_per_file=2)
    return root


def _weights(runs, model, fold):
    path = model_dir(runs, model, fold) / "model.pt"
    return torch.load(path, weights_only=True)["state_dict"]


def test_batched_ensemble_gives_the_weights_of_one_by_one_training(tiny, tmp_path):
    """EqSepMod's three plane models trained as one grouped network and one at a time."""
    from bindata.benchmark.train import train_models

    corpus = open_corpus(tiny)
    models = get_method("EqSepMod").models
    one = train_models(
        corpus,
        models,
        1,
        runs_dir=tmp_path / "one",
        config=TINY,
        compute=ComputeConfig(precision="fp32", ensemble=1),
    )
    many = train_models(
        corpus,
        models,
        1,
        runs_dir=tmp_path / "many",
        config=TINY,
        compute=ComputeConfig(precision="fp32", ensemble=3),
    )
    assert [h["ensemble"] for d in one for h in d["history"]] == [1] * 6
    assert [h["ensemble"] for d in many for h in d["history"]] == [3] * 6
    for model, a, b in zip(models, one, many, strict=True):
        np.testing.assert_allclose(
            [h["val_loss"] for h in b["history"]], [h["val_loss"] for h in a["history"]], rtol=1e-5
        )
        wa, wb = _weights(tmp_path / "one", model, 1), _weights(tmp_path / "many", model, 1)
        assert wa.keys() == wb.keys()
        for k in wa:
            torch.testing.assert_close(wb[k], wa[k], rtol=1e-4, atol=1e-5, msg=k)
        # and the models really differ from each other (not one model three times)
    w = [_weights(tmp_path / "many", m, 1)["conv.0.weight"] for m in models]
    assert not torch.allclose(w[0], w[1])


def test_grouped_network_forward_and_adam_state_round_trip():
    from bindata.benchmark.ensemble import GroupedCRNN, merged_adam, split_adam
    from bindata.benchmark.model import build_model

    arch = {"n_bins": 32, "filters": 3, "pool": (2, 2, 2), "gru_units": 4}
    nets = [
        build_model([(5, 2), (3, 3)], generator=torch.Generator().manual_seed(s), **arch)
        for s in range(3)
    ]
    x = torch.randn(3, 2, 4, 7, 32, generator=torch.Generator().manual_seed(9))
    grouped = GroupedCRNN(nets).eval()
    for net in nets:
        net.eval()
    with torch.no_grad():
        out = grouped(x)
        for k, net in enumerate(nets):
            torch.testing.assert_close(out[k], net(x[k]), rtol=1e-5, atol=1e-6)
    opts = [torch.optim.Adam(n.parameters(), lr=1e-3) for n in nets]
    for net, opt in zip(nets, opts, strict=True):  # one step each, so that there is a state
        net.train()
        net(x[0]).sum().backward()
        opt.step()
    grouped = GroupedCRNN(nets)
    merged = merged_adam(grouped, opts, lr=1e-3)
    before = [{id(p): {k: v.clone() for k, v in o.state[p].items()} for p in o.state} for o in opts]
    split_adam(grouped, merged, opts)
    for o, b in zip(opts, before, strict=True):
        for p in o.state:
            for k in ("exp_avg", "exp_avg_sq", "step"):
                assert torch.equal(o.state[p][k], b[id(p)][k])
    opts[0].state[next(iter(opts[0].state))]["step"] += 1
    with pytest.raises(BenchmarkError, match="Adam step"):
        merged_adam(GroupedCRNN(nets), opts, lr=1e-3)


def _norm(rng, n_bins):
    return NormStats(
        rng.normal(0, 1, (4, n_bins)).astype(np.float32),
        rng.uniform(0.5, 2.0, (4, n_bins)).astype(np.float32),
    )


def test_swapped_ears_give_the_features_of_the_swapped_audio(tiny):
    """Against the features computed from the audio with its channels exchanged."""
    from bindata.benchmark.data import swap_ears_normalised

    audio, fs = read_audio(next((tiny / "audio").glob("*.wav")))
    feats = binaural_features(audio, sample_rate=fs)
    swapped = binaural_features(audio[:, ::-1], sample_rate=fs)
    norm = _norm(np.random.default_rng(1), feats.shape[2])
    z = norm.apply(feats)[None]
    got = swap_ears_normalised(z.copy(), norm, np.array([True]))[0]
    np.testing.assert_allclose(got, norm.apply(swapped), rtol=1e-5, atol=2e-4)
    assert not np.allclose(z[0, :, 0], got[:, 0], atol=0.1)  # the swap did change something
    zt = torch.from_numpy(z.copy())
    torch.testing.assert_close(
        swap_ears_normalised(zt, norm, torch.tensor([True]))[0], torch.from_numpy(got)
    )


def _sets(corpus, views, store=None, *, fold=1):
    from bindata.benchmark.data import sequence_set

    train, _, _ = split_files(corpus, fold, val_fraction=0.15, seed=0)
    feats = [corpus.features(s) for s in train]
    norm = _norm(np.random.default_rng(2), feats[0].shape[2])
    return (
        sequence_set(
            corpus,
            train,
            views=views,
            norm=norm,
            params=corpus_params(),
            seq_len=128,
            swap=True,
            store=store,
        ),
        train,
        norm,
    )


def corpus_params():
    from bindata.benchmark.features import DEFAULT_FEATURES

    return DEFAULT_FEATURES


def test_swap_mirrors_the_targets_left_right_only(tiny):
    """Left and right exchange; front/back and near/far stay (azimuths are never 0 or 180)."""
    corpus = open_corpus(tiny)
    sset, _, _ = _sets(corpus, ("lr", "fb", "proximity"))
    ids = np.arange(len(sset))
    _, y, mask = sset.batch(ids)
    _, y_sw, mask_sw = sset.batch(ids, np.ones(len(ids), bool))
    assert np.array_equal(mask, mask_sw) and y[..., :2].any(axis=(0, 1)).all()
    assert np.array_equal(y_sw[..., 0], y[..., 1]) and np.array_equal(y_sw[..., 1], y[..., 0])
    assert np.array_equal(y_sw[..., 2:], y[..., 2:])
    # drawn per window with probability 1/2 from its own generator; the order stays that of rng
    differs = [k for k in ids if not np.array_equal(y[k], y_sw[k])]
    flipped, seen, swap_rng = 0, 0, np.random.default_rng(0)
    for _ in range(60):
        order = np.random.default_rng(5).permutation(len(sset))
        got = np.concatenate(
            [
                b[1]
                for b in sset.batches(batch_size=3, rng=np.random.default_rng(5), swap_rng=swap_rng)
            ]
        )
        for row, k in enumerate(order):
            if k in differs:
                assert np.array_equal(got[row], y[k]) or np.array_equal(got[row], y_sw[k])
                flipped, seen = flipped + np.array_equal(got[row], y_sw[k]), seen + 1
    assert seen >= 60 and 0.35 < flipped / seen < 0.65


def test_swapped_batch_is_the_swapped_scene_and_store_matches_files(tiny):
    """A flipped window holds the features of the channel-swapped audio; the device-memory
    store gives the same batches as the memory-mapped files."""
    from bindata.benchmark.data import FrameStore

    corpus = open_corpus(tiny)
    sset, train, norm = _sets(corpus, ("lr",))
    k = 1
    f, start = sset.index[k]
    audio, fs = read_audio(corpus.audio_path(train[f]))
    swapped = norm.apply(binaural_features(audio[:, ::-1], sample_rate=fs))
    x, _, mask = sset.batch([k], [True])
    n = int(mask.sum())
    np.testing.assert_allclose(
        x[0].transpose(1, 0, 2)[:n], swapped[start : start + n], rtol=1e-5, atol=2e-4
    )
    store = FrameStore([corpus.features(s) for s in train], norm, 128, "cpu")
    resident, _, _ = _sets(corpus, ("lr",), store=store)
    ids, flip = np.arange(len(sset)), np.arange(len(sset)) % 2 == 0
    for a, b in zip(sset.batch(ids, flip), resident.batch(ids, flip), strict=True):
        np.testing.assert_allclose(b.numpy(), a, rtol=1e-5, atol=1e-5)


def test_settings_are_checked():
    with pytest.raises(BenchmarkError, match="augment"):
        TrainConfig(augment="flip")
    with pytest.raises(BenchmarkError, match="precision"):
        ComputeConfig(precision="fp8")
    assert "augment" not in TrainConfig().to_dict()  # runs made before --augment still match
    assert TrainConfig.from_dict(TrainConfig(augment="swap").to_dict()).augment == "swap"
    assert ComputeConfig().ensemble_size("cpu") == 1 and ComputeConfig().ensemble_size("cuda") > 1


def test_swap_augmented_training_runs_and_is_its_own_run(tiny, tmp_path):
    from bindata.benchmark.train import train_model

    corpus = open_corpus(tiny)
    model = get_method("UneqOne").models[0]
    cfg = TrainConfig(**{**TINY.to_dict(), "max_epochs": 1, "augment": "swap"})
    done = train_model(corpus, model, 2, runs_dir=tmp_path, config=cfg, compute=FP32)
    assert done["config"]["augment"] == "swap" and done["precision"] == "fp32"
    with pytest.raises(BenchmarkError, match="config"):
        train_model(
            corpus,
            model,
            2,
            runs_dir=tmp_path,
            config=TrainConfig(**{**cfg.to_dict(), "augment": "none"}),
            compute=FP32,
        )


def test_train_command_speed_and_augment_flags(tiny, tmp_path):
    """EqSepMod's three models with --ensemble 2: a group of two, then one; flags reach done.json."""
    import json

    from click.testing import CliRunner

    from bindata.cli import cli

    args = [
        "train",
        "--data",
        tiny,
        "--method",
        "EqSepMod",
        "--fold",
        "3",
        "--runs",
        tmp_path,
        "--filters",
        "4",
        "--gru-units",
        "8",
        "--batch-size",
        "4",
        "--epochs",
        "1",
        "--quiet",
        "--augment",
        "swap",
        "--precision",
        "fp32",
        "--ensemble",
        "2",
        "--no-channels-last",
    ]
    res = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    done = [
        json.loads((model_dir(tmp_path, m, 3) / "done.json").read_text())
        for m in get_method("EqSepMod").models
    ]
    assert [d["history"][0]["ensemble"] for d in done] == [2, 2, 1]
    assert {d["precision"] for d in done} == {"fp32"}
    assert {d["config"]["augment"] for d in done} == {"swap"}
    bad = CliRunner().invoke(cli, [str(a) for a in [*args[:-5], "--precision", "fp8"]])
    assert bad.exit_code == 2 and "fp8" in bad.output


def test_freed_memory_is_kept_for_reuse_or_returned():
    """A freed 64 MB buffer (glibc mmaps such blocks) leaves the process when returned, and
    stays resident for the next allocation when kept (``/proc/self/statm``: resident pages)."""
    import sys

    from bindata.benchmark.accel import keep_freed_memory

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc's mallopt only")

    def resident_after_free_mb() -> float:
        page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20

        def resident():
            return int(open("/proc/self/statm").read().split()[1]) * page_mb

        before = resident()
        np.ones(8_000_000)  # 64 MB, touched, freed at once
        return resident() - before

    try:
        assert keep_freed_memory(False)
        returned = resident_after_free_mb()
        assert keep_freed_memory(True)
        kept = resident_after_free_mb()
    finally:
        keep_freed_memory(False)
    assert returned < 16, returned
    assert kept > 48, kept
