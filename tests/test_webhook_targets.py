"""Webhook targets in production: addresses that reach or wrap a private one, IPv6 forms
included, are refused.

The resolver is the one thing faked: ``socket.getaddrinfo`` answers for made-up names and
passes every other name to the real one.
"""

import ipaddress
import re
import socket
from collections import deque

import pytest

from roomloop.webhooks import _is_public, check_target

PRODUCTION_TARGETS = {"WEBHOOK_ALLOW_PRIVATE_TARGETS": False, "WEBHOOK_TIMEOUT": 1}
PUBLIC = "93.184.216.34"

REFUSED = [
    "::7f00:1",  # IPv4-compatible ::127.0.0.1
    "::ffff:0:7f00:1",  # IPv4-translated ::ffff:0:127.0.0.1
    "64:ff9b:1::1",  # local-use NAT64
    "fec0::1",  # site-local
    "::ffff:10.0.0.1",  # IPv4-mapped 10.0.0.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2001::1",  # Teredo
    "ff02::1",
    "fc00::1",
    "fe80::1",
    "::1",
    "224.0.0.1",
    "100.64.0.1",
    "127.0.0.1",
    "10.0.0.5",
    "169.254.169.254",
]
ACCEPTED = ["2606:4700:4700::1111", "64:ff9b::808:808", "8.8.8.8", PUBLIC]


@pytest.fixture
def app_config():
    return PRODUCTION_TARGETS


class Resolver:
    """Answers for made-up names: ``answer(name, [a], [b])`` answers [a] to the next lookup of
    ``name`` and [b] to every later one."""

    def __init__(self, real):
        self.real = real
        self.answers = {}

    def answer(self, name, *answers):
        self.answers[name] = deque(answers)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        if host not in self.answers:
            return self.real(host, port, family, type, proto, flags)
        queue = self.answers[host]
        addresses = queue.popleft() if len(queue) > 1 else queue[0]
        return [info(ipaddress.ip_address(a), int(port)) for a in addresses]


def info(address, port):
    """The getaddrinfo entry for a TCP connection to ``address``."""
    if address.version == 6:
        return socket.AF_INET6, socket.SOCK_STREAM, 0, "", (str(address), port, 0, 0)
    return socket.AF_INET, socket.SOCK_STREAM, 0, "", (str(address), port)


@pytest.fixture
def resolver(monkeypatch):
    """Fake the resolver for the names a test gives answers for."""
    fake = Resolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


# --- Which addresses are public ----------------------------------------------------------


@pytest.mark.parametrize("address", REFUSED)
def test_production_refuses_a_name_that_resolves_to_a_non_public_address(app, resolver, address):
    resolver.answer("target.example", [address])

    with pytest.raises(
        ValueError, match=re.escape(f"resolves to {ipaddress.ip_address(address)},")
    ):
        check_target("https://target.example/hook")


@pytest.mark.parametrize("address", ACCEPTED)
def test_production_accepts_a_name_that_resolves_to_a_public_address(app, resolver, address):
    resolver.answer("target.example", [address])

    check_target("https://target.example/hook")


def test_every_address_of_a_name_must_be_public(app, resolver):
    resolver.answer("target.example", ["8.8.8.8", "2606:4700:4700::1111", "10.0.0.1"])

    with pytest.raises(ValueError, match=re.escape("resolves to 10.0.0.1,")):
        check_target("https://target.example/hook")


@pytest.mark.parametrize(
    ("address", "public"), [(a, False) for a in REFUSED] + [(a, True) for a in ACCEPTED]
)
def test_is_public(address, public):
    assert _is_public(ipaddress.ip_address(address)) is public
