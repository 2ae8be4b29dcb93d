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


def _cell(views: dict, view: str, group: str | None):
    if view not in views:
        return None, False
    mean = views[view]["mean_over_folds"]
    if group is None:
        return mean["f_measure"], True
    if group not in mean["groups"]:
        return None, False
    return mean["groups"][group]["f_measure"], True


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
        "proximity": {"rows": [{"label", "value"}]}}``.
    """
    views = results["views"]
    columns = [
        c for c, cells in DIRECTION_COLUMNS.items() if any(v in views for v, _ in cells.values())
    ]
    rows = []
    for label in DIRECTION_ROWS:
        cells = [_cell(views, *DIRECTION_COLUMNS[c].get(label, ("", None))) for c in columns]
        if any(present for _, present in cells):
            rows.append({"label": label, "values": [v for v, _ in cells]})
    prox = [
        {"label": label, "value": views[v]["mean_over_folds"]["f_measure"]}
        for label, v in PROXIMITY_ROWS.items()
        if v in views
    ]
    return {"direction": {"columns": columns, "rows": rows}, "proximity": {"rows": prox}}


def _pct(v, width: int) -> str:
    return f"{'-' if v is None else f'{100 * v:.2f}':>{width}}"


def _detail_lines(results: dict) -> list[str]:
    lines = [
        "Per view, pooled over all files (overall) and F1 mean over folds [%]:",
        f"{'view':<24}{'classes':>8}{'F1':>9}{'P':>9}{'R':>9}{'ER':>9}{'F1 folds':>10}",
    ]
    for name, res in results["views"].items():
        o = res["overall"]
        er = "-" if o["error_rate"] is None else f"{o['error_rate']:.3f}"
        lines.append(
            f"{name:<24}{len(res['classes']):>8}{_pct(o['f_measure'], 9)}"
            f"{_pct(o['precision'], 9)}{_pct(o['recall'], 9)}{er:>9}"
            f"{_pct(res['mean_over_folds']['f_measure'], 10)}"
        )
    return lines


def _fmt_seld(v, kind: str, width: int) -> str:
    if v is None:
        return f"{'-':>{width}}"
    return f"{100 * v:>{width}.2f}" if kind == "pct" else f"{v:>{width}.3f}"


#: SELD table columns: (result key, header, kind) -- kind 'pct' prints percent.
SELD_COLUMNS = {
    "dcase2024": (("f_score", "F20/1[%]", "pct"), ("doa_error_deg", "DOAE[deg]", "num"),
                  ("rel_distance_error", "RDE", "num"), ("distance_error_m", "DE[m]", "num"),
                  ("localization_recall", "LR[%]", "pct"), ("seld_score", "SELD", "num")),
    "dcase2023": (("error_rate", "ER20", "num"), ("f_score", "F20[%]", "pct"),
                  ("doa_error_deg", "LE[deg]", "num"), ("localization_recall", "LR[%]", "pct"),
                  ("seld_score", "SELD", "num")),
}  # fmt: skip


def _seld_lines(results: dict) -> list[str]:
    lines = []
    for name, res in results.get("seld", {}).items():
        st = res["settings"]
        where = f"{st.get('segment_s', st['frame_s']):g} s {'segments' if 'segment_s' in st else 'frames'}"
        lines += ["", f"{name} SELD metrics ({where}, DOA threshold {st['doa_threshold_deg']:g} deg"
                  + (f", relative distance threshold {st['rel_distance_threshold']:g}"
                     if st.get("rel_distance_threshold") is not None else "") + "):"]  # fmt: skip
        cols = SELD_COLUMNS[name]
        lines.append(f"{'':<14}" + "".join(f"{h:>11}" for _, h, _ in cols))
        rows = [("macro", res["macro"]), ("micro", res["micro"])]
        rows += [(f"fold {k} macro", f["macro"]) for k, f in res["folds"].items()]
        for label, m in rows:
            lines.append(f"{label:<14}" + "".join(_fmt_seld(m.get(k), kd, 11) for k, _, kd in cols))
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
    ]
    missing = results.get("submission", {}).get("missing_scored_empty") or []
    if missing:
        lines.append(f"({len(missing)} missing file(s) scored as no activity)")
    direction = table["direction"]
    if direction["rows"]:
        lines.append("")
        lines.append(f"{'':<16}" + "".join(f"{c:>10}" for c in direction["columns"]))
        for row in direction["rows"]:
            lines.append(f"{row['label']:<16}" + "".join(_pct(v, 10) for v in row["values"]))
    if table["proximity"]["rows"]:
        lines.append("")
        width = max(len(r["label"]) for r in table["proximity"]["rows"]) + 2
        lines.append(f"{'':<{width}}{'F1':>8}")
        for row in table["proximity"]["rows"]:
            lines.append(f"{row['label']:<{width}}{_pct(row['value'], 8)}")
    lines.append("")
    lines.extend(_detail_lines(results))
    return lines
