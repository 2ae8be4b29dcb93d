"""Trained methods as portable files: everything needed to predict on any binaural audio.

A *model file* (``<method>.fold<k>.bindata-model.pt``, written beside a method's run folder by
:func:`export_model`) holds one trained method of one fold: the weights of each of its networks
with their branches and classes, feature settings, normalisation statistics and window length,
the sample rate and label frame of the training data, the views the method predicts (with the
class combinations of Eq. (1) for derived views, so no divisions file is needed to use it), the
bindata version, and where it came from (the training dataset's manifest SHA-256, its event
classes, the test fold and the folds trained on). :func:`load_model` reads one (or assembles it
from a run folder) and returns a :class:`TrainedModel`, whose :meth:`~TrainedModel.predict` takes
any stereo signal at any rate.

The file is a ``torch.save`` archive of tensors and plain values, read with
``torch.load(weights_only=True)``: loading it runs no code.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..divisions import active_divisions, get_view
from ..errors import BenchmarkError
from ..io import manifest_path, write_bytes
from ..resample import resample
from ..scene.labels import LABEL_FRAME_S, n_label_frames
from . import require_torch
from .features import FeatureParams, NormStats, binaural_features
from .predict import predict_features
from .runs import TrainConfig, model_dir
from .targets import frames_per_label, to_label_frames

#: Format name and version of model files; a file of another version is refused.
MODEL_FORMAT = "bindata-model"
MODEL_FORMAT_VERSION = 1

#: Suffix of model files.
MODEL_SUFFIX = ".bindata-model.pt"

_FOLD_DIR = re.compile(r"^fold(\d+)$")


def model_file_name(method: str, fold: int) -> str:
    """``<method>.fold<k>.bindata-model.pt``."""
    return f"{method}.fold{int(fold)}{MODEL_SUFFIX}"


@dataclass
class TrainedModel:
    """A trained method, ready to predict on any stereo audio.

    Attributes
    ----------
    method : str
        Method name (``metadata/methods.json``).
    views : dict
        View name -> class names, for every view :meth:`predict` returns (the method's output
        view first, then its derived views).
    sample_rate : int
        Rate of the training data; audio at another rate is resampled to it.
    provenance : dict
        ``manifest_sha256``, ``event_classes`` and ``duration_s`` of the training dataset,
        ``test_fold``, ``train_folds``, ``bindata_version`` that trained it.
    """

    method: str
    views: dict
    sample_rate: int
    provenance: dict
    _networks: list = field(repr=False)
    _combos: dict = field(repr=False)
    _device: str = field(default="cpu", repr=False)

    def predict(self, audio, fs: int) -> dict:
        """Per-frame class probabilities of every view.

        Parameters
        ----------
        audio : array_like, shape (n, 2)
            Left and right channels: floats in [-1, 1], or 16-bit integers (read as
            ``x / 32768``, as soundfile reads PCM_16).
        fs : int
            Sample rate of ``audio``; resampled to :attr:`sample_rate` when it differs.

        Returns
        -------
        dict
            View name -> float64 array (n_label_frames, n_classes) of probabilities per 100 ms
            label frame, classes in the order of :attr:`views`.

        Raises
        ------
        BenchmarkError
            Mono or multichannel audio, an empty signal, or a bad sample rate.
        """
        x = _stereo(audio)
        fs = _rate(fs)
        if fs != self.sample_rate:
            x = resample_audio(x, fs, self.sample_rate)
        n_frames = n_label_frames(x.shape[0] / self.sample_rate)
        by_class = {}
        for net, info in self._networks:
            probs = _network_probabilities(net, info, x, self.sample_rate, n_frames, self._device)
            by_class.update({c: probs[:, j] for j, c in enumerate(info["classes"])})
        return {
            view: (
                np.stack([by_class[c] for c in classes], axis=1)
                if view not in self._combos
                else combine_classes(self._combos[view], by_class)
            )
            for view, classes in self.views.items()
        }


def combine_classes(combos, probs: dict) -> np.ndarray:
    """Eq. (1) of the paper: ``prod(P_part) ** (1 / n_parts)`` for each class combination.

    Parameters
    ----------
    combos : sequence of sequence of str
        Per derived class, the part classes it combines (one per part, e.g. top, front, left).
    probs : dict
        Class name -> probabilities (n,).

    Returns
    -------
    numpy.ndarray, shape (n, len(combos))
    """
    cols = []
    for combo in combos:
        missing = [c for c in combo if c not in probs]
        if missing:
            raise BenchmarkError(f"Eq. (1): no probabilities of {missing}")
        stacked = np.stack([np.asarray(probs[c], dtype=np.float64) for c in combo])
        cols.append(np.prod(stacked, axis=0) ** (1.0 / len(combo)))
    return np.stack(cols, axis=1)


def resample_audio(audio, fs: int, target: int) -> np.ndarray:
    """Audio (n, channels) from ``fs`` to ``target`` Hz (the library's polyphase resampler)."""
    return resample(audio, fs, target, axis=0)


def _stereo(audio) -> np.ndarray:
    x = np.asarray(audio)
    if x.ndim == 1 or (x.ndim == 2 and x.shape[1] == 1):
        raise BenchmarkError(
            "the model needs binaural (two-channel) audio; got mono "
            f"(shape {x.shape}): interaural cues cannot be computed from one channel"
        )
    if x.ndim != 2 or x.shape[1] != 2:
        raise BenchmarkError(f"the model needs audio of shape (n, 2) (left, right), got {x.shape}")
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


def _network_probabilities(net, info, audio, sample_rate, n_frames, device) -> np.ndarray:
    params = info["features"]
    feats = binaural_features(audio, sample_rate=sample_rate, params=params)
    probs = predict_features(net, feats, norm=info["norm"], seq_len=info["seq_len"], device=device)
    return to_label_frames(probs, n_label_frames=n_frames, ratio=frames_per_label(params.hop_s))


def network_from(meta: dict, state_dict, *, device: str = "cpu"):
    """The CRNN (eval mode) described by a trained model's ``meta``, with its weights."""
    require_torch()
    from .model import CRNN  # deferred: imports torch

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
    return net.to(device).eval()


def _derived_combos(view: str) -> list[list[str]]:
    """The part classes each class of a product view combines (Eq. (1)), in the view's order."""
    spec = active_divisions()["views"].get(view, {})
    if spec.get("type") != "product":
        raise BenchmarkError(f"{view!r} is not a product view; Eq. (1) cannot derive it")
    parts = [get_view(p).classes for p in spec["parts"]]
    return [list(c) for c in itertools.product(*parts)]


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
        The training dataset (its manifest's SHA-256 and event classes are recorded).
    out : path-like, optional
        Where to write; default ``RUNS/<method>/fold<k>/<method>.fold<k>.bindata-model.pt``.

    Returns
    -------
    pathlib.Path
    """
    torch = require_torch()
    networks = []
    for model in method.models:
        path = model_dir(runs_dir, model, fold) / "model.pt"
        if not path.is_file():
            raise BenchmarkError(
                f"{path}: no trained model of {method.name} for fold {fold}; train it first"
            )
        networks.append(torch.load(path, map_location="cpu", weights_only=True))
    manifest = manifest_path(corpus.root)
    views = {method.output_view: list(get_view(method.output_view).classes)}
    views.update({v: list(get_view(v).classes) for v in method.derived_views})
    header = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "bindata_version": __version__,
        "method": method.name,
        "views": views,
        "combos": {v: _derived_combos(v) for v in method.derived_views},
        "sample_rate": int(corpus.sample_rate),
        "label_frame_s": LABEL_FRAME_S,
        "provenance": {
            "manifest_sha256": _sha256(manifest) if manifest.is_file() else None,
            "event_classes": list(corpus.event_classes),
            "duration_s": float(corpus.duration_s),
            "test_fold": int(fold),
            "train_folds": [f for f in corpus.fold_ids if f != int(fold)],
            "bindata_version": __version__,
        },
    }
    archive = {"header": json.dumps(header), "networks": networks}
    buffer = io.BytesIO()
    torch.save(archive, buffer)
    target = (
        Path(out)
        if out is not None
        else Path(runs_dir) / method.name / f"fold{int(fold)}" / model_file_name(method.name, fold)
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(target, buffer.getvalue())
    return target


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def find_model_file(path) -> Path:
    """The model file at ``path``: the file itself, or the one file inside a run folder."""
    p = Path(path)
    if p.is_file():
        return p
    if p.is_dir():
        found = sorted(p.glob(f"*{MODEL_SUFFIX}"))
        if len(found) == 1:
            return found[0]
        what = "no model file" if not found else f"{len(found)} model files"
        raise BenchmarkError(
            f"{p}: {what} (*{MODEL_SUFFIX}); give a model file or the run folder of one method "
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

    Raises
    ------
    BenchmarkError
        Not a model file (corrupted, another format), or one of another format version.
    """
    torch = require_torch()
    file = find_model_file(path)
    try:
        archive = torch.load(file, map_location="cpu", weights_only=True)
        header = json.loads(archive["header"])
        networks = archive["networks"]
    except Exception as exc:  # noqa: BLE001 - any failure to read is the same user error
        raise BenchmarkError(
            f"{file}: not a readable bindata model file ({type(exc).__name__}: {exc})"
        ) from None
    if header.get("format") != MODEL_FORMAT:
        raise BenchmarkError(f"{file}: not a bindata model file (format {header.get('format')!r})")
    if header.get("format_version") != MODEL_FORMAT_VERSION:
        raise BenchmarkError(
            f"{file}: model file format version {header.get('format_version')!r} (written by "
            f"bindata {header.get('bindata_version')}); this bindata ({__version__}) reads "
            f"version {MODEL_FORMAT_VERSION}"
        )
    built = []
    for saved in networks:
        meta = saved["meta"]
        info = {
            "classes": [c for b in meta["model"]["branches"] for c in b["classes"]],
            "features": FeatureParams(**meta["features"]),
            "norm": NormStats.from_dict(meta["norm"]),
            "seq_len": TrainConfig.from_dict(meta["config"]).seq_len,
        }
        built.append((network_from(meta, saved["state_dict"], device=device), info))
    return TrainedModel(
        method=header["method"],
        views=header["views"],
        sample_rate=int(header["sample_rate"]),
        provenance=header["provenance"],
        _networks=built,
        _combos=header["combos"],
        _device=device,
    )


def run_folder_model(runs_dir, method_name: str, fold: int) -> Path:
    """Path of the model file of ``method_name`` and ``fold`` in a runs folder."""
    return Path(runs_dir) / method_name / f"fold{int(fold)}" / model_file_name(method_name, fold)


def fold_of_run_folder(path) -> int | None:
    """``k`` of a ``fold<k>`` folder name, else None."""
    match = _FOLD_DIR.match(Path(os.fspath(path)).name)
    return int(match[1]) if match else None
