"""``bindata validate``, ``bindata report`` and ``bindata plot``: after a dataset is generated,
and (``report`` and ``plot`` of a run folder) after models are trained."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import BindataError
from .terms import in_cli_terms

#: Library phrases of validate's and report's messages -> this command line's words.
CLI_PHRASES = (
    ("finish it by resuming the run", "finish it with `bindata synth --resume`"),
    (
        "set overwrite to replace it, or write it to another folder",
        "pass --overwrite to replace it or --out to write elsewhere",
    ),
    (
        "set overwrite to replace it, or write it to another file",
        "pass --overwrite to replace it or --out to write elsewhere",
    ),
    ("a report without plots (plots=False)", "`bindata report --no-plots`"),
)


@click.command("validate")
@click.argument("dataset", type=click.Path(file_okay=False))
def validate_command(dataset):
    """Check every file of DATASET against its manifest, formats and scenes.

    Checked: checksums, WAV format and length, DCASE metadata rows (format, ranges, polyphony,
    identical to the rows of the scene), scenes (schema, manifest, class list, geometry), folds
    and stems, and files the manifest does not list. Every problem is printed as
    PATH[:LINE]: PROBLEM; any problem gives exit code 2.
    """
    from ..dataset.validate import validate_dataset

    try:
        summary = validate_dataset(dataset)
    except BindataError as exc:
        raise in_cli_terms(exc, CLI_PHRASES) from None
    for warning in summary.get("warnings", []):
        click.echo(f"bindata: warning: {warning}", err=True)
    click.echo(
        f"{dataset}: valid ({summary['files']} files, {summary['events']} events, "
        f"{summary['rows']} metadata rows, {summary['classes']} classes)"
    )


@click.command("report")
@click.argument("dataset", type=click.Path(file_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Folder of the card and its PNGs [DATASET/report, or RUNS/report].",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing report.")
@click.option(
    "--plots/--no-plots",
    default=True,
    show_default=True,
    help="Draw the PNGs (needs bindata[plot]).",
)
def report_command(dataset, out_dir, overwrite, plots):
    """Write a dataset card: counts per class, direction and proximity class, polyphony, RT60,
    room volume and event durations, as markdown tables with PNG plots.

    Given a run folder (RUNS of `bindata train` / `benchmark`) instead, write its training
    report: the selected epoch of every model with its validation loss and F1, and the
    validation curves (curves.png).
    """
    from ..benchmark.curves import is_runs_folder, write_training_report
    from ..dataset.report import write_report

    try:
        if is_runs_folder(dataset):
            card = write_training_report(dataset, out_dir=out_dir, overwrite=overwrite, plots=plots)
        else:
            card = write_report(dataset, out_dir=out_dir, overwrite=overwrite, plots=plots)
    except BindataError as exc:
        raise in_cli_terms(exc, CLI_PHRASES) from None
    click.echo(f"wrote {card}")


@click.command("plot")
@click.argument("scene_path", type=click.Path())
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    help="PNG to write [<scene stem>.png in the current folder; RUNS/curves.png].",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing PNG.")
def plot_command(scene_path, out_path, overwrite):
    """Draw SCENE_PATH (a scene JSON): room top and side views with the listener, head direction
    and sources coloured by class, and the event timeline with its labels.

    Given a run folder (RUNS of `bindata train` / `benchmark`) instead, draw the validation
    curves of its models: training and validation loss and validation F1 per epoch, one row
    per model, one colour per fold (and seed), the selected epoch marked.
    """
    from ..benchmark.curves import plot_training_curves
    from ..dataset.plot import plot_scene

    try:
        if Path(scene_path).is_dir():
            written = plot_training_curves(scene_path, out_path=out_path, overwrite=overwrite)
        else:
            out_path = out_path or f"{Path(scene_path).stem}.png"
            written = plot_scene(scene_path, out_path=out_path, overwrite=overwrite)
    except BindataError as exc:
        raise in_cli_terms(exc, CLI_PHRASES) from None
    click.echo(f"wrote {written}")


def register(group: click.Group) -> None:
    group.add_command(validate_command)
    group.add_command(report_command)
    group.add_command(plot_command)
