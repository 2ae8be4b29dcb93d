"""Training sequences: 128-frame windows of memory-mapped features and their targets (numpy only).

Each file is cut into windows of ``seq_len`` feature frames starting at ``0, seq_len, ...``; when
``seq_len`` does not divide the file, one more window ends at the file's end (it overlaps the
previous one), so that every frame is seen. A file shorter than ``seq_len`` gives one window,
zero-padded, whose padded frames have mask 0 (no loss). Batches are drawn in an order given by a
``numpy.random.Generator`` (shuffling) or in index order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import FeatureParams, NormStats
from .targets import frames_per_label, label_activity, upsample


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
    """

    features: list
    targets: list
    norm: NormStats
    seq_len: int
    index: np.ndarray

    def __len__(self) -> int:
        return int(self.index.shape[0])

    def batch(self, ids) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Windows ``ids`` as ``x`` (B, 4, L, n_bins), ``y`` (B, L, C) and ``mask`` (B, L)."""
        ids = np.asarray(ids)
        n_ch, n_bins = self.features[0].shape[1:]
        n_cls = self.targets[0].shape[1]
        x = np.zeros((len(ids), self.seq_len, n_ch, n_bins), dtype=np.float32)
        y = np.zeros((len(ids), self.seq_len, n_cls), dtype=np.float32)
        mask = np.zeros((len(ids), self.seq_len), dtype=np.float32)
        for row, (f, start) in enumerate(self.index[ids]):
            part = self.features[f][start : start + self.seq_len]
            n = part.shape[0]
            x[row, :n] = self.norm.apply(part)
            y[row, :n] = self.targets[f][start : start + n]
            mask[row, :n] = 1.0
        return np.ascontiguousarray(x.transpose(0, 2, 1, 3)), y, mask

    def batches(self, *, batch_size: int, rng: np.random.Generator | None = None):
        """Yield ``(x, y, mask)`` batches, shuffled with ``rng`` when given."""
        order = np.arange(len(self)) if rng is None else rng.permutation(len(self))
        for k in range(0, len(order), batch_size):
            yield self.batch(order[k : k + batch_size])


def file_targets(corpus, stem: str, *, views, n_feature_frames: int, params: FeatureParams):
    """Targets (n_feature_frames, C) of one file for a model whose branches have ``views``."""
    act = label_activity(corpus.rows(stem), n_frames=corpus.n_label_frames, views=views)
    return upsample(act, n_feature_frames=n_feature_frames, ratio=frames_per_label(params.hop_s))


def sequence_set(corpus, stems, *, views, norm: NormStats, params: FeatureParams, seq_len: int):
    """The :class:`SequenceSet` of ``stems`` for a model whose branches have ``views``."""
    feats, targets, index = [], [], []
    for k, stem in enumerate(stems):
        x = corpus.features(stem, params=params)
        feats.append(x)
        targets.append(file_targets(corpus, stem, views=views, n_feature_frames=x.shape[0],
                                    params=params))  # fmt: skip
        starts = window_starts(x.shape[0], seq_len)
        index.append(np.stack([np.full(starts.shape, k), starts], axis=1))
    return SequenceSet(feats, targets, norm, seq_len, np.concatenate(index).astype(np.int64))
