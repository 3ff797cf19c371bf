"""The grid-accelerated locator agrees with exact shapely predicates, whatever the tolerance."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from maps.locate import GAP_NEAREST, INSIDE, INVALID, OUTSIDE, AreaLocator


def areas() -> list[shapely.Geometry]:
    """A slanted edge, a triangle with a notch (gap), and a detached square."""
    a = Polygon([(116.0, 40.0), (116.05, 40.0), (116.03, 40.04), (116.0, 40.04)])
    b = Polygon([(116.05, 40.0), (116.1, 40.0), (116.1, 40.04), (116.03, 40.04)])
    b = b.difference(box(116.07, 40.01, 116.075, 40.015))  # a hole: a gap inside b
    c = box(116.2, 40.0, 116.21, 40.01)
    return [a, b, c]


@pytest.mark.parametrize("tolerance_m", [0.0, 50.0, 300.0])
@pytest.mark.parametrize("cell_deg", [0.001, 0.004])
@pytest.mark.parametrize("overlap", [False, True])
def test_grid_equals_exact(tolerance_m: float, cell_deg: float, overlap: bool) -> None:
    # Disjoint areas use per-cell candidate lists; an overlapping area forces the general path.
    geoms = [*areas(), box(116.02, 40.02, 116.06, 40.03)] if overlap else areas()
    loc = AreaLocator(geoms, list(range(len(geoms)))[::-1], tolerance_m=tolerance_m, cell_deg=cell_deg)
    assert loc._disjoint() is not overlap
    rng = np.random.default_rng(3)
    x, y = rng.uniform(115.98, 116.23, 20_000), rng.uniform(39.98, 40.06, 20_000)
    verts = shapely.get_coordinates(geoms)
    x, y = np.concatenate([x, verts[:, 0]]), np.concatenate([y, verts[:, 1]])
    fast, exact = loc.locate(x, y), loc.locate_exact(x, y)
    assert np.array_equal(fast.index, exact.index)
    assert np.array_equal(fast.status, exact.status)
    assert np.allclose(fast.distance_m, exact.distance_m)
    statuses = set(np.unique(exact.status).tolist())
    assert {INSIDE, OUTSIDE} <= statuses and (GAP_NEAREST in statuses) == (tolerance_m > 0)


def test_priority_decides_shared_edges() -> None:
    loc = AreaLocator(areas(), [2, 1, 0])
    # (116.03, 40.04) is the shared vertex at the top of the slanted edge a|b; b has the better priority.
    got = loc.locate([116.03, 116.01, 116.04], [40.04, 40.02, 40.02])
    assert got.index.tolist()[:2] == [1, 0] and got.tie.tolist()[:2] == [True, False]
    assert got.index[2] in (0, 1)  # mid-edge: float rounding may put it on either side, never on none
    swapped = AreaLocator(areas(), [0, 1, 2]).locate([116.03], [40.04])
    assert swapped.index.tolist() == [0]


def test_gap_distance_and_invalid_points() -> None:
    loc = AreaLocator(areas(), [0, 1, 2], tolerance_m=50)
    # Centre of the hole: 0.0025° from its edges, about 213 m east-west / 278 m north-south: outside.
    got = loc.locate([116.0725, 116.0705, np.nan], [40.0125, 40.0125, 40.0])
    assert got.status.tolist() == [OUTSIDE, GAP_NEAREST, INVALID]
    assert got.index.tolist() == [-1, 1, -1]
    assert 40 < got.distance_m[1] < 45  # 0.0005° of longitude at 40°N is ~42.6 m


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="priority"):
        AreaLocator(areas(), [0, 1])
    with pytest.raises(ValueError, match="tolerance_m"):
        AreaLocator(areas(), [0, 1, 2], tolerance_m=-1)
    with pytest.raises(ValueError, match="differ in length"):
        AreaLocator(areas(), [0, 1, 2]).locate([1.0, 2.0], [1.0])
