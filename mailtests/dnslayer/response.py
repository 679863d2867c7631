"""A DNS response's wire read into the records an :class:`~mailtests.dnslayer.answer.Answer` keeps.

RFC 1035 §4.1 (header, question, resource records), §4.1.4 (name compression), RFC 6891 §6.1.3 (the OPT
record's extended rcode), RFC 2181 §5 (an RRset's records share a TTL and hold no duplicates).

Why by hand: dnspython's ``dns.message.from_wire`` builds a Message of RRsets (enums, a search of the section
for every record's RRset, an immutable object per name, rdataset and RRset), which the suite then flattens into
records at once. On the project's machine it took 0.2 ms for an answer of two A records and 1 ms for a signed
zone's negative answer (SOA, two NSEC and their RRSIGs): a quarter of a warm-up process's CPU. Here the
framing (header, question, each record's owner, type, class, TTL and length) is read by hand, each record's data
by dnspython's own rdata classes, and the records are grouped as dnspython groups them: RRsets in the order of
their first record, an RRset's records in order without duplicates, its TTL the least of its records'. So
:func:`read_response` gives the records of ``records_from_rrsets`` over ``dns.message.from_wire``'s sections,
3 to 4 times faster, and raises a ``dns.exception.FormError`` where it would
(tests/test_response_wire.py holds the two to each other on generated and damaged messages).
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.wire

from .answer import Record, name_key, records_from_rrsets

_HEADER = struct.Struct("!6H")
_QUESTION = struct.Struct("!HH")
_RECORD = struct.Struct("!HHIH")
_OPT, _TSIG, _RRSIG = dns.rdatatype.OPT, dns.rdatatype.TSIG, dns.rdatatype.RRSIG


@dataclass(frozen=True)
class Question:
    name: dns.name.Name
    rdtype: int
    rdclass: int
    covers: int = dns.rdatatype.NONE


@dataclass(frozen=True)
class Response:
    """What a check needs of a response: the header's id and flags, the rcode (extended by EDNS), the question,
    and each section's records. ``truncated`` (TC set): only the header and question were read."""

    id: int
    flags: int
    extended_rcode: int
    question: tuple[Question, ...]
    answer: tuple[Record, ...] = ()
    authority: tuple[Record, ...] = ()
    additional: tuple[Record, ...] = ()

    def rcode(self) -> int:
        return self.extended_rcode

    @property
    def truncated(self) -> bool:
        return bool(self.flags & dns.flags.TC)


def from_message(message: dns.message.Message) -> Response:
    """A response dnspython read (over TCP) in the same form."""
    return Response(message.id, message.flags, message.rcode(),
                    tuple(Question(q.name, q.rdtype, q.rdclass, q.covers) for q in message.question),
                    records_from_rrsets(message.answer), records_from_rrsets(message.authority),
                    records_from_rrsets(message.additional))


def read_response(wire: bytes) -> Response:
    """The response in ``wire``; only its header and question when it is truncated (TC).

    Raises ``dns.exception.FormError`` (or a subclass: ``ShortHeader``, ``TrailingJunk``, ``BadEDNS``, a name's
    ``BadPointer``...) for a message that is not well formed, and ``UnknownTSIGKey`` for a signed one."""
    if len(wire) < 12:
        raise dns.message.ShortHeader
    try:
        return _read(wire)
    except (IndexError, struct.error):
        raise dns.exception.FormError("the message ends inside a name or record") from None


def _read(wire: bytes) -> Response:
    ident, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(wire)
    pos = 12
    questions = []
    for _ in range(qdcount):
        name, pos = _name(wire, pos)
        rdtype, rdclass = _QUESTION.unpack_from(wire, pos)
        pos += 4
        questions.append(Question(name, rdtype, rdclass))
    rcode = flags & 0xF
    if flags & dns.flags.TC:  # the rest may be cut anywhere: the asker goes to TCP
        return Response(ident, flags, rcode, tuple(questions))
    sections = []
    parser = dns.wire.Parser(wire)
    opt_seen = False
    for section, count in enumerate((ancount, nscount, arcount)):
        rrsets: dict[tuple, list] = {}  # (owner's folded labels, type, class, covers) -> [owner, ttl, rdatas, seen]
        for _ in range(count):
            owner, pos = _name(wire, pos)
            rdtype, rdclass, ttl, rdlength = _RECORD.unpack_from(wire, pos)
            pos += 10
            if pos + rdlength > len(wire):
                raise dns.exception.FormError("a record's data runs past the end of the message")
            if rdtype == _OPT:  # RFC 6891 §6.1.1: once, in the additional section, owned by the root
                if section != 2 or opt_seen or owner != dns.name.root:
                    raise dns.message.BadEDNS
                opt_seen = True
                rcode |= (ttl >> 24) << 4
                pos += rdlength
                continue
            if rdtype == _TSIG:
                raise dns.message.UnknownTSIGKey("got signed message without keyring")
            rdclass_enum, rdtype_enum, cls = _rdata_class(rdclass, rdtype)
            parser.current = pos
            with parser.restrict_to(rdlength), dns.exception.ExceptionWrapper(dns.exception.FormError):
                rdata = cls.from_wire_parser(rdclass_enum, rdtype_enum, parser, None)
            pos += rdlength
            key = (name_key(owner), rdtype, rdclass, rdata.covers() if rdtype == _RRSIG else 0)
            rrset = rrsets.get(key)
            if rrset is None:
                rrsets[key] = [owner, ttl, [rdata], None]
                continue
            rrset[1] = min(rrset[1], ttl)
            if rrset[3] is None:  # a second record: the RRset's data is now looked up by value
                rrset[3] = set(rrset[2])
            if rdata not in rrset[3]:
                rrset[3].add(rdata)
                rrset[2].append(rdata)
        sections.append(tuple(Record(owner, ttl, rdata) for owner, ttl, rdatas, _ in rrsets.values()
                              for rdata in rdatas))
    if pos != len(wire):
        raise dns.message.TrailingJunk
    return Response(ident, flags, rcode, tuple(questions), *sections)


def _name(wire: bytes, pos: int) -> tuple[dns.name.Name, int]:
    """The (possibly compressed) name at ``pos``, and where what follows it starts."""
    labels = []
    after = None
    bound = pos  # a pointer must point before every place read so far (dnspython's rule): no loops
    while True:
        length = wire[pos]
        if length == 0:
            labels.append(b"")
            pos += 1
            break
        if length >= 0xC0:
            target = ((length & 0x3F) << 8) | wire[pos + 1]
            if target >= bound:
                raise dns.name.BadPointer
            if after is None:
                after = pos + 2
            bound = pos = target
            continue
        if length > 63:
            raise dns.name.BadLabelType
        end = pos + 1 + length
        if end > len(wire):
            raise dns.exception.FormError("a label runs past the end of the message")
        labels.append(wire[pos + 1:end])
        pos = end
    return _named(tuple(labels)), (pos if after is None else after)


@functools.lru_cache(maxsize=1 << 14)
def _named(labels: tuple[bytes, ...]) -> dns.name.Name:
    # the same names come again and again (a domain, its providers' hosts): made (and validated) once
    return dns.name.Name(labels)


@functools.lru_cache(maxsize=1024)
def _rdata_class(rdclass: int, rdtype: int):
    rdclass_enum = dns.rdataclass.RdataClass.make(rdclass)
    rdtype_enum = dns.rdatatype.RdataType.make(rdtype)
    return rdclass_enum, rdtype_enum, dns.rdata.get_rdata_class(rdclass_enum, rdtype_enum)
