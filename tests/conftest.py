"""Shared test helpers: CI turns 'cannot run here' skips into failures."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip with a clear reason on a developer's machine; fail under CI=true, where everything must run."""
    if IN_CI:
        pytest.fail(f"CI=true but this test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first (the sample city alone takes over two minutes): with two xdist workers the long ones
    then run beside the many short ones instead of leaving one worker alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
