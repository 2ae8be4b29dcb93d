"""Benchmark of the paper's methods: features, targets, CRNN, training, prediction, tables.

Modules (numpy only unless marked *torch*):

- :mod:`~bindata.benchmark.features` -- the 4 binaural feature channels, cached per file;
- :mod:`~bindata.benchmark.corpus` -- files and folds of a dataset;
- :mod:`~bindata.benchmark.methods` -- the nine methods, read from ``metadata/methods.json``;
- :mod:`~bindata.benchmark.targets` -- targets per feature frame, predictions per label frame;
- :mod:`~bindata.benchmark.data` -- 128-frame training sequences and batches;
- :mod:`~bindata.benchmark.model` -- the CRNN of Fig. 1 (*torch*);
- :mod:`~bindata.benchmark.train` -- training with early stopping, resumable (*torch*);
- :mod:`~bindata.benchmark.loop` -- one epoch of a model or of a batched ensemble (*torch*);
- :mod:`~bindata.benchmark.validation` -- the validation F1 of a model's views after each epoch;
- :mod:`~bindata.benchmark.curves` -- validation curves and training report of a run folder;
- :mod:`~bindata.benchmark.ensemble` -- models of one fold as one grouped network (*torch*);
- :mod:`~bindata.benchmark.accel` -- bf16 autocast, channels-last, ``torch.compile`` (*torch*);
- :mod:`~bindata.benchmark.portable` -- trained methods as model files; the one inference path
  (:func:`load_model`, ``TrainedModel.predict(audio, fs)``) (*torch*);
- :mod:`~bindata.benchmark.predict` -- predictions in the scorer's submission format, of a test
  fold, of any dataset or of any folder of recordings (*torch*);
- :mod:`~bindata.benchmark.stream` -- scenes rendered on the fly as a torch dataset (*torch*);
- :mod:`~bindata.benchmark.scoring` -- 1 s segment-based F1 of the table cells;
- :mod:`~bindata.benchmark.run` -- train, predict and score every method and fold;
- :mod:`~bindata.benchmark.transfer` -- every trained model scored on other datasets;
- :mod:`~bindata.benchmark.tables` -- Tables 3, 4 and 5 beside the paper's figures.

PyTorch is the optional extra ``bindata[benchmark]``; importing this package never imports it
(:func:`load_model` and :class:`RenderedScenes` are imported on first use).
"""

from __future__ import annotations

from ..errors import BenchmarkError

#: What to tell a user without PyTorch.
TORCH_HINT = (
    "install the benchmark extra: pip install torch==2.13.0 (or pip install 'bindata[benchmark]')"
)


#: Public names of submodules, imported on first access (PEP 562).
_LAZY = {
    "load_model": "bindata.benchmark.portable",
    "RenderedScenes": "bindata.benchmark.stream",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def require_torch():
    """Import and return :mod:`torch`, or raise :class:`BenchmarkError` saying how to install it."""
    try:
        import torch
    except ImportError as exc:
        raise BenchmarkError(
            f"training and prediction need PyTorch, which is missing; {TORCH_HINT}"
        ) from exc
    return torch
