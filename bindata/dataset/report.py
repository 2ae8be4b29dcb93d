"""``bindata report``: a dataset card (markdown tables and PNG plots) of a finished dataset.

Counts come from two sources, each named in the card: *events* from the scenes (one per event,
classified by its exact azimuth, elevation and distance) and *active frames* from the metadata
rows (one per source and 100 ms frame, classified by the rounded values written in the CSV).
Direction classes follow ``metadata/divisions.json`` (views ``unequal``, ``octants`` and
``proximity``). The card is ``DATASET/report/README.md`` with its PNGs beside it (or ``--out``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..config import SynthConfig
from ..divisions import get_view
from ..errors import OutputExistsError
from ..io import read_json, read_manifest, write_text
from ..io.layout import paths_of
from ..rooms import kind_of
from ..rooms.mix import is_mix, room_entries
from ..scene.labels import LABEL_FRAME_S, empty_rows, n_label_frames, read_metadata_csv
from ..scene.spec import Scene
from .plot import import_matplotlib, new_figure, save_png

#: Direction/proximity views tabulated in the card, with their section titles.
REPORT_VIEWS = {
    "unequal": "Direction: unequal division (6 cones)",
    "octants": "Direction: equal division (8 octants)",
    "proximity": "Proximity",
}

#: Every file the card writes (so that --overwrite replaces exactly these).
CARD = "README.md"
PLOTS = (
    "sound_classes",
    "unequal",
    "octants",
    "proximity",
    "polyphony",
    "rt60",
    "room_volume",
    "event_durations",
    "distances",
)
#: Plots of datasets with moving sources, a turning head or ambience.
MOTION_PLOTS = ("source_speeds", "head_speeds", "snr")
#: Plots of datasets whose manifest records each event's direct-to-reverberant ratio.
DRR_PLOTS = ("drr",)
#: Distance bins (m) of the DRR table.
DRR_BINS_M = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0, float("inf"))


def _finite(values: np.ndarray) -> list:
    """The finite values (rooms whose kind gives no RT60 or volume drop out)."""
    return values[np.isfinite(values)].tolist()


def _room(scene: Scene) -> dict:
    """The room summary of a scene from its kind (bindata.rooms); None where it has no value."""
    room = scene.room.description
    return kind_of(room).summary(room)


def _scene_arrays(scenes: list[Scene]) -> dict[str, np.ndarray]:
    """Per-event and per-room arrays of a list of scenes."""
    ev = [e for s in scenes for e in s.events]

    def col(name, dtype=float):
        return np.array([getattr(e, name) for e in ev], dtype=dtype)

    return {
        "az": col("azimuth_deg"),
        "el": col("elevation_deg"),
        "dist": col("distance_m"),
        "cls": col("class_index", np.int64),
        "dur": col("duration_s"),
        "rt60": np.array([_room(s).get("rt60_s") for s in scenes], dtype=float),
        "volume": np.array([_room(s).get("volume_m3") for s in scenes], dtype=float),
        "anechoic": np.array([s.room.anechoic for s in scenes]),
    }


def _view_counts(name: str, arrays: dict, rows: np.ndarray) -> dict:
    view = get_view(name)
    ev = view.membership(arrays["az"], arrays["el"], arrays["dist"]).sum(axis=0)
    fr = view.membership(rows["azimuth"], rows["elevation"], rows["distance"] / 100.0).sum(axis=0)
    return {
        "classes": list(view.classes),
        "events": ev.astype(int).tolist(),
        "frames": fr.astype(int).tolist(),
    }


def dataset_stats(dataset: str | os.PathLike) -> dict:
    """Everything the card shows, as plain numbers (see the module docstring for the sources).

    Returns
    -------
    dict
        ``files``, ``folds`` ({fold: files}), ``duration_s`` (per file), ``events``, ``rows``,
        ``config``, ``seed``, ``classes``, ``sound_classes`` ({"events": [...], "frames": [...]}
        per class index), ``views`` ({view: {"classes", "events", "frames"}}), ``polyphony``
        (frames with 0, 1, 2, ... active sources), ``rt60_s``, ``room_volume_m3``,
        ``event_duration_s``, ``distance_m`` (lists), ``anechoic`` (files rendered without room).
    """
    manifest = read_manifest(dataset)
    cfg, classes = SynthConfig.from_recorded(manifest["config"]), manifest["classes"]
    n_frames = n_label_frames(cfg.duration_s)
    scenes, all_rows, poly = [], [], np.zeros(cfg.max_overlap + 1, dtype=np.int64)
    for rec in manifest["files"]:
        p = paths_of(dataset, rec["stem"])
        scenes.append(Scene.from_json(read_json(p["scene"])))
        rows = read_metadata_csv(p["metadata"])
        all_rows.append(rows)
        frames = rows["frame"][(rows["frame"] >= 0) & (rows["frame"] < n_frames)]
        per_frame = np.bincount(frames, minlength=n_frames)
        hist = np.bincount(per_frame)
        if hist.size > poly.size:
            poly = np.pad(poly, (0, hist.size - poly.size))
        poly[: hist.size] += hist
    rows = np.concatenate(all_rows) if all_rows else empty_rows()
    arrays = _scene_arrays(scenes)
    folds = {}
    for rec in manifest["files"]:
        folds[rec["fold"]] = folds.get(rec["fold"], 0) + 1
    return {
        "dataset": str(dataset),
        "files": len(scenes),
        "folds": dict(sorted(folds.items())),
        "duration_s": float(cfg.duration_s),
        "events": int(arrays["cls"].size),
        "rows": int(rows.size),
        "config": manifest["config"],
        "seed": manifest["seed"],
        "classes": classes,
        "hrir": manifest.get("hrir", {}),
        "event_library": manifest.get("event_library", {}),
        "sound_classes": {
            "events": np.bincount(arrays["cls"], minlength=len(classes)).tolist(),
            "frames": np.bincount(rows["class"], minlength=len(classes)).tolist(),
        },
        "views": {name: _view_counts(name, arrays, rows) for name in REPORT_VIEWS},
        "polyphony": poly.tolist(),
        "rt60_s": _finite(arrays["rt60"]),
        "room_volume_m3": _finite(arrays["volume"]),
        "event_duration_s": arrays["dur"].tolist(),
        "distance_m": arrays["dist"].tolist(),
        "anechoic": int(arrays["anechoic"].sum()),
        "motion": motion_stats(scenes),
        "drr": drr_stats(manifest, scenes),
    }


def drr_stats(manifest: dict, scenes: list[Scene]) -> dict | None:
    """Each event's direct-to-reverberant ratio (the manifest's file records, ``drr``) with
    its distance and band: ``{"bands_hz", "distance_m", "band", "drr_db", "bands_db"}``; None
    for a dataset made before DRRs were recorded."""
    info = manifest.get("drr")
    if not isinstance(info, dict):
        return None
    out = {"bands_hz": list(info.get("bands_hz", [])), "window_s": info.get("window_s")}
    out.update(distance_m=[], band=[], drr_db=[], bands_db=[])
    for rec, scene in zip(manifest["files"], scenes, strict=True):
        events = {ev.source_index: ev for ev in scene.events}
        for item in rec.get("drr") or []:
            ev = events.get(item.get("source"))
            if ev is None:
                continue
            out["distance_m"].append(float(ev.distance_m))
            out["band"].append(ev.band)
            out["drr_db"].append(float(item["drr_db"]))
            out["bands_db"].append([float(v) for v in item["bands_db"]])
    return out


def motion_stats(scenes: list[Scene]) -> dict:
    """Speeds of moving events (arcs deg/s, lines m/s), head turning speeds (deg/s, turns
    only), the ambience SNRs (dB), and the number of static events."""
    arcs, lines, static, turns, snr = [], [], 0, [], []
    for s in scenes:
        for ev in s.events:
            path = ev.source_path
            if path["kind"] == "arc":
                arcs.append(abs(float(path["angular_speed_deg_s"])))
            elif path["kind"] == "line":
                lines.append(float(np.linalg.norm(path["velocity_m_s"])))
            else:
                static += 1
        head = s.head
        if head is not None and head["kind"] == "keyframes":
            dt, dy = np.diff(head["times_s"]), np.abs(np.diff(head["yaw_deg"]))
            turns += (dy[dt > 0] / dt[dt > 0])[dy[dt > 0] > 0].tolist()
        if s.ambience is not None:
            snr.append(float(s.ambience["snr_db"]))
    return {
        "arc_speed_deg_s": arcs,
        "line_speed_m_s": lines,
        "static_events": static,
        "head_turn_speed_deg_s": turns,
        "snr_db": snr,
    }


def _motion_section(st: dict, image) -> list[str]:
    m = st.get("motion") or {}
    if not (
        m.get("arc_speed_deg_s")
        or m.get("line_speed_m_s")
        or m.get("head_turn_speed_deg_s")
        or m.get("snr_db")
    ):
        return []
    return [
        "## Motion and ambience",
        "",
        f"- static events: {m['static_events']}",
        f"- arcs: {len(m['arc_speed_deg_s'])}, speed {_summary_stats(m['arc_speed_deg_s'], 'deg/s')}",
        f"- lines: {len(m['line_speed_m_s'])}, speed {_summary_stats(m['line_speed_m_s'], 'm/s')}",
        f"- head turns: {len(m['head_turn_speed_deg_s'])}, speed "
        f"{_summary_stats(m['head_turn_speed_deg_s'], 'deg/s')}",
        f"- ambience: {len(m['snr_db'])} files, SNR {_summary_stats(m['snr_db'], 'dB')}",
        "",
        *image("source_speeds", "source speeds"),
        *image("head_speeds", "head turning speeds"),
        *image("snr", "SNR histogram"),
    ]


# --- markdown -----------------------------------------------------------------------------------


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f} %" if whole else "-"


def _count_table(names: list[str], events: list[int], frames: list[int]) -> list[str]:
    te, tf = sum(events), sum(frames)
    lines = [
        "| class | events | share | active frames | share |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, e, f in zip(names, events, frames, strict=True):
        lines.append(f"| {name} | {e} | {_pct(e, te)} | {f} | {_pct(f, tf)} |")
    lines.append(f"| **total** | **{te}** | | **{tf}** | |")
    return lines


def _summary_stats(values: list[float], unit: str) -> str:
    if not values:
        return "none"
    v = np.asarray(values)
    return (
        f"min {v.min():.2f} {unit}, median {np.median(v):.2f} {unit}, "
        f"mean {v.mean():.2f} {unit}, max {v.max():.2f} {unit} (n = {v.size})"
    )


def _hrir_row(hrir: dict, cfg) -> str:
    """The HRIR set's name, or the heads of a dataset of several (``hrir.heads``)."""
    heads = hrir.get("heads")
    if isinstance(heads, list):
        names = ", ".join(Path(str(h.get("spec", "?"))).name for h in heads)
        return f"{len(heads)} head(s): {names}"
    return str(hrir.get("name", cfg.hrir.source))


def _rooms_row(cfg: SynthConfig) -> str:
    """The rooms line of the summary: preset, and the config's ranges where it uses them."""
    room, preset = cfg.room, cfg.room_preset
    if is_mix(preset):
        entries = room_entries(preset)
        total = sum(e.weight for e in entries)
        shares = ", ".join(f"{e.label} {100 * e.weight / total:.0f} %" for e in entries)
        return f"room mix of {len(entries)}: {shares}" + (" (anechoic)" if room.anechoic else "")
    if room.anechoic:
        return f"anechoic (preset {preset})"
    if preset == "paper":
        return (
            f"preset paper: {list(room.width_m)} x {list(room.length_m)} x "
            f"{list(room.height_m)} m, RT60 {list(room.rt60_s)} s"
        )
    return f"preset {preset} (see bindata rooms show)"


def _summary_table(st: dict) -> list[str]:
    cfg = SynthConfig.from_recorded(st["config"])
    total_s = st["files"] * st["duration_s"]
    total = f"{total_s / 3600.0:.2f} h" if total_s >= 3600 else f"{total_s / 60.0:.1f} min"
    rows = [
        ("files", f"{st['files']} x {st['duration_s']:g} s = {total}"),
        ("folds", ", ".join(f"fold {k}: {n}" for k, n in st["folds"].items())),
        ("audio", f"{cfg.sample_rate} Hz, 2 channels (left, right), 16-bit PCM WAV"),
        ("labels", f"DCASE rows, {LABEL_FRAME_S * 1000:.0f} ms frames, {st['rows']} rows"),
        (
            "events",
            f"{st['events']} ({cfg.events.n_per_file[0]}-"
            f"{cfg.events.n_per_file[1]} drawn per file), max overlap "
            f"{cfg.max_overlap}",
        ),
        ("sound classes", f"{len(st['classes'])}: {', '.join(st['classes'])}"),
        ("event library", str(st["event_library"].get("spec", cfg.events.library))),
        ("HRIR set", _hrir_row(st["hrir"], cfg)),
        ("rooms", _rooms_row(cfg)),
        ("sources", f"near {list(cfg.sources.near_m)} m, far {list(cfg.sources.far_m)} m"),
        ("seed", str(st["seed"])),
    ]
    return ["| property | value |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in rows]


def _polyphony_table(poly: list[int]) -> list[str]:
    total = sum(poly)
    lines = ["| active sources | frames | share |", "| ---: | ---: | ---: |"]
    lines += [f"| {k} | {n} | {_pct(n, total)} |" for k, n in enumerate(poly)]
    return lines


def card_markdown(st: dict, *, plots: bool) -> str:
    """The dataset card text for the statistics ``st`` of :func:`dataset_stats`."""

    def image(name: str, alt: str) -> list[str]:
        return [f"![{alt}]({name}.png)", ""] if plots else []

    name = Path(st["dataset"]).resolve().name
    out = [
        f"# Dataset card: {name}",
        "",
        "Binaural sound-event dataset synthesized by bindata. *Events* are counted from the "
        "scenes (exact positions), *active frames* from the metadata rows (one per source and "
        "100 ms frame, rounded values).",
        "",
        "## Summary",
        "",
        *_summary_table(st),
        "",
        "## Sound classes",
        "",
        *_count_table(st["classes"], **st["sound_classes"]),
        "",
        *image("sound_classes", "events per sound class"),
    ]
    for view, title in REPORT_VIEWS.items():
        v = st["views"][view]
        out += [
            f"## {title}",
            "",
            *_count_table(v["classes"], v["events"], v["frames"]),
            "",
            *image(view, title),
        ]
    out += [
        "## Polyphony",
        "",
        "Number of sources active in each 100 ms frame of every file.",
        "",
        *_polyphony_table(st["polyphony"]),
        "",
        *image("polyphony", "polyphony histogram"),
    ]
    out += [
        "## Rooms",
        "",
        f"- RT60: {_summary_stats(st['rt60_s'], 's')}",
        f"- volume: {_summary_stats(st['room_volume_m3'], 'm³')}",
        f"- anechoic files: {st['anechoic']}",
        "",
        *image("rt60", "RT60 histogram"),
        *image("room_volume", "room volume histogram"),
    ]
    out += [
        "## Events",
        "",
        f"- duration: {_summary_stats(st['event_duration_s'], 's')}",
        f"- distance: {_summary_stats(st['distance_m'], 'm')}",
        "",
        *image("event_durations", "event durations"),
        *image("distances", "distances"),
    ]
    out += _motion_section(st, image)
    out += _drr_section(st, image)
    return "\n".join(out).rstrip() + "\n"


def _median(values) -> str:
    return f"{np.median(values):+.1f}" if len(values) else "-"


def _drr_section(st: dict, image) -> list[str]:
    """The DRR table: median broadband and per-band DRR per distance band and distance bin."""
    d = st.get("drr")
    if not d:
        return []
    if not d["drr_db"]:
        return ["## Distance cue: direct-to-reverberant ratio", "", "No events.", ""]
    dist, band = np.asarray(d["distance_m"]), np.asarray(d["band"])
    drr, per_band = np.asarray(d["drr_db"]), np.asarray(d["bands_db"])
    names = [f"{b:g} Hz" if b < 1000 else f"{b / 1000:g} kHz" for b in d["bands_hz"]]
    lines = [
        "## Distance cue: direct-to-reverberant ratio",
        "",
        f"DRR of each event's BRIR (both ears; direct part within ±{d['window_s'] * 1000:g} ms "
        "of the direct sound, the rest reverberant; a moving event at its start; "
        "docs/rooms.md gives the DRR of real rooms). Medians, dB:",
        "",
        "| distances | events | broadband | " + " | ".join(names) + " |",
        "| --- | ---: | ---: | " + " | ".join("---:" for _ in names) + " |",
    ]
    groups = [(f"{b} band", band == b) for b in ("near", "far")]
    groups += [
        (f"{lo:g}-{hi:g} m" if np.isfinite(hi) else f">= {lo:g} m", (dist >= lo) & (dist < hi))
        for lo, hi in zip(DRR_BINS_M[:-1], DRR_BINS_M[1:], strict=True)
    ]
    for label, sel in groups:
        if sel.any():
            cells = [_median(drr[sel])] + [_median(per_band[sel, b]) for b in range(len(names))]
            lines.append(f"| {label} | {int(sel.sum())} | " + " | ".join(cells) + " |")
    return [*lines, "", *image("drr", "DRR against distance")]


# --- plots --------------------------------------------------------------------------------------


def _integer_y(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _bar_png(path: Path, names, events, frames, title: str) -> None:
    fig = new_figure(max(6.0, 0.45 * len(names) + 2.0), 4.5)
    ax_e, ax_f = fig.subplots(1, 2, sharex=False)
    x = np.arange(len(names))
    for ax, values, what in ((ax_e, events, "events"), (ax_f, frames, "active frames")):
        ax.bar(x, values, color="#4c72b0", edgecolor="black")
        ax.set_xticks(x, names, rotation=60, ha="right", fontsize=8)
        ax.set_ylabel(what)
        _integer_y(ax)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title)
    save_png(fig, path)


def _hist_png(path: Path, values, *, xlabel: str, title: str, bins=20, discrete=False) -> None:
    fig = new_figure(6.0, 4.0)
    ax = fig.subplots()
    if discrete:
        ax.bar(np.arange(len(values)), values, color="#55a868", edgecolor="black")
        ax.set_xticks(np.arange(len(values)))
        ax.set_ylabel("frames")
    else:
        ax.hist(values, bins=bins, color="#55a868", edgecolor="black")
        ax.set_ylabel("count")
    _integer_y(ax)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    save_png(fig, path)


def write_plots(st: dict, out_dir: Path) -> list[Path]:
    """The card's PNGs (see :data:`PLOTS`) for the statistics ``st``; returns their paths."""
    p = {name: out_dir / f"{name}.png" for name in PLOTS}
    _bar_png(
        p["sound_classes"],
        st["classes"],
        st["sound_classes"]["events"],
        st["sound_classes"]["frames"],
        "Sound classes",
    )
    for view, title in REPORT_VIEWS.items():
        v = st["views"][view]
        _bar_png(p[view], v["classes"], v["events"], v["frames"], title)
    _hist_png(
        p["polyphony"],
        st["polyphony"],
        xlabel="active sources in a frame",
        title="Polyphony",
        discrete=True,
    )
    _hist_png(p["rt60"], st["rt60_s"], xlabel="RT60 (s)", title="Reverberation time per room")
    _hist_png(p["room_volume"], st["room_volume_m3"], xlabel="volume (m³)", title="Room volume")
    _hist_png(
        p["event_durations"], st["event_duration_s"], xlabel="duration (s)", title="Event durations"
    )
    _hist_png(
        p["distances"],
        st["distance_m"],
        xlabel="distance (m)",
        title="Source distances (near and far bands)",
        bins=40,
    )
    return list(p.values()) + _motion_plots(st, out_dir) + _drr_plots(st, out_dir)


def _drr_plots(st: dict, out_dir: Path) -> list[Path]:
    """DRR against distance: every event (near and far bands), and the median per octave band
    in distance bins."""
    d = st.get("drr")
    if not d or not d["drr_db"]:
        return []
    dist, band = np.asarray(d["distance_m"]), np.asarray(d["band"])
    drr, per_band = np.asarray(d["drr_db"]), np.asarray(d["bands_db"])
    fig = new_figure(11.0, 4.5)
    ax_all, ax_bands = fig.subplots(1, 2, sharey=True)
    for name, color in (("near", "#4c72b0"), ("far", "#dd8452")):
        sel = band == name
        ax_all.scatter(dist[sel], drr[sel], s=12, color=color, label=f"{name} band", alpha=0.7)
    ax_all.set_title("Broadband DRR of every event")
    edges = np.unique(np.concatenate([[dist.min()], np.geomspace(0.25, 16.0, 13), [dist.max()]]))
    centres = np.sqrt(edges[:-1] * edges[1:])
    from matplotlib import colormaps  # an optional extra, as in .plot

    colors = colormaps["viridis"](np.linspace(0.0, 0.9, len(d["bands_hz"])))
    which = np.clip(np.searchsorted(edges, dist, side="right") - 1, 0, len(centres) - 1)
    used = np.unique(which)
    for b, (freq, color) in enumerate(zip(d["bands_hz"], colors, strict=True)):
        medians = [np.median(per_band[which == k, b]) for k in used]
        label = f"{freq:g} Hz" if freq < 1000 else f"{freq / 1000:g} kHz"
        ax_bands.plot(centres[used], medians, marker="o", color=color, label=label)
    ax_bands.set_title("Median DRR per octave band")
    ticks = [t for t in (0.25, 0.5, 1, 2, 3, 5, 8, 16) if dist.min() / 1.5 <= t <= dist.max() * 1.5]
    for ax in (ax_all, ax_bands):
        ax.set_xscale("log")
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel("distance (m)")
        ax.axhline(0.0, color="black", lw=0.8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    ax_all.set_ylabel("DRR (dB)")
    path = out_dir / "drr.png"
    save_png(fig, path)
    return [path]


def _motion_plots(st: dict, out_dir: Path) -> list[Path]:
    """Histograms of source and head speeds and SNRs (only for datasets that have them)."""
    m, written = st.get("motion") or {}, []
    if not _motion_section(st, lambda name, alt: []):
        return written
    speeds = m["arc_speed_deg_s"] or [0.0]
    _hist_png(
        out_dir / "source_speeds.png",
        speeds,
        xlabel="arc speed about the head (deg/s)",
        title=f"Moving sources ({len(m['line_speed_m_s'])} lines not shown)",
    )
    _hist_png(
        out_dir / "head_speeds.png",
        m["head_turn_speed_deg_s"] or [0.0],
        xlabel="head turning speed (deg/s)",
        title="Head turns",
    )
    _hist_png(
        out_dir / "snr.png", m["snr_db"] or [0.0], xlabel="SNR (dB)", title="Ambience SNR per file"
    )
    return [out_dir / f"{n}.png" for n in MOTION_PLOTS]


def check_report_output(out: Path, files, *, overwrite: bool) -> None:
    """Refuse to write a report into ``out`` when one of its ``files`` exists, unless
    ``overwrite`` (a dataset's report card, a runs folder's curves).

    Raises
    ------
    OutputExistsError
        Naming the folder and up to three of the files found.
    """
    existing = [p.name for p in files if p.exists()]
    if existing and not overwrite:
        raise OutputExistsError(
            f"{out}: a report exists ({', '.join(existing[:3])}"
            f"{', ...' if len(existing) > 3 else ''}); set overwrite to replace it, or write it "
            "to another folder",
            key="overwrite",
        )


def write_report(
    dataset: str | os.PathLike,
    *,
    out_dir: str | os.PathLike | None = None,
    overwrite: bool = False,
    plots: bool = True,
) -> Path:
    """Write the dataset card (``README.md``) and its PNGs; returns the card's path.

    Parameters
    ----------
    out_dir : path-like, optional
        Where to write; ``DATASET/report`` by default.
    overwrite : bool
        Replace an existing card (only the files the card consists of are touched).
    plots : bool
        Draw the PNGs (needs ``bindata[plot]``); ``False`` writes the tables only.

    Raises
    ------
    OutputExistsError
        ``out_dir`` already holds a card or one of its PNGs and ``overwrite`` is False.
    """
    out = Path(out_dir) if out_dir is not None else Path(dataset) / "report"
    ours = [out / CARD] + [out / f"{name}.png" for name in PLOTS + MOTION_PLOTS + DRR_PLOTS]
    check_report_output(out, ours, overwrite=overwrite)
    if plots:
        import_matplotlib()  # fail before reading anything
    st = dataset_stats(dataset)
    out.mkdir(parents=True, exist_ok=True)
    for p in ours[1:]:
        p.unlink(missing_ok=True)
    if plots:
        write_plots(st, out)
    write_text(out / CARD, card_markdown(st, plots=plots))
    return out / CARD
