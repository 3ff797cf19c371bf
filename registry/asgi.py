"""ASGI entry point for uvicorn workers: the app for the settings in the environment."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from registry.app import create_app
from registry.settings import Settings


def build() -> FastAPI:
    """Build the app in each worker process (uvicorn ``factory=True``)."""
    app = create_app(Settings())
    # Everything loaded so far (libraries, routes, code tables) lives as long as the worker. Frozen, the
    # cyclic collector stops walking it: full collections over it paused requests for 80-280 ms under load.
    gc.collect()
    gc.freeze()
    return app
