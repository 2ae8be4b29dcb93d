"""``bindata plot``: a picture of one scene, and the matplotlib helpers of
:mod:`bindata.dataset.report`.

The scene figure has three panels: the room seen from above (x along the width, y along the
length) and from the side (x and z), each with the listener, the direction the head faces and
the sources coloured by class (circles near, squares far; a directional source's axis as a
dashed arrow); and the event timeline, one row per
source, each bar labelled with its class, band and direction class.

matplotlib is an optional extra (``pip install bindata[plot]``), imported only here. Figures are
drawn on :class:`matplotlib.figure.Figure` objects (no pyplot, no global state, no display).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from ..divisions import get_view
from ..errors import BindataError, OutputExistsError
from ..io import write_bytes
from ..rooms import kind_of
from ..scene.motion import head_yaw_deg, source_positions
from ..scene.spec import Scene, SceneEvent
from .reader import load_scene, scene_from_json

#: Resolution of every PNG bindata writes.
DPI = 100

#: Length of the head-direction arrow in the room views, metres.
ARROW_M = 0.8


def import_matplotlib():
    """The ``matplotlib.figure`` module, or a :class:`BindataError` naming the extra."""
    try:
        from matplotlib import figure
    except ImportError as exc:
        raise BindataError(
            "plots need the optional extra bindata[plot]: pip install 'bindata[plot]' "
            f"({exc}); a report without plots (plots=False) writes the tables only"
        ) from exc
    return figure


def new_figure(width_in: float, height_in: float):
    """A fresh, pyplot-free matplotlib figure."""
    return import_matplotlib().Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")


def save_png(fig, path: str | os.PathLike) -> Path:
    """Write ``fig`` as a PNG, atomically (temporary name, then rename)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    write_bytes(path, buf.getvalue())
    return Path(path)


def class_color(class_index: int):
    """A stable colour per class index (tab20, then tab20b)."""
    from matplotlib import colormaps

    k = int(class_index)
    cmap = colormaps["tab20"] if k < 20 else colormaps["tab20b"]
    return cmap(k % 20)


def _view_of(axes, scene: Scene, dims_idx: tuple[int, int], title: str) -> None:
    """One room view: the room's outline, the listener, the head direction, the sources."""
    i, j = dims_idx
    room = scene.room.description
    dims = kind_of(room).summary(room).get("dimensions_m")
    names = ("x (m)", "y (m)", "z (m)")
    if dims is not None:
        axes.add_patch(_rectangle(dims[i], dims[j]))
    lx, ly = scene.listener.position_m[i], scene.listener.position_m[j]
    axes.plot([lx], [ly], marker="o", color="black", markersize=9, zorder=3, label="listener")
    yaw = np.deg2rad(scene.listener.yaw_deg)
    facing = np.array([np.cos(yaw), np.sin(yaw), 0.0]) * ARROW_M
    if np.hypot(facing[i], facing[j]) > 1e-3:
        axes.annotate(
            "",
            xy=(lx + facing[i], ly + facing[j]),
            xytext=(lx, ly),
            zorder=4,
            arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 2},
        )
    _head_arrows(axes, scene, (lx, ly), (i, j))
    for ev in scene.events:
        pos = ev.position_m
        _path_line(axes, ev, (i, j))
        _orientation_arrow(axes, ev, (i, j))
        marker = "o" if ev.band == "near" else "s"
        axes.plot(
            [pos[i]],
            [pos[j]],
            marker=marker,
            linestyle="none",
            markersize=10,
            color=class_color(ev.class_index),
            markeredgecolor="black",
            zorder=3,
        )
        axes.annotate(
            str(ev.source_index),
            (pos[i], pos[j]),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize=8,
        )
    if dims is not None:
        axes.set_xlim(-0.3, dims[i] + 0.3)
        axes.set_ylim(-0.3, dims[j] + 0.3)
    axes.set_aspect("equal")
    axes.set_xlabel(names[i])
    axes.set_ylabel(names[j])
    axes.set_title(title)


def _path_line(axes, ev: SceneEvent, dims_idx: tuple[int, int]) -> None:
    """A moving event's path over its duration (line ending in an arrow at its last point)."""
    if ev.path is None:
        return
    i, j = dims_idx
    pts = source_positions(ev.path, np.linspace(0.0, float(ev.duration_s), 50))
    color = class_color(ev.class_index)
    axes.plot(pts[:, i], pts[:, j], color=color, linewidth=2, zorder=2)
    if np.hypot(pts[-1, i] - pts[-2, i], pts[-1, j] - pts[-2, j]) > 1e-6:
        axes.annotate(
            "",
            xy=(pts[-1, i], pts[-1, j]),
            xytext=(pts[-2, i], pts[-2, j]),
            arrowprops={"arrowstyle": "-|>", "color": color, "lw": 2},
            zorder=2,
        )


def _orientation_arrow(axes, ev: SceneEvent, dims_idx: tuple[int, int]) -> None:
    """A directional source's axis (``orientation_deg``): a dashed arrow from its position."""
    if ev.orientation_deg is None:
        return
    i, j = dims_idx
    az, el = np.deg2rad(np.asarray(ev.orientation_deg, float))
    axis = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)]) * ARROW_M
    if np.hypot(axis[i], axis[j]) > 1e-3:
        pos = ev.position_m
        axes.annotate(
            "",
            xy=(pos[i] + axis[i], pos[j] + axis[j]),
            xytext=(pos[i], pos[j]),
            arrowprops={
                "arrowstyle": "-|>",
                "color": class_color(ev.class_index),
                "lw": 1.5,
                "linestyle": "--",
            },
            zorder=2,
        )


def _head_arrows(axes, scene: Scene, centre, dims_idx: tuple[int, int]) -> None:
    """Faint arrows at the yaws a turning head passes through (its keyframes)."""
    head = scene.head
    if head is None or head["kind"] != "keyframes":
        return
    i, j = dims_idx
    for yaw in np.deg2rad(np.unique(np.round(head["yaw_deg"], 3))):
        facing = np.array([np.cos(yaw), np.sin(yaw), 0.0]) * ARROW_M
        if np.hypot(facing[i], facing[j]) > 1e-3:
            axes.annotate(
                "",
                xy=(centre[0] + facing[i], centre[1] + facing[j]),
                xytext=centre,
                arrowprops={"arrowstyle": "-|>", "color": "grey", "lw": 1, "alpha": 0.5},
                zorder=2,
            )


def _head_yaw_curve(axes, scene: Scene) -> None:
    """The head's yaw over time on a second axis of the timeline."""
    head = scene.head
    if head is None or head["kind"] != "keyframes":
        return
    t = np.linspace(0.0, float(scene.duration_s), 300)
    twin = axes.twinx()
    twin.plot(t, head_yaw_deg(head, t), color="grey", linestyle="--", label="head yaw")
    twin.set_ylabel("head yaw (deg)", color="grey")


def _rectangle(width: float, height: float):
    from matplotlib.patches import Rectangle

    return Rectangle(
        (0.0, 0.0), width, height, fill=True, facecolor="#f2f2f2", edgecolor="black", linewidth=1.5
    )


def _direction_names(scene: Scene) -> list[str]:
    if not scene.events:
        return []
    view = get_view("unequal")
    ev = scene.events
    member = view.membership(
        [e.azimuth_deg for e in ev],
        [e.elevation_deg for e in ev],
        [e.distance_m for e in ev],
    )
    return [view.classes[int(np.argmax(m))] if m.any() else "?" for m in member]


def _timeline(axes, scene: Scene) -> None:
    """Events as bars on their source's row, labelled with class, band and direction."""
    for ev, direction in zip(scene.events, _direction_names(scene), strict=True):
        y = ev.source_index
        axes.barh(
            y,
            ev.duration_s,
            left=ev.onset_s,
            height=0.6,
            color=class_color(ev.class_index),
            edgecolor="black",
        )
        text = (
            f"{ev.label} · {ev.band} {ev.distance_m:.1f} m · {direction} "
            f"({ev.azimuth_deg:.0f}°, {ev.elevation_deg:.0f}°)"
        )
        axes.text(ev.onset_s, y + 0.38, text, fontsize=8, va="bottom")
    sources = sorted({ev.source_index for ev in scene.events}) or [0]
    axes.set_yticks(sources)
    axes.set_ylim(min(sources) - 0.6, max(sources) + 1.0)
    axes.set_xlim(0.0, scene.duration_s)
    axes.set_xlabel("time (s)")
    axes.set_ylabel("source")
    axes.set_title(f"events (max overlap {scene.max_overlap})")
    axes.grid(axis="x", alpha=0.3)
    _head_yaw_curve(axes, scene)


def _legend(fig, scene: Scene) -> None:
    from matplotlib.lines import Line2D

    seen = {}
    for ev in scene.events:
        seen.setdefault(ev.class_index, ev.label)
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            color=class_color(k),
            label=name,
            markeredgecolor="black",
        )
        for k, name in sorted(seen.items())
    ]
    handles += [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="none",
            color="white",
            markeredgecolor="black",
            label="near",
        ),
        Line2D(
            [],
            [],
            marker="s",
            linestyle="none",
            color="white",
            markeredgecolor="black",
            label="far",
        ),
    ]
    fig.legend(handles=handles, loc="outside right upper", fontsize=8)


def scene_figure(scene: Scene):
    """The three-panel figure of a scene (top view, side view, timeline)."""
    fig = new_figure(12.0, 8.0)
    grid = fig.add_gridspec(2, 2, height_ratios=[3, 2])
    _view_of(fig.add_subplot(grid[0, 0]), scene, (0, 1), "top view (x-y)")
    _view_of(fig.add_subplot(grid[0, 1]), scene, (0, 2), "side view (x-z)")
    _timeline(fig.add_subplot(grid[1, :]), scene)
    room = scene.room.description
    info = kind_of(room).summary(room)
    dims = (
        " x ".join(f"{d:.2f}" for d in info["dimensions_m"]) + " m"
        if info.get("dimensions_m")
        else ""
    )
    rt = (
        "anechoic"
        if scene.room.anechoic
        else (f"RT60 {info['rt60_s']:.2f} s" if info.get("rt60_s") is not None else "")
    )
    fig.suptitle(
        f"{scene.stem}: room {info['label']} {dims}, {rt}, head yaw {scene.listener.yaw_deg:.0f}°"
    )
    _legend(fig, scene)
    return fig


def plot_scene(
    scene: Scene | dict | str | os.PathLike,
    *,
    out_path: str | os.PathLike,
    overwrite: bool = False,
) -> Path:
    """Draw a scene (a :class:`~bindata.scene.spec.Scene`, a scene's JSON object or a scene
    JSON file; the last two validated) to a PNG; returns its path.

    Raises
    ------
    OutputExistsError
        ``out_path`` exists and ``overwrite`` is False.
    SceneError
        The scene file is not valid against ``schemas/scene.schema.json``.
    """
    out_path = Path(out_path)
    if out_path.exists() and not overwrite:
        raise OutputExistsError(
            f"{out_path}: exists; set overwrite to replace it, or write it to another file"
        )
    import_matplotlib()
    if isinstance(scene, dict):
        scene = scene_from_json(scene)
    elif not isinstance(scene, Scene):
        scene = load_scene(scene)
    return save_png(scene_figure(scene), out_path)
