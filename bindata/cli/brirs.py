"""``bindata brirs``: write the BRIRs of sampled rooms as SOFA files (docs/rooms.md)."""

from __future__ import annotations

import click

from .params import DIRECTIVITY_FLAGS, directivity_given, directivity_options

#: Library setting (``BindataError.key``) -> flag.
SETTING_FLAGS = {
    "seed": "--seed",
    "n_rooms": "--n",
    "overwrite": "--overwrite",
    "anechoic": "--rooms",
    "sources": "--near/--far",
    "convention": "--convention",
    "rooms": "--rooms",
}


@click.command("brirs")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Output folder (must be empty or absent).",
)
@click.option(
    "--n",
    "n_rooms",
    required=True,
    type=click.IntRange(min=1),
    help="Number of rooms (one SOFA file each).",
)
@click.option(
    "--rooms",
    default="paper",
    show_default=True,
    help="Room preset: a name (bindata rooms list), a preset JSON, a measured room (.sofa or "
    "folder), or a weighted mix 'office:2,classroom'.",
)
@click.option(
    "--convention",
    type=click.Choice(["SingleRoomMIMOSRIR", "MultiSpeakerBRIR"]),
    default="SingleRoomMIMOSRIR",
    show_default=True,
    help="SOFA convention of the files (MultiSpeakerBRIR: the deprecated one).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed: room i is drawn as file i of a dataset with this seed.",
)
@click.option(
    "--near",
    "n_near",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Sources per room in the near band.",
)
@click.option(
    "--far",
    "n_far",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Sources per room in the far band.",
)
@directivity_options
@click.option("--overwrite", is_flag=True, help="Replace the files of an earlier brirs run.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def brirs_command(
    out_dir,
    n_rooms,
    rooms,
    convention,
    seed,
    n_near,
    n_far,
    directivity,
    directivity_alpha,
    directivity_order,
    source_orientation,
    source_facing,
    overwrite,
    quiet,
):
    """Write the BRIRs of N sampled rooms: OUT/roomNNNN.sofa (SingleRoomMIMOSRIR, or
    MultiSpeakerBRIR with --convention; readable by 'synth --rooms OUT'), OUT/roomNNNN.json
    (room description, RT60 per octave band, materials, each source's directivity and
    orientation) and OUT/brirs.json (index with checksums). With --directivity each source
    radiates as an event of 'synth' would (drawn per room with the same seed)."""
    from ..config import OPTIONS
    from ..errors import BindataError
    from ..synth import synth_config
    from ..synth.brirs import write_brirs

    given = directivity_given(
        directivity, directivity_alpha, directivity_order, source_orientation, source_facing
    )
    options = {DIRECTIVITY_FLAGS[flag]: v for flag, v in given.items() if v is not None}
    flags = {**SETTING_FLAGS, **{OPTIONS[o]: f for f, o in DIRECTIVITY_FLAGS.items()}}
    try:
        cfg = synth_config(options=options, names={o: f for f, o in DIRECTIVITY_FLAGS.items()})
        index = write_brirs(
            out_dir,
            n_rooms=n_rooms,
            rooms=rooms,
            seed=seed,
            n_near=n_near,
            n_far=n_far,
            cfg=cfg,
            overwrite=overwrite,
            progress=not quiet,
            convention=convention,
        )
    except BindataError as exc:
        if exc.key == "output.not_empty":
            exc.args = (f"{exc}; pass --overwrite to replace the files of an earlier brirs run",)
        elif exc.key in flags and not str(exc).startswith(flags[exc.key]):
            exc.args = (f"{flags[exc.key]}: {exc}",)
        raise
    click.echo(f"wrote {len(index['files'])} rooms to {out_dir}")


def register(group: click.Group) -> None:
    group.add_command(brirs_command)
