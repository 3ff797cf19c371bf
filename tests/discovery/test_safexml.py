"""Untrusted XML: size cap, DOCTYPE/ENTITY refusal (also when hidden by another encoding), malformed input."""

from __future__ import annotations

import pytest

from discovery.safexml import HostileXML, parse_untrusted, text_of
from tests.discovery.fakes import BOMB, XXE


def test_plain_documents_parse() -> None:
    root = parse_untrusted(b"<?xml version='1.0'?><a><!-- c --><b> x </b></a>")
    assert text_of(root.find("b")) == "x" and text_of(None) == ""


@pytest.mark.parametrize("data, reason", [
    (BOMB.encode(), "doctype"),
    (XXE.encode(), "doctype"),
    ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'.encode("utf-16"), "doctype"),
    (b"<a>" + b"x" * 2_000_000 + b"</a>", "too_large"),
    (b"<a><b></a>", "malformed"),
    (b"   ", "malformed"),
    (b"<a>&undefined;</a>", "malformed"),
])
def test_hostile_documents(data: bytes, reason: str) -> None:
    with pytest.raises(HostileXML) as exc:
        parse_untrusted(data)
    assert exc.value.reason == reason
