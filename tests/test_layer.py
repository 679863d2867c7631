"""The DNS layer: routing, the run-wide cache, concurrency, evidence."""

import threading
import time

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from mailtests.dnslayer import Answer, DnsLayer, Record, Recorder


def rr(name: str, rdtype: str, text: str, ttl: int = 300) -> Record:
    rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text)
    return Record(dns.name.from_text(name), ttl, rd)


class CountingSource:
    """A stand-in resolver: answers from a dict, slowly, and counts the questions it gets."""

    def __init__(self, data: dict[tuple[str, str], list[Record]], delay: float = 0.0):
        self.data = data
        self.delay = delay
        self.asked: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.servers = []

    def query(self, qname, rdtype):
        with self.lock:
            self.asked.append((qname.to_text(), rdtype))
        time.sleep(self.delay)
        records = self.data.get((qname.to_text(), rdtype))
        if records is None:
            return Answer(qname, rdtype, "NXDOMAIN", server="fake")
        return Answer(qname, rdtype, "NOERROR", tuple(records), server="fake")


def test_each_question_is_asked_once_per_run():
    source = CountingSource({("example.com.", "MX"): [rr("example.com.", "MX", "10 mail.example.com.")]})
    layer = DnsLayer(source)
    first = layer.query("example.com", "MX")
    second = layer.query(dns.name.from_text("EXAMPLE.com."), "mx")
    assert first is second
    assert source.asked == [("example.com.", "MX")]
    assert (layer.sent, layer.cached) == (1, 1)


def test_concurrent_askers_of_one_question_share_the_one_in_flight():
    source = CountingSource({("example.com.", "A"): [rr("example.com.", "A", "192.0.2.1")]}, delay=0.2)
    layer = DnsLayer(source)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(layer.query("example.com", "A"))) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(source.asked) == 1
    assert len({id(a) for a in answers}) == 1


def test_a_settled_question_keeps_its_answer_and_not_the_wait_for_it():
    """The run's cache holds tens of thousands of questions: each keeps its answer alone (a Future, with its
    condition and lock, was a third of a warm-up process's memory); a question whose fetch raised raises again."""
    source = CountingSource({("example.com.", "A"): [rr("example.com.", "A", "192.0.2.1")]})
    layer = DnsLayer(source)
    answer = layer.query("example.com", "A")
    assert list(layer._cache.values()) == [answer]
    assert layer.query("EXAMPLE.COM.", "A") is answer

    def broken(qname, rdtype):
        raise OSError("no route")

    source.query = broken
    for _ in range(2):
        with pytest.raises(OSError, match="no route"):
            layer.query("example.org", "A")
    assert (layer.sent, layer.cached) == (2, 2)


def test_offline_without_zone_files_is_an_error_naming_the_name():
    layer = DnsLayer(None, zones=None, offline=True)
    answer = layer.query("mail.example.org", "A")
    assert not answer.ok
    assert "mail.example.org." in answer.error and "offline" in answer.error


def test_a_layer_needs_a_resolver_unless_offline():
    with pytest.raises(ValueError):
        DnsLayer(None)


def test_the_recorder_keeps_each_answer_once_as_evidence():
    source = CountingSource({("example.com.", "TXT"): [rr("example.com.", "TXT", '"v=spf1 -all"')]})
    recorder = Recorder(DnsLayer(source))
    recorder.query("example.com", "TXT")
    recorder.query("example.com", "TXT")
    recorder.query("nothing.example.com", "TXT")
    assert [(a.qname.to_text(), a.rcode) for a in recorder.answers] == [
        ("example.com.", "NOERROR"),
        ("nothing.example.com.", "NXDOMAIN"),
    ]


def test_cname_chains_are_followed_and_loops_detected():
    chain = Answer(
        dns.name.from_text("www.example.com."), "A", "NOERROR",
        (rr("www.example.com.", "CNAME", "host.example.net."), rr("host.example.net.", "A", "192.0.2.7")),
    )
    assert chain.is_alias and chain.texts() == ["192.0.2.7"]
    loop = Answer(
        dns.name.from_text("a.example.com."), "A", "NOERROR",
        (rr("a.example.com.", "CNAME", "b.example.com."), rr("b.example.com.", "CNAME", "a.example.com.")),
    )
    assert loop.cname_loop and loop.rdatas() == []


def test_evidence_reads_like_dig():
    answer = Answer(dns.name.from_text("example.com."), "MX", "NOERROR",
                    (rr("example.com.", "MX", "10 mail.example.com.", ttl=3600),), server="192.0.2.53:53",
                    elapsed=0.0123)
    text = answer.to_dig()
    assert "status: NOERROR" in text and "SERVER: 192.0.2.53:53" in text
    assert "example.com.\t3600\tIN\tMX\t10 mail.example.com." in text
    assert answer.to_dict()["records"] == [{"name": "example.com.", "ttl": 3600, "type": "MX",
                                            "data": "10 mail.example.com."}]
