"""Jurisdiction layers, routing, datums, coverage and offline folium maps; no database."""
