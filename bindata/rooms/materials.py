"""Surface materials: published octave-band absorption coefficients (``metadata/materials.json``).

Every material has ``absorption`` (energy absorption coefficients, 7 octave bands 125 Hz-8 kHz,
each in [0, 1]), optionally ``scattering`` (same bands; recorded in the scene, not used by the
image-source renderer, which models specular reflection only) and the ``source`` that published
the coefficients. A preset may add materials of its own (its ``materials`` key).
"""

from __future__ import annotations

from functools import cache

from ..errors import ConfigError
from ..resources import load_metadata
from .acoustics import OCTAVE_BANDS_HZ


def _check_material(name: str, entry: dict, where: str) -> None:
    for key in ("absorption", "scattering"):
        values = entry.get(key)
        if values is None and key == "scattering":
            continue
        if not isinstance(values, list) or len(values) != len(OCTAVE_BANDS_HZ):
            raise ConfigError(
                f"{where}: material {name!r} {key} must be {len(OCTAVE_BANDS_HZ)} "
                f"values (bands {list(OCTAVE_BANDS_HZ)} Hz), got {values!r}"
            )
        bad = [v for v in values if not isinstance(v, int | float) or not 0.0 <= v <= 1.0]
        if bad:
            raise ConfigError(f"{where}: material {name!r} {key} must lie in [0, 1], got {bad}")


@cache
def builtin_materials() -> dict:
    """The materials of ``metadata/materials.json`` (name -> entry), checked."""
    data = load_metadata("materials")
    if list(data["bands_hz"]) != list(OCTAVE_BANDS_HZ):
        raise ConfigError(f"metadata/materials.json: bands_hz must be {list(OCTAVE_BANDS_HZ)}")
    for name, entry in data["materials"].items():
        _check_material(name, entry, "metadata/materials.json")
        if entry["source"] not in data["sources"]:
            raise ConfigError(
                f"metadata/materials.json: material {name!r} cites unknown source "
                f"{entry['source']!r}"
            )
    return dict(data["materials"])


def material_sources() -> dict:
    """Citation key -> full reference, for the materials of ``metadata/materials.json``."""
    return dict(load_metadata("materials")["sources"])


def materials_of(preset: dict, *, where: str) -> dict:
    """The built-in materials plus the preset's own ones (checked), name -> entry."""
    own = preset.get("materials", {})
    for name, entry in own.items():
        _check_material(name, entry, where)
    return {**builtin_materials(), **own}


def material(name: str, table: dict, *, where: str) -> dict:
    """The entry of material ``name`` in ``table``, or a ConfigError listing the known ones."""
    if name not in table:
        raise ConfigError(f"{where}: unknown material {name!r}; known materials: {sorted(table)}")
    return table[name]


__all__ = ["builtin_materials", "material_sources", "materials_of", "material"]
