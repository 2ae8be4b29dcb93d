"""Training settings, the run folder layout, data splits and seeds (numpy only).

Run folder (``DATASET/runs`` unless ``--runs`` is given)::

    RUNS/<owner>/fold<k>/<model>/checkpoint.pt   last epoch, for resuming an interrupted training
    RUNS/<owner>/fold<k>/<model>/history.json    per-epoch losses and validation F1 so far
    RUNS/<owner>/fold<k>/<model>/model.pt        best weights (selection criterion) + metadata
    RUNS/<owner>/fold<k>/<model>/done.json       history and timings: the model is finished
    RUNS/<method>/fold<k>/predicted.json          the fold's predictions are written
    RUNS/<method>/predictions/<view>/<stem>.csv   submissions (format (b)), every fold together
    RUNS/stats/<key>.npz                          normalisation statistics of a training split
    RUNS/benchmark.json                           all results of ``bindata benchmark``
    RUNS/seed<s>/...                              the same, per seed, when several seeds run

``<owner>`` is the method that owns a model (EqSepMod-J's three plane models are EqSepMod's).
A benchmark over several seeds (:func:`seed_runs_dir`) keeps each seed's runs in its own
``seed<s>`` folder; the seed is also part of every run's settings, so a folder trained with
another seed is refused, never mixed.

Splits: fold ``k`` is the test fold; the other folds are the training pool, from which a
validation subset of ``val_fraction`` of the files (at least one) is drawn with a generator seeded
by ``(seed, k)``; normalisation statistics come from the remaining training files only.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from ..errors import BenchmarkError

#: Values of :attr:`TrainConfig.augment`.
AUGMENTATIONS = ("none", "swap")

#: Values of :attr:`ComputeConfig.precision`.
PRECISIONS = ("auto", "fp32", "bf16")

#: Values of :attr:`TrainConfig.selection`: what picks the best epoch and drives early stopping.
SELECTIONS = ("val_loss", "val_f1")

#: Values of :attr:`TrainConfig.pos_weight`.
POS_WEIGHTS = ("none", "balanced", "multiclass")

#: Values of :attr:`TrainConfig.lr_schedule`.
LR_SCHEDULES = ("constant", "cosine")

#: Settings added after the first runs, with the behaviour runs had before they existed. A run's
#: settings (:meth:`TrainConfig.to_dict`) leave a key out only when it has this value, so runs
#: made before a key existed still match, and changing a *default* never makes an old run match
#: settings it was not trained with.
LEGACY_SETTINGS = {
    "augment": "none",
    "selection": "val_loss",
    "pos_weight": "none",
    "threshold": 0.5,
    "lr_schedule": "constant",
}


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of training (defaults in brackets).

    Attributes
    ----------
    filters : int
        Channels of each 3x3 convolution [64].
    pool : tuple of int
        Max-pooling across frequency after each convolution [(4, 4, 2): 512 bins -> 16].
    gru_units : int
        Units per direction of each bidirectional GRU [128].
    learning_rate : float
        Adam step size [1e-3] (other Adam settings: PyTorch defaults).
    batch_size : int
        Sequences per batch [32].
    max_epochs : int
        Upper bound on epochs [50].
    patience : int
        Early stopping: stop after this many epochs without progress of the ``selection``
        criterion [5]; the weights of the best epoch are kept.
    seq_len : int
        Feature frames per sequence [128, i.e. 2.56 s].
    val_fraction : float
        Share of the training pool held out for validation [0.15].
    seed : int
        Seed of the run: validation split, initial weights, batch order [0].
    augment : str
        ``none`` or ``swap`` [none]: with ``swap`` each training sequence has its ears swapped
        with probability 1/2 (a stream of its own), which mirrors azimuth left <-> right; its
        features become those of the mirrored scene (sin IPD and ILD negated, cos IPD and the
        magnitude unchanged) and its targets those of the mirrored labels (see
        :mod:`~bindata.benchmark.data`).
    selection : str
        What picks the best epoch and counts epochs without progress [val_loss]:
        ``val_loss``, the lowest mean validation loss, or ``val_f1``, the highest mean over the
        model's views of the validation F1 (the scorer's 1 s segment-based overall F1 of the
        validation files at ``threshold``; :mod:`~bindata.benchmark.validation`), as the
        DCASE baselines select on their task metric. Both are recorded every epoch.
    pos_weight : str
        ``none``, ``balanced`` or ``multiclass`` [multiclass]: with ``balanced`` the positive
        term of each output's binary cross-entropy is weighted by ``w_c = N_neg,c / N_pos,c``,
        the ratio of inactive to active (unpadded) frames of class ``c`` in the training targets
        (``pos_weight`` of PyTorch's ``BCEWithLogitsLoss``), so that a class active in 1 frame
        in 8 weighs as much as its silence; also in the validation loss. ``multiclass``: the
        same weights for the classes of single-label outputs of more than two classes (octants,
        cones and their products: :func:`bindata.divisions.multiclass_outputs`), 1 for the
        others (the two-class views left/right, front/back, top/bottom, near/far train as with
        ``none``, the behaviour before ``multiclass`` became the default). Without it the
        single-label methods' outputs stay below 0.5 for many epochs (README, "What to
        expect"); the paper describes no class weighting.
    threshold : float
        Decision threshold of every output [0.5]: a class is active in a 100 ms label frame when
        its mean probability is ``>= threshold``. The validation F1 uses it, and predictions are
        written with probabilities mapped piecewise-linearly so that ``threshold`` becomes the
        scorer's 0.5 (:func:`~bindata.benchmark.targets.rescale_threshold`).
    lr_schedule : str
        ``constant`` or ``cosine`` [constant]: with ``cosine`` the step size of epoch ``e``
        (from 0) is ``lr (1 + cos(pi e / max_epochs)) / 2`` (cosine annealing without restarts,
        Loshchilov & Hutter, ICLR 2017); it depends on the epoch only, so resuming and batched
        ensembles are unaffected.
    """

    filters: int = 64
    pool: tuple = (4, 4, 2)
    gru_units: int = 128
    learning_rate: float = 1e-3
    batch_size: int = 32
    max_epochs: int = 50
    patience: int = 5
    seq_len: int = 128
    val_fraction: float = 0.15
    seed: int = 0
    augment: str = "none"
    selection: str = "val_loss"
    pos_weight: str = "multiclass"
    threshold: float = 0.5
    lr_schedule: str = "constant"

    def __post_init__(self):
        object.__setattr__(self, "pool", tuple(int(p) for p in self.pool))
        rules = [
            ("filters", self.filters >= 1, ">= 1"),
            ("gru_units", self.gru_units >= 1, ">= 1"),
            ("learning_rate", self.learning_rate > 0, "> 0"),
            ("batch_size", self.batch_size >= 1, ">= 1"),
            ("max_epochs", self.max_epochs >= 1, ">= 1"),
            ("patience", self.patience >= 1, ">= 1"),
            ("seq_len", self.seq_len >= 1, ">= 1"),
            ("seed", self.seed >= 0, ">= 0"),
            ("val_fraction", 0 < self.val_fraction < 1, "in (0, 1)"),
            ("pool", len(self.pool) == 3 and min(self.pool) >= 1, "three integers >= 1"),
            ("augment", self.augment in AUGMENTATIONS, f"one of {', '.join(AUGMENTATIONS)}"),
            ("selection", self.selection in SELECTIONS, f"one of {', '.join(SELECTIONS)}"),
            ("pos_weight", self.pos_weight in POS_WEIGHTS, f"one of {', '.join(POS_WEIGHTS)}"),
            ("threshold", 0 < self.threshold < 1, "in (0, 1)"),
            (
                "lr_schedule",
                self.lr_schedule in LR_SCHEDULES,
                f"one of {', '.join(LR_SCHEDULES)}",
            ),
        ]
        bad = [
            f"{name} must be {rule}, got {getattr(self, name)!r}"
            for name, ok, rule in rules
            if not ok
        ]
        if bad:
            raise BenchmarkError("; ".join(bad))

    def to_dict(self) -> dict:
        """Plain values (pool as a list), as stored in checkpoints and ``done.json``.

        A key of :data:`LEGACY_SETTINGS` is left out when it has its legacy value, so that runs
        made before it existed still match.
        """
        d = asdict(self)
        d["pool"] = list(self.pool)
        for key, legacy in LEGACY_SETTINGS.items():
            if d[key] == legacy:
                del d[key]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """Inverse of :meth:`to_dict` (unknown keys are an error; a missing key of
        :data:`LEGACY_SETTINGS` takes its legacy value, not today's default)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise BenchmarkError(f"unknown training settings {unknown}")
        return cls(**{**LEGACY_SETTINGS, **d})

    def learning_rate_at(self, epoch: int) -> float:
        """Adam step size of epoch ``epoch`` (from 0) under :attr:`lr_schedule`.

        Examples
        --------
        >>> TrainConfig(lr_schedule="cosine", max_epochs=4).learning_rate_at(2)
        0.0005
        """
        if self.lr_schedule == "constant":
            return self.learning_rate
        return self.learning_rate * 0.5 * (1.0 + math.cos(math.pi * epoch / self.max_epochs))


#: The defaults of :class:`TrainConfig`.
DEFAULT_TRAIN = TrainConfig()


@dataclass(frozen=True)
class ComputeConfig:
    """How training computes: speed settings that change results only by rounding.

    These are not part of a run's identity (a run may be resumed with other ones); ``done.json``
    records the precision actually used.

    Attributes
    ----------
    precision : str
        ``fp32``, ``bf16`` (autocast: convolutions, GRUs and linear layers in bfloat16, weights,
        batch-norm statistics, loss and Adam in float32) or ``auto`` [auto]: bf16 on a CUDA
        device that supports it and on a CPU with bf16 instructions (AVX512-BF16 or AMX), else
        fp32.
    channels_last : bool
        NHWC memory layout for the convolutions [True].
    compile : bool
        ``torch.compile`` the convolution blocks [False]; falls back to eager with a warning
        when compiling fails. On 2 CPU cores it cost ~40 s and gave no measurable gain.
    ensemble : int or None
        Most models trained together as one batched network when they train on the same data
        (same fold and split; see :mod:`~bindata.benchmark.ensemble`); ``None``: 1 on a CPU
        (there, 3 grouped models trained at 0.6x (default size) to 0.8x (16 filters, GRU 32)
        the rate of one by one), 16 on CUDA (not yet measured) [None].
    resident : bool or None
        Hold the normalised features of a fold in (device) memory, shared by its models,
        instead of reading memory-mapped files per batch; ``None``: on CUDA only [None].
    keep_freed_memory : bool
        On a CPU, keep the memory training frees for the next step instead of returning it to
        the system (:func:`~bindata.benchmark.accel.keep_freed_memory`; 40-45 % shorter steps,
        the process keeps its peak memory) [True].
    """

    precision: str = "auto"
    channels_last: bool = True
    compile: bool = False
    ensemble: int | None = None
    resident: bool | None = None
    keep_freed_memory: bool = True

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise BenchmarkError(
                f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}"
            )
        if self.ensemble is not None and int(self.ensemble) < 1:
            raise BenchmarkError(f"ensemble must be >= 1, got {self.ensemble!r}")

    def ensemble_size(self, device: str) -> int:
        """:attr:`ensemble`, or its default on ``device``."""
        if self.ensemble is not None:
            return int(self.ensemble)
        return 16 if str(device).startswith("cuda") else 1

    def keeps_freed_memory(self, device: str) -> bool:
        """:attr:`keep_freed_memory` where it applies: on a CPU (CUDA has its own allocator)."""
        return bool(self.keep_freed_memory) and not str(device).startswith("cuda")

    def is_resident(self, device: str) -> bool:
        """:attr:`resident`, or its default on ``device``."""
        return bool(self.resident) if self.resident is not None else str(device).startswith("cuda")


#: The defaults of :class:`ComputeConfig`.
DEFAULT_COMPUTE = ComputeConfig()


def default_runs_dir(dataset_dir, runs_dir=None) -> Path:
    """``runs_dir`` or ``DATASET/runs``."""
    return Path(runs_dir) if runs_dir is not None else Path(dataset_dir) / "runs"


def model_dir(runs_dir, model, fold: int) -> Path:
    """``RUNS/<owner>/fold<k>/<model>``."""
    return Path(runs_dir) / model.owner / f"fold{int(fold)}" / model.name


def seed_runs_dir(runs_dir, seed: int) -> Path:
    """``RUNS/seed<s>``: the run folder of one seed of a benchmark over several seeds."""
    return Path(runs_dir) / f"seed{int(seed)}"


def method_fold_dir(runs_dir, method, fold: int) -> Path:
    """``RUNS/<method>/fold<k>``."""
    return Path(runs_dir) / method.name / f"fold{int(fold)}"


def predictions_dir(runs_dir, method) -> Path:
    """``RUNS/<method>/predictions`` (one sub-folder per view)."""
    return Path(runs_dir) / method.name / "predictions"


def split_files(corpus, test_fold: int, *, val_fraction: float, seed: int):
    """Training, validation and test stems for test fold ``test_fold`` (see the module doc).

    Raises
    ------
    BenchmarkError
        The test fold is empty or fewer than two files remain for training and validation.
    """
    test = corpus.stems_of([test_fold])
    pool = [s for s, f in zip(corpus.stems, corpus.folds, strict=True) if f != int(test_fold)]
    if not test:
        raise BenchmarkError(f"fold {test_fold} has no files; folds: {corpus.fold_ids}")
    if len(pool) < 2:
        raise BenchmarkError(
            f"fold {test_fold}: {len(pool)} file(s) outside the test fold; need >= 2 (train + val)"
        )
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(test_fold),)))
    n_val = min(len(pool) - 1, max(1, int(round(val_fraction * len(pool)))))
    val_idx = set(rng.choice(len(pool), size=n_val, replace=False).tolist())
    train = [s for i, s in enumerate(pool) if i not in val_idx]
    val = [s for i, s in enumerate(pool) if i in val_idx]
    return train, val, test


def model_seed_sequence(seed: int, model, fold: int, *stream: int) -> np.random.SeedSequence:
    """SeedSequence of one model and fold; ``stream`` selects e.g. init (0) or epoch order (1, e)."""
    tag = zlib.crc32(f"{model.owner}/{model.name}".encode())
    return np.random.SeedSequence(int(seed), spawn_key=(int(fold), tag, *stream))
