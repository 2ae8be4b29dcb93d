"""Peak memory of a synth run with three heads loaded, beside the same run with one head.

Writes a third head (the built-in sphere model on its full grid and 15 shells, as SOFA) to a
temporary folder, then synthesizes ``--n`` files (``--jobs 1``, in a fresh process each) with

- one head: ``--hrir builtin`` (the default);
- three heads: ``--hrir builtin --hrir MIT_KEMAR.sofa --hrir sphere.sofa --nearfield``
  (every head drawn, so all three are loaded at the end: checked);

and prints each process's peak resident set size (``ru_maxrss``) and the bytes of the loaded
heads' responses. Target (issue 24): <= 1 GB with three heads.

Usage: ``python benchmarks/head_memory.py [--n 12]``. Figures are in docs/hrir.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import bindata
from bindata.hrir import build_model_hrirset, write_sofa
from bindata.synth.heads import loaded_heads

KEMAR = "/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa"


def child(out: str, n: int, heads: list[str]) -> None:
    """Synthesize in this process; print the peak RSS and the loaded heads as JSON."""
    options = {"n_files": n, "n_folds": 1, "hrir": heads if len(heads) > 1 else heads[0]}
    if len(heads) > 1:
        options["nearfield"] = True
    bindata.synthesize(out, seed=0, progress=False, **options)
    loaded = loaded_heads()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_mib": peak_kib / 1024, "loaded": loaded}))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=12)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.n, args.child[1:])
        return 0
    with tempfile.TemporaryDirectory(prefix="head_memory_") as tmp:
        sphere = Path(tmp) / "sphere.sofa"
        write_sofa(build_model_hrirset(model="sphere"), sphere)
        runs = {"one head": ["builtin"], "three heads": ["builtin", KEMAR, str(sphere)]}
        for i, (name, heads) in enumerate(runs.items()):
            out = str(Path(tmp) / f"ds{i}")
            done = subprocess.run(
                [sys.executable, __file__, "--n", str(args.n), "--child", out, *heads],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return 1
            result = json.loads(done.stdout.strip().splitlines()[-1])
            mib = sum(b for _, b in result["loaded"]) / 2**20
            print(
                f"{name:12s} peak RSS {result['peak_mib']:7.1f} MiB; {len(result['loaded'])} "
                f"head(s) loaded, responses {mib:.1f} MiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
