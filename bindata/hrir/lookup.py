"""Exact nearest-measured-direction lookup for millions of directions, through an octahedral map.

A direction ``v`` maps to ``(p, q) = (x, y) / (|x| + |y| + |z|)`` in the diamond
``|p| + |q| <= 1``, one table per hemisphere (``z >= 0``, ``z < 0``), ``G x G`` cells each
(``G = 1024``: 8 MB of int32; half the ambiguous cells of ``G = 512``, a third less time per
query). Within one octant the map is a gnomonic projection of the face
``|x| + |y| + |z| = 1``, so a cell (which never straddles an axis) is a convex spherical
quadrilateral and lies within the largest angle ``rho`` from its centre to its corners. If the
nearest measured direction is closer to the centre than the second nearest by more than
``2 rho``, it is the nearest one for the whole cell (triangle inequality on the sphere), and the
table stores it. The table is built coarse to fine, splitting only ambiguous cells. A finest cell
that stays ambiguous (along the Voronoi edges) keeps the few directions within
``theta_1 + 2 rho`` of its centre, the only ones that can be nearest somewhere in it, and a query
there compares itself with those; the rare cells with more than ``N_CANDIDATES`` of them hand
their queries to a k-d tree on the unit vectors (exact too: the chord grows with the
great-circle angle). Ties may go either way.

Building the tables takes about a second for a measured grid; :func:`direction_lookup` keeps
them per process and on disk (:mod:`.diskcache`, ``lookup-*.npz``, about 10 MB a grid), named by
a hash of the directions' bytes and of :data:`LOOKUP_VERSION` and the table constants, so that
every later process (a worker, the next run) and every head on the same grid reads them instead.
A file that does not hold tables of the right shape and range is rebuilt.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from ..geometry import spherical_to_cartesian
from .derived import derived
from .diskcache import cache_dir, read_arrays, write_arrays

#: Cells per table side at the finest level, and at the coarsest.
FINE_CELLS = 1024
COARSE_CELLS = 16
#: Candidates kept per ambiguous finest cell (cells needing more use the k-d tree).
N_CANDIDATES = 4
#: Lookups also kept by the content of their directions (most recently used first), so that
#: sets on the same grid (the heads of one model with other parameters) build one lookup.
CONTENT_ENTRIES = 4
#: Version of the tables' construction: part of the name of their cache files (change it with
#: any change of how :meth:`DirectionLookup._build` fills them).
LOOKUP_VERSION = 1

_BY_CONTENT: OrderedDict = OrderedDict()
_CONTENT_LOCK = threading.Lock()


def _octahedral_vectors(hemi: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Unit vectors at map coordinates ``(p, q)`` of hemisphere ``hemi`` (0: z >= 0, 1: z < 0).

    Points outside the diamond are continued on the plane of their octant's face (what a
    cell's corners outside the diamond need).
    """
    z = (1.0 - np.abs(p) - np.abs(q)) * (1.0 - 2.0 * hemi)
    v = np.stack([p, q, z], axis=1)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _touches_diamond(i: np.ndarray, j: np.ndarray, cells: int) -> np.ndarray:
    """Whether cells (i, j) of a ``cells x cells`` map reach the diamond ``|p| + |q| <= 1``."""
    h = 2.0 / cells
    p0, q0 = -1.0 + i * h, -1.0 + j * h
    pmin = np.maximum(np.maximum(p0, -p0 - h), 0.0)
    qmin = np.maximum(np.maximum(q0, -q0 - h), 0.0)
    return pmin + qmin <= 1.0 + 1e-12


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
    tables : (table, candidates), optional
        The tables :meth:`_build` makes for these directions, read back (:attr:`table`,
        :attr:`candidates`); built here when not given.
    """

    def __init__(self, unit_vectors: np.ndarray, *, tables=None):
        from scipy.spatial import cKDTree

        units = np.asarray(unit_vectors, dtype=float).reshape(-1, 3)
        self.units = units / np.linalg.norm(units, axis=1, keepdims=True)
        self.tree = cKDTree(self.units)
        self.table, self.candidates = self._build() if tables is None else tables
        # candidate unit vectors, float32, (cells, 3, N_CANDIDATES)
        self._cand_units = np.ascontiguousarray(
            self.units[np.maximum(self.candidates, 0)].transpose(0, 2, 1), dtype=np.float32
        )

    def _cells(self, hemi, i, j, cells: int):
        """Centre directions of cells and their angular radius (largest angle to a corner)."""
        h = 2.0 / cells
        p0, q0 = -1.0 + i * h, -1.0 + j * h
        centre = _octahedral_vectors(hemi, p0 + h / 2, q0 + h / 2)
        rho = np.zeros(hemi.size)
        for dp in (0.0, h):
            for dq in (0.0, h):
                corner = _octahedral_vectors(hemi, p0 + dp, q0 + dq)
                rho = np.maximum(rho, _chord_to_angle(np.linalg.norm(corner - centre, axis=1)))
        return centre, rho

    def _classify(self, hemi, i, j, cells: int) -> np.ndarray:
        """Index of the direction nearest to the whole cell, or -1 where ambiguous."""
        centre, rho = self._cells(hemi, i, j, cells)
        if self.units.shape[0] == 1:
            return np.zeros(hemi.size, dtype=np.int32)
        dist, idx = self.tree.query(centre, k=2)
        th = _chord_to_angle(dist)
        sure = th[:, 1] - th[:, 0] > 2.0 * rho + 1e-9
        return np.where(sure, idx[:, 0], -1).astype(np.int32)

    def _candidates(self, hemi, i, j, cells: int) -> np.ndarray:
        """Up to N_CANDIDATES directions that can be nearest in each cell (row of -1: more)."""
        k = min(N_CANDIDATES + 1, self.units.shape[0])
        if hemi.size == 0 or k < 2:
            return np.zeros((0, N_CANDIDATES), dtype=np.int32)
        centre, rho = self._cells(hemi, i, j, cells)
        dist, idx = self.tree.query(centre, k=k)
        reach = _angle_to_chord(_chord_to_angle(dist[:, :1]) + 2.0 * rho[:, None] + 1e-9)
        inside = dist <= reach
        out = np.where(inside, idx, idx[:, :1])[:, : min(N_CANDIDATES, k)].astype(np.int32)
        if k == N_CANDIDATES + 1:
            out[inside[:, -1]] = -1
        return out

    def _build(self):
        cells = COARSE_CELLS
        hemi, i, j = (
            a.ravel()
            for a in np.meshgrid(np.arange(2), np.arange(cells), np.arange(cells), indexing="ij")
        )
        table = np.zeros((2, cells, cells), dtype=np.int32)
        inside = _touches_diamond(i, j, cells)  # cells wholly outside are never queried
        table[hemi[inside], i[inside], j[inside]] = self._classify(
            hemi[inside], i[inside], j[inside], cells
        )
        while cells < FINE_CELLS:
            cells *= 2
            table = table.repeat(2, axis=1).repeat(2, axis=2)
            hemi, i, j = np.nonzero(table < 0)
            inside = _touches_diamond(i, j, cells)
            table[hemi[~inside], i[~inside], j[~inside]] = 0
            table[hemi[inside], i[inside], j[inside]] = self._classify(
                hemi[inside], i[inside], j[inside], cells
            )
        hemi, i, j = np.nonzero(table < 0)
        candidates = self._candidates(hemi, i, j, cells)
        # an ambiguous cell holds -(1 + row of its candidate list)
        table[hemi, i, j] = -1 - np.arange(hemi.size, dtype=np.int32)
        return table.ravel(), candidates

    def query(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Index (int32) of the measured direction nearest to each vector ``(x, y, z)``.

        The vectors need not be unit length (but must not be zero); float32 is fastest.
        """
        half = FINE_CELLS / 2
        scale = half / (np.abs(x) + np.abs(y) + np.abs(z))
        ip = (x * scale + half).astype(np.int32)
        iq = (y * scale + half).astype(np.int32)
        np.minimum(ip, FINE_CELLS - 1, out=ip)
        np.minimum(iq, FINE_CELLS - 1, out=iq)
        ip += (z < 0) * np.int32(FINE_CELLS)
        ip *= np.int32(FINE_CELLS)
        ip += iq
        out = self.table[ip]
        amb = np.flatnonzero(out < 0)
        if amb.size:
            out[amb] = self._resolve(-1 - out[amb], x[amb], y[amb], z[amb])
        return out

    def _resolve(self, rows, x, y, z) -> np.ndarray:
        """Nearest among each ambiguous cell's candidates (or by the k-d tree)."""
        u = self._cand_units[rows]  # (n, 3, N_CANDIDATES)
        dots = u[:, 0] * x[:, None]
        dots += u[:, 1] * y[:, None]
        dots += u[:, 2] * z[:, None]
        cand = self.candidates[rows]
        best = cand[np.arange(rows.size), np.argmax(dots, axis=1)]
        far = np.flatnonzero(cand[:, 0] < 0)
        if far.size:
            v = np.stack([x[far], y[far], z[far]], axis=1).astype(float)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            best[far] = self.tree.query(v)[1]
        return best

    def query_vectors(self, vectors: np.ndarray) -> np.ndarray:
        """:meth:`query` for an (n, 3) array."""
        v = np.asarray(vectors)
        return self.query(v[:, 0], v[:, 1], v[:, 2])


def direction_lookup(azimuth_deg: np.ndarray, elevation_deg: np.ndarray) -> DirectionLookup:
    """The :class:`DirectionLookup` of measured directions (degree arrays), built once.

    Kept in :mod:`.derived` under ``("direction_lookup", (azimuth_deg, elevation_deg))``, keyed
    by the arrays' identity: shells that share their direction arrays share one lookup. A miss
    there looks the directions up by content (a hash of their bytes, :data:`CONTENT_ENTRIES`
    kept), so that another set on the same grid reuses the lookup too.
    """
    az, el = np.asarray(azimuth_deg), np.asarray(elevation_deg)
    return derived("direction_lookup", (az, el), lambda: _lookup_by_content(az, el))


def _lookup_by_content(az: np.ndarray, el: np.ndarray) -> DirectionLookup:
    digest = hashlib.sha256()
    for a in (az, el):
        a = np.ascontiguousarray(a, dtype=float)
        digest.update(repr(a.shape).encode())
        digest.update(a.tobytes())
    key = digest.hexdigest()
    with _CONTENT_LOCK:
        if key in _BY_CONTENT:
            _BY_CONTENT.move_to_end(key)
            return _BY_CONTENT[key]
    units = spherical_to_cartesian(az.ravel(), el.ravel())
    path = _table_path(key)
    tables = _read_tables(path, units.shape[0])
    lookup = DirectionLookup(units, tables=tables)
    if tables is None:
        write_arrays(path, {"table": lookup.table, "candidates": lookup.candidates})
    with _CONTENT_LOCK:
        _BY_CONTENT[key] = lookup
        while len(_BY_CONTENT) > CONTENT_ENTRIES:
            _BY_CONTENT.popitem(last=False)
    return lookup


def _table_path(directions_key: str):
    """The cache file of the tables of the directions hashed as ``directions_key``."""
    constants = f"{LOOKUP_VERSION}:{FINE_CELLS}:{COARSE_CELLS}:{N_CANDIDATES}:{directions_key}"
    name = hashlib.sha256(constants.encode()).hexdigest()[:24]
    return cache_dir() / f"lookup-v{LOOKUP_VERSION}-{name}.npz"


def _read_tables(path, n_directions: int):
    """``(table, candidates)`` read from ``path``, or None when missing, unreadable or not
    tables of ``n_directions`` directions (shape, dtype, every index in range)."""
    arrays = read_arrays(path)
    if arrays is None or set(arrays) != {"table", "candidates"}:
        return None
    table, candidates = arrays["table"], arrays["candidates"]
    ok = (
        table.dtype == np.int32
        and table.shape == (2 * FINE_CELLS * FINE_CELLS,)
        and candidates.dtype == np.int32
        and candidates.ndim == 2
        and candidates.shape[1] == N_CANDIDATES
        and table.max(initial=-1) < n_directions
        and -1 - table.min(initial=0) < candidates.shape[0]
        and candidates.max(initial=-1) < n_directions
        and candidates.min(initial=0) >= -1
    )
    return (table, candidates) if ok else None


def shell_lookup(shell) -> DirectionLookup:
    """The :class:`DirectionLookup` of an HRIR shell (see :func:`direction_lookup`)."""
    return direction_lookup(shell.azimuth_deg, shell.elevation_deg)


__all__ = ["LOOKUP_VERSION", "DirectionLookup", "direction_lookup", "shell_lookup"]
