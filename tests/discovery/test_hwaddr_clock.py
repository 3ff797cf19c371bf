"""Pure functions behind real-device tolerance: MAC parsing, the camera clock, what counts as a refusal."""

from __future__ import annotations

import datetime as dt
import email.utils
from types import SimpleNamespace

import pytest

from discovery.calls import auth_kind, status_of
from discovery.clock import camera_offset, tz_offset_s
from discovery.hwaddr import parse_mac
from discovery.models import Device, FiledCamera, Status
from discovery.onvifclient import AuthRefused, DeviceFault
from discovery.reconcile import Outcome, reconcile


@pytest.mark.parametrize("text, mac", [
    ("44:19:B6:00:00:01", "44:19:b6:00:00:01"),
    ("44-19-b6-00-00-01", "44:19:b6:00:00:01"),
    ("4419.b600.0001", "44:19:b6:00:00:01"),
    ("4419B6000001", "44:19:b6:00:00:01"),
    ("44:19:b6:0:0:1", "44:19:b6:00:00:01"),  # unpadded groups, as some firmware prints them
    (" 44:19:b6:00:00:01\n", "44:19:b6:00:00:01"),
])
def test_valid_macs(text: str, mac: str) -> None:
    assert parse_mac(text) == mac


@pytest.mark.parametrize("text", [
    "41a0bc:41a0bd:41a0be:41a0bf:41a0c0:41a0c1",  # home-assistant/core#63399
    "88f261:88f262:88f263:88f264:88f265:88f266",
    "44:19:b6:00:00",  # five octets
    "44:19-b6:00:00:01",  # mixed separators
    "0:1:2:3:4:5:6:7:8:9:a:b",  # twelve digits, twelve groups: not a MAC either
    "00:00:00:00:00:00",
    "ff:ff:ff:ff:ff:ff",
    "01:00:5e:00:00:fb",  # a multicast address no card has
    "",
    "garbage",
])
def test_invalid_macs(text: str) -> None:
    assert parse_mac(text) is None


def test_reconciliation_ignores_a_garbled_mac_from_an_older_report() -> None:
    filed = FiledCamera(code="c1", ip="198.18.1.5", mac="04:39:26:42:bb:a3", serial="SN1")
    device = Device(address="198.18.1.5", serial="SN1", macs=["41a0bc:41a0bd:41a0be:41a0bf:41a0c0:41a0c1"])
    [entry] = reconcile([filed], [device]).entries
    assert entry.outcome is Outcome.MATCHED and entry.differences == []


@pytest.mark.parametrize("tz, seconds", [
    ("CST-8", 8 * 3600), ("CST-8:00:00", 8 * 3600), ("EST5EDT", -5 * 3600), ("UTC0", 0),
    ("AEST-10AEDT,M10.1.0,M4.1.0/3", 10 * 3600), ("<+0530>-5:30", 5.5 * 3600), ("IST-5:30", 5.5 * 3600),
])
def test_posix_tz_offsets(tz: str, seconds: float) -> None:
    assert tz_offset_s(tz) == seconds


def test_unreadable_tz() -> None:
    assert tz_offset_s("") is None and tz_offset_s("+8") is None


def _clock(t: dt.datetime) -> SimpleNamespace:
    return SimpleNamespace(Date=SimpleNamespace(Year=t.year, Month=t.month, Day=t.day),
                           Time=SimpleNamespace(Hour=t.hour, Minute=t.minute, Second=t.second))


NOW = dt.datetime(2026, 11, 27, 6, 0, 0, tzinfo=dt.UTC)
T = NOW.timestamp()


def _reply(utc: dt.datetime | None, local: dt.datetime | None, tz: str = "CST-8") -> SimpleNamespace:
    return SimpleNamespace(UTCDateTime=_clock(utc) if utc else None, LocalDateTime=_clock(local) if local else None,
                           TimeZone=SimpleNamespace(TZ=tz))


def _date(t: dt.datetime) -> str:
    return email.utils.format_datetime(t, usegmt=True)


def test_a_correct_clock() -> None:
    offset, note = camera_offset(_reply(NOW, NOW + dt.timedelta(hours=8)), T, T, _date(NOW))
    assert offset == 0 and note == ""


def test_local_time_labelled_utc_is_caught_by_the_date_header() -> None:
    # majestic-webui#292: UTCDateTime holds the local wall clock; the HTTP Date header is right.
    local = NOW + dt.timedelta(hours=8)
    offset, note = camera_offset(_reply(local, local), T, T, _date(NOW))
    assert offset == 0 and "local time" in note
    # Without a Date header, or one that backs UTCDateTime, the reply is believed as it stands.
    assert camera_offset(_reply(local, local), T, T, None)[0] == 8 * 3600
    assert camera_offset(_reply(local, local), T, T, _date(local))[0] == 8 * 3600


def test_local_time_only_and_date_header_only() -> None:
    offset, note = camera_offset(_reply(None, NOW + dt.timedelta(hours=8)), T, T)
    assert offset == 0 and "LocalDateTime" in note
    skewed = NOW + dt.timedelta(days=3)
    assert camera_offset(SimpleNamespace(), T, T, _date(skewed))[0] == 3 * 86400
    assert camera_offset(SimpleNamespace(), T, T, None) == (None, "")


@pytest.mark.parametrize("exc, kind", [
    (AuthRefused(401, digest=True, basic_only=False, carried=False), "auth"),
    (DeviceFault(400, "Sender", ["NotAuthorized"], "Sender not Authorized"), "auth"),
    (DeviceFault(400, "Sender", [], "Authority failure"), "auth"),  # TP-Link Tapo
    (DeviceFault(400, "Sender", [], ""), "suspect"),  # Reolink
    (DeviceFault(400, "Sender", ["NotAuthorized"], "The account is locked for 1800 s"), "locked"),
    (DeviceFault(500, "Receiver", ["ActionNotSupported"], "Not supported"), None),
    (DeviceFault(400, "Sender", ["InvalidArgVal"], "bad argument"), None),
])
def test_what_refuses_credentials(exc: Exception, kind: str | None) -> None:
    assert auth_kind(exc) == kind
    assert status_of(exc)[0] is (Status.AUTH_FAILED if kind else Status.SOAP_FAULT)
