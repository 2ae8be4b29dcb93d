"""``bindata score``: check a submission folder, score it against a dataset, print the tables."""

from __future__ import annotations

import click


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
    "--json",
    "json_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write every figure as JSON (schemas/score.schema.json).",
)
def score_command(ref_dir, pred_dir, view, views, missing, folds, json_path):
    """Score a submission with 1 s segment-based F1 (paper, section 4).

    Every problem in the submission is reported (file and line) before anything is scored;
    a broken submission exits with code 2.
    """
    from ..score import format_tables, score_dataset, write_results_json

    results = score_dataset(
        ref_dir, pred_dir, view=view, views=list(views) or None, missing=missing,
        folds=list(folds) or None,
    )  # fmt: skip
    click.echo(format_tables(results), nl=False)
    if json_path:
        write_results_json(results, json_path)
        click.echo(f"wrote {json_path}")


def register(group: click.Group) -> None:
    """Add ``score`` to the ``bindata`` command group."""
    group.add_command(score_command)
