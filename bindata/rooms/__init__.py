"""Rooms: the room interface, its registry (entry-point group ``bindata.rooms``) and the kinds.

- :mod:`~bindata.rooms.base`: :class:`RoomKind` (what a kind answers) and :class:`BoxRoomKind`
  (listener and source placement in a box).
- :mod:`~bindata.rooms.registry`: :func:`get_kind`, :func:`kind_of`, :func:`load_preset`,
  :func:`draw_room`; presets in ``metadata/rooms/*.json``.
- :mod:`~bindata.rooms.mix`: room mixes (config ``rooms`` as weighted entries, drawn per file).
- :mod:`~bindata.rooms.shoebox`: the ``shoebox`` kind (flat, or six materials and air).
- :mod:`~bindata.rooms.measured`: the ``measured`` kind (binaural SOFA files,
  :mod:`~bindata.rooms.sofa_brir`), calibrated to bindata's level (:mod:`~bindata.rooms.level`).
- :mod:`~bindata.rooms.materials`, :mod:`~bindata.rooms.air` (ISO 9613-1),
  :mod:`~bindata.rooms.acoustics` (predicted RT60 per band).
"""

from .base import BoxRoomKind, RoomKind
from .registry import (
    ENTRY_POINT_GROUP,
    draw_room,
    get_kind,
    kind_names,
    kind_of,
    load_preset,
    preset_names,
)

__all__ = [
    "RoomKind",
    "BoxRoomKind",
    "ENTRY_POINT_GROUP",
    "draw_room",
    "get_kind",
    "kind_names",
    "kind_of",
    "load_preset",
    "preset_names",
]
