"""The run's packed records: read back as they were given, the answers they cite shared, and small."""

import copy
import tracemalloc

from mailtests.record_store import RecordStore
from mailtests.results import results_document


def answer(name: str, data: str) -> dict:
    return {"name": name, "type": "A", "rcode": "NOERROR", "server": "127.0.0.1:53", "authoritative": False,
            "error": None, "records": [{"name": name, "ttl": 300, "type": "A", "data": data}]}


def domain_records(domain: str, shared_answers: list[dict], checks: int = 30) -> list[dict]:
    """A domain's records as the plugin makes them: the checks share the domain's answers and one details value."""
    own = answer(f"{domain}.", "192.0.2.1")
    tree = {"record": "v=spf1 -all", "includes": [{"name": f"_spf.{domain}", "lookups": 1}]}
    return [{"domain": domain, "check": f"area.check-{i:02}", "severity": "must",
             "outcome": "pass" if i % 5 else "fail", "message": f"check {i} of {domain} <b>as published</b>",
             "reference": "RFC 7208 §4.6.4",
             "requirement": "The record must hold.", "evidence": [own, *shared_answers[: i % 3]],
             "details": {"tree": tree, "count": i, "names": [domain, f"mail.{domain}"]}}
            for i in range(checks)]


def test_records_come_back_equal_in_order_citing_the_same_answer_dicts():
    provider = [answer("ns1.provider.example.", "198.51.100.1"), answer("ns2.provider.example.", "198.51.100.2")]
    batches = [domain_records(f"d{n}.example", provider) for n in range(5)]
    given = copy.deepcopy(batches)
    store = RecordStore()
    store.pack_from_now()
    for batch in batches:
        store.extend(batch)
    assert batches == given  # the records given are not changed
    assert len(store) == 150 and store
    out = list(store)
    assert out == [r for batch in batches for r in batch]
    originals = {id(a) for batch in batches for r in batch for a in r["evidence"]}
    assert {id(a) for r in out for a in r["evidence"]} <= originals  # the very dicts: numbered once downstream
    # a value the records of one test share stays one value
    first = [r for r in out if r["domain"] == "d0.example"]
    assert all(r["details"]["tree"] is first[0]["details"]["tree"] for r in first)
    # and a check's reference and requirement are one string across packs, as in the records given
    assert len({id(r["requirement"]) for r in out}) == 1 and len({id(r["check"]) for r in out}) == 30
    assert list(store) == out  # reading does not use it up


def test_an_empty_store_is_false_and_reads_nothing():
    store = RecordStore()
    store.extend([])
    assert not store and len(store) == 0 and list(store) == []
    store.extend([{"domain": "example.com", "check": "mx.present", "outcome": "pass", "evidence": []}])
    assert store and list(store) == [{"domain": "example.com", "check": "mx.present", "outcome": "pass",
                                      "evidence": []}]


def test_the_results_document_of_a_store_is_the_document_of_its_records():
    provider = [answer("ns1.provider.example.", "198.51.100.1")]
    batches = [domain_records(f"d{n}.example", provider) for n in (3, 1, 2)]
    store = RecordStore()
    for n, batch in enumerate(batches):
        if n == 1:  # a run packs from the end of its collection; a batch before stays as it came
            store.pack_from_now()
        store.extend(batch)
    from_list = results_document({"tool": "mailtests"}, [r for batch in batches for r in batch])
    from_store = results_document({"tool": "mailtests"}, store, consume=True)
    assert from_store == from_list
    assert from_store["summary"] == {"pass": 72, "fail": 18, "warn": 0, "skip": 0, "error": 0}


def test_packed_records_take_a_fraction_of_the_memory_of_the_dicts():
    provider = [answer("ns1.provider.example.", "198.51.100.1")]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        live = [domain_records(f"d{n}.example", provider) for n in range(200)]
        as_dicts = tracemalloc.get_traced_memory()[0] - before
        store = RecordStore()
        store.pack_from_now()
        for batch in live:
            store.extend(batch)
        del live, batch
        packed = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(store) == 6000
    assert packed < as_dicts / 4, (packed, as_dicts)
