"""Posting to a host without resolving its name a second time.

A check that a host resolves to public addresses is worth nothing if the connection then
resolves the name again: a name can answer a public address to the check and 127.0.0.1 to
the connection (DNS rebinding). ``post`` connects to the addresses it is given, the ones
that were checked, and uses the name only where it belongs: in the Host header, as the TLS
server name (SNI) and as the name the server's certificate must be valid for.
"""

import requests.certs
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError
from urllib3.util import parse_url

DEFAULT_PORTS = {"http": 80, "https": 443}


def post(url, body, headers, timeout, addresses=None, ca_certs=None):
    """POST ``body`` to ``url`` and return the answer's status code; a redirect is not followed.

    The connection goes to the first of ``addresses`` that accepts it, or, when ``addresses``
    is None, to any address the host resolves to. ``ca_certs`` (a PEM file) replaces the
    certificate authorities requests trusts. Failures raise ``urllib3.exceptions.HTTPError``.
    """
    target = parse_url(url)  # the host lower-cased, IDNA-encoded, an IPv6 one in brackets
    port = target.port or DEFAULT_PORTS[target.scheme]
    host = target.host if port == DEFAULT_PORTS[target.scheme] else f"{target.host}:{port}"
    name = target.host.strip("[]")
    hosts = [name] if addresses is None else [str(address) for address in addresses]
    for n, address in enumerate(hosts, 1):
        if target.scheme == "https":
            # server_hostname: SNI, and OpenSSL checks the certificate against the name
            pool = HTTPSConnectionPool(
                address,
                port,
                server_hostname=name,
                cert_reqs="CERT_REQUIRED",
                ca_certs=ca_certs or requests.certs.where(),
            )
        else:
            pool = HTTPConnectionPool(address, port)
        try:
            response = pool.urlopen(
                "POST",
                target.request_uri,
                body=body,
                headers={**headers, "host": host},
                redirect=False,
                retries=False,
                timeout=timeout,
                preload_content=False,  # only the status counts: the body is never read
            )
            response.close()
            return response.status
        except ConnectTimeoutError:  # refused (NewConnectionError) or no answer in time
            if n == len(hosts):
                raise
        finally:
            pool.close()
