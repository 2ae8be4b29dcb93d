"""Scenes rendered on the fly as training data, without a dataset on disk (*torch*).

:class:`RenderedScenes` is a :class:`torch.utils.data.Dataset` whose item ``i`` is scene
``first_index + i`` of a :class:`bindata.Synthesizer`, drawn, rendered and turned into the
benchmark's features and targets when it is asked for: the windows, targets and masks that
:class:`~bindata.benchmark.torch_dataset.SequenceDataset` gives for file ``first_index + i`` of
the dataset :func:`bindata.synthesize` writes with the same config and seed (the same 16-bit
samples, converted to float as the WAV reader does, through the same feature, target and window
functions). Nothing is written; a run of any length trains on fresh scenes::

    import bindata
    from torch.utils.data import DataLoader
    from bindata.benchmark.stream import RenderedScenes

    syn = bindata.Synthesizer(seed=0, n_files=100_000, duration_s=15)
    train = RenderedScenes(syn, method="EqSepBran-J", n_scenes=10_000)
    loader = DataLoader(train, batch_size=4, shuffle=True, num_workers=2,
                        collate_fn=RenderedScenes.collate)
    for x, y, mask in loader:
        ...  # x (4 * W, 4, 128, 512): the W windows of each of 4 scenes

Fresh scenes every epoch: make epoch ``e``'s dataset with ``first_index=e * n_scenes`` and the
first one's ``norm``; :func:`rebatch` cuts the loader's batches into batches of a fixed number
of windows.

Why a map-style dataset rather than an :class:`~torch.utils.data.IterableDataset`: scene ``i``
depends on ``(seed, i)`` only, so an index is all a worker needs; shuffling, samplers and the
split of the work among DataLoader workers then come from PyTorch as for any indexable dataset,
and an item is the same whichever worker renders it and in whatever order.

Each process renders with a :class:`bindata.Synthesizer` of its own, made from the run's seed and
checked config on first use (its HRIR set and event library are loaded once per process), so the
dataset pickles small and works with any DataLoader start method.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

import bindata

from ..divisions import get_view, load_divisions, use_divisions
from ..errors import ConfigError
from . import require_torch
from .corpus import Corpus
from .data import sequence_set, window_starts
from .features import (
    DEFAULT_FEATURES,
    FeatureParams,
    NormStats,
    binaural_features,
    n_feature_frames,
    normalisation_stats,
)
from .methods import get_method, model_of

torch = require_torch()

#: Full scale of 16-bit PCM: a WAV reader's float is ``sample / 32768``.
PCM16_SCALE = 32768.0


def pcm_to_float(pcm) -> np.ndarray:
    """16-bit samples as the float64 values the WAV reader gives (``sample / 32768``, exact).

    Parameters
    ----------
    pcm : numpy.ndarray of int16, shape (n, 2)

    Returns
    -------
    numpy.ndarray of float64, shape (n, 2), in [-1, 1)
    """
    return np.asarray(pcm, dtype=np.float64) / PCM16_SCALE


class _OneScene:
    """What :func:`~bindata.benchmark.data.sequence_set` reads of a corpus, for one scene."""

    n_label_frames = Corpus.n_label_frames  # 100 ms label frames of ``duration_s``

    def __init__(self, duration_s: float, features: np.ndarray, rows: np.ndarray):
        self.duration_s, self._features, self._rows = float(duration_s), features, rows

    def features(self, stem, *, params):
        return self._features

    def rows(self, stem):
        return self._rows


def _whole(name: str, value, *, least: int) -> int:
    """``value`` as an int >= ``least``, or a :class:`ConfigError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ConfigError(f"{name} must be a whole number >= {least}, got {value!r}", key=name)
    return int(value)


class RenderedScenes(torch.utils.data.Dataset):
    """Scenes of a synthesis run rendered on demand, as the windows of a method's training data.

    Item ``i`` renders ``synthesizer.render(synthesizer.sample(first_index + i))``, the samples
    of file ``first_index + i`` of :func:`bindata.synthesize` with the same config and seed, and
    returns the windows :class:`~bindata.benchmark.torch_dataset.SequenceDataset` gives for that
    file (with the same normalisation). Scene ``i`` depends on the run's seed and ``i`` only:
    not on the order in which items are read, nor on the process that renders them.

    Parameters
    ----------
    synthesizer : bindata.Synthesizer or dict
        The run: a synthesizer, or its keyword arguments (``{"seed": 0, "duration_s": 15,
        "n_files": 100_000, ...}``, see :class:`bindata.Synthesizer`).
    method : str, optional, keyword-only
        A method of ``metadata/methods.json`` (e.g. ``"EqSepBran-J"``) whose model's targets to
        give; or give ``views``.
    model : str, optional, keyword-only
        The model of a multi-model method (e.g. ``"lr"`` of ``"EqSepMod"``).
    views : sequence of str, optional, keyword-only
        Views whose classes form the targets, side by side, instead of a method.
    n_scenes : int, optional, keyword-only
        Scenes in the dataset (>= 1); default: the synthesizer's files from ``first_index`` on.
        ``first_index + n_scenes`` must not exceed its ``n_files``.
    first_index : int, keyword-only
        File index of item 0 (>= 0): successive ``first_index`` values give disjoint scenes.
    seq_len : int, keyword-only
        Feature frames per window (128 as the paper).
    norm : NormStats or dict, optional, keyword-only
        Normalisation (e.g. the training set's ``norm``, or a dict of ``mean`` and ``std``);
        default: the statistics of the first ``norm_scenes`` scenes, rendered when the dataset
        is made (the statistics :class:`SequenceDataset` uses when those are all its files).
    norm_scenes : int, keyword-only
        Scenes for the default normalisation (at most ``n_scenes``).
    divisions : path-like or dict, optional, keyword-only
        A user's divisions file or spec for ``views``.
    params : FeatureParams, keyword-only
        Feature settings (the benchmark's by default).

    Attributes
    ----------
    seed : int
    config : dict
        The run's checked config.
    views : tuple of str
    classes : tuple of str
        Target columns, view after view.
    norm : NormStats
    windows_per_scene : int
        Windows ``W`` of every scene (all scenes of a run last ``duration_s``).

    Raises
    ------
    ConfigError
        ``n_scenes``, ``first_index``, ``seq_len`` or ``norm_scenes`` out of range, scenes past
        the synthesizer's ``n_files``, an unknown view, or neither or both of ``method`` and
        ``views``; a bad option of the synthesizer.
    BenchmarkError
        An unknown method, or a model the method does not have.

    Notes
    -----
    An item is ``(x, y, mask)``, float32 tensors: ``x`` (W, 4, seq_len, n_bins) normalised
    features, ``y`` (W, seq_len, C) 0/1 targets, ``mask`` (W, seq_len), 0 on padded frames.
    :meth:`collate` puts the windows of several items in one batch (B * W windows);
    :func:`rebatch` cuts such batches into batches of a fixed number of windows.

    Examples
    --------
    >>> import bindata
    >>> from bindata.benchmark.stream import RenderedScenes
    >>> syn = bindata.Synthesizer(seed=0, n_files=8, duration_s=3)
    >>> ds = RenderedScenes(syn, method="EqSepMod", model="lr", n_scenes=2, seq_len=64)
    >>> x, y, mask = ds[0]
    >>> tuple(x.shape), tuple(y.shape), ds.classes
    ((3, 4, 64, 512), (3, 64, 2), ('left', 'right'))
    """

    def __init__(
        self,
        synthesizer,
        *,
        method: str | None = None,
        model: str | None = None,
        views=None,
        n_scenes: int | None = None,
        first_index: int = 0,
        seq_len: int = 128,
        norm: NormStats | dict | None = None,
        norm_scenes: int = 16,
        divisions=None,
        params: FeatureParams = DEFAULT_FEATURES,
    ):
        views = self._views(method, model, views)
        self.first_index = _whole("first_index", first_index, least=0)
        self.seq_len = _whole("seq_len", seq_len, least=1)
        norm_scenes = _whole("norm_scenes", norm_scenes, least=1)
        if isinstance(synthesizer, Mapping):
            synthesizer = bindata.Synthesizer(**synthesizer)
        elif not isinstance(synthesizer, bindata.Synthesizer):
            raise ConfigError(
                "synthesizer must be a bindata.Synthesizer or a dict of its options, got "
                f"{type(synthesizer).__name__}",
                key="synthesizer",
            )
        n_files = len(synthesizer)
        if n_scenes is None:
            n_scenes = max(n_files - self.first_index, 0)
            if n_scenes < 1:
                raise ConfigError(
                    f"first_index ({self.first_index}) leaves no scene of the synthesizer's "
                    f"n_files ({n_files})",
                    key="first_index",
                )
        self.n_scenes = _whole("n_scenes", n_scenes, least=1)
        if self.first_index + self.n_scenes > n_files:
            raise ConfigError(
                f"first_index + n_scenes ({self.first_index + self.n_scenes}) exceeds the "
                f"synthesizer's n_files ({n_files}); make it with n_files >= "
                f"{self.first_index + self.n_scenes} (scene i depends on the seed and i only)",
                key="n_scenes",
            )
        self.seed, self.config = synthesizer.seed, synthesizer.config
        self._synth = synthesizer
        self.params = params
        self._divisions = (
            load_divisions(divisions)
            if divisions is not None and not isinstance(divisions, dict)
            else divisions
        )
        with use_divisions(self._divisions):
            self.views = tuple(views)
            self.classes = tuple(c for v in self.views for c in get_view(v).classes)
        sample_rate, duration_s = int(self.config.sample_rate), float(self.config.duration_s)
        _, hop = params.frame_sizes(sample_rate)
        frames = n_feature_frames(int(round(duration_s * sample_rate)), hop)
        self.windows_per_scene = len(window_starts(frames, self.seq_len))
        if norm is None:
            k = min(norm_scenes, self.n_scenes)
            norm = normalisation_stats(self.scene_features(i)[0] for i in range(k))
        elif isinstance(norm, Mapping):
            norm = NormStats.from_dict(norm)
        self.norm = norm

    @staticmethod
    def _views(method, model, views) -> tuple:
        if (method is None) == (views is None):
            raise ConfigError(
                "give either a method (and its model) or views for the targets, not "
                + ("both" if method is not None else "neither"),
                key="method",
            )
        if method is not None:
            return model_of(get_method(method), model).views
        if model is not None:
            raise ConfigError("model names a model of a method; give the method too", key="model")
        if isinstance(views, str) or not views:
            raise ConfigError(
                f"views must be a non-empty list of view names, got {views!r}", key="views"
            )
        return tuple(views)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_synth"] = None  # each process makes its own (HRIRs and events loaded once)
        return state

    def synthesizer(self):
        """This process's :class:`bindata.Synthesizer` of the run (made on first use)."""
        if self._synth is None:
            self._synth = bindata.Synthesizer(seed=self.seed, config=self.config)
        return self._synth

    def __len__(self) -> int:
        return self.n_scenes

    def _file_index(self, index) -> int:
        i = int(index)
        if i < 0:
            i += self.n_scenes
        if not 0 <= i < self.n_scenes:
            raise IndexError(f"scene {index} out of range for {self.n_scenes} scenes")
        return self.first_index + i

    def scene_features(self, index: int):
        """Unnormalised features, label rows and scene of item ``index``.

        Returns
        -------
        features : numpy.ndarray of float32, shape (n_frames, 4, n_bins)
            What the feature cache holds for the file.
        rows : numpy.ndarray
            The file's metadata rows.
        scene : dict
            The scene (as ``scenes/<stem>.json`` of the dataset).
        """
        syn = self.synthesizer()
        scene = syn.sample(self._file_index(index))
        pcm, rows = syn.render(scene)
        feats = binaural_features(
            pcm_to_float(pcm), sample_rate=int(scene.sample_rate), params=self.params
        )
        return feats, rows, scene

    def __getitem__(self, index: int):
        feats, rows, scene = self.scene_features(index)
        with use_divisions(self._divisions):
            sset = sequence_set(
                _OneScene(scene.duration_s, feats, rows),
                [scene.stem],
                views=self.views,
                norm=self.norm,
                params=self.params,
                seq_len=self.seq_len,
            )
        x, y, mask = sset.batch(np.arange(len(sset)))
        return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(mask)

    @staticmethod
    def collate(items):
        """Windows of several items as one batch: ``x`` (sum W, 4, L, n_bins), ``y``, ``mask``.

        The ``collate_fn`` of a :class:`torch.utils.data.DataLoader` over this dataset.
        """
        return tuple(torch.cat(parts) for parts in zip(*items, strict=True))


def rebatch(batches, batch_size: int):
    """Batches of exactly ``batch_size`` windows (the last one smaller) from batches of any size.

    Parameters
    ----------
    batches : iterable of (x, y, mask)
        E.g. a DataLoader over :class:`RenderedScenes` with :meth:`RenderedScenes.collate`.
    batch_size : int
        Windows per batch out, in the order they come in.

    Yields
    ------
    (x, y, mask) tensors of ``batch_size`` windows

    Examples
    --------
    >>> import torch
    >>> parts = [(torch.zeros(3, 4), torch.zeros(3, 2), torch.ones(3))] * 3
    >>> [tuple(x.shape) for x, _, _ in rebatch(parts, 4)]
    [(4, 4), (4, 4), (1, 4)]
    """
    batch_size = _whole("batch_size", batch_size, least=1)
    pending, held = [], 0
    for part in batches:
        pending.append(part)
        held += int(part[0].shape[0])
        if held < batch_size:
            continue
        joined = [torch.cat(p) for p in zip(*pending, strict=True)]
        start = 0
        while held - start >= batch_size:
            yield tuple(t[start : start + batch_size] for t in joined)
            start += batch_size
        pending = [tuple(t[start:] for t in joined)] if start < held else []
        held -= start
    if held:
        yield tuple(torch.cat(p) for p in zip(*pending, strict=True))
