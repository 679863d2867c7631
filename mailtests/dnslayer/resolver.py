"""Asking a DNS server over the wire: UDP first, TCP when the answer is truncated.

RFC 1035 §4.2.1 (UDP, truncation), RFC 7766 §5 (TCP fallback), RFC 6891 (EDNS
buffer size). One :class:`WireSource` asks a list of servers with retries; it
serves both recursive questions (to the configured resolvers) and direct,
non-recursive ones (to a zone's name servers).

The query's wire is made here (:class:`Query`), not by ``dns.message.make_query``: building
a dnspython Message and rendering it cost 0.1-0.25 ms a question, a fifth of the CPU a run
spends per question, for 30 bytes that are the same but for the name and type (RFC 1035
§4.1, RFC 6891 §6.1.2 OPT with the DO bit of RFC 3225); dnspython still sends it, reads
and parses the response, and falls back to TCP.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass

import dns.entropy
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from .answer import TIMEOUT, Answer, records_from_rrsets

#: EDNS buffer size of the DNS Flag Day 2020: no fragmentation on common paths.
EDNS_PAYLOAD = 1232


#: The OPT pseudo-record every query carries (RFC 6891 §6.1.2): root owner, type OPT, the UDP payload size as its
#: class, extended rcode 0, version 0, the DO flag (RFC 3225 §3) in its TTL, no options.
_OPT = b"\x00" + struct.pack("!HHIH", dns.rdatatype.OPT, EDNS_PAYLOAD, dns.flags.DO, 0)
#: Responses that may leave the question out (dnspython's ``Message.is_response``).
_BARE_RCODES = frozenset({dns.rcode.FORMERR, dns.rcode.SERVFAIL, dns.rcode.NOTIMP, dns.rcode.REFUSED})


class Query:
    """A query as ``dns.query.udp``/``tcp`` use it (its wire, ``is_response``, no TSIG): what
    ``dns.message.make_query(qname, rdtype, use_edns=0, payload=EDNS_PAYLOAD, want_dnssec=True)`` sends, with RD
    as ``recursive`` says and CD as ``cd`` does, made without a Message."""

    keyring = None
    mac = None

    def __init__(self, qname: dns.name.Name, rdtype: int, recursive: bool = True, cd: bool = False):
        self.qname, self.rdtype = qname, rdtype
        self.id = dns.entropy.random_16()
        self.flags = (dns.flags.RD if recursive else 0) | (dns.flags.CD if cd else 0)
        labels = b"".join(bytes((len(label),)) + label for label in qname.labels)  # absolute: ends with b"\0"
        self.wire = struct.pack("!6H", self.id, self.flags, 1, 0, 0, 1) + labels + struct.pack("!HH", rdtype,
                                                                                               dns.rdataclass.IN) + _OPT

    def to_wire(self, *args, **kwargs) -> bytes:
        return self.wire

    def is_response(self, other: dns.message.Message) -> bool:
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
    started = time.monotonic()
    try:
        response, _used_tcp = dns.query.udp_with_fallback(
            query, server.address, timeout=timeout, port=server.port, ignore_unexpected=True
        )
    except dns.exception.Timeout:
        return Answer(qname, rdtype, TIMEOUT, server=shown, elapsed=time.monotonic() - started,
                      error=f"no answer within {timeout:g} s")
    except OSError as exc:
        return Answer(qname, rdtype, TIMEOUT, server=shown, elapsed=time.monotonic() - started,
                      error=f"unreachable: {exc.strerror or exc}")
    except dns.exception.DNSException as exc:
        return Answer(qname, rdtype, "FORMERR", server=shown, elapsed=time.monotonic() - started,
                      error=f"malformed answer: {exc}")
    elapsed = time.monotonic() - started
    rcode = dns.rcode.to_text(response.rcode())
    return Answer(
        qname,
        rdtype,
        rcode,
        records=records_from_rrsets(rrset for rrset in response.answer if rrset.rdtype != dns.rdatatype.RRSIG),
        signatures=records_from_rrsets(rrset for rrset in response.answer if rrset.rdtype == dns.rdatatype.RRSIG),
        server=shown,
        elapsed=elapsed,
        authoritative=bool(response.flags & dns.flags.AA),
        error=None if rcode in ("NOERROR", "NXDOMAIN") else f"server answered {rcode}",
        authority=records_from_rrsets(response.authority),
        additional=records_from_rrsets(response.additional),
    )
