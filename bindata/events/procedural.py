"""The built-in procedural event bank, bindata's default event library.

No recordings ship with bindata; instead the bank synthesises stand-ins for the 18 classes of the
paper's dataset (NIGENS + DESED + TUT Rare Events: alarm, baby, blender, cat, crash, dishes, dog,
engine, fire, footsteps, glassbreak, gunshot, knock, phone, piano, scream, speech, water), each
with a clearly different spectro-temporal shape: tonal beeps and trills, harmonic voices with
formants, engine and motor harmonics, struck resonators, noise textures and impulses.

Sound ``"<class>/<vv>"`` (variant ``vv`` = 00, 01, ...) is drawn from
``numpy.random.default_rng(SeedSequence(BANK_SEED, spawn_key=(class_number, variant)))`` where
``class_number`` is the class's position in :data:`RECIPES` (append-only), using only the
bit-reproducible primitives of :mod:`bindata.events.dsp`: the bank is the same, bit for bit,
on every machine for a given :data:`GENERATOR_VERSION` and sample rate. Sounds are generated
lazily on first :meth:`~bindata.events.base.EventLibrary.load` and cached.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bindata.errors import EventLibraryError
from bindata.events import recipes_impulsive as imp
from bindata.events import recipes_tonal as ton
from bindata.events.base import DEFAULT_CACHE_BYTES, EventLibrary

#: Root seed of the bank (fixed forever; change GENERATOR_VERSION instead of this).
BANK_SEED = 0xB1DA7A
#: Bumped whenever any generated sound changes.
GENERATOR_VERSION = "1"
#: Default number of variants per class.
DEFAULT_VARIANTS = 8

#: Class name -> recipe; the order gives each class's spawn-key number (append-only).
RECIPES: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "alarm": ton.alarm,
    "baby": ton.baby,
    "blender": ton.blender,
    "cat": ton.cat,
    "crash": imp.crash,
    "dishes": imp.dishes,
    "dog": ton.dog,
    "engine": ton.engine,
    "fire": imp.fire,
    "footsteps": imp.footsteps,
    "glassbreak": imp.glassbreak,
    "gunshot": imp.gunshot,
    "knock": imp.knock,
    "phone": ton.phone,
    "piano": ton.piano,
    "scream": ton.scream,
    "speech": ton.speech,
    "water": imp.water,
}
_CLASS_NUMBER = {name: i for i, name in enumerate(RECIPES)}


def variant_rng(label: str, variant: int) -> np.random.Generator:
    """The random generator of variant ``variant`` of class ``label``."""
    seq = np.random.SeedSequence(BANK_SEED, spawn_key=(_CLASS_NUMBER[label], int(variant)))
    return np.random.default_rng(seq)


class BuiltinLibrary(EventLibrary):
    """The procedural bank: :data:`RECIPES` classes times ``variants`` sounds each.

    Parameters
    ----------
    sample_rate : int
        Rate the sounds are synthesised at, Hz (>= 8000).
    variants : int
        Sounds per class (ids ``<class>/00`` ... ), >= 1.
    cache_bytes : int
        Bound of the cache of generated sounds.
    """

    kind = "builtin"

    def __init__(
        self,
        *,
        sample_rate: int = 24000,
        variants: int = DEFAULT_VARIANTS,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ):
        super().__init__(sample_rate=sample_rate, cache_bytes=cache_bytes)
        if not 1 <= int(variants) <= 100:
            raise EventLibraryError(f"variants must be in 1..100, got {variants}")
        self.variants = int(variants)
        self.classes = sorted(RECIPES)

    def sound_ids(self, label: str) -> list[str]:
        """Ids ``<label>/00`` ... ``<label>/<variants-1>``."""
        self._check_label(label)
        return [f"{label}/{v:02d}" for v in range(self.variants)]

    def _parse(self, sound_id: str) -> tuple[str, int]:
        label, _, rest = str(sound_id).partition("/")
        if label in RECIPES and rest.isdigit() and len(rest) == 2 and int(rest) < self.variants:
            return label, int(rest)
        raise EventLibraryError(
            f"unknown sound id {sound_id!r} in the built-in event library "
            f"(expected '<class>/<00..{self.variants - 1:02d}>')"
        )

    def _render(self, sound_id: str) -> tuple[np.ndarray, str]:
        label, variant = self._parse(sound_id)
        raw = RECIPES[label](variant_rng(label, variant), self.sample_rate)
        return raw, f"built-in sound {sound_id}"

    def describe(self) -> dict:
        """Kind, generator version, bank seed, sample rate, classes and sound ids."""
        return {
            "kind": self.kind,
            "generator": "bindata.events.procedural",
            "generator_version": GENERATOR_VERSION,
            "bank_seed": BANK_SEED,
            "sample_rate": self.sample_rate,
            "classes": list(self.classes),
            "variants_per_class": self.variants,
            "sounds": [{"id": sid} for sid in self.all_sound_ids()],
        }
