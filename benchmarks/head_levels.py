"""File levels through two heads, same scenes: which HRIR calibration keeps them closest.

Draws ``--n`` scenes of the default configuration (``--rooms``, optionally ``--anechoic``) once
and renders each through the built-in head and through a SOFA set (MIT KEMAR by default, with
near-field shells), both at their stored level (``raw``). A calibration scales a whole set by one
gain, and a mix is linear in the set, so a file's level under any calibration is its raw level
plus that calibration's gain (checked on the first file by a calibrated render). For each
calibration (``reference``: frontal, ``diffuse``: all directions) and band (``--bands``), prints,
over the files, the median, mean and 90th percentile of the absolute level difference and the
median signed difference (SOFA minus built-in), in dB. The ``equalised`` level filters a set
(diffuse-field equalisation to the built-in head), so the SOFA set's files are rendered again
through it (first band only: the band sets the level of the common target, the same gain for
both heads); the built-in head equalised is the built-in head at the frontal reference (checked:
the same responses), so its levels are raw plus that gain. A file's level is the mean square of both
channels of its mix before the 16-bit scaling (which would cut a loud file's level and hide the
difference). The scenes of both heads are the same (one head per run: nothing about the head is
drawn); the script checks that their events agree.

Usage: ``python benchmarks/head_levels.py [--n 40] [--seed 0] [--rooms paper] [--anechoic]
[--sofa FILE] [--bands 250-2000 250-8000 ...] [--duration 15]``. Figures are in docs/hrir.md.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from bindata.hrir.calibration import LEVELS, calibrate, reference_level_db
from bindata.synth import draw_scene, resources_for_config, synth_config
from bindata.synth.mix import mix_scene

KEMAR = "/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa"
BANDS = ("250-2000", "250-4000", "250-8000", "250-11500", "500-4000", "1000-4000")


def level_db(mix: np.ndarray) -> float:
    """Level (dB re full scale) of a float mix: mean square over both channels."""
    return float(10.0 * np.log10(np.mean(mix**2)))


def raw_levels(options: dict, *, seed: int, n: int, calibration: str = "raw", band=None):
    """Level of each file at the HRIR level ``calibration`` (band ``band``), the files' events
    and the set."""
    extra = {} if band is None else {"hrir_band_hz": list(band)}
    cfg = synth_config(options={**options, "hrir_calibration": calibration, **extra})
    hrirset, library, record = resources_for_config(cfg)
    levels, events = [], []
    for index in range(n):
        scene = draw_scene(cfg, seed=seed, index=index, library=library, record=record)
        mix, _ = mix_scene(scene, library=library, hrirset=hrirset)
        levels.append(level_db(mix))
        events.append([e.to_json() for e in scene.events])
    return np.array(levels), events, hrirset


def check_linear(options: dict, *, seed: int, calibration: str, band, raw_level: float, gain):
    """A calibrated render of file 0 has the raw level plus the gain (within 0.01 dB)."""
    cfg = synth_config(
        options={**options, "hrir_calibration": calibration, "hrir_band_hz": list(band)}
    )
    hrirset, library, record = resources_for_config(cfg)
    scene = draw_scene(cfg, seed=seed, index=0, library=library, record=record)
    level = level_db(mix_scene(scene, library=library, hrirset=hrirset)[0])
    return abs(level - (raw_level + gain)) < 0.01


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rooms", default="paper")
    parser.add_argument("--anechoic", action="store_true")
    parser.add_argument("--sofa", default=KEMAR)
    parser.add_argument("--bands", nargs="+", default=list(BANDS))
    parser.add_argument("--duration", type=float, default=15.0)
    args = parser.parse_args(argv)
    base = {
        "n_files": max(args.n, 1),
        "n_folds": 1,
        "rooms": args.rooms,
        "anechoic": args.anechoic,
        "duration_s": args.duration,
        "nearfield": True,
    }
    bands = [tuple(float(f) for f in b.split("-")) for b in args.bands]
    heads = {"builtin": "builtin", "sofa": args.sofa}
    levels, sets = {}, {}
    for name, spec in heads.items():
        levels[name], events, sets[name] = raw_levels(
            {**base, "hrir": spec}, seed=args.seed, n=args.n
        )
        if name == "builtin":
            first = events
        elif events != first:
            print("the two heads drew different scenes", file=sys.stderr)
            return 1
    print(
        f"{args.n} files, seed {args.seed}, rooms {args.rooms}"
        f"{' (anechoic)' if args.anechoic else ''}; built-in vs {args.sofa}"
    )
    d_raw = levels["sofa"] - levels["builtin"]
    print(f"raw levels: median d {np.median(d_raw):+.2f} dB")
    print("calibration  band (Hz)    median|d|  mean|d|  p90|d|  median d (SOFA - built-in), dB")
    for calibration, (level_of, _) in LEVELS.items():
        for band in bands:
            gains = {name: -level_of(s, band) for name, s in sets.items()}
            d = d_raw + gains["sofa"] - gains["builtin"]
            a = np.abs(d)
            print(
                f"{calibration:11s}  {band[0]:>4g}-{band[1]:<6g}  {np.median(a):9.2f}  "
                f"{np.mean(a):7.2f}  {np.percentile(a, 90):6.2f}  {np.median(d):+8.2f}"
            )
    band = bands[0]
    builtin = sets["builtin"]
    if calibrate(builtin, "equalised", band_hz=band).ir.tobytes() != (
        calibrate(builtin, "reference", band_hz=band).ir.tobytes()
    ):
        print("the built-in head equalised is not the built-in head", file=sys.stderr)
        return 1
    equalised, events, _ = raw_levels(
        {**base, "hrir": args.sofa}, seed=args.seed, n=args.n, calibration="equalised", band=band
    )
    if events != first:
        print("the equalised head drew different scenes", file=sys.stderr)
        return 1
    d = equalised - (levels["builtin"] - reference_level_db(builtin, band))
    a = np.abs(d)
    print(
        f"{'equalised':11s}  {band[0]:>4g}-{band[1]:<6g}  {np.median(a):9.2f}  "
        f"{np.mean(a):7.2f}  {np.percentile(a, 90):6.2f}  {np.median(d):+8.2f}"
    )
    for calibration, (level_of, _) in LEVELS.items():
        ok = check_linear(
            {**base, "hrir": args.sofa},
            seed=args.seed,
            calibration=calibration,
            band=band,
            raw_level=levels["sofa"][0],
            gain=-level_of(sets["sofa"], band),
        )
        if not ok:
            print(f"a calibrated render ({calibration}) is not raw + gain", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
