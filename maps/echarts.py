"""Decoder for ECharts' compressed GeoJSON (`"UTF8Encoding": true`), as shipped in echarts 4.x maps."""

from __future__ import annotations

import copy
from typing import Any

# ECharts 4 divides the decoded integers by this unless the file says otherwise (`UTF8Scale`).
DEFAULT_SCALE = 1024.0

Ring = list[list[float]]


def decode_ring(encoded: str, offsets: tuple[int, int] | list[int], scale: float = DEFAULT_SCALE) -> Ring:
    """Decode one ring: character pairs of zig-zag, delta-encoded integers starting at `offsets`."""
    if len(encoded) % 2:
        raise ValueError(f"encoded ring has an odd number of characters ({len(encoded)})")
    prev_x, prev_y = int(offsets[0]), int(offsets[1])
    ring: Ring = []
    for i in range(0, len(encoded), 2):
        x = ord(encoded[i]) - 64
        y = ord(encoded[i + 1]) - 64
        # Zig-zag: even numbers are non-negative, odd ones negative.
        x = (x >> 1) ^ -(x & 1)
        y = (y >> 1) ^ -(y & 1)
        prev_x += x
        prev_y += y
        ring.append([prev_x / scale, prev_y / scale])
    return ring


def _decode_polygon(rings: list[Any], offsets: list[Any], scale: float) -> list[Ring]:
    if len(rings) != len(offsets):
        raise ValueError(f"polygon has {len(rings)} rings but {len(offsets)} encodeOffsets")
    out: list[Ring] = []
    for ring, off in zip(rings, offsets, strict=True):
        decoded = decode_ring(ring, off, scale) if isinstance(ring, str) else [list(map(float, p)) for p in ring]
        if decoded and decoded[0] != decoded[-1]:
            decoded.append(list(decoded[0]))  # GeoJSON rings are closed; ECharts' are not always
        out.append(decoded)
    return out


def decode_geojson(data: dict[str, Any]) -> dict[str, Any]:
    """Return a plain GeoJSON FeatureCollection from an ECharts map object (decoded copy, input untouched)."""
    result = copy.deepcopy(data)
    if not result.pop("UTF8Encoding", False):
        return result
    scale = float(result.pop("UTF8Scale", DEFAULT_SCALE) or DEFAULT_SCALE)
    for i, feature in enumerate(result.get("features", [])):
        geom = feature.get("geometry") or {}
        kind = geom.get("type")
        offsets = geom.pop("encodeOffsets", None)
        if offsets is None:
            raise ValueError(f"feature {i} ({feature.get('id')}): encoded geometry without encodeOffsets")
        if kind == "Polygon":
            geom["coordinates"] = _decode_polygon(geom["coordinates"], offsets, scale)
        elif kind == "MultiPolygon":
            geom["coordinates"] = [
                _decode_polygon(poly, off, scale)
                for poly, off in zip(geom["coordinates"], offsets, strict=True)
            ]
        else:
            raise ValueError(f"feature {i} ({feature.get('id')}): unsupported geometry type {kind!r}")
    return result
