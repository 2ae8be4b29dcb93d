"""``bindata features``, ``train``, ``predict`` and ``benchmark`` (thin layer over
:mod:`bindata.benchmark`; PyTorch is imported only by the commands that need it)."""

from __future__ import annotations

import functools
from dataclasses import asdict

import click

from ..benchmark.runs import (
    AUGMENTATIONS,
    LR_SCHEDULES,
    POS_WEIGHTS,
    PRECISIONS,
    SELECTIONS,
    ComputeConfig,
    TrainConfig,
)
from ..errors import BenchmarkError, BindataError
from .divisions_option import with_divisions
from .params import FINITE_FLOAT
from .terms import in_cli_terms

#: Training defaults (documented in :class:`bindata.benchmark.runs.TrainConfig`).
_DEFAULTS = asdict(TrainConfig())


def _common(f):
    """--runs, --cache, --device, --quiet."""
    opts = [
        click.option(
            "--runs",
            "runs_dir",
            type=click.Path(file_okay=False),
            help="Run folder (checkpoints, predictions, results) [DATASET/runs].",
        ),
        click.option(
            "--cache",
            "cache_dir",
            type=click.Path(file_okay=False),
            help="Feature cache folder [DATASET/features].",
        ),
        click.option("--device", help="cpu, cuda, cuda:1... [cuda when available, else cpu]."),
        click.option("--quiet", is_flag=True, help="No progress bars or epoch lines."),
        click.option(
            "--threads",
            type=click.IntRange(min=1),
            help="CPU threads of PyTorch [its default]; 1 is fastest for tiny models "
            "on a busy machine.",
        ),
    ]
    return functools.reduce(lambda g, o: o(g), reversed(opts), f)


def _hyper(f):
    """Training hyper-parameters (bindata.benchmark.runs.TrainConfig)."""
    d = _DEFAULTS
    opts = [
        click.option(
            "--filters",
            type=int,
            default=d["filters"],
            show_default=True,
            help="Channels of each 3x3 convolution.",
        ),
        click.option(
            "--pool",
            type=int,
            nargs=3,
            default=d["pool"],
            show_default=True,
            help="Max-pooling across frequency after each convolution.",
        ),
        click.option(
            "--gru-units",
            type=int,
            default=d["gru_units"],
            show_default=True,
            help="Units per direction of each bidirectional GRU.",
        ),
        click.option(
            "--lr",
            "learning_rate",
            type=FINITE_FLOAT,
            default=d["learning_rate"],
            show_default=True,
            help="Adam learning rate.",
        ),
        click.option("--batch-size", type=int, default=d["batch_size"], show_default=True),
        click.option(
            "--epochs",
            "max_epochs",
            type=int,
            default=d["max_epochs"],
            show_default=True,
            help="Most epochs.",
        ),
        click.option(
            "--patience",
            type=int,
            default=d["patience"],
            show_default=True,
            help="Early stopping: epochs without progress of the --select criterion.",
        ),
        click.option(
            "--select",
            "selection",
            type=click.Choice(SELECTIONS),
            default=d["selection"],
            show_default=True,
            help="What picks the best epoch and drives early stopping: the validation loss, "
            "or the mean validation F1 (1 s segments) of the model's views.",
        ),
        click.option(
            "--pos-weight",
            type=click.Choice(POS_WEIGHTS),
            default=d["pos_weight"],
            show_default=True,
            help="balanced: weight each class's positive frames in the loss by its ratio of "
            "inactive to active training frames; multiclass: only the classes of single-label "
            "outputs of more than two classes (octants, cones).",
        ),
        click.option(
            "--threshold",
            type=FINITE_FLOAT,
            default=d["threshold"],
            show_default=True,
            help="Decision threshold of the outputs (validation F1 and predictions, which are "
            "mapped so that it reads as the scorer's 0.5).",
        ),
        click.option(
            "--lr-schedule",
            type=click.Choice(LR_SCHEDULES),
            default=d["lr_schedule"],
            show_default=True,
            help="cosine: anneal the learning rate to 0 over --epochs.",
        ),
        click.option(
            "--seq-len",
            type=int,
            default=d["seq_len"],
            show_default=True,
            help="Feature frames per training sequence.",
        ),
        click.option(
            "--val-fraction",
            type=FINITE_FLOAT,
            default=d["val_fraction"],
            show_default=True,
            help="Share of the training folds' files used for validation.",
        ),
        click.option("--seed", type=int, default=d["seed"], show_default=True),
        click.option(
            "--augment",
            type=click.Choice(AUGMENTATIONS),
            default=d["augment"],
            show_default=True,
            help="swap: swap the ears of half the training sequences (azimuth and "
            "targets mirrored left <-> right).",
        ),
        click.option(
            "--precision",
            type=click.Choice(PRECISIONS),
            default="auto",
            show_default=True,
            help="Forward pass in bf16 (autocast) or fp32; auto: bf16 where the CPU or "
            "GPU computes it natively.",
        ),
        click.option(
            "--ensemble",
            type=click.IntRange(min=1),
            help="Most models of one fold trained together as one batched network "
            "[1 on a CPU, 16 on CUDA].",
        ),
        click.option(
            "--compile",
            "compile_",
            is_flag=True,
            help="torch.compile the conv blocks (falls back to eager).",
        ),
        click.option(
            "--no-channels-last",
            "contiguous",
            is_flag=True,
            help="Keep the NCHW layout instead of channels-last.",
        ),
        click.option(
            "--resident/--no-resident",
            default=None,
            help="Hold a fold's normalised features in (device) memory [on CUDA].",
        ),
        click.option(
            "--return-freed-memory",
            "return_memory",
            is_flag=True,
            help="On a CPU, give freed memory back to the system at once (slower "
            "steps, lower resident memory).",
        ),
    ]
    return functools.reduce(lambda g, o: o(g), reversed(opts), f)


def _config(kw: dict):
    d = {k: kw.pop(k) for k in list(kw) if k in _DEFAULTS}
    return TrainConfig(**d)


def _compute(kw: dict) -> ComputeConfig:
    return ComputeConfig(
        precision=kw.pop("precision"),
        ensemble=kw.pop("ensemble"),
        compile=kw.pop("compile_"),
        channels_last=not kw.pop("contiguous"),
        resident=kw.pop("resident"),
        keep_freed_memory=not kw.pop("return_memory"),
    )


def _threads(n: int | None) -> None:
    if n is not None:
        from ..benchmark import require_torch

        require_torch().set_num_threads(n)


def _log(quiet: bool):
    return None if quiet else (lambda msg: click.echo(msg, err=True))


@click.command("features")
@click.argument("dataset", type=click.Path(file_okay=False))
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False),
    help="Feature cache folder [DATASET/features].",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def features_command(dataset, cache_dir, quiet):
    """Compute and cache the 4-channel binaural features of every file of DATASET."""
    from tqdm.auto import tqdm

    from ..benchmark.corpus import open_corpus
    from ..benchmark.features import FeatureParams, feature_cache_dir

    corpus = open_corpus(dataset, cache_dir=cache_dir)
    frames = 0
    for stem in tqdm(corpus.stems, desc="features", unit="file", disable=quiet):
        frames += corpus.features(stem).shape[0]
    where = feature_cache_dir(dataset, cache_dir=cache_dir, params=FeatureParams())
    click.echo(f"features of {len(corpus.stems)} files ({frames} frames) in {where}")


@click.command("train")
@click.option("--data", "dataset", required=True, type=click.Path(file_okay=False))
@click.option("--method", required=True, help="A method of metadata/methods.json, e.g. EqSepBran.")
@click.option("--fold", type=int, required=True, help="Test fold (never seen in training).")
@click.option("--model", "model_name", help="Only this model of a multi-model method.")
@_hyper
@_common
@with_divisions
def train_command(
    dataset, method, fold, model_name, runs_dir, cache_dir, device, quiet, threads, **kw
):
    """Train the model(s) of a method on all folds but --fold (resumes; skips finished ones)."""
    from ..benchmark.corpus import open_corpus
    from ..benchmark.methods import get_method, model_of
    from ..benchmark.portable import export_model
    from ..benchmark.runs import default_runs_dir
    from ..benchmark.train import train_models

    config, compute = _config(kw), _compute(kw)
    _threads(threads)
    m = get_method(method)
    models = m.models if model_name is None else (model_of(m, model_name),)
    corpus = open_corpus(dataset, cache_dir=cache_dir)
    runs = default_runs_dir(dataset, runs_dir)
    dones = train_models(
        corpus,
        list(models),
        fold,
        runs_dir=runs,
        config=config,
        compute=compute,
        device=device,
        progress=not quiet,
        log=_log(quiet),
    )
    for model, done in zip(models, dones, strict=True):
        f1 = ", ".join(
            f"{v} {'-' if x is None else f'{100 * x:.1f}'}"
            for v, x in (done.get("best_val_f1") or {}).items()
        )
        click.echo(
            f"{model.owner}/{model.name} fold {fold}: best epoch {done['best_epoch']} of "
            f"{done['epochs']} (by {done.get('selection', 'val_loss')}), val loss "
            f"{done['best_val_loss']:.4f}, val F1 % {f1 or '-'}, {done['epoch_s']:.1f} s/epoch"
        )
    if model_name is None:
        click.echo(f"model file: {export_model(runs, m, fold, corpus=corpus)}")


#: Library phrases of prediction messages -> this command line's flags.
PREDICT_PHRASES = (
    (
        "set overwrite to replace them, or write elsewhere",
        "pass --overwrite to replace them or --out to write elsewhere (another dataset is "
        "predicted with --model RUNS/<method>/fold<k> --data DATASET, into DATASET/predictions/)",
    ),
)


@click.command("predict")
@click.option(
    "--model",
    "model_path",
    type=click.Path(),
    help="A model file (*.bindata-model.pt) or the run folder of one method and fold "
    "(RUNS/<method>/fold<k>); predicts --data (any dataset) or --audio.",
)
@click.option(
    "--data",
    "dataset",
    type=click.Path(file_okay=False),
    help="A bindata dataset: with --method, the dataset it was trained on (predicts --fold); "
    "with --model, any dataset (all its files, or --fold).",
)
@click.option(
    "--audio",
    "audio_dir",
    type=click.Path(file_okay=False),
    help="With --model: a folder of two-channel recordings soundfile reads (recursively, any "
    "rate); writes format (b) per view, a timeline per file and, with bindata[plot], PNGs.",
)
@click.option("--method", help="With --data: the method whose trained models predict --fold.")
@click.option("--fold", "folds", type=int, multiple=True, help="Fold(s) to predict.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Prediction folder (one sub-folder per view) [--method: RUNS/<method>/predictions; "
    "--model --data: DATASET/predictions/<model>; --model --audio: "
    "AUDIO/bindata-predictions/<model>].",
)
@click.option("--overwrite", is_flag=True, help="Replace predictions of other data in --out.")
@click.option(
    "--plots/--no-plots",
    default=None,
    help="--audio: a PNG of the class activities per file [when bindata[plot] is installed].",
)
@_common
@with_divisions
def predict_command(
    model_path,
    dataset,
    audio_dir,
    method,
    folds,
    out_dir,
    overwrite,
    plots,
    runs_dir,
    cache_dir,
    device,
    quiet,
    threads,
):
    """Predict with a trained method: its test fold (--data --method --fold), any dataset
    (--model --data) or any recordings (--model --audio), in the scorer's format (b)."""
    from ..benchmark.corpus import open_corpus
    from ..benchmark.methods import get_method
    from ..benchmark.portable import load_model
    from ..benchmark.predict import predict_audio, predict_dataset, predict_fold
    from ..benchmark.runs import default_runs_dir
    from ..benchmark.train import resolve_device

    _threads(threads)
    if (model_path is None) == (method is None):
        raise click.UsageError("give either --model (any data) or --method (its test fold)")
    try:
        if method is not None:
            if dataset is None or len(folds) != 1 or audio_dir is not None:
                raise click.UsageError("--method predicts one --fold of --data (no --audio)")
            corpus = open_corpus(dataset, cache_dir=cache_dir)
            rec = predict_fold(
                corpus,
                get_method(method),
                folds[0],
                runs_dir=default_runs_dir(dataset, runs_dir),
                out_dir=out_dir,
                overwrite=overwrite,
                device=resolve_device(device),
                progress=not quiet,
            )
            n = len(rec["stems"])
        else:
            if (dataset is None) == (audio_dir is None):
                raise click.UsageError("--model predicts either --data DATASET or --audio DIR")
            model = load_model(model_path, device=resolve_device(device))
            if dataset is not None:
                rec = predict_dataset(
                    model,
                    dataset,
                    folds=list(folds) or None,
                    out_dir=out_dir,
                    overwrite=overwrite,
                    cache_dir=cache_dir,
                    progress=not quiet,
                )
                n = len(rec["stems"])
            else:
                if folds:
                    raise click.UsageError("--fold selects files of --data, not of --audio")
                rec = predict_audio(
                    model,
                    audio_dir,
                    out_dir=out_dir,
                    overwrite=overwrite,
                    plots=_plots_available() if plots is None else plots,
                    progress=not quiet,
                )
                n = len(rec["files"])
    except BindataError as exc:
        raise in_cli_terms(exc, PREDICT_PHRASES) from None
    click.echo(f"predictions of {n} files ({', '.join(rec['views'])}) in {rec['out_dir']}")


def _plots_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


@click.command("benchmark")
@click.option(
    "--data",
    "datasets",
    required=True,
    multiple=True,
    type=click.Path(file_okay=False),
    help="The training data (repeatable: several datasets are pooled fold by fold, into "
    "RUNS/pool or FIRST/pools/A+B).",
)
@click.option("--methods", default="all", show_default=True, help="'all' or a comma list.")
@click.option(
    "--folds",
    default="all",
    show_default=True,
    help="Test folds: 'all', a count N (folds 1..N) or a list such as 1,3.",
)
@click.option(
    "--out", "out_json", type=click.Path(dir_okay=False), help="Results JSON [RUNS/benchmark.json]."
)
@click.option(
    "--ci",
    type=click.Choice(["jackknife"]),
    default=None,
    help="Print every F1 with its 95 % jackknife interval (leave one file out) of the scorer.",
)
@click.option(
    "--test",
    "tests",
    multiple=True,
    type=click.Path(file_okay=False),
    help="A dataset to test every trained model on (repeatable): other heads, rooms, sounds; "
    "prints the transfer table (in-domain F1 beside each test set's).",
)
@click.option(
    "--seeds",
    help="Several seeds, e.g. 0,1,2: every method and fold trains once per seed (RUNS/seed<s>); "
    "the tables print mean ± standard deviation over seeds [one run with --seed].",
)
@_hyper
@_common
@with_divisions
def benchmark_command(
    datasets,
    methods,
    folds,
    out_json,
    ci,
    tests,
    seeds,
    runs_dir,
    cache_dir,
    device,
    quiet,
    threads,
    **kw,
):
    """Train, predict and score every method and fold; print Tables 3-5 beside the paper's."""
    from ..benchmark.run import run_benchmark

    _threads(threads)
    config, compute = _config(kw), _compute(kw)
    methods = methods if methods.strip() == "all" else methods.split(",")
    value = folds_value(folds)
    seed_list = seeds_value(seeds)
    try:
        report = run_benchmark(
            list(datasets),
            methods=methods,
            folds=value,
            runs_dir=runs_dir,
            cache_dir=cache_dir,
            config=config,
            compute=compute,
            device=device,
            out_json=out_json,
            progress=not quiet,
            log=_log(quiet),
            ci=ci,
            tests=tests,
            seeds=seed_list,
        )
    except BindataError as exc:
        if exc.key == "seeds":
            raise in_cli_terms(exc, [("seeds must be", "--seeds must be")]) from None
        if exc.key != "folds":
            raise
        raise in_cli_terms(exc, [(f"test folds {value!r}", f"--folds {folds}")]) from None
    click.echo(report["text"], nl=False)
    click.echo(f"results: {report['out_json']}")


def folds_value(text: str):
    """The library value of ``--folds``: ``"all"`` (also for an empty text), a count ``N`` (a
    number alone: folds 1..N) or a list of fold numbers (``1,3``; ``2,`` is fold 2 alone).

    Raises
    ------
    BenchmarkError
        Neither ``all``, a number nor a comma list of numbers.
    """
    text = str(text).strip()
    if text in ("all", ""):
        return "all"
    try:
        parts = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise BenchmarkError(f"--folds must be a number or a list like 1,3, got {text!r}") from None
    return parts[0] if len(parts) == 1 and "," not in text else parts


def seeds_value(text: str | None):
    """The library value of ``--seeds``: None when not given, else the list of integers.

    Raises
    ------
    BenchmarkError
        Not a comma list of integers.
    """
    if text is None:
        return None
    try:
        return [int(p) for p in str(text).split(",") if p.strip()]
    except ValueError:
        raise BenchmarkError(
            f"--seeds must be a list of integers like 0,1,2, got {text!r}"
        ) from None


def register(group: click.Group) -> None:
    """Add the benchmark commands to the root group."""
    for cmd in (features_command, train_command, predict_command, benchmark_command):
        group.add_command(cmd)
