"""Tables 3, 4 and 5 of the paper with our figures beside the published ones.

The published figures are data (``metadata/paper_results.json``). Table 3 is the single-source
subset and Table 4 the two-source one: a dataset with ``max_overlap`` 1 is compared with Table 3,
any other with Table 4 (the direction table not matching the dataset is printed with the paper's
figures only). Table 5 (joint task, two sources) takes the "Sep. direction" of each joint method
from the single-label score of its stage-1 reference method. Cells read ``ours (paper)`` in %;
``-`` is a cell the paper leaves empty, ``n/a`` one not run here; with intervals, ours reads
``ours [low, high] (paper)`` (95 % jackknife interval of the scorer, leave one file out); over
several seeds, ``mean ± sd [low, high] (paper)`` (mean and sample standard deviation over seeds,
the interval's bounds averaged over seeds).
"""

from __future__ import annotations

from ..resources import load_metadata
from .methods import load_methods


def direction_table_id(max_overlap: int | None) -> str:
    """``"3"`` for single-source data (max overlap 1), else ``"4"``."""
    return "3" if max_overlap == 1 else "4"


def _ours(results: dict, method: str, cell: str):
    value = results.get(method, {}).get("mean", {}).get(cell)
    return None if value is None else round(100.0 * value, 2)


def _ours_interval(results: dict, method: str, cell: str):
    """The jackknife interval of our cell in %, or None (not asked for, or undefined)."""
    interval = results.get(method, {}).get("intervals", {}).get(cell)
    return None if interval is None else [round(100.0 * v, 2) for v in interval]


def _ours_sd(results: dict, method: str, cell: str):
    """The standard deviation over seeds of our cell in %, or None (one seed, or undefined)."""
    sd = results.get(method, {}).get("sd", {}).get(cell)
    return None if sd is None else round(100.0 * sd, 2)


def build_tables(results: dict, *, max_overlap: int | None, methods=None) -> dict:
    """Tables 3, 4 and 5 as data: ``{id: {"title", "rows", "columns", "cells"}}``.

    Parameters
    ----------
    results : dict
        Method name -> :func:`bindata.benchmark.scoring.score_method` result.
    max_overlap : int or None, keyword-only
        The dataset's; picks which direction table holds our figures.
    methods : dict, optional, keyword-only
        Method name -> Method (for Table 5's references); default all methods.
    """
    methods = methods or load_methods()
    paper = load_metadata("paper_results")["tables"]
    ours_id = direction_table_id(max_overlap)
    out = {}
    for tid in ("3", "4"):
        t = paper[tid]
        cells = {
            row: {
                m: {
                    "paper": t["values"][m][row],
                    "ours": _ours(results, m, row) if tid == ours_id else None,
                    "ours_interval": _ours_interval(results, m, row) if tid == ours_id else None,
                    "ours_sd": _ours_sd(results, m, row) if tid == ours_id else None,
                    "run": m in results and tid == ours_id,
                }
                for m in t["columns"]
            }
            for row in t["rows"]
        }
        out[tid] = {
            "title": t["title"],
            "rows": t["rows"],
            "columns": t["columns"],
            "cells": cells,
            "ours": tid == ours_id,
        }
    t = paper["5"]
    cells = {}
    for m in t["rows"]:
        ref = methods[m].reference
        cells[m] = {}
        for col in t["columns"]:
            source, cell = (ref, "single") if col == "sep_direction" else (m, col)
            cells[m][col] = {
                "paper": t["values"][m][col],
                "run": m in results,
                "ours": _ours(results, source, cell),
                "ours_interval": _ours_interval(results, source, cell),
                "ours_sd": _ours_sd(results, source, cell),
            }
        cells[m]["sep_direction"]["run"] = ref in results
    out["5"] = {
        "title": t["title"],
        "rows": t["rows"],
        "columns": t["columns"],
        "cells": cells,
        "ours": True,
    }
    return out


def _cell_text(cell: dict, show_ours: bool) -> str:
    paper = "-" if cell["paper"] is None else f"{cell['paper']:.2f}"
    if not show_ours:
        return paper
    if cell["ours"] is None:
        ours = "n/a" if not cell["run"] else "-"
        if ours == "-" and cell["paper"] is None:
            return "-"
    else:
        ours = f"{cell['ours']:.2f}"
        if cell.get("ours_sd") is not None:
            ours += f" ± {cell['ours_sd']:.2f}"
        if cell.get("ours_interval"):
            lo, hi = cell["ours_interval"]
            ours += f" [{lo:.1f}, {hi:.1f}]"
    return f"{ours} ({paper})"


def render_tables(tables: dict) -> str:
    """Plain-text rendering of :func:`build_tables` output."""
    blocks = []
    for tid in ("3", "4", "5"):
        t = tables[tid]
        if tid == "5":
            cols = list(t["columns"].values())
            keys = list(t["columns"])
            rows = [(m, [t["cells"][m][k] for k in keys]) for m in t["rows"]]
        else:
            cols = list(t["columns"])
            rows = [
                (label, [t["cells"][key][m] for m in t["columns"]])
                for key, label in t["rows"].items()
            ]
        body = [[label] + [_cell_text(c, t["ours"]) for c in cs] for label, cs in rows]
        head = ["" if tid != "5" else "Model"] + cols
        widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
        lines = [
            f"Table {tid}: {t['title']}" + ("  [ours (paper)]" if t["ours"] else "  [paper only]")
        ]
        for r in [head] + body:
            lines.append(
                "  ".join(
                    v.ljust(w) if i == 0 else v.rjust(w)
                    for i, (v, w) in enumerate(zip(r, widths, strict=True))
                )
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
