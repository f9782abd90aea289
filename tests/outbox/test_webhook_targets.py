"""Webhook targets in production: the sender connects to the address it checked, never to a
second answer for the name (DNS rebinding), and IPv6 forms that reach or wrap a private
address are refused.

The resolver is the one thing faked: ``socket.getaddrinfo`` answers for made-up names and
passes every other name to the real one. Connections, HTTP and TLS go over real sockets on
127.0.0.1.
"""

import ipaddress
import re
import socket
import ssl
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from urllib3.exceptions import SSLError

from roomloop.outbox.outbound import post
from roomloop.outbox.sender import deliver_due, sign
from roomloop.outbox.webhooks import _is_public, check_target, new_secret

from webhook_receiver import deliveries, register_webhook

PRODUCTION_TARGETS = {"WEBHOOK_ALLOW_PRIVATE_TARGETS": False, "WEBHOOK_TIMEOUT": 1}
PUBLIC = "93.184.216.34"
NAME = "hooks.school.example"

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


@pytest.fixture
def admin(create_account, auth_headers):
    return auth_headers(create_account(role="admin"))


@pytest.fixture
def listener():
    """A TCP socket listening on 127.0.0.1 that never accepts: connections wait in its backlog."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock


def connections(listener):
    """How many connections reached ``listener``."""
    listener.setblocking(False)
    count = 0
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


# --- DNS rebinding -----------------------------------------------------------------------


def test_a_name_that_answers_loopback_after_the_check_does_not_reach_loopback(
    client, admin, resolver, listener
):
    """The name answers a public address to the check and 127.0.0.1 afterwards: the sender
    connects to the public address it checked, and nothing reaches the loopback listener."""
    url = f"https://rebind.example:{listener.getsockname()[1]}/hook"
    resolver.answer("rebind.example", [PUBLIC])
    webhook = register_webhook(client, admin, url, ["account.*"])
    body = {"email": "ann@school.example", "name": "Ann"}
    assert client.post("/v1/accounts", json=body, headers=admin).status_code == 201
    resolver.answer("rebind.example", [PUBLIC], ["127.0.0.1"])

    assert deliver_due() == 1

    assert connections(listener) == 0
    [delivery] = deliveries(client, admin, webhook)
    assert (delivery["status"], delivery["attempts"]) == ("pending", 1)


# --- Which addresses are public ----------------------------------------------------------


@pytest.mark.parametrize("address", REFUSED)
def test_production_refuses_a_name_that_resolves_to_a_non_public_address(app, resolver, address):
    resolver.answer("target.example", [address])

    with pytest.raises(
        ValueError, match=re.escape(f"resolves to {ipaddress.ip_address(address)},")
    ):
        check_target("https://target.example/hook")


@pytest.mark.parametrize("address", ACCEPTED)
def test_production_accepts_a_public_address_and_returns_it_to_connect_to(app, resolver, address):
    resolver.answer("target.example", [address])

    assert check_target("https://target.example/hook") == [ipaddress.ip_address(address)]


def test_every_address_of_a_name_must_be_public(app, resolver):
    resolver.answer("target.example", ["8.8.8.8", "2606:4700:4700::1111", "10.0.0.1"])

    with pytest.raises(ValueError, match=re.escape("resolves to 10.0.0.1,")):
        check_target("https://target.example/hook")


@pytest.mark.parametrize(
    ("address", "public"), [(a, False) for a in REFUSED] + [(a, True) for a in ACCEPTED]
)
def test_is_public(address, public):
    assert _is_public(ipaddress.ip_address(address)) is public


# --- The pinned connection ---------------------------------------------------------------


def certificate(directory, name):
    """Write a self-signed certificate for ``name`` and its key; return the two paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def https_receiver(receivers, tmp_path):
    """Return a function that starts an HTTPS receiver on 127.0.0.1 with a self-signed
    certificate for ``name``; it returns the receiver, the certificate's path and the list of
    server names (SNI) that clients ask for."""

    def start(name):
        cert, key = certificate(tmp_path, name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server_names = []
        context.sni_callback = lambda sock, server_name, ctx: server_names.append(server_name)
        return receivers(tls=context), cert, server_names

    return start


def signed(body):
    """Headers as the sender writes them, signed with a new secret; return them and it."""
    secret = new_secret()
    now = datetime.now(UTC)
    return secret, {
        "content-type": "application/json",
        "webhook-id": "evt_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": sign([secret], "evt_1", now, body),
    }


LOOPBACK = [ipaddress.ip_address("127.0.0.1")]


@pytest.mark.parametrize("addresses", [LOOPBACK, None], ids=["pinned", "resolved"])
def test_the_connection_speaks_tls_to_the_name_whatever_address_it_goes_to(
    https_receiver, resolver, addresses
):
    """Pinned to 127.0.0.1 (or resolved there in development), the post carries the name in
    its Host header and as SNI, and the certificate is checked against the name."""
    receiver, cert, server_names = https_receiver(NAME)
    resolver.answer(NAME, ["127.0.0.1"])
    body = '{"id":"evt_1","type":"webhook.test"}'
    secret, headers = signed(body)
    url = f"https://{NAME}:{receiver.port}/hooks/roomloop?from=roomloop"

    status = post(url, body.encode(), headers, 5, addresses, ca_certs=cert)

    assert status == 200
    [arrival] = receiver.arrivals
    assert arrival.headers["host"] == f"{NAME}:{receiver.port}"
    assert server_names == [NAME]
    assert (arrival.method, arrival.path) == ("POST", "/hooks/roomloop?from=roomloop")
    assert arrival.body == body.encode()
    assert arrival.verify(secret)["id"] == "evt_1"


@pytest.mark.parametrize(
    ("served", "trusted"),
    [("other.school.example", True), (NAME, False)],
    ids=["another-name", "untrusted"],
)
def test_a_certificate_for_another_name_or_from_an_untrusted_authority_is_refused(
    https_receiver, served, trusted
):
    """A certificate for another name, or for the name but trusted by no authority that
    requests trusts (certifi's): the handshake fails and nothing is sent."""
    receiver, cert, _ = https_receiver(served)
    url = f"https://{NAME}:{receiver.port}/hooks/roomloop"

    with pytest.raises(SSLError):
        post(url, b"{}", signed("{}")[1], 5, LOOPBACK, ca_certs=cert if trusted else None)

    assert receiver.arrivals == []


def test_an_address_that_refuses_the_connection_gives_way_to_the_next(receiver):
    """127.0.0.2 refuses (the receiver listens on 127.0.0.1 only): the post goes to the next."""
    addresses = [ipaddress.ip_address(a) for a in ("127.0.0.2", "127.0.0.1")]
    url = f"http://{NAME}:{receiver.port}/hooks/roomloop"

    assert post(url, b"{}", {"content-type": "application/json"}, 5, addresses) == 200

    [arrival] = receiver.arrivals
    assert arrival.headers["host"] == f"{NAME}:{receiver.port}"
