"""A :class:`torch.utils.data.Dataset` over a dataset's cached features and view targets (*torch*).

For users who train their own model on bindata data::

    from torch.utils.data import DataLoader
    from bindata.benchmark.torch_dataset import SequenceDataset

    train = SequenceDataset("data/", views=["planes", "proximity"], folds=[2, 3, 4])
    test = SequenceDataset("data/", views=train.views, folds=[1], norm=train.norm)
    for x, y, mask in DataLoader(train, batch_size=32, shuffle=True):
        ...  # x (B, 4, 128, 512) features, y (B, 128, C) 0/1 targets, mask (B, 128)

Items are the windows of :mod:`bindata.benchmark.data` (``seq_len`` feature frames of 20 ms;
the last window of a file ends at its end; padded frames have mask 0): ``x`` the four binaural
feature channels of :mod:`bindata.benchmark.features` normalised by ``norm`` (by default the
statistics of the selected files), ``y`` the activity of the classes of ``views`` side by side
(:mod:`bindata.benchmark.targets`; a class is active while any source lies in it). The targets of
a method's model come with :meth:`SequenceDataset.for_method` (``for_method("data/",
"EqSepBran-J", folds=[2, 3, 4])``); a
user's divisions (:func:`bindata.divisions.load_divisions`) give their own views' targets.
Features are computed once and cached (``DATASET/features`` or ``cache_dir``).
"""

from __future__ import annotations

from ..divisions import get_view, load_divisions, use_divisions
from ..errors import ConfigError
from . import require_torch
from .corpus import open_corpus
from .data import sequence_set
from .features import DEFAULT_FEATURES, FeatureParams, NormStats, normalisation_stats
from .methods import get_method, model_of

torch = require_torch()


class SequenceDataset(torch.utils.data.Dataset):
    """Feature windows and targets of a bindata dataset, as ``(x, y, mask)`` float32 tensors.

    Parameters
    ----------
    dataset : path-like
        A bindata dataset (``manifest.json``, ``audio/``, ``metadata/``).
    views : sequence of str, keyword-only
        Views whose classes form the targets, side by side (e.g. ``["planes"]`` or a method
        model's ``views``).
    folds : iterable of int, optional, keyword-only
        Files of these folds only (default: all).
    seq_len : int, keyword-only
        Feature frames per window (128 as the paper).
    norm : bindata.benchmark.features.NormStats, optional, keyword-only
        Normalisation (pass the training set's to a test set); default: these files' statistics.
    divisions : path-like or dict, optional, keyword-only
        A user's divisions file or spec for ``views``.
    cache_dir : path-like, optional, keyword-only
        Feature cache folder instead of ``DATASET/features``.
    params : FeatureParams, keyword-only

    Attributes
    ----------
    stems : list of str
    views : tuple of str
    classes : tuple of str
        Target column names, view after view.
    norm : NormStats
    """

    def __init__(
        self,
        dataset,
        *,
        views,
        folds=None,
        seq_len: int = 128,
        norm: NormStats | None = None,
        divisions=None,
        cache_dir=None,
        params: FeatureParams = DEFAULT_FEATURES,
    ):
        if isinstance(views, str) or not views:
            raise ConfigError(f"views must be a non-empty list of view names, got {views!r}")
        if int(seq_len) < 1:
            raise ConfigError(f"seq_len must be >= 1, got {seq_len!r}")
        corpus = open_corpus(dataset, cache_dir=cache_dir)
        self.stems = corpus.stems_of(corpus.fold_ids if folds is None else folds)
        if not self.stems:
            raise ConfigError(f"folds {sorted(folds)} select no file; folds: {corpus.fold_ids}")
        spec = (
            load_divisions(divisions)
            if divisions is not None and not isinstance(divisions, dict)
            else divisions
        )
        with use_divisions(spec):
            self.views = tuple(views)
            self.classes = tuple(c for v in self.views for c in get_view(v).classes)
            self.norm = norm or normalisation_stats(
                corpus.features(s, params=params) for s in self.stems
            )
            self._set = sequence_set(
                corpus,
                self.stems,
                views=self.views,
                norm=self.norm,
                params=params,
                seq_len=int(seq_len),
            )

    @classmethod
    def for_method(cls, dataset, method: str, *, model: str | None = None, **kwargs):
        """The dataset with the targets of a method's model (``metadata/methods.json``).

        ``model`` names one model of a multi-model method (e.g. ``lr`` of ``EqSepModl``).
        """
        return cls(dataset, views=model_of(get_method(method), model).views, **kwargs)

    def __len__(self) -> int:
        return len(self._set)

    def __getitem__(self, index: int):
        x, y, mask = self._set.batch([int(index)])
        return torch.from_numpy(x[0]), torch.from_numpy(y[0]), torch.from_numpy(mask[0])
