"""The scene: everything drawn about a file, and the rules that name, fold and label it.

- :mod:`~bindata.scene.spec`: :class:`Scene` and its parts, the typed scene (what
  ``scenes/<stem>.json`` holds, read and written exactly);
- :mod:`~bindata.scene.sample`: :func:`sample_scene`, the sampler (room, listener, events,
  motion, ambience record) from a file's own seed;
- :mod:`~bindata.scene.motion`: source paths and head tracks (specs, positions, head-relative
  tracks) and how a scene draws them;
- :mod:`~bindata.scene.labels`: the DCASE metadata rows of a scene (:func:`scene_rows`), the
  100 ms label grid and the metadata CSV;
- :mod:`~bindata.scene.folds`: the fold of a file (:func:`fold_of`) and the file-stem grammar
  (:func:`file_stem`, :func:`room_stem`).

The seeding scheme every draw follows is :mod:`bindata.seeding`.

The sampler's names are imported on first use: scoring and the benchmark read folds and labels
(:mod:`bindata.scene.folds`, :mod:`bindata.scene.labels`) without loading the room kinds and
the renderer that sampling needs.
"""

from .folds import file_stem, fold_of, room_stem
from .labels import LABEL_FRAME_S, n_label_frames, scene_rows
from .spec import Listener, Scene, SceneEvent

__all__ = [
    "LABEL_FRAME_S",
    "Listener",
    "SCENE_SCHEMA_VERSION",
    "Scene",
    "SceneEvent",
    "file_stem",
    "fold_of",
    "n_label_frames",
    "place_events",
    "room_stem",
    "sample_scene",
    "scene_rows",
]

#: Names of :mod:`bindata.scene.sample`, imported on first access (PEP 562).
_SAMPLER = ("SCENE_SCHEMA_VERSION", "place_events", "sample_scene")


def __getattr__(name: str):
    if name in _SAMPLER:
        from . import sample  # lazy: folds and labels must not load the room kinds and renderer

        value = getattr(sample, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
