"""Vectorised point location in a set of areas: a grid answers interior cells, shapely the rest exactly."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from maps.layers import to_metric

# Location outcomes (the `status` array).
INSIDE = 0  # inside exactly one area, or on a shared boundary resolved by the tie-break
GAP_NEAREST = 1  # in no area; the nearest area within the tolerance
OUTSIDE = 2  # in no area and farther than the tolerance from all of them
INVALID = 3  # NaN or infinite coordinate

# Grid labels besides area indices.
_EDGE = -1  # a boundary passes through the cell: test exactly
_NONE = -2  # the cell lies in no area and farther from every boundary than the tolerance


@dataclass(frozen=True)
class Located:
    """Per point: area index (-1 if none), status, distance to it in metres, and whether a tie-break chose."""

    index: NDArray[np.int64]
    status: NDArray[np.int8]
    distance_m: NDArray[np.float64]
    tie: NDArray[np.bool_]


class AreaLocator:
    """Locate WGS-84 points in polygons by the closed-polygon rule with a fixed priority tie-break.

    A point on the boundary of several areas (closed polygons) goes to the one with the smallest
    `priority`; a point in none goes to the nearest area within `tolerance_m` (UTM 50N metres).
    """

    def __init__(self, geoms: ArrayLike, priority: ArrayLike, *, tolerance_m: float = 50.0,
                 cell_deg: float = 0.001) -> None:
        self.geoms = np.asarray(geoms, dtype=object)
        self.priority = np.asarray(priority, dtype=np.int64)
        if len(self.priority) != len(self.geoms):
            raise ValueError("priority must have one entry per area")
        if tolerance_m < 0:
            raise ValueError(f"tolerance_m must be >= 0, got {tolerance_m}")
        self.tolerance_m = float(tolerance_m)
        self.cell_deg = float(cell_deg)
        self.tree = shapely.STRtree(self.geoms)
        self._metric_tree: shapely.STRtree | None = None
        self._grid: NDArray[np.int32] | None = None
        minx, miny, maxx, maxy = shapely.total_bounds(self.geoms)
        # Gap points within the tolerance may sit this many cells from the boundary they belong to.
        cell_m = self.cell_deg * 111_320.0 * math.cos(math.radians(max(abs(miny), abs(maxy))))
        self._reach = math.ceil(self.tolerance_m / cell_m) if self.tolerance_m > 0 else 0
        pad = (self._reach + 2) * self.cell_deg
        self._origin = (minx - pad, miny - pad)
        self._shape = (math.ceil((maxy - miny + 2 * pad) / self.cell_deg),
                       math.ceil((maxx - minx + 2 * pad) / self.cell_deg))

    def locate(self, lons: ArrayLike, lats: ArrayLike) -> Located:
        """Locate many points: grid lookup for interior cells, exact shapely tests for the rest."""
        x = np.asarray(lons, dtype=float).ravel()
        y = np.asarray(lats, dtype=float).ravel()
        if x.shape != y.shape:
            raise ValueError(f"lons and lats differ in length ({x.size} != {y.size})")
        grid = self.grid()
        index = np.full(x.size, -1, dtype=np.int64)
        status = np.full(x.size, INSIDE, dtype=np.int8)
        distance = np.zeros(x.size, dtype=np.float64)
        tie = np.zeros(x.size, dtype=np.bool_)
        finite = np.isfinite(x) & np.isfinite(y)
        status[~finite] = INVALID
        col = np.floor((np.where(finite, x, 0.0) - self._origin[0]) / self.cell_deg).astype(np.int64)
        row = np.floor((np.where(finite, y, 0.0) - self._origin[1]) / self.cell_deg).astype(np.int64)
        in_grid = finite & (col >= 0) & (row >= 0) & (row < self._shape[0]) & (col < self._shape[1])
        label = np.full(x.size, _NONE, dtype=np.int64)
        label[in_grid] = grid[row[in_grid], col[in_grid]]
        index[label >= 0] = label[label >= 0]
        # Off the grid or in a "none" cell: farther than the tolerance from every area.
        status[finite & (label == _NONE)] = OUTSIDE
        exact = finite & (label == _EDGE)
        sel = np.flatnonzero(exact)
        if sel.size:
            sub = self.locate_exact(x[sel], y[sel])
            index[sel], status[sel], distance[sel], tie[sel] = sub.index, sub.status, sub.distance_m, sub.tie
        return Located(index, status, distance, tie)

    def locate_exact(self, lons: ArrayLike, lats: ArrayLike) -> Located:
        """Locate points with exact predicates only (no grid): the reference the grid must agree with."""
        x = np.asarray(lons, dtype=float).ravel()
        y = np.asarray(lats, dtype=float).ravel()
        n = x.size
        index = np.full(n, -1, dtype=np.int64)
        status = np.full(n, OUTSIDE, dtype=np.int8)
        distance = np.zeros(n, dtype=np.float64)
        tie = np.zeros(n, dtype=np.bool_)
        finite = np.isfinite(x) & np.isfinite(y)
        status[~finite] = INVALID
        fin = np.flatnonzero(finite)
        points = shapely.points(x[fin], y[fin])
        # "intersects" = closed polygon: boundary points are candidates of every area they touch.
        p_idx, a_idx = self.tree.query(points, predicate="intersects")
        first, counts = self._best(p_idx, a_idx)
        hit = fin[p_idx[first]]
        index[hit] = a_idx[first]
        status[hit] = INSIDE
        tie[hit] = counts > 1
        missing = fin[np.setdiff1d(np.arange(fin.size), p_idx, assume_unique=False)]
        if missing.size and self.tolerance_m > 0:
            self._nearest(x, y, missing, index, status, distance)
        return Located(index, status, distance, tie)

    def _best(self, p_idx: NDArray[np.int64], a_idx: NDArray[np.int64]) -> tuple[
        NDArray[np.int64], NDArray[np.int64]
    ]:
        """Positions (in the pair arrays) of each point's winning area, and its candidate count."""
        if p_idx.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        order = np.lexsort((a_idx, self.priority[a_idx], p_idx))
        _, start, counts = np.unique(p_idx[order], return_index=True, return_counts=True)
        return order[start], counts

    def _nearest(self, x: NDArray[np.float64], y: NDArray[np.float64], which: NDArray[np.int64],
                 index: NDArray[np.int64], status: NDArray[np.int8], distance: NDArray[np.float64]) -> None:
        """Gap points: the nearest area within the tolerance, measured in UTM 50N metres."""
        if self._metric_tree is None:
            self._metric_tree = shapely.STRtree(to_metric(self.geoms))
        points = to_metric(shapely.points(x[which], y[which]))
        (p_idx, a_idx), dist = self._metric_tree.query_nearest(
            points, max_distance=self.tolerance_m, return_distance=True, all_matches=True)
        first, _counts = self._best(p_idx, a_idx)
        found = which[p_idx[first]]
        index[found] = a_idx[first]
        status[found] = GAP_NEAREST
        distance[found] = dist[first]

    def grid(self) -> NDArray[np.int32]:
        """The lookup grid (built on first use): area index, or edge / none markers per cell."""
        if self._grid is None:
            self._grid = self._build_grid()
        return self._grid

    def _build_grid(self) -> NDArray[np.int32]:
        ny, nx = self._shape
        edge = np.zeros((ny, nx), dtype=np.bool_)
        # Segments shorter than a cell span at most two cells per axis, so marking the four cells
        # spanned by their end points marks every cell the boundary passes through (half-open cells).
        lines = shapely.segmentize(shapely.boundary(self.geoms), self.cell_deg * 0.9)
        coords, ring_of = shapely.get_coordinates(shapely.get_parts(lines), return_index=True)
        cx = np.floor((coords[:, 0] - self._origin[0]) / self.cell_deg).astype(np.int64)
        cy = np.floor((coords[:, 1] - self._origin[1]) / self.cell_deg).astype(np.int64)
        same = ring_of[1:] == ring_of[:-1]
        for a, b in ((cx[:-1], cy[:-1]), (cx[1:], cy[1:]), (cx[:-1], cy[1:]), (cx[1:], cy[:-1])):
            edge[b[same], a[same]] = True
        grid = np.full((ny, nx), _EDGE, dtype=np.int32)
        # Each row splits into runs of boundary-free cells; a run lies in a single area (or none),
        # so locating the centre of its first cell labels the whole run.
        free = ~edge
        starts = free.copy()
        starts[:, 1:] &= edge[:, :-1]
        run_id = np.cumsum(starts.ravel()) - 1
        srow, scol = np.nonzero(starts)
        sub = self.locate_exact(self._origin[0] + (scol + 0.5) * self.cell_deg,
                                self._origin[1] + (srow + 0.5) * self.cell_deg)
        run_label = np.where(sub.status == INSIDE, sub.index, _NONE).astype(np.int32)
        flat = grid.ravel()
        free_flat = free.ravel()
        flat[free_flat] = run_label[run_id[free_flat]]
        grid = flat.reshape(ny, nx)
        # Cells in no area but within reach of a boundary may hold gap points inside the tolerance.
        near = edge.copy()
        for _ in range(self._reach):
            grown = near.copy()
            grown[1:, :] |= near[:-1, :]
            grown[:-1, :] |= near[1:, :]
            grown[:, 1:] |= near[:, :-1]
            grown[:, :-1] |= near[:, 1:]
            grown[1:, 1:] |= near[:-1, :-1]
            grown[1:, :-1] |= near[:-1, 1:]
            grown[:-1, 1:] |= near[1:, :-1]
            grown[:-1, :-1] |= near[1:, 1:]
            near = grown
        grid[(grid == _NONE) & near] = _EDGE
        return grid
