"""Jurisdiction layers, routing, datums, coverage and offline folium maps; no database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maps.routing import Jurisdictions, OutsideJurisdiction, Route, RoutingError

__all__ = ["Jurisdictions", "OutsideJurisdiction", "Route", "RoutingError"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import maps.datums` does not pay for geopandas.
    if name in __all__:
        from maps import routing

        return getattr(routing, name)
    raise AttributeError(f"module 'maps' has no attribute {name!r}")
