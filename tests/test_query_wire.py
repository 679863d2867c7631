"""The query wire mailtests makes by hand (dnslayer.resolver.Query) is dnspython's make_query's, and it accepts the
responses dnspython's Message.is_response accepts."""

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from mailtests.dnslayer.resolver import EDNS_PAYLOAD, Query

NAMES = ["example.com", "Mixed.Case.Example", "_dmarc.example.org", "we\\032ird.example.net", "."]


def reference(qname: dns.name.Name, rdtype: int, recursive: bool, cd: bool) -> dns.message.Message:
    query = dns.message.make_query(qname, rdtype, use_edns=0, payload=EDNS_PAYLOAD, want_dnssec=True)
    if not recursive:
        query.flags &= ~dns.flags.RD
    if cd:
        query.flags |= dns.flags.CD
    return query


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("rdtype", "recursive", "cd"), [("MX", True, False), ("TXT", False, False),
                                                          ("DNSKEY", True, True), ("TYPE65534", True, False)])
def test_the_wire_is_make_querys(name, rdtype, recursive, cd):
    qname, code = dns.name.from_text(name), dns.rdatatype.from_text(rdtype)
    ours, theirs = Query(qname, code, recursive, cd), reference(qname, code, recursive, cd)
    theirs.id = ours.id
    assert ours.to_wire() == theirs.to_wire()
    parsed = dns.message.from_wire(ours.to_wire())  # and dnspython reads it back as the same query
    assert parsed.question[0].name == qname and parsed.edns == 0 and parsed.payload == EDNS_PAYLOAD
    assert parsed.ednsflags & dns.flags.DO


def responses(query: dns.message.Message) -> list[dns.message.Message]:
    found = []
    for rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.SERVFAIL, dns.rcode.REFUSED):
        response = dns.message.make_response(query)
        response.set_rcode(rcode)
        found.append(response)
        bare = dns.message.make_response(query)
        bare.set_rcode(rcode)
        bare.question = []
        found.append(bare)
    other_id = dns.message.make_response(query)
    other_id.id = (query.id + 1) % 65536
    not_response = dns.message.make_response(query)
    not_response.flags &= ~dns.flags.QR
    other_name = dns.message.make_response(dns.message.make_query("other.example", "MX"))
    other_name.id = query.id
    other_type = dns.message.make_response(dns.message.make_query(query.question[0].name, "AAAA"))
    other_type.id = query.id
    upper = dns.message.make_response(dns.message.make_query(query.question[0].name.to_text().upper(), "MX"))
    upper.id = query.id
    return [*found, other_id, not_response, other_name, other_type, upper]


def test_it_accepts_the_responses_dnspython_accepts():
    qname = dns.name.from_text("example.com")
    ours = Query(qname, dns.rdatatype.MX)
    theirs = reference(qname, dns.rdatatype.MX, True, False)
    theirs.id = ours.id
    verdicts = [(ours.is_response(r), theirs.is_response(r)) for r in responses(theirs)]
    assert [a for a, _ in verdicts] == [b for _, b in verdicts]
    assert any(a for a, _ in verdicts) and not all(a for a, _ in verdicts)
