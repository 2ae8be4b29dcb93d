"""The room interface: what a room kind answers for the sampler, the mix and the validator.

A room kind is an object with a ``name`` and the methods of :class:`RoomKind`. Two of them are
the kind's essence:

* :meth:`RoomKind.draw`: draw a room *description* from a preset with an RNG. The description
  is a JSON-able dict (it goes into the scene's ``room``, :class:`~bindata.scene.spec.SceneRoom`,
  with ``"kind"`` set to the kind's name), and holds everything the kind needs to render, so
  that a scene alone regenerates its audio.
* :meth:`RoomKind.render`: the binaural room impulse response (:class:`~bindata.render.BRIR`)
  of one source for a description, a listener pose and an HRIR set.

The others place the listener and the sources (:class:`BoxRoomKind` gives the rules of any room
whose free space is a box ``[0, Lx] x [0, Ly] x [0, Lz]``), check a description found in a
dataset, and summarise it for reports and plots.
"""

from __future__ import annotations

import numpy as np

from ..config import RenderConfig, SynthConfig
from ..errors import SceneError
from ..geometry import head_to_room
from ..render.path import path_brir_from
from ..seeding import uniform

#: A listener must reach this far (metres) past the far band's start, so far sources have room.
FAR_BAND_MARGIN_M = 0.5


class RoomKind:
    """Base class of room kinds (subclass it, or provide the same methods).

    Attributes
    ----------
    name : str
        The kind's registry name, stored as the scene room's ``kind``.
    """

    name: str = ""
    #: Whether :meth:`render` takes any source position and listener pose in the free space.
    #: A kind of measured responses (a fixed grid) sets False: its scenes cannot move sources
    #: or turn the head (the sampler refuses such configs with a ConfigError).
    renders_any_position: bool = True
    #: Whether :meth:`render` and :meth:`render_path` take ``radiation`` (a source's directivity
    #: and orientation, :class:`~bindata.render.directivity.SourceRadiation`). Kinds that do
    #: not are given omnidirectional sources only (the sampler refuses directional ones with a
    #: ConfigError); the mix passes ``radiation`` only for a directional source.
    renders_directivity: bool = False

    def draw(self, preset: dict, cfg: SynthConfig, rng: np.random.Generator) -> dict:
        """A room description (JSON-able dict) drawn from ``preset`` with ``rng``; ``cfg`` is
        the run's :class:`~bindata.config.SynthConfig`."""
        raise NotImplementedError

    def render(
        self,
        description: dict,
        *,
        listener,
        source_m,
        hrirset,
        render_cfg: RenderConfig,
        anechoic: bool,
    ):
        """The :class:`~bindata.render.BRIR` of a source at ``source_m`` (room frame), heard by
        ``listener`` (a :class:`~bindata.scene.spec.Listener`: ``position_m``, ``yaw_deg``),
        rendered with the scene's ``render`` settings (``speed_of_sound``, ``decay_db``).
        A kind with :attr:`renders_directivity` also takes ``radiation=`` (None:
        omnidirectional)."""
        raise NotImplementedError

    def render_path(
        self,
        description: dict,
        *,
        listeners: list,
        sources_m,
        hrirset,
        render_cfg: RenderConfig,
        anechoic: bool,
        early_s: float,
        radiation=None,
    ):
        """Early BRIRs of many poses and one full BRIR: a :class:`~bindata.render.path.PathBRIR`.

        ``listeners`` (K :class:`~bindata.scene.spec.Listener` poses) and ``sources_m`` (K, 3) are the poses of the K blocks
        of a moving source or turning head; the early part ends ``early_s`` after the latest
        direct sound; the tail is the middle block's full BRIR. This base implementation
        renders every block in full with :meth:`render` (correct for any kind, slow); kinds
        override it with a batched renderer. ``radiation`` (kinds with
        :attr:`renders_directivity`) is passed on to :meth:`render` when given.
        """
        extra = {} if radiation is None else {"radiation": radiation}
        sources = np.asarray(sources_m, float).reshape(-1, 3)
        brirs = [
            self.render(
                description,
                listener=lis,
                source_m=src,
                hrirset=hrirset,
                render_cfg=render_cfg,
                anechoic=anechoic,
                **extra,
            )
            for lis, src in zip(listeners, sources, strict=True)
        ]
        return path_brir_from(brirs, brirs[len(brirs) // 2], early_s=early_s)

    def sample_listener(
        self, description: dict, cfg: SynthConfig, rng: np.random.Generator
    ) -> dict:
        """``{"position_m": [x, y, z], "yaw_deg": yaw}`` for the room (the JSON object of a
        :class:`~bindata.scene.spec.Listener`)."""
        raise NotImplementedError

    def sample_source(
        self, description: dict, cfg: SynthConfig, listener, band_m, rng: np.random.Generator
    ):
        """A source position (room frame, 3 floats) in the distance band ``band_m`` seen from
        ``listener`` (a :class:`~bindata.scene.spec.Listener`), or None."""
        raise NotImplementedError

    def contains(self, description: dict, point_m, *, tol: float = 0.0) -> bool:
        """Whether a point (room frame) lies in the room's free space."""
        return True

    def check(self, description: dict, cfg: SynthConfig) -> list[str]:
        """Problems of a description found in a dataset made with ``cfg`` (empty: none)."""
        return []

    def summary(self, description: dict) -> dict:
        """``{"dimensions_m": list or None, "volume_m3": float or None, "rt60_s": float or
        None, "label": str}`` for reports and plots."""
        return {
            "dimensions_m": None,
            "volume_m3": None,
            "rt60_s": description.get("rt60_s"),
            "label": self.name,
        }


def clearance_box(dimensions_m, clearance: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corners of the part of the box at least ``clearance`` from every wall."""
    dims = np.asarray(dimensions_m, dtype=float)
    return np.full(3, clearance), dims - clearance


def _corners(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.array(np.meshgrid(*zip(lo, hi, strict=True), indexing="ij")).reshape(3, -1).T


class BoxRoomKind(RoomKind):
    """Placement rules of a room whose free space is ``[0, Lx] x [0, Ly] x [0, Lz]``.

    The description holds ``dimensions_m``. Listener: uniform inside the box that keeps
    ``room.wall_clearance_m`` from every surface, yaw uniform; redrawn (at most
    ``listener.max_redraws`` times, then a :class:`~bindata.errors.SceneError`) when the far
    band cannot be reached, i.e. when the farthest corner of the clearance box is closer than
    the far band's start plus :data:`FAR_BAND_MARGIN_M`. Source: direction uniform on the head's
    sphere, distance uniform in the part of the band the clearance box can reach, kept when
    inside the box; ``sources.max_tries`` candidates, then None.
    """

    def sample_listener(
        self, description: dict, cfg: SynthConfig, rng: np.random.Generator
    ) -> dict:
        dims = description["dimensions_m"]
        lo, hi = clearance_box(dims, cfg.room.wall_clearance_m)
        far_start = cfg.sources.far_m[0]
        corners = _corners(lo, hi)
        for _ in range(cfg.listener.max_redraws):
            pos = rng.uniform(lo, hi)
            if np.max(np.linalg.norm(corners - pos, axis=1)) >= far_start + FAR_BAND_MARGIN_M:
                yaw = uniform(rng, cfg.listener.yaw_deg)
                return {"position_m": pos.tolist(), "yaw_deg": yaw}
        raise SceneError(
            f"room {np.round(dims, 2).tolist()} m: no listener position within "
            f"{cfg.listener.max_redraws} draws reaches the far band (>= {far_start} m)"
        )

    def sample_source(
        self, description: dict, cfg: SynthConfig, listener, band_m, rng: np.random.Generator
    ):
        lo, hi = clearance_box(description["dimensions_m"], cfg.room.wall_clearance_m)
        listener_m = np.asarray(listener.position_m, dtype=float)
        reach = float(np.max(np.linalg.norm(_corners(lo, hi) - listener_m, axis=1)))
        r_lo, r_hi = band_m[0], min(band_m[1], reach)
        if r_hi < r_lo:
            return None
        batch = 256
        for _ in range(max(1, cfg.sources.max_tries // batch)):
            v = rng.normal(size=(batch, 3))
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            r = rng.uniform(r_lo, r_hi, size=(batch, 1))
            pts = head_to_room(v * r, listener.position_m, listener.yaw_deg)
            inside = np.all((pts >= lo) & (pts <= hi), axis=1)
            if inside.any():
                return pts[int(np.argmax(inside))]
        return None

    def contains(self, description: dict, point_m, *, tol: float = 0.0) -> bool:
        p = np.asarray(point_m, dtype=float)
        dims = np.asarray(description["dimensions_m"], dtype=float)
        return bool(np.all(p >= -tol) and np.all(p <= dims + tol))

    def summary(self, description: dict) -> dict:
        dims = [float(d) for d in description["dimensions_m"]]
        return {
            "dimensions_m": dims,
            "volume_m3": float(np.prod(dims)),
            "rt60_s": description.get("rt60_s"),
            "label": description.get("preset", self.name),
        }


__all__ = ["RoomKind", "BoxRoomKind", "clearance_box", "FAR_BAND_MARGIN_M"]
