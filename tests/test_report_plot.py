"""`bindata report`/`plot`: counts against docs/design.md's rules, PNGs that show something."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bindata.cli import cli
from bindata.config import load_config
from bindata.dataset.report import DRR_PLOTS, PLOTS, dataset_stats, write_report
from bindata.errors import BindataError, OutputExistsError, SceneError
from bindata.synth import synthesize

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    cfg = load_config(
        overrides={
            "n_files": 4,
            "n_folds": 2,
            "duration_s": 3.0,
            "events.per_file": [2, 3],
            "room.rt60_s": [0.3, 0.6],
        }
    )
    out = tmp_path_factory.mktemp("report") / "ds"
    synthesize(cfg, out, seed=31, progress=False)
    return out


@pytest.fixture(scope="module")
def scenes(dataset) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((dataset / "scenes").glob("*.json"))]


@pytest.fixture(scope="module")
def report(dataset, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("card")
    return write_report(dataset, out_dir=out)


def unequal_class(az: float, el: float) -> str:
    """docs/design.md's unequal division, written out independently of metadata/divisions.json."""
    if el > 35:
        return "top"
    if el < -35:
        return "bottom"
    if abs(az) <= 45:
        return "front"
    if abs(az) >= 135:
        return "back"
    return "left" if az > 0 else "right"


def octant(az: float, el: float) -> str:
    """docs/design.md's equal planes (half-open rule of divisions.json) combined into an octant."""
    tb = "top" if el >= 0 else "bottom"
    fb = "front" if -90 <= az < 90 else "back"
    lr = "left" if 0 <= az < 180 else "right"
    return f"{tb}-{fb}-{lr}"


def png_pixels(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.int64)


def assert_drawn(path: Path, *, min_size=(400, 300)) -> np.ndarray:
    """A PNG of at least ``min_size`` pixels with real content (not one flat colour)."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    px = png_pixels(path)
    height, width = px.shape[:2]
    assert width >= min_size[0] and height >= min_size[1]
    non_white = np.any(px < 245, axis=2).mean()
    colours = np.unique((px[..., 0] << 16) | (px[..., 1] << 8) | px[..., 2]).size
    assert 0.01 < non_white < 0.9, f"{path.name}: {non_white:.3f} of pixels are non-white"
    assert colours > 8
    return px


def test_direction_counts_follow_the_design_rules(dataset, scenes):
    st = dataset_stats(dataset)
    events = [e for s in scenes for e in s["events"]]
    assert st["events"] == len(events) >= 8
    for view, rule in (("unequal", unequal_class), ("octants", octant)):
        v = st["views"][view]
        want = {c: 0 for c in v["classes"]}
        for e in events:
            want[rule(e["azimuth_deg"], e["elevation_deg"])] += 1
        assert dict(zip(v["classes"], v["events"], strict=True)) == want
    prox = st["views"]["proximity"]
    near = sum(e["distance_m"] <= 2.0 for e in events)
    assert prox["events"] == [near, len(events) - near]
    assert near == sum(e["band"] == "near" for e in events)


def test_frame_counts_come_from_the_metadata_rows(dataset, scenes):
    st = dataset_stats(dataset)
    rows = [
        ln.split(",")
        for p in sorted((dataset / "metadata").glob("*.csv"))
        for ln in p.read_text().splitlines()
    ]
    assert sum(st["views"]["unequal"]["frames"]) == len(rows) == st["rows"]
    n_classes = len(st["classes"])
    want = np.bincount([int(r[1]) for r in rows], minlength=n_classes).tolist()
    assert st["sound_classes"]["frames"] == want
    # polyphony: frames of every file by number of rows in them (30 frames per 3 s file)
    hist = np.zeros(3, dtype=int)
    for p in sorted((dataset / "metadata").glob("*.csv")):
        frames = [int(ln.split(",")[0]) for ln in p.read_text().splitlines()]
        hist += np.bincount(np.bincount(frames, minlength=30), minlength=3)[:3]
    assert st["polyphony"] == hist.tolist() and sum(hist) == 4 * 30
    assert st["rt60_s"] == [s["room"]["rt60_s"] for s in scenes]
    assert np.allclose(st["room_volume_m3"], [np.prod(s["room"]["dimensions_m"]) for s in scenes])
    assert all(0.3 <= r <= 0.6 for r in st["rt60_s"])


def test_card_tables_and_plots(report, dataset):
    text = report.read_text()
    st = dataset_stats(dataset)
    assert text.startswith("# Dataset card: ds")
    for name in PLOTS:
        assert f"]({name}.png)" in text
        assert_drawn(report.parent / f"{name}.png")
    table = text.split("## Direction: unequal division")[1].split("![")[0]
    for cls, n in zip(
        st["views"]["unequal"]["classes"], st["views"]["unequal"]["events"], strict=True
    ):
        assert f"| {cls} | {n} |" in table
    assert f"| **total** | **{st['events']}** |" in table
    assert "| 0 | " in text.split("## Polyphony")[1]


def test_report_refuses_to_overwrite(report, dataset, tmp_path):
    with pytest.raises(OutputExistsError, match="set overwrite to replace it"):
        write_report(dataset, out_dir=report.parent)
    res = CliRunner().invoke(cli, ["report", str(dataset), "--out", str(report.parent)])
    assert res.exit_code == 2 and "a report exists" in res.output
    assert "pass --overwrite to replace it or --out to write elsewhere" in res.output
    res = CliRunner().invoke(
        cli, ["report", str(dataset), "--out", str(tmp_path / "r"), "--no-plots"]
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["README.md"]
    assert ".png" not in (tmp_path / "r" / "README.md").read_text()
    res = CliRunner().invoke(
        cli, ["report", str(dataset), "--out", str(tmp_path / "r"), "--overwrite"]
    )
    assert res.exit_code == 0, res.output
    assert len(list((tmp_path / "r").glob("*.png"))) == len(PLOTS) + len(DRR_PLOTS)


def test_default_report_folder_keeps_the_dataset_valid(dataset, tmp_path):
    import shutil

    from bindata.dataset.validate import find_problems

    copy = Path(shutil.copytree(dataset, tmp_path / "copy"))
    card = write_report(copy, plots=False)
    assert card == copy / "report" / "README.md"
    assert find_problems(copy) == []


def test_plot_scene_draws_rooms_sources_and_timeline(dataset, scenes, tmp_path):
    from bindata.dataset.plot import class_color, plot_scene

    scene = max(scenes, key=lambda s: len(s["events"]))
    path = plot_scene(dataset / "scenes" / f"{scene['stem']}.json", out_path=tmp_path / "s.png")
    px = assert_drawn(path, min_size=(1000, 700))
    for ev in scene["events"]:  # every event's class colour is on the picture
        rgb = np.round(np.asarray(class_color(ev["class_index"])[:3]) * 255)
        close = np.all(np.abs(px - rgb) <= 2, axis=2).sum()
        assert close > 200, f"{ev['label']}: {close} pixels of its colour"
    with pytest.raises(OutputExistsError):
        plot_scene(scene, out_path=path)


def test_plot_cli_writes_beside_the_cwd_and_rejects_bad_scenes(dataset, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scene = dataset / "scenes" / "fold1_room0001_mix001.json"
    res = CliRunner().invoke(cli, ["plot", str(scene)])
    assert res.exit_code == 0, res.output
    assert_drawn(tmp_path / "fold1_room0001_mix001.png")
    broken = json.loads(scene.read_text())
    broken["events"][0]["elevation_deg"] = 95
    (tmp_path / "bad.json").write_text(json.dumps(broken))
    from bindata.dataset.plot import plot_scene

    with pytest.raises(SceneError, match="elevation_deg"):
        plot_scene(tmp_path / "bad.json", out_path=tmp_path / "bad.png")


def test_missing_matplotlib_names_the_extra(dataset, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(BindataError, match=r"bindata\[plot\]"):
        write_report(dataset, out_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()
    from bindata.dataset.plot import plot_scene

    with pytest.raises(BindataError, match=r"bindata\[plot\]"):
        plot_scene(dataset / "scenes" / "fold1_room0001_mix001.json", out_path=tmp_path / "p.png")
