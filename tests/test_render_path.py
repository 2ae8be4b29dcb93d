"""Batched early BRIRs of a path (render_path) against full per-block renders, and the WOLA."""

from __future__ import annotations

import numpy as np
import pytest

from bindata.config import MixConfig, RenderConfig, SynthConfig, load_config
from bindata.rooms import RoomKind, get_kind, load_preset
from bindata.scene.spec import (
    Listener,
    MotionRender,
    Scene,
    SceneEvent,
    SceneEventLibrary,
    SceneHRIR,
    SceneRoom,
)
from bindata.synth import load_resources

RENDER = RenderConfig(speed_of_sound=343.0, decay_db=60.0)


@pytest.fixture(scope="module")
def hrirset():
    return load_resources("builtin", False, "builtin", 24000, "reference")[0]


def _poses(k=12):
    ang = np.deg2rad(np.linspace(0.0, 60.0, k))
    listeners = [
        Listener(position_m=(3.1, 3.6, 1.5), yaw_deg=float(y)) for y in np.linspace(10.0, -30.0, k)
    ]
    sources = np.stack([3.1 + 1.4 * np.cos(ang), 3.6 + 1.4 * np.sin(ang), np.full(k, 1.9)], 1)
    return listeners, sources


def _rel_error(a, b):
    return float(np.sqrt(np.sum((a - b) ** 2) / np.sum(b**2)))


def _same_response(a, b) -> bool:
    """Equal up to the rounding of an arrival to the nearest sample: float32 offsets computed
    in another order may put an image at a half-sample tie one sample away (one HRIR's worth
    of samples differs); anything wrong with images, directions or gains changes most samples."""
    differing = np.mean(np.abs(a - b).max(axis=0) > 1e-6 * np.abs(b).max())
    return _rel_error(a, b) < 0.05 and differing < 0.1


@pytest.mark.parametrize("anechoic", [False, True])
def test_flat_shoebox_early_parts_equal_full_renders_cut_at_the_split(hrirset, anechoic):
    kind = get_kind("shoebox")
    desc = {"kind": "shoebox", "preset": "paper", "dimensions_m": [6.3, 7.1, 3.0], "rt60_s": 0.5}
    listeners, sources = _poses()
    fast = kind.render_path(
        desc,
        listeners=listeners,
        sources_m=sources,
        hrirset=hrirset,
        render_cfg=RENDER,
        anechoic=anechoic,
        early_s=0.05,
    )
    slow = RoomKind.render_path(
        kind,
        desc,
        listeners=listeners,
        sources_m=sources,
        hrirset=hrirset,
        render_cfg=RENDER,
        anechoic=anechoic,
        early_s=0.05,
    )
    assert fast.split == slow.split and fast.early.shape == slow.early.shape
    for k in range(len(listeners)):
        assert _same_response(fast.early[k], slow.early[k]), k
    np.testing.assert_allclose(fast.onset_samples, slow.onset_samples, rtol=1e-12)
    np.testing.assert_array_equal(fast.tail, slow.tail)
    # the blocks differ: the path does move the early response
    assert _rel_error(fast.early[0], fast.early[-1]) > 0.3


def test_materials_early_parts_match_full_renders(hrirset):
    kind = get_kind("shoebox")
    cfg = load_config(overrides={"rooms": "living-room"})
    assert isinstance(cfg, SynthConfig)
    desc = kind.draw(load_preset("living-room"), cfg, np.random.default_rng(1))
    desc["dimensions_m"] = [6.3, 7.1, 3.0]
    listeners, sources = _poses(4)
    fast = kind.render_path(
        desc,
        listeners=listeners,
        sources_m=sources,
        hrirset=hrirset,
        render_cfg=RENDER,
        anechoic=False,
        early_s=0.05,
    )
    # a diffuse late reverb: the blocks' early parts end where its image sources fade out
    from bindata.render.diffuse_tail import FADE_S, TRANSITION_S

    assert desc["late_reverb"]["model"] == "diffuse"
    early_s = TRANSITION_S - FADE_S
    slow = RoomKind.render_path(
        kind,
        desc,
        listeners=listeners,
        sources_m=sources,
        hrirset=hrirset,
        render_cfg=RENDER,
        anechoic=False,
        early_s=early_s,
    )
    assert fast.split == slow.split
    for k in range(len(listeners)):
        assert _rel_error(fast.early[k], slow.early[k]) < 0.01, k  # envelopes near the cut


def test_a_path_that_stands_still_renders_as_the_static_event(hrirset):
    """WOLA with one BRIR for every block, plus the tail, is the static convolution."""
    from scipy.signal import oaconvolve

    from bindata.render.moving import render_path_signal
    from bindata.render.path import path_brir_from

    kind = get_kind("shoebox")
    desc = {"kind": "shoebox", "preset": "paper", "dimensions_m": [6.3, 7.1, 3.0], "rt60_s": 0.4}
    listener = Listener(position_m=(3.1, 3.6, 1.5), yaw_deg=20.0)
    source = [4.0, 2.9, 1.2]
    dry = np.random.default_rng(0).normal(size=12000)
    hop = 600
    k = dry.size // hop + 1  # block_centres(12000, 600): 0, 600, ..., 12000
    full = kind.render(
        desc, listener=listener, source_m=source, hrirset=hrirset, render_cfg=RENDER, anechoic=False
    )
    path = path_brir_from([full] * k, full, early_s=0.08)
    moving = render_path_signal(dry, path, hop=hop)
    static = oaconvolve(dry[None, :], full.ir, axes=1)
    assert moving.shape == static.shape
    assert _rel_error(moving, static) < 1e-12


def _out_of_band_db(x: np.ndarray, fs: int, f0: float) -> float:
    """Energy outside f0/2 .. 2 f0 relative to the total (dB), over both ears."""
    spec = np.abs(np.fft.rfft(x * np.hanning(x.shape[-1]), axis=-1)) ** 2
    f = np.fft.rfftfreq(x.shape[-1], 1.0 / fs)
    outside = (f < f0 / 2) | (f > 2 * f0)
    return float(10 * np.log10(spec[:, outside].sum() / spec.sum()))


def test_a_tone_on_a_fast_arc_has_no_clicks(hrirset):
    """A 1 kHz tone moving at 40 deg/s: the cross-faded blocks keep its energy near 1 kHz;
    switching the block filters without the cross-fade (the artefact the WOLA avoids) spreads
    it over the spectrum."""
    from scipy.signal import oaconvolve

    from bindata.render.moving import render_path_signal
    from bindata.synth.mix import event_path_brir

    fs, f0 = 24000, 1000.0
    path = {
        "kind": "arc",
        "center_m": [3.0, 3.0, 1.5],
        "start_m": [4.5, 3.0, 1.5],
        "angular_speed_deg_s": 40.0,
    }
    event = SceneEvent(
        source_index=0,
        label="tone",
        class_index=0,
        sound_id="tone",
        onset_s=0.0,
        duration_s=2.0,
        level_db=-20.0,
        band="near",
        position_m=(4.5, 3.0, 1.5),
        azimuth_deg=0.0,
        elevation_deg=0.0,
        distance_m=1.5,
        path=path,
    )
    scene = Scene(
        schema_version=1,
        bindata_version="test",
        stem="fold1_room0001_mix001",
        file_index=0,
        fold=1,
        seed=0,
        duration_s=2.0,
        sample_rate=fs,
        max_overlap=1,
        room=SceneRoom(
            {"kind": "shoebox", "dimensions_m": [6.0, 6.0, 3.0], "rt60_s": 0.3, "anechoic": True}
        ),
        listener=Listener(position_m=(3.0, 3.0, 1.5), yaw_deg=0.0),
        render=RENDER,
        mix=MixConfig(peak_dbfs=-1.0),
        hrir=SceneHRIR(source="builtin"),
        event_library=SceneEventLibrary(source="builtin"),
        events=(event,),
        motion_render=MotionRender(early_s=0.08, max_step_deg=1.0),
    )
    tone = np.sin(2 * np.pi * f0 * np.arange(2 * fs) / fs)
    brirs, hop = event_path_brir(scene, event, hrirset, n_samples=tone.size)
    smooth = render_path_signal(tone, brirs, hop=hop)[:, 2000 : 2 * fs - 2000]
    hard = np.zeros((2, tone.size + brirs.early.shape[-1] - 1))
    for k in range(brirs.early.shape[0]):  # rectangular blocks: the filter switches at once
        lo, hi = max(k * hop - hop // 2, 0), min(k * hop + hop // 2, tone.size)
        if hi > lo:
            piece = oaconvolve(tone[None, lo:hi], brirs.early[k], axes=1)
            hard[:, lo : lo + piece.shape[-1]] += piece
    hard = hard[:, 2000 : 2 * fs - 2000]
    assert _out_of_band_db(smooth, fs, f0) < -60.0  # measured about -117 dB
    assert _out_of_band_db(hard, fs, f0) > _out_of_band_db(smooth, fs, f0) + 30.0  # about -23 dB
