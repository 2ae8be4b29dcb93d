"""Results laid out like the paper's Tables 3-5, as data and as text.

Direction table (Tables 3 and 4): one column per direction scheme the submission gives --
``Unequal`` (6 cones; Left/Right etc. are the class pairs of that view), ``Octants`` (8 eighths,
single-label) and ``Planes`` (the lr, fb, tb views; Single-label = octants by Eq. (1); Multi-label
= the 6 hemispheres of view ``planes``). Proximity table (Table 5): proximity, and the 12-class
joint view when scored. Every cell is the F1 averaged over folds, as in the paper.
"""

from __future__ import annotations

#: Direction table: column -> row -> (view, group or None).
DIRECTION_COLUMNS = {
    "Unequal": {
        "Left/Right": ("unequal", "left/right"),
        "Front/Back": ("unequal", "front/back"),
        "Top/Bottom": ("unequal", "top/bottom"),
        "Single-label": ("unequal", None),
    },
    "Octants": {"Single-label": ("octants", None)},
    "Planes": {
        "Left/Right": ("lr", None),
        "Front/Back": ("fb", None),
        "Top/Bottom": ("tb", None),
        "Single-label": ("octants_eq1", None),
        "Multi-label": ("planes", None),
    },
}

#: Row order of the direction table.
DIRECTION_ROWS = ("Left/Right", "Front/Back", "Top/Bottom", "Single-label", "Multi-label")

#: Proximity table rows: label -> view.
PROXIMITY_ROWS = {
    "Proximity": "proximity",
    "Proximity x unequal (12 classes)": "proximity_unequal",
}


def _interval(ci, *path):
    """``[low, high]`` of the interval at ``path`` of a ``ci`` tree, or None."""
    node = ci
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return [node["low"], node["high"]] if node else None


def _cell(views: dict, view: str, group: str | None):
    """(F1 mean over folds, present, interval) of one table cell."""
    if view not in views:
        return None, False, None
    mean, ci = views[view]["mean_over_folds"], views[view].get("ci")
    if group is None:
        return mean["f_measure"], True, _interval(ci, "mean_over_folds", "f_measure")
    if group not in mean["groups"]:
        return None, False, None
    interval = _interval(ci, "mean_over_folds", "groups", group, "f_measure")
    return mean["groups"][group]["f_measure"], True, interval


def build_table(results: dict) -> dict:
    """The tables' cells (F1 as fractions, mean over folds; None where undefined or not given).

    Parameters
    ----------
    results : dict
        Output of :func:`bindata.score.api.score_submission` (at least ``views``).

    Returns
    -------
    dict
        ``{"direction": {"columns": [...], "rows": [{"label", "values"}]},
        "proximity": {"rows": [{"label", "value"}]}}``; with intervals (``ci`` of the views)
        each direction row also has ``intervals`` and each proximity row ``interval``
        (``[low, high]`` or None).
    """
    views = results["views"]
    with_ci = any("ci" in v for v in views.values())
    columns = [
        c for c, cells in DIRECTION_COLUMNS.items() if any(v in views for v, _ in cells.values())
    ]
    rows = []
    for label in DIRECTION_ROWS:
        cells = [_cell(views, *DIRECTION_COLUMNS[c].get(label, ("", None))) for c in columns]
        if any(present for _, present, _ in cells):
            row = {"label": label, "values": [v for v, _, _ in cells]}
            if with_ci:
                row["intervals"] = [ci for _, _, ci in cells]
            rows.append(row)
    prox = []
    for label, v in PROXIMITY_ROWS.items():
        if v in views:
            value, _, interval = _cell(views, v, None)
            prox.append({"label": label, "value": value})
            if with_ci:
                prox[-1]["interval"] = interval
    return {"direction": {"columns": columns, "rows": rows}, "proximity": {"rows": prox}}


def _pct(v, width: int, interval=None) -> str:
    """A fraction as percent, right-aligned; with its interval: ``66.56 [64.10, 69.02]``."""
    text = "-" if v is None else f"{100 * v:.2f}"
    if v is not None and interval is not None:
        text += f" [{100 * interval[0]:.2f}, {100 * interval[1]:.2f}]"
    return f"{text:>{width}}"


#: Column width of a figure printed with its interval.
CI_WIDTH = 24


def _detail_lines(results: dict) -> list[str]:
    lines = [
        "Per view, pooled over all files (overall) and F1 mean over folds [%]:",
        f"{'view':<24}{'classes':>8}{'F1':>9}{'P':>9}{'R':>9}{'ER':>9}{'F1 folds':>10}",
    ]
    with_ci = any("ci" in r for r in results["views"].values())
    if with_ci:
        lines[-1] += f"{'F1 95 % interval':>{CI_WIDTH}}"
    for name, res in results["views"].items():
        o = res["overall"]
        er = "-" if o["error_rate"] is None else f"{o['error_rate']:.3f}"
        line = (
            f"{name:<24}{len(res['classes']):>8}{_pct(o['f_measure'], 9)}"
            f"{_pct(o['precision'], 9)}{_pct(o['recall'], 9)}{er:>9}"
            f"{_pct(res['mean_over_folds']['f_measure'], 10)}"
        )
        if with_ci:
            interval = _interval(res.get("ci"), "overall", "f_measure")
            line += f"{_fmt_interval(interval, 'pct'):>{CI_WIDTH}}"
        lines.append(line)
    return lines


def _fmt_interval(interval, kind: str) -> str:
    if interval is None:
        return "-"
    lo, hi = (100 * v for v in interval) if kind == "pct" else interval
    return f"[{lo:.2f}, {hi:.2f}]" if kind == "pct" else f"[{lo:.3f}, {hi:.3f}]"


def _fmt_seld(v, kind: str, width: int, interval=None) -> str:
    if v is None:
        return f"{'-':>{width}}"
    text = f"{100 * v:.2f}" if kind == "pct" else f"{v:.3f}"
    if interval is not None:
        text += " " + _fmt_interval(interval, kind)
    return f"{text:>{width}}"


#: SELD table columns: (result key, header, kind) -- kind 'pct' prints percent.
SELD_COLUMNS = {
    "dcase2024": (
        ("f_score", "F20/1[%]", "pct"),
        ("doa_error_deg", "DOAE[deg]", "num"),
        ("rel_distance_error", "RDE", "num"),
        ("distance_error_m", "DE[m]", "num"),
        ("localization_recall", "LR[%]", "pct"),
        ("seld_score", "SELD", "num"),
    ),
    "dcase2023": (
        ("error_rate", "ER20", "num"),
        ("f_score", "F20[%]", "pct"),
        ("doa_error_deg", "LE[deg]", "num"),
        ("localization_recall", "LR[%]", "pct"),
        ("seld_score", "SELD", "num"),
    ),
    "dcase2025": (
        ("f_score", "F20/1[%]", "pct"),
        ("azimuth_error_deg", "AzE[deg]", "num"),
        ("rel_distance_error", "RDE", "num"),
        ("distance_error_m", "DE[m]", "num"),
    ),
}

#: How each frame range is described in the table header.
FRAME_RANGE_NOTES = {
    "official": "frames before the reference's last active frame, as the official code",
    "file": "every frame",
}


def _seld_header(name: str, settings: dict) -> str:
    segments = "segment_s" in settings
    where = f"{settings.get('segment_s', settings['frame_s']):g} s {'segments' if segments else 'frames'}"
    parts = [where, f"DOA threshold {settings['doa_threshold_deg']:g} deg"]
    if settings.get("rel_distance_threshold") is not None:
        parts.append(f"relative distance threshold {settings['rel_distance_threshold']:g}")
    if "frame_range" in settings:
        parts.append(FRAME_RANGE_NOTES[settings["frame_range"]])
    return f"{name} SELD metrics ({', '.join(parts)}):"


def _seld_lines(results: dict) -> list[str]:
    lines = []
    for name, res in results.get("seld", {}).items():
        cols, ci = SELD_COLUMNS[name], res.get("ci")
        width = CI_WIDTH if ci else 11
        lines += ["", _seld_header(name, res["settings"])]
        if ci:
            lines.append("(95 % jackknife intervals, leave one file out; folds without)")
        lines.append(f"{'':<14}" + "".join(f"{h:>{width}}" for _, h, _ in cols))
        rows = [("macro", res["macro"], "macro"), ("micro", res["micro"], "micro")]
        rows += [(f"fold {k} macro", f["macro"], None) for k, f in res["folds"].items()]
        for label, m, avg in rows:
            cells = (
                _fmt_seld(m.get(k), kd, width, _interval(ci, avg, k) if avg else None)
                for k, _, kd in cols
            )
            lines.append(f"{label:<14}" + "".join(cells))
    return lines


def format_tables(results: dict) -> str:
    """Text tables of a scoring result (Tables 3-5 layout, per-view details, SELD metrics).

    Parameters
    ----------
    results : dict
        Output of :func:`bindata.score.api.score_dataset`.

    Returns
    -------
    str
    """
    lines = _paper_lines(results) if "views" in results else []
    lines.extend(_seld_lines(results))
    return "\n".join(lines).lstrip("\n") + "\n"


def _paper_lines(results: dict) -> list[str]:
    table = results.get("table") or build_table(results)
    folds = results.get("folds", [])
    lines = [
        f"Segment-based F1 [%] (1 s segments), mean over {len(folds)} fold(s), "
        f"{results.get('n_files', '?')} file(s)"
        + (", 95 % jackknife intervals (leave one file out)" if results.get("ci") else "")
    ]
    missing = results.get("submission", {}).get("missing_scored_empty") or []
    if missing:
        lines.append(f"({len(missing)} missing file(s) scored as no activity)")
    direction = table["direction"]
    if direction["rows"]:
        lines.append("")
        cw = CI_WIDTH if any("intervals" in r for r in direction["rows"]) else 10
        lines.append(f"{'':<16}" + "".join(f"{c:>{cw}}" for c in direction["columns"]))
        for row in direction["rows"]:
            intervals = row.get("intervals") or [None] * len(row["values"])
            cells = (_pct(v, cw, ci) for v, ci in zip(row["values"], intervals, strict=True))
            lines.append(f"{row['label']:<16}" + "".join(cells))
    if table["proximity"]["rows"]:
        lines.append("")
        width = max(len(r["label"]) for r in table["proximity"]["rows"]) + 2
        cw = CI_WIDTH if any("interval" in r for r in table["proximity"]["rows"]) else 8
        lines.append(f"{'':<{width}}{'F1':>{cw}}")
        for row in table["proximity"]["rows"]:
            lines.append(f"{row['label']:<{width}}{_pct(row['value'], cw, row.get('interval'))}")
    lines.append("")
    lines.extend(_detail_lines(results))
    return lines
