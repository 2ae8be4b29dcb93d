"""Validation curves of a run folder: when each model learned, and when it stopped (numpy only).

Every model of a run folder (``RUNS/[seed<s>/]<owner>/fold<k>/<model>/``) records, after each
epoch, its training and validation loss and the validation F1 of its views
(:mod:`~bindata.benchmark.validation`): in ``done.json`` once finished, in ``history.json``
while it trains. :func:`training_curves` reads them all; :func:`plot_training_curves` draws them
(one row per model: losses on the left, validation F1 per view on the right, one colour per
fold and seed, the selected epoch marked) and :func:`write_training_report` adds a markdown table
of the selected epochs. Drawing needs the optional extra ``bindata[plot]``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..dataset.plot import import_matplotlib, new_figure, save_png
from ..dataset.report import check_report_output
from ..errors import BenchmarkError, OutputExistsError
from ..io import write_text
from .runs import TrainConfig

#: Where the records of a model lie below a run folder (one seed, or several).
_PATTERNS = ("*/fold*/*/{name}", "seed*/*/fold*/*/{name}")

#: Name of the training report's card and plot.
REPORT_CARD = "README.md"
CURVES_PNG = "curves.png"


def _records(runs: Path) -> dict:
    """Model folder -> (record, finished) for every model with done.json or history.json."""
    found = {}
    for name, finished in (("history.json", False), ("done.json", True)):
        for pattern in _PATTERNS:
            for path in sorted(runs.glob(pattern.format(name=name))):
                found[path.parent] = (path, finished)  # done.json wins over history.json
    return found


def is_runs_folder(path) -> bool:
    """Whether ``path`` is a run folder with at least one model in training or trained."""
    p = Path(path)
    return p.is_dir() and not (p / "manifest.json").exists() and bool(_records(p))


def training_curves(runs_dir) -> list[dict]:
    """The per-epoch records of every model of a run folder.

    Parameters
    ----------
    runs_dir : path-like
        A run folder (``bindata benchmark``'s or ``bindata train``'s ``RUNS``).

    Returns
    -------
    list of dict
        Per model, sorted by owner, model, seed folder and fold: ``owner``, ``model``, ``fold``,
        ``seed`` (the run's seed), ``path`` (its folder), ``seed_dir`` (``seed<s>`` in a
        benchmark over several seeds, else ``""``), ``finished``, ``selection``,
        ``best_epoch``, and the curves ``epoch``, ``train_loss``, ``val_loss`` (lists, one value
        per epoch) and ``val_f1`` (view -> list; None where undefined; empty for runs made
        before the validation F1 was recorded) -- the values of the record's ``history``.

    Raises
    ------
    BenchmarkError
        No model with a record under ``runs_dir``.
    """
    runs = Path(runs_dir)
    found = _records(runs)
    if not found:
        raise BenchmarkError(
            f"{runs}: no trained or training models (done.json or history.json under "
            "<owner>/fold<k>/<model>/); train first"
        )
    out = []
    for folder, (path, finished) in found.items():
        rec = json.loads(path.read_text("utf-8"))
        hist = rec.get("history", [])
        views = list(dict.fromkeys(v for h in hist for v in h.get("val_f1", {})))
        config = TrainConfig.from_dict(rec["config"])
        out.append(
            {
                "owner": rec["model"]["owner"],
                "model": rec["model"]["name"],
                "fold": int(rec["fold"]),
                "seed": config.seed,
                "path": str(folder),
                "seed_dir": _seed_dir(folder.relative_to(runs)),
                "finished": finished,
                "selection": config.selection,
                "best_epoch": rec.get("best_epoch"),
                "epoch": [h["epoch"] for h in hist],
                "train_loss": [h["train_loss"] for h in hist],
                "val_loss": [h["val_loss"] for h in hist],
                "val_f1": {v: [h.get("val_f1", {}).get(v) for h in hist] for v in views},
            }
        )
    return sorted(out, key=lambda c: (c["owner"], c["model"], c["seed_dir"], c["fold"]))


def _seed_dir(relative: Path) -> str:
    """``seed<s>`` when a model folder lies in a seed's run folder, else ``""``."""
    return relative.parts[0] if len(relative.parts) == 4 else ""


def _label(curve: dict) -> str:
    return f"fold {curve['fold']}" + (f" seed {curve['seed']}" if curve["seed_dir"] else "")


def curves_figure(curves: list[dict]):
    """A figure of :func:`training_curves`: one row per model, losses left, F1 right.

    Each line's label is ``"<fold/seed> <what>"`` with ``what`` one of ``train loss``,
    ``val loss`` or ``F1 <view>``; the selected epoch of a model is a marker on its curves.
    """
    from matplotlib import colormaps
    from matplotlib.ticker import MaxNLocator

    rows = {}
    for c in curves:
        rows.setdefault(f"{c['owner']}/{c['model']}", []).append(c)
    fig = new_figure(11.0, 0.6 + 2.4 * len(rows))
    axes = fig.subplots(len(rows), 2, squeeze=False)
    colours = colormaps["tab10"]
    for (name, members), (ax_loss, ax_f1) in zip(rows.items(), axes, strict=True):
        for k, c in enumerate(members):
            colour, label = colours(k % 10), _label(c)
            ax_loss.plot(
                c["epoch"], c["val_loss"], "-o", ms=3, color=colour, label=f"{label} val loss"
            )
            ax_loss.plot(
                c["epoch"], c["train_loss"], "--", color=colour, label=f"{label} train loss"
            )
            styles = iter(["-", ":", "-.", "--"] * 4)
            for view, values in c["val_f1"].items():
                y = [float("nan") if v is None else 100.0 * v for v in values]
                ax_f1.plot(
                    c["epoch"],
                    y,
                    next(styles),
                    color=colour,
                    marker=".",
                    label=f"{label} F1 {view}",
                )
            if c["best_epoch"] in c["epoch"]:
                i = c["epoch"].index(c["best_epoch"])
                ax_loss.plot([c["best_epoch"]], [c["val_loss"][i]], "*", ms=12, color=colour)
                for values in c["val_f1"].values():
                    if values[i] is not None:
                        ax_f1.plot([c["best_epoch"]], [100.0 * values[i]], "*", ms=12, color=colour)
            ax_f1.set_title(
                f"{name}: validation F1 % (selected by {c['selection']}: *)",
                fontsize=9,
            )
        ax_loss.set_title(f"{name}: loss (val solid, train dashed)", fontsize=9)
        for ax in (ax_loss, ax_f1):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=6, ncol=2)
        ax_f1.set_ylim(-2, 102)
    return fig


def plot_training_curves(runs_dir, *, out_path=None, overwrite: bool = False) -> Path:
    """Draw the validation curves of a run folder into a PNG; returns its path.

    Parameters
    ----------
    runs_dir : path-like
    out_path : path-like, optional, keyword-only
        Default ``RUNS/curves.png``.
    overwrite : bool, keyword-only
        Replace an existing PNG.

    Raises
    ------
    OutputExistsError
        ``out_path`` exists and ``overwrite`` is False.
    BenchmarkError
        No model with a record.
    """
    out = Path(out_path) if out_path is not None else Path(runs_dir) / CURVES_PNG
    if out.exists() and not overwrite:
        raise OutputExistsError(
            f"{out}: exists; set overwrite to replace it, or write it to another file",
            key="overwrite",
        )
    import_matplotlib()
    return save_png(curves_figure(training_curves(runs_dir)), out)


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}"


def report_markdown(curves: list[dict], *, plots: bool) -> str:
    """The training report: one row per model with its selected epoch's figures."""
    lines = [
        "# Training report",
        "",
        "Per model and fold: epochs trained, the epoch the selection criterion picked, and the "
        "validation loss and F1 % (1 s segments, the scorer's overall F1) of that epoch; the "
        "best F1 of any epoch beside it shows what another criterion could have kept.",
        "",
    ]
    if plots:
        lines += [f"![validation curves]({CURVES_PNG})", ""]
    lines += [
        "| model | seed | fold | state | epochs | selected by | selected epoch | val loss | "
        "val F1 % | best val F1 % (epoch) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in curves:
        i = c["epoch"].index(c["best_epoch"]) if c["best_epoch"] in c["epoch"] else None
        loss = "-" if i is None else f"{c['val_loss'][i]:.4f}"
        sel_f1, best_f1 = [], []
        for view, values in c["val_f1"].items():
            sel_f1.append(f"{view} {_pct(values[i]) if i is not None else '-'}")
            defined = [(v, e) for v, e in zip(values, c["epoch"], strict=True) if v is not None]
            if defined:
                v, e = max(defined, key=lambda t: t[0])
                best_f1.append(f"{view} {_pct(v)} ({e})")
        lines.append(
            f"| {c['owner']}/{c['model']} | {c['seed']} | {c['fold']} | "
            f"{'finished' if c['finished'] else 'training'} | {len(c['epoch'])} | "
            f"{c['selection']} | {c['best_epoch']} | {loss} | "
            f"{', '.join(sel_f1) or '-'} | {', '.join(best_f1) or '-'} |"
        )
    return "\n".join(lines) + "\n"


def write_training_report(
    runs_dir, *, out_dir: str | os.PathLike | None = None, overwrite=False, plots=True
) -> Path:
    """Write the training report of a run folder (``README.md`` and ``curves.png``).

    Parameters
    ----------
    runs_dir : path-like
    out_dir : path-like, optional, keyword-only
        Default ``RUNS/report``.
    overwrite : bool, keyword-only
        Replace an existing report.
    plots : bool, keyword-only
        Draw the curves (needs ``bindata[plot]``); False writes the table only.

    Returns
    -------
    pathlib.Path
        The card.
    """
    out = Path(out_dir) if out_dir is not None else Path(runs_dir) / "report"
    ours = [out / REPORT_CARD, out / CURVES_PNG]
    check_report_output(out, ours, overwrite=overwrite)
    if plots:
        import_matplotlib()  # fail before reading anything
    curves = training_curves(runs_dir)
    out.mkdir(parents=True, exist_ok=True)
    ours[1].unlink(missing_ok=True)
    if plots:
        save_png(curves_figure(curves), ours[1])
    write_text(ours[0], report_markdown(curves, plots=plots))
    return ours[0]
