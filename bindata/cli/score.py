"""``bindata score``: check a submission folder, score it against a dataset, print the tables."""

from __future__ import annotations

import math

import click

from ..errors import BindataError
from .divisions_option import divisions_option
from .terms import in_cli_terms

#: Library phrases of the scorer's messages -> what a command-line user types instead.
CLI_PHRASES = (
    ("set missing='empty'", "pass --missing empty"),
    ("leave the view unset", "drop --view"),
    ("name the view", "name the view with --view"),
)


def _positive(ctx, param, value):
    """A threshold flag: a finite number > 0 (or absent)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"must be a finite number > 0, got {value}")
    return value


@click.command("score")
@click.option(
    "--ref",
    "ref_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Reference dataset folder (metadata/ and manifest.json).",
)
@click.option(
    "--pred",
    "pred_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Submission folder: one <stem>.csv per reference file.",
)
@click.option(
    "--view",
    default=None,
    help="View of format-(b) files (class activity); inferred from the header if omitted.",
)
@click.option(
    "--only",
    "views",
    multiple=True,
    metavar="VIEW",
    help="Score only this view (repeatable; e.g. planes, octants_eq1).",
)
@click.option(
    "--missing",
    type=click.Choice(["error", "empty"]),
    default="error",
    show_default=True,
    help="Reference files without a submission file: an error, or no activity.",
)
@click.option(
    "--fold",
    "folds",
    type=int,
    multiple=True,
    help="Score only the files of this fold (repeatable).",
)
@click.option(
    "--metrics",
    "metrics",
    type=click.Choice(["paper", "dcase2024", "dcase2023", "dcase2025", "all"]),
    multiple=True,
    help="Metric set (repeatable): paper (1 s segment F1 of the views, the default), dcase2024 "
    "(frame-wise location-aware F, DOAE, RDE, SELD score), dcase2023 (1 s segments, no "
    "distance), dcase2025 (stereo: azimuth folded into [-90, 90], F, azimuth error, RDE; reads "
    "2025 CSVs with their header) or all.",
)
@click.option(
    "--frame-range",
    type=click.Choice(["official", "file"]),
    default="official",
    show_default=True,
    help="Frames the DCASE metric sets score: official = as the challenges' evaluation code "
    "(frames before each reference file's last active frame; 2023: whole 1 s segments before "
    "it), file = every frame of the file.",
)
@click.option(
    "--ci",
    type=click.Choice(["jackknife"]),
    default=None,
    help="Add 95 % jackknife intervals (leave one file out, as the DCASE 2025 baseline) to "
    "every figure; needs at least 2 files.",
)
@click.option(
    "--doa-threshold",
    "doa_threshold_deg",
    type=float,
    callback=_positive,
    default=20.0,
    show_default=True,
    help="DCASE: largest DOA error (degrees) of a true positive.",
)
@click.option(
    "--rel-distance-threshold",
    "rel_distance_threshold",
    type=float,
    callback=_positive,
    default=1.0,
    show_default=True,
    help="DCASE 2024: largest relative distance error |d - d_ref| / d_ref of a true positive.",
)
@click.option(
    "--distance-threshold",
    "distance_threshold_m",
    type=float,
    callback=_positive,
    default=None,
    help="DCASE 2024: largest absolute distance error (m) of a true positive (default: none).",
)
@click.option(
    "--distance-unit",
    type=click.Choice(["cm", "m"]),
    default="cm",
    show_default=True,
    help="Unit of the submission's distance column (the metadata's is cm).",
)
@click.option(
    "--coordinates",
    type=click.Choice(["auto", "polar", "cartesian"]),
    default="auto",
    show_default=True,
    help="DCASE rows: azimuth,elevation,distance (polar) or x,y,z[,distance] unit vectors "
    "(cartesian, the DCASE baseline's output); auto detects it.",
)
@divisions_option
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write every figure as JSON (schemas/score.schema.json).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --json file.")
def score_command(
    ref_dir,
    pred_dir,
    view,
    views,
    missing,
    folds,
    metrics,
    frame_range,
    ci,
    doa_threshold_deg,
    rel_distance_threshold,
    distance_threshold_m,
    distance_unit,
    coordinates,
    divisions_path,
    json_path,
    overwrite,
):
    """Score a submission: the paper's 1 s segment F1 and/or the DCASE SELD metrics.

    Every problem in the submission is reported (file and line) before anything is scored;
    a broken submission exits with code 2.
    """
    from ..errors import OutputExistsError
    from ..score import format_tables, score_dataset, write_results_json
    from ..score.results_json import check_results_path

    if json_path:  # before any work: a folder that cannot take the results fails first
        try:
            check_results_path(json_path, overwrite=overwrite)
        except OutputExistsError as exc:
            raise OutputExistsError(f"{json_path}: exists; pass --overwrite to replace it") from exc
    thresholds = {
        "doa_threshold_deg": doa_threshold_deg,
        "rel_distance_threshold": rel_distance_threshold,
        "distance_threshold_m": distance_threshold_m,
    }
    try:
        results = score_dataset(
            ref_dir,
            pred_dir,
            view=view,
            views=list(views) or None,
            missing=missing,
            folds=list(folds) or None,
            metrics=list(metrics) or ["paper"],
            thresholds=thresholds,
            frame_range=frame_range,
            ci=ci,
            distance_unit=distance_unit,
            coordinates=None if coordinates == "auto" else coordinates,
            divisions=divisions_path,
        )
    except BindataError as exc:
        raise in_cli_terms(exc, CLI_PHRASES) from None
    for warning in results["warnings"]:
        click.echo(f"bindata: warning: {warning} (--distance-unit m)", err=True)
    if json_path:  # written before the tables are shown: a failing write shows no tables
        write_results_json(results, json_path)
    click.echo(format_tables(results), nl=False)
    if json_path:
        click.echo(f"wrote {json_path}")


def register(group: click.Group) -> None:
    """Add ``score`` to the ``bindata`` command group."""
    group.add_command(score_command)
