"""Credentials file: TOML per network, most specific first, clear errors, no password in repr."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from discovery.credentials import Credential, CredentialFileError, load_credentials

GOOD = """
[[network]]
cidr = "198.18.0.0/16"
credentials = [{ username = "admin", password = "wide" }]

[[network]]
cidr = "198.18.1.0/24"
credentials = [{ username = "admin", password = "narrow" }, { username = "admin", password = "wide" }]
"""


def test_most_specific_network_first(tmp_path: Path) -> None:
    f = tmp_path / "creds.toml"
    f.write_text(GOOD)
    book = load_credentials(f)
    assert [c.password for c in book.for_address("198.18.1.7")] == ["narrow", "wide"]
    assert [c.password for c in book.for_address("198.18.2.7")] == ["wide"]
    assert book.for_address("10.0.0.1") == [] and book.for_address("bogus") == []
    assert "narrow" not in repr(book) and "wide" not in repr(book)


@pytest.mark.parametrize("text, message", [
    ("not toml [", "not valid TOML"),
    ("x = 1", "at least one [[network]]"),
    ('[[network]]\ncidr = "nope"\ncredentials = []', "field 'cidr'"),
    ('[[network]]\ncidr = "198.18.0.0/24"', "field 'credentials'"),
    ('[[network]]\ncidr = "198.18.0.0/24"\ncredentials = [{ username = "a" }]', "credentials #1"),
])
def test_bad_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "c.toml"
    f.write_text(text)
    with pytest.raises(CredentialFileError, match=re.escape(message)):
        load_credentials(f)
    with pytest.raises(CredentialFileError, match="cannot read"):
        load_credentials(tmp_path / "missing.toml")


def test_credential_repr_hides_password() -> None:
    assert "hunter2" not in f"{Credential('a', 'hunter2')!r} {Credential('a', 'hunter2')}"
