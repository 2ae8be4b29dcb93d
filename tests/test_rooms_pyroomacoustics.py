"""Material rooms beside pyroomacoustics' image-source engine (same room, materials and air).

bindata renders through an omnidirectional "HRIR set" (a unit impulse for every direction and
both ears), so that the two renderings differ only by their room models; both are cut at the
description's ``decay_time_s`` (bindata renders no image arriving later); the air attenuation
handed to pyroomacoustics is the room's ISO 9613-1 one (:mod:`tests.peers.rooms`). Compared:
T30 (Schroeder, -5 to -35 dB) in every octave band 250 Hz - 4 kHz within 10 %, and the energy
decay curve of the band 177 Hz - 5.7 kHz (250 Hz - 4 kHz octaves), each normalised to its own
energy from the direct arrival on, within 1 dB every 5 ms over the first 200 ms (sampled on a
grid: a reflection landing one sample apart in the two renderers is a step in both curves).
Rooms: seeds 101-104 of four presets; the frequency-flat ``paper`` room goes to
pyroomacoustics as six surfaces absorbing ``1 - beta**2`` in every band.
"""

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from bindata.config import load_config
from bindata.rooms import draw_room, kind_of
from bindata.rooms.shoebox import image_source_variant
from bindata.scene.spec import Listener
from tests.peers.rooms import flat_room_as_materials, omnidirectional_set, pyroomacoustics_rir

pytest.importorskip("pyroomacoustics")

FS = 24000
BANDS_HZ = (250, 500, 1000, 2000, 4000)


def _octave(x, fc):
    sos = butter(3, [fc / 2**0.5, fc * 2**0.5], "bandpass", fs=FS, output="sos")
    return sosfilt(sos, x)


def _edc_db(x):
    e = np.cumsum((x**2)[::-1])[::-1]
    return 10 * np.log10(e / e[0])


def _t30(edc):
    i5, i35 = int(np.argmax(edc <= -5)), int(np.argmax(edc <= -35))
    return float(-60.0 / np.polyfit(np.arange(i5, i35) / FS, edc[i5:i35], 1)[0])


def _pair(preset: str, seed: int):
    cfg = load_config(overrides={"rooms": preset})
    rng = np.random.default_rng(seed)
    room = draw_room(cfg, rng)
    kind = kind_of(room)
    # image sources throughout, as pyroomacoustics' engine (the presets' diffuse tail dropped)
    room = image_source_variant(room, speed_of_sound=cfg.render.speed_of_sound)
    listener = Listener.from_json(kind.sample_listener(room, cfg, rng))
    source = kind.sample_source(room, cfg, listener, cfg.sources.far_m, rng)
    ours = kind.render(
        room,
        listener=listener,
        source_m=source,
        hrirset=omnidirectional_set(FS),
        render_cfg=cfg.render,
        anechoic=False,
    )
    start = int(round(ours.onset_samples))
    a = ours.ir[0]
    c, decay_db = cfg.render.speed_of_sound, cfg.render.decay_db
    peer = (
        room
        if "surfaces" in room
        else flat_room_as_materials(room, speed_of_sound=c, decay_db=decay_db)
    )
    theirs, direct = pyroomacoustics_rir(
        peer, listener_m=list(listener.position_m), source_m=source, sample_rate=FS
    )
    n = a.size - start
    return room, a[start - 2 :], theirs[direct - 2 : direct - 2 + n + 2]


@pytest.mark.parametrize(
    ("preset", "seed"),
    [
        ("office", 101),
        ("classroom", 102),
        ("living-room", 103),
        ("paper", 104),
        ("treated-room", 105),
    ],
)
def test_band_decays_match_pyroomacoustics(preset, seed):
    room, ours, theirs = _pair(preset, seed)
    for fc in BANDS_HZ:
        a, b = _edc_db(_octave(ours, fc)), _edc_db(_octave(theirs, fc))
        assert _t30(a) == pytest.approx(_t30(b), rel=0.10), (preset, fc)
    sos = butter(4, [177.0, 5657.0], "bandpass", fs=FS, output="sos")
    a, b = (_edc_db(sosfilt(sos, x)) for x in (ours, theirs))
    grid = np.arange(0, int(0.2 * FS), int(0.005 * FS))
    assert np.max(np.abs(a[grid] - b[grid])) <= 1.0, preset
    assert a[grid[-1]] < -10.0  # the 200 ms do reach into the decay
