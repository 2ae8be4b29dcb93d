"""``bindata hrir info | build | nearfield | models``: inspect, compute and convert HRIR sets;
list the HRIR models."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .params import FINITE_FLOAT


def _check_out(out: str, overwrite: bool) -> Path:
    from ..errors import HRIRError, OutputError, OutputExistsError
    from ..io.atomic import unwritable_reason

    path = Path(out)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: exists; pass --overwrite to replace it")
    if path.is_dir():
        raise HRIRError(f"{path}: is a directory; --out must name a .sofa file")
    if not path.parent.is_dir():
        raise HRIRError(f"{path}: folder {path.parent} does not exist")
    reason = unwritable_reason(path.parent)  # before the set is computed
    if reason:
        raise OutputError(f"{path}: cannot write in {path.parent} ({reason})")
    return path


@click.group("hrir")
def hrir_group() -> None:
    """Inspect, build and convert HRIR sets (SOFA files)."""


@hrir_group.command("info")
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def info_command(file, as_json):
    """Describe FILE (a SOFA file, or 'builtin'): convention, rate, taps, shells, coverage, level."""
    from ..hrir.info import format_info, hrir_info

    info = hrir_info(file)
    click.echo(json.dumps(info, indent=2) if as_json else format_info(info))


@hrir_group.command("build")
@click.option(
    "--model",
    type=click.Choice(["structural", "sphere"]),
    default="structural",
    show_default=True,
    help="Sphere head with pinna and torso cues, or the sphere alone.",
)
@click.option("--rate", type=int, default=24000, show_default=True, help="Sample rate in Hz.")
@click.option("--grid-deg", type=FINITE_FLOAT, default=None, help="Direction grid spacing [6].")
@click.option("--out", required=True, help="Output SOFA file.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
def build_command(model, rate, grid_deg, out, overwrite):
    """Compute the built-in HRIR model and write it as a SimpleFreeFieldHRIR SOFA file."""
    from ..hrir import build_model_hrirset, write_sofa

    path = _check_out(out, overwrite)
    options = {} if grid_deg is None else {"grid_deg": grid_deg}
    hrirset = build_model_hrirset(model=model, sample_rate=rate, **options)
    write_sofa(hrirset, path)
    click.echo(f"wrote {path}: {hrirset.azimuth_deg.size} responses, {len(hrirset.shells)} shells")


@hrir_group.command("nearfield")
@click.argument("file")
@click.option("--out", required=True, help="Output SOFA file.")
@click.option("--rate", type=int, default=None, help="Resample to this rate [the file's].")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
def nearfield_command(file, out, rate, overwrite):
    """Add near-field shells to the single-distance set FILE (sphere DVF).

    Shells of 0.2, 0.3, ..., 1.5 m nearer than the measured distance are synthesised; the measured
    shell stays the far-field shell, and nothing is extrapolated beyond it. Levels are written
    as stored (calibration happens when a set is loaded for synthesis).
    """
    from ..hrir import load_sofa, nearfield_from_farfield, write_sofa

    path = _check_out(out, overwrite)
    hrirset = nearfield_from_farfield(load_sofa(file, sample_rate=rate))
    write_sofa(hrirset, path)
    dists = ", ".join(f"{d:g}" for d in hrirset.distances)
    click.echo(f"wrote {path}: shells at {dists} m")


@hrir_group.command("models")
def models_command():
    """List the HRIR models (built in, or installed through the entry-point group
    'bindata.hrirs'): their names for --hrir, and the head parameters they take."""
    from ..errors import HRIRError
    from ..hrir import get_model, model_names

    for name in model_names():
        try:
            model = get_model(name)
        except HRIRError as exc:
            click.echo(f"{name}: {exc}")
            continue
        doc = (type(model).__doc__ or "").strip().splitlines()
        summary = doc[0].split(" (``")[0].rstrip(".") if doc else ""
        params = ", ".join(model.parameters) or "none"
        click.echo(f"{name}: {summary} (parameters: {params})")


def register(group: click.Group) -> None:
    """Add ``hrir`` to the root command group."""
    group.add_command(hrir_group)
