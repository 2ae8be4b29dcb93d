"""Rooms from another renderer, written as SOFA: a test set bindata's simulator never made.

The transfer benchmark (``bindata benchmark --data A --test B``, docs/transfer.md) asks how a
model trained on bindata's rooms fares on rooms it never saw. This script renders such rooms with
pyroomacoustics' own binaural route (image sources; each image's HRIR taken from a measured set,
MIT KEMAR by default, through ``MeasuredDirectivityFile``: :func:`tests.peers.rooms.
pyroomacoustics_ears`) and writes each room as a ``SingleRoomMIMOSRIR`` file
(:func:`bindata.synth.brirs.write_brir_sofa`), which ``bindata synth --rooms FOLDER`` renders
scenes through like any measured room, at the true level (``--room-level reference``) or as
stored (``raw``).

The rooms are chosen to be less reverberant at the same distance than bindata's paper preset, as
the real rooms of issue 24 are (critical distances of 1.5-3 m: a direct-to-reverberant ratio of
about +10 dB at 1 m and 0 dB at 3 m): shoeboxes of 330-550 m^3 with a mid-frequency RT60 of
0.25-0.5 s (Sabine absorption from ``pyroomacoustics.inverse_sabine``, one material for all
walls). The emitters lie around the listener (head facing +x, ear height 1.6 m) in eight
azimuths (22.5 + 45 k degrees, every octant of the horizontal plane), two elevations (+-30 degrees
near, +-15 degrees far, so that the far emitters stay inside the room) and four distances, two
in each distance band of the default configuration (near 0.4-2 m: 0.8, 1.6 m; far 3-8 m: 3.3,
4.2 m). pyroomacoustics has no near-field HRIRs: every emitter is rendered through the measured
set's one distance, as a measured room with a dummy head would hold only that head's response.

pyroomacoustics' fractional-delay filter delays its responses by ``frac_delay_length // 2``
samples; they are trimmed so that sample 0 is the emission time, as the file's ``Data.Delay`` 0
states.

Usage::

    python benchmarks/transfer_rooms.py --out rooms/        # three rooms, ~64 emitters each
    bindata synth --n 100 --overlap 1 --rooms rooms/ --out test-pra

Requires pyroomacoustics (the ``test`` extra) and a measured HRIR set (``--sofa``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

# The pyroomacoustics peer lives with the tests (tests/peers/, not in the wheel): the repository
# root must be importable, also when the script runs as `python benchmarks/transfer_rooms.py`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bindata.hrir import load_sofa  # noqa: E402
from bindata.synth.brirs import write_brir_sofa  # noqa: E402
from tests.peers.rooms import pyroomacoustics_ears  # noqa: E402

KEMAR = "/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa"
SAMPLE_RATE = 24000
#: (name, size in metres, mid-frequency RT60 in seconds, listener position in metres).
ROOMS = (
    ("pra-seminar", (12.0, 10.0, 3.2), 0.35, (5.5, 4.8, 1.6)),
    ("pra-studio", (11.0, 10.0, 3.0), 0.25, (5.2, 5.3, 1.6)),
    ("pra-hall", (14.0, 11.0, 3.6), 0.5, (6.6, 5.2, 1.6)),
)
AZIMUTHS_DEG = 22.5 + 45.0 * np.arange(8)
#: Distance (m) -> the two elevations (degrees) used at it.
DISTANCES = {0.8: (30.0, -30.0), 1.6: (30.0, -30.0), 3.3: (15.0, -15.0), 4.2: (15.0, -15.0)}


def emitters(listener) -> np.ndarray:
    """Emitter positions (E, 3) around ``listener``: every azimuth, distance and elevation."""
    points = []
    for distance, elevations in DISTANCES.items():
        for el in np.radians(elevations):
            for az in np.radians(AZIMUTHS_DEG):
                direction = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
                points.append(np.asarray(listener) + distance * direction)
    return np.array(points)


def render_room(size, rt60, listener, ears, *, chunk: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """pyroomacoustics' binaural responses (E, 2, N) of one room, sample 0 = emission."""
    import pyroomacoustics as pra

    positions = emitters(listener)
    if np.any(positions < 0.3) or np.any(positions > np.asarray(size) - 0.3):
        raise SystemExit(f"an emitter lies within 0.3 m of a wall of the {size} m room")
    absorption, max_order = pra.inverse_sabine(rt60, size)
    trim = pra.constants.get("frac_delay_length") // 2
    responses = []
    for start in range(0, len(positions), chunk):
        room = pra.ShoeBox(
            size,
            fs=SAMPLE_RATE,
            materials=pra.Material(absorption),
            max_order=max_order,
            air_absorption=False,
        )
        for position in positions[start : start + chunk]:
            room.add_source(position)
        mics = np.stack([listener, listener], axis=1).astype(float)
        room.add_microphone_array(pra.MicrophoneArray(mics, SAMPLE_RATE, directivity=ears))
        room.compute_rir()
        for k in range(len(room.sources)):
            responses.append([np.asarray(room.rir[ear][k], dtype=float)[trim:] for ear in (0, 1)])
        del room
    n = max(len(ear) for pair in responses for ear in pair)
    ir = np.zeros((len(responses), 2, n))
    for e, pair in enumerate(responses):
        for ear, x in enumerate(pair):
            ir[e, ear, : len(x)] = x
    return ir, positions


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder of the SOFA rooms")
    parser.add_argument("--sofa", default=KEMAR, help="measured HRIR set [MIT KEMAR]")
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        raise SystemExit(f"--out {args.out} exists and is not empty; choose another folder")
    args.out.mkdir(parents=True, exist_ok=True)
    ears = pyroomacoustics_ears(
        load_sofa(args.sofa, sample_rate=SAMPLE_RATE), sample_rate=SAMPLE_RATE
    )
    for name, size, rt60, listener in ROOMS:
        t0 = time.perf_counter()
        ir, positions = render_room(size, rt60, listener, ears)
        write_brir_sofa(
            args.out / f"{name}.sofa",
            ir=ir,
            sample_rate=SAMPLE_RATE,
            listener_m=np.asarray(listener),
            yaw_deg=0.0,
            emitters_m=positions,
            title=f"{name}: pyroomacoustics image sources through {Path(args.sofa).name}",
            room_description=f"shoebox {size} m, RT60 {rt60} s (Sabine, pyroomacoustics)",
            dimensions_m=size,
        )
        print(
            f"{name}: {ir.shape[0]} emitters, {ir.shape[2] / SAMPLE_RATE:.2f} s responses, "
            f"{time.perf_counter() - t0:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
