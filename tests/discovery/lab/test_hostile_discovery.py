"""Hostile and lossy WS-Discovery replies, on a loopback lab."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from lxml import etree

from discovery.lab import running_lab
from discovery.lab.probe import probe_message
from tests.discovery.lab import clean_fleet

SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
MODES = ["entity_bomb", "external_entity", "huge_reply", "endless_reply", "malformed_xml", "not_onvif", "slow"]


def collect(sock: socket.socket, seconds: float) -> list[tuple[bytes, tuple[str, int]]]:
    out = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            out.append(sock.recvfrom(65535))
        except TimeoutError:
            break
    return out


def test_hostile_replies_and_loss(tmp_path: Path) -> None:
    spec = clean_fleet(
        len(MODES) + 1,
        vendors=["hikvision"],  # answers every probe shape
        loopback=True,
        seed=5,
        name=f"hd{os.getpid() % 10000}",
        hostile=[f"wsd:{m}" for m in MODES],
        max_delay_ms=50,
        slow_delay_s=1.0,
    )
    lossy = next(d for d in spec.devices if d.hostile_wsd is None)
    lossy.drop_rate = 0.5
    with running_lab(spec, state_dir=tmp_path) as lab:
        by_addr = {(d.ip, d.wsd_port): d for d in lab.devices}
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        sock.bind(("127.0.0.1", 0))
        sock.sendto(probe_message(""), lab.multicast_target)
        got: dict[str, list[bytes]] = {}
        for data, addr in collect(sock, 1.6):
            got.setdefault(by_addr[addr].hostile_wsd or "none", []).append(data)

        assert len(got["huge_reply"][0]) >= 60_000
        assert b"<!ENTITY lol9" in got["entity_bomb"][0]
        assert b"file:///etc/hostname" in got["external_entity"][0]
        assert len(got["endless_reply"]) > 5  # still streaming after one probe
        for mode in ("malformed_xml", "not_onvif"):
            try:
                etree.fromstring(got[mode][0], SAFE)
                parsed = True
            except (etree.XMLSyntaxError, OSError):  # lxml raises OSError on some binary garbage
                parsed = False
            assert not parsed, mode
        assert len(got["slow"]) == 1  # late, but it came

        # Lab-side loss: about half the probes and half the replies vanish.
        lossy = lab.spec.by_id(lossy.id)  # the running lab's copy knows the bound port
        sock.settimeout(0.2)
        for _ in range(40):
            sock.sendto(probe_message(""), (lossy.ip, lossy.wsd_port))
        replies = [a for _, a in collect(sock, 1.0) if a == (lossy.ip, lossy.wsd_port)]
        assert 1 <= len(replies) <= 30
        sock.close()
