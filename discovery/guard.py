"""The read-only guard: the one list of ONVIF operations a scan may ever send."""

from __future__ import annotations

#: A scan only reads. No Set*, Create*, Delete*, Reboot, subscription — ever.
READ_ONLY_OPERATIONS: frozenset[str] = frozenset(
    {
        "GetSystemDateAndTime",
        "GetDeviceInformation",
        "GetNetworkInterfaces",
        "GetScopes",
        "GetHostname",
        "GetCapabilities",
        "GetProfiles",
        "GetStreamUri",
        "GetServices",
        "GetRecordingSummary",
    }
)


class WriteRefused(RuntimeError):
    """Code tried to send an operation that is not on the read-only list."""


def check_operation(name: str) -> None:
    """Raise WriteRefused unless `name` is an allowed read-only operation."""
    if name not in READ_ONLY_OPERATIONS or not name.startswith("Get"):
        raise WriteRefused(
            f"operation {name or '<none>'!r} is not on the read-only list; a scan never sends it"
        )
