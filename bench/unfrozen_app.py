"""Baseline app for bench/load.py: the same app without `gc.freeze()` (what `registry.asgi.build` adds)."""

from __future__ import annotations

from fastapi import FastAPI

from registry.app import create_app
from registry.settings import Settings


def build() -> FastAPI:
    """The app as `registry.asgi.build` makes it, minus freezing the startup objects."""
    return create_app(Settings())
