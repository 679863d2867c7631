"""Answers crossing from the warm-up process as text (dnslayer.answer.sent_state / received): equal to the sent ones
in all but the authority and additional sections, which stay behind."""

import pickle

import dns.name
import dns.rdata
import pytest

from mailtests.dnslayer.answer import Answer, Record, SentAnswer, received, sent_state


def rec(name: str, ttl: int, rdtype: str, text: str, rdclass: str = "IN") -> Record:
    return Record(dns.name.from_text(name), ttl, dns.rdata.from_text(rdclass, rdtype, text))


ODD = "we\\032ird\\.label.example.com."  # a space and a dot inside labels: escaped in text
ANSWERS = [
    Answer(dns.name.from_text("Example.COM"), "TXT", "NOERROR",
           (rec("Example.COM.", 300, "TXT", '"v=spf1 \\255 ip4:192.0.2.1 -all" "second string"'),),
           server="127.0.0.1:53", elapsed=0.01234, authoritative=True,
           signatures=(rec("example.com.", 300, "RRSIG", "TXT 13 2 300 20261230000000 20261130000000 12345 "
                           "example.com. c2lnbmF0dXJlLWJ5dGVz"),)),
    Answer(dns.name.from_text("www.example.com"), "A", "NOERROR",
           (rec("www.example.com.", 60, "CNAME", f"{ODD}"), rec(ODD, 60, "A", "192.0.2.7")), server="zone: x"),
    Answer(dns.name.from_text(ODD), "MX", "NXDOMAIN", server="127.0.0.1:53",
           authority=(rec("example.com.", 3600, "SOA", "ns1.example.com. hostmaster.example.com. 1 2 3 4 5"),)),
    Answer(dns.name.from_text("example.com"), "NS", "TIMEOUT", server="127.0.0.1:53", error="no answer within 2 s"),
]


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: f"{a.qname}-{a.rdtype}")
def test_a_received_answer_equals_the_sent_one(answer):
    back = pickle.loads(pickle.dumps(sent_state(answer)))
    got = received(back)
    assert isinstance(got, SentAnswer)
    assert got.to_dict() == answer.to_dict()
    assert got == answer and answer == got and hash(got) == hash(answer)
    assert got.qname == answer.qname and got.qname.to_text() == answer.qname.to_text()  # case kept
    assert got.records == answer.records and got.signatures == answer.signatures
    assert got.authority == () and got.additional == ()  # what results.json leaves out stays behind
    assert got.rdatas() == answer.rdatas() and got.cname_chain() == answer.cname_chain()
    assert got.describe() == answer.describe()
    assert got.to_dig() == (answer.to_dig() if not answer.authority else answer.to_dig().split("\n;; AUTHORITY")[0])
    assert pickle.loads(pickle.dumps(got)) == answer  # and it crosses again


def test_a_record_of_another_class_crosses_whole():
    chaos = Answer(dns.name.from_text("version.bind"), "TXT", "NOERROR",
                   (rec("version.bind.", 0, "TXT", '"9.18"', rdclass="CH"),), server="127.0.0.1:53")
    assert sent_state(chaos) is None  # records are written without their class: the forked stream pickles it


def test_an_answer_hashes_without_its_authority_section():
    bare = ANSWERS[2]
    fuller = Answer(bare.qname, bare.rdtype, bare.rcode, server=bare.server, additional=bare.authority)
    assert hash(fuller) == hash(bare) and fuller != bare  # equal answers still hash alike; eq sees every field
