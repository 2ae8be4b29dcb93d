"""Fault injection: bad input and machine faults across every command.

Each case runs the CLI as a user would and checks: the exit code (2; 130 for an interrupt), no
traceback, a message naming the bad value or path and the rule, and that the output path and
every input are unchanged (a listing of every path under the test's folder with sizes and
SHA-256, before and after).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bindata.cli import cli
from bindata.io import sha256_file

#: The tiny dataset every case works on (and the flags that made it, for --resume cases).
DS_ARGS = [
    "--n",
    "2",
    "--duration",
    "2",
    "--folds",
    "2",
    "--events-per-file",
    "1",
    "2",
    "--rt60",
    "0.3",
    "0.3",
    "--seed",
    "1",
    "--quiet",
]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def listing(root: Path) -> dict[str, tuple]:
    """Every path below ``root``: folders as ('dir',), files as (size, sha256)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        out[rel] = ("dir",) if p.is_dir() else (p.stat().st_size, sha256_file(p))
    return out


@contextlib.contextmanager
def mounted_tmpfs(path: Path, size: str, *, read_only: bool = False):
    """A tmpfs at ``path`` (root only); yields False when it cannot be mounted."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        yield False
        return
    ok = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
        ).returncode
        == 0
    )
    try:
        if ok and read_only:
            (path / "inside.txt").write_text("kept\n")
            ok = subprocess.run(["mount", "-o", "remount,ro", str(path)]).returncode == 0
        yield ok
    finally:
        if ok or read_only:
            subprocess.run(["umount", str(path)], capture_output=True)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A tiny dataset, the inputs the cases need, and a read-only folder."""
    root = tmp_path_factory.mktemp("faults")
    res = run("synth", "--out", root / "ds", *DS_ARGS)
    assert res.exit_code == 0, res.output
    inp = root / "inputs"
    inp.mkdir()
    files = {
        "c.yaml": "n_files: 3\n",
        "broken.toml": "n_files = = 3\n",
        "nan.json": '{"room": {"rt60_s": [NaN, 0.5]}}',
        "inf.toml": "[mix]\npeak_dbfs = -inf\n",
        "unknown.json": '{"room": {"widht_m": [6, 8]}}',
        "zero.toml": "n_files = 0\n",
        "small_room.toml": "[room]\nwidth_m = [3.0, 3.0]\nlength_m = [3.0, 3.0]\n"
        "height_m = [2.5, 2.5]\n",
        "far_band.json": '{"sources": {"far_m": [20.0, 30.0]}}',
        "long_event.json": '{"events": {"duration_s": [3.0, 4.0]}}',
        "not.sofa": "hello\n",
        "afile": "a user's file\n",
        "sched.json": '{"type": "Scheduler"}',
    }
    for name, text in files.items():
        (inp / name).write_text(text)
    (inp / "empty_events").mkdir()
    (root / "user_folder").mkdir()
    (root / "user_folder" / "notes.txt").write_text("mine\n")
    (root / "locked").mkdir()
    owner = {"pid": os.getpid(), "host": socket.gethostname(), "started_utc": "2026-01-01T00:00:00"}
    (root / "locked" / ".bindata-lock.json").write_text(json.dumps(owner))
    pred_nan = root / "pred_nan"
    shutil.copytree(root / "ds" / "metadata", pred_nan)
    first = sorted(pred_nan.iterdir())[0]
    lines = first.read_text().splitlines()
    parts = lines[0].split(",")
    lines[0] = ",".join([parts[0], parts[1], parts[2], "nan", *parts[4:6]])
    first.write_text("\n".join(lines) + "\n")
    tampered = root / "tampered"
    shutil.copytree(root / "ds", tampered)
    wav = sorted((tampered / "audio").iterdir())[0]
    data = bytearray(wav.read_bytes())
    data[-1] ^= 0xFF
    wav.write_bytes(bytes(data))
    broken = root / "broken_manifest"
    shutil.copytree(root / "ds", broken)
    (broken / "manifest.json").write_text("{")
    (root / "report_exists").mkdir()
    (root / "report_exists" / "README.md").write_text("an older card\n")
    with mounted_tmpfs(root / "ro", "1m", read_only=True) as ok:
        if not ok:
            if os.geteuid() == 0:
                shutil.rmtree(root / "ro", ignore_errors=True)
                (root / "ro").mkdir()
            else:
                (root / "ro" / "inside.txt").write_text("kept\n")
                (root / "ro").chmod(0o555)
        yield {"root": root, "ro_ok": ok or os.geteuid() != 0}
        if not ok and os.geteuid() != 0:
            (root / "ro").chmod(0o755)


S = "{root}/ds/scenes/fold1_room0001_mix001.json"
NEW = "{root}/new_out"
I = "{root}/inputs"  # noqa: E741

#: (id, argv, exit code, substrings the message must hold, substrings it must not hold)
CASES = [
    # --- synth: flags
    ("synth-n-0", ["synth", "--out", NEW, "--n", "0"], ["--n must be >= 1, got 0"], []),
    ("synth-overlap-0", ["synth", "--out", NEW, "--overlap", "0"], ["--overlap must be >= 1"], []),
    (
        "synth-duration-nan",
        ["synth", "--out", NEW, "--duration", "nan"],
        ["--duration", "must be a finite number", "nan"],
        [],
    ),
    (
        "synth-duration-inf",
        ["synth", "--out", NEW, "--duration", "inf"],
        ["--duration", "must be a finite number", "inf"],
        [],
    ),
    (
        "synth-rt60-nan",
        ["synth", "--out", NEW, "--rt60", "nan", "0.5"],
        ["--rt60", "must be a finite number"],
        [],
    ),
    (
        "synth-rt60-reversed",
        ["synth", "--out", NEW, "--rt60", "0.9", "0.3"],
        ["--rt60", "lower bound must be <= upper bound", "[0.9, 0.3]"],
        [],
    ),
    ("synth-jobs-0", ["synth", "--out", NEW, "--jobs", "0"], ["--jobs must be >= 1 or -1"], []),
    ("synth-seed-negative", ["synth", "--out", NEW, "--seed", "-1"], ["--seed must be >= 0"], []),
    ("synth-rate-low", ["synth", "--out", NEW, "--rate", "100"], ["--rate must be >= 8000"], []),
    (
        "synth-overwrite-and-resume",
        ["synth", "--out", NEW, "--overwrite", "--resume"],
        ["--overwrite and --resume exclude each other"],
        [],
    ),
    (
        "synth-scheduler-timeout-nan",
        ["synth", "--out", NEW, "--scheduler-timeout", "nan"],
        ["--scheduler-timeout", "must be a finite number"],
        [],
    ),
    # --- synth: config files
    (
        "synth-config-missing",
        ["synth", "--out", NEW, "--config", "{root}/nope.json"],
        ["nope.json", "config file not found"],
        [],
    ),
    (
        "synth-config-yaml",
        ["synth", "--out", NEW, "--config", f"{I}/c.yaml"],
        ["c.yaml", "unsupported config format", "JSON", "TOML"],
        [],
    ),
    (
        "synth-config-broken-toml",
        ["synth", "--out", NEW, "--config", f"{I}/broken.toml"],
        ["broken.toml", "not valid toml"],
        [],
    ),
    (
        "synth-config-nan-json",
        ["synth", "--out", NEW, "--config", f"{I}/nan.json"],
        ["nan.json: room.rt60_s.0: must be a finite number, got nan"],
        ["--rt60"],
    ),
    (
        "synth-config-inf-toml",
        ["synth", "--out", NEW, "--config", f"{I}/inf.toml"],
        ["inf.toml: mix.peak_dbfs: must be a finite number, got -inf"],
        [],
    ),
    (
        "synth-config-unknown-key",
        ["synth", "--out", NEW, "--config", f"{I}/unknown.json"],
        ["unknown.json: room: unknown key(s)", "widht_m"],
        [],
    ),
    (
        "synth-config-zero-files-names-file",
        ["synth", "--out", NEW, "--config", f"{I}/zero.toml"],
        ["zero.toml: n_files: must be >= 1, got 0"],
        ["--n "],
    ),
    (
        "synth-config-room-too-small",
        ["synth", "--out", NEW, "--config", f"{I}/small_room.toml"],
        ["file index 0 (fold1_room0001_mix001)", "far band", "nothing was written"],
        [],
    ),
    (
        "synth-config-far-band-unreachable",
        ["synth", "--out", NEW, "--config", f"{I}/far_band.json"],
        ["file index 0", "reaches the far band (>= 20.0 m)"],
        [],
    ),
    (
        "synth-config-event-longer-than-file",
        ["synth", "--out", NEW, "--config", f"{I}/long_event.json", "--duration", "2"],
        ["long_event.json: events.duration_s", "longer than the file (2.0 s)"],
        [],
    ),
    # --- synth: resources
    (
        "synth-hrir-missing",
        ["synth", "--out", NEW, "--hrir", "{root}/nope.sofa"],
        ["nope.sofa"],
        [],
    ),
    ("synth-hrir-not-sofa", ["synth", "--out", NEW, "--hrir", f"{I}/not.sofa"], ["not.sofa"], []),
    (
        "synth-events-missing",
        ["synth", "--out", NEW, "--events", "{root}/nope_dir"],
        ["nope_dir"],
        [],
    ),
    (
        "synth-events-empty",
        ["synth", "--out", NEW, "--events", f"{I}/empty_events"],
        ["empty_events"],
        [],
    ),
    (
        "synth-scheduler-unreachable",
        ["synth", "--out", NEW, "--scheduler", "tcp://127.0.0.1:9", "--scheduler-timeout", "1"],
        ["--scheduler", "tcp://127.0.0.1:9", "cannot connect within 1 s"],
        [],
    ),
    (
        "synth-scheduler-bad-address",
        ["synth", "--out", NEW, "--scheduler", "notanaddress"],
        ["--scheduler", "notanaddress", "not a scheduler address", "missing port"],
        [],
    ),
    (
        "synth-scheduler-file-without-address",
        ["synth", "--out", NEW, "--scheduler", f"{I}/sched.json"],
        ["--scheduler", "sched.json", "cannot read its address"],
        [],
    ),
    # --- synth: the output folder
    ("synth-out-is-a-file", ["synth", "--out", f"{I}/afile"], ["afile", "is a file"], []),
    (
        "synth-out-not-empty",
        ["synth", "--out", "{root}/user_folder"],
        ["user_folder", "not empty", "--overwrite", "--resume"],
        [],
    ),
    (
        "synth-overwrite-user-folder",
        ["synth", "--out", "{root}/user_folder", "--overwrite"],
        ["user_folder", "not a bindata dataset"],
        [],
    ),
    (
        "synth-resume-other-seed",
        ["synth", "--out", "{root}/ds", "--resume", *DS_ARGS, "--seed", 9],
        ["--resume", "different seed"],
        [],
    ),
    (
        "synth-resume-other-config",
        ["synth", "--out", "{root}/ds", "--resume", *DS_ARGS, "--n", 3],
        ["--resume", "different config"],
        [],
    ),
    (
        "synth-resume-user-folder",
        ["synth", "--out", "{root}/user_folder", "--resume"],
        ["user_folder", "nothing to resume"],
        [],
    ),
    (
        "synth-overwrite-infeasible",
        ["synth", "--out", "{root}/ds", "--overwrite", "--config", f"{I}/small_room.toml"],
        ["file index 0", "nothing was written"],
        [],
    ),
    (
        "synth-locked",
        ["synth", "--out", "{root}/locked", *DS_ARGS],
        ["another bindata run is writing here", "pid {pid} on host {host}", ".bindata-lock.json"],
        [],
    ),
    (
        "synth-out-read-only",
        ["synth", "--out", "{root}/ro/new", *DS_ARGS],
        ["{root}/ro", "Read-only file system"],
        [],
    ),
    # --- score
    (
        "score-pred-missing",
        ["score", "--ref", "{root}/ds", "--pred", "{root}/nope"],
        ["nope", "not found"],
        [],
    ),
    (
        "score-ref-missing",
        ["score", "--ref", "{root}/nope", "--pred", "{root}/ds/metadata"],
        ["nope", "not found"],
        [],
    ),
    (
        "score-pred-nan",
        ["score", "--ref", "{root}/ds", "--pred", "{root}/pred_nan"],
        ["fold1_room0001_mix001.csv", "nan"],
        [],
    ),
    (
        "score-unknown-view",
        ["score", "--ref", "{root}/ds", "--pred", "{root}/ds/metadata", "--only", "nosuchview"],
        ["nosuchview"],
        [],
    ),
    (
        "score-json-read-only",
        [
            "score",
            "--ref",
            "{root}/ds",
            "--pred",
            "{root}/ds/metadata",
            "--json",
            "{root}/ro/s.json",
        ],
        ["{root}/ro/", "Read-only file system"],
        [],
    ),
    (
        "score-frame-range-unknown",
        [
            "score",
            "--ref",
            "{root}/ds",
            "--pred",
            "{root}/ds/metadata",
            "--metrics",
            "dcase2024",
            "--frame-range",
            "everything",
        ],
        ["--frame-range", "everything"],
        [],
    ),
    (
        "score-ci-unknown",
        ["score", "--ref", "{root}/ds", "--pred", "{root}/ds/metadata", "--ci", "bootstrap"],
        ["--ci", "bootstrap"],
        [],
    ),
    # --- export, reassemble
    (
        "export-fold-map-unknown-fold",
        [
            "export",
            "{root}/ds",
            "--format",
            "dcase2025",
            "--out",
            "{root}/exported",
            "--fold-map",
            "1:3,2:3,3:3,4:4,9:1",
        ],
        ["--fold-map", "9"],
        [],
    ),
    (
        "export-clip-not-a-frame-multiple",
        [
            "export",
            "{root}/ds",
            "--format",
            "dcase2025",
            "--out",
            "{root}/exported",
            "--clip-s",
            "0.25",
        ],
        ["--clip-s", "0.25"],
        [],
    ),
    (
        "reassemble-not-an-export",
        ["reassemble", "{root}/ds", "--pred", "{root}/ds/metadata", "--out", "{root}/joined"],
        ["bindata_export.json"],
        [],
    ),
    # --- validate
    ("validate-missing", ["validate", "{root}/nope"], ["nope", "not a folder"], []),
    (
        "validate-not-a-dataset",
        ["validate", "{root}/user_folder"],
        ["manifest.json", "not a finished bindata dataset"],
        [],
    ),
    (
        "validate-tampered-audio",
        ["validate", "{root}/tampered"],
        ["fold1_room0001_mix001.wav", "SHA-256"],
        [],
    ),
    (
        "validate-broken-manifest",
        ["validate", "{root}/broken_manifest"],
        ["manifest.json", "not valid JSON"],
        [],
    ),
    # --- regen
    ("regen-missing", ["regen", "{root}/nope.json"], ["nope.json", "No such file"], []),
    (
        "regen-not-a-scene",
        ["regen", "{root}/ds/manifest.json"],
        ["manifest.json", "required property"],
        [],
    ),
    ("regen-out-exists", ["regen", S, "--out", f"{I}/afile"], ["afile", "exists"], []),
    (
        "regen-out-read-only",
        ["regen", S, "--out", "{root}/ro/x.wav"],
        ["{root}/ro/x.wav", "Read-only file system"],
        [],
    ),
    ("regen-hrir-missing", ["regen", S, "--hrir", "{root}/nope.sofa"], ["nope.sofa"], []),
    # --- hrir
    ("hrir-info-missing", ["hrir", "info", "{root}/nope.sofa"], ["nope.sofa", "no such file"], []),
    ("hrir-info-not-sofa", ["hrir", "info", f"{I}/not.sofa"], ["not.sofa"], []),
    (
        "hrir-build-grid-nan",
        ["hrir", "build", "--out", "{root}/x.sofa", "--grid-deg", "nan"],
        ["--grid-deg", "must be a finite number"],
        [],
    ),
    (
        "hrir-build-out-exists",
        ["hrir", "build", "--out", f"{I}/afile"],
        ["afile", "exists", "--overwrite"],
        [],
    ),
    (
        "hrir-build-read-only",
        ["hrir", "build", "--out", "{root}/ro/x.sofa", "--grid-deg", "30"],
        ["{root}/ro/x.sofa"],
        [],
    ),
    (
        "hrir-nearfield-missing",
        ["hrir", "nearfield", "{root}/nope.sofa", "--out", "{root}/y.sofa"],
        ["nope.sofa", "no such file"],
        [],
    ),
    # --- features
    # --- brirs
    (
        "brirs-no-sources",
        ["brirs", "--out", "{root}/b0", "--n", "1", "--near", "0", "--far", "0", "--quiet"],
        ["--near/--far", "at least one source"],
        [],
    ),
    (
        "brirs-unknown-preset",
        ["brirs", "--out", "{root}/b0", "--n", "1", "--rooms", "nosuch", "--quiet"],
        ["nosuch", "unknown room preset"],
        [],
    ),
    (
        "features-missing",
        ["features", "{root}/nope", "--quiet"],
        ["nope", "not a bindata dataset"],
        [],
    ),
    (
        "features-cache-read-only",
        ["features", "{root}/ds", "--cache", "{root}/ro/cache", "--quiet"],
        ["{root}/ro/cache", "Read-only file system"],
        [],
    ),
    # --- report
    ("report-missing", ["report", "{root}/nope"], ["nope", "not a bindata dataset"], []),
    (
        "report-out-read-only",
        ["report", "{root}/ds", "--out", "{root}/ro/rep", "--no-plots"],
        ["{root}/ro/rep", "Read-only file system"],
        [],
    ),
    (
        "report-out-exists",
        ["report", "{root}/ds", "--out", "{root}/report_exists", "--no-plots"],
        ["report_exists", "--overwrite"],
        [],
    ),
    # --- plot
    ("plot-missing", ["plot", "{root}/nope.json"], ["nope.json", "No such file"], []),
    (
        "plot-not-a-scene",
        ["plot", "{root}/ds/manifest.json", "--out", "{root}/p.png"],
        ["manifest.json"],
        [],
    ),
    ("plot-out-exists", ["plot", S, "--out", f"{I}/afile"], ["afile", "exists"], []),
    (
        "plot-out-read-only",
        ["plot", S, "--out", "{root}/ro/p.png"],
        ["{root}/ro/p.png", "Read-only file system"],
        [],
    ),
    # --- train
    (
        "train-data-missing",
        ["train", "--data", "{root}/nope", "--method", "EqSepBran", "--fold", "1"],
        ["nope"],
        [],
    ),
    (
        "train-unknown-method",
        ["train", "--data", "{root}/ds", "--method", "Nope", "--fold", "1"],
        ["unknown method 'Nope'"],
        [],
    ),
    (
        "train-fold-without-files",
        ["train", "--data", "{root}/ds", "--method", "EqSepBran", "--fold", "9"],
        ["fold 9 has no files"],
        [],
    ),
    (
        "train-lr-nan",
        ["train", "--data", "{root}/ds", "--method", "EqSepBran", "--fold", "1", "--lr", "nan"],
        ["--lr", "must be a finite number"],
        [],
    ),
    (
        "train-val-fraction-inf",
        [
            "train",
            "--data",
            "{root}/ds",
            "--method",
            "EqSepBran",
            "--fold",
            "1",
            "--val-fraction",
            "inf",
        ],
        ["--val-fraction", "must be a finite number"],
        [],
    ),
]


def _fill(text: str, root: Path) -> str:
    return str(text).format(root=root, pid=os.getpid(), host=socket.gethostname())


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_fault_case(world, case):
    name, argv, wanted, unwanted = case
    root = world["root"]
    if "/ro" in " ".join(map(str, argv)) and not world["ro_ok"]:
        pytest.skip("no read-only folder (needs root with tmpfs, or a non-root user)")
    before = listing(root)
    res = run(*[_fill(a, root) for a in argv])
    out = res.output
    assert res.exit_code == 2, out
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in out
    for text in wanted:
        assert _fill(text, root) in out, f"{name}: {text!r} not in {out!r}"
    for text in unwanted:
        assert text not in out, f"{name}: {text!r} in {out!r}"
    assert listing(root) == before, f"{name} changed the files"
    if os.environ.get("BINDATA_SHOW_FAULTS"):
        print(f"\n[{name}] exit {res.exit_code}: {out.strip().splitlines()[-1][:300]}")


def test_there_are_at_least_40_cases_over_every_command():
    commands = {argv[0] for _, argv, _, _ in CASES}
    assert {
        "synth",
        "score",
        "validate",
        "regen",
        "hrir",
        "features",
        "report",
        "plot",
        "train",
    } <= commands
    assert len(CASES) >= 40


# --- overwrite -----------------------------------------------------------------------------------


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_overwrite_with_an_infeasible_config_leaves_the_dataset_byte_identical(world, tmp_path):
    ds = tmp_path / "ds"
    shutil.copytree(world["root"] / "ds", ds)
    before = tree_bytes(ds)
    res = run(
        "synth",
        "--out",
        ds,
        "--overwrite",
        *DS_ARGS,
        "--config",
        world["root"] / "inputs" / "small_room.toml",
    )
    assert res.exit_code == 2 and "file index 0" in res.output
    assert tree_bytes(ds) == before


def test_a_user_file_inside_audio_survives_a_successful_overwrite(world, tmp_path):
    out = tmp_path / "ds"
    res = run("synth", "--out", out, *DS_ARGS, "--n", 3, "--seed", 7)
    assert res.exit_code == 0, res.output
    mine = {
        "audio/mine.wav": b"RIFF my recording",
        "scenes/notes.json": b'{"mine": true}',
        "README.txt": b"my notes",
    }
    for rel, data in mine.items():
        (out / rel).write_bytes(data)
    res = run("synth", "--out", out, *DS_ARGS, "--overwrite")
    assert res.exit_code == 0, res.output
    fresh = tmp_path / "fresh"
    assert run("synth", "--out", fresh, *DS_ARGS).exit_code == 0
    got = tree_bytes(out)
    assert {rel: got.pop(rel) for rel in mine} == mine  # the user's files, untouched
    assert got == tree_bytes(fresh)  # and nothing of the 3-file run is left


def test_a_failed_run_after_overwrite_says_what_was_removed(world, tmp_path, monkeypatch):
    import errno

    import bindata.io.atomic as atomic

    ds = tmp_path / "ds"
    shutil.copytree(world["root"] / "ds", ds)
    real_replace = os.replace

    def full_disk(src, dst):
        if Path(dst).parent.name == "audio":
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", full_disk)
    res = run("synth", "--out", ds, "--overwrite", *DS_ARGS, "--seed", 2)
    monkeypatch.undo()
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "fold1_room0001_mix001.wav: cannot write (No space left on device)" in res.output
    assert "the overwrite had removed 7 file(s) of the earlier dataset" in res.output
    assert "manifest.json" in res.output


# --- machine faults ------------------------------------------------------------------------------


def test_injected_permission_error_then_resume_gives_the_uninterrupted_bytes(
    world, tmp_path, monkeypatch
):
    import errno

    import bindata.io.atomic as atomic

    out = tmp_path / "out"
    real_replace = os.replace

    def denied(src, dst):
        if Path(dst).name == "fold2_room0002_mix001.csv":
            raise PermissionError(errno.EACCES, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", denied)
    res = run("synth", "--out", out, *DS_ARGS)
    monkeypatch.undo()
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert (
        f"{out}/metadata/fold2_room0002_mix001.csv: cannot write (Permission denied)" in res.output
    )
    assert not (out / "manifest.json").exists()  # nothing counted as finished
    assert not list(out.rglob("*bindata-tmp*"))
    res = run("synth", "--out", out, *DS_ARGS, "--resume")
    assert res.exit_code == 0, res.output
    assert tree_bytes(out) == tree_bytes(world["root"] / "ds")
    assert run("validate", out).exit_code == 0


def test_a_vanished_output_folder_is_one_clear_error(world, tmp_path, monkeypatch):
    import bindata.synth.run as synth

    out = tmp_path / "out"
    real_render = synth.render_scene

    def render_then_vanish(scene, **kw):
        if scene.file_index == 1:
            shutil.rmtree(out)
        return real_render(scene, **kw)

    monkeypatch.setattr(synth, "render_scene", render_then_vanish)
    res = run("synth", "--out", out, *DS_ARGS)
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert f"{out}/audio/fold2_room0002_mix001.wav: cannot write (No such file or directory)" in (
        res.output
    )
    assert not out.exists()  # nothing is re-created behind the user's back


def test_an_early_write_fault_leaves_no_half_made_folder(world, tmp_path, monkeypatch):
    import errno

    import bindata.io.atomic as atomic

    out = tmp_path / "out"

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(atomic.os, "replace", full)
    res = run("synth", "--out", out, *DS_ARGS)
    monkeypatch.undo()
    assert res.exit_code == 2 and "No space left on device" in res.output
    assert not out.exists()  # so the next run is not refused as "not empty"
    assert run("synth", "--out", out, *DS_ARGS).exit_code == 0


def test_disk_full_then_resume_gives_the_uninterrupted_bytes(world, tmp_path):
    out_mount = tmp_path / "small_disk"
    # 2 files of 2 s stereo 16-bit are 2 x 188 KiB of audio: 256 KiB holds one, not both
    with mounted_tmpfs(out_mount, "256k") as ok:
        if not ok:
            pytest.skip("needs root and `mount -t tmpfs` (a small file system to fill)")
        out = out_mount / "ds"
        res = run("synth", "--out", out, *DS_ARGS)
        assert res.exit_code == 2, res.output
        assert "Traceback" not in res.output
        assert f"{out}/" in res.output and "No space left on device" in res.output
        assert not (out / "manifest.json").exists()
        assert not list(out.rglob("*bindata-tmp*"))
        assert (
            len(list((out / "scenes").glob("*.json"))) == 1
        )  # one finished before the disk was full
        grown = subprocess.run(["mount", "-o", "remount,size=8m", str(out_mount)])
        assert grown.returncode == 0
        res = run("synth", "--out", out, *DS_ARGS, "--resume")
        assert res.exit_code == 0, res.output
        assert tree_bytes(out) == tree_bytes(world["root"] / "ds")
        res = run("validate", out)
        assert res.exit_code == 0, res.output


# --- lock, interrupt, scheduler ------------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_stale_lock_is_taken_over(world, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    owner = {"pid": _dead_pid(), "host": socket.gethostname(), "started_utc": "2026-01-01T00:00:00"}
    (out / ".bindata-lock.json").write_text(json.dumps(owner))
    res = run("synth", "--out", out, *DS_ARGS)
    assert res.exit_code == 0, res.output
    assert not (out / ".bindata-lock.json").exists()
    assert tree_bytes(out) == tree_bytes(world["root"] / "ds")


def test_a_lock_held_on_another_host_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    owner = {"pid": 1, "host": "elsewhere.example", "started_utc": "2026-01-01T00:00:00+00:00"}
    (out / ".bindata-lock.json").write_text(json.dumps(owner))
    before = listing(tmp_path)
    res = run("synth", "--out", out, *DS_ARGS)
    assert res.exit_code == 2
    assert "pid 1 on host elsewhere.example, started 2026-01-01T00:00:00+00:00" in res.output
    assert listing(tmp_path) == before


def _cli_process(*args, **kw) -> subprocess.Popen:
    code = "import sys; from bindata.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


#: ``bindata`` (argv[2:]) with the run held, once its first file is finished, until Ctrl-C
#: arrives: the parent waits there (and touches argv[1] to say so) instead of taking the next
#: result, so the interrupt always lands mid-run, however fast the machine. Everything else is
#: the real command: the local worker pool, the signal, the message, the exit code.
_HELD_AFTER_FIRST_FILE = """
import sys, time
from pathlib import Path

import bindata.synth.run as synth
from bindata.cli import main

real_map, marker = synth.map_ordered, Path(sys.argv[1])


def held(func, items, **kw):
    results = real_map(func, items, **kw)
    try:
        for k, result in enumerate(results):
            yield result
            if k == 0 and isinstance(func, synth._FileJob):
                marker.touch()
                while True:  # until Ctrl-C (KeyboardInterrupt) arrives
                    time.sleep(0.05)
    finally:
        results.close()


synth.map_ordered = held
sys.exit(main(sys.argv[2:]))
"""


def test_ctrl_c_is_one_line_exit_130_and_resume_finishes_the_run(world, tmp_path):
    out, held = tmp_path / "out", tmp_path / "held"
    args = ["--n", "8", *DS_ARGS[2:]]
    argv = [held, "synth", "--out", out, *args, "--jobs", "2"]
    command = [sys.executable, "-c", _HELD_AFTER_FIRST_FILE, *map(str, argv)]
    # SIGINT at its default in the child: an ignored SIGINT is inherited through exec (an
    # earlier test or library may leave the suite's process ignoring it), and Python then never
    # raises KeyboardInterrupt, as in a shell's background job.
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 300
    while not held.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)  # as the terminal does: every process of the job
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr and "Exception" not in stderr, stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert lines == ["bindata: error: interrupted after 1 of 8 files; run again with --resume"]
    assert not (out / "manifest.json").exists()
    res = run("synth", "--out", out, *args, "--resume")
    assert res.exit_code == 0, res.output
    fresh = tmp_path / "fresh"
    assert run("synth", "--out", fresh, *args).exit_code == 0
    assert tree_bytes(out) == tree_bytes(fresh)
    assert run("validate", out).exit_code == 0


def test_an_unreachable_scheduler_fails_within_its_timeout_without_dask_noise(tmp_path):
    out = tmp_path / "out"
    start = time.monotonic()
    proc = _cli_process(
        "synth",
        "--out",
        out,
        *DS_ARGS,
        "--scheduler",
        "tcp://127.0.0.1:9",
        "--scheduler-timeout",
        "2",
    )
    stdout, stderr = proc.communicate(timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 2
    assert stderr.strip().count("\n") == 0, stderr  # one line
    assert "cannot connect within 2 s" in stderr and "Traceback" not in stderr
    assert elapsed < 2 + 10  # the timeout plus the interpreter's start-up on a busy machine
    assert not out.exists()
