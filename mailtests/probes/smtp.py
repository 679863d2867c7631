"""One SMTP session with an MX address (RFC 5321, RFC 3207): greeting, EHLO, STARTTLS, TLS facts, QUIT.

The client is the standard library's ``smtplib`` with ``ssl``; nothing of SMTP is written
here. The STARTTLS command is sent with ``docmd`` and the socket wrapped here (as
``SMTP.starttls`` does), so that the TLS name is the MX host's, not the address
connected to. Certificates are validated by OpenSSL during the handshake, against
the system's trust store (OpenSSL's defaults, honouring ``SSL_CERT_FILE``) or a CA file;
when that fails the session is made once more without validation, to record what
the host presents. Two short extra handshakes, capped at TLS 1.0 and TLS 1.1, show
whether those versions are refused (RFC 8996).
"""

from __future__ import annotations

import functools
import os
import smtplib
import socket
import ssl
import time
import warnings
from dataclasses import dataclass, field

OLD_VERSIONS = (("TLSv1", ssl.TLSVersion.TLSv1), ("TLSv1.1", ssl.TLSVersion.TLSv1_1))
#: A reply longer than this ends the session (smtplib reads multi-line replies without a bound).
MAX_REPLY = 64 * 1024
#: A conversation lasts at most this many timeouts, however slowly the server drips its lines.
DEADLINE_TIMEOUTS = 6
_DER = 2  # _ssl.ENCODING_DER


@dataclass
class SmtpSession:
    """What one MX address did when asked (everything it sent is untrusted text)."""

    host: str
    address: str
    port: int = 25
    transcript: list[str] = field(default_factory=list)
    connect_error: str | None = None  # no TCP connection (refused, unreachable, timed out)
    greeting_code: int | None = None
    greeting: str = ""  # the greeting's text, lines joined by newlines
    ehlo_code: int | None = None
    ehlo_lines: list[str] = field(default_factory=list)
    starttls_offered: bool = False
    starttls_reply: str | None = None
    error: str | None = None  # what went wrong after the connection was made
    tls_error: str | None = None  # the handshake failed (other than validation)
    tls_version: str | None = None
    cipher: str | None = None
    chain: list[bytes] = field(default_factory=list)  # DER, leaf first, as the host presented it
    verify_error: str | None = None  # OpenSSL's reason the chain does not validate for the host; None: valid
    old_versions: dict[str, str] = field(default_factory=dict)  # "TLSv1" -> accepted | refused | not tested: ...
    elapsed: float = 0.0
    _summary: dict | None = field(default=None, repr=False, compare=False)

    @property
    def connected(self) -> bool:
        return self.connect_error is None

    @property
    def greeted(self) -> bool:
        return self.greeting_code == 220

    @property
    def tls(self) -> bool:
        return self.tls_version is not None

    def summary(self) -> dict:
        """The session as evidence (JSON-safe; certificates described, not dumped); one dict per session, so that
        the checks citing it share it (results.json tables it once)."""
        from .certs import describe

        if self._summary is None:
            self._summary = self._describe(describe)
        return self._summary

    def _describe(self, describe) -> dict:
        return {
            "host": self.host, "address": self.address, "port": self.port, "transcript": list(self.transcript),
            "tls_version": self.tls_version, "cipher": self.cipher, "verify_error": self.verify_error,
            "old_versions": dict(self.old_versions), "certificates": [describe(der) for der in self.chain],
        }


def verifying_context(ca_file: str | None) -> ssl.SSLContext:
    """OpenSSL's default trust store (``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured), or only ``ca_file``.

    Made once per store and shared by every session and fetch of the run (a context serves any number of
    connections, from any thread): loading the store costs tens of milliseconds each time."""
    return _context(ca_file, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=8)
def _context(ca_file: str | None, cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()


def _unverified_context() -> ssl.SSLContext:
    """A client context that verifies nothing: ``create_default_context()``'s settings, without loading the system's
    CA store first (about 70 ms each, twice at import for OLD_CONTEXTS; a context that verifies nothing never reads
    it)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _old_context(version: ssl.TLSVersion) -> ssl.SSLContext | str:
    """A client that offers only ``version`` (the security level lowered so that OpenSSL 3 may negotiate it), or
    why this machine's OpenSSL cannot offer it."""
    try:
        ctx = _unverified_context()
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        with warnings.catch_warnings():  # offering a deprecated version is the point: no warning for the user
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = version
            ctx.maximum_version = version
        return ctx
    except (ssl.SSLError, ValueError) as exc:
        return f"not tested: this machine's OpenSSL cannot offer it ({exc})"


#: Made once, at import (in the main thread: ``catch_warnings`` is not thread-safe); shared by the probes' threads.
OLD_CONTEXTS: dict[str, ssl.SSLContext | str] = {name: _old_context(version) for name, version in OLD_VERSIONS}


def chain_of(sock: ssl.SSLSocket) -> list[bytes]:
    """The certificates the peer presented, leaf first (DER)."""
    getter = getattr(sock, "get_unverified_chain", None)  # Python 3.13+
    if getter is None:
        getter = getattr(getattr(sock, "_sslobj", None), "get_unverified_chain", None)  # 3.10-3.12 (private)
    if getter is not None:
        certs = getter() or []
        return [c if isinstance(c, bytes) else c.public_bytes(_DER) for c in certs]
    der = sock.getpeercert(binary_form=True)
    return [der] if der else []


def _why(exc: BaseException, step: str, timeout: float) -> str:
    if "mailtests: " in str(exc):  # a bound of _BoundedSMTP
        return f"{str(exc).split('mailtests: ', 1)[1]} {step}".strip()
    if isinstance(exc, (socket.timeout, TimeoutError)) or "timed out" in str(exc):  # smtplib wraps timeouts
        return f"no reply {step} within {timeout:g} s"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"the server closed the connection {step}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (nothing listens on the port)"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} {step}"
    return f"{exc} {step}".strip()


class _Bounded:
    """The reply reader of :class:`_BoundedSMTP`: ends a reply that is too long or a conversation that is too slow."""

    def __init__(self, inner, owner: _BoundedSMTP) -> None:
        self.inner = inner
        self.owner = owner
        self.left = MAX_REPLY

    def readline(self, size: int = -1) -> bytes:
        if time.monotonic() > self.owner.deadline:
            raise OSError(f"mailtests: the conversation took longer than {self.owner.limit:g} s")
        line = self.inner.readline(size)
        self.left -= len(line)
        if self.left < 0:
            raise OSError(f"mailtests: a reply longer than {MAX_REPLY // 1024} KB")
        return line

    def close(self) -> None:
        self.inner.close()


class _BoundedSMTP(smtplib.SMTP):
    """smtplib's client, its replies bounded in length and the whole conversation in time (hostile servers)."""

    def __init__(self, local_hostname: str, timeout: float) -> None:
        self.limit = timeout * DEADLINE_TIMEOUTS
        self.deadline = time.monotonic() + self.limit
        super().__init__(local_hostname=local_hostname, timeout=timeout)

    def getreply(self):
        if self.sock is not None and not isinstance(self.file, _Bounded):
            self.file = _Bounded(self.file or self.sock.makefile("rb"), self)
        if isinstance(self.file, _Bounded):
            self.file.left = MAX_REPLY
        return super().getreply()


class _Conversation:
    """One SMTP connection, recorded line by line into a session's transcript."""

    def __init__(self, session: SmtpSession, ehlo_name: str, timeout: float, record: bool = True) -> None:
        self.session = session
        self.timeout = timeout
        self.record = record
        self.smtp = _BoundedSMTP(ehlo_name, timeout)

    def note(self, line: str) -> None:
        if self.record:
            self.session.transcript.append(line)

    def reply(self, code: int, message: bytes) -> list[str]:
        lines = message.decode("utf-8", "replace").split("\n") if message else [""]
        for i, line in enumerate(lines):
            self.note(f"S: {code}{' ' if i == len(lines) - 1 else '-'}{line}")
        return lines

    def command(self, text: str) -> tuple[int, list[str]]:
        self.note(f"C: {text}")
        if text.startswith("EHLO"):
            code, message = self.smtp.ehlo()
        else:
            code, message = self.smtp.docmd(text)
        return code, self.reply(code, message)

    def close(self) -> None:
        try:
            if self.smtp.sock is not None:
                self.note("C: QUIT")
                code, message = self.smtp.docmd("QUIT")
                self.reply(code, message)
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            self.smtp.close()

    def until_starttls(self) -> bool:
        """Connect, read the greeting, EHLO and STARTTLS: True when the handshake may start."""
        s, smtp = self.session, self.smtp
        try:
            code, message = smtp.connect(s.address, s.port)
        except smtplib.SMTPException as exc:  # connected; the greeting did not come (smtplib closed the socket)
            s.error = (f"no greeting within {self.timeout:g} s" if "timed out" in str(exc)
                       else "the server closed the connection before its greeting")
            return False
        except OSError as exc:
            timed_out = isinstance(exc, (socket.timeout, TimeoutError))
            s.connect_error = (f"the connection timed out after {self.timeout:g} s" if timed_out
                               else _why(exc, "", self.timeout).strip())
            return False
        step = "after the greeting"
        try:
            if self.record:
                s.greeting_code = code
                s.greeting = "\n".join(self.reply(code, message))
            if code != 220:
                return False
            step = "to EHLO"
            code, lines = self.command(f"EHLO {smtp.local_hostname}")
            if self.record:
                s.ehlo_code, s.ehlo_lines = code, lines
                s.starttls_offered = code == 250 and smtp.has_extn("starttls")
            if code != 250 or not smtp.has_extn("starttls"):
                return False
            step = "to STARTTLS"
            code, lines = self.command("STARTTLS")
            if self.record:
                s.starttls_reply = f"{code} {' '.join(lines)}"
            return code == 220
        except (OSError, smtplib.SMTPException) as exc:
            s.error = _why(exc, step, self.timeout)
            return False

    def handshake(self, context: ssl.SSLContext) -> ssl.SSLSocket:
        sock = context.wrap_socket(self.smtp.sock, server_hostname=self.session.host)
        smtp = self.smtp
        smtp.sock, smtp.file = sock, None
        smtp.helo_resp = smtp.ehlo_resp = None
        smtp.esmtp_features, smtp.does_esmtp = {}, False
        return sock


def probe_smtp(host: str, address: str, port: int = 25, *, timeout: float = 10.0, ehlo_name: str = "localhost",
               ca_file: str | None = None) -> SmtpSession:
    """Talk to one MX address as a sender would, and record what it said."""
    host = host.rstrip(".")
    session = SmtpSession(host, address, port)
    started = time.monotonic()
    talk = _Conversation(session, ehlo_name, timeout)
    try:
        if talk.until_starttls():
            try:
                sock = talk.handshake(verifying_context(ca_file))
            except ssl.SSLCertVerificationError as exc:
                session.verify_error = exc.verify_message or str(exc)
                talk.note(f"(TLS: the certificate does not validate for {host}: {session.verify_error}; "
                          "connecting again without validation to record what the host presents)")
                talk.smtp.close()
                talk = _Conversation(session, ehlo_name, timeout, record=False)
                sock = talk.handshake(_unverified_context()) if talk.until_starttls() else None
            if sock is not None:
                session.tls_version, session.cipher = sock.version(), (sock.cipher() or ("",))[0]
                session.chain = chain_of(sock)
                talk.note(f"(TLS established: {session.tls_version}, {session.cipher})")
                talk.command(f"EHLO {talk.smtp.local_hostname}")
    except ssl.SSLError as exc:
        session.tls_error = exc.reason or str(exc)
        talk.note(f"(TLS handshake failed: {session.tls_error})")
    except (OSError, smtplib.SMTPException) as exc:
        session.error = session.error or _why(exc, "after STARTTLS", timeout)
    finally:
        talk.close()
    if session.starttls_offered and session.starttls_reply and session.starttls_reply.startswith("220"):
        for name, context in OLD_CONTEXTS.items():
            session.old_versions[name] = _try_old(session, context, ehlo_name, timeout)
    session.elapsed = time.monotonic() - started
    return session


def _try_old(session: SmtpSession, context: ssl.SSLContext | str, ehlo_name: str, timeout: float) -> str:
    """``accepted``, ``refused``, or ``not tested: <why>`` for a handshake capped at an old version."""
    if isinstance(context, str):
        return context
    scratch = SmtpSession(session.host, session.address, session.port)
    talk = _Conversation(scratch, ehlo_name, timeout)
    try:
        if not talk.until_starttls():
            return f"not tested: {scratch.connect_error or scratch.error or 'STARTTLS was not accepted'}"
        talk.handshake(context)
        return "accepted"
    except ssl.SSLError as exc:
        if "NO_PROTOCOLS_AVAILABLE" in str(exc) or "NO_CIPHERS" in str(exc):
            return f"not tested: this machine's OpenSSL cannot offer it ({exc.reason})"
        return "refused"
    except OSError as exc:
        return f"refused ({_why(exc, 'during the handshake', timeout)})"
    finally:
        talk.smtp.close()
