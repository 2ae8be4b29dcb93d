"""``bindata export``: a dataset in the folder layout and metadata of a DCASE year."""

from __future__ import annotations

import click


@click.command("export")
@click.argument("dataset", type=click.Path(file_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["dcase2024", "dcase2025"]),
    required=True,
    help="dcase2024: mic_dev/ + metadata_dev/, rows frame,class,source,azimuth,elevation,distance; "
    "dcase2025: stereo_dev/ + metadata_dev/, header, frame,class,source,azimuth,distance,onscreen "
    "with the azimuth folded into [-90, 90].",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(),
    help="New or empty folder to write.",
)
@click.option(
    "--class-map",
    "class_map",
    type=click.Path(dir_okay=False),
    default=None,
    help="JSON class map (schemas/class_map.schema.json) renaming or dropping classes.",
)
@click.option("--copy", is_flag=True, help="Copy the WAVs (default: symbolic links).")
def export_command(dataset, fmt, out_dir, class_map, copy):
    """Export DATASET to a DCASE Task 3 layout (checked completely before anything is written)."""
    from ..export import export_dataset

    record = export_dataset(dataset, out_dir, fmt=fmt, class_map=class_map, copy=copy)
    click.echo(
        f"exported {record['n_files']} file(s) as {fmt} into {out_dir} "
        f"({len(record['classes'])} classes, audio {record['audio']})"
    )


def register(group: click.Group) -> None:
    """Add ``export`` to the ``bindata`` command group."""
    group.add_command(export_command)
