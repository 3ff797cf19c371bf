"""Shared helpers of the discovery benchmarks: run a Python snippet inside the lab's laptop namespace
and read back the JSON it prints. Both our scanner and the baseline run this way, on the same lab,
one after the other, so neither gets a warmer cache or a different network."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from discovery.lab import Lab  # noqa: E402


def in_laptop(lab: Lab, snippet: str, *, timeout: float = 600) -> dict[str, Any]:
    """Run `snippet` (which must print one JSON object last) in the laptop; return that object."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), CAMREG_SCAN_ALLOWED_NETWORKS="198.18.0.0/15")
    proc = lab.run_in_laptop([sys.executable, "-c", textwrap.dedent(snippet)], capture_output=True, text=True,
                             timeout=timeout, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"snippet failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def line(label: str, ours: float, base: float | None, unit: str, target: str, *, more_is_better: bool = False) -> str:
    """One result row: ours, the baseline, the ratio (how many times better ours is) and the target."""
    fmt = "9.0f" if more_is_better else "9.3f"
    if base is None:
        return f"{label:<44} ours {ours:{fmt}} {unit:<7} baseline {'—':>9}          target {target}"
    num, den = (ours, base) if more_is_better else (base, ours)
    ratio = f"{num / den:6.1f}×" if den else "   inf"
    return (f"{label:<44} ours {ours:{fmt}} {unit:<7} baseline {base:{fmt}} {unit:<7} ratio {ratio}  "
            f"target {target}")


def require_root() -> None:
    """Benchmarks need the namespace lab (root)."""
    from discovery.lab import netns_available

    if not netns_available():
        sys.exit("these benchmarks need root and `ip netns` (the namespace lab); run them as root")
