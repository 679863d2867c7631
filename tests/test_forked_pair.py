"""Two warm-up processes (``--warmup-processes=2``, the default from 20 domains) change nothing but speed.

Each computes its share of the domains; a question belongs to the process of the run's domain it is about
(else to the first), and each asks the other for the other's: every question is still asked once.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import dns.name
import pytest

from mailtests.forked import available
from mailtests.forked_pair import Peer, owner_of
from tests.shard_runs import demo_folder, read, suite
from tests.test_shard import comparable

NAMES = ["example.com", "example.net", "example.org", *(f"host{i}.example.net" for i in range(5))]


def test_a_question_belongs_to_the_nearest_enclosing_domain_of_the_run() -> None:
    owners = {"example.com": 0, "example.net": 1, "sub.example.com": 1}
    assert owner_of("mail.example.net.", owners) == 1
    assert owner_of("_dmarc.EXAMPLE.net", owners) == 1
    assert owner_of("x.sub.example.com.", owners) == 1  # nearest, not first
    assert owner_of("example.com", owners) == 0
    # no domain of the run: by a hash of the name, the same in any case and process, and both get some
    others = ["ns1.provider.example.", "10.2.0.192.in-addr.arpa.", ".", "com.", "mx.provider.example"]
    assert [owner_of(n.upper(), owners) for n in others] == [owner_of(n, owners) for n in others]
    assert {owner_of(f"host{i}.provider.example", owners) for i in range(8)} == {0, 1}


class Layer:
    """A DNS layer's face as the answer server sees it: records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple] = []

    def query(self, qname, rdtype):
        self.asked.append((qname, rdtype))
        if rdtype == "TXT":
            raise RuntimeError("no answer")
        if rdtype == "SRV":
            return lambda: None  # an answer that cannot cross to the other process
        return f"answer to {qname} {rdtype}"


def test_a_process_gets_the_other_ones_answers_and_asks_itself_when_it_cannot() -> None:
    ours, theirs = socket.socketpair()
    layer = Layer()
    first = Peer(ours, {"dns": layer}, {"example.net": 1}, 0)
    forward = Peer(theirs, {"dns": Layer()}, {"example.net": 1}, 1)
    assert forward.owns(dns.name.from_text("mx.example.net")) and not forward.owns(dns.name.from_text("com"))
    name = dns.name.from_text("ns1.provider.example")
    answers: list = []
    threads = [threading.Thread(target=lambda: answers.append(forward.ask("dns.query", name, "A"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert answers == ["answer to ns1.provider.example. A"] * 8
    assert forward.ask("dns.query", name, "TXT") is None  # the first failed: the asker asks for itself
    assert forward.ask("dns.query", name, "SRV") is None  # an answer that does not pickle: the same
    first.close()  # the first process is gone
    assert forward.ask("dns.query", name, "A") is None
    assert forward.ask("dns.query", name, "MX") is None
    forward.close()


@pytest.mark.skipif(not available(), reason="a forked warm-up needs Linux and two cores")
def test_two_processes_give_the_results_and_questions_of_one(tmp_path: Path) -> None:
    demo_folder(tmp_path, NAMES)
    one = suite(tmp_path, "one", "--warmup-processes=1")
    two = suite(tmp_path, "two", "--warmup-processes=2")
    assert one.returncode == two.returncode == 1, two.stdout + two.stderr
    single, paired = read(tmp_path / "one" / "results.json"), read(tmp_path / "two" / "results.json")
    assert single["run"]["warmup"] == "process" and paired["run"]["warmup"] == "processes"
    assert comparable(paired) == comparable(single)
    # every question asked once in the run, as by one process; one asked of the other process counts as cached
    asked, alone = paired["run"]["dns_questions"], single["run"]["dns_questions"]
    assert asked["sent"] == alone["sent"] and asked["cached"] >= alone["cached"]


def test_a_process_done_first_answers_until_the_other_is_done_too() -> None:
    ours, theirs = socket.socketpair()
    first = Peer(ours, {"dns": Layer()}, {"example.net": 1}, 0)
    second = Peer(theirs, {"dns": Layer()}, {"example.net": 1}, 1)
    left = threading.Event()
    waiting = threading.Thread(target=lambda: (first.finish(), left.set()))
    waiting.start()
    assert not left.wait(0.3)  # the first waits for the second ...
    assert second.ask("dns.query", dns.name.from_text("ns1.provider.example"), "A")  # ... and still answers it
    second.finish()
    assert left.wait(10)
    waiting.join(10)
    first.close()
    second.close()
