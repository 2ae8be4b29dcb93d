"""Image sources of a shoebox room (Allen & Berkley, 1979), vectorised and memory bounded.

Along each axis of a room ``[0, L]`` the images of a source at ``s`` are, for an integer ``n`` and a
parity ``p`` in {0, 1},

    x(n, p) = (1 - 2 p) s + 2 n L,     reflections(n, p) = |n - p| + |n| = |2 n - p|.

(``p = 1`` mirrors the source in the wall ``x = 0``; every further pair of reflections, one on
each wall, adds ``2 L``. For example ``x(0, 1) = -s`` (one reflection, on x = 0),
``x(1, 1) = 2 L - s`` (one, on x = L), ``x(1, 0) = s + 2 L`` (two), ``x(-1, 1) = -s - 2 L``
(three).) An image of the room is one choice of ``(n, p)`` per axis; its reflection order is the
sum of the three counts.

Only images within ``max_distance_m`` of the receiver are generated: the candidates of each
axis are listed first (a few hundred), the (x, y) pairs inside the sphere next, and for each
pair and z parity the admissible ``n_z`` form one contiguous range (a *run*), computed in
closed form. Nothing outside
the sphere is ever built, and the images come out in chunks of bounded size.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..errors import RenderError

#: Default upper bound on the number of images per chunk.
DEFAULT_CHUNK = 1 << 18


def _axis_candidates(s: float, r: float, length: float, reach: float):
    """All (offset from receiver, reflection count) along one axis with ``|offset| <= reach``."""
    n_max = int(np.ceil((reach + abs(s) + abs(r)) / (2.0 * length))) + 1
    n = np.arange(-n_max, n_max + 1)
    offsets, counts, lows = [], [], []
    for p in (0, 1):
        off = (1 - 2 * p) * s + 2.0 * n * length - r
        keep = np.abs(off) <= reach
        offsets.append(off[keep])
        counts.append((np.abs(n - p) + np.abs(n))[keep])
        lows.append(np.abs(n - p)[keep])  # reflections on the wall at 0 (|n| on the wall at L)
    return np.concatenate(offsets), np.concatenate(counts), np.concatenate(lows)


def _z_ranges(rho: np.ndarray, c: float, length: float):
    """First ``n`` and count of the z images ``c + 2 n L`` with ``|c + 2 n L| <= rho``."""
    lo = np.ceil((-rho - c) / (2.0 * length)).astype(np.int64)
    hi = np.floor((rho - c) / (2.0 * length)).astype(np.int64)
    return lo, np.maximum(hi - lo + 1, 0)


def _check_inside(name: str, point: np.ndarray, dims: np.ndarray) -> None:
    if point.shape != (3,) or not np.all(np.isfinite(point)):
        raise RenderError(f"{name} must be 3 finite coordinates, got {point.tolist()}")
    if np.any(point <= 0) or np.any(point >= dims):
        raise RenderError(
            f"{name} {point.tolist()} must lie strictly inside the room {dims.tolist()}"
        )


def iter_image_offsets(
    room,
    source_m,
    *,
    receiver_m,
    max_distance_m: float,
    chunk_size: int = DEFAULT_CHUNK,
    dtype=np.float64,
    walls: bool = False,
    parity: bool = False,
) -> Iterator[tuple[np.ndarray, ...]]:
    """Image positions relative to the receiver, as columns, in chunks (the renderer's form).

    Parameters are those of :func:`iter_image_sources`; ``dtype`` is that of the offsets.
    ``walls=True`` adds an item per chunk: the reflections of each image on each surface,
    (k, 6) int32 in the order floor (z = 0), ceiling (z = Lz), x = 0, x = Lx, y = 0, y = Ly.
    Along an axis, image ``(n, p)`` meets the wall at 0 ``|n - p|`` times and the wall at ``L``
    ``|n|`` times; along z, with ``k = 2 n - p`` and ``p = k mod 2``, that is ``|k - p| / 2`` and
    ``|k + p| / 2``. ``parity=True`` adds (after the walls, if both) each image's mirror
    parities, (k,) uint8 (:func:`parity_code`): along an axis an image ``(n, p)`` is reflected
    ``|2 n - p|`` times, an odd number exactly when ``p = 1``, so the parities are read off the
    lattice index without counting walls.

    Yields
    ------
    dx, dy, dz : ndarray, shape (k,)
        Image position minus receiver position (metres).
    orders : ndarray of int32, shape (k,)
        Number of wall reflections of each image.
    """
    dims = np.asarray(getattr(room, "dimensions_m", room), dtype=float).ravel()
    s = np.asarray(source_m, dtype=float).ravel()
    r = np.asarray(receiver_m, dtype=float).ravel()
    _check_inside("source", s, dims)
    _check_inside("receiver", r, dims)
    if not max_distance_m >= 0:
        raise RenderError(f"max_distance_m must be >= 0, got {max_distance_m}")
    if chunk_size < 1:
        raise RenderError(f"chunk_size must be >= 1, got {chunk_size}")
    runs, lows = _runs(dims, s, r, float(max_distance_m), dtype)
    count = runs[-1]
    codes = parity_code(lows[1], lows[3], runs[4]) if parity else None  # constant along a run
    cum = np.cumsum(count)
    first = 0
    while first < count.size:
        base = cum[first - 1] if first else 0
        last = max(int(np.searchsorted(cum, base + chunk_size, side="right")), first + 1)
        sel = slice(first, last)
        chunk = _expand(*(a[sel] for a in runs), 2.0 * dims[2])
        if walls:
            chunk = (*chunk, _wall_counts(runs, lows, sel))
        if parity:
            chunk = (*chunk, np.repeat(codes[sel], count[sel]))
        yield chunk
        first = last


def parity_code(x, y, z) -> np.ndarray:
    """Mirror parities of images as one code (uint8): bit 0 set when the reflections ``x`` along
    the x axis are odd, bit 1 for ``y``, bit 2 for ``z`` (counts, or any integers of the same
    parities such as the lattice's ``2 n - p``)."""
    x, y, z = (np.asarray(v) for v in (x, y, z))
    return ((x & 1) | ((y & 1) << 1) | ((z & 1) << 2)).astype(np.uint8)


def _wall_counts(runs, lows, sel) -> np.ndarray:
    """Reflections per surface (k, 6) of the images of the runs ``sel`` (see above)."""
    count = runs[-1][sel]
    total = int(count.sum())
    step = np.arange(total, dtype=np.int32)
    step -= np.repeat((np.cumsum(count) - count).astype(np.int32), count)
    k = np.repeat(runs[4][sel], count) + 2 * step
    p = k & 1
    x_lo, x_all, y_lo, y_all = (np.repeat(a[sel], count) for a in lows)
    return np.stack(
        [np.abs(k - p) // 2, np.abs(k + p) // 2, x_lo, x_all - x_lo, y_lo, y_all - y_lo], axis=1
    ).astype(np.int32)


def _runs(dims, s, r, reach, dtype):
    """The runs of images within ``reach``: one per ((x, y) pair, z parity), a range of n_z.

    Returns (x offset, y offset, z offset of the first image, x + y reflections,
    ``2 n_z - p_z`` of the first image, number of images) per run, and the per-run reflection
    counts of :func:`_wall_counts`.
    """
    ox, cx, lx = _axis_candidates(s[0], r[0], dims[0], reach)
    oy, cy, ly = _axis_candidates(s[1], r[1], dims[1], reach)
    # (x, y) pairs inside the disc of radius ``reach``
    rho2 = reach * reach - ox[:, None] ** 2 - oy[None, :] ** 2
    ix, iy = np.nonzero(rho2 >= 0)
    rho = np.sqrt(rho2[ix, iy])
    parity = np.tile(np.array([0, 1]), ix.size)
    pair = np.repeat(np.arange(ix.size), 2)
    cz = np.where(parity == 0, s[2], -s[2]) - r[2]  # z offset of n = 0
    first_n, count = _z_ranges(rho[pair], cz, dims[2])
    live = count > 0
    pair, parity, cz, first_n, count = (a[live] for a in (pair, parity, cz, first_n, count))
    return (
        ox[ix[pair]].astype(dtype),
        oy[iy[pair]].astype(dtype),
        (cz + 2.0 * first_n * dims[2]).astype(dtype),
        (cx[ix[pair]] + cy[iy[pair]]).astype(np.int32),
        (2 * first_n - parity).astype(np.int32),  # z reflections of image n: |2 n - p|
        count,
    ), tuple(
        v.astype(np.int32) for v in (lx[ix[pair]], cx[ix[pair]], ly[iy[pair]], cy[iy[pair]])
    )  # per run: x reflections on x = 0, all x reflections; the same along y


def _expand(run_x, run_y, run_z, run_order, run_k, count, step_z):
    """Images of a group of runs: offset columns and reflection orders."""
    total = int(count.sum())
    step = np.arange(total, dtype=np.int32)
    step -= np.repeat((np.cumsum(count) - count).astype(np.int32), count)
    dx = np.repeat(run_x, count)
    dy = np.repeat(run_y, count)
    dz = np.repeat(run_z, count)
    dz += step.astype(dz.dtype) * dz.dtype.type(step_z)
    k = np.repeat(run_k, count)
    k += 2 * step
    orders = np.repeat(run_order, count)
    orders += np.abs(k)
    return dx, dy, dz, orders


def iter_image_sources(
    room,
    source_m,
    *,
    receiver_m,
    max_distance_m: float,
    chunk_size: int = DEFAULT_CHUNK,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Image sources within ``max_distance_m`` of the receiver, in chunks.

    Parameters
    ----------
    room : ShoeboxRoom or sequence of 3 floats
        The room (or its dimensions in metres).
    source_m, receiver_m : sequence of 3 floats
        Positions strictly inside the room, metres.
    max_distance_m : float
        Keep images whose distance to the receiver is at most this (inclusive).
    chunk_size : int
        Upper bound on the images per chunk (a chunk may be larger only when one run of
        images along z alone holds more).

    Yields
    ------
    positions : ndarray, shape (k, 3)
        Image positions in room coordinates (metres).
    orders : ndarray of int64, shape (k,)
        Number of wall reflections of each image (0 for the source itself).
    """
    r = np.asarray(receiver_m, dtype=float).ravel()
    for dx, dy, dz, orders in iter_image_offsets(
        room,
        source_m,
        receiver_m=receiver_m,
        max_distance_m=max_distance_m,
        chunk_size=chunk_size,
    ):
        yield np.stack([dx, dy, dz], axis=1) + r, orders.astype(np.int64)


def image_sources(
    room,
    source_m,
    *,
    receiver_m,
    max_distance_m: float,
    chunk_size: int = DEFAULT_CHUNK,
) -> tuple[np.ndarray, np.ndarray]:
    """All image sources within ``max_distance_m`` of the receiver, in one pair of arrays.

    Same parameters as :func:`iter_image_sources`; returns ``(positions (K, 3), orders (K,))``.
    """
    parts = list(
        iter_image_sources(
            room,
            source_m,
            receiver_m=receiver_m,
            max_distance_m=max_distance_m,
            chunk_size=chunk_size,
        )
    )
    if not parts:
        return np.empty((0, 3)), np.empty(0, dtype=np.int64)
    return np.concatenate([p for p, _ in parts]), np.concatenate([o for _, o in parts])


__all__ = [
    "image_sources",
    "iter_image_sources",
    "iter_image_offsets",
    "parity_code",
    "DEFAULT_CHUNK",
]
