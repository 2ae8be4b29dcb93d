"""Jackknife confidence intervals of scores (leave one file out).

The estimate of the DCASE 2023-2025 baselines' ``jackknife_estimation`` (after Efron & Tibshirani,
*An Introduction to the Bootstrap*, 1993, ch. 11), written here from its definition. With
``theta`` a figure computed on all ``n`` files and ``theta_i`` the same figure computed without
file ``i``:

- ``theta_bar = mean_i theta_i``; bias ``b = (n - 1) (theta_bar - theta)``;
- bias-corrected estimate ``theta_jack = theta - b``;
- standard error ``se = sqrt((n - 1) mean_i (theta_i - theta_bar)^2)``;
- interval ``theta_jack -/+ t_{1 - alpha/2, n - 1} se`` (Student's t, ``alpha = 1 - confidence``).

A figure that is undefined on all files, or on any leave-one-out subset, has no interval (the
baselines' NaN). Figures are nested dicts whose float leaves get intervals; integer leaves
(counts) and ``None`` are skipped.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

from ..errors import ConfigError

#: Interval methods of the scorer (None: no interval).
CI_METHODS = ("jackknife",)

#: Confidence level of the intervals.
CONFIDENCE = 0.95


def check_ci(ci, n_files: int | None = None) -> None:
    """An interval method must be known (or None) and have at least two files to leave out.

    ``n_files`` None checks the method only.
    """
    if ci is None:
        return
    if ci not in CI_METHODS:
        raise ConfigError(
            f"confidence interval method must be one of {list(CI_METHODS)} or none, got {ci!r}"
        )
    if n_files is not None and n_files < 2:
        raise ConfigError(
            f"a {ci} interval leaves one file out at a time and needs at least 2 files; "
            f"the scored selection has {n_files}"
        )


def jackknife_interval(global_value, partial_estimates, *, confidence: float = CONFIDENCE):
    """Jackknife estimate, bias, standard error and interval of one figure.

    Parameters
    ----------
    global_value : float
        The figure computed on all files.
    partial_estimates : array_like of float, shape (n,)
        The figure computed without each file in turn.
    confidence : float, keyword-only
        Two-sided confidence level of the interval (0.95).

    Returns
    -------
    dict or None
        ``estimate`` (bias-corrected), ``bias``, ``std_err``, ``low``, ``high``; None when the
        figure or any partial estimate is undefined (NaN).

    Examples
    --------
    Three files whose leave-one-out means are 2.5, 2.0 and 1.5 (data 1, 2, 3):

    >>> r = jackknife_interval(2.0, [2.5, 2.0, 1.5])
    >>> round(r["std_err"], 6), round(r["bias"], 6)
    (0.57735, 0.0)
    >>> round(r["low"], 4), round(r["high"], 4)
    (-0.4841, 4.4841)
    """
    theta = float(global_value)
    partial = np.asarray(partial_estimates, dtype=float)
    n = len(partial)
    if n < 2 or not np.isfinite(theta) or not np.isfinite(partial).all():
        return None
    mean = float(partial.mean())
    bias = (n - 1) * (mean - theta)
    std_err = float(np.sqrt((n - 1) * np.mean((partial - mean) ** 2)))
    estimate = theta - bias
    t = float(stats.t.ppf(1 - (1 - confidence) / 2, n - 1))
    return {
        "estimate": estimate,
        "bias": bias,
        "std_err": std_err,
        "low": estimate - t * std_err,
        "high": estimate + t * std_err,
    }


def _flatten(tree, prefix=()) -> dict:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flatten(value, prefix + (key,)))
        elif isinstance(value, float | np.floating) and not isinstance(value, bool):
            out[prefix + (key,)] = float(value)
    return out


def _nest(flat: dict) -> dict:
    out: dict = {}
    for path, value in flat.items():
        node = out
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return out


def jackknife(figures: Callable, n_files: int, *, confidence: float = CONFIDENCE) -> dict:
    """Jackknife intervals of every float figure of a scoring function.

    Parameters
    ----------
    figures : callable
        ``figures(files)`` -> nested dict of figures, computed on the files selected by
        ``files`` (a boolean mask over the ``n_files`` files; None: all of them).
    n_files : int
        Number of files.
    confidence : float, keyword-only

    Returns
    -------
    dict
        The nested dict of ``figures(None)`` with each float leaf replaced by its
        :func:`jackknife_interval` (None where undefined); non-float leaves are left out.
    """
    full = _flatten(figures(None))
    partial = {path: np.full(n_files, np.nan) for path in full}
    for i in range(n_files):
        keep = np.ones(n_files, dtype=bool)
        keep[i] = False
        leave_out = _flatten(figures(keep))
        for path, values in partial.items():
            value = leave_out.get(path)
            values[i] = np.nan if value is None else value
    return _nest(
        {
            path: jackknife_interval(value, partial[path], confidence=confidence)
            for path, value in full.items()
        }
    )
