"""The warm-up process (mailtests.forked): results computed in a child, streamed back, the same as computed here."""

import os

import dns.name
import pytest

from mailtests.catalog import Severity
from mailtests.dnslayer.answer import Answer
from mailtests.forked import ForkedWarmUp, available
from mailtests.result import Outcome, Result

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

SHARED = Answer(dns.name.from_text("example.com"), "MX", "NOERROR", server="127.0.0.1:53")
TREE = {"lookups": 3, "tree": {"domain": "example.com", "children": []}}  # as a domain's SPF checks share one


def verdict(domain: str, check: str) -> Result:
    own = Answer(dns.name.from_text(domain), "TXT", "NXDOMAIN", server="127.0.0.1:53")
    return Result(domain, check, Severity.FAIL, Outcome.PASS, f"{check} holds for {domain}",
                  evidence=[SHARED, own], details={"parent_pid": os.getpid(), "spf": TREE, "ips": []})


PAIRS = [(f"d{i}.example", check) for check in ("mx.present", "spf.present") for i in range(50)]


def test_results_come_back_in_any_order_asked_with_their_evidence():
    done = []
    forked = ForkedWarmUp(PAIRS, verdict, workers=4, done=done.append, stats=lambda: {"sent": 7, "cached": 3})
    try:
        last = forked.result(PAIRS[-1])
        first = forked.result(PAIRS[0])
        same_domain = forked.result(("d0.example", "spf.present"))
    finally:
        forked.close()
    assert first.message == "mx.present holds for d0.example" and last.domain == "d49.example"
    assert first.details["parent_pid"] != os.getpid()  # computed in the child
    assert first.evidence[0] == SHARED and first.evidence[0] is last.evidence[0]  # an answer crosses once
    assert first.evidence[1].qname == dns.name.from_text("d0.example")
    assert list(first.details) == ["parent_pid", "spf", "ips"] and first.details["spf"] == TREE
    assert first.details["spf"] is same_domain.details["spf"]  # shared by a domain's results: crosses once
    assert last.details["spf"] == first.details["spf"]
    assert forked.stats["sent"] == 7 and forked.stats["cached"] == 3 and forked.failure is None
    assert forked.stats["maxrss_kib"] > 0  # the child's own peak memory, for the benchmark
    assert done == []  # ``done`` runs in the child, not here


def test_a_shared_value_is_let_go_once_no_later_result_can_cite_it():
    """The parent keeps a value its results share only until the domain that made it is done: the results
    that cite it keep it (a run of 10,000 domains had half a million of them)."""
    forked = ForkedWarmUp(PAIRS, verdict, workers=4)
    try:
        taken = [forked.result(pair) for pair in PAIRS]
    finally:
        forked.close()  # reads to the end of the stream: the last domain's word comes after its last result
    assert all(r.details["spf"] == TREE for r in taken)
    assert forked.values and all(value is None for value in forked.values)


def test_a_key_the_child_does_not_compute_is_left_to_the_caller():
    forked = ForkedWarmUp(PAIRS[:3], verdict, workers=2)
    try:
        assert forked.result(("other.example", "mx.present")) is None
        assert forked.result(PAIRS[2]) is not None
    finally:
        forked.close()


def test_a_child_that_dies_leaves_the_rest_to_the_caller_and_says_why():
    def dies_at_the_tenth(domain: str, check: str) -> Result:
        if domain == "d10.example":
            os._exit(3)
        return verdict(domain, check)

    forked = ForkedWarmUp(PAIRS, dies_at_the_tenth, workers=1)
    try:
        assert forked.result(PAIRS[20]) is None
    finally:
        forked.close()
    assert "ended before it sent every result" in forked.failure


def test_a_check_that_raises_in_the_child_is_reported_with_its_traceback():
    def broken(domain: str, check: str) -> Result:
        raise RuntimeError(f"boom in {domain}")

    forked = ForkedWarmUp(PAIRS[:2], broken, workers=1)
    try:
        assert forked.result(PAIRS[0]) is None
    finally:
        forked.close()
    assert "warm-up process failed" in forked.failure and "RuntimeError: boom in d0.example" in forked.failure


def test_available_only_without_other_threads():
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not available()  # forking beside another thread could copy a held lock
    finally:
        stop.set()
        thread.join()


def test_counts_made_after_the_last_result_reach_the_parent():
    """A child's work after its last result (a pair's child answering its peer: mailtests.forked_pair) still
    counts: the final counts reach the parent once the child has left on its own."""
    counts = {"sent": 0, "cached": 0}

    def counted(domain: str, check: str) -> Result:
        counts["sent"] += 1
        return verdict(domain, check)

    def teardown() -> None:  # in the child, after its last result: three more questions answered
        counts["sent"] += 3

    forked = ForkedWarmUp(PAIRS[:4], counted, workers=1, stats=lambda: dict(counts), teardown=teardown)
    try:
        assert all(forked.result(pair) is not None for pair in PAIRS[:4])
    finally:
        forked.close()
    assert forked.stats["sent"] == 4 + 3 and forked.stats["maxrss_kib"] > 0
    assert counts["sent"] == 0  # counted in the child


def test_reading_the_last_word_does_not_wait_for_the_child_to_leave():
    """A child of a pair that has sent its last word waits for its peer, which may wait for this process to read
    its results: reading the last word must not wait for the child to leave (it is reaped at close)."""
    go_read, go_write = os.pipe()  # the parent's word to the child, once it has read every result
    counts = {"sent": 0}

    def teardown() -> None:  # in the child: waits for the parent, as a pair's child waits for its peer
        os.close(go_write)
        if os.read(go_read, 1) == b"!":
            counts["sent"] += 5

    forked = ForkedWarmUp(PAIRS[:4], verdict, workers=1, stats=lambda: dict(counts), teardown=teardown)
    os.close(go_read)
    try:
        assert all(forked.result(pair) is not None for pair in PAIRS[:4])
        while forked._read():  # the last word too, if it has not come with the results
            pass
        os.write(go_write, b"!")  # had reading it waited for the child to leave, the child was ended by now
    finally:
        os.close(go_write)
        forked.close()
    assert forked.stats["sent"] == 5 and forked.failure is None
