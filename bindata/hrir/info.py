"""Summaries of HRIR sets for ``bindata hrir info``: convention, rate, taps, shells, coverage."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .calibration import calibrate, diffuse_level_db, fibonacci_sphere, reference_level_db
from .hrirset import HRIRSet
from .loading import load_hrirset
from .registry import is_model
from .sofa_io import load_sofa

#: A point of the sphere counts as covered when a measurement lies within this angle (degrees).
COVERAGE_RADIUS_DEG = 10.0


def coverage(hrirset: HRIRSet, *, n_points: int = 20000) -> dict:
    """How well the far-field shell's directions cover the sphere.

    Returns the fraction of the sphere within :data:`COVERAGE_RADIUS_DEG` of a measured
    direction and the largest angle (degrees) from any point of the sphere to its nearest
    measured direction (estimated on ``n_points`` uniform points).
    """
    shell = hrirset.far_field_shell
    points = fibonacci_sphere(n_points)
    nearest = shell.nearest_index_xyz(points)
    az, el = np.deg2rad(shell.azimuth_deg[nearest]), np.deg2rad(shell.elevation_deg[nearest])
    measured = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=1)
    angle = np.rad2deg(np.arccos(np.clip(np.sum(points * measured, axis=1), -1.0, 1.0)))
    return {
        "fraction_within_deg": float(np.mean(angle <= COVERAGE_RADIUS_DEG)),
        "radius_deg": COVERAGE_RADIUS_DEG,
        "largest_gap_deg": float(angle.max()),
    }


def sofa_convention(path) -> str:
    """``GLOBAL_SOFAConventions`` and version of a SOFA file (after it loaded fine)."""
    import sofar

    sofa = sofar.read_sofa(str(path), verify=False, verbose=False)
    name = str(getattr(sofa, "GLOBAL_SOFAConventions", "?"))
    version = str(getattr(sofa, "GLOBAL_SOFAConventionsVersion", "?"))
    return f"{name} {version}"


def hrir_info(spec: str) -> dict:
    """JSON-able description of the set ``spec`` (a SOFA path or an HRIR model such as
    ``builtin``), at its own rate (a model: at 24 kHz).

    Levels: ``raw_reference_level_db`` and ``raw_diffuse_level_db`` are the stored frontal and
    diffuse-field levels of :mod:`.calibration`, ``calibration_gain_db`` the gain loading
    applies by default (frontal reference).
    """
    model = is_model(spec)
    if model:
        hrirset = load_hrirset(spec, calibration="raw")
        convention = "built-in model" if spec.startswith("builtin") else "HRIR model"
    else:
        hrirset = load_sofa(spec)
        convention = sofa_convention(spec)
    raw_level = reference_level_db(hrirset)
    diffuse_level = diffuse_level_db(hrirset)
    hrirset = calibrate(hrirset)  # as bindata loads it by default
    info = {"file": spec if model else str(Path(spec))}
    info["convention"] = convention
    info.update(hrirset.describe())
    info["raw_reference_level_db"] = round(raw_level, 4)
    info["raw_diffuse_level_db"] = round(diffuse_level, 4)
    info["directions_per_shell"] = [int(s.azimuth_deg.size) for s in hrirset.shells]
    info["coverage"] = coverage(hrirset)
    return info


def format_info(info: dict) -> str:
    """Human-readable lines for :func:`hrir_info`'s result."""
    rate = info["sample_rate"]
    cov = info["coverage"]
    dists = ", ".join(f"{d:g}" for d in info["distances_m"])
    per_shell = sorted(set(info["directions_per_shell"]))
    lines = [
        f"file:         {info['file']}",
        f"name:         {info['name']}",
        f"convention:   {info['convention']}",
        f"sample rate:  {rate} Hz",
        f"taps:         {info['n_taps']} ({1000 * info['n_taps'] / rate:.2f} ms)",
        f"directions:   {'/'.join(map(str, per_shell))} per shell, "
        f"{info['n_measurements']} measurements in all",
        f"distances:    {len(info['distances_m'])} shell(s): {dists} m",
        f"elevation:    {info['elevation_range_deg'][0]:g} to {info['elevation_range_deg'][1]:g} deg",
        f"coverage:     {100 * cov['fraction_within_deg']:.1f} % of the sphere within "
        f"{cov['radius_deg']:g} deg of a measurement; largest gap {cov['largest_gap_deg']:.1f} deg",
        f"head centre:  sample {info['delay_samples']:.2f} ({1000 * info['delay_samples'] / rate:.3f} ms)",
        f"level:        {info['raw_reference_level_db']:+.2f} dB re free field as stored (front, "
        f"250 Hz-2 kHz); calibration gain {info['calibration_gain_db']:+.2f} dB",
        f"diffuse:      {info['raw_diffuse_level_db']:+.2f} dB re free field as stored (all "
        "directions, 250 Hz-2 kHz)",
    ]
    return "\n".join(lines)
