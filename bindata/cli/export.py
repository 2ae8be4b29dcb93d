"""``bindata export``: a dataset in the folder layout and metadata of a DCASE year."""

from __future__ import annotations

import re

import click

from ..errors import BindataError, ConfigError

#: Library setting (``BindataError.key``) -> flag, so that such errors name the flag typed.
SETTING_FLAGS = {"clip_s": "--clip-s", "fold_map": "--fold-map"}

#: One ``DATASET_FOLD:EXPORTED_FOLD`` pair of ``--fold-map``.
_PAIR = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


def parse_fold_map(text: str) -> dict[int, int]:
    """``'1:3,2:3,3:3,4:4'`` as ``{1: 3, 2: 3, 3: 3, 4: 4}``.

    Raises
    ------
    ConfigError
        Not comma-separated ``K:T`` pairs of integers, or a dataset fold given twice.
    """
    rule = "write DATASET_FOLD:EXPORTED_FOLD pairs separated by commas, e.g. 1:3,2:3,3:3,4:4"
    mapping: dict[int, int] = {}
    for part in text.split(","):
        match = _PAIR.match(part)
        if match is None:
            raise ConfigError(f"--fold-map {text!r}: {part.strip()!r} is not a fold pair; {rule}")
        fold, target = int(match[1]), int(match[2])
        if fold in mapping:
            raise ConfigError(f"--fold-map {text!r}: dataset fold {fold} is mapped twice; {rule}")
        mapping[fold] = target
    return mapping


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
@click.option(
    "--clip-s",
    "clip_s",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Cut every file into consecutive clips of SECONDS (a positive multiple of the 0.1 s "
    "label frame; 5 for the DCASE 2025 baseline), named STEM_clip00, STEM_clip01, ...; labels "
    "re-based to each clip, an event crossing a boundary in both clips, a last partial clip "
    "padded with silence. Clips are new WAV files (--copy implied).",
)
@click.option(
    "--fold-map",
    "fold_map",
    default=None,
    metavar="K:T,...",
    help="Rename the foldK_ prefix of the exported files, e.g. 1:3,2:3,3:3,4:4 (folds 1-3 to "
    "fold3, the baseline's training fold; fold 4 stays its test fold). Every fold of the dataset "
    "must be mapped (K:K keeps it), and only those.",
)
def export_command(dataset, fmt, out_dir, class_map, copy, clip_s, fold_map):
    """Export DATASET to a DCASE Task 3 layout (checked completely before anything is written)."""
    from ..dataset.export import export_dataset

    folds = None if fold_map is None else parse_fold_map(fold_map)
    try:
        record = export_dataset(
            dataset, out_dir, fmt=fmt, class_map=class_map, copy=copy, clip_s=clip_s, fold_map=folds
        )
    except BindataError as exc:
        if exc.key in SETTING_FLAGS:
            exc.args = (f"{SETTING_FLAGS[exc.key]}: {exc}",)
        raise
    clips = f", {record['n_exported']} clips of {clip_s:g} s" if clip_s is not None else ""
    click.echo(
        f"exported {record['n_files']} file(s) as {fmt} into {out_dir} "
        f"({len(record['classes'])} classes, audio {record['audio']}{clips})"
    )


@click.command("reassemble")
@click.argument("export_dir", type=click.Path(file_okay=False))
@click.option(
    "--pred",
    "pred_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Predictions of the export's files (clips, renamed folds): one NAME.csv each.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(),
    help="New or empty folder: one STEM.csv per dataset file, ready for bindata score.",
)
def reassemble_command(export_dir, pred_dir, out_dir):
    """Put predictions of an export's clips back together as one file per dataset file.

    Frames are shifted back by each clip's first frame (EXPORT_DIR/bindata_export.json), rows in
    a padded last clip are dropped, and names return to the dataset's stems, so that `bindata
    score --ref DATASET --pred OUT` scores them.
    """
    from ..dataset.export import reassemble_predictions

    rec = reassemble_predictions(export_dir, pred_dir, out_dir)
    missing = (
        f"; {len(rec['missing'])} exported file(s) without predictions" if rec["missing"] else ""
    )
    click.echo(
        f"reassembled {rec['files']} prediction file(s) into {len(rec['stems'])} dataset "
        f"file(s) in {out_dir}{missing}"
    )


def register(group: click.Group) -> None:
    """Add ``export`` and ``reassemble`` to the ``bindata`` command group."""
    group.add_command(export_command)
    group.add_command(reassemble_command)
