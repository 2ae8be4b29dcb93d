"""``bindata rooms list`` and ``bindata rooms show NAME``: the room presets and kinds."""

from __future__ import annotations

import json

import click


@click.group("rooms")
def rooms_group() -> None:
    """Room presets (metadata/rooms/*.json) and room kinds (docs/rooms.md)."""


@rooms_group.command("list")
def list_command() -> None:
    """List the shipped room presets and the available room kinds."""
    from ..rooms import kind_names, load_preset, preset_names

    for name in preset_names():
        preset = load_preset(name)
        click.echo(f"{name:18s} {preset['kind']:10s} {preset['description'].split('. ')[0]}")
    click.echo(f"kinds: {', '.join(kind_names())}")


@rooms_group.command("show")
@click.argument("name")
def show_command(name: str) -> None:
    """Print preset NAME (a shipped name or a preset JSON file), validated, as JSON."""
    from ..rooms import load_preset

    click.echo(json.dumps(load_preset(name), indent=2, ensure_ascii=False))


def register(group: click.Group) -> None:
    group.add_command(rooms_group)
