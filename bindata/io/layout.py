"""Where a dataset's files lie: the one place that knows the layout (docs/design.md, "Files").

``OUT/audio/STEM.wav``, ``OUT/metadata/STEM.csv``, ``OUT/scenes/STEM.json`` and
``OUT/manifest.json``; every reader and writer (synthesis, the dataset reader, validation,
reports, export, the scorer, the benchmark) builds paths with :func:`paths_of`.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The sub-folders of a dataset, one per kind of file.
SUBDIRS = ("audio", "metadata", "scenes")


def paths_of(out_dir: str | os.PathLike, stem: str) -> dict[str, Path]:
    """The three files of one dataset item (also in a folder being written or checked).

    Examples
    --------
    >>> paths_of("data", "fold1_room0001_mix001")["metadata"].as_posix()
    'data/metadata/fold1_room0001_mix001.csv'
    """
    out = Path(out_dir)
    return {
        "audio": out / "audio" / f"{stem}.wav",
        "metadata": out / "metadata" / f"{stem}.csv",
        "scene": out / "scenes" / f"{stem}.json",
    }
