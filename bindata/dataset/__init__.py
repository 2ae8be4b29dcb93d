"""A dataset on disk: its layout and reader, the output guard that writes it, and the tools
that check, describe and export a finished one.

- :mod:`~bindata.dataset.reader`: the layout (:func:`paths_of`), :func:`load_scene` (and
  :func:`scene_from_json`: a scene file's typed :class:`~bindata.scene.spec.Scene`) and
  :class:`Dataset`, a finished dataset (also ``bindata.Dataset``);
- :mod:`~bindata.dataset.output`: the output guard of a synthesis run (plan, lock, overwrite,
  resume);
- :mod:`~bindata.dataset.validate` (with :mod:`~bindata.dataset.validate_motion`),
  :mod:`~bindata.dataset.report`, :mod:`~bindata.dataset.plot`,
  :mod:`~bindata.dataset.export`: ``bindata validate``, ``report``, ``plot``, ``export``.

Importing this package imports the reader only.
"""

from ..io.layout import SUBDIRS, paths_of
from .reader import Dataset, load_scene, scene_from_json

__all__ = ["SUBDIRS", "Dataset", "load_scene", "paths_of", "scene_from_json"]
