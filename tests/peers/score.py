"""sed_eval 0.2.1 as an independent peer: same frame activity, sed_eval's own computation.

Used by the tests and ``benchmarks/bench_score.py`` to check and time the scorer; the scorer
itself never imports sed_eval. Frame activity becomes event lists (one event per run of active
frames, onset/offset in seconds), which sed_eval turns back into 1 s segments itself.

sed_eval imports ``dcase_util``, which imports ``pkg_resources`` at module level; setuptools >= 81
no longer ships it. When it is absent, :func:`import_sed_eval` registers an empty stand-in module
under that name while sed_eval is imported, then removes it again (nothing sed_eval's metrics use
needs it).
"""

from __future__ import annotations

import importlib
import sys
import types

import numpy as np

from bindata.scene.labels import LABEL_FRAME_S


def import_sed_eval():
    """Import sed_eval (with a stand-in ``pkg_resources`` where setuptools lacks it)."""
    if "sed_eval" in sys.modules:
        return sys.modules["sed_eval"]
    try:
        importlib.import_module("pkg_resources")
    except ImportError:
        stand_in = types.ModuleType("pkg_resources")
        sys.modules["pkg_resources"] = stand_in
        try:
            return importlib.import_module("sed_eval")
        finally:  # keep the stand-in out of everybody else's way
            if sys.modules.get("pkg_resources") is stand_in:
                del sys.modules["pkg_resources"]
    return importlib.import_module("sed_eval")


def activity_to_events(activity, classes, *, frame_s: float = LABEL_FRAME_S) -> list[dict]:
    """Event list of one file's frame activity.

    Parameters
    ----------
    activity : array_like of bool, shape (n_frames, n_classes)
    classes : sequence of str
    frame_s : float, keyword-only
        Frame length in seconds.

    Returns
    -------
    list of dict
        ``{'event_label', 'onset', 'offset'}`` per run of active frames; times are rounded to
        1e-9 s so that frame boundaries on whole seconds stay exact.
    """
    act = np.asarray(activity, dtype=bool)
    events = []
    for c, label in enumerate(classes):
        padded = np.concatenate([[False], act[:, c], [False]]).astype(np.int8)
        edges = np.diff(padded)
        starts, stops = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
        for a, b in zip(starts, stops, strict=True):
            events.append(
                {
                    "event_label": label,
                    "onset": round(a * frame_s, 9),
                    "offset": round(b * frame_s, 9),
                }
            )
    return events


def sed_eval_segment_metrics(ref, est, classes, *, duration_s: float, segment_s: float = 1.0):
    """sed_eval's segment-based metrics of frame activity of several files.

    Parameters
    ----------
    ref, est : array_like of bool, shape (n_files, n_frames, n_classes)
    classes : sequence of str
    duration_s : float, keyword-only
        Evaluated length of each file.
    segment_s : float, keyword-only
        sed_eval's ``time_resolution``.

    Returns
    -------
    sed_eval.sound_event.SegmentBasedMetrics
        Evaluated with ``empty_system_output_handling='zero_score'`` (bindata's convention).
    """
    sed_eval = import_sed_eval()
    metrics = sed_eval.sound_event.SegmentBasedMetrics(
        event_label_list=list(classes), time_resolution=float(segment_s)
    )
    metrics.empty_system_output_handling = "zero_score"
    for k in range(len(ref)):
        metrics.evaluate(
            activity_to_events(ref[k], classes),
            activity_to_events(est[k], classes),
            evaluated_length_seconds=duration_s,
        )
    return metrics
