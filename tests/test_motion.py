"""Moving sources and a turning head: trajectories, labels and time-varying rendering (physics)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, oaconvolve, sosfilt

from bindata.errors import SceneError
from bindata.hrir import load_hrirset
from bindata.render import ShoeboxRoom, render_brir
from bindata.render.moving import block_hop_samples, convolve_time_varying, render_moving
from bindata.scene.motion import (
    draw_arc,
    draw_head_track,
    head_yaw_deg,
    path_problem,
    relative_speed_deg_s,
    relative_track,
    source_positions,
)

FS = 24000
ROOM = ShoeboxRoom((8.0, 6.0, 3.0), 0.5)
LISTENER = np.array([4.0, 3.0, 1.5])
HEAD_RADIUS_M, C = 0.0875, 343.0


@pytest.fixture(scope="module")
def hrirset():
    return load_hrirset(None, sample_rate=FS)


def _anechoic(hrirset, source_m, yaw_deg):
    return render_brir(
        ROOM,
        listener_m=LISTENER,
        yaw_deg=yaw_deg,
        source_m=source_m,
        hrirset=hrirset,
        reflections=False,
    ).ir


def _moving_render(hrirset, dry, path, head, hop):
    def brir_at(t):
        pos = source_positions(path, t)[0]
        return _anechoic(hrirset, pos, float(head_yaw_deg(head, t)[0]))

    return render_moving(
        dry, brir_at, sample_rate=FS, hop=hop, early_s=np.inf, direct_onset_samples=0.0
    )


def _frame_itd_s(ears, frame):
    """ITD per frame: lag of the peak of the interaural cross-correlation (< 1 ms)."""
    max_lag = int(0.001 * FS)
    itds = []
    for start in range(0, ears.shape[1] - frame, frame):
        left, right = ears[0, start : start + frame], ears[1, start : start + frame]
        xc = np.correlate(left, right, mode="full")[frame - 1 - max_lag : frame + max_lag]
        itds.append((np.argmax(xc) - max_lag) / FS)  # > 0: left lags, source on the right
    return np.array(itds)


def test_arc_keeps_distance_and_elevation():
    path = {
        "kind": "arc",
        "center_m": list(LISTENER),
        "start_m": [6.0, 3.0, 2.0],
        "angular_speed_deg_s": 30.0,
    }
    track = relative_track(
        path,
        {"kind": "static", "yaw_deg": 0.0},
        listener_m=LISTENER,
        onset_s=1.0,
        times_s=np.arange(1.0, 4.0, 0.1),
    )
    np.testing.assert_allclose(track[:, 2], np.hypot(2.0, 0.5))
    np.testing.assert_allclose(track[:, 1], np.rad2deg(np.arctan2(0.5, 2.0)))
    np.testing.assert_allclose(np.diff(np.unwrap(np.deg2rad(track[:, 0]))), np.deg2rad(3.0))


def test_itd_follows_an_arc(hrirset):
    """Frame ITDs from the audio follow the spherical-head ITD of the labelled azimuth."""
    rng = np.random.default_rng(0)
    dry = sosfilt(butter(4, 1500, fs=FS, output="sos"), rng.standard_normal(6 * FS))
    path = {
        "kind": "arc",
        "center_m": list(LISTENER),
        "start_m": [5.5, 3.0, 1.5],
        "angular_speed_deg_s": 60.0,
    }
    head = {"kind": "static", "yaw_deg": 0.0}
    hop = block_hop_samples(60.0, FS)
    ears = _moving_render(hrirset, dry, path, head, hop)
    frame = int(0.1 * FS)
    itd = _frame_itd_s(ears, frame)
    centres = (np.arange(itd.size) + 0.5) * 0.1
    az = relative_track(path, head, listener_m=LISTENER, onset_s=0.0, times_s=centres)[:, 0]
    lateral = np.deg2rad(np.rad2deg(np.arcsin(np.sin(np.deg2rad(az)))))  # fold front/back
    woodworth = -HEAD_RADIUS_M / C * (lateral + np.sin(lateral))  # < 0: source left (az > 0)
    side = np.abs(az) > 20.0
    side &= np.abs(np.abs(az) - 180.0) > 20.0
    agree = np.sign(itd[side]) == np.sign(woodworth[side])
    assert agree.mean() >= 0.95, agree.mean()
    assert np.corrcoef(itd, woodworth)[0, 1] >= 0.95


def test_turning_head_equals_mirrored_path(hrirset):
    """A still source heard by a head turning at +w = a still head, source moving at -w."""
    dry = np.random.default_rng(1).standard_normal(2 * FS)
    # off the HRIR grid, so that no block falls on an exact tie of two nearest directions
    source = LISTENER + 1.5 * np.array([np.cos(0.0646), np.sin(0.0646), 0.0367])
    turning = {"kind": "keyframes", "times_s": [0.0, 2.0], "yaw_deg": [0.0, 60.0]}
    static_src = {"kind": "static", "position_m": list(source)}
    mirrored = {
        "kind": "arc",
        "center_m": list(LISTENER),
        "start_m": list(source),
        "angular_speed_deg_s": -30.0,
    }
    still = {"kind": "static", "yaw_deg": 0.0}
    hop = block_hop_samples(30.0, FS)
    a = _moving_render(hrirset, dry, static_src, turning, hop)
    b = _moving_render(hrirset, dry, mirrored, still, hop)
    err = np.sqrt(np.mean((a - b) ** 2) / np.mean(a**2))
    assert err < 1e-6  # the same head-relative directions in every block: equal to rounding


def test_constant_filter_equals_static_convolution(hrirset):
    dry = np.random.default_rng(2).standard_normal(FS)
    ir = _anechoic(hrirset, LISTENER + np.array([0.0, 2.0, 0.0]), 0.0)
    hop = 300
    k = np.arange(0, dry.size + hop, hop).size
    out = convolve_time_varying(dry, np.repeat(ir[None], k, axis=0), hop)
    np.testing.assert_allclose(out, oaconvolve(dry[None, :], ir, axes=1), atol=1e-10)


def test_no_clicks_at_block_joins(hrirset):
    """High-frequency energy shows no peaks at block boundaries (vs a static render).

    A 500 Hz tone has no energy above 8 kHz; a click at a join would. The high-passed energy,
    folded by position within the block, must stay flat (peak < 3x median) and within 10x the
    static render's. A hard switch of the filters at the joins fails both by > 10^5.
    """
    hp = butter(4, 8000, btype="high", fs=FS, output="sos")
    t = np.arange(3 * FS) / FS
    dry = np.sin(2 * np.pi * 500 * t)
    path = {
        "kind": "arc",
        "center_m": list(LISTENER),
        "start_m": [5.5, 3.0, 1.5],
        "angular_speed_deg_s": 40.0,
    }
    head = {"kind": "static", "yaw_deg": 0.0}
    hop = block_hop_samples(40.0, FS)
    static_path = {"kind": "static", "position_m": [5.5, 3.0, 1.5]}
    keep = slice(FS // 2, FS // 2 + 2 * FS // hop * hop)  # past the filters' start transients
    hf = {
        name: (sosfilt(hp, _moving_render(hrirset, dry, p, head, hop), axis=1) ** 2)[:, keep]
        for name, p in (("moving", path), ("static", static_path))
    }
    by_phase = hf["moving"].mean(axis=0).reshape(-1, hop).mean(axis=0)
    assert by_phase.max() / np.median(by_phase) < 3.0
    assert hf["moving"].mean() < 10 * hf["static"].mean()


def test_block_hop_limits_the_step():
    hop = block_hop_samples(40.0, FS, max_step_deg=1.0)
    assert hop / FS * 40.0 <= 1.0 + 1e-9
    assert block_hop_samples(0.0, FS) == int(0.025 * FS)


def test_path_problems_name_the_rule():
    near_wall = {"kind": "line", "start_m": [1.0, 3.0, 1.5], "velocity_m_s": [-1.0, 0.0, 0.0]}
    why = path_problem(
        near_wall,
        duration_s=1.0,
        room_m=ROOM.dimensions_m,
        listener_m=LISTENER,
        band_m=(0.4, 8.0),
        clearance_m=0.5,
    )
    assert "of a wall" in why
    leaves = {"kind": "line", "start_m": [5.5, 3.0, 1.5], "velocity_m_s": [1.0, 0.0, 0.0]}
    why = path_problem(
        leaves,
        duration_s=2.0,
        room_m=ROOM.dimensions_m,
        listener_m=LISTENER,
        band_m=(0.4, 2.0),
        clearance_m=0.5,
    )
    assert "leaves its distance band" in why


@pytest.mark.parametrize("speeds", [(40.0, 10.0), (-5.0, 10.0), (np.nan, 10.0)])
def test_bad_speed_ranges(speeds):
    with pytest.raises(SceneError, match="speed range"):
        draw_arc(
            np.random.default_rng(0),
            start_m=[5, 3, 1.5],
            listener_m=LISTENER,
            speed_range_deg_s=speeds,
        )


def test_head_track_draw_is_seeded_and_bounded():
    a = draw_head_track(
        np.random.default_rng(3),
        yaw_deg=10.0,
        duration_s=15.0,
        speed_range_deg_s=(20.0, 60.0),
        pause_range_s=(0.5, 2.0),
    )
    b = draw_head_track(
        np.random.default_rng(3),
        yaw_deg=10.0,
        duration_s=15.0,
        speed_range_deg_s=(20.0, 60.0),
        pause_range_s=(0.5, 2.0),
    )
    assert a == b and a["times_s"][-1] >= 15.0
    speed = relative_speed_deg_s(
        {"kind": "static", "position_m": [0, 0, 0]},
        a,
        listener_m=LISTENER,
        onset_s=0.0,
        duration_s=15.0,
    )
    assert 20.0 - 1e-3 <= speed <= 60.0 + 1e-3  # the head turns at 20-60 deg/s
