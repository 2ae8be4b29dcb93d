"""Predictions of a trained method, in the scorer's submission format (b), on any audio.

For each predicted file and each view a method yields, ``<out>/<view>/<stem>.csv`` holds a header
``frame,<class names of the view>`` and one row per 100 ms label frame with the class
probabilities in [0, 1] (a class is active when its probability is >= 0.5; values are written with
six decimals, never rounded across 0.5). The views are the method's ``output_view`` (all model
outputs side by side) and its ``derived_views`` (the octants of EqSepMod / EqSepBran and their
-J variants, combined with Eq. (1); see :mod:`~bindata.benchmark.targets`). Every prediction goes
through one :class:`~bindata.benchmark.portable.TrainedModel`:

- :func:`predict_fold` -- the test fold of the dataset a method was trained on (the benchmark);
- :func:`predict_dataset` -- every file (or some folds) of any bindata dataset, e.g. one
  rendered through another head or other rooms;
- :func:`predict_audio` -- any folder of two-channel recordings at any rate, with a readable
  timeline of the active classes per file (and a PNG with ``bindata[plot]``).

**Nothing is overwritten silently.** A prediction folder records what made it
(``predicted.json``: the model, the data). Writing into a folder that holds predictions of other
data, or files bindata did not record, is refused unless ``overwrite``; the default folder of a
cross-dataset prediction lies with the predicted data and is named after the model
(``DATASET/predictions/<method>.fold<k>-<sha8>/``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import DatasetError, OutputExistsError
from ..io import manifest_path, sha256_file, write_json, write_text
from ..scene.labels import LABEL_FRAME_S
from . import require_torch
from .corpus import open_corpus
from .portable import TrainedModel, model_from_runs, stereo_audio, trained_model_paths
from .runs import method_fold_dir, predictions_dir

#: What a prediction folder records about itself.
RECORD = "predicted.json"


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


def _dataset_sha256(root) -> str | None:
    path = manifest_path(root)
    return sha256_file(path) if path.is_file() else None


def _read_record(out: Path) -> dict | None:
    try:
        return json.loads((out / RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def guard_output(out: Path, *, data: dict, overwrite: bool) -> None:
    """Refuse to write predictions of ``data`` into a folder that holds other predictions.

    Allowed: a missing or empty folder, or one whose :data:`RECORD` names the same ``data``
    (predictions of the same files, e.g. after retraining). Anything else needs ``overwrite``.
    """
    if overwrite or not out.exists() or not any(out.iterdir()):
        return
    record = _read_record(out)
    if record is not None and record.get("data") == data:
        return
    what = (
        f"predictions of other data ({record.get('data', {}).get('root')})"
        if record
        else "files bindata did not record"
    )
    raise OutputExistsError(
        f"{out}: holds {what}; set overwrite to replace them, or write elsewhere",
        key="overwrite",
    )


def _write_views(out: Path, model: TrainedModel, stem: str, probs: dict) -> None:
    for view, classes in model.views.items():
        write_submission(out / view / f"{stem}.csv", classes, probs[view])


def _progress(items, *, desc: str, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, unit="file", leave=False, disable=not progress)


def predict_fold(
    corpus,
    method,
    fold: int,
    *,
    runs_dir,
    out_dir=None,
    overwrite: bool = False,
    device: str = "cpu",
    progress: bool = False,
) -> dict:
    """Write the submissions of ``method`` for the files of test fold ``fold``.

    Parameters
    ----------
    corpus : bindata.benchmark.corpus.Corpus
        The dataset the method was trained on.
    method : bindata.benchmark.methods.Method
    fold : int
    runs_dir : path-like, keyword-only
        Run folder holding the trained models.
    out_dir : path-like, optional, keyword-only
        Submission folder (one sub-folder per view); default ``RUNS/<method>/predictions``.
    overwrite : bool, keyword-only
        Replace predictions of other data in ``out_dir`` (see :func:`guard_output`).
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
    views = [method.output_view, *method.derived_views]
    data = {"root": str(corpus.root), "manifest_sha256": _dataset_sha256(corpus.root)}
    stems = corpus.stems_of([fold])
    record = {
        "out_dir": str(out),
        "views": views,
        "stems": stems,
        "models": _model_hashes(runs_dir, method, fold),
        "data": data,
    }
    marker = method_fold_dir(runs_dir, method, fold) / RECORD
    if marker.is_file() and _read_record(marker.parent) == record:
        if all((out / v / f"{s}.csv").is_file() for v in views for s in stems):
            return record  # up to date: the networks are not even loaded
    guard_output(out, data=data, overwrite=overwrite)
    model = model_from_runs(runs_dir, method, fold, corpus=corpus, device=device)
    for stem in _progress(stems, desc=f"predict {method.name} fold{fold}", progress=progress):
        probs = model.probabilities(
            lambda params, s=stem: corpus.features(s, params=params), corpus.n_label_frames
        )
        _write_views(out, model, stem, probs)
    write_json(out / RECORD, {"data": data, "model": model.name})
    marker.parent.mkdir(parents=True, exist_ok=True)
    write_json(marker, record)
    return record


def _model_hashes(runs_dir, method, fold) -> dict:
    return {k: sha256_file(p) for k, p in trained_model_paths(runs_dir, method, fold).items()}


def predict_dataset(
    model: TrainedModel,
    dataset_dir,
    *,
    folds=None,
    out_dir=None,
    overwrite: bool = False,
    cache_dir=None,
    progress: bool = False,
) -> dict:
    """Predict every file (or the files of ``folds``) of a bindata dataset with a trained model.

    Parameters
    ----------
    model : TrainedModel
        :func:`bindata.benchmark.portable.load_model`.
    dataset_dir : path-like
        Any bindata dataset (another head, other rooms, recorded events...).
    folds : sequence of int, optional, keyword-only
        Only these folds (default: every file: a dataset used only for testing).
    out_dir : path-like, optional, keyword-only
        Default ``DATASET/predictions/<model.name>/``.
    overwrite : bool, keyword-only
        Replace predictions of other data in ``out_dir`` (see :func:`guard_output`).
    cache_dir : path-like, optional, keyword-only
        Feature cache of the dataset (default ``DATASET/features``); used when the dataset's
        sample rate is the model's, else features are computed from resampled audio.
    progress : bool, keyword-only

    Returns
    -------
    dict
        ``out_dir``, ``views``, ``stems`` and ``model`` (its name), also written to
        ``OUT/predicted.json``.

    Raises
    ------
    BenchmarkError
        The divisions in effect define one of the model's views otherwise than the ones it was
        trained with (:meth:`TrainedModel.check_views`): its predictions would be scored against
        other labels. The nine methods' views are spatial, so a test dataset's *event* classes
        may differ from the training data's.
    """
    model.check_views()
    corpus = open_corpus(dataset_dir, cache_dir=cache_dir)
    stems = list(corpus.stems) if folds is None else corpus.stems_of(folds)
    if not stems:
        raise DatasetError(f"{dataset_dir}: no files in folds {list(folds or [])}")
    out = Path(out_dir) if out_dir is not None else Path(dataset_dir) / "predictions" / model.name
    data = {"root": str(corpus.root), "manifest_sha256": _dataset_sha256(corpus.root)}
    guard_output(out, data=data, overwrite=overwrite)
    same_rate = corpus.sample_rate == model.sample_rate
    for stem in _progress(stems, desc=f"predict {model.name}", progress=progress):
        if same_rate:
            probs = model.probabilities(
                lambda params, s=stem: corpus.features(s, params=params), corpus.n_label_frames
            )
        else:
            audio, fs = sf.read(str(corpus.audio_path(stem)), dtype="float64", always_2d=True)
            probs = model.predict(audio, fs)
        _write_views(out, model, stem, probs)
    record = {"out_dir": str(out), "views": list(model.views), "stems": stems, "model": model.name}
    write_json(out / RECORD, {**record, "data": data, "provenance": model.provenance})
    return record


def audio_files(folder) -> list[Path]:
    """Audio files soundfile reads under ``folder`` (recursively, sorted; hidden ones skipped)."""
    root = Path(folder)
    if not root.is_dir():
        raise DatasetError(f"{root}: audio folder not found")
    kinds = {f".{k.lower()}" for k in sf.available_formats()}
    files = [
        p
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and p.suffix.lower() in kinds
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]
    if not files:
        raise DatasetError(
            f"{root}: no audio files (any of {', '.join(sorted(kinds))}) in it or below it"
        )
    return files


def timeline(probs, classes, *, threshold: float = 0.5, frame_s: float = LABEL_FRAME_S) -> list:
    """Segments where a class is active: ``[(class, onset_s, offset_s, peak probability)]``.

    A class is active in a 100 ms label frame when its probability is >= ``threshold``;
    consecutive active frames form one segment, sorted by onset.

    Examples
    --------
    >>> timeline(np.array([[0.1], [0.9], [0.7], [0.2]]), ["left"])
    [('left', 0.1, 0.3, 0.9)]
    """
    probs = np.asarray(probs, dtype=np.float64)
    segments = []
    for j, name in enumerate(classes):
        active = np.concatenate([[False], probs[:, j] >= threshold, [False]])
        edges = np.flatnonzero(np.diff(active.astype(np.int8)))
        for on, off in zip(edges[::2], edges[1::2], strict=True):
            peak = float(probs[on:off, j].max())
            segments.append((name, round(on * frame_s, 3), round(off * frame_s, 3), round(peak, 4)))
    return sorted(segments, key=lambda s: (s[1], s[0]))


def _timeline_text(model: TrainedModel, probs: dict) -> str:
    lines = ["view,class,onset_s,offset_s,peak_probability"]
    for view, classes in model.views.items():
        for name, on, off, peak in timeline(probs[view], classes):
            lines.append(f"{view},{name},{on:g},{off:g},{peak:g}")
    return "\n".join(lines) + "\n"


def _read_stereo(path: Path) -> tuple[np.ndarray, int]:
    try:
        audio, fs = sf.read(str(path), dtype="float64", always_2d=True)
    except (RuntimeError, OSError) as exc:
        raise DatasetError(f"{path}: cannot read audio ({exc})") from None
    if audio.shape[1] != 2:
        raise DatasetError(
            f"{path}: {audio.shape[1]} channel(s); binaural models need two-channel audio "
            "(left, right)"
        )
    return audio, int(fs)


def predict_audio(
    model: TrainedModel,
    audio_dir,
    *,
    out_dir=None,
    overwrite: bool = False,
    plots: bool = False,
    progress: bool = False,
) -> dict:
    """Predict every two-channel recording under a folder, at any sample rate.

    Writes, per file ``REL`` (its path below ``audio_dir`` without suffix, ``/`` as ``__``):
    ``OUT/<view>/REL.csv`` (format (b), one row per 100 ms), ``OUT/timeline/REL.csv`` (segments:
    ``view,class,onset_s,offset_s,peak_probability``) and, with ``plots``, ``OUT/plots/REL.png``
    (class activities over time; needs ``bindata[plot]``).

    Parameters
    ----------
    model : TrainedModel
    audio_dir : path-like
        Folder of audio files soundfile reads (searched recursively).
    out_dir : path-like, optional, keyword-only
        Default ``AUDIO_DIR/bindata-predictions/<model.name>/``.
    overwrite : bool, keyword-only
    plots : bool, keyword-only
    progress : bool, keyword-only

    Returns
    -------
    dict
        ``out_dir``, ``files`` (relative paths predicted), ``model``.

    Raises
    ------
    DatasetError
        No audio file under the folder, or a file that is not two-channel (all files are checked
        before anything is written).
    """
    root = Path(audio_dir)
    out = Path(out_dir) if out_dir is not None else root / "bindata-predictions" / model.name
    files = [f for f in audio_files(root) if out not in f.parents]
    bad = []
    for f in files:
        try:
            channels = sf.info(str(f)).channels
        except (RuntimeError, OSError) as exc:
            bad.append(f"{f}: cannot read audio ({exc})")
            continue
        if channels != 2:
            bad.append(f"{f}: {channels} channel(s); binaural models need two (left, right)")
    if bad:
        raise DatasetError(f"{len(bad)} file(s) cannot be predicted:\n  " + "\n  ".join(bad))
    if plots:
        from ..dataset.plot import import_matplotlib  # deferred: matplotlib is optional

        import_matplotlib()
    data = {"root": str(root), "manifest_sha256": None}
    guard_output(out, data=data, overwrite=overwrite)
    names = []
    for f in _progress(files, desc=f"predict {model.name}", progress=progress):
        audio, fs = _read_stereo(f)
        probs = model.predict(stereo_audio(audio), fs)
        name = "__".join(f.relative_to(root).with_suffix("").parts)
        _write_views(out, model, name, probs)
        (out / "timeline").mkdir(parents=True, exist_ok=True)
        write_text(out / "timeline" / f"{name}.csv", _timeline_text(model, probs))
        if plots:
            _plot_activity(out / "plots" / f"{name}.png", model, probs, title=str(f.name))
        names.append(name)
    record = {"out_dir": str(out), "views": list(model.views), "files": names, "model": model.name}
    write_json(out / RECORD, {**record, "data": data, "provenance": model.provenance})
    return record


def _plot_activity(path: Path, model: TrainedModel, probs: dict, *, title: str) -> None:
    from ..dataset.plot import import_matplotlib  # deferred: matplotlib is optional

    figure = import_matplotlib()
    views = list(model.views)
    rows = sum(len(model.views[v]) for v in views)
    fig = figure.Figure(figsize=(10, 1.2 + 0.3 * rows))
    axes = fig.subplots(len(views), 1, squeeze=False)[:, 0]
    for ax, view in zip(axes, views, strict=True):
        p = probs[view]
        extent = (0, p.shape[0] * LABEL_FRAME_S, -0.5, p.shape[1] - 0.5)
        ax.imshow(p.T, aspect="auto", origin="lower", vmin=0, vmax=1, cmap="magma", extent=extent)
        ax.set_yticks(range(p.shape[1]), model.views[view], fontsize=7)
        ax.set_ylabel(view)
    axes[-1].set_xlabel("time (s)")
    axes[0].set_title(f"{title}: class probabilities ({model.name})", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
