"""mailtests.dnslayer.response reads a response's wire into the records dnspython's Message gives
(records_from_rrsets over dns.message.from_wire's sections), and refuses what dnspython refuses."""

from __future__ import annotations

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rrset
import dns.tsig
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mailtests.dnslayer.answer import records_from_rrsets
from mailtests.dnslayer.response import read_response

SIG = "13 2 300 20261230000000 20261130000000 12345 example.com. c2lnbmF0dXJlLWJ5dGVzLW9mLWEtc2lnbmF0dXJl"
DATA = {
    "A": ["192.0.2.1", "192.0.2.2"],
    "AAAA": ["2001:db8::1"],
    "MX": ["10 mx.Example.com.", "20 mx2.example.net."],
    "NS": ["ns1.example.com.", "NS1.example.com."],
    "CNAME": ["target.example.org."],
    "TXT": ['"v=spf1 -all"', '"part one" "part two"', '"<b>markup</b>"'],
    "SOA": ["ns1.example.com. hostmaster.example.com. 1 2 3 4 5"],
    "RRSIG": [f"A {SIG}", f"MX {SIG}", f"SOA {SIG}"],
    "NSEC": ["z.example.com. A RRSIG NSEC"],
    "DS": ["12345 13 2 " + "ab" * 32],
}
OWNERS = ["example.com.", "EXAMPLE.com.", "a.example.com.", "x.y.example.net.", "."]

records = st.tuples(st.sampled_from(OWNERS), st.sampled_from([60, 300, 3600]),
                    st.sampled_from(sorted(DATA)), st.integers(0, 2))
sections = st.lists(records, max_size=8)


def _message(question: str, answer, authority, additional, rcode: int, edns: bool) -> dns.message.Message:
    """A response whose sections hold one record per RRset, in the given order (so that one RRset's records may
    be apart, repeated, or of different TTLs on the wire, as a server may send them)."""
    query = dns.message.make_query(question, "A", use_edns=0 if edns else None, want_dnssec=edns)
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    for section, wanted in ((response.answer, answer), (response.authority, authority),
                            (response.additional, additional)):
        for owner, ttl, rdtype, i in wanted:
            texts = DATA[rdtype]
            section.append(dns.rrset.from_text(owner, ttl, "IN", rdtype, texts[i % len(texts)]))
    return response


def _theirs(wire: bytes):
    message = dns.message.from_wire(wire)
    return (message.id, message.flags, message.rcode(),
            [(q.name, q.rdtype, q.rdclass) for q in message.question],
            records_from_rrsets(message.answer), records_from_rrsets(message.authority),
            records_from_rrsets(message.additional))


def _ours(wire: bytes):
    response = read_response(wire)
    return (response.id, response.flags, response.rcode(),
            [(q.name, q.rdtype, q.rdclass) for q in response.question],
            response.answer, response.authority, response.additional)


def _same(ours, theirs) -> None:
    assert ours[:4] == theirs[:4]
    for mine, dnspythons in zip(ours[4:], theirs[4:], strict=True):
        # equal records (names compare without case), and the same owner text and TTL for each
        assert mine == dnspythons
        assert [(r.name.to_text(), r.ttl, r.rdata.to_text()) for r in mine] == \
            [(r.name.to_text(), r.ttl, r.rdata.to_text()) for r in dnspythons]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=sections, authority=sections, additional=sections,
       rcode=st.sampled_from([0, 2, 3, 5, 16]), edns=st.booleans())
def test_the_records_are_those_of_dnspythons_message(answer, authority, additional, rcode, edns):
    if rcode > 15 and not edns:
        rcode = 3
    wire = _message("Example.com.", answer, authority, additional, rcode, edns).to_wire()
    _same(_ours(wire), _theirs(wire))


@settings(max_examples=60, deadline=None)
@given(answer=sections, authority=sections, cut=st.integers(0, 400), flip=st.integers(0, 400),
       value=st.integers(0, 255))
@example(answer=[], authority=[("example.com.", 60, "A", 0)], cut=56, flip=2, value=2)  # TC set, whole
@example(answer=[], authority=[], cut=29, flip=2, value=2)  # TC set, cut after the question
def test_a_damaged_message_is_refused_as_dnspython_refuses_it(answer, authority, cut, flip, value):
    wire = bytearray(_message("example.com.", answer, authority, [], 0, True).to_wire())
    if flip < len(wire):
        wire[flip] = value
    wire = bytes(wire[:max(cut, 12)] if cut < len(wire) else wire)
    try:
        theirs = _theirs(wire)
    except Exception:
        theirs = None
    if wire[2] & (dns.flags.TC >> 8):  # a flip set TC: the reader stops after the question, the asker goes to TCP
        if theirs is not None:
            assert _ours(wire) == (*theirs[:4], (), (), ())
        return
    if theirs is None:
        with pytest.raises(dns.exception.DNSException):
            read_response(wire)
    else:
        _same(_ours(wire), theirs)


def test_a_truncated_response_gives_its_header_and_question_only():
    response = _message("example.com.", [("example.com.", 60, "TXT", 0)], [], [], 0, True)
    response.flags |= dns.flags.TC
    wire = response.to_wire()[:40]  # cut in the middle of the answer section: the asker goes to TCP
    read = read_response(wire)
    assert read.truncated and read.answer == () and read.question[0].name == dns.name.from_text("example.com.")


@pytest.mark.parametrize("wire, error", [
    (b"\x00\x01\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01", dns.name.BadPointer),  # itself
    (b"\x00\x01\x81\x80", dns.message.ShortHeader),
    (b"\x00\x01\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\x07example", dns.exception.FormError),
])
def test_malformed_names_and_headers_raise_form_errors(wire, error):
    with pytest.raises(error):
        read_response(wire)


def test_a_signed_response_is_refused_without_a_key():
    response = _message("example.com.", [("example.com.", 60, "A", 0)], [], [], 0, False)
    key = dns.tsig.Key("k.", "c2VjcmV0c2VjcmV0c2VjcmV0", algorithm=dns.tsig.HMAC_SHA256)
    response.use_tsig(key)
    with pytest.raises(dns.message.UnknownTSIGKey):
        read_response(response.to_wire())


def test_an_opt_record_outside_the_additional_section_is_bad_edns():
    good = _message("example.com.", [], [], [], 0, True).to_wire()
    # move the OPT record's count from the additional section to the answer section
    moved = good[:6] + b"\x00\x01\x00\x00\x00\x00" + good[12:]
    with pytest.raises(dns.message.BadEDNS):
        read_response(moved)
    with pytest.raises(dns.exception.FormError):
        dns.message.from_wire(moved)
