"""The same shoebox room in pyroomacoustics' image-source engine, for side-by-side checks.

:func:`pyroomacoustics_room` builds a :class:`pyroomacoustics.ShoeBox` from a ``shoebox``
room description with materials (:mod:`bindata.rooms.shoebox`): the six surfaces' octave-band
energy absorption as :class:`pyroomacoustics.Material`, the room's ISO 9613-1 air attenuation
per band handed over as pyroomacoustics' air coefficients (energy per metre, ``alpha ln(10) /
10``; its own table, used when none is given, is lower by 40 % at 4 kHz and 45 % at 8 kHz for
20 degC and 50 % humidity, which alone moves the 4 kHz decay by up to 10 %), image sources only (no ray tracing, no
randomised image positions) and a reflection order that reaches every image bindata renders:
``ceil(c T / min(L)) + 1`` for the description's ``decay_time_s`` ``T`` (an image at distance
``d`` has at most ``d / min(L)`` reflections).

Surface names: bindata ``floor``/``ceiling``/``wall_x0``/``wall_x1``/``wall_y0``/``wall_y1``
are pyroomacoustics' ``floor``/``ceiling``/``west``/``east``/``south``/``north``.
pyroomacoustics is an optional dependency (the ``test`` extra): imported when called.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np

from bindata.hrir import HRIRSet, direction_grid, write_sofa
from bindata.render.shoebox import ShoeboxRoom
from bindata.rooms.acoustics import OCTAVE_BANDS_HZ, SURFACES
from bindata.rooms.air import energy_attenuation_per_m

#: bindata surface -> pyroomacoustics wall name.
PYROOMACOUSTICS_WALLS = {
    "floor": "floor",
    "ceiling": "ceiling",
    "wall_x0": "west",
    "wall_x1": "east",
    "wall_y0": "south",
    "wall_y1": "north",
}


def pyroomacoustics_room(description: dict, *, sample_rate: int, speed_of_sound: float = 343.0):
    """A ``pyroomacoustics.ShoeBox`` with the description's materials, air and size.

    Parameters
    ----------
    description : dict
        A ``shoebox`` room description with ``surfaces`` (a frequency-flat room has no
        materials to hand over).
    sample_rate : int
        Hz.
    speed_of_sound : float
        m/s; sets the reflection order (pyroomacoustics derives its own speed of sound from the
        temperature when air absorption is on).
    """
    import pyroomacoustics as pra

    if "surfaces" not in description:
        raise ValueError("pyroomacoustics_room needs a room description with surfaces")
    bands = [float(b) for b in description["bands_hz"]]
    materials = {
        PYROOMACOUSTICS_WALLS[s]: pra.Material(
            {"coeffs": list(description["surfaces"][s]["absorption"]), "center_freqs": bands}
        )
        for s in SURFACES
    }
    air = description.get("air")
    dims = [float(v) for v in description["dimensions_m"]]
    order = int(math.ceil(speed_of_sound * float(description["decay_time_s"]) / min(dims))) + 1
    room = pra.ShoeBox(
        dims,
        fs=int(sample_rate),
        materials=materials,
        max_order=order,
        ray_tracing=False,
        use_rand_ism=False,
        air_absorption=False,
        temperature=float(air["temperature_c"]) if air else None,
        humidity=float(air["humidity_pct"]) if air else None,
    )
    if air:
        per_m = energy_attenuation_per_m(np.asarray(air["attenuation_db_per_m"], dtype=float))
        room.set_air_absorption(coefficients=per_m.tolist(), center_freqs=bands)
    return room


def flat_room_as_materials(
    description: dict, *, speed_of_sound: float = 343.0, decay_db: float = 60.0
) -> dict:
    """A frequency-flat room (one calibrated reflection coefficient ``beta``, Table 1) as the
    materials description :func:`pyroomacoustics_room` takes: every surface absorbs the energy
    ``1 - beta**2`` in every octave band, no air, rendered as long as bindata renders it."""
    room = ShoeboxRoom(tuple(description["dimensions_m"]), float(description["rt60_s"]))
    beta = room.reflection_coefficient(speed_of_sound=speed_of_sound)
    absorption = [1.0 - beta**2] * len(OCTAVE_BANDS_HZ)
    length_s = room.decay_time_s(decay_db=decay_db, speed_of_sound=speed_of_sound)
    return {
        "dimensions_m": list(room.dimensions_m),
        "bands_hz": list(OCTAVE_BANDS_HZ),
        "surfaces": {s: {"absorption": absorption} for s in SURFACES},
        "air": None,
        "decay_time_s": length_s,
    }


def omnidirectional_set(sample_rate: int, *, delay_samples: int = 8):
    """An "HRIR set" that is a unit impulse for every direction and both ears.

    Rendered through it, a bindata BRIR is two copies of the room's omnidirectional impulse
    response at the head centre, comparable with a peer's single microphone there.
    """
    az, el = direction_grid(15.0)
    ir = np.zeros((az.size, 2, 4 * delay_samples))
    ir[:, :, delay_samples] = 1.0
    return HRIRSet(
        az,
        el,
        np.full(az.size, 1.5),
        ir,
        int(sample_rate),
        delay_samples=float(delay_samples),
        name="omnidirectional",
    )


def pyroomacoustics_rir(
    description: dict, *, listener_m, source_m, sample_rate: int, speed_of_sound: float = 343.0
) -> tuple[np.ndarray, int]:
    """Omnidirectional RIR (n,) from pyroomacoustics, and the sample of its direct arrival."""
    room = pyroomacoustics_room(description, sample_rate=sample_rate, speed_of_sound=speed_of_sound)
    room.add_source(np.asarray(source_m, dtype=float))
    room.add_microphone(np.asarray(listener_m, dtype=float))
    room.compute_rir()
    rir = np.asarray(room.rir[0][0], dtype=float)
    distance = float(np.linalg.norm(np.asarray(source_m) - np.asarray(listener_m)))
    expected = int(round(distance / room.c * sample_rate))
    window = rir[: expected + 200]  # the direct sound, behind pyroomacoustics' delay filter
    return rir, int(np.argmax(np.abs(window)))


def pyroomacoustics_ears(hrirset: HRIRSet, *, sample_rate: int) -> list:
    """The left and right ears of ``hrirset`` as pyroomacoustics microphone directivities.

    The set's far-field shell is written to a SOFA file and read back through
    ``pyroomacoustics.directivities.MeasuredDirectivityFile(..., interp_order=None)`` (nearest
    measured direction per image source), the head facing +x. Use the two directivities on two
    microphones at the head centre: pyroomacoustics then renders the binaural response by its
    own route (each image source's HRIR, scaled by its ``1 / (4 pi r)`` and wall gains).
    """
    from pyroomacoustics.directivities import MeasuredDirectivityFile, Rotation3D

    far = hrirset.far_field_shell

    def read(path, fs=None):
        az, el = np.radians(far.azimuth_deg), np.radians(far.elevation_deg)
        source_locs = np.stack([az, np.pi / 2 - el, np.full(az.shape, far.distance_m)])
        mic_locs = np.array([[0.0, 0.0875, 0.0], [0.0, -0.0875, 0.0]]).T
        return far.ir, hrirset.sample_rate, source_locs, mic_locs, None, ["left", "right"]

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "far_field.sofa"
        n = far.azimuth_deg.size
        far_set = HRIRSet(
            far.azimuth_deg,
            far.elevation_deg,
            np.full(n, far.distance_m),
            far.ir,
            hrirset.sample_rate,
            delay_samples=hrirset.delay_samples,
            name="far",
        )
        write_sofa(far_set, path)
        hrtf = MeasuredDirectivityFile(
            path, fs=sample_rate, interp_order=None, file_reader_callback=read
        )
        facing = Rotation3D([0.0], "z", degrees=True)
        return [hrtf.get_mic_directivity(ear, orientation=facing) for ear in ("left", "right")]


__all__ = [
    "PYROOMACOUSTICS_WALLS",
    "pyroomacoustics_ears",
    "flat_room_as_materials",
    "omnidirectional_set",
    "pyroomacoustics_room",
    "pyroomacoustics_rir",
]
