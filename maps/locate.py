"""Vectorised point location in a set of areas: a grid answers interior cells, shapely the rest exactly."""

from __future__ import annotations

import math
import threading
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

# Grid labels besides area indices (>= 0).
_EDGE = -1  # test exactly against every area (near a boundary, in no area, or areas overlap)
_NONE = -2  # the cell lies in no area and farther from every boundary than the tolerance
# Labels <= _LISTED: a boundary passes through the cell; candidate list number -(label - _LISTED).
_LISTED = -3
# The grid is capped at this many cells (coarser cells for an unusually large extent).
MAX_CELLS = 16_000_000


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
        if len(self.geoms) == 0:
            raise ValueError("no areas to locate points in")
        if len(self.priority) != len(self.geoms):
            raise ValueError("priority must have one entry per area")
        if tolerance_m < 0:
            raise ValueError(f"tolerance_m must be >= 0, got {tolerance_m}")
        self.tolerance_m = float(tolerance_m)
        self.cell_deg = float(cell_deg)
        self.tree = shapely.STRtree(self.geoms)
        self._metric_tree: shapely.STRtree | None = None
        self._grid: NDArray[np.int32] | None = None
        # Candidate areas of each listed edge cell, CSR-style: areas[ptr[k]:ptr[k + 1]].
        self._cand_ptr: NDArray[np.int64] = np.zeros(1, dtype=np.int64)
        self._cand_area: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        minx, miny, maxx, maxy = shapely.total_bounds(self.geoms)
        # Beijing at 0.001° is 3.4 M cells; a layer spanning far more gets coarser cells, not more memory.
        self.cell_deg = max(self.cell_deg, math.sqrt((maxx - minx + 0.1) * (maxy - miny + 0.1) / MAX_CELLS))
        self._lock = threading.Lock()
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
        listed = np.flatnonzero(finite & (label <= _LISTED))
        if listed.size:
            sub = self._locate_listed(x[listed], y[listed], _LISTED - label[listed])
            index[listed], status[listed], distance[listed], tie[listed] = (
                sub.index, sub.status, sub.distance_m, sub.tie)
        sel = np.flatnonzero(finite & (label == _EDGE))
        if sel.size:
            sub = self.locate_exact(x[sel], y[sel])
            index[sel], status[sel], distance[sel], tie[sel] = sub.index, sub.status, sub.distance_m, sub.tie
        return Located(index, status, distance, tie)

    def _locate_listed(self, x: NDArray[np.float64], y: NDArray[np.float64], cell: NDArray[np.int64],
                       nearest: bool = True) -> Located:
        """Exact tests against the few areas whose boundary crosses each point's cell."""
        n = x.size
        start, stop = self._cand_ptr[cell], self._cand_ptr[cell + 1]
        counts = stop - start
        p_idx = np.repeat(np.arange(n), counts)
        offset = np.arange(p_idx.size) - np.repeat(np.cumsum(counts) - counts, counts)
        a_idx = self._cand_area[np.repeat(start, counts) + offset]
        hit = np.zeros(p_idx.size, dtype=np.bool_)
        order = np.argsort(a_idx, kind="stable")
        areas, first = np.unique(a_idx[order], return_index=True)
        bounds = [*first.tolist(), order.size]
        for k, area in enumerate(areas.tolist()):
            pairs = order[bounds[k]:bounds[k + 1]]
            # intersects_xy: the closed polygon, so boundary points are candidates of both sides.
            hit[pairs] = shapely.intersects_xy(self.geoms[area], x[p_idx[pairs]], y[p_idx[pairs]])
        p_hit, a_hit = p_idx[hit], a_idx[hit]
        index = np.full(n, -1, dtype=np.int64)
        status = np.full(n, OUTSIDE, dtype=np.int8)
        distance = np.zeros(n, dtype=np.float64)
        tie = np.zeros(n, dtype=np.bool_)
        best, cnt = self._best(p_hit, a_hit)
        index[p_hit[best]] = a_hit[best]
        status[p_hit[best]] = INSIDE
        tie[p_hit[best]] = cnt > 1
        missing = np.flatnonzero(status != INSIDE)
        if nearest and missing.size and self.tolerance_m > 0:
            self._nearest(x, y, missing, index, status, distance)
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
        with self._lock:  # a server may route from several threads; build once
            if self._grid is None:
                self._grid = self._build_grid()
            return self._grid

    def _build_grid(self) -> NDArray[np.int32]:
        ny, nx = self._shape
        edge, pair_cell, pair_area = self._edge_cells()
        disjoint = self._disjoint()
        listed = np.full(ny * nx, -1, dtype=np.int64)
        if disjoint:
            # Areas that do not overlap: only areas whose boundary crosses a cell can hold its points.
            cells, first = np.unique(pair_cell, return_index=True)
            self._cand_ptr = np.append(first, pair_cell.size).astype(np.int64)
            self._cand_area = pair_area.astype(np.int64)
            listed[cells] = np.arange(cells.size)
        grid = np.full((ny, nx), _EDGE, dtype=np.int32)
        # Each row splits into runs of boundary-free cells; a run lies in a single area (or none),
        # so locating the centre of its first cell labels the whole run.
        free = ~edge
        starts = free.copy()
        starts[:, 1:] &= edge[:, :-1]
        run_id = np.cumsum(starts.ravel().view(np.uint8), dtype=np.int32) - 1
        srow, scol = np.nonzero(starts)
        sx = self._origin[0] + (scol + 0.5) * self.cell_deg
        sy = self._origin[1] + (srow + 0.5) * self.cell_deg
        if disjoint:
            # The area holding a run also reaches into the edge cell on its left (cells are half-open),
            # so that cell's candidates suffice; column 0 lies in the padding, outside every area.
            left = listed[srow * nx + np.maximum(scol - 1, 0)]
            run_label = np.full(srow.size, _NONE, dtype=np.int32)
            inner = np.flatnonzero(scol > 0)
            sub = self._locate_listed(sx[inner], sy[inner], left[inner], nearest=False)
            run_label[inner] = np.where(sub.status == INSIDE, sub.index, _NONE)
        else:
            sub = self.locate_exact(sx, sy)
            run_label = np.where(sub.status == INSIDE, sub.index, _NONE).astype(np.int32)
        flat = grid.ravel()
        free_flat = free.ravel()
        flat[free_flat] = run_label[run_id[free_flat]]
        grid = flat.reshape(ny, nx)
        # Cells in no area but within reach of a boundary may hold gap points inside the tolerance.
        grid[(grid == _NONE) & self._grow(edge, self._reach)] = _EDGE
        if disjoint:
            flat = grid.ravel()
            flat[cells] = _LISTED - np.arange(cells.size, dtype=np.int32)
        return grid

    def _edge_cells(self) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64]]:
        """Cells that area boundaries pass through, and the sorted unique (cell, area) pairs."""
        ny, nx = self._shape
        edge = np.zeros((ny, nx), dtype=np.bool_)
        # Segments shorter than a cell span at most two cells per axis, so marking the four cells
        # spanned by their end points marks every cell the boundary passes through (half-open cells).
        lines = shapely.segmentize(shapely.boundary(self.geoms), self.cell_deg * 0.9)
        parts, area_of_part = shapely.get_parts(lines, return_index=True)
        coords, part_of = shapely.get_coordinates(parts, return_index=True)
        cx = np.floor((coords[:, 0] - self._origin[0]) / self.cell_deg).astype(np.int64)
        cy = np.floor((coords[:, 1] - self._origin[1]) / self.cell_deg).astype(np.int64)
        same = part_of[1:] == part_of[:-1]
        seg_area = area_of_part[part_of[:-1][same]]
        keys = []
        for a, b in ((cx[:-1], cy[:-1]), (cx[1:], cy[1:]), (cx[:-1], cy[1:]), (cx[1:], cy[:-1])):
            edge[b[same], a[same]] = True
            keys.append((b[same] * nx + a[same]) * len(self.geoms) + seg_area)
        pairs = np.sort(np.concatenate(keys))
        pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]
        return edge, pairs // len(self.geoms), pairs % len(self.geoms)

    @staticmethod
    def _grow(mask: NDArray[np.bool_], steps: int) -> NDArray[np.bool_]:
        """Dilate a mask by `steps` cells in all eight directions."""
        for _ in range(steps):
            grown = mask.copy()
            grown[1:, :] |= mask[:-1, :]
            grown[:-1, :] |= mask[1:, :]
            grown[:, 1:] |= grown[:, :-1].copy()
            grown[:, :-1] |= grown[:, 1:].copy()
            mask = grown
        return mask

    def _disjoint(self) -> bool:
        """Whether no two areas share interior (any overlap, however small, disables candidate lists)."""
        left, right = self.tree.query(self.geoms, predicate="intersects")
        keep = left < right
        overlap = shapely.relate_pattern(self.geoms[left[keep]], self.geoms[right[keep]], "2********")
        return not bool(np.any(overlap))
