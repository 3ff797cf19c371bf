"""Hardware (MAC) addresses as cameras spell them: parsed strictly, reported only when valid.

Some firmware fills `HwAddress` with garbage shaped like a MAC — six groups of six hex digits such as
`41a0bc:41a0bd:41a0be:41a0bf:41a0c0:41a0c1` (https://github.com/home-assistant/core/issues/63399). Pulling
the hex digits out of whatever arrives would turn that into a plausible but false address, and a filed
camera would then reconcile as "changed: mac"; so only the usual notations are accepted, and addresses no
network card can have (all zeros, broadcast, group bit set) are refused too.
"""

from __future__ import annotations

import re

_GROUPS6 = re.compile(r"^([0-9a-f]{1,2})([:-])([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2"
                      r"([0-9a-f]{1,2})\2([0-9a-f]{1,2})$")
_DOTTED = re.compile(r"^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$")
_BARE = re.compile(r"^[0-9a-f]{12}$")


def parse_mac(text: str) -> str | None:
    """`AA-BB-CC-DD-EE-FF`, `aa:bb:…`, `aabb.ccdd.eeff` or 12 bare hex digits → `aa:bb:cc:dd:ee:ff`; else None.

    None also for addresses that cannot belong to one network card: all zeros, broadcast, or with the
    group (multicast) bit set.
    """
    s = text.strip().lower()
    if m := _GROUPS6.match(s):
        octets = [int(m.group(i), 16) for i in (1, 3, 4, 5, 6, 7)]
    elif m := _DOTTED.match(s):
        octets = [int(h[i : i + 2], 16) for h in m.groups() for i in (0, 2)]
    elif _BARE.match(s):
        octets = [int(s[i : i + 2], 16) for i in range(0, 12, 2)]
    else:
        return None
    if not any(octets) or octets[0] & 0x01:  # all zeros; group bit (covers broadcast ff:ff:…)
        return None
    return ":".join(f"{o:02x}" for o in octets)


def normalise_mac(text: str) -> str:
    """The canonical form of a valid MAC; other text comes back stripped and lower-cased (for display)."""
    return parse_mac(text) or text.strip().lower()
