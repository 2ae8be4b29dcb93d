"""Structural pinna and torso cues added to the sphere head (after Brown & Duda 1998).

The sphere alone (:mod:`.sphere`) gives interaural time and level differences but almost no
elevation cue and only a weak front/back cue. Following the structural model of Brown & Duda
(IEEE Trans. Speech Audio Process. 6(5), 1998), two multiplicative filters add them:

* **Pinna** (:func:`pinna_response`): the direct sound plus five reflections,
  ``P = 1 + sum_k rho_k exp(-i omega tau_k)``, with Brown & Duda's coefficients
  ``rho_k = 0.5, -1, 0.5, -0.25, 0.25`` and delays (samples at 44.1 kHz)
  ``tau_k = A_k cos(theta / 2) sin(D_k (90 deg - phi)) + B_k``, ``A_k = 1, 5, 5, 5, 5``,
  ``B_k = 2, 4, 7, 11, 13``, ``D_k = 1, 0.5, 0.5, 0.5, 0.5`` (``D_k`` is listener-specific; these
  are mid values), ``phi`` the elevation. The delays shrink as the source rises, so the notches move
  up in frequency with elevation (the main elevation cue). Brown & Duda fitted the frontal
  hemisphere only: here ``theta`` is the azimuth folded onto the front (``180 - |az|`` behind), so
  delays are front/back symmetric, and for sources behind the ear the pinna flange shadows the
  concha: the reflections are weakened by up to 50 % and a first-order high shelf attenuates by up
  to 8 dB above ~3 kHz, in proportion to ``max(0, -x)`` (x = the front component of the unit
  direction). Sum of ``rho_k`` is 0, so ``P = 1`` at 0 Hz.
* **Torso** (:func:`torso_response`): the shoulder echo of Brown & Duda / Algazi's snowman as an
  exact image-source reflection from a horizontal shoulder plane 17.5 cm below the ears (so the
  echo delay grows with elevation up to ~1 ms overhead, and depends on distance for near sources),
  present only where the reflection point lies on the shoulder (within 10-20 cm of the point below
  the ear, cosine taper), with coefficient 0.4, spherical-spreading loss and a 3 kHz first-order
  low-pass (shoulders and clothing reflect mostly low and mid frequencies); plus the torso shadow
  for sources below: a high shelf down to -10 dB above ~2 kHz, from 0 dB at -40 degrees to full at
  -80 degrees elevation.

All filters use the engineering sign (a delay ``tau`` is ``exp(-i omega tau)``) and are mirror
symmetric (the right ear of azimuth ``-az`` equals the left ear of ``az``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import wrap_azimuth_deg
from .sphere import SPEED_OF_SOUND

_BD_RATE = 44100.0


@dataclass(frozen=True)
class StructuralParams:
    """Constants of the pinna and torso model (defaults: see the module docstring)."""

    pinna_rho: tuple = (0.5, -1.0, 0.5, -0.25, 0.25)
    pinna_a: tuple = (1.0, 5.0, 5.0, 5.0, 5.0)
    pinna_b: tuple = (2.0, 4.0, 7.0, 11.0, 13.0)
    pinna_d: tuple = (1.0, 0.5, 0.5, 0.5, 0.5)
    rear_reflection_loss: float = 0.5
    rear_shelf_db: float = -8.0
    rear_shelf_hz: float = 3000.0
    shoulder_drop_m: float = 0.175
    shoulder_inner_m: float = 0.10
    shoulder_outer_m: float = 0.20
    shoulder_rho: float = 0.4
    shoulder_lowpass_hz: float = 3000.0
    torso_shadow_db: float = -10.0
    torso_shadow_hz: float = 2000.0
    torso_shadow_start_deg: float = -40.0
    torso_shadow_full_deg: float = -80.0


def high_shelf(freqs_hz: np.ndarray, gain_db, corner_hz: float) -> np.ndarray:
    """First-order high shelf ``(1 + i g f / fc) / (1 + i f / fc)``: 1 at DC, ``g`` at HF.

    ``gain_db`` broadcasts against ``freqs_hz[:, None]``; the filter is minimum phase for g > 0.
    """
    g = 10.0 ** (np.asarray(gain_db, dtype=float) / 20.0)
    s = 1j * np.asarray(freqs_hz, dtype=float)[:, None] / corner_hz
    return (1.0 + g * s) / (1.0 + s)


def pinna_response(
    freqs_hz, azimuth_deg, elevation_deg, *, params: StructuralParams | None = None
) -> np.ndarray:
    """Pinna filter (F, D) for directions (D,), the same for both ears (see module docstring)."""
    params = params or StructuralParams()
    freqs = np.asarray(freqs_hz, dtype=float)
    az = wrap_azimuth_deg(azimuth_deg)
    el = np.asarray(elevation_deg, dtype=float)
    folded = np.where(np.abs(az) <= 90.0, az, np.sign(az) * 180.0 - az)
    x = np.cos(np.deg2rad(el)) * np.cos(np.deg2rad(az))
    rear = np.maximum(0.0, -x)
    amplitude = 1.0 - params.rear_reflection_loss * rear
    omega = 2.0 * np.pi * freqs[:, None]
    out = np.ones((freqs.size, az.size), dtype=complex)
    for rho, a, b, d in zip(
        params.pinna_rho, params.pinna_a, params.pinna_b, params.pinna_d, strict=True
    ):
        tau = a * np.cos(np.deg2rad(folded) / 2) * np.sin(np.deg2rad(d * (90.0 - el))) + b
        out += rho * amplitude * np.exp(-1j * omega * (tau / _BD_RATE))
    return out * high_shelf(freqs, params.rear_shelf_db * rear, params.rear_shelf_hz)


def shoulder_echo(
    freqs_hz, sources: np.ndarray, ear: np.ndarray, *, params: StructuralParams | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Shoulder reflection relative to the direct sound at one ear.

    Parameters
    ----------
    freqs_hz : array_like, shape (F,)
    sources : ndarray, shape (D, 3)
        Source positions (m) relative to the head centre.
    ear : ndarray, shape (3,)
        Ear position (m) relative to the head centre.

    Returns
    -------
    lit : ndarray of int, shape (L,)
        Indices of the sources with a shoulder echo (all others have none).
    echo : ndarray, complex, shape (F, L)
        Echo transfer function relative to the direct sound: the ear hears ``1 + echo``.
    """
    params = params or StructuralParams()
    freqs = np.asarray(freqs_hz, dtype=float)
    ear = np.asarray(ear, dtype=float)
    plane_z = ear[2] - params.shoulder_drop_m
    image = np.array(sources, dtype=float)
    image[:, 2] = 2.0 * plane_z - image[:, 2]
    direct = np.linalg.norm(sources - ear, axis=1)
    reflected = np.linalg.norm(image - ear, axis=1)
    above = sources[:, 2] > plane_z + 1e-9
    t = np.where(above, (plane_z - ear[2]) / np.where(above, image[:, 2] - ear[2], -1.0), 0.0)
    foot = ear[None, :2] + t[:, None] * (image[:, :2] - ear[None, :2])
    spread = np.linalg.norm(foot - ear[None, :2], axis=1)
    inner, outer = params.shoulder_inner_m, params.shoulder_outer_m
    taper = 0.5 + 0.5 * np.cos(np.pi * np.clip((spread - inner) / (outer - inner), 0.0, 1.0))
    gain = np.where(above, params.shoulder_rho * taper * direct / reflected, 0.0)
    lit = np.flatnonzero(gain > 0)
    delay = (reflected[lit] - direct[lit]) / SPEED_OF_SOUND
    lowpass = 1.0 / (1.0 + 1j * freqs[:, None] / params.shoulder_lowpass_hz)
    return lit, gain[lit] * lowpass * np.exp(-2j * np.pi * freqs[:, None] * delay)


def torso_shadow(freqs_hz, elevation_deg, *, params: StructuralParams | None = None) -> np.ndarray:
    """Torso shadow (F, D) for sources below the shoulders (the same for both ears)."""
    params = params or StructuralParams()
    el = np.asarray(elevation_deg, dtype=float)
    span = params.torso_shadow_full_deg - params.torso_shadow_start_deg
    depth = np.clip((el - params.torso_shadow_start_deg) / span, 0.0, 1.0)
    gain_db = params.torso_shadow_db * depth
    return high_shelf(np.asarray(freqs_hz, dtype=float), gain_db, params.torso_shadow_hz)
