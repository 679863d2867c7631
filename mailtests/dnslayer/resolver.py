"""Asking a DNS server over the wire: UDP first, TCP when the answer is truncated.

RFC 1035 §4.2.1 (UDP, truncation), RFC 7766 §5 (TCP fallback), RFC 6891 (EDNS
buffer size). One :class:`WireSource` asks a list of servers with retries; it
serves both recursive questions (to the configured resolvers) and direct,
non-recursive ones (to a zone's name servers).

The query's wire is made here (:class:`Query`), not by ``dns.message.make_query``: building
a dnspython Message and rendering it cost 0.1-0.25 ms a question, a fifth of the CPU a run
spends per question, for 30 bytes that are the same but for the name and type (RFC 1035
§4.1, RFC 6891 §6.1.2 OPT with the DO bit of RFC 3225). The UDP exchange is written here too
(:func:`_exchange`: dnspython's makes an epoll selector for every wait) and the response is read by
:mod:`mailtests.dnslayer.response` (a quarter of the CPU went into dnspython's Message); dnspython
still reads each record's data and does the TCP fallback.

Two more costs per question are the operating system's, and paid here once for many
questions: ``dns.query.udp`` opens and closes a socket for every question, and
``dns.entropy.random_16`` reads the kernel's random source for every query id (together
a sixth of a warm-up process's CPU in a profile at 1,000 domains). :class:`UdpSockets` lends a
socket to one question at a time and retires it after :data:`SOCKET_USES` questions
(the source port still changes often; the id stays unpredictable, RFC 5452 §9.2), and
:func:`query_id` takes the ids from a buffer of the kernel's random bytes.
"""

from __future__ import annotations

import functools
import os
import socket
import struct
import threading
import time
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from .answer import TIMEOUT, Answer
from .response import Response, from_message, read_response

#: EDNS buffer size of the DNS Flag Day 2020: no fragmentation on common paths.
EDNS_PAYLOAD = 1232


#: The OPT pseudo-record every query carries (RFC 6891 §6.1.2): root owner, type OPT, the UDP payload size as its
#: class, extended rcode 0, version 0, the DO flag (RFC 3225 §3) in its TTL, no options.
_OPT = b"\x00" + struct.pack("!HHIH", dns.rdatatype.OPT, EDNS_PAYLOAD, dns.flags.DO, 0)
#: Responses that may leave the question out (dnspython's ``Message.is_response``).
_BARE_RCODES = frozenset({dns.rcode.FORMERR, dns.rcode.SERVFAIL, dns.rcode.NOTIMP, dns.rcode.REFUSED})


#: Questions asked from one UDP socket (one at a time) before it is closed and another opened.
SOCKET_USES = 64
#: Random bytes read at once for query ids.
_ID_BYTES = 4096


class _QueryIds:
    """Unpredictable 16-bit query ids (RFC 5452 §4.3), read from ``os.urandom`` a buffer at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: list[int] = []

    def next(self) -> int:
        with self._lock:
            if not self._ids:
                self._ids = list(memoryview(os.urandom(_ID_BYTES)).cast("H"))
            return self._ids.pop()

    def forget(self) -> None:
        """In a forked child: drop what is buffered (the parent sends those ids); the lock anew, as another
        thread of the parent may have held it at the fork."""
        self._lock, self._ids = threading.Lock(), []


class UdpSockets:
    """Non-blocking UDP sockets on no fixed address or port, one lent per question, each kept for
    :data:`SOCKET_USES` questions.

    A response that arrives late, to a question of an earlier borrower, fails the next borrower's match of id
    and question and is dropped (:func:`_exchange`). Sockets are not shared across a fork: a child
    process drops the ones it inherited (the parent keeps using them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._free: dict[int, list[tuple[socket.socket, int]]] = {}

    def borrow(self, family: int) -> tuple[socket.socket, int]:
        """A socket of ``family`` and the number of questions it has served."""
        with self._lock:
            free = self._free.get(family)
            if free:
                return free.pop()
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setblocking(False)
        return sock, 0

    def give_back(self, family: int, sock: socket.socket, uses: int, healthy: bool) -> None:
        if not healthy or uses >= SOCKET_USES:
            sock.close()
            return
        with self._lock:
            self._free.setdefault(family, []).append((sock, uses))

    def close(self) -> None:
        with self._lock:
            free, self._free = self._free, {}
        _close_all(free)

    def forget(self) -> None:
        """In a forked child: close the inherited sockets (the parent's stay open) and take a new lock, as
        another thread of the parent may have held it at the fork."""
        free, self._lock, self._free = self._free, threading.Lock(), {}
        _close_all(free)


def _close_all(free: dict[int, list[tuple[socket.socket, int]]]) -> None:
    for sockets in free.values():
        for sock, _ in sockets:
            sock.close()


_SOCKETS = UdpSockets()
_IDS = _QueryIds()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: (_SOCKETS.forget(), _IDS.forget()))


def query_id() -> int:
    return _IDS.next()


class Query:
    """A query as ``dns.query.udp``/``tcp`` use it (its wire, ``is_response``, no TSIG): what
    ``dns.message.make_query(qname, rdtype, use_edns=0, payload=EDNS_PAYLOAD, want_dnssec=True)`` sends, with RD
    as ``recursive`` says and CD as ``cd`` does, made without a Message."""

    keyring = None
    mac = None

    def __init__(self, qname: dns.name.Name, rdtype: int, recursive: bool = True, cd: bool = False):
        self.qname, self.rdtype = qname, rdtype
        self.id = query_id()
        self.flags = (dns.flags.RD if recursive else 0) | (dns.flags.CD if cd else 0)
        labels = b"".join(bytes((len(label),)) + label for label in qname.labels)  # absolute: ends with b"\0"
        self.wire = struct.pack("!6H", self.id, self.flags, 1, 0, 0, 1) + labels + struct.pack("!HH", rdtype,
                                                                                               dns.rdataclass.IN) + _OPT

    def to_wire(self, *args, **kwargs) -> bytes:
        return self.wire

    def is_response(self, other: dns.message.Message | Response) -> bool:
        """Whether ``other`` answers this query, as ``dns.message.Message.is_response`` decides for a query."""
        if (not other.flags & dns.flags.QR or other.id != self.id
                or dns.opcode.from_flags(other.flags) != dns.opcode.QUERY):
            return False
        if not other.question:
            return other.rcode() in _BARE_RCODES
        return all(q.name == self.qname and q.rdtype == self.rdtype and q.rdclass == dns.rdataclass.IN
                   and q.covers == dns.rdatatype.NONE for q in other.question)


@dataclass(frozen=True)
class Server:
    address: str
    port: int = 53

    def __str__(self) -> str:
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"


class WireSource:
    """Questions to real servers, each tried in turn, ``attempts`` rounds in all."""

    def __init__(self, servers: list[Server], timeout: float = 2.0, attempts: int = 2, recursive: bool = True):
        if not servers:
            raise ValueError("no DNS server to ask")
        self.servers = list(servers)
        self.timeout = timeout
        self.attempts = attempts
        self.recursive = recursive
        self._failing: set[Server] = set()  # servers that did not answer lately: asked last

    def _in_order(self) -> list[Server]:
        return sorted(self.servers, key=lambda s: s in self._failing)

    def describe(self) -> str:
        return ", ".join(str(s) for s in self.servers)

    def query(self, qname: dns.name.Name, rdtype: str, cd: bool = False) -> Answer:
        """Ask the servers until one gives a definite answer; SERVFAIL and REFUSED move on to the next.

        ``cd``: set the Checking Disabled bit (RFC 4035 §3.2.2), so that a validating resolver hands out
        what it would otherwise withhold as bogus (SERVFAIL), for mailtests to validate and explain."""
        started = time.monotonic()
        last: Answer | None = None
        errors: list[str] = []
        for _ in range(self.attempts):
            for server in self._in_order():
                answer = ask(server, qname, rdtype, self.timeout, self.recursive, cd=cd)
                if answer.error is not None and answer.rcode == TIMEOUT:
                    self._failing.add(server)
                else:
                    self._failing.discard(server)
                if answer.ok:
                    return answer
                last = answer
                errors.append(f"{server}: {answer.error or answer.rcode}")
        assert last is not None
        if last.error is not None:  # every try was a transport failure: say all of them
            return Answer(qname, rdtype, last.rcode, server=self.describe(), elapsed=time.monotonic() - started,
                          error="; ".join(dict.fromkeys(errors)))
        return last


def _exchange(query: Query, server: Server, sock: socket.socket, timeout: float) -> Response:
    """The response to ``query`` over UDP (RFC 1035 §4.2.1), or over TCP when it comes truncated (RFC 7766 §5).

    What ``dns.query.udp_with_fallback`` does, waiting as the socket's own timeout waits (a poll in C), where
    dnspython makes, registers and closes an epoll selector in Python for each wait, and reading the response
    with :func:`~mailtests.dnslayer.response.read_response` (over TCP, dnspython reads it). A datagram from
    another address, or one that is no response to this query (a late answer to an earlier question on the
    socket, a forgery: RFC 5452 §9.1), is dropped and the wait goes on; an unreadable response from the server
    raises."""
    deadline = time.monotonic() + timeout
    destination = (server.address, server.port)
    expected = _canonical(server.address)
    try:
        sock.settimeout(timeout)
        sock.sendto(query.wire, destination)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise dns.exception.Timeout
            sock.settimeout(remaining)
            wire, source = sock.recvfrom(65535)
            if source[1] != server.port or source[0] != expected:
                continue
            response = read_response(wire)
            if not query.is_response(response):
                continue
            if response.truncated:
                return from_message(dns.query.tcp(query, server.address, timeout=timeout, port=server.port))
            return response
    except TimeoutError:
        raise dns.exception.Timeout from None


@functools.lru_cache(maxsize=256)
def _canonical(address: str) -> str:
    """An address as ``recvfrom`` gives a datagram's source (IPv6 compressed, lowercase)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        return socket.inet_ntop(family, socket.inet_pton(family, address))
    except (OSError, ValueError):
        return address


def ask(server: Server, qname: dns.name.Name, rdtype: str, timeout: float, recursive: bool = True,
        cd: bool = False) -> Answer:
    """One question to one server; never raises for network trouble, the Answer says what happened.

    Every question sets the DO bit (RFC 3225, RFC 4035 §3.2.1), so that the one answer the run keeps
    per (name, type) carries its RRSIGs for the DNSSEC checks; they are kept apart from the records
    (:attr:`Answer.signatures`), so a check sees only the type it asked for."""
    query = Query(qname, dns.rdatatype.from_text(rdtype), recursive, cd)
    shown = str(server)
    if cd:
        shown += " +cd"  # the evidence says how it was asked (dig +cd), apart from the ordinary answer
    family = socket.AF_INET6 if ":" in server.address else socket.AF_INET
    sock, uses = _SOCKETS.borrow(family)
    healthy = False
    started = time.monotonic()
    try:
        response = _exchange(query, server, sock, timeout)
        healthy = True
    except dns.exception.Timeout:
        return Answer(qname, rdtype, TIMEOUT, server=shown, elapsed=time.monotonic() - started,
                      error=f"no answer within {timeout:g} s")
    except OSError as exc:
        return Answer(qname, rdtype, TIMEOUT, server=shown, elapsed=time.monotonic() - started,
                      error=f"unreachable: {exc.strerror or exc}")
    except dns.exception.DNSException as exc:
        return Answer(qname, rdtype, "FORMERR", server=shown, elapsed=time.monotonic() - started,
                      error=f"malformed answer: {exc}")
    finally:  # a socket that saw trouble (a late answer may still come to it) is closed
        _SOCKETS.give_back(family, sock, uses + 1, healthy)
    elapsed = time.monotonic() - started
    rcode = dns.rcode.to_text(response.rcode())
    return Answer(
        qname,
        rdtype,
        rcode,
        records=tuple(r for r in response.answer if r.rdata.rdtype != dns.rdatatype.RRSIG),
        signatures=tuple(r for r in response.answer if r.rdata.rdtype == dns.rdatatype.RRSIG),
        server=shown,
        elapsed=elapsed,
        authoritative=bool(response.flags & dns.flags.AA),
        error=None if rcode in ("NOERROR", "NXDOMAIN") else f"server answered {rcode}",
        authority=response.authority,
        additional=response.additional,
    )
