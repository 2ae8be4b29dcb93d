"""Trained methods as portable files, and the one inference path of the benchmark.

A *model file* (``<method>.fold<k>.bindata-model.pt``, written into the method's run folder
``RUNS/<method>/fold<k>/`` by :func:`export_model`) holds one trained method of one fold: the
weights of each of its networks with their branches and classes, feature settings,
normalisation statistics and window length, the sample rate of the training data, the views the
method predicts (with the class combinations of Eq. (1) for derived views, so that no divisions
file is needed to use it), the bindata version, and where it came from (the training dataset's
manifest SHA-256, its event classes and duration, the test fold and the folds trained on).
:func:`load_model` reads one (or the one in a run folder) and returns a :class:`TrainedModel`,
whose :meth:`~TrainedModel.predict` takes any stereo signal at any rate. The in-domain
predictions of ``bindata benchmark`` go through the same :class:`TrainedModel`
(:func:`model_from_runs`), so a model predicts the same whether read from its file or from its
run folder.

The file is a ``torch.save`` archive of tensors and plain values read with
``torch.load(weights_only=True)``: loading it runs no code.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..divisions import get_view, view_definition
from ..errors import BenchmarkError, BindataError
from ..io import manifest_path, sha256_file, write_bytes
from ..resample import resample
from ..scene.labels import LABEL_FRAME_S, n_label_frames
from . import require_torch
from .accel import autocast, resolve_precision
from .data import window_starts
from .features import FeatureParams, NormStats, binaural_features
from .runs import TrainConfig, model_dir
from .targets import (
    combine_classes,
    frames_per_label,
    product_combos,
    rescale_threshold,
    to_label_frames,
)

#: Format name and version of model files; a file of another version is refused.
MODEL_FORMAT = "bindata-model"
MODEL_FORMAT_VERSION = 1

#: Suffix of model files.
MODEL_SUFFIX = ".bindata-model.pt"


def model_file_name(method: str, fold: int) -> str:
    """``<method>.fold<k>.bindata-model.pt``."""
    return f"{method}.fold{int(fold)}{MODEL_SUFFIX}"


def network_from(meta: dict, state_dict, *, device: str = "cpu"):
    """The CRNN (eval mode, channels-last) a trained model's ``meta`` describes, with its weights."""
    torch = require_torch()
    from .model import CRNN, pool_first  # deferred: imports torch

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
    net.load_state_dict(state_dict)
    net = net.to(device=device, memory_format=torch.channels_last).eval()
    net.conv = pool_first(net.conv)  # same outputs, less work: see pool_first
    return net


def predict_features(
    net,
    feats,
    *,
    norm: NormStats,
    seq_len: int,
    device: str = "cpu",
    batch_size: int = 32,
    precision: str = "fp32",
) -> np.ndarray:
    """Probabilities (n_frames, C) of one file's features (n_frames, 4, n_bins).

    The file is cut into the training windows (``seq_len`` frames, the last aligned to the
    end); frames covered by several windows get the mean of their probabilities. The forward
    pass runs channels-last in ``precision`` (``fp32``; ``auto`` or ``bf16`` as in training,
    :func:`~bindata.benchmark.accel.resolve_precision` -- on a 2-core AMX Xeon bf16 inference
    was slower, 161 vs 139 ms per 15 s file, ``benchmarks/bench_predict.py``).
    """
    torch = require_torch()
    precision = resolve_precision(precision, device)
    n = feats.shape[0]
    starts = window_starts(n, seq_len)
    total = np.zeros((n, 0))
    counts = np.zeros(n)
    for k in range(0, len(starts), batch_size):
        chunk = starts[k : k + batch_size]
        width = min(seq_len, n)
        x = np.stack([norm.apply(feats[s : s + width]) for s in chunk]).transpose(0, 2, 1, 3)
        x = torch.from_numpy(np.ascontiguousarray(x)).to(device)
        with torch.no_grad(), autocast(device, precision):
            p = torch.sigmoid(net(x.contiguous(memory_format=torch.channels_last)).float())
        p = p.cpu().numpy().astype(np.float64)
        if total.shape[1] == 0:
            total = np.zeros((n, p.shape[2]))
        for s, probs in zip(chunk, p, strict=True):
            total[s : s + width] += probs
            counts[s : s + width] += 1.0
    return total / counts[:, None]


@dataclass
class TrainedModel:
    """A trained method, ready to predict on any stereo audio.

    Attributes
    ----------
    method : str
        Method name (``metadata/methods.json``).
    name : str
        ``<method>.fold<k>``, with ``-<first 8 hex digits of the file's SHA-256>`` when read from
        a model file: names a prediction folder after the model that made it.
    views : dict
        View name -> class names, for every view :meth:`predict` returns (the method's output
        view first, then its derived views).
    sample_rate : int
        Rate of the training data; audio at another rate is resampled to it.
    provenance : dict
        ``manifest_sha256``, ``event_classes`` and ``duration_s`` of the training dataset,
        ``test_fold``, ``train_folds`` and the ``bindata_version`` that trained it.
    definitions : dict or None
        View name -> :func:`bindata.divisions.view_definition` of the divisions it was trained
        with (None for model files written before bindata recorded them).
    """

    method: str
    name: str
    views: dict
    sample_rate: int
    provenance: dict
    networks: list = field(repr=False)
    combos: dict = field(repr=False)
    device: str = field(default="cpu", repr=False)
    precision: str = field(default="fp32", repr=False)
    definitions: dict | None = field(default=None, repr=False)

    def check_views(self, spec_all: dict | None = None) -> None:
        """Refuse to label data whose views the divisions in effect define otherwise.

        A prediction is scored under the active divisions (:func:`bindata.divisions.get_view`);
        a view whose classes or intervals differ there from the ones the model was trained with
        (e.g. another near/far boundary) would be scored against labels the model never learnt.

        Raises
        ------
        BenchmarkError
            Naming the view and what differs.
        """
        for view, classes in self.views.items():
            try:
                here = view_definition(view, spec_all)
            except BindataError as exc:
                raise BenchmarkError(
                    f"model {self.name}: its view {view!r} is not defined by the divisions in "
                    f"effect ({exc})"
                ) from None
            if here["classes"] != list(classes):
                raise BenchmarkError(
                    f"model {self.name}: view {view!r} has classes {list(classes)}, the "
                    f"divisions in effect define {here['classes']}; predict with the divisions "
                    "the model was trained with"
                )
            trained = (self.definitions or {}).get(view)
            if trained is not None and trained != here:
                changed = sorted(
                    d
                    for d in set(trained["divisions"]) | set(here["divisions"])
                    if trained["divisions"].get(d) != here["divisions"].get(d)
                )
                raise BenchmarkError(
                    f"model {self.name}: view {view!r} was trained with other class boundaries "
                    f"than the divisions in effect define (divisions {changed or [view]} "
                    "differ); predict with the divisions the model was trained with"
                )

    @property
    def feature_params(self) -> list[FeatureParams]:
        """The feature settings of each network (one per network, usually all equal)."""
        return [info["features"] for _, info in self.networks]

    def probabilities(self, features, n_label_frames: int) -> dict:
        """Per-label-frame probabilities of every view from a file's features.

        Parameters
        ----------
        features : callable
            ``features(params) -> (n_frames, 4, n_bins)`` array of the file's features with
            :class:`~bindata.benchmark.features.FeatureParams` ``params`` (cached or computed).
        n_label_frames : int
            100 ms label frames of the file.

        Returns
        -------
        dict
            View name -> float64 array (n_label_frames, n_classes). A network trained with a
            decision threshold ``t`` other than 0.5 gives its probabilities mapped so that ``t``
            becomes 0.5 (:func:`~bindata.benchmark.targets.rescale_threshold`): a class is
            active where its value is ``>= 0.5``, as the scorer reads it.
        """
        by_class = {}
        for net, info in self.networks:
            params = info["features"]
            probs = predict_features(
                net,
                features(params),
                norm=info["norm"],
                seq_len=info["seq_len"],
                device=self.device,
                precision=self.precision,
            )
            probs = to_label_frames(
                probs, n_label_frames=n_label_frames, ratio=frames_per_label(params.hop_s)
            )
            probs = rescale_threshold(probs, info["threshold"])
            by_class.update({c: probs[:, j] for j, c in enumerate(info["classes"])})
        return {
            view: (
                combine_classes(self.combos[view], by_class)
                if view in self.combos
                else np.stack([by_class[c] for c in classes], axis=1)
            )
            for view, classes in self.views.items()
        }

    def predict(self, audio, fs: int) -> dict:
        """Per-frame class probabilities of every view of a stereo signal.

        Parameters
        ----------
        audio : array_like, shape (n, 2)
            Left and right channels: floats in [-1, 1], or 16-bit integers (read as
            ``x / 32768``, as soundfile reads PCM_16).
        fs : int
            Sample rate of ``audio``; resampled to :attr:`sample_rate` when it differs
            (:func:`bindata.resample.resample`).

        Returns
        -------
        dict
            View name -> float64 array (n_label_frames, n_classes) of probabilities per 100 ms
            label frame (``n_label_frames`` from the signal's length), classes in the order of
            :attr:`views`.

        Raises
        ------
        BenchmarkError
            Mono or multichannel audio, an empty signal, or a bad sample rate.
        """
        x = stereo_audio(audio)
        fs = _rate(fs)
        if fs != self.sample_rate:
            x = resample(x, fs, self.sample_rate, axis=0)
        n = n_label_frames(x.shape[0] / self.sample_rate)
        return self.probabilities(
            lambda params: binaural_features(x, sample_rate=self.sample_rate, params=params), n
        )


def stereo_audio(audio) -> np.ndarray:
    """``audio`` as float64 (n, 2); mono, multichannel and empty signals are refused."""
    x = np.asarray(audio)
    if x.ndim == 1 or (x.ndim == 2 and x.shape[1] == 1):
        raise BenchmarkError(
            f"binaural models need two-channel audio (left, right); got mono (shape {x.shape}): "
            "interaural cues cannot be computed from one channel"
        )
    if x.ndim != 2 or x.shape[1] != 2:
        raise BenchmarkError(f"binaural models need audio of shape (n, 2), got {x.shape}")
    if x.shape[0] == 0:
        raise BenchmarkError("the audio is empty")
    if x.dtype == np.int16:
        return x.astype(np.float64) / 32768.0
    return x.astype(np.float64)


def _rate(fs) -> int:
    try:
        rate = int(fs)
    except (TypeError, ValueError):
        rate = 0
    if rate <= 0 or rate != fs:
        raise BenchmarkError(f"sample rate must be a positive integer (Hz), got {fs!r}")
    return rate


def trained_model_paths(runs_dir, method, fold: int) -> dict:
    """``{"owner/model": RUNS/.../model.pt}`` of a method's networks; a missing one is an error."""
    paths = {}
    for model in method.models:
        path = model_dir(runs_dir, model, fold) / "model.pt"
        if not path.is_file():
            raise BenchmarkError(
                f"{path}: no trained model of {method.name} for fold {fold}; train it first"
            )
        paths[f"{model.owner}/{model.name}"] = path
    return paths


def model_archive(runs_dir, method, fold: int, *, corpus) -> dict:
    """Everything a model file holds, from a run folder (see the module docstring)."""
    torch = require_torch()
    networks = [
        torch.load(path, map_location="cpu", weights_only=True)
        for path in trained_model_paths(runs_dir, method, fold).values()
    ]
    manifest = manifest_path(corpus.root)
    views = {method.output_view: list(get_view(method.output_view).classes)}
    views.update({v: list(get_view(v).classes) for v in method.derived_views})
    header = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "bindata_version": __version__,
        "method": method.name,
        "fold": int(fold),
        "views": views,
        "combos": {v: product_combos(v) for v in method.derived_views},
        "definitions": {v: view_definition(v) for v in views},
        "sample_rate": int(corpus.sample_rate),
        "label_frame_s": LABEL_FRAME_S,
        "provenance": {
            "manifest_sha256": sha256_file(manifest) if manifest.is_file() else None,
            "event_classes": list(corpus.event_classes),
            "duration_s": float(corpus.duration_s),
            "test_fold": int(fold),
            "train_folds": [f for f in corpus.fold_ids if f != int(fold)],
            "bindata_version": __version__,
        },
    }
    return {"header": json.dumps(header), "networks": networks}


def model_from_archive(archive: dict, *, name: str | None = None, device: str = "cpu"):
    """A :class:`TrainedModel` from a model file's contents (checked: format and version)."""
    try:
        header = json.loads(archive["header"])
        networks = archive["networks"]
    except (KeyError, TypeError, ValueError) as exc:
        raise BenchmarkError(f"not a bindata model ({type(exc).__name__}: {exc})") from None
    if header.get("format") != MODEL_FORMAT:
        raise BenchmarkError(f"not a bindata model (format {header.get('format')!r})")
    if header.get("format_version") != MODEL_FORMAT_VERSION:
        raise BenchmarkError(
            f"model file format version {header.get('format_version')!r} (written by bindata "
            f"{header.get('bindata_version')}); this bindata ({__version__}) reads version "
            f"{MODEL_FORMAT_VERSION}"
        )
    built = []
    for saved in networks:
        meta = saved["meta"]
        config = TrainConfig.from_dict(meta["config"])
        info = {
            "classes": [c for b in meta["model"]["branches"] for c in b["classes"]],
            "features": FeatureParams(**meta["features"]),
            "norm": NormStats.from_dict(meta["norm"]),
            "seq_len": config.seq_len,
            "threshold": config.threshold,
        }
        built.append((network_from(meta, saved["state_dict"], device=device), info))
    return TrainedModel(
        method=header["method"],
        name=name or f"{header['method']}.fold{header['fold']}",
        views=header["views"],
        sample_rate=int(header["sample_rate"]),
        provenance=header["provenance"],
        networks=built,
        combos=header["combos"],
        device=device,
        definitions=header.get("definitions"),
    )


def model_from_runs(runs_dir, method, fold: int, *, corpus, device: str = "cpu") -> TrainedModel:
    """The :class:`TrainedModel` of a method and fold straight from its run folder."""
    return model_from_archive(model_archive(runs_dir, method, fold, corpus=corpus), device=device)


def export_model(runs_dir, method, fold: int, *, corpus, out=None) -> Path:
    """Write the model file of a trained method and fold.

    Parameters
    ----------
    runs_dir : path-like
        Run folder holding the trained networks (``RUNS/<owner>/fold<k>/<model>/model.pt``).
    method : bindata.benchmark.methods.Method
    fold : int
        The test fold the networks were trained for.
    corpus : bindata.benchmark.corpus.Corpus
        The training dataset (its manifest's SHA-256, event classes and duration are recorded).
    out : path-like, optional
        Where to write; default ``RUNS/<method>/fold<k>/<method>.fold<k>.bindata-model.pt``.

    Returns
    -------
    pathlib.Path
    """
    torch = require_torch()
    buffer = io.BytesIO()
    torch.save(model_archive(runs_dir, method, fold, corpus=corpus), buffer)
    target = (
        Path(out)
        if out is not None
        else Path(runs_dir) / method.name / f"fold{int(fold)}" / model_file_name(method.name, fold)
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(target, buffer.getvalue())
    return target


def find_model_file(path) -> Path:
    """The model file at ``path``: the file itself, or the one file in a run folder."""
    p = Path(path)
    if p.is_file():
        return p
    if p.is_dir():
        found = sorted(p.glob(f"*{MODEL_SUFFIX}"))
        if len(found) == 1:
            return found[0]
        what = "no model file" if not found else f"{len(found)} model files"
        raise BenchmarkError(
            f"{p}: {what} (*{MODEL_SUFFIX}); give a model file, or the run folder of one method "
            "and fold (RUNS/<method>/fold<k>) after training"
        )
    raise BenchmarkError(f"{p}: no such model file or run folder")


def load_model(path, *, device: str = "cpu") -> TrainedModel:
    """Read a model file (or the one in a run folder ``RUNS/<method>/fold<k>``).

    Parameters
    ----------
    path : path-like
    device : str, keyword-only
        Torch device to predict on.

    Returns
    -------
    TrainedModel
        Named ``<method>.fold<k>-<sha8>`` after the file's SHA-256.

    Raises
    ------
    BenchmarkError
        No such file, not a model file (corrupted, another format), or one of another format
        version.
    """
    torch = require_torch()
    file = find_model_file(path)
    try:
        archive = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to unpickle is the same user error
        raise BenchmarkError(
            f"{file}: not a readable bindata model file ({type(exc).__name__}: {exc})"
        ) from None
    try:
        model = model_from_archive(archive, device=device)
    except BenchmarkError as exc:
        raise BenchmarkError(f"{file}: {exc}") from None
    model.name = f"{model.name}-{sha256_file(file)[:8]}"
    return model
