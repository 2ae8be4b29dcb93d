"""The training recipe: validation F1 per epoch (the scorer's), selection criterion, positive
weights, decision threshold, learning-rate schedule, validation curves, several seeds, and a
single-label model that learns under the default recipe."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from bindata.benchmark.corpus import open_corpus
from bindata.benchmark.methods import get_method
from bindata.benchmark.predict import write_submission
from bindata.benchmark.runs import (
    LEGACY_SETTINGS,
    ComputeConfig,
    TrainConfig,
    model_dir,
    predictions_dir,
    seed_runs_dir,
    split_files,
)
from bindata.benchmark.scoring import score_method
from bindata.cli import cli
from bindata.errors import BenchmarkError

from .test_benchmark_fakes import make_fake_dataset, one_torch_thread

torch = pytest.importorskip("torch")

TINY = TrainConfig(filters=4, gru_units=8, batch_size=8, max_epochs=2, patience=3)
FP32 = ComputeConfig(precision="fp32")


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny") / "ds"
    make_fake_dataset(root, n_files=8, n_folds=4, duration_s=4.0, events_per_file=2)
    return root


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


# --- settings ------------------------------------------------------------------------------------


def test_new_settings_keep_old_runs_and_never_match_other_ones():
    # today's defaults are the legacy behaviour except the positive weights (multiclass since
    # the single-label diagnosis), which a run's settings therefore record
    assert set(LEGACY_SETTINGS) & set(TrainConfig().to_dict()) == {"pos_weight"}
    assert TrainConfig().to_dict()["pos_weight"] == "multiclass"
    cfg = TrainConfig(selection="val_f1", pos_weight="balanced", threshold=0.3)
    d = cfg.to_dict()
    assert (d["selection"], d["pos_weight"], d["threshold"]) == ("val_f1", "balanced", 0.3)
    assert TrainConfig.from_dict(d) == cfg
    # a run recorded before the keys existed reads back with the legacy values, whatever the
    # defaults are (a changed default never makes an old run match)
    recorded = {k: v for k, v in TrainConfig().to_dict().items() if k not in LEGACY_SETTINGS}
    old = TrainConfig.from_dict(recorded)
    assert all(getattr(old, k) == v for k, v in LEGACY_SETTINGS.items())
    assert old != TrainConfig()  # an old run never matches today's default settings
    for bad in (
        {"selection": "f1"},
        {"pos_weight": "yes"},
        {"threshold": 1.0},
        {"lr_schedule": "x"},
    ):
        with pytest.raises(BenchmarkError, match=next(iter(bad))):
            TrainConfig(**bad)


def test_cosine_schedule_follows_its_formula():
    cfg = TrainConfig(learning_rate=2e-3, max_epochs=10, lr_schedule="cosine")
    for e in range(10):
        assert cfg.learning_rate_at(e) == pytest.approx(1e-3 * (1 + math.cos(math.pi * e / 10)))
    assert TrainConfig(learning_rate=2e-3).learning_rate_at(7) == 2e-3


def test_positive_weights_and_the_weighted_loss():
    from bindata.benchmark.data import positive_weights
    from bindata.benchmark.loop import batch_loss

    y = np.zeros((10, 3), np.float32)
    y[:2, 0] = 1  # 2 of 10 active: weight 8/2
    y[:5, 1] = 1  # 5 of 10: weight 1
    w = positive_weights([y[:6], y[6:]])
    assert w.tolist() == [4.0, 1.0, 1.0]  # a never-active class keeps weight 1
    z = torch.linspace(-2, 2, 30).reshape(1, 10, 3)
    target = torch.from_numpy(y)[None]
    mask = torch.ones(1, 10)
    s = torch.sigmoid(z)
    wt = torch.from_numpy(w).float()
    manual = -(wt * target * torch.log(s) + (1 - target) * torch.log(1 - s))
    got = batch_loss(z, target, mask, [3], wt)
    assert float(got) == pytest.approx(float(manual.mean()), rel=1e-6)


def test_threshold_rescaling_is_increasing_and_maps_the_threshold_to_one_half():
    from bindata.benchmark.targets import rescale_threshold

    p = np.linspace(0, 1, 1001)
    for t in (0.1, 0.3, 0.5, 0.8):
        q = rescale_threshold(p, t)
        assert np.all(np.diff(q) > 0) and q[0] == 0 and q[-1] == pytest.approx(1)
        assert np.array_equal(q >= 0.5, p >= t)
    assert rescale_threshold(p, 0.5) is not None and np.array_equal(rescale_threshold(p, 0.5), p)


# --- selection -----------------------------------------------------------------------------------


class _Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))


@pytest.mark.parametrize(
    ("selection", "best", "bad"),
    [("val_loss", 2, 3), ("val_f1", 4, 1)],
)
def test_selection_picks_its_criterion_and_patience_counts_it(selection, best, bad):
    from bindata.benchmark.loop import _update

    member = {"net": _Net(), "state": {"best_loss": math.inf, "best_epoch": -1, "bad_epochs": 0}}
    member["state"]["history"] = []
    losses = [0.5, 0.3, 0.4, 0.35, 0.31]
    f1 = [0.1, 0.2, 0.2, 0.6, 0.6]  # ties are no progress
    for e, (loss, f) in enumerate(zip(losses, f1, strict=True)):
        member["net"].w.data.fill_(e + 1)
        _update(
            member, {"epoch": e + 1, "val_loss": loss, "val_f1": {"a": f, "b": None}}, selection
        )
    st = member["state"]
    assert (st["best_epoch"], st["bad_epochs"]) == (best, bad)
    assert st["best_loss"] == losses[best - 1]
    assert float(member["best_state_dict"]["w"]) == best


# --- validation F1 = the scorer's F1 -------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tiny, tmp_path_factory):
    """EqOne-J (one concat branch: proximity and octants), 2 epochs in fp32, threshold 0.3."""
    from bindata.benchmark.train import train_model

    corpus = open_corpus(tiny)
    runs = tmp_path_factory.mktemp("runs")
    cfg = dataclasses.replace(TINY, threshold=0.3, val_fraction=0.3)
    done = train_model(
        corpus, get_method("EqOne-J").models[0], 1, runs_dir=runs, config=cfg, compute=FP32
    )
    return corpus, runs, cfg, done


def test_validation_f1_is_the_scorers_f1_of_the_best_weights(trained, tmp_path):
    from bindata.benchmark.portable import model_from_runs
    from bindata.score import load_reference, read_submission, score_submission

    corpus, runs, cfg, done = trained
    method = get_method("EqOne-J")
    assert [sorted(h["val_f1"]) for h in done["history"]] == [["octants", "proximity"]] * 2
    assert done["best_val_f1"] == done["history"][done["best_epoch"] - 1]["val_f1"]
    _, val, _ = split_files(corpus, 1, val_fraction=cfg.val_fraction, seed=cfg.seed)
    assert len(val) == 2
    model = model_from_runs(runs, method, 1, corpus=corpus)
    for stem in val:
        probs = model.probabilities(
            lambda p, s=stem: corpus.features(s, params=p), corpus.n_label_frames
        )
        write_submission(
            tmp_path / f"{stem}.csv", model.views[method.output_view], probs[method.output_view]
        )
    full = load_reference(corpus.root)
    keep = [i for i, s in enumerate(full.stems) if s in val]
    ref = dataclasses.replace(
        full,
        stems=tuple(full.stems[i] for i in keep),
        folds=tuple(full.folds[i] for i in keep),
        rows=tuple(full.rows[i] for i in keep),
    )
    sub = read_submission(tmp_path, reference=ref, view=method.output_view)
    res = score_submission(ref, sub, views=["octants", "proximity"])["views"]
    for view, f1 in done["best_val_f1"].items():
        assert f1 == pytest.approx(res[view]["overall"]["f_measure"], abs=1e-12), view


def test_balanced_weights_and_cosine_schedule_are_recorded_and_resume(tiny, tmp_path):
    from bindata.benchmark.data import positive_weights, sequence_set
    from bindata.benchmark.train import train_model, training_stats

    corpus = open_corpus(tiny)
    model = get_method("UneqOne").models[0]
    cfg = dataclasses.replace(TINY, max_epochs=3, pos_weight="balanced", lr_schedule="cosine")
    full = train_model(corpus, model, 2, runs_dir=tmp_path / "a", config=cfg)
    part = train_model(corpus, model, 2, runs_dir=tmp_path / "b", config=cfg, stop_after=1)
    assert part["interrupted"]
    assert (model_dir(tmp_path / "b", model, 2) / "history.json").is_file()
    resumed = train_model(corpus, model, 2, runs_dir=tmp_path / "b", config=cfg)
    assert [h["val_loss"] for h in resumed["history"]] == [h["val_loss"] for h in full["history"]]
    assert [h["lr"] for h in full["history"]] == [cfg.learning_rate_at(e) for e in range(3)]
    assert not (model_dir(tmp_path / "b", model, 2) / "history.json").exists()
    train, _, _ = split_files(corpus, 2, val_fraction=cfg.val_fraction, seed=cfg.seed)
    from bindata.benchmark.features import DEFAULT_FEATURES

    norm = training_stats(corpus, train, params=DEFAULT_FEATURES, runs_dir=tmp_path / "a")
    sset = sequence_set(
        corpus, train, views=model.views, norm=norm, params=DEFAULT_FEATURES, seq_len=128
    )
    assert full["pos_weight"] == pytest.approx(positive_weights(sset.targets).tolist(), rel=1e-6)


# --- curves --------------------------------------------------------------------------------------


def test_curves_png_is_written_and_draws_done_json(trained, tmp_path):
    from bindata.benchmark.curves import curves_figure, plot_training_curves, training_curves

    _, runs, _, done = trained
    curves = training_curves(runs)
    assert len(curves) == 1 and curves[0]["finished"]
    on_disk = json.loads(
        (model_dir(runs, get_method("EqOne-J").models[0], 1) / "done.json").read_text()
    )
    hist = on_disk["history"]
    fig = curves_figure(curves)
    lines = {ln.get_label(): ln for ax in fig.axes for ln in ax.get_lines()}
    assert list(lines["fold 1 val loss"].get_ydata()) == [h["val_loss"] for h in hist]
    assert list(lines["fold 1 train loss"].get_ydata()) == [h["train_loss"] for h in hist]
    for view in ("octants", "proximity"):
        y = lines[f"fold 1 F1 {view}"].get_ydata()
        assert np.allclose(y, [100 * h["val_f1"][view] for h in hist])
    out = plot_training_curves(runs, out_path=tmp_path / "c.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = run("plot", runs, "--out", tmp_path / "c.png")
    assert res.exit_code == 2 and "--overwrite" in res.output
    res = run("report", runs, "--out", tmp_path / "report")
    assert res.exit_code == 0, res.output
    card = (tmp_path / "report" / "README.md").read_text()
    assert "| EqOne-J/main | 0 | 1 | finished | 2 |" in card
    assert (tmp_path / "report" / "curves.png").is_file()


# --- several seeds -------------------------------------------------------------------------------


def test_benchmark_over_seeds_reports_mean_and_sd_and_resumes(tiny, tmp_path):
    from bindata.benchmark.run import run_benchmark

    cfg = dataclasses.replace(TINY, max_epochs=1)
    kw = {
        "methods": "UneqOne",
        "folds": [1],
        "runs_dir": tmp_path,
        "config": cfg,
        "progress": False,
        "ci": "jackknife",
    }
    report = run_benchmark(tiny, seeds=[0, 1], **kw)
    model = get_method("UneqOne").models[0]
    stamps = {}
    for s in (0, 1):
        done = json.loads(
            (model_dir(seed_runs_dir(tmp_path, s), model, 1) / "done.json").read_text()
        )
        assert done["config"]["seed"] == s
        stamps[s] = (
            (model_dir(seed_runs_dir(tmp_path, s), model, 1) / "model.pt").stat().st_mtime_ns
        )
    res = report["results"]["UneqOne"]
    assert report["seeds"] == [0, 1] and set(res["seeds"]) == {"0", "1"}
    corpus = open_corpus(tiny)
    method = get_method("UneqOne")
    for cell in res["mean"]:
        per = [
            score_method(
                corpus,
                method,
                pred_dir=predictions_dir(seed_runs_dir(tmp_path, s), method),
                folds=[1],
            )["mean"][cell]
            for s in (0, 1)
        ]
        assert [res["seeds"][str(s)]["mean"][cell] for s in (0, 1)] == per
        if None not in per:
            assert res["mean"][cell] == pytest.approx(np.mean(per))
            assert res["sd"][cell] == pytest.approx(np.std(per, ddof=1))
    cell = report["tables"][report["direction_table"]]["cells"]["single"]["UneqOne"]
    assert cell["ours_sd"] == pytest.approx(round(100 * res["sd"]["single"], 2))
    assert "±" in report["text"]
    again = run_benchmark(tiny, seeds=[0, 1], **kw)  # resumes: nothing retrained
    assert again["results"]["UneqOne"]["mean"] == res["mean"]
    for s in (0, 1):
        path = model_dir(seed_runs_dir(tmp_path, s), model, 1) / "model.pt"
        assert path.stat().st_mtime_ns == stamps[s]
    with pytest.raises(BenchmarkError, match="seeds"):
        run_benchmark(tiny, seeds=[1, 1], **kw)
    res = run("benchmark", "--data", tiny, "--seeds", "0,x", "--quiet")
    assert res.exit_code == 2 and "--seeds" in res.output


# --- the default recipe learns a single-label output ---------------------------------------------


@pytest.fixture(scope="module")
def lateral(tmp_path_factory):
    """12 files of 8 s, every source within 30 degrees of +-90 azimuth and 30 of the horizon:
    each event lies in the left or the right cone of the unequal division, told apart by the
    interaural delay and level difference."""
    root = tmp_path_factory.mktemp("lateral") / "ds"
    make_fake_dataset(root, n_files=12, duration_s=8.0, events_per_file=4, lateral=True)
    return root


def _best_constant_f1(corpus, method, fold, tmp_path) -> tuple[float, list]:
    """The best single-label F1 of a constant prediction: nothing, each class alone, left and
    right together, or every class, in every frame."""
    classes = method.models[0].classes
    candidates = [[0] * len(classes)] + np.eye(len(classes), dtype=int).tolist()
    candidates += [[int(c in ("left", "right")) for c in classes], [1] * len(classes)]
    best = (0.0, None)
    for k, on in enumerate(candidates):
        for stem in corpus.stems_of([fold]):
            probs = np.tile(on, (corpus.n_label_frames, 1))
            write_submission(tmp_path / str(k) / method.output_view / f"{stem}.csv", classes, probs)
        f1 = score_method(corpus, method, pred_dir=tmp_path / str(k), folds=[fold])["mean"][
            "single"
        ]
        best = max(best, (f1 or 0.0, on), key=lambda b: b[0])
    return best


def test_single_label_model_learns_under_the_default_recipe(lateral, tmp_path):
    """UneqOne (6 sigmoid outputs, one per cone) with every default of the recipe (selection on
    the validation loss, patience 5, no positive weights, threshold 0.5, Adam 1e-3 constant); a
    tiny network and batches of 4 for a tiny dataset. Its F1 must rise far above every constant
    prediction.

    On the way it passes through the collapse the issue describes: after 1-3 epochs every
    output is below 0.5 in most seeds (validation F1 0: the outputs first learn how rarely each
    class is active), and F1 comes back as the loss keeps falling (seeds 0-3: 1.0 from epoch 5-7).
    """
    from bindata.benchmark.predict import predict_fold
    from bindata.benchmark.train import train_model

    corpus = open_corpus(lateral)
    method = get_method("UneqOne")
    cfg = TrainConfig(filters=4, gru_units=8, batch_size=4, max_epochs=8)
    default = dataclasses.asdict(TrainConfig())
    recipe = ("learning_rate", "patience", "selection", "pos_weight", "threshold", "lr_schedule")
    assert all(getattr(cfg, k) == default[k] for k in recipe)
    done = train_model(corpus, method.models[0], 1, runs_dir=tmp_path / "runs", config=cfg)
    predict_fold(corpus, method, 1, runs_dir=tmp_path / "runs")
    f1 = score_method(
        corpus, method, pred_dir=predictions_dir(tmp_path / "runs", method), folds=[1]
    )
    chance, which = _best_constant_f1(corpus, method, 1, tmp_path / "const")
    assert 0.4 < chance < 0.8, which  # one side always on
    assert f1["mean"]["single"] >= max(0.9, chance + 0.2), (f1["mean"], chance, done["history"])
    assert done["best_val_f1"]["unequal"] >= 0.9


def test_recipe_flags_reach_the_run(tiny, tmp_path):
    tiny_flags = ["--filters", "4", "--gru-units", "8", "--batch-size", "8", "--epochs", "1"]
    res = run(
        "train", "--data", tiny, "--method", "UneqOne", "--fold", "1", "--runs", tmp_path,
        *tiny_flags, "--select", "val_f1", "--pos-weight", "balanced", "--threshold", "0.4",
        "--lr-schedule", "cosine", "--threads", "1", "--quiet",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "best epoch 1 of 1 (by val_f1)" in res.output and "val F1 % unequal" in res.output
    done = json.loads(
        (model_dir(tmp_path, get_method("UneqOne").models[0], 1) / "done.json").read_text()
    )
    assert {
        k: done["config"][k] for k in ("selection", "pos_weight", "threshold", "lr_schedule")
    } == {
        "selection": "val_f1",
        "pos_weight": "balanced",
        "threshold": 0.4,
        "lr_schedule": "cosine",
    }
    res = run(
        "train", "--data", tiny, "--method", "UneqOne", "--fold", "1", "--runs", tmp_path,
        *tiny_flags, "--threads", "1", "--quiet",
    )  # fmt: skip
    assert res.exit_code == 2 and "trained with other config" in res.output


def test_multiclass_weighting_leaves_the_two_class_outputs_alone():
    """``pos_weight="multiclass"``: octant classes get N_neg/N_pos, near/far keep weight 1."""
    from bindata.benchmark.data import positive_weights
    from bindata.benchmark.methods import get_method
    from bindata.benchmark.runs import TrainConfig
    from bindata.benchmark.train import _pos_weight

    model = get_method("EqOne-J").models[0]
    n_cls = sum(len(b.classes) for b in model.branches)
    rng = np.random.default_rng(0)
    targets = [(rng.random((50, n_cls)) < 0.2).astype(np.float32) for _ in range(3)]

    class Sets:  # what _pos_weight reads of the training set
        pass

    train = Sets()
    train.targets = targets
    full = positive_weights(targets)
    got = _pos_weight(model, [train], TrainConfig(pos_weight="multiclass"), "cpu").numpy()
    assert got[:2].tolist() == [1.0, 1.0]  # near, far
    np.testing.assert_allclose(got[2:], full[2:], rtol=1e-6)  # the 8 octants
    assert (full[2:] > 2).all()
    balanced = _pos_weight(model, [train], TrainConfig(pos_weight="balanced"), "cpu").numpy()
    np.testing.assert_allclose(balanced, full, rtol=1e-6)
    # a model of two-class outputs only trains with the unweighted loss itself
    planes = get_method("EqSepBran-J").models[0]
    assert _pos_weight(planes, [train], TrainConfig(pos_weight="multiclass"), "cpu") is None
