"""One HTTPS GET as RFC 8461 §3.3 fetches an MTA-STS policy, with the standard library's ``http.client``.

No redirect is followed (``http.client`` follows none); the certificate must be valid
for the URL's host (OpenSSL's default store, honouring ``SSL_CERT_FILE``, or a CA
file); at most :data:`~mailtests.mtasts.MAX_POLICY_BYTES` are read. The host's address
comes from the caller (the project's DNS layer, which knows zone files and the lab);
the TLS name and the ``Host`` header are the URL's host.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .smtp import DEADLINE_TIMEOUTS, chain_of, verifying_context

USER_AGENT = "mailtests (MTA-STS policy check)"


@dataclass
class Fetch:
    url: str
    host: str
    address: str | None = None
    status: int | None = None
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    truncated: bool = False  # the body went on beyond the limit; reading stopped there
    error: str | None = None  # no HTTP answer: the connection, the handshake or the request failed
    verify_error: str | None = None  # the certificate does not validate for the host
    tls_version: str | None = None
    chain: list[bytes] = field(default_factory=list)
    elapsed: float = 0.0
    _summary: dict | None = field(default=None, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def summary(self) -> dict:
        """The fetch as evidence (JSON-safe); one dict per fetch, shared by the checks citing it."""
        if self._summary is None:
            self._summary = self._describe()
        return self._summary

    def _describe(self, body_limit: int = 65536) -> dict:
        from .certs import describe

        return {
            "url": self.url, "address": self.address, "status": self.status, "reason": self.reason,
            "headers": [list(h) for h in self.headers], "error": self.error, "verify_error": self.verify_error,
            "tls_version": self.tls_version, "truncated": self.truncated,
            "body": self.body[:body_limit].decode("utf-8", "replace"),
            "certificates": [describe(der) for der in self.chain[:1]],
        }


class _Pinned(http.client.HTTPSConnection):
    """An HTTPS connection to a given address, with the URL's host as TLS name and Host header."""

    def __init__(self, host: str, address: str, port: int, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _read(response: http.client.HTTPResponse, most: int, deadline: float) -> bytes:
    """At most ``most`` bytes of the body, read in pieces; a body that drips in beyond the deadline is an error."""
    chunks: list[bytes] = []
    size = 0
    while size < most:
        if time.monotonic() > deadline:
            raise TimeoutError("the body took too long to arrive")
        chunk = response.read(min(16384, most - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def fetch(url: str, addresses: list[str], *, timeout: float = 10.0, limit: int = 65536,
          ca_file: str | None = None) -> Fetch:
    """GET ``url`` from the first of ``addresses`` that connects; never follow a redirect."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    result = Fetch(url, host)
    started = time.monotonic()
    if not addresses:
        result.error = f"{host} has no address"
    for address in addresses:
        result.address = address
        conn = _Pinned(host, address, parts.port or 443, timeout, verifying_context(ca_file))
        try:
            conn.request("GET", parts.path or "/", headers={"User-Agent": USER_AGENT, "Accept": "text/plain"})
            response = conn.getresponse()
            result.status, result.reason = response.status, response.reason
            result.headers = list(response.getheaders())
            result.body = _read(response, limit + 1, started + timeout * DEADLINE_TIMEOUTS)
            if len(result.body) > limit:
                result.body, result.truncated = result.body[:limit], True
            sock = conn.sock
            if isinstance(sock, ssl.SSLSocket):
                result.tls_version, result.chain = sock.version(), chain_of(sock)
            result.error = None
            break
        except ssl.SSLCertVerificationError as exc:
            result.verify_error = exc.verify_message or str(exc)
            result.error = f"the certificate of {host} does not validate: {result.verify_error}"
            break
        except (OSError, http.client.HTTPException) as exc:
            kind = "timed out" if isinstance(exc, (socket.timeout, TimeoutError)) else str(exc) or type(exc).__name__
            result.error = f"{address} port {parts.port or 443}: {kind}"
        finally:
            conn.close()
    result.elapsed = time.monotonic() - started
    return result
