"""Sharded audits: pytest-split shards of the suite, merged by ``python -m mailtests merge``."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from mailtests.merge import MergeError, exit_code, merge_documents
from mailtests.render import answer_key
from mailtests.results import evidence_of
from tests.demo import DEMO_DOMAINS, DEMO_ZONES
from tests.shard_runs import merge_cli, read, suite

pytest.importorskip("pytest_split", reason="sharding needs pytest-split (pip install pytest-split)")

TIME_KEYS = frozenset({"time_ms", "elapsed_ms"})


def without_times(value):
    """A record (or any JSON value) without its timing fields."""
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if k not in TIME_KEYS}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


def resolved(document: dict) -> list[dict]:
    """A document's records with their answers in place of the indexes (two documents number answers apart)."""
    return [{**r, "evidence": evidence_of(document, r)} for r in document["results"]]


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where the whole suite ran once (``single``) and as two shards (``shard1``, ``shard2``)."""
    folder = tmp_path_factory.mktemp("shards")
    shutil.copytree(DEMO_ZONES, folder / "zones")
    (folder / "domains.yaml").write_text(DEMO_DOMAINS, encoding="utf-8")
    for reports, args in (("single", ()), ("shard1", ("--splits", "2", "--group", "1")),
                          ("shard2", ("--splits", "2", "--group", "2"))):
        run = suite(folder, reports, *args)
        assert run.returncode == 1, run.stdout + run.stderr  # the demo has failures
    return folder


def test_merged_shards_equal_a_single_run(shards: Path, tmp_path: Path) -> None:
    one, two = read(shards / "shard1" / "results.json"), read(shards / "shard2" / "results.json")
    assert one["results"] and two["results"], "each shard ran some tests"
    run = merge_cli(tmp_path / "merged", shards / "shard1" / "results.json", shards / "shard2" / "results.json")
    assert run.returncode == 1, run.stderr
    assert "FAIL  example.net spf.present" in run.stdout
    merged, single = read(tmp_path / "merged" / "results.json"), read(shards / "single" / "results.json")
    assert without_times(resolved(merged)) == without_times(resolved(single))
    assert len({answer_key(a) for a in merged["answers"]}) == len(merged["answers"])
    cited = {i for r in merged["results"] for i in r["evidence"]}
    assert cited == set(range(len(merged["answers"]))), "every answer of the merged table is cited"
    assert merged["summary"] == single["summary"]
    meta = merged["run"]
    assert meta["domains_file_sha256"] == single["run"]["domains_file_sha256"]
    assert meta["started"] == min(one["run"]["started"], two["run"]["started"])
    assert meta["finished"] == max(one["run"]["finished"], two["run"]["finished"])
    assert meta["dns_questions"] == {k: one["run"]["dns_questions"][k] + two["run"]["dns_questions"][k]
                                     for k in ("sent", "cached")}
    assert meta["zone_files"] == single["run"]["zone_files"] and meta["exitstatus"] == 1
    assert "example.net" in (tmp_path / "merged" / "audit.html").read_text(encoding="utf-8")


def test_shards_of_different_domains_files_are_refused(shards: Path, tmp_path: Path) -> None:
    other = read(shards / "shard2" / "results.json")
    other["run"]["domains_file_sha256"] = "0" * 64
    (tmp_path / "other.json").write_text(json.dumps(other), encoding="utf-8")
    run = merge_cli(tmp_path / "out", shards / "shard1" / "results.json", tmp_path / "other.json")
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and "different domains files" in run.stderr
    assert not (tmp_path / "out").exists()


def test_overlapping_shards_are_refused(shards: Path, tmp_path: Path) -> None:
    shard = shards / "shard1" / "results.json"
    run = merge_cli(tmp_path / "out", shard, shard)
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and "shards must not overlap" in run.stderr


def test_unreadable_shards_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    for path in (tmp_path / "missing.json", tmp_path / "bad.json"):
        run = merge_cli(tmp_path / "out", path)
        assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr


def record(outcome: str, check: str = "mx.present", domain: str = "example.com", change: str | None = None) -> dict:
    found = {"domain": domain, "check": check, "severity": "FAIL", "outcome": outcome, "message": "m",
             "reference": "", "requirement": "", "evidence": [], "details": {}}
    return found if change is None else {**found, "change": change}


def test_exit_code_counts_failures_and_errors() -> None:
    assert exit_code([record("pass"), record("warn"), record("skip")]) == 0
    assert exit_code([record("pass"), record("fail")]) == 1
    assert exit_code([record("error")]) == 1


def test_exit_code_counts_only_failing_regressions_under_fail_on_regression() -> None:
    still = [record("fail", change="still failing"), record("pass", change="fixed")]
    assert exit_code(still, "regression") == 0
    assert exit_code(still, "any") == 1
    assert exit_code([*still, record("error", check="mx.resolve", change="regression")], "regression") == 1


def test_merge_of_synthetic_shards_unions_the_metadata() -> None:
    def doc(started: str, finished: str, resolvers: list[str], records: list[dict]) -> dict:
        return {"schema_version": 3, "run": {"started": started, "finished": finished, "resolvers": resolvers,
                                             "zone_files": [], "domains_file_sha256": "ab", "fail_on": "regression",
                                             "dns_questions": {"sent": 3, "cached": 4}}, "answers": [],
                "results": records}

    a = doc("2026-01-01T10:00:00Z", "2026-01-01T10:05:00Z", ["127.0.0.1:53"],
            [record("fail", change="still failing")])
    b = doc("2026-01-01T09:59:00Z", "2026-01-01T10:04:00Z", ["127.0.0.1:53", "127.0.0.2:53"],
            [record("pass", domain="example.org", change="unchanged")])
    merged = merge_documents([a, b], [Path("a.json"), Path("b.json")])
    run = merged["run"]
    assert (run["started"], run["finished"]) == ("2026-01-01T09:59:00Z", "2026-01-01T10:05:00Z")
    assert run["resolvers"] == ["127.0.0.1:53", "127.0.0.2:53"]
    assert run["dns_questions"] == {"sent": 6, "cached": 8}
    assert run["exitstatus"] == 0 and merged["summary"]["fail"] == 1
    c = copy.deepcopy(b)
    c["run"]["fail_on"] = "any"
    with pytest.raises(MergeError, match="different --fail-on"):
        merge_documents([a, c], [Path("a.json"), Path("c.json")])


def answer(name: str, time_ms: float = 1.0) -> dict:
    return {"name": name, "type": "MX", "rcode": "NOERROR", "server": "zone:zones/x.zone", "time_ms": time_ms,
            "authoritative": True, "error": None, "records": []}


def test_the_merge_numbers_the_shards_answers_anew_each_once() -> None:
    def doc(answers: list[dict], records: list[dict]) -> dict:
        return {"schema_version": 3, "run": {"domains_file_sha256": "ab"}, "answers": answers, "results": records}

    shared, a_own, b_own = answer("shared.example."), answer("a.example."), answer("b.example.")
    a = doc([a_own, shared], [{**record("pass", "mx.present", "a.example"), "evidence": [1, 0]},
                              {**record("pass", "mx.null-mx", "a.example"), "evidence": [0]}])
    b = doc([dict(shared), b_own, answer("b.example.", time_ms=9.0)],
            [{**record("fail", "mx.present", "b.example"), "evidence": [0, 1, 2]}])
    merged = merge_documents([a, b], [Path("a.json"), Path("b.json")])
    assert merged["answers"] == [a_own, shared, b_own, answer("b.example.", time_ms=9.0)]
    assert [(r["domain"], r["check"], r["evidence"]) for r in merged["results"]] == [
        ("a.example", "mx.null-mx", [0]), ("a.example", "mx.present", [1, 0]), ("b.example", "mx.present", [1, 2, 3])]
    assert a["results"][0]["evidence"] == [1, 0], "the shards' documents are left as they were"


@pytest.mark.parametrize("change", [
    {"schema_version": 1},
    {"answers": None},
    {"results": [{**record("pass"), "evidence": [3]}]},
    {"results": [{**record("pass"), "evidence": [{"name": "inline.example."}]}]},
])
def test_shards_of_another_schema_or_with_bad_indexes_are_one_line_errors(tmp_path: Path, change: dict) -> None:
    shard = {"schema_version": 3, "run": {"domains_file_sha256": "ab"}, "summary": {},
             "answers": [answer("x.example.")], "results": [{**record("pass"), "evidence": [0]}], **change}
    (tmp_path / "shard.json").write_text(json.dumps(shard), encoding="utf-8")
    run = merge_cli(tmp_path / "out", tmp_path / "shard.json")
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert ("schema_version 1, this mailtests reads 3" if "schema_version" in change else "answers") in run.stderr
    assert not (tmp_path / "out").exists()
