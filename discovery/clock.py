"""The camera's clock, which a WS-UsernameToken digest must be dated by (`wsu:Created`).

A digest dated by our clock fails on a camera whose clock is off (reset to 2000 after a power cut, local
time stored as UTC…) until someone syncs it (https://github.com/home-assistant/core/issues/121952); ONVIF
Device Manager reads the camera's clock without credentials and dates the token by it, and so do we. Where
the answer is missing or wrong, other evidence is used, in this order:

- `UTCDateTime` from GetSystemDateAndTime — unless it equals `LocalDateTime` while the time zone is not
  UTC and the reply's HTTP `Date` header shows true UTC: firmware that fills UTCDateTime with local wall
  time then refuses tokens dated by it (https://github.com/OpenIPC/majestic-webui/issues/292);
- `LocalDateTime` minus the POSIX `TZ` offset when UTCDateTime is absent
  (https://github.com/agsh/onvif/pull/165, https://github.com/home-assistant/core/pull/26656);
- the HTTP `Date` header of the reply when GetSystemDateAndTime itself demands credentials
  (https://github.com/lumeohq/onvif-rs/pull/65).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from typing import Any

_TZ_STD = re.compile(r"^\s*(?:<[^>]*>|[A-Za-z]{3,})([+-]?)(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}))?")
#: A reply's Date header only counts as evidence when it explains the difference to within this.
_AGREE_S = 90.0


def _datetime(value: Any) -> dt.datetime | None:
    try:
        d, t = value.Date, value.Time
        return dt.datetime(d.Year, d.Month, d.Day, t.Hour, t.Minute, t.Second, tzinfo=dt.UTC)
    except (AttributeError, TypeError, ValueError):
        return None


def tz_offset_s(tz: str) -> float | None:
    """Local minus UTC in seconds for a POSIX TZ such as `CST-8` (+8 h) or `EST5EDT` (-5 h); None if unreadable."""
    m = _TZ_STD.match(tz or "")
    if not m:
        return None
    sign, hours, minutes, seconds = m.groups()
    value = int(hours) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    return float(value if sign == "-" else -value)  # POSIX counts west of Greenwich as positive


def date_header_time(value: str | None) -> dt.datetime | None:
    """The time an HTTP `Date` header states (always GMT), or None."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _midpoint(sent_at: float, received_at: float) -> dt.datetime:
    return dt.datetime.fromtimestamp((sent_at + received_at) / 2, dt.UTC)


def offset_from_header(date_header: str | None, sent_at: float, received_at: float) -> float | None:
    """Camera clock minus ours, from a reply's Date header (1 s resolution)."""
    camera = date_header_time(date_header)
    if camera is None:
        return None
    return round((camera - _midpoint(sent_at, received_at)).total_seconds(), 3)


def camera_offset(
    reply: Any, sent_at: float, received_at: float, date_header: str | None = None
) -> tuple[float | None, str]:
    """Camera clock minus ours from a GetSystemDateAndTime reply, and a note when the reply needed mending."""
    system = getattr(reply, "SystemDateAndTime", reply)  # zeep may hand the inner element or the response
    utc = _datetime(getattr(system, "UTCDateTime", None))
    local = _datetime(getattr(system, "LocalDateTime", None))
    tz = getattr(getattr(system, "TimeZone", None), "TZ", None) or ""
    tz_off = tz_offset_s(str(tz))
    midpoint = _midpoint(sent_at, received_at)
    header = date_header_time(date_header)
    if utc is not None:
        offset = (utc - midpoint).total_seconds()
        if local is not None and tz_off and abs((utc - local).total_seconds()) < 2 and header is not None:
            # UTC == local in a non-UTC zone: one of the two is wrong. Believe the one the Date header backs.
            true_utc = utc - dt.timedelta(seconds=tz_off)
            if abs((true_utc - header).total_seconds()) < _AGREE_S < abs((utc - header).total_seconds()):
                note = f"clock: UTCDateTime carries local time (TZ {tz}); dated tokens by UTC instead"
                return round((true_utc - midpoint).total_seconds(), 3), note
        return round(offset, 3), ""
    if local is not None:
        true_utc = local - dt.timedelta(seconds=tz_off or 0.0)
        return round((true_utc - midpoint).total_seconds(), 3), "clock: no UTCDateTime; used LocalDateTime and TZ"
    if header is not None:
        return round((header - midpoint).total_seconds(), 3), "clock: unreadable reply; used its HTTP Date header"
    return None, ""
