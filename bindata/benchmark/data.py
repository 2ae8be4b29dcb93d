"""Training sequences: 128-frame windows of memory-mapped features and their targets (numpy only).

Each file is cut into windows of ``seq_len`` feature frames starting at ``0, seq_len, ...``; when
``seq_len`` does not divide the file, one more window ends at the file's end (it overlaps the
previous one), so that every frame is seen. A file shorter than ``seq_len`` gives one window,
zero-padded, whose padded frames have mask 0 (no loss). Batches are drawn in an order given by a
``numpy.random.Generator`` (shuffling) or in index order.

Ear swapping (``--augment swap``): swapping the left and right signals of a scene gives the
scene mirrored in the median plane, azimuth ``phi -> -phi`` (elevation and distance kept). Its
features follow from the definitions in :mod:`~bindata.benchmark.features`: the IPD changes
sign (``sin_ipd -> -sin_ipd``, ``cos_ipd`` kept), so does the ILD, and the magnitude (the mean of
both ears) is unchanged; its targets are those of the labels with negated azimuth, computed by
the same label views (left and right exchange; front/back, top/bottom and distance stay). A
swapped window of normalised features ``z = (x - mean) / std`` is ``-z - 2 mean / std`` in the
two odd channels. Which windows are swapped is drawn per window from a generator of its own.

Windows are read from the memory-mapped files per batch, or (:class:`FrameStore`) from the
normalised features of all files held once in (device) memory and shared by the models of a fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import CHANNELS, FeatureParams, NormStats
from .targets import frames_per_label, label_activity, upsample

#: Feature channels whose sign flips when the ears are swapped.
ODD_CHANNELS = (CHANNELS.index("sin_ipd"), CHANNELS.index("ild_db"))


def swap_ears_normalised(z, norm: NormStats, flip):
    """Windows ``z`` (B, L, 4, bins) of normalised features with rows ``flip`` ear-swapped.

    Works on numpy arrays and torch tensors alike (in place; ``flip`` a boolean mask (B,)).
    """
    for c in ODD_CHANNELS:
        shift = 2.0 * norm.mean[c] / norm.std[c]
        if not isinstance(z, np.ndarray):
            shift = z.new_tensor(shift)
        z[flip, :, c] = -z[flip, :, c] - shift
    return z


def mirror_rows(rows: np.ndarray) -> np.ndarray:
    """DCASE rows of the scene mirrored left <-> right (azimuth negated)."""
    out = rows.copy()
    out["azimuth"] = -out["azimuth"]
    return out


def window_starts(n_frames: int, seq_len: int) -> np.ndarray:
    """Start frames of the windows covering ``n_frames`` (see the module docstring)."""
    if n_frames <= seq_len:
        return np.zeros(1, dtype=np.int64)
    starts = list(range(0, n_frames - seq_len + 1, seq_len))
    if starts[-1] + seq_len < n_frames:
        starts.append(n_frames - seq_len)
    return np.asarray(starts, dtype=np.int64)


@dataclass
class SequenceSet:
    """Windows of several files.

    Attributes
    ----------
    features : list of numpy.ndarray
        Per file, features (n_frames, 4, n_bins), typically memory-mapped.
    targets : list of numpy.ndarray
        Per file, targets (n_frames, C) float32 at the feature frame rate.
    norm : NormStats
        Applied to every window as it is read.
    seq_len : int
    index : numpy.ndarray of int64, shape (n_windows, 2)
        (file, start frame) of each window.
    swapped_targets : list of numpy.ndarray or None
        Per file, the targets of the ear-swapped (mirrored) scene; None: no swapping.
    store : FrameStore or None
        When given, windows are read from it (tensors on its device) instead of ``features``.
    labels : list of numpy.ndarray or None
        Per file, the class activity (n_label_frames, C) bool at the 100 ms label frame rate
        (what the scorer compares with; for the validation F1).
    ratio : int
        Feature frames per label frame.
    """

    features: list
    targets: list
    norm: NormStats
    seq_len: int
    index: np.ndarray
    swapped_targets: list | None = None
    store: FrameStore | None = None
    labels: list | None = None
    ratio: int = 1

    def __len__(self) -> int:
        return int(self.index.shape[0])

    def batch(self, ids, flip=None):
        """Windows ``ids`` as ``x`` (B, 4, L, n_bins), ``y`` (B, L, C) and ``mask`` (B, L).

        ``flip`` (boolean (B,)) swaps the ears of those windows (needs ``swapped_targets``).
        Arrays, or tensors on the store's device when the set has a :class:`FrameStore`.
        """
        ids = np.asarray(ids)
        flip = np.zeros(len(ids), bool) if flip is None else np.asarray(flip, bool)
        if self.store is not None:
            return self.store.batch(self, ids, flip)
        n_ch, n_bins = self.features[0].shape[1:]
        n_cls = self.targets[0].shape[1]
        x = np.zeros((len(ids), self.seq_len, n_ch, n_bins), dtype=np.float32)
        y = np.zeros((len(ids), self.seq_len, n_cls), dtype=np.float32)
        mask = np.zeros((len(ids), self.seq_len), dtype=np.float32)
        for row, (f, start) in enumerate(self.index[ids]):
            part = self.features[f][start : start + self.seq_len]
            n = part.shape[0]
            x[row, :n] = self.norm.apply(part)
            y[row, :n] = self._targets(flip[row])[f][start : start + n]
            mask[row, :n] = 1.0
        x = swap_ears_normalised(x, self.norm, flip) if flip.any() else x
        x[mask == 0] = 0.0
        return np.ascontiguousarray(x.transpose(0, 2, 1, 3)), y, mask

    def _targets(self, flipped: bool) -> list:
        if not flipped:
            return self.targets
        if self.swapped_targets is None:
            raise ValueError("ear swapping needs the sequence set's swapped_targets")
        return self.swapped_targets

    def batches(
        self,
        *,
        batch_size: int,
        rng: np.random.Generator | None = None,
        swap_rng: np.random.Generator | None = None,
    ):
        """Yield ``(x, y, mask)`` batches, shuffled with ``rng`` when given.

        With ``swap_rng``, each window's ears are swapped with probability 1/2.
        """
        order = np.arange(len(self)) if rng is None else rng.permutation(len(self))
        for k in range(0, len(order), batch_size):
            ids = order[k : k + batch_size]
            flip = None if swap_rng is None else swap_rng.random(len(ids)) < 0.5
            yield self.batch(ids, flip)


class FrameStore:
    """Normalised features of a list of files in one tensor on a device, shared by sequence sets.

    File ``f`` occupies rows ``[base[f], base[f] + max(n_f, seq_len))`` of a
    (total, 4, n_bins) tensor (zero rows after a file shorter than ``seq_len``); targets of each
    set are stored alongside on first use. Same windows as the memory-mapped reading.
    """

    def __init__(self, features, norm: NormStats, seq_len: int, device: str):
        import torch

        self.lengths = np.array([x.shape[0] for x in features], dtype=np.int64)
        rows = np.maximum(self.lengths, seq_len)
        self.base = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(np.int64)
        self.device, self.seq_len = device, seq_len
        n_ch, n_bins = features[0].shape[1:]
        self.frames = torch.zeros(
            (int(rows.sum()), n_ch, n_bins), dtype=torch.float32, device=device
        )
        for f, x in enumerate(features):
            part = torch.from_numpy(norm.apply(x))
            self.frames[self.base[f] : self.base[f] + x.shape[0]] = part.to(device)
        self._targets = {}

    def _flat_targets(self, targets: list):
        import torch

        key = id(targets)
        if key not in self._targets:
            rows = int(self.frames.shape[0])
            flat = torch.zeros((rows, targets[0].shape[1]), dtype=torch.float32)
            for f, y in enumerate(targets):
                flat[self.base[f] : self.base[f] + y.shape[0]] = torch.from_numpy(y)
            self._targets[key] = (targets, flat.to(self.device))
        return self._targets[key][1]

    def batch(self, sset: SequenceSet, ids, flip):
        """Like :meth:`SequenceSet.batch`, as tensors on the store's device."""
        import torch

        f, start = sset.index[ids, 0], sset.index[ids, 1]
        offs = np.arange(self.seq_len)
        rows = torch.from_numpy(self.base[f, None] + start[:, None] + offs).to(self.device)
        valid = torch.from_numpy((start[:, None] + offs) < self.lengths[f, None])
        mask = valid.to(self.device, torch.float32)
        x = self.frames[rows]
        y = self._flat_targets(sset.targets)[rows]
        if flip.any():
            fl = torch.from_numpy(flip).to(self.device)
            x = swap_ears_normalised(x, sset.norm, fl)
            y[fl] = self._flat_targets(sset._targets(True))[rows[fl]]
            x = x * mask[:, :, None, None]
        y = y * mask.unsqueeze(-1)
        return x.permute(0, 2, 1, 3).contiguous(), y, mask


def sequence_set(
    corpus,
    stems,
    *,
    views,
    norm: NormStats,
    params: FeatureParams,
    seq_len: int,
    swap: bool = False,
    store: FrameStore | None = None,
):
    """The :class:`SequenceSet` of ``stems`` for a model whose branches have ``views``.

    ``swap`` also computes the targets of the ear-swapped scenes; ``store`` (made from the same
    ``stems`` and ``norm``) makes batches read from device memory.
    """
    feats, targets, swapped, index, labels = [], [], [], [], []
    ratio = frames_per_label(params.hop_s)
    for k, stem in enumerate(stems):
        x = corpus.features(stem, params=params)
        feats.append(x)
        kw = {"n_frames": corpus.n_label_frames, "views": views}
        n = x.shape[0]
        rows = corpus.rows(stem)
        labels.append(label_activity(rows, **kw))
        targets.append(upsample(labels[-1], n_feature_frames=n, ratio=ratio))
        if swap:
            act = label_activity(mirror_rows(rows), **kw)
            swapped.append(upsample(act, n_feature_frames=n, ratio=ratio))
        starts = window_starts(x.shape[0], seq_len)
        index.append(np.stack([np.full(starts.shape, k), starts], axis=1))
    return SequenceSet(
        feats,
        targets,
        norm,
        seq_len,
        np.concatenate(index).astype(np.int64),
        swapped if swap else None,
        store,
        labels,
        ratio,
    )


def positive_weights(targets) -> np.ndarray:
    """``N_neg / N_pos`` of each class over the frames of ``targets`` (per file (n, C)).

    The ``pos_weight`` of a class-balanced binary cross-entropy; 1 for a class never active.

    Examples
    --------
    >>> positive_weights([np.array([[1, 0], [0, 0], [0, 0], [0, 1]], np.float32)]).tolist()
    [3.0, 3.0]
    """
    pos = sum(np.asarray(t, dtype=np.float64).sum(axis=0) for t in targets)
    frames = sum(int(np.asarray(t).shape[0]) for t in targets)
    pos = np.asarray(pos, dtype=np.float64)
    return np.where(pos > 0, (frames - pos) / np.maximum(pos, 1.0), 1.0)
