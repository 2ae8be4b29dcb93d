"""Helpers for the scorer tests: tiny reference datasets and submissions written by hand.

(Only helpers live here; pytest collects no tests from this module.)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bindata.divisions import frame_activity, get_view

CLASSES = ("alarm", "baby", "cat", "dog")


def csv_rows(rows) -> str:
    """DCASE text of rows given as tuples (frame, class, source, az, el, dist_cm)."""
    return "".join(",".join(str(v) for v in r) + "\n" for r in rows)


def make_dataset(
    root, files: dict, *, duration_s=15.0, classes=CLASSES, manifest=True, folds=None
) -> Path:
    """Write ``metadata/<stem>.csv`` for each ``{stem: rows}`` and a minimal manifest."""
    root = Path(root)
    (root / "metadata").mkdir(parents=True, exist_ok=True)
    entries = []
    for stem, rows in files.items():
        (root / "metadata" / f"{stem}.csv").write_text(csv_rows(rows))
        entry = {"stem": stem}
        if folds is not None:
            entry["fold"] = folds[stem]
        entries.append(entry)
    if manifest:
        doc = {"config": {"duration_s": duration_s}, "files": entries, "classes": list(classes)}
        (root / "manifest.json").write_text(json.dumps(doc))
    return root


def write_files(folder, texts: dict) -> Path:
    """Write ``{stem: text}`` as ``<stem>.csv`` files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for stem, text in texts.items():
        (folder / f"{stem}.csv").write_text(text)
    return folder


def random_rows(rng, *, n_frames=150, max_sources=3, n_classes=4):
    """Random DCASE rows: a few sources, each a run of frames at one position in a band."""
    rows = []
    for src in range(int(rng.integers(1, max_sources + 1))):
        a = int(rng.integers(0, n_frames - 1))
        b = int(rng.integers(a + 1, min(n_frames, a + 80) + 1))
        az = int(rng.integers(-179, 181))
        el = int(rng.integers(-80, 81))
        dist = int(rng.integers(40, 201)) if rng.random() < 0.5 else int(rng.integers(300, 801))
        cls = int(rng.integers(0, n_classes))
        rows += [(f, cls, src, az, el, dist) for f in range(a, b)]
    return rows


def random_dataset(root, rng, *, n_files=8, n_folds=4, duration_s=15.0, max_sources=3):
    """A random dataset of ``n_files`` named ``foldK_roomNNNN_mix001``; returns (root, files)."""
    n_frames = int(round(duration_s / 0.1))
    files = {}
    for i in range(n_files):
        stem = f"fold{i % n_folds + 1}_room{i:04d}_mix001"
        files[stem] = random_rows(rng, n_frames=n_frames, max_sources=max_sources)
    return make_dataset(root, files, duration_s=duration_s), files


def independent_activity(rows, view_name: str, n_frames: int) -> np.ndarray:
    """Frame activity of a view from rows via bindata.divisions.frame_activity (one file)."""
    view = get_view(view_name)
    if not rows:
        return np.zeros((n_frames, len(view.classes)), dtype=bool)
    arr = np.asarray(rows, dtype=float)
    return frame_activity(
        arr[:, 0].astype(int), arr[:, 3], arr[:, 4], arr[:, 5] / 100.0, n_frames=n_frames, view=view
    )
