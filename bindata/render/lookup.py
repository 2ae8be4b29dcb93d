"""Exact nearest-measured-direction lookup for millions of directions, through a cube-map table.

Every cell of a cube map (6 faces x ``G`` x ``G`` cells, ``G = 256``) stores the index of the
measured direction that is nearest to *every* point of the cell, when one is: the cell lies
within an angle ``rho`` of its centre, so if the nearest measured direction is closer to the
centre than the second nearest by more than ``2 rho``, it is the nearest one for the whole cell
(triangle inequality on the sphere). The table is built coarse to fine (a cell is split only
when it is ambiguous). A finest cell that stays ambiguous (along the Voronoi edges) keeps the
few directions within ``theta_1 + 2 rho`` of its centre, the only ones that can be nearest
somewhere in it, and a query there compares itself with those; the rare cells with more than
``N_CANDIDATES`` such directions hand their queries to a k-d tree on the unit vectors (exact as
well: the chord is monotonic in the great-circle angle). Ties may go either way.
"""

from __future__ import annotations

import numpy as np

#: Cells per cube-face side at the finest level, and at the coarsest.
FINE_CELLS = 256
COARSE_CELLS = 16
#: Candidates kept per ambiguous finest cell (cells needing more use the k-d tree).
N_CANDIDATES = 4


def _face_vectors(face: np.ndarray, u: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Unit vectors of face coordinates ``(u, w)`` in [-1, 1] on cube faces ``face`` (0..5).

    Face ``2 a + k`` has major axis ``a`` with sign ``+`` (k = 0) or ``-`` (k = 1); ``u`` is
    the first and ``w`` the second of the two other axes, in x, y, z order.
    """
    axis, sign = face // 2, 1.0 - 2.0 * (face % 2)
    v = np.empty((face.size, 3))
    v[:, 0] = np.where(axis == 0, sign, u)
    v[:, 1] = np.where(axis == 0, u, np.where(axis == 1, sign, w))
    v[:, 2] = np.where(axis == 2, sign, w)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _chord_to_angle(chord: np.ndarray) -> np.ndarray:
    return 2.0 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))


def _angle_to_chord(angle: np.ndarray) -> np.ndarray:
    return 2.0 * np.sin(np.minimum(angle, np.pi) / 2.0)


class DirectionLookup:
    """Nearest measured direction (great circle) of query vectors; exact.

    Parameters
    ----------
    unit_vectors : ndarray, shape (M, 3)
        The measured directions (normalised here).
    """

    def __init__(self, unit_vectors: np.ndarray):
        from scipy.spatial import cKDTree

        units = np.asarray(unit_vectors, dtype=float)
        self.units = units / np.linalg.norm(units, axis=1, keepdims=True)
        self.tree = cKDTree(self.units)
        self.table, self.candidates = self._build()

    def _cells(self, face, i, j, cells: int):
        """Centre directions of cells and a bound on their angular radius."""
        h = 2.0 / cells
        u0, w0 = -1.0 + i * h, -1.0 + j * h
        centre = _face_vectors(face, u0 + h / 2, w0 + h / 2)
        # a face point p = (1, u, w) maps to p / |p|, whose speed is |dp| / |p| <= |dp|
        umin = np.maximum(np.maximum(u0, -u0 - h), 0.0)
        wmin = np.maximum(np.maximum(w0, -w0 - h), 0.0)
        rho = (h / np.sqrt(2.0)) / np.sqrt(1.0 + umin**2 + wmin**2)
        return centre, rho

    def _classify(self, face, i, j, cells: int) -> np.ndarray:
        """Index of the direction nearest to the whole cell, or -1 where ambiguous."""
        centre, rho = self._cells(face, i, j, cells)
        if self.units.shape[0] == 1:
            return np.zeros(face.size, dtype=np.int32)
        dist, idx = self.tree.query(centre, k=2)
        th = _chord_to_angle(dist)
        sure = th[:, 1] - th[:, 0] > 2.0 * rho + 1e-12
        return np.where(sure, idx[:, 0], -1).astype(np.int32)

    def _candidates(self, face, i, j, cells: int) -> np.ndarray:
        """Up to N_CANDIDATES directions that can be nearest in each cell (-1: too many)."""
        centre, rho = self._cells(face, i, j, cells)
        k = min(N_CANDIDATES + 1, self.units.shape[0])
        dist, idx = self.tree.query(centre, k=k)
        reach = _angle_to_chord(_chord_to_angle(dist[:, :1]) + 2.0 * rho[:, None] + 1e-9)
        inside = dist <= reach
        out = np.where(inside, idx, idx[:, :1])[:, : min(N_CANDIDATES, k)]
        if k == N_CANDIDATES + 1:
            out[inside[:, -1]] = -1  # more than N_CANDIDATES in reach: use the tree
        return out.astype(np.int32)

    def _build(self):
        cells = COARSE_CELLS
        face, i, j = (
            a.ravel()
            for a in np.meshgrid(np.arange(6), np.arange(cells), np.arange(cells), indexing="ij")
        )
        table = self._classify(face, i, j, cells).reshape(6, cells, cells)
        while cells < FINE_CELLS:
            cells *= 2
            table = table.repeat(2, axis=1).repeat(2, axis=2)
            face, i, j = np.nonzero(table < 0)
            table[face, i, j] = self._classify(face, i, j, cells)
        face, i, j = np.nonzero(table < 0)
        candidates = self._candidates(face, i, j, cells)
        # ambiguous cells hold -(1 + row of their candidate list)
        table[face, i, j] = -1 - np.arange(face.size, dtype=np.int32)
        return table.ravel(), candidates

    def query(self, directions: np.ndarray) -> np.ndarray:
        """Index of the nearest measured direction of each row of ``directions`` (n, 3).

        The rows need not be unit length (but must not be zero).
        """
        v = np.asarray(directions, dtype=float)
        x, y, z = v[:, 0], v[:, 1], v[:, 2]
        ax, ay, az = np.abs(x), np.abs(y), np.abs(z)
        is_x = (ax >= ay) & (ax >= az)
        is_y = ~is_x & (ay >= az)
        major = np.where(is_x, ax, np.where(is_y, ay, az))
        neg = np.where(is_x, x, np.where(is_y, y, z)) < 0
        axis = np.where(is_x, 0, np.where(is_y, 1, 2))
        face = 2 * axis + neg
        u = np.where(is_x, y, x)
        w = np.where(is_x | is_y, z, y)
        scale = FINE_CELLS / (2.0 * major)
        iu = np.clip(((u + major) * scale).astype(np.int64), 0, FINE_CELLS - 1)
        iw = np.clip(((w + major) * scale).astype(np.int64), 0, FINE_CELLS - 1)
        out = self.table[(face * FINE_CELLS + iu) * FINE_CELLS + iw].astype(np.int64)
        amb = np.flatnonzero(out < 0)
        if amb.size:
            cand = self.candidates[-1 - out[amb]]  # (n, N_CANDIDATES)
            va = v[amb]
            safe = np.maximum(cand, 0)
            dots = np.einsum("nkc,nc->nk", self.units[safe], va)
            out[amb] = safe[np.arange(amb.size), np.argmax(dots, axis=1)]
            far = amb[cand[:, 0] < 0]
            if far.size:
                out[far] = self.tree.query(v[far] / major[far, None])[1]
        return out


def shell_lookup(shell) -> DirectionLookup:
    """The :class:`DirectionLookup` of an HRIR shell, built once and kept on the shell."""
    cached = getattr(shell, "_render_lookup", None)
    if cached is None:
        from ..geometry import spherical_to_cartesian

        cached = DirectionLookup(spherical_to_cartesian(shell.azimuth_deg, shell.elevation_deg))
        shell._render_lookup = cached
    return cached


__all__ = ["DirectionLookup", "shell_lookup"]
