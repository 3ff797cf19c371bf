"""The worker entry point: the app it builds and the collector state it leaves."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from registry.asgi import build


@pytest.fixture
def unfreeze() -> Iterator[None]:
    """Give the frozen objects back to the collector, so other tests in this process are unaffected."""
    yield
    gc.unfreeze()


def test_build_freezes_startup_objects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unfreeze: None) -> None:
    """Long-lived startup objects are out of the cyclic collector's reach: no long full collections under load."""
    monkeypatch.setenv("CAMREG_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CAMREG_DATABASE_URL", raising=False)
    gc.unfreeze()
    app = build()
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the libraries and the app, not a handful of objects
    assert gc.isenabled()  # frozen, not switched off: request garbage with cycles is still collected
    with TestClient(app) as client:
        assert client.get("/api/v1/openapi.json").status_code == 200
        assert client.get("/api/v1/cameras").status_code == 401
    app.state.engine.dispose()
