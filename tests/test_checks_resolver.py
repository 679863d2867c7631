"""The resolver health checks by example, against a stub resolver on 127.0.0.1 (a random port).

``StubResolver`` answers every question for the root over UDP; how fast it answers
and which TTL it gives say what kind of resolver it plays (caching or not, slow or not).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from mailtests.audit import Audit
from mailtests.checks import resolver as resolver_checks
from mailtests.config import Config, DomainEntry
from mailtests.dnslayer.resolver import Server
from mailtests.result import Outcome, Result

ROOT_DATA = {"NS": "a.root-servers.net.", "SOA": "a.root-servers.net. nstld.example. 2024060101 1800 900 604800 86400"}


class StubResolver:
    """A UDP DNS server on 127.0.0.1; the n-th answer (from 0) has TTL ``ttl(n)`` and waits ``delay(n)`` s."""

    def __init__(self, ttl: Callable[[int], int] = lambda n: 86400, delay: Callable[[int], float] = lambda n: 0.0,
                 rcode: str = "NOERROR"):
        self.ttl, self.delay, self.rcode = ttl, delay, rcode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.text = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.from_text(self.rcode))
            question = query.question[0]
            rdtype = dns.rdatatype.to_text(question.rdtype)
            if self.rcode == "NOERROR" and rdtype in ROOT_DATA:
                response.answer.append(dns.rrset.from_text(question.name, self.ttl(self.count), "IN", rdtype,
                                                           ROOT_DATA[rdtype]))
            time.sleep(self.delay(self.count))
            self.count += 1
            self.sock.sendto(response.to_wire(), peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def stub() -> Iterator[Callable[..., StubResolver]]:
    started: list[StubResolver] = []

    def start(**kwargs) -> StubResolver:
        started.append(StubResolver(**kwargs))
        return started[-1]

    yield start
    for s in started:
        s.close()


@pytest.fixture(autouse=True)
def short_cache_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resolver_checks, "CACHE_WAIT", 0.01)


def run(check_id: str, resolver: str, timeout: float = 0.5, latency_threshold: float = 1.0) -> Result:
    """Run a resolver check as the plugin does: the subject is the resolver's text."""
    config = Config(Path("domains.yaml"), "", (DomainEntry("example.com", "example.com"),), timeout=timeout,
                    latency_threshold=latency_threshold)
    return Audit(SimpleNamespace(zones=None), config).result(resolver, check_id)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "server"), [
    ("127.0.0.1:53", Server("127.0.0.1", 53)),
    ("192.0.2.1", Server("192.0.2.1", 53)),
    ("[::1]:5353", Server("::1", 5353)),
    ("2001:db8::53", Server("2001:db8::53", 53)),
])
def test_resolver_text_is_parsed_into_address_and_port(text, server):
    assert resolver_checks.resolver_server(text) == server


# -- resolver.reachable --------------------------------------------------------------------------------


def test_reachable_passes_when_the_resolver_answers(stub):
    result = run("resolver.reachable", stub().text)
    assert result.outcome is Outcome.PASS
    assert [(e.qname.to_text(), e.rdtype) for e in result.evidence] == [(".", "NS")]


def test_reachable_fails_when_nothing_answers(stub):
    silent = stub(delay=lambda n: 1.0)  # answers too late for the 0.2 s timeout
    result = run("resolver.reachable", silent.text, timeout=0.2)
    assert result.outcome is Outcome.FAIL
    assert "`. NS`: no answer within 0.2 s; `. SOA`: no answer within 0.2 s" in result.message
    assert len(result.evidence) == 2


def test_reachable_fails_with_advice_when_the_resolver_refuses(stub):
    result = run("resolver.reachable", stub(rcode="REFUSED").text)
    assert result.outcome is Outcome.FAIL
    assert "`. NS`: REFUSED" in result.message
    assert "access control" in result.message


# -- resolver.latency ----------------------------------------------------------------------------------


def test_latency_passes_and_reports_the_time(stub):
    result = run("resolver.latency", stub().text)
    assert result.outcome is Outcome.PASS
    assert result.details["question"] == "example.com NS"
    assert result.details["elapsed_ms"] < 1000


def test_latency_fails_above_the_threshold(stub):
    result = run("resolver.latency", stub(delay=lambda n: 0.3).text, latency_threshold=0.1)
    assert result.outcome is Outcome.FAIL
    assert "more than the 0.1 s allowed" in result.message
    assert result.details["elapsed_ms"] >= 300


# -- resolver.caching ----------------------------------------------------------------------------------


def test_caching_passes_when_the_ttl_counts_down(stub):
    result = run("resolver.caching", stub(ttl=lambda n: 86400 - n).text)
    assert result.outcome is Outcome.PASS
    assert result.details["ttl"] == [86400, 86399]


def test_caching_passes_when_the_repeat_comes_much_faster(stub):
    cold_then_cached = stub(ttl=lambda n: 300, delay=lambda n: 0.4 if n == 0 else 0.0)  # robust on a busy machine
    result = run("resolver.caching", cold_then_cached.text)
    assert result.outcome is Outcome.PASS, result.message
    assert result.details["ttl"] == [300, 300]


def test_caching_warns_for_a_forwarder_without_cache(stub):
    # every answer takes 0.3 s, as from a distant server without cache: on a loaded machine the first answer
    # may come late, but not twice as late as the second
    result = run("resolver.caching", stub(ttl=lambda n: 86400, delay=lambda n: 0.3).text)
    assert result.outcome is Outcome.WARN
    assert "TTL 86400 then 86400" in result.message
    assert len(result.evidence) == 2


def test_caching_is_an_error_when_the_resolver_cannot_answer(stub):
    result = run("resolver.caching", stub(rcode="SERVFAIL").text)
    assert result.outcome is Outcome.ERROR
    assert ". SOA: SERVFAIL" in result.message
