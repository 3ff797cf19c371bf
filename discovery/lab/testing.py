"""Helpers for tests and benchmarks that need a lab: `running_lab`, `require_netns`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from discovery.lab.build import build_fleet
from discovery.lab.lab import Lab, down, up
from discovery.lab.model import FleetSpec
from discovery.lab.netns import netns_unavailable_reason


def in_ci() -> bool:
    """CI=true: missing capabilities are failures there, not skips."""
    return os.environ.get("CI", "").lower() == "true"


def require_netns() -> None:
    """Skip the calling pytest test when namespaces cannot be made; fail instead under CI=true."""
    import pytest

    reason = netns_unavailable_reason()
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def netns_available() -> bool:
    """Whether this process can build a namespace lab."""
    return netns_unavailable_reason() is None


@contextmanager
def running_lab(spec: FleetSpec | None = None, *, state_dir: Path | None = None, **build_kwargs: Any) -> Iterator[Lab]:
    """A lab that is up for the block and removed afterwards, whatever happens inside.

    Pass a FleetSpec, or `build_fleet` keyword arguments (e.g. `cameras=50, subnets=2`).
    """
    if spec is None:
        spec = build_fleet(**build_kwargs)
    elif build_kwargs:
        raise TypeError("running_lab: give a FleetSpec or build_fleet arguments, not both")
    lab = up(spec, state_dir=state_dir)
    try:
        yield lab
    finally:
        down(lab.name, state_dir=lab.state_dir)
