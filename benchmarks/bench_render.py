"""Binaural RIR rendering: bindata against pyroomacoustics' own binaural route, same rooms.

For each RT60 the same shoebox, listener and sources are rendered

* by bindata (:func:`bindata.render.render_brir`: image sources to the -60 dB decay time, direct
  path through the nearest HRIR shell, reflections through the far-field shell), and
* by pyroomacoustics: ``ShoeBox(dims, fs, materials=Material(e_absorption),
  max_order=max_order)`` with ``inverse_sabine(rt60, dims)``, two microphones at the head
  centre whose directivities are the left and right ears of the *same* HRIR set (its far-field
  shell written to a SOFA file by :func:`bindata.hrir.write_sofa`, read back through
  ``MeasuredDirectivityFile(..., interp_order=None)``), ``compute_rir``.

Each (route, RT60) runs in its own child process, which reports the seconds per source (after a
warm-up render for bindata: the one-time per-HRIR-set tables are timed apart), the peak resident
memory of the process (``ru_maxrss``) and the RIR length. pyroomacoustics needs memory in
proportion to its image count (about 13 kB per image with 256-tap HRIRs: 12 GB at RT60 0.6 s,
~40 GB at 0.9 s in a 6 x 6 x 2.5 m room); a run that would not fit in the available memory is
skipped and the issue's reference figure is printed instead, labelled as such.

Usage::

    python benchmarks/bench_render.py                       # RT60 0.3 0.6 0.9, 6 x 6 x 2.5 m
    python benchmarks/bench_render.py --rt60 0.3 --sources 3 --repeats 5
    python benchmarks/bench_render.py --pra-max-rt60 0.6    # never run pra above 0.6 s
    python benchmarks/bench_render.py --materials office     # same, with a preset's materials
    python benchmarks/bench_render.py --rooms office --n-rooms 20   # per-band T30 of a preset

``--materials PRESET`` gives both routes the room of ``PRESET`` with the size ``--room`` and
its materials scaled to each RT60 (mid-frequency target) plus its air (ISO 9613-1 attenuation
handed to pyroomacoustics, :mod:`tests.peers.rooms`); pyroomacoustics' reflection order then
reaches every image bindata renders. ``--rooms PRESET`` draws rooms of a preset and prints, per
octave band, the predicted RT60, bindata's T30 and pyroomacoustics' (image sources, same room,
materials and air, omnidirectional; bindata through an omnidirectional HRIR set for the
comparison), and the largest gap of their energy decay curves (177 Hz - 5.7 kHz) over 200 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# The pyroomacoustics peer lives with the tests (tests/peers/, not in the wheel): the repository
# root must be importable, also when the script runs as `python benchmarks/bench_render.py`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FS = 24000
#: The issue's figures for pyroomacoustics' binaural route (another machine): s per source.
ISSUE_PRA_SECONDS = {0.3: 1.8, 0.6: 4.0, 0.9: 36.0}
ISSUE_PRA_PEAK_GB_09 = 17.5
#: Measured bytes of memory per pyroomacoustics image (256-tap HRIRs), for the skip decision.
PRA_BYTES_PER_IMAGE = 13_000


def scene(dims, n_sources: int, seed: int):
    """Listener (head yaw 0, facing +x) and sources >= 1 m from every surface, seeded."""
    rng = np.random.default_rng(seed)
    dims = np.asarray(dims, dtype=float)
    listener = rng.uniform(1.0, dims - 1.0)
    sources = []
    while len(sources) < n_sources:
        s = rng.uniform(1.0, dims - 1.0)
        if np.linalg.norm(s - listener) >= 0.5:
            sources.append(s)
    return listener, np.array(sources)


def load_set(sofa: str | None):
    from bindata.hrir import default_hrirset, load_sofa

    return default_hrirset(sample_rate=FS) if sofa is None else load_sofa(sofa, sample_rate=FS)


def material_room(args, rt60: float):
    """(description, config) of the ``--materials`` preset's room: size ``--room``, RT60 target."""
    from bindata.config import load_config
    from bindata.rooms import draw_room, load_preset

    preset = dict(load_preset(args.materials))
    x, y, z = args.room
    preset.update(
        name=f"{preset['name']}-rt60-{round(rt60 * 1000)}ms",
        rt60_s=[rt60, rt60],
        size_m={"width": [x, x], "length": [y, y], "height": [z, z]},
    )
    cfg = load_config(overrides={"rooms": preset})
    return draw_room(cfg, np.random.default_rng(args.seed)), cfg


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


# ----------------------------------------------------------------------------- child routes
def child_bindata(args) -> dict:
    from bindata.render import ShoeboxRoom, render_brir
    from bindata.render.shoebox import _shape_constants

    hs = load_set(args.sofa)
    base_mb = peak_mb()
    listener, sources = scene(args.room, args.sources, args.seed)
    if args.materials:
        from bindata.rooms import kind_of
        from bindata.scene.spec import Listener

        desc, cfg = material_room(args, args.rt60)
        pose = Listener(position_m=tuple(listener.tolist()), yaw_deg=0.0)

        def render(src):
            return kind_of(desc).render(
                desc,
                listener=pose,
                source_m=src,
                hrirset=hs,
                render_cfg=cfg.render,
                anechoic=False,
            )
    else:
        room = ShoeboxRoom(tuple(args.room), args.rt60)

        def render(src):
            _shape_constants.cache_clear()  # time the room calibration too (once per room)
            return render_brir(room, listener_m=listener, yaw_deg=0.0, source_m=src, hrirset=hs)

    t0 = time.perf_counter()
    first = render(sources[0])
    setup = time.perf_counter() - t0
    times, lengths, images = [], [], []
    for src in sources:
        per = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = render(src)
            per.append(time.perf_counter() - t0)
        times.append(float(np.median(per)))
        lengths.append(out.ir.shape[1])
        images.append(out.n_images)
    return {
        "seconds_per_source": float(np.mean(times)),
        "first_render_s": setup,
        "peak_mb": peak_mb(),
        "base_mb": base_mb,
        "length": int(np.max(lengths)),
        "images": int(np.mean(images)),
        "beta": None if args.materials else first.reflection_coefficient,
    }


def child_pra(args) -> dict:
    import pyroomacoustics as pra

    from tests.peers.rooms import pyroomacoustics_ears

    hs = load_set(args.sofa)
    t0 = time.perf_counter()
    ears = pyroomacoustics_ears(hs, sample_rate=FS)
    setup = time.perf_counter() - t0
    base_mb = peak_mb()
    listener, sources = scene(args.room, args.sources, args.seed)
    max_order = pra_order(args, args.rt60)
    times, lengths = [], []
    for src in sources:
        t0 = time.perf_counter()
        room = pra_shoebox(args, args.rt60)
        room.add_source(src)
        mics = pra.MicrophoneArray(np.stack([listener, listener], axis=1), FS, directivity=ears)
        room.add_microphone_array(mics)
        room.compute_rir()
        times.append(time.perf_counter() - t0)
        lengths.append(max(len(room.rir[0][0]), len(room.rir[1][0])))
        del room, mics
    return {
        "seconds_per_source": float(np.mean(times)),
        "first_render_s": setup,
        "peak_mb": peak_mb(),
        "base_mb": base_mb,
        "length": int(np.max(lengths)),
        "images": int(pra_image_count(max_order)),
        "max_order": int(max_order),
    }


def pra_order(args, rt60: float) -> int:
    """pyroomacoustics' reflection order for the room of ``rt60`` (flat or ``--materials``)."""
    import pyroomacoustics as pra

    if args.materials:
        return int(pra_shoebox(args, rt60).max_order)
    return int(pra.inverse_sabine(rt60, args.room)[1])


def pra_shoebox(args, rt60: float):
    """The pyroomacoustics room: ``inverse_sabine`` (flat) or the ``--materials`` room."""
    import pyroomacoustics as pra

    if args.materials:
        from tests.peers.rooms import pyroomacoustics_room

        return pyroomacoustics_room(material_room(args, rt60)[0], sample_rate=FS)
    e_absorption, max_order = pra.inverse_sabine(rt60, args.room)
    return pra.ShoeBox(args.room, fs=FS, materials=pra.Material(e_absorption), max_order=max_order)


def pra_image_count(order: int) -> int:
    """Images of a shoebox up to reflection order ``order``: points with |n|_1 <= order."""
    return (2 * order + 1) * (2 * order * order + 2 * order + 3) // 3


def available_mb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("inf")


# ----------------------------------------------------------------------------- parent
def run_child(route: str, rt60: float, args) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        route,
        "--rt60",
        str(rt60),
        "--room",
        *map(str, args.room),
        "--sources",
        str(args.sources),
        "--repeats",
        str(args.repeats if route == "bindata" else 1),
        "--seed",
        str(args.seed),
    ]
    if args.sofa:
        cmd += ["--sofa", args.sofa]
    if args.materials:
        cmd += ["--materials", args.materials]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    if proc.returncode != 0:
        return {
            "error": (proc.stderr.strip().splitlines() or ["killed"])[-1],
            "returncode": proc.returncode,
        }
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pra_skip_reason(rt60: float, args) -> str | None:
    if args.pra_max_rt60 is not None and rt60 > args.pra_max_rt60 + 1e-9:
        return f"--pra-max-rt60 {args.pra_max_rt60}"
    order = pra_order(args, rt60)
    need = pra_image_count(order) * PRA_BYTES_PER_IMAGE / 2**20
    have = available_mb()
    if need > 0.9 * have:
        return f"needs ~{need / 1024:.0f} GB, {have / 1024:.0f} GB available"
    return None


def fmt_len(n: int) -> str:
    return f"{n} ({n / FS:.2f} s)"


def _band_filter(x, fc=None):
    """Octave band at ``fc`` (3rd-order Butterworth), or 177 Hz - 5.7 kHz when ``fc`` is None."""
    from scipy.signal import butter, sosfilt

    edges = [177.0, 5657.0] if fc is None else [fc / 2**0.5, min(fc * 2**0.5, 0.95 * FS / 2)]
    return sosfilt(butter(3 if fc else 4, edges, "bandpass", fs=FS, output="sos"), x, axis=-1)


def _edc_db(x) -> np.ndarray:
    """Schroeder energy decay curve (dB re its start) of (..., n), summed over the ears."""
    e = np.atleast_2d(x) ** 2
    sch = np.cumsum(e.sum(axis=0)[::-1])[::-1]
    return 10 * np.log10(sch / sch[0])


def _t30(edc) -> float:
    """T30 (-5 .. -35 dB linear fit) of a decay curve."""
    i5, i35 = int(np.argmax(edc <= -5)), int(np.argmax(edc <= -35))
    return float(-60.0 / np.polyfit(np.arange(i5, i35) / FS, edc[i5:i35], 1)[0])


def _band_t30(ir, fc) -> float:
    """Schroeder T30 (-5 .. -35 dB, both ears) in the octave band at ``fc``."""
    return _t30(_edc_db(_band_filter(ir, fc)))


def _peer_columns(room, peer_room, kind, cfg, listener, src, bands) -> tuple[list[float], float]:
    """pyroomacoustics' band T30s (its room: ``peer_room``, materials) and the largest EDC gap
    (dB, 5 ms grid, 200 ms) to bindata's omnidirectional render of ``room``, same source."""
    from tests.peers.rooms import omnidirectional_set, pyroomacoustics_rir

    omni = kind.render(
        room,
        listener=listener,
        source_m=src,
        hrirset=omnidirectional_set(FS),
        render_cfg=cfg.render,
        anechoic=False,
    )
    start = int(round(omni.onset_samples))
    ours = omni.ir[0, start - 2 :]
    theirs, direct = pyroomacoustics_rir(
        peer_room, listener_m=list(listener.position_m), source_m=src, sample_rate=FS
    )
    theirs = theirs[direct - 2 : direct + ours.size]
    grid = np.arange(0, int(0.2 * FS), int(0.005 * FS))
    gap = np.max(np.abs(_edc_db(_band_filter(ours))[grid] - _edc_db(_band_filter(theirs))[grid]))
    return [_band_t30(theirs, b) for b in bands], float(gap)


def preset_report(args) -> None:
    """Rooms of a preset: seconds per source BRIR; per band the predicted RT60, bindata's
    binaural T30 and pyroomacoustics' (same room, materials and air, image sources throughout:
    :func:`~bindata.rooms.shoebox.image_source_variant`); their EDC gap. A room's T30 is the
    mean over its sources (ISO 3382-2 spatial average); single sources are counted too."""
    from bindata.config import load_config
    from bindata.rooms import draw_room, kind_of
    from bindata.rooms.shoebox import image_source_variant
    from bindata.scene.spec import Listener
    from tests.peers.rooms import flat_room_as_materials

    cfg = load_config(overrides={"rooms": args.rooms})
    hs = load_set(args.sofa)
    bands = (250, 500, 1000, 2000, 4000)
    counts = {"source": 0, "room": 0, "pyroomacoustics": 0}
    per_band, per_band_room = np.zeros(len(bands)), np.zeros(len(bands))
    gaps = []
    print(
        f"preset {args.rooms}: {args.n_rooms} rooms, {args.sources} far source(s) each; cells: "
        "predicted / bindata / pyroomacoustics (image sources) T30 (s)"
    )
    print(
        f"{'room':>4} | {'s/src':>5} | "
        + " | ".join(f"{b:>5} Hz {'':>10}" for b in bands)
        + " | EDC gap dB"
    )
    for k in range(args.n_rooms):
        rng = np.random.default_rng([args.seed, k])
        room = draw_room(cfg, rng)
        kind = kind_of(room)
        listener = Listener.from_json(kind.sample_listener(room, cfg, rng))
        pred = room.get("rt60_bands_s") or {str(b): room["rt60_s"] for b in bands}
        pred = np.array([pred[str(b)] for b in bands])
        room_meas = []
        for _ in range(args.sources):
            src = kind.sample_source(room, cfg, listener, cfg.sources.far_m, rng)
            t0 = time.perf_counter()
            brir = kind.render(
                room,
                listener=listener,
                source_m=src,
                hrirset=hs,
                render_cfg=cfg.render,
                anechoic=False,
            )
            dt = time.perf_counter() - t0
            meas = np.array([_band_t30(brir.ir, b) for b in bands])
            room_meas.append(meas)
            peer = np.full(len(bands), np.nan)
            gap = float("nan")
            if not args.no_peer:
                c = cfg.render.speed_of_sound
                ism = image_source_variant(room, speed_of_sound=c) if "surfaces" in room else room
                mine = (
                    meas
                    if ism is room
                    else np.array(
                        [
                            _band_t30(
                                kind.render(
                                    ism,
                                    listener=listener,
                                    source_m=src,
                                    hrirset=hs,
                                    render_cfg=cfg.render,
                                    anechoic=False,
                                ).ir,
                                b,
                            )
                            for b in bands
                        ]
                    )
                )
                peer_room = (
                    ism
                    if "surfaces" in ism
                    else flat_room_as_materials(ism, speed_of_sound=c, decay_db=cfg.render.decay_db)
                )
                peer, gap = _peer_columns(ism, peer_room, kind, cfg, listener, src, bands)
                peer = np.asarray(peer)
                gaps.append(gap)
                counts["pyroomacoustics"] += bool(np.all(np.abs(mine / peer - 1) <= 0.1))
            ok = np.abs(meas / pred - 1) <= 0.1
            per_band += ok
            counts["source"] += bool(ok.all())
            cells = " | ".join(
                f"{p:4.2f}/{m:4.2f}/{q:4.2f}" for p, m, q in zip(pred, meas, peer, strict=True)
            )
            print(f"{k:>4} | {dt:5.2f} | {cells} | {gap:5.2f}")
        ok = np.abs(np.mean(room_meas, axis=0) / pred - 1) <= 0.1
        per_band_room += ok
        counts["room"] += bool(ok.all())
    total = args.n_rooms * args.sources

    def line(n, of, band_counts):
        return f"{n}/{of}; per band: " + ", ".join(
            f"{b} Hz {int(c)}/{of}" for b, c in zip(bands, band_counts, strict=True)
        )

    print(
        "sources with every band's T30 within 10 % of the prediction: "
        + line(counts["source"], total, per_band)
    )
    print(
        f"rooms (T30 averaged over their {args.sources} sources) with every band within 10 %: "
        + line(counts["room"], args.n_rooms, per_band_room)
    )
    if gaps:
        print(
            f"sources with every band's image-source T30 within 10 % of pyroomacoustics': "
            f"{counts['pyroomacoustics']}/{total}; EDC gap (177 Hz-5.7 kHz, 200 ms) "
            f"median {np.median(gaps):.2f} dB, max {np.max(gaps):.2f} dB, "
            f"<= 1 dB in {sum(g <= 1.0 for g in gaps)}/{len(gaps)}"
        )


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rt60", type=float, nargs="+", default=[0.3, 0.6, 0.9])
    p.add_argument("--room", type=float, nargs=3, default=[6.0, 6.0, 2.5])
    p.add_argument("--sources", type=int, default=2, help="sources per room (timed each)")
    p.add_argument("--repeats", type=int, default=3, help="bindata renders per source (median)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--sofa", default=None, help="HRIR SOFA file (default: built-in set)")
    p.add_argument(
        "--pra-max-rt60",
        "--skip-pra-above",
        dest="pra_max_rt60",
        type=float,
        default=None,
        help="do not run pyroomacoustics above this RT60",
    )
    p.add_argument("--materials", help="room preset whose materials and air both routes use")
    p.add_argument("--rooms", help="room preset (bindata rooms list): time and check its rooms")
    p.add_argument("--n-rooms", type=int, default=4, help="rooms drawn from --rooms [4]")
    p.add_argument(
        "--no-peer",
        action="store_true",
        help="with --rooms: skip the pyroomacoustics columns (faster)",
    )
    p.add_argument("--child", choices=["bindata", "pra"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rooms:
        preset_report(args)
        return
    if args.child:
        args.rt60 = args.rt60[0]
        out = (child_bindata if args.child == "bindata" else child_pra)(args)
        print(json.dumps(out))
        return
    hs = load_set(args.sofa)
    print(
        f"HRIR set: {hs.name}: {hs.describe()['n_measurements']} measurements, "
        f"{len(hs.shells)} shells, far field {hs.far_field_shell.azimuth_deg.size} directions, "
        f"{hs.n_taps} taps at {hs.sample_rate} Hz"
    )
    print(
        f"room {args.room} m, {args.sources} source(s), seed {args.seed}, "
        f"CPU cores {os.cpu_count()}\n"
    )
    head = (
        f"{'RT60':>5} | {'bindata s/src':>13} | {'pra s/src':>15} | {'speed ratio':>11} | "
        f"{'bindata peak MB':>15} | {'pra peak MB':>11} | {'bindata RIR':>16} | "
        f"{'pra RIR':>16}"
    )
    print(head)
    print("-" * len(head))
    notes = []
    pra_us_per_image = None  # from the largest pyroomacoustics run measured here
    for rt60 in args.rt60:
        ours = run_child("bindata", rt60, args)
        reason = pra_skip_reason(rt60, args)
        peer = {"skipped": reason} if reason else run_child("pra", rt60, args)
        if "error" in ours:
            print(f"{rt60:5.2f} | bindata failed: {ours['error']}")
            continue
        ours_s = ours["seconds_per_source"]
        if "seconds_per_source" in peer:
            pra_s, ratio = f"{peer['seconds_per_source']:.2f}", peer["seconds_per_source"] / ours_s
            pra_mb, pra_len = f"{peer['peak_mb']:.0f}", fmt_len(peer["length"])
            ratio_s = f"{ratio:.0f}x"
            pra_us_per_image = 1e6 * peer["seconds_per_source"] / peer["images"]
        else:
            ref = ISSUE_PRA_SECONDS.get(round(rt60, 2))
            why = peer.get("skipped") or peer.get("error")
            notes.append(f"RT60 {rt60}: pyroomacoustics not run ({why})")
            pra_s = f"{ref:.1f} reference" if ref else "not run"
            ratio_s = f"({ref / ours_s:.0f}x ref)" if ref else "-"
            if pra_us_per_image is not None:
                est = pra_us_per_image * 1e-6 * pra_image_count(pra_order(args, rt60))
                notes.append(
                    f"RT60 {rt60}: pyroomacoustics EXTRAPOLATED (not measured) from its "
                    f"{pra_us_per_image:.0f} us/image here: ~{est:.0f} s per source, "
                    f"~{est / ours_s:.0f}x bindata"
                )
            pra_mb = f"{ISSUE_PRA_PEAK_GB_09 * 1024:.0f} ref" if round(rt60, 2) == 0.9 else "-"
            pra_len = "-"
        print(
            f"{rt60:5.2f} | {ours_s:13.3f} | {pra_s:>15} | {ratio_s:>11} | "
            f"{ours['peak_mb']:15.0f} | {pra_mb:>11} | {fmt_len(ours['length']):>16} | "
            f"{pra_len:>16}"
        )
        notes.append(
            f"RT60 {rt60}: bindata {ours['images']} images"
            + (f", beta {ours['beta']:.4f}" if ours["beta"] is not None else "")
            + ", first render "
            f"(incl. one-time tables) {ours['first_render_s']:.2f} s, process base "
            f"{ours['base_mb']:.0f} MB"
            + (
                f"; pra max_order {peer['max_order']} ({peer['images']} images), directivity "
                f"setup {peer['first_render_s']:.1f} s, base {peer['base_mb']:.0f} MB"
                if "max_order" in peer
                else ""
            )
        )
    print()
    print("\n".join(notes))
    print(
        "\n'reference' = the issue's figure for pyroomacoustics on another machine "
        "(1.8 / 4 / 36 s per source at RT60 0.3 / 0.6 / 0.9 s, 17.5 GB at 0.9 s); "
        "a ratio against it is shown in parentheses and is not a same-machine measurement."
    )


if __name__ == "__main__":
    main()
