"""Physics of rendered binaural room impulse responses.

T30 against the target RT60 over sampled rooms, direct-path delay (sub-sample) and 1/r level,
the nearest shell for the direct path, the first reflection, interaural time difference signs,
and independence from the memory-bounding chunk sizes.
"""

from __future__ import annotations

import numpy as np
import pytest

from bindata.errors import RenderError
from bindata.geometry import head_to_room, spherical_to_cartesian
from bindata.render import BRIR, ShoeboxRoom, assembly, brir, image_source, render_brir

from .test_render_support import DELAY_SAMPLES, FS, omni_hrirset, pulse, toy_hrirset

C = 343.0


@pytest.fixture(scope="module")
def toy():
    return toy_hrirset()


@pytest.fixture(scope="module")
def omni():
    return omni_hrirset()


@pytest.fixture(scope="module")
def builtin():
    from bindata.hrir import default_hrirset

    return default_hrirset(sample_rate=24000)


def schroeder_t30(x: np.ndarray, fs: int) -> float:
    """T30 of a response: Schroeder backward integration, line fitted from -5 to -35 dB."""
    edc = np.cumsum(x[::-1] ** 2)[::-1]
    level = 10 * np.log10(np.maximum(edc / edc[0], 1e-300))
    i5, i35 = np.argmax(level <= -5), np.argmax(level <= -35)
    t = np.arange(i5, i35) / fs
    return -60.0 / np.polyfit(t, level[i5:i35], 1)[0]


def sample_room(rng):
    """A room of the paper's Table 1, listener and source >= 1 m from every surface."""
    dims = np.array([rng.uniform(6, 10), rng.uniform(6, 10), rng.uniform(2.5, 6)])
    rt60 = rng.uniform(0.3, 0.9)
    listener, source = rng.uniform(1.0, dims - 1.0, size=(2, 3))
    return ShoeboxRoom(tuple(dims), rt60), listener, source, rng.uniform(-180, 180)


def test_t30_matches_target_over_sampled_rooms(toy):
    rng = np.random.default_rng(20240611)
    ratios = []
    for _ in range(6):
        room, listener, source, yaw = sample_room(rng)
        out = render_brir(room, listener_m=listener, yaw_deg=yaw, source_m=source, hrirset=toy)
        ratios.append(schroeder_t30(out.ir[0], FS) / room.rt60_s)
    assert np.all(np.abs(np.array(ratios) - 1.0) < 0.10), ratios


def test_default_set_t30_and_shapes(builtin):
    hs = builtin
    room = ShoeboxRoom((6.0, 6.0, 2.5), 0.6)
    out = render_brir(
        room, listener_m=[4.0, 3.5, 1.2], yaw_deg=30.0, source_m=[2.0, 3.0, 1.5], hrirset=hs
    )
    assert isinstance(out, BRIR) and out.ir.shape[0] == 2 and out.ir.dtype == np.float64
    assert out.sample_rate == 24000
    t60 = room.decay_time_s()
    assert out.ir.shape[1] == pytest.approx(t60 * FS + hs.n_taps, abs=brir.FD_HALF_TAPS + 2)
    assert out.n_images == pytest.approx(4 / 3 * np.pi * (C * t60) ** 3 / 90.0, rel=0.02)
    for ear in range(2):
        assert abs(schroeder_t30(out.ir[ear], FS) / 0.6 - 1.0) < 0.10


def delay_by_phase(x: np.ndarray, fs: int, lo=200.0, hi=6000.0) -> float:
    """Delay (samples) of a linear-phase pulse from the slope of its unwrapped phase."""
    n = 1 << 16
    spec = np.fft.rfft(x, n)
    f = np.fft.rfftfreq(n, 1 / fs)
    band = (f >= lo) & (f <= hi)
    phase = np.unwrap(np.angle(spec[band]))
    return -np.polyfit(2 * np.pi * f[band] / fs, phase, 1)[0]


@pytest.mark.parametrize("distance", [0.45, 0.8137, 1.3, 2.5, 5.0, 7.93])
def test_direct_delay_and_level(omni, distance):
    listener = np.array([3.0, 3.0, 1.7])
    source = head_to_room(spherical_to_cartesian(37.0, 8.0, distance), listener, 15.0)
    room = ShoeboxRoom((14.0, 14.0, 4.0), 0.5)
    out = render_brir(
        room, listener_m=listener, yaw_deg=15.0, source_m=source, hrirset=omni, reflections=False
    )
    expected = distance / C * FS
    assert out.onset_samples == pytest.approx(expected)
    assert out.direct_delay_s == pytest.approx(distance / C)
    assert out.direct_distance_m == pytest.approx(distance)
    assert out.n_images == 1
    for ear in range(2):
        assert abs(delay_by_phase(out.ir[ear], FS) - expected) < 0.005
        # the pulse has unit gain at low frequencies: the level is 1 / r
        spec = np.abs(np.fft.rfft(out.ir[ear], 1 << 14))[10:300]
        np.testing.assert_allclose(spec * distance, 1.0, rtol=0.002)


def test_direct_path_uses_the_nearest_shell(toy):
    """The toy's near shells shadow the far ear more (1 - 2 x 0.45) than the far one (0.5)."""
    listener = np.array([4.0, 4.0, 1.5])
    room = ShoeboxRoom((9.0, 9.0, 3.0), 0.4)
    ild = {}
    for distance in (0.55, 1.1, 2.0, 2.6, 3.5):
        source = head_to_room(spherical_to_cartesian(90.0, 0.0, distance), listener, 0.0)
        out = render_brir(
            room,
            listener_m=listener,
            yaw_deg=0.0,
            source_m=source,
            hrirset=toy,
            reflections=False,
        )
        ild[distance] = 20 * np.log10(np.abs(out.ir[0]).max() / np.abs(out.ir[1]).max())
    near, far = 20 * np.log10(1 / 0.1), 20 * np.log10(1 / 0.5)
    for d in (0.55, 1.1, 2.0):  # nearest shells 0.5, 1.0, 1.5
        assert ild[d] == pytest.approx(near, abs=1.0)
    for d in (2.6, 3.5):  # nearest shell 3.0
        assert ild[d] == pytest.approx(far, abs=1.0)


def test_first_reflection_time_and_level(omni):
    """Floor reflection: arrives at d1 / c, amplitude beta / d1 (omni receiver)."""
    room = ShoeboxRoom((10.0, 10.0, 6.0), 0.5)
    listener, source = np.array([5.0, 5.0, 1.0]), np.array([6.5, 5.5, 1.2])
    out = render_brir(
        room, listener_m=listener, yaw_deg=0.0, source_m=source, hrirset=omni, highpass_hz=None
    )
    d0 = np.linalg.norm(source - listener)
    d1 = np.linalg.norm(source * [1, 1, -1] - listener)  # image in the floor z = 0
    assert d1 < 2 * 1.0 + d0  # next image (ceiling or a wall) is much later
    t1 = d1 / C * FS
    win = out.ir[0, int(t1) - 8 : int(t1) + 9]
    peak = int(t1) - 8 + int(np.argmax(win))
    assert abs(peak - t1) <= 0.5 + 1e-9
    # rounded to the nearest sample: the pulse peak is the (integer-centred) pulse's peak
    assert win.max() == pytest.approx(
        pulse(DELAY_SAMPLES).max() * out.reflection_coefficient / d1, rel=1e-3
    )
    # nothing between the direct sound and the floor reflection
    gap = out.ir[0, int(d0 / C * FS) + 20 : int(t1) - 20]
    assert np.abs(gap).max() < 1e-3 * win.max()


@pytest.mark.parametrize("yaw, left_louder", [(0.0, True), (180.0, False), (90.0, False)])
def test_reflection_comes_from_its_image_direction(toy, yaw, left_louder):
    """The side-wall reflection (image at azimuth +56 deg facing +x) reaches the left ear
    first and louder; facing -x it comes from the right (-124 deg), facing +y from -34 deg."""
    room = ShoeboxRoom((10.0, 10.0, 6.0), 0.4)
    listener, source = np.array([5.0, 8.5, 3.0]), np.array([7.0, 8.5, 3.0])
    out = render_brir(room, listener_m=listener, yaw_deg=yaw, source_m=source, hrirset=toy)
    d1 = np.linalg.norm(source * [1, -1, 1] + [0, 20, 0] - listener)  # image in y = 10
    t1 = int(round(d1 / C * FS))
    win = out.ir[:, t1 - 12 : t1 + 13]  # next reflection: floor/ceiling at 6.3 m
    peaks = np.abs(win).max(axis=1)
    first = np.argmax(np.abs(win) > 0.5 * peaks[:, None], axis=1)
    if left_louder:
        assert peaks[0] > 1.5 * peaks[1] and first[0] < first[1]
    else:
        assert peaks[1] > 1.5 * peaks[0] and first[1] < first[0]


@pytest.mark.parametrize("azimuth", [30.0, 60.0, 90.0, -30.0, -60.0, -90.0])
def test_itd_sign_follows_azimuth(builtin, azimuth):
    """+azimuth = left: the left ear leads (default built-in HRIR set, anechoic)."""
    hs = builtin
    listener, yaw = np.array([3.0, 4.0, 1.6]), -40.0
    source = head_to_room(spherical_to_cartesian(azimuth, 0.0, 1.5), listener, yaw)
    out = render_brir(
        ShoeboxRoom((7.0, 8.0, 3.0), 0.3),
        listener_m=listener,
        yaw_deg=yaw,
        source_m=source,
        hrirset=hs,
        reflections=False,
    )
    left, right = out.ir
    xc = np.correlate(right, left, mode="full")  # peak at lag = arrival(right) - arrival(left)
    lag = int(np.argmax(xc)) - (len(left) - 1)
    assert np.sign(lag) == np.sign(azimuth)
    assert 2 <= abs(lag) <= 20  # a head: up to ~0.7 ms


def test_chunk_sizes_do_not_change_the_result(toy, monkeypatch):
    kw = dict(listener_m=[2.0, 3.0, 1.4], yaw_deg=70.0, source_m=[5.0, 1.5, 2.0], hrirset=toy)
    room = ShoeboxRoom((7.0, 6.0, 3.0), 0.4)
    whole = render_brir(room, **kw).ir
    monkeypatch.setattr(image_source, "DEFAULT_CHUNK", 997)
    monkeypatch.setattr(assembly, "SEGMENT_SAMPLES", 300)
    chunked = render_brir(room, **kw).ir
    np.testing.assert_allclose(chunked, whole, atol=1e-6 * np.abs(whole).max())


def test_refusals(toy):
    room = ShoeboxRoom((5.0, 5.0, 3.0), 0.4)
    kw = dict(yaw_deg=0.0, hrirset=toy)
    with pytest.raises(RenderError, match="inside the room"):
        render_brir(room, listener_m=[1, 1, 1], source_m=[6, 1, 1], **kw)
    with pytest.raises(RenderError, match="from the head centre"):
        render_brir(room, listener_m=[1, 1, 1], source_m=[1, 1, 1], **kw)
    with pytest.raises(RenderError, match="ShoeboxRoom"):
        render_brir((5, 5, 3), listener_m=[1, 1, 1], source_m=[2, 1, 1], **kw)
    with pytest.raises(RenderError, match="speed_of_sound"):
        render_brir(room, listener_m=[1, 1, 1], source_m=[2, 1, 1], speed_of_sound=0, **kw)
