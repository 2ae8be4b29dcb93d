"""Predictions of a trained method on its test fold, in the scorer's submission format (b).

For each test file and each view a method yields, ``<out>/<view>/<stem>.csv`` holds a header
``frame,<class names of the view>`` and one row per 100 ms label frame with the class
probabilities in [0, 1] (a class is active when its probability is >= 0.5; values are written with
six decimals, never rounded across 0.5). The views are the method's ``output_view`` (all model
outputs side by side) and its ``derived_views`` (the octants of EqSepMod / EqSepBran and their
-J variants, combined here with Eq. (1); see :mod:`~bindata.benchmark.targets`).

A file is predicted in the windows used for training (128 frames, the last aligned to the end;
overlapping frames are averaged), then feature-frame probabilities are averaged per label frame.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..divisions import get_view
from ..errors import BenchmarkError
from ..io import sha256_file, write_json, write_text
from . import require_torch
from .data import window_starts
from .features import FeatureParams, NormStats
from .runs import TrainConfig, method_fold_dir, model_dir, predictions_dir
from .targets import combine_product, frames_per_label, to_label_frames


def load_trained(directory, *, device: str = "cpu"):
    """A trained network (eval mode) and its metadata from ``<model dir>/model.pt``."""
    torch = require_torch()
    from .model import CRNN  # deferred: bindata.benchmark.model imports torch

    path = Path(directory) / "model.pt"
    if not path.is_file():
        raise BenchmarkError(f"{path}: no trained model; run `bindata train` for it first")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    meta = saved["meta"]
    cfg = TrainConfig.from_dict(meta["config"])
    params = FeatureParams(**meta["features"])
    branches = [(b["units"], len(b["classes"])) for b in meta["model"]["branches"]]
    net = CRNN(
        branches,
        n_bins=params.n_bins,
        in_channels=4,
        filters=cfg.filters,
        pool=cfg.pool,
        gru_units=cfg.gru_units,
    )
    net.load_state_dict(saved["state_dict"])
    return net.to(device).eval(), meta


def predict_features(
    net, feats, *, norm: NormStats, seq_len: int, device: str = "cpu", batch_size: int = 16
) -> np.ndarray:
    """Probabilities (n_frames, C) of one file's features (n_frames, 4, n_bins)."""
    torch = require_torch()
    n = feats.shape[0]
    starts = window_starts(n, seq_len)
    total = np.zeros((n, 0))
    counts = np.zeros(n)
    for k in range(0, len(starts), batch_size):
        chunk = starts[k : k + batch_size]
        width = min(seq_len, n)
        x = np.stack([norm.apply(feats[s : s + width]) for s in chunk]).transpose(0, 2, 1, 3)
        with torch.no_grad():
            p = torch.sigmoid(net(torch.from_numpy(np.ascontiguousarray(x)).to(device)))
        p = p.cpu().numpy().astype(np.float64)
        if total.shape[1] == 0:
            total = np.zeros((n, p.shape[2]))
        for s, probs in zip(chunk, p, strict=True):
            total[s : s + width] += probs
            counts[s : s + width] += 1.0
    return total / counts[:, None]


def write_submission(path, classes, probs) -> None:
    """One format-(b) CSV: header ``frame,<classes>``, one row of probabilities per label frame."""
    probs = np.clip(np.asarray(probs, dtype=np.float64), 0.0, 1.0)
    q = np.round(probs, 6)
    q[(probs < 0.5) & (q >= 0.5)] = 0.499999
    lines = ["frame," + ",".join(classes)]
    lines += [f"{i}," + ",".join(f"{v:.6f}" for v in row) for i, row in enumerate(q)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, "\n".join(lines) + "\n")


def method_probabilities(corpus, method, fold, *, runs_dir, device="cpu", progress=False):
    """Per test file, ``{class: probabilities (n_label_frames,)}`` of all the method's outputs."""
    from tqdm.auto import tqdm

    stems = corpus.stems_of([fold])
    out = {s: {} for s in stems}
    for model in method.models:
        net, meta = load_trained(model_dir(runs_dir, model, fold), device=device)
        norm = NormStats.from_dict(meta["norm"])
        params = FeatureParams(**meta["features"])
        seq_len = TrainConfig.from_dict(meta["config"]).seq_len
        ratio = frames_per_label(params.hop_s)
        for stem in tqdm(
            stems,
            desc=f"predict {model.owner}/{model.name} fold{fold}",
            unit="file",
            leave=False,
            disable=not progress,
        ):
            feats = corpus.features(stem, params=params)
            probs = predict_features(net, feats, norm=norm, seq_len=seq_len, device=device)
            probs = to_label_frames(probs, n_label_frames=corpus.n_label_frames, ratio=ratio)
            out[stem].update({c: probs[:, j] for j, c in enumerate(model.classes)})
    return out


def predict_fold(
    corpus,
    method,
    fold: int,
    *,
    runs_dir,
    out_dir=None,
    device: str = "cpu",
    progress: bool = False,
) -> dict:
    """Write the submissions of ``method`` for the files of test fold ``fold``.

    Parameters
    ----------
    corpus : bindata.benchmark.corpus.Corpus
    method : bindata.benchmark.methods.Method
    fold : int
    runs_dir : path-like, keyword-only
        Run folder holding the trained models.
    out_dir : path-like, optional, keyword-only
        Submission folder (one sub-folder per view); default ``RUNS/<method>/predictions``.
    device : str, keyword-only
    progress : bool, keyword-only

    Returns
    -------
    dict
        ``{"out_dir", "views", "stems", "models"}``, also written to
        ``RUNS/<method>/fold<k>/predicted.json``; an up-to-date marker (same model files) means
        the fold is skipped.
    """
    require_torch()
    out = Path(out_dir) if out_dir is not None else predictions_dir(runs_dir, method)
    views = (method.output_view, *method.derived_views)
    models = {
        f"{m.owner}/{m.name}": sha256_file(model_dir(runs_dir, m, fold) / "model.pt")
        for m in method.models
        if (model_dir(runs_dir, m, fold) / "model.pt").is_file()
    }
    stems = corpus.stems_of([fold])
    record = {"out_dir": str(out), "views": list(views), "stems": stems, "models": models}
    marker = method_fold_dir(runs_dir, method, fold) / "predicted.json"
    if marker.is_file() and json.loads(marker.read_text("utf-8")) == record:
        if all((out / v / f"{s}.csv").is_file() for v in views for s in stems):
            return record
    probs = method_probabilities(
        corpus, method, fold, runs_dir=runs_dir, device=device, progress=progress
    )
    for stem, by_class in probs.items():
        classes = get_view(method.output_view).classes
        write_submission(
            out / method.output_view / f"{stem}.csv",
            classes,
            np.stack([by_class[c] for c in classes], axis=1),
        )
        for view in method.derived_views:
            write_submission(
                out / view / f"{stem}.csv", get_view(view).classes, combine_product(view, by_class)
            )
    record["models"] = {
        f"{m.owner}/{m.name}": sha256_file(model_dir(runs_dir, m, fold) / "model.pt")
        for m in method.models
    }
    marker.parent.mkdir(parents=True, exist_ok=True)
    write_json(marker, record)
    return record
