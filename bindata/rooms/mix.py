"""Mixed rooms: the files of one dataset draw their room from several presets, with weights.

Config ``rooms`` is one room (a preset name, a preset file, a measured room's SOFA file or
folder, or the preset itself) or a *mix*: a list of entries ``{"preset": <one room>,
"weight": w}`` (weight default 1), written on the command line as
``office:2,classroom,paper,measured/:1`` (:func:`bindata.config.parse_room_mix`). A config
records the mix with every preset file inlined (:func:`inline_rooms`).

Drawing (:func:`draw_file_room`): file ``i`` draws its entry ``k`` from its own ``room_choice``
stream (:mod:`bindata.seeding`): ``u`` uniform in [0, 1), ``k`` the first entry whose
cumulative share of the weights exceeds ``u`` (entry ``k`` has the chance
``w_k / sum(w)``). Then the file is drawn exactly as a file of a dataset of that entry alone
would be, with :func:`entry_config` (the run's config with ``rooms`` = the entry): the room from
the ``room`` stream through its kind, the listener, the sources. The scene records ``k``
(``room_entry``); a config of one room draws nothing from ``room_choice`` and its scenes have
no ``room_entry``, so its datasets keep their bytes.

Bands: an entry whose kind serves only one of the bands the config uses (a measured room with
every loudspeaker at 1-2 m: ``bands_covered`` of :class:`~bindata.rooms.measured.MeasuredKind`)
gives its files events of that band only (its :func:`entry_config` sets
``sources.near_fraction`` to 1 or 0); the other band comes from the entries that have it. The
dataset's share of near events is then ``sum_k w_k p_k / sum_k w_k`` with ``p_k`` = 1 (near
only), 0 (far only) or ``sources.near_fraction``. :func:`check_rooms` refuses a mix in which a
band the config uses is served by no entry, or an entry serves none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..config import SynthConfig, parse_room_mix
from ..errors import ConfigError, SceneError
from .registry import draw_room, get_kind, inline_preset, load_preset

BANDS = ("near", "far")


@dataclass(frozen=True)
class RoomEntry:
    """One entry of config ``rooms``.

    Attributes
    ----------
    preset : str or dict
        The room: a preset name, a file, or the preset itself (as the config holds it).
    weight : float
        Its weight (a positive number; its chance is the weight over the sum of all).
    """

    preset: str | dict
    weight: float = 1.0

    @property
    def label(self) -> str:
        """The name a message gives the entry: the preset's name or what was typed."""
        if isinstance(self.preset, dict):
            return str(self.preset.get("name", "?"))
        return str(self.preset)


def is_mix(rooms) -> bool:
    """Whether config ``rooms`` (JSON) is a mix (a list of entries)."""
    return isinstance(rooms, list)


def room_entries(rooms) -> list[RoomEntry]:
    """The entries of config ``rooms`` (one entry of weight 1 for a single room)."""
    if not is_mix(rooms):
        return [RoomEntry(rooms)]
    return [RoomEntry(e["preset"], float(e.get("weight", 1.0))) for e in rooms]


def _entry_error(exc: ConfigError, k: int, entries: list[RoomEntry]) -> ConfigError:
    return ConfigError(
        f"room mix entry {k + 1} of {len(entries)} ({entries[k].label!r}): {exc}", key="rooms"
    )


def inline_rooms(rooms):
    """Config ``rooms`` as a config records it: mix text (``office:2,classroom``) made its
    list, every preset file inlined (:func:`~bindata.rooms.registry.inline_preset`), every
    preset checked.

    Raises
    ------
    ConfigError
        Bad mix text, or an entry that does not load (naming the entry).
    """
    if isinstance(rooms, str):
        parsed, problems = parse_room_mix(rooms)
        if problems:
            raise ConfigError(f"room mix {rooms!r}: {'; '.join(problems)}", key="rooms")
        if parsed is not None:
            rooms = parsed if len(parsed) > 1 else parsed[0]["preset"]
    if not is_mix(rooms):
        return inline_preset(rooms)
    entries, out = room_entries(rooms), []
    for k, entry in enumerate(entries):
        try:
            out.append({"preset": inline_preset(entry.preset), "weight": entry.weight})
        except ConfigError as exc:
            raise _entry_error(exc, k, entries) from None
    return out


def bands_needed(cfg: SynthConfig) -> tuple[str, ...]:
    """The bands the config's events use (``near`` when ``near_fraction > 0``, ``far`` when
    ``< 1``)."""
    frac = cfg.sources.near_fraction
    return tuple(b for b, used in zip(BANDS, (frac > 0, frac < 1), strict=True) if used)


def bands_covered(preset: dict, cfg: SynthConfig) -> tuple[str, ...]:
    """The bands a preset's rooms serve: its kind's ``bands_covered(preset, cfg)``, or both for
    a kind without it (a kind that places sources anywhere)."""
    covered = getattr(get_kind(preset["kind"]), "bands_covered", None)
    return BANDS if covered is None else tuple(covered(preset, cfg))


def entry_config(cfg: SynthConfig, entry: int | None) -> SynthConfig:
    """The config a file of entry ``entry`` is drawn and checked with: ``rooms`` = the entry's
    preset, and ``sources.near_fraction`` = 1 or 0 when the entry serves one of the config's
    bands only. ``cfg`` itself for a single room (``entry`` None).

    Raises
    ------
    SceneError
        ``entry`` does not fit the config: None for a mix, a number for a single room, or not
        an index of the mix.
    """
    rooms = cfg.room_preset
    if entry is None:
        if is_mix(rooms):
            raise SceneError(
                f"room_entry is missing: the config's rooms are a mix of {len(rooms)} entries"
            )
        return cfg
    if not is_mix(rooms):
        raise SceneError(f"room_entry {entry}: the config names one room, not a mix")
    if not 0 <= entry < len(rooms):
        raise SceneError(
            f"room_entry must index the config's room mix (0 to {len(rooms) - 1}), got {entry}"
        )
    preset = room_entries(rooms)[entry].preset
    file_cfg = replace(cfg, room_preset=preset)
    needed = bands_needed(cfg)
    served = [b for b in needed if b in bands_covered(load_preset(preset), file_cfg)]
    if served and len(served) < len(needed):
        only = 1.0 if served == ["near"] else 0.0
        file_cfg = replace(file_cfg, sources=replace(cfg.sources, near_fraction=only))
    return file_cfg


def choose_entry(cfg: SynthConfig, rng: np.random.Generator) -> int:
    """The entry of the config's room mix a file draws (module docstring), from ``rng``."""
    weights = np.array([e.weight for e in room_entries(cfg.room_preset)], dtype=float)
    share = np.cumsum(weights) / weights.sum()
    return int(min(np.searchsorted(share, rng.random(), side="right"), len(weights) - 1))


def draw_file_room(cfg: SynthConfig, rngs: dict) -> tuple[SynthConfig, dict, int | None]:
    """``(file config, room description, entry)`` of a file whose streams are ``rngs``
    (:func:`bindata.seeding.file_rngs`): the entry from ``room_choice`` (a mix only; None
    otherwise), the room from ``room`` with :func:`entry_config`."""
    if not is_mix(cfg.room_preset):
        return cfg, draw_room(cfg, rngs["room"]), None
    entry = choose_entry(cfg, rngs["room_choice"])
    file_cfg = entry_config(cfg, entry)
    return file_cfg, draw_room(file_cfg, rngs["room"]), entry


def room_kinds(cfg: SynthConfig) -> list:
    """The room kind of every entry of config ``rooms`` (one for a single room)."""
    entries, kinds = room_entries(cfg.room_preset), []
    for k, entry in enumerate(entries):
        try:
            kinds.append(get_kind(load_preset(entry.preset)["kind"]))
        except ConfigError as exc:
            raise (_entry_error(exc, k, entries) if len(entries) > 1 else exc) from None
    return kinds


def check_rooms(cfg: SynthConfig) -> None:
    """Before anything is drawn: every entry loads, and in a mix every entry serves a band the
    config uses and every such band is served by an entry.

    Raises
    ------
    ConfigError
        Naming the entry or the band, and what to change.
    """
    kinds = room_kinds(cfg)
    if not is_mix(cfg.room_preset):
        return
    entries, needed, served = room_entries(cfg.room_preset), bands_needed(cfg), set()
    for k, entry in enumerate(entries):
        preset = load_preset(entry.preset)
        try:
            covered = [b for b in needed if b in bands_covered(preset, cfg)]
        except ConfigError as exc:
            raise _entry_error(exc, k, entries) from None
        if not covered:
            ranges = ", ".join(f"{b} {list(cfg.sources.band_m(b))} m" for b in needed)
            raise ConfigError(
                f"room mix entry {k + 1} of {len(entries)} ({entry.label!r}, kind "
                f"{kinds[k].name!r}) serves none of the config's bands ({ranges}): every "
                "measurement of every file needs an emitter in a band it serves",
                key="rooms",
            )
        served.update(covered)
    for band in needed:
        if band not in served:
            raise ConfigError(
                f"no entry of the room mix serves the {band} band "
                f"{list(cfg.sources.band_m(band))} m the config's sources use; add a room "
                f"that has it, or set sources.near_fraction to "
                f"{1.0 if band == 'far' else 0.0}",
                key="rooms",
            )


__all__ = [
    "RoomEntry",
    "bands_covered",
    "bands_needed",
    "check_rooms",
    "choose_entry",
    "draw_file_room",
    "entry_config",
    "inline_rooms",
    "is_mix",
    "room_entries",
    "room_kinds",
]
