"""``bindata synth`` and ``bindata regen``."""

from __future__ import annotations

from pathlib import Path

import click

from .params import (
    DIRECTIVITY_FLAGS,
    FINITE_FLOAT,
    FiniteFloat,
    directivity_given,
    directivity_options,
)
from .terms import in_cli_terms

#: CLI flag -> library option (:data:`bindata.config.OPTIONS`, which maps options to config
#: keys), so that config errors name the flag the user typed.
FLAG_OPTIONS = {
    "--n": "n_files",
    "--overlap": "max_overlap",
    "--folds": "n_folds",
    "--duration": "duration_s",
    "--rate": "sample_rate",
    "--rt60": "rt60_s",
    "--events-per-file": "events_per_file",
    "--hrir": "hrir",
    "--nearfield": "nearfield",
    "--hrir-level": "hrir_calibration",
    "--hrir-split": "hrir_split",
    "--head-radius": "head_radius_m",
    "--events": "events",
    "--anechoic": "anechoic",
    "--rooms": "rooms",
    "--room-level": "room_calibration",
    "--moving": "moving",
    "--angular-speed": "angular_speed_deg_s",
    "--line-fraction": "line_fraction",
    "--linear-speed": "linear_speed_m_s",
    "--head-rotation": "head_rotation",
    "--head-speed": "head_speed_deg_s",
    "--snr": "snr_db",
    "--ambience": "ambience",
    **DIRECTIVITY_FLAGS,
}


#: Library setting (``BindataError.key``) -> flag, so that such errors name the flag typed.
SETTING_FLAGS = {
    "seed": "--seed",
    "jobs": "--jobs",
    "scheduler": "--scheduler",
    "overwrite": "--overwrite",
    "resume": "--resume",
}


@click.command("synth")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Output folder (must be empty or absent).",
)
@click.option("--n", "n_files", type=int, help="Number of files [400].")
@click.option("--overlap", type=int, help="Most events active at once [2].")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="JSON or TOML config; flags override it.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the whole run.")
@click.option(
    "--jobs", type=int, default=1, show_default=True, help="Worker processes (-1: all cores)."
)
@click.option("--folds", type=int, help="Number of folds [4].")
@click.option("--duration", type=FINITE_FLOAT, help="File length in seconds [15].")
@click.option("--rate", type=int, help="Sample rate in Hz [24000].")
@click.option("--rt60", type=FINITE_FLOAT, nargs=2, help="RT60 range in seconds [0.3 0.9].")
@click.option("--events-per-file", type=int, nargs=2, help="Events drawn per file [4 8].")
@click.option(
    "--hrir",
    multiple=True,
    help="'builtin' (or another model: bindata hrir models), a SOFA file or a folder of them; "
    "repeat for several heads, each file draws one [builtin].",
)
@click.option(
    "--nearfield/--no-nearfield",
    default=None,
    help="Synthesise near-field shells from a single-distance SOFA set.",
)
@click.option(
    "--hrir-level",
    type=click.Choice(["reference", "diffuse", "equalised", "raw"]),
    help="HRIR level: calibrated to the frontal or the diffuse-field free-field reference, "
    "diffuse-field equalised to the built-in head (one minimum-phase filter per set: file levels "
    "of different heads closest), or as stored [reference].",
)
@click.option(
    "--hrir-split",
    multiple=True,
    metavar="subjects|FOLDS=SETS",
    help="Which heads each fold draws from: 'subjects' deals the heads to the folds (test heads "
    "unheard in training), or e.g. 1,2,3=builtin,a.sofa and 4=heads/ (repeat) [every fold: "
    "every head].",
)
@click.option(
    "--head-radius",
    type=FINITE_FLOAT,
    nargs=2,
    metavar="LO HI",
    help="Draw a model head's radius per file in this range, metres (2.5 mm grid) [0.0875].",
)
@click.option("--events", "events_library", help="'builtin' or a folder of class sub-folders.")
@click.option("--anechoic/--reverberant", default=None, help="Direct path only (no room).")
@click.option(
    "--rooms",
    help="Room preset: a name (bindata rooms list), a preset JSON, a measured room .sofa "
    "(SingleRoomMIMOSRIR, MultiSpeakerBRIR, binaural SingleRoomSRIR) or a folder of them; or "
    "a mix drawn per file with weights, 'office:2,classroom,measured/:1' (weight 1 if none) "
    "[paper].",
)
@click.option(
    "--room-level",
    type=click.Choice(["reference", "raw"]),
    help="Measured rooms' level: direct sound at the free-field level of a simulated room "
    "(the HRIR reference), or as stored [reference].",
)
@click.option(
    "--moving",
    type=FINITE_FLOAT,
    metavar="FRACTION",
    help="Share of events that move (arcs about the head, or lines) [0].",
)
@click.option(
    "--angular-speed",
    type=FINITE_FLOAT,
    nargs=2,
    metavar="LO HI",
    help="Angular speed range of arcs, deg/s [10 40].",
)
@click.option(
    "--line-fraction",
    type=FINITE_FLOAT,
    metavar="FRACTION",
    help="Share of moving events on straight lines (the others: arcs) [0].",
)
@click.option(
    "--linear-speed",
    type=FINITE_FLOAT,
    nargs=2,
    metavar="LO HI",
    help="Speed range of straight paths, m/s [0.2 0.6].",
)
@click.option(
    "--head-rotation/--no-head-rotation",
    default=None,
    help="The listener's head turns (yaw; pauses and turn sizes: config 'head').",
)
@click.option(
    "--head-speed",
    type=FINITE_FLOAT,
    nargs=2,
    metavar="LO HI",
    help="Head turning speed range, deg/s [20 90].",
)
@click.option(
    "--snr",
    type=FINITE_FLOAT,
    nargs=2,
    metavar="LO HI",
    help="Add ambience at an SNR drawn in this range, dB (event level over the ambience's) [none].",
)
@click.option(
    "--ambience",
    metavar="diffuse|FOLDER",
    help="Ambience: 'diffuse' (generated through the HRIR set) or a folder of "
    "2-channel recordings (looped or cut, resampled) [diffuse].",
)
@directivity_options
@click.option("--overwrite", is_flag=True, help="Replace an existing dataset in --out.")
@click.option("--resume", is_flag=True, help="Finish an interrupted run in --out.")
@click.option(
    "--scheduler",
    help="Dask scheduler address (tcp://HOST:8786) or scheduler file; needs bindata[dask].",
)
@click.option(
    "--scheduler-timeout",
    type=FiniteFloat(0, 3600, lo_open=True),
    default=30,
    show_default=True,
    help="Seconds to wait for the Dask scheduler to answer.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def synth_command(
    out_dir,
    n_files,
    overlap,
    config_path,
    seed,
    jobs,
    folds,
    duration,
    rate,
    rt60,
    events_per_file,
    hrir,
    nearfield,
    hrir_level,
    hrir_split,
    head_radius,
    events_library,
    anechoic,
    overwrite,
    resume,
    scheduler,
    scheduler_timeout,
    quiet,
    rooms,
    room_level,
    moving,
    angular_speed,
    line_fraction,
    linear_speed,
    head_rotation,
    head_speed,
    snr,
    ambience,
    directivity,
    directivity_alpha,
    directivity_order,
    source_orientation,
    source_facing,
):
    """Synthesize a binaural sound-event dataset (audio, DCASE metadata, scenes, manifest)."""
    from ..errors import BindataError, ConfigError
    from ..synth import synth_config, synthesize

    if seed < 0:
        raise ConfigError(f"--seed must be >= 0, got {seed}")
    if jobs == 0 or jobs < -1:
        raise ConfigError(f"--jobs must be >= 1 or -1 (all cores), got {jobs}")
    if overwrite and resume:
        raise ConfigError("--overwrite and --resume exclude each other; choose one")
    given = {
        "--n": n_files,
        "--overlap": overlap,
        "--folds": folds,
        "--duration": duration,
        "--rate": rate,
        "--rt60": rt60,
        "--events-per-file": events_per_file,
        "--hrir": _one_or_list(hrir),
        "--nearfield": nearfield,
        "--hrir-level": hrir_level,
        "--hrir-split": _split_option(hrir_split),
        "--head-radius": head_radius,
        "--events": events_library,
        "--anechoic": anechoic,
        "--rooms": rooms,
        "--room-level": room_level,
        "--moving": moving,
        "--angular-speed": angular_speed,
        "--line-fraction": line_fraction,
        "--linear-speed": linear_speed,
        "--head-rotation": head_rotation,
        "--head-speed": head_speed,
        "--snr": snr,
        "--ambience": ambience,
        **directivity_given(
            directivity, directivity_alpha, directivity_order, source_orientation, source_facing
        ),
    }
    options = {
        FLAG_OPTIONS[flag]: value
        for flag, value in given.items()
        if value is not None and value != ()
    }
    names = {option: flag for flag, option in FLAG_OPTIONS.items()}
    # the same two steps as bindata.synthesize: the same bytes for the same config and seed
    cfg = synth_config(config_path, options=options, names=names)
    try:
        manifest = synthesize(
            cfg,
            out_dir,
            seed=seed,
            jobs=jobs,
            overwrite=overwrite,
            resume=resume,
            scheduler=scheduler,
            connect_timeout_s=scheduler_timeout,
            progress=not quiet,
        )
    except BindataError as exc:
        raise _in_flag_terms(exc) from None
    click.echo(f"wrote {len(manifest['files'])} files to {out_dir}")


def _one_or_list(values: tuple):
    """A repeated option's values: ``None`` (not given), the value itself, or a list."""
    if not values:
        return None
    return values[0] if len(values) == 1 else list(values)


def _split_option(values: tuple):
    """``--hrir-split``'s values as the config's ``hrir.split``: ``"subjects"`` or a mapping
    fold -> HRIR sets (``FOLDS=SETS``, comma-separated on both sides; repeatable)."""
    from ..errors import ConfigError

    if not values:
        return None
    if values == ("subjects",):
        return "subjects"
    split: dict[str, list[str]] = {}
    for value in values:
        folds, eq, sets = value.partition("=")
        fold_list = [f.strip() for f in folds.split(",")]
        set_list = [s.strip() for s in sets.split(",") if s.strip()]
        if not eq or not set_list or not all(f.isdigit() and int(f) >= 1 for f in fold_list):
            raise ConfigError(
                f"--hrir-split must be 'subjects' or FOLDS=SETS such as 1,2,3=builtin,a.sofa, "
                f"got {value!r}"
            )
        for fold in fold_list:
            split.setdefault(str(int(fold)), [])
            split[str(int(fold))] += [s for s in set_list if s not in split[str(int(fold))]]
    return split


def _in_flag_terms(exc):
    """The library's error, naming the flag of the setting it is about (and what to do next)."""
    from ..config import OPTIONS
    from ..errors import InterruptedRun

    config_flags = {OPTIONS[option]: flag for flag, option in FLAG_OPTIONS.items()}

    if isinstance(exc, InterruptedRun):
        if exc.done is not None:
            exc.args = (f"{exc}; run again with --resume",)
        return exc
    if exc.key == "output.not_empty":
        exc.args = (
            f"{exc}; pass --overwrite to replace a dataset bindata wrote, or --resume "
            "to finish an interrupted run",
        )
    elif exc.key in SETTING_FLAGS:
        exc.args = (f"{SETTING_FLAGS[exc.key]}: {exc}",)
    elif exc.key in config_flags:
        exc.args = (f"{config_flags[exc.key]}: {exc}",)
    return exc


#: Library phrases of regen's messages -> its flags.
REGEN_PHRASES = (
    ("(hrir=PATH)", "(--hrir PATH)"),
    ("(directivity=PATH)", "(--directivity PATH)"),
)


@click.command("regen")
@click.argument("scene_path", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    help="Write the re-rendered WAV here (refuses to overwrite).",
)
@click.option(
    "--check",
    "check_path",
    type=click.Path(dir_okay=False),
    help="Compare with this WAV byte for byte (default: the dataset's own audio).",
)
@click.option("--hrir", help="Use this SOFA file instead of the scene's HRIR set.")
@click.option("--events", "events_library", help="Use this event folder instead of the scene's.")
@click.option(
    "--ambience",
    "ambience_folder",
    help="Use this folder of recordings instead of the scene's ambience folder.",
)
@click.option(
    "--directivity",
    "directivity_file",
    help="Use this SOFA file instead of the scene's measured directivity file.",
)
def regen_command(
    scene_path, out_path, check_path, hrir, events_library, ambience_folder, directivity_file
):
    """Re-render one file from its scene JSON and check it is byte-identical."""
    from ..dataset import paths_of
    from ..errors import BindataError, DatasetError, OutputExistsError
    from ..io import write_bytes
    from ..synth import render_scene_file, wav_bytes

    try:
        pcm, fs, _ = render_scene_file(
            scene_path,
            hrir=hrir,
            library=events_library,
            ambience=ambience_folder,
            directivity=directivity_file,
        )
    except BindataError as exc:
        raise in_cli_terms(exc, REGEN_PHRASES) from None
    data = wav_bytes(pcm, fs)
    if out_path:
        if Path(out_path).exists():
            raise OutputExistsError(f"{out_path}: exists; choose another --out")
        write_bytes(out_path, data)
        click.echo(f"wrote {out_path}")
    scene_path = Path(scene_path)
    if check_path is None and not out_path:
        check_path = paths_of(scene_path.parent.parent, scene_path.stem)["audio"]
    if check_path:
        if not Path(check_path).exists():
            raise DatasetError(f"{check_path}: not found (pass --out to write the audio instead)")
        if Path(check_path).read_bytes() != data:
            raise DatasetError(f"{check_path}: differs from the re-rendered audio of {scene_path}")
        click.echo(f"{check_path}: identical to the re-rendered audio")


def register(group: click.Group) -> None:
    group.add_command(synth_command)
    group.add_command(regen_command)
