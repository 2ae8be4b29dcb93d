"""Scoring submissions against a bindata dataset (the paper's section 4 metrics).

1 s segment-based precision, recall, F1 and error rate (sed_eval 0.2.1 definitions) for the
direction and proximity *views* of :mod:`bindata.divisions`; submissions as DCASE rows or as
per-frame class activity of a view, checked completely before anything is scored. See
``docs/scoring.md`` for the formats and the ``bindata score`` command.
"""

from .api import score_dataset, score_submission, view_result
from .derive import derivable_views, eq1_combine
from .metrics import (
    SegmentCounts,
    class_wise_metrics,
    overall_metrics,
    pool_counts,
    segment_counts,
)
from .reference import Reference, load_reference
from .results_json import check_results, write_results_json
from .segments import segment_activity
from .submission import Submission, read_submission
from .table import build_table, format_tables

__all__ = [
    "Reference",
    "SegmentCounts",
    "Submission",
    "build_table",
    "check_results",
    "class_wise_metrics",
    "derivable_views",
    "eq1_combine",
    "format_tables",
    "load_reference",
    "overall_metrics",
    "pool_counts",
    "read_submission",
    "score_dataset",
    "score_submission",
    "segment_activity",
    "segment_counts",
    "view_result",
    "write_results_json",
]
