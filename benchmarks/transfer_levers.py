"""Which data recipe transfers: one lever at a time, tested on heads, rooms and sounds never seen.

Issue 24's study. For each *lever* (a synthesis option that makes the training data more varied
or more realistic) one training set is synthesised with it alone, and one with all of them; the
reference method EqSepBran-J (separate branches, joint proximity and direction) is trained on
each for a few epochs (fold 1, ``bindata benchmark``) and every model predicts the same test
sets, none of which any training set used:

* ``kemar``: MIT KEMAR (a measured dummy head, libmysofa's file) with near-field synthesis,
  paper rooms, frontal level reference (``kemar-equalised``: the same, diffuse-field equalised;
  ``kemar-diffuse``: diffuse-field level, the test set of the ``diffuse`` lever);
* ``pra``: rooms rendered by another renderer (pyroomacoustics' image sources through MIT
  KEMAR, :mod:`transfer_rooms`, written as SOFA and read as measured rooms at the true level;
  ``pra-raw``: the same rooms at the level the file stores; ``pra-quiet-raw``: the same rooms
  stored 34 dB lower, as a measured set may come, read at the stored level);
* ``recorded``: recorded sounds (the freedesktop sound theme, six classes by file order) instead
  of the procedural event bank.

Levers (synth options of the training set; ``base`` is the default data):

====================  =========================================================================
``heads``             ``--hrir builtin --hrir builtin:sphere --head-radius 0.075 0.1``
``directivity``       ``--directivity cardioid --directivity-alpha 0.25 0.6`` (facing +-30 deg)
``rooms``             ``--rooms paper,office,living-room,classroom``
``diffuse``           ``--hrir-level diffuse`` (tested on ``kemar-diffuse``)
``all``               heads, directivity and rooms together
``all-treated``       all, half of the rooms drawn from the ``treated-room`` preset
====================  =========================================================================

The F1 of a model after 3 epochs varies with the training seed by several points, so every
figure comes with its jackknife interval over the test files, and ``--seeds`` trains more than
one model per lever (the table shows the mean). Results: one ``bindata benchmark`` JSON per lever
and seed in ``--out``, and the table (``--json`` writes it). Runs resume: a lever whose results
exist is not trained again.

Usage::

    python benchmarks/transfer_levers.py --out levers/ [--seeds 0 1] [--levers base all]
    python benchmarks/transfer_levers.py --out levers/ --table-only --json results.json

About 7 minutes per lever and seed on a 2-core CPU (3 epochs of 300 files of 15 s), plus the
synthesis (1-5 minutes per training set) and pyroomacoustics' rooms (about 35 minutes, once).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import netCDF4
import numpy as np

KEMAR = "/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa"
SOUNDS = Path("/usr/share/sounds/freedesktop/stereo")
TRAIN = ["--n", "400", "--overlap", "1", "--seed", "0"]
TEST = ["--n", "100", "--overlap", "1", "--seed", "100"]
HEADS = ["--hrir", "builtin", "--hrir", "builtin:sphere", "--head-radius", "0.075", "0.1"]
DIRECTIVITY = ["--directivity", "cardioid", "--directivity-alpha", "0.25", "0.6"]
ROOMS = ["--rooms", "paper,office,living-room,classroom"]
TREATED = ["--rooms", "paper,office,living-room,classroom,treated-room:4"]
LEVERS = {
    "base": [],
    "heads": HEADS,
    "directivity": DIRECTIVITY,
    "rooms": ROOMS,
    "diffuse": ["--hrir-level", "diffuse"],
    "all": HEADS + DIRECTIVITY + ROOMS,
    "all-treated": HEADS + DIRECTIVITY + TREATED,
}
#: Test set -> synth options (``{rooms}``: the folder of pyroomacoustics' rooms).
TESTS = {
    "kemar": ["--hrir", KEMAR, "--nearfield"],
    "kemar-equalised": ["--hrir", KEMAR, "--nearfield", "--hrir-level", "equalised"],
    "kemar-diffuse": ["--hrir", KEMAR, "--nearfield", "--hrir-level", "diffuse"],
    "pra": ["--rooms", "{rooms}"],
    "pra-raw": ["--rooms", "{rooms}", "--room-level", "raw"],
    "pra-quiet-raw": ["--rooms", "{quiet_rooms}", "--room-level", "raw"],
    "recorded": ["--events", "{events}"],
}
#: The tests every lever's model predicts (the diffuse lever adds kemar-diffuse).
COMMON_TESTS = ("kemar", "kemar-equalised", "pra", "pra-raw", "pra-quiet-raw", "recorded")
#: The gain of the quiet copy of pyroomacoustics' rooms (-34 dB).
QUIET_GAIN = 0.02
METHOD = "EqSepBran-J"
CELLS = ("proximity", "direction")


def bindata(*args) -> None:
    """Run the bindata CLI; stop on failure."""
    cmd = [sys.executable, "-m", "bindata", *map(str, args)]
    done = subprocess.run(cmd, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}")


def recorded_events(out: Path) -> Path:
    """The freedesktop sounds as an event library: six classes, files dealt in name order."""
    events = out / "events"
    if not events.exists():
        files = sorted(SOUNDS.glob("*.oga"))
        if not files:
            raise SystemExit(f"no sounds in {SOUNDS}: apt-get install sound-theme-freedesktop")
        for i, path in enumerate(files):
            folder = events / f"rec{i % 6}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / path.name).write_bytes(path.read_bytes())
    return events


def quiet_copy(rooms: Path, out: Path) -> Path:
    """The SOFA rooms of ``rooms`` with every response scaled by :data:`QUIET_GAIN`."""
    if not out.exists():
        out.mkdir(parents=True)
        for path in sorted(rooms.glob("*.sofa")):
            target = out / path.name
            target.write_bytes(path.read_bytes())
            with netCDF4.Dataset(target, "r+") as sofa:
                sofa.variables["Data.IR"][:] = sofa.variables["Data.IR"][:] * QUIET_GAIN
    return out


def prepare(out: Path, levers, *, jobs: int) -> None:
    """Synthesise every missing training and test set (pyroomacoustics' rooms first)."""
    rooms = out / "pra_rooms"
    if not rooms.exists():
        here = Path(__file__).resolve().parent
        done = subprocess.run([sys.executable, str(here / "transfer_rooms.py"), "--out", rooms])
        if done.returncode != 0:
            raise SystemExit("transfer_rooms.py failed")
    fill = {
        "rooms": str(rooms),
        "quiet_rooms": str(quiet_copy(rooms, out / "pra_rooms_quiet")),
        "events": str(recorded_events(out)),
    }
    common = ["--jobs", str(jobs), "--quiet"]
    for name, options in TESTS.items():
        if not (out / name).exists():
            options = [o.format(**fill) for o in options]
            bindata("synth", *TEST, *options, *common, "--out", out / name)
    for lever in levers:
        if not (out / lever).exists():
            bindata("synth", *TRAIN, *LEVERS[lever], *common, "--out", out / lever)


def train_and_test(out: Path, lever: str, seed: int, *, epochs: int) -> Path:
    """The benchmark JSON of one lever and seed (trained, then every test set predicted)."""
    result = out / f"{lever}-seed{seed}.json"
    if result.exists():
        return result
    tests = [*COMMON_TESTS, *(["kemar-diffuse"] if lever == "diffuse" else [])]
    args = ["--data", out / lever, "--runs", out / "runs" / f"{lever}-seed{seed}"]
    args += ["--seed", seed, "--methods", METHOD, "--folds", "1,", "--epochs", epochs]
    for test in tests:
        args += ["--test", out / test]
    bindata("benchmark", *args, "--ci", "jackknife", "--out", result, "--quiet")
    return result


def table(results: dict) -> dict:
    """``{lever: {column: [F1 % per seed]}}``: in-domain and each test set's cell F1 (one list
    of benchmark JSONs per seed; the in-domain figures are the first JSON's)."""
    rows = {}
    for lever, per_seed in results.items():
        columns: dict = {}
        for paths in per_seed:
            reports = [json.loads(Path(path).read_text()) for path in paths]
            for cell in CELLS:
                value = reports[0]["results"][METHOD]["mean"][cell]
                columns.setdefault(f"in-domain {cell}", []).append(100 * value)
            transfer = {root: res for report in reports for root, res in report["transfer"].items()}
            for test_root, per_method in transfer.items():
                for cell in CELLS:
                    value = per_method[METHOD]["cells"][cell]["transfer"]
                    name = Path(test_root).name
                    columns.setdefault(f"{name} {cell}", []).append(100 * value)
        rows[lever] = columns
    return rows


def render(rows: dict) -> str:
    """A markdown table: mean over seeds (and the seeds' values when more than one)."""
    order = ["in-domain", *TESTS]
    columns = sorted(
        {c for cols in rows.values() for c in cols},
        key=lambda c: (order.index(c.rsplit(" ", 1)[0]), CELLS.index(c.rsplit(" ", 1)[1])),
    )
    lines = ["| lever | " + " | ".join(columns) + " |", "| --- " * (len(columns) + 1) + "|"]
    for lever, cols in rows.items():
        cells = []
        for c in columns:
            values = cols.get(c, [])
            text = f"{np.mean(values):.1f}" if values else "-"
            if len(values) > 1:
                text += " (" + "/".join(f"{v:.1f}" for v in values) + ")"
            cells.append(text)
        lines.append(f"| {lever} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="study folder (resumable)")
    parser.add_argument("--levers", nargs="+", default=list(LEVERS), choices=list(LEVERS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--table-only", action="store_true", help="tabulate existing results")
    parser.add_argument("--json", type=Path, help="write the table as JSON")
    args = parser.parse_args(argv)
    results = {}
    if not args.table_only:
        args.out.mkdir(parents=True, exist_ok=True)
        prepare(args.out, args.levers, jobs=args.jobs)
    for lever in args.levers:
        paths = []
        for seed in args.seeds:
            if not args.table_only:
                train_and_test(args.out, lever, seed, epochs=args.epochs)
            # one benchmark JSON per lever and seed, or several (more test sets added later)
            found = sorted(args.out.glob(f"{lever}-seed{seed}*.json"))
            if found:
                paths.append(found)
        if paths:
            results[lever] = paths
    if not results:
        raise SystemExit(f"no results in {args.out}")
    rows = table(results)
    print(render(rows))
    if args.json:
        files = {k: [[str(p) for p in paths] for paths in v] for k, v in results.items()}
        args.json.write_text(json.dumps({"rows": rows, "results": files}, indent=1) + "\n")


if __name__ == "__main__":
    main()
