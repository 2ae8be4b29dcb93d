"""Validation F1 of a model's views after each epoch, as the scorer computes it (numpy only).

The validation pass already gives the probabilities of every window of the validation files
(:class:`~bindata.benchmark.data.SequenceSet`, windows in index order). They are put back
together per file as the prediction does (:func:`~bindata.benchmark.portable.predict_features`:
frames covered by several windows take the mean of their probabilities), brought to the 100 ms
label frames (:func:`~bindata.benchmark.targets.to_label_frames`), made active where they reach
the decision threshold, and scored with the scorer's own functions (:mod:`bindata.score`): 1 s
segment activity, segment counts and the overall (pooled over segments, classes and files)
F1 of each view. So the validation F1 of a view is the figure ``bindata score`` gives for the
validation files predicted with the weights of that epoch (up to the forward pass's precision,
and for files shorter than one window, which are zero-padded here and cut short there).

The views of a model are its branches' views, a ``concat`` view split into its parts (EqOne-J's
``proximity_and_octants`` branch is scored as ``proximity`` and ``octants``, as in Table 5).
"""

from __future__ import annotations

import numpy as np

from ..divisions import active_divisions, get_view
from ..scene.labels import LABEL_FRAME_S
from ..score import overall_metrics, segment_activity, segment_counts
from ..score.segments import SEGMENT_S, frames_per_segment
from .targets import to_label_frames


def scored_views(model) -> list[tuple[str, slice]]:
    """``(view, columns)`` of each view of a model's outputs that the validation F1 reports.

    Parameters
    ----------
    model : bindata.benchmark.methods.ModelSpec

    Examples
    --------
    >>> from bindata.benchmark.methods import get_method
    >>> scored_views(get_method("EqOne-J").models[0])
    [('proximity', slice(0, 2, None)), ('octants', slice(2, 10, None))]
    """
    spec = active_divisions()["views"]
    out, start = [], 0
    for branch in model.branches:
        view = spec.get(branch.view, {})
        parts = view["parts"] if view.get("type") == "concat" else [branch.view]
        for part in parts:
            width = len(get_view(part).classes)
            out.append((part, slice(start, start + width)))
            start += width
    return out


def file_probabilities(sset, window_probs) -> list[np.ndarray]:
    """Per file of ``sset``, probabilities (n_frames, C) of its feature frames from its windows.

    Parameters
    ----------
    sset : bindata.benchmark.data.SequenceSet
    window_probs : numpy.ndarray, shape (n_windows, seq_len, C)
        Probabilities of the windows of ``sset`` in index order.
    """
    probs = np.asarray(window_probs, dtype=np.float64)
    lengths = np.array([t.shape[0] for t in sset.targets], dtype=np.int64)
    base = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    f, start = sset.index[:, 0], sset.index[:, 1]
    offs = np.arange(probs.shape[1])
    valid = (start[:, None] + offs) < lengths[f, None]
    rows = (base[f, None] + start[:, None] + offs)[valid]
    total = np.zeros((int(lengths.sum()), probs.shape[2]))
    counts = np.zeros(int(lengths.sum()))
    np.add.at(total, rows, probs[valid])
    np.add.at(counts, rows, 1.0)
    mean = total / np.maximum(counts, 1.0)[:, None]
    return [mean[b : b + n] for b, n in zip(base, lengths, strict=True)]


def validation_f1(sset, window_probs, *, views, threshold: float = 0.5) -> dict:
    """Overall 1 s segment-based F1 of each view on the files of ``sset``.

    Parameters
    ----------
    sset : bindata.benchmark.data.SequenceSet
        With ``labels`` (label-frame activity) and ``ratio``.
    window_probs : numpy.ndarray, shape (n_windows, seq_len, C)
        Probabilities of its windows in index order.
    views : sequence of (str, slice), keyword-only
        :func:`scored_views` of the model.
    threshold : float, keyword-only
        A class is active in a label frame when its mean probability is ``>= threshold``.

    Returns
    -------
    dict
        View -> F1 in [0, 1], None when the view has no reference activity in these files.
    """
    fps = frames_per_segment(segment_s=SEGMENT_S, frame_s=LABEL_FRAME_S)
    per_file = file_probabilities(sset, window_probs)
    est = np.stack(
        [
            to_label_frames(p, n_label_frames=lab.shape[0], ratio=sset.ratio) >= threshold
            for p, lab in zip(per_file, sset.labels, strict=True)
        ]
    )
    ref = segment_activity(np.stack(sset.labels), frames_per_segment=fps)
    est = segment_activity(est, frames_per_segment=fps)
    return {
        view: overall_metrics(segment_counts(ref[..., cols], est[..., cols]))["f_measure"]
        for view, cols in views
    }


def mean_f1(val_f1: dict) -> float:
    """Mean of the defined F1 of :func:`validation_f1` (0 when none is defined)."""
    values = [v for v in val_f1.values() if v is not None]
    return float(np.mean(values)) if values else 0.0
