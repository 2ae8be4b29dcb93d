"""F1 cells of Tables 3-5 from a method's submissions, computed by :mod:`bindata.score`.

The metric is the paper's: segment-based F1 on 1 s segments, pooled over segments, classes and
files (sed_eval's "overall" F1), per test fold, and the table value is the mean over folds ("averaged
over all cross-validation folds"); the F1 pooled over all scored files is kept as well. Each cell
of a method (:class:`~bindata.benchmark.methods.ScoreSpec`) is a view the scorer derives from the
method's ``output_view`` submission (``RUNS/<method>/predictions/<output_view>/``), e.g. ``lr``
from ``planes`` or ``octants_eq1`` (the paper's Eq. (1) applied by the scorer to the plane
probabilities), optionally restricted to a class pair such as ``left/right``. So what is scored
is exactly what was written, checked by the scorer like any user's submission.
"""

from __future__ import annotations

from pathlib import Path

from ..score import score_dataset


def _cell(view_result: dict, group: str | None, where: str):
    """F1 of a scorer view result at ``where``: a fold key, ``mean_over_folds`` or ``pooled``."""
    if where == "mean_over_folds":
        node = view_result["mean_over_folds"]
        return node["f_measure"] if group is None else node["groups"][group]["f_measure"]
    node = view_result if where == "pooled" else view_result["folds"][where]
    return node["overall"]["f_measure"] if group is None else node["groups"][group]["f_measure"]


def _interval(view_result: dict, group: str | None):
    """``[low, high]`` of the jackknife interval of a mean-over-folds cell, or None."""
    node = (view_result.get("ci") or {}).get("mean_over_folds") or {}
    node = (
        node.get("f_measure")
        if group is None
        else node.get("groups", {}).get(group, {}).get("f_measure")
    )
    return None if not node else [node["low"], node["high"]]


def score_method(corpus, method, *, pred_dir, folds, ci=None) -> dict:
    """Every F1 cell of ``method`` per fold, their mean over folds and pooled over all folds.

    Parameters
    ----------
    corpus : bindata.benchmark.corpus.Corpus
        The reference dataset.
    method : bindata.benchmark.methods.Method
    pred_dir : path-like, keyword-only
        Submission folder of the method (one sub-folder per view).
    folds : sequence of int, keyword-only
        Test folds to score (their files must all be predicted).
    ci : {None, 'jackknife'}, keyword-only
        Add the scorer's jackknife interval of every mean cell (:mod:`bindata.score.intervals`).

    Returns
    -------
    dict
        ``{"folds": {k: {cell: F1}}, "mean": {cell: F1}, "pooled": {cell: F1}}``, F1 as
        fractions in [0, 1] (None when undefined: no reference activity); with ``ci`` also
        ``"intervals": {cell: [low, high] or None}`` of the mean cells.
    """
    views = sorted({spec.view for spec in method.scores.values()})
    res = score_dataset(
        corpus.root,
        Path(pred_dir) / method.output_view,
        view=method.output_view,
        views=views,
        folds=list(folds),
        ci=ci,
    )["views"]
    per_fold = {
        str(k): {c: _cell(res[s.view], s.group, str(k)) for c, s in method.scores.items()}
        for k in folds
    }
    mean = {c: _cell(res[s.view], s.group, "mean_over_folds") for c, s in method.scores.items()}
    pooled = {c: _cell(res[s.view], s.group, "pooled") for c, s in method.scores.items()}
    out = {"folds": per_fold, "mean": mean, "pooled": pooled}
    if ci:
        out["intervals"] = {c: _interval(res[s.view], s.group) for c, s in method.scores.items()}
    return out
