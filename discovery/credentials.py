"""Per-network camera credentials: loaded from a TOML file or a prompt, never logged or reported.

File format (TOML, read with the standard library)::

    [[network]]
    cidr = "198.18.0.0/24"
    credentials = [
      { username = "admin", password = "first-try" },
      { username = "admin", password = "second-try" },
    ]

For an address, pairs of the most specific matching network come first, then wider ones.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Credential:
    """A username/password pair; its repr hides the password so it cannot leak through logs."""

    username: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credential(username={self.username!r}, password=***)"

    __str__ = __repr__


@dataclass
class CredentialBook:
    """Credentials per network."""

    entries: list[tuple[ipaddress.IPv4Network, list[Credential]]] = field(default_factory=list)

    def for_address(self, address: str) -> list[Credential]:
        """Pairs to try for this address, most specific network first, duplicates dropped."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return []
        matching = sorted((e for e in self.entries if ip in e[0]), key=lambda e: -e[0].prefixlen)
        out: list[Credential] = []
        for _, creds in matching:
            out += [c for c in creds if c not in out]
        return out

    def secrets(self) -> list[str]:
        """Every password (used by tests and the report writer to prove none leaks)."""
        return [c.password for _, creds in self.entries for c in creds]

    @classmethod
    def single(cls, networks: list[str], credential: Credential) -> CredentialBook:
        """One pair for every scanned network (the interactive prompt's result)."""
        return cls([(ipaddress.IPv4Network(n, strict=False), [credential]) for n in networks])


class CredentialFileError(ValueError):
    """The credentials file is unreadable or malformed; the message names the field."""


def load_credentials(path: str | Path) -> CredentialBook:
    """Read a TOML credentials file (see module docstring)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CredentialFileError(f"{p}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CredentialFileError(f"{p}: not valid TOML ({exc})") from exc
    networks = data.get("network")
    if not isinstance(networks, list) or not networks:
        raise CredentialFileError(f"{p}: needs at least one [[network]] table with cidr and credentials")
    book = CredentialBook()
    for i, net in enumerate(networks, 1):
        where = f"{p}: network #{i}"
        if not isinstance(net, dict) or not isinstance(net.get("cidr"), str):
            raise CredentialFileError(f"{where}: field 'cidr' is missing or not a string")
        try:
            cidr = ipaddress.IPv4Network(net["cidr"], strict=False)
        except ValueError as exc:
            raise CredentialFileError(
                f"{where}: field 'cidr' {net['cidr']!r} is not an IPv4 network"
            ) from exc
        pairs = net.get("credentials")
        if not isinstance(pairs, list) or not pairs:
            raise CredentialFileError(f"{where}: field 'credentials' must be a non-empty list")
        creds = []
        for j, pair in enumerate(pairs, 1):
            if (
                not isinstance(pair, dict)
                or not isinstance(pair.get("username"), str)
                or not isinstance(pair.get("password"), str)
            ):
                raise CredentialFileError(f"{where}: credentials #{j} needs string 'username' and 'password'")
            creds.append(Credential(pair["username"], pair["password"]))
        book.entries.append((cidr, creds))
    return book
