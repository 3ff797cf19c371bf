"""ASGI entry point for uvicorn workers: the app for the settings in the environment."""

from __future__ import annotations

from fastapi import FastAPI

from registry.app import create_app
from registry.settings import Settings


def build() -> FastAPI:
    """Build the app in each worker process (uvicorn ``factory=True``)."""
    return create_app(Settings())
