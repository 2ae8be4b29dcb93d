"""Targets at the feature frame rate and predictions back at the label frame rate.

Targets come from the scorer's label views (:func:`bindata.divisions.frame_activity`): a class is
active in a 100 ms label frame when any source of that frame lies in it. Feature frames are 20 ms,
so each label frame is repeated :func:`frames_per_label` (5) times. Predicted probabilities go
back to label frames as the **mean** of the feature frames of each label frame (a class then
counts as active when its mean probability is >= 0.5).

Product views (the octants of EqSepMod / EqSepBran) are derived from plane outputs with the
paper's Eq. (1): ``P_c = (P_lr * P_fb * P_tb) ** (1/3)``, the geometric mean of the probabilities
of the classes that make ``c``.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..divisions import active_divisions, frame_activity, get_view
from ..errors import BenchmarkError
from ..scene.labels import LABEL_FRAME_S


def frames_per_label(hop_s: float) -> int:
    """Feature frames per 100 ms label frame (5 for a 20 ms hop); must be a whole number."""
    ratio = LABEL_FRAME_S / hop_s
    n = int(round(ratio))
    if n < 1 or abs(ratio - n) > 1e-9:
        raise BenchmarkError(f"feature hop {hop_s} s must divide the {LABEL_FRAME_S} s label frame")
    return n


def label_activity(rows, *, n_frames: int, views) -> np.ndarray:
    """Activity (n_frames, C) of the classes of ``views`` side by side, from DCASE rows.

    Parameters
    ----------
    rows : numpy.ndarray
        Rows of one file (:data:`bindata.scene.labels.ROW_DTYPE`; distance in cm).
    n_frames : int, keyword-only
        Label frames of the file.
    views : sequence of str
        View names (one per branch).
    """
    parts = [
        frame_activity(
            rows["frame"],
            rows["azimuth"],
            rows["elevation"],
            rows["distance"] / 100.0,
            n_frames=n_frames,
            view=get_view(v),
        )
        for v in views
    ]
    return np.concatenate(parts, axis=1)


def upsample(label_act, *, n_feature_frames: int, ratio: int) -> np.ndarray:
    """Label-frame targets repeated to the feature frame rate, float32 (n_feature_frames, C).

    Feature frame ``t`` takes label frame ``min(t // ratio, n_label_frames - 1)``.
    """
    label_act = np.asarray(label_act)
    idx = np.minimum(np.arange(n_feature_frames) // ratio, label_act.shape[0] - 1)
    return label_act[idx].astype(np.float32)


def to_label_frames(probs, *, n_label_frames: int, ratio: int) -> np.ndarray:
    """Mean of the feature-frame probabilities of each label frame, (n_label_frames, C).

    A label frame without feature frames (a file shorter than whole frames) repeats the last
    computed one.
    """
    probs = np.asarray(probs, dtype=np.float64)
    idx = np.arange(probs.shape[0]) // ratio
    keep = idx < n_label_frames
    sums = np.zeros((n_label_frames, probs.shape[1]))
    counts = np.zeros(n_label_frames)
    np.add.at(sums, idx[keep], probs[keep])
    np.add.at(counts, idx[keep], 1.0)
    have = np.flatnonzero(counts > 0)
    if have.size == 0:
        raise BenchmarkError("no feature frame falls in any label frame")
    out = sums[have] / counts[have, None]
    fill = np.searchsorted(have, np.arange(n_label_frames), side="right") - 1
    return out[np.maximum(fill, 0)]


def rescale_threshold(probs, threshold: float) -> np.ndarray:
    """Probabilities mapped so that ``threshold`` becomes 0.5, the scorer's decision threshold.

    The map is piecewise linear and increasing: ``p / (2 t)`` below ``t`` and
    ``1/2 + (p - t) / (2 (1 - t))`` from ``t`` on, so ``rescale(p) >= 0.5`` exactly when
    ``p >= t``; 0 and 1 are kept, and ``t = 0.5`` returns the probabilities unchanged.

    Examples
    --------
    >>> rescale_threshold(np.array([0.0, 0.1, 0.2, 0.6, 1.0]), 0.2).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    p = np.asarray(probs, dtype=np.float64)
    t = float(threshold)
    if t == 0.5:
        return p
    return np.where(p < t, p / (2.0 * t), 0.5 + (p - t) / (2.0 * (1.0 - t)))


def product_combos(view_name: str) -> list[list[str]]:
    """The part classes each class of a ``product`` view combines, in the view's class order.

    Examples
    --------
    >>> product_combos("octants")[0]
    ['top', 'front', 'left']
    """
    spec = active_divisions()["views"].get(view_name, {})
    if spec.get("type") != "product":
        raise BenchmarkError(f"{view_name!r} is not a product view; Eq. (1) cannot derive it")
    part_classes = [get_view(p).classes for p in spec["parts"]]
    return [list(combo) for combo in itertools.product(*part_classes)]


def combine_classes(combos, probs: dict) -> np.ndarray:
    """Eq. (1) of the paper: ``prod(P_part) ** (1 / n_parts)`` for each class combination.

    Parameters
    ----------
    combos : sequence of sequence of str
        Per derived class, the part classes it combines (one per part, e.g. top, front, left).
    probs : dict
        Class name -> probabilities (n,) of every part class.

    Returns
    -------
    numpy.ndarray, shape (n, len(combos))

    Examples
    --------
    >>> combine_classes([["a", "b"]], {"a": np.array([0.25]), "b": np.array([1.0])}).tolist()
    [[0.5]]
    """
    cols = []
    for combo in combos:
        missing = [c for c in combo if c not in probs]
        if missing:
            raise BenchmarkError(f"Eq. (1): no probabilities of {missing}")
        stacked = np.stack([np.asarray(probs[c], dtype=np.float64) for c in combo])
        cols.append(np.prod(stacked, axis=0) ** (1.0 / len(combo)))
    return np.stack(cols, axis=1)


def combine_product(view_name: str, probs: dict) -> np.ndarray:
    """Probabilities of a product view from its parts' class probabilities (Eq. (1)).

    Parameters
    ----------
    view_name : str
        A ``product`` view of ``divisions.json`` (e.g. ``octants`` = tb x fb x lr).
    probs : dict
        Class name -> probabilities (n,) of every class of the view's parts.

    Returns
    -------
    numpy.ndarray, shape (n, len(view.classes))
        ``prod(P_part) ** (1 / n_parts)`` per class.
    """
    return combine_classes(product_combos(view_name), probs)
