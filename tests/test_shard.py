"""``--shard K/N`` splits the domains (not the collected tests), and ``-n 2`` gives each xdist worker its share.

Offline runs on the demo's zone files (hosts of example.net as domains): no network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtests.config import DomainEntry
from mailtests.results import evidence_of
from mailtests.shard import ShardError, parse_shard, place, worker_of
from tests.shard_runs import demo_folder, merge_cli, read, suite

COUNT = 24
NAMES = [f"host{i}.example.net" for i in range(COUNT)]


def comparable(document: dict) -> list[dict]:
    """Records with their answers in place (each run numbers its answers), without timings."""
    def clean(answer: dict) -> dict:
        return {k: v for k, v in answer.items() if k not in ("time_ms", "elapsed_ms")}

    return [{**r, "evidence": [clean(a) for a in evidence_of(document, r)]} for r in document["results"]]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's zones and a domains file of COUNT hosts; the whole suite run once in ``single``."""
    out = demo_folder(tmp_path_factory.mktemp("shard"), NAMES)
    run = suite(out, "single")
    assert run.returncode == 1, run.stdout + run.stderr
    return out


def test_shard_values_are_k_of_n() -> None:
    assert (parse_shard("3/10").index, parse_shard(" 3 / 10 ").count) == (3, 10)
    for bad in ("0/3", "4/3", "3", "a/b", "", "1/0"):
        with pytest.raises(ShardError):
            parse_shard(bad)


def test_the_split_is_stable_and_covers_every_domain_once() -> None:
    names = [f"d{i}.example" for i in range(2000)]
    shards = [parse_shard(f"{k}/7") for k in range(1, 8)]
    holders = [[s for s in shards if s.holds(n)] for n in names]
    assert all(len(h) == 1 for h in holders)
    sizes = [sum(1 for h in holders if h[0] is s) for s in shards]
    assert min(sizes) > 2000 / 7 * 0.8, sizes  # even enough: a hash, not the first letters
    # the workers of one shard split its domains with another key: both get some of every shard
    for s in shards:
        mine = [n for n in names if s.holds(n)]
        assert {worker_of(n, 2) for n in mine} == {0, 1}
    assert place("example.com", 10, b"shard") == 8, "a domain's shard never changes between versions"


def test_a_shards_share_is_the_domains_it_holds_in_their_order() -> None:
    entries = [DomainEntry(f"d{i}.example", f"d{i}.example") for i in range(500)]
    for text in ("1/1", "1/7", "7/7", "2/3"):
        shard = parse_shard(text)
        assert shard.share(entries) == tuple(e for e in entries if shard.holds(e.name))
    assert parse_shard("1/1").share(entries) == tuple(entries)


def test_a_shard_collects_only_its_domains(folder: Path) -> None:
    run = suite(folder, "r", "--shard=2/3", "--collect-only")
    ids = [line for line in run.stdout.splitlines() if "::test_" in line]
    domains = {i.split("[", 1)[1].rstrip("]") for i in ids}
    expected = {n for n in NAMES if parse_shard("2/3").holds(n)}
    assert domains == expected and 0 < len(expected) < COUNT


def test_bad_shard_is_a_usage_error(folder: Path) -> None:
    run = suite(folder, "r", "--shard=4/3")
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--shard 4/3: K must be from 1 to N (3)" in run.stderr


def test_merged_shards_equal_the_single_run_and_the_merge_checks_they_belong_together(folder: Path,
                                                                                       tmp_path: Path) -> None:
    for k in (1, 2, 3):
        run = suite(folder, f"s{k}", f"--shard={k}/3")
        assert run.returncode in (0, 1), run.stdout + run.stderr
        doc = read(folder / f"s{k}" / "results.json")
        assert doc["run"]["shard"] == {"index": k, "count": 3, "domains_total": COUNT}
        assert doc["run"]["domains"] == sum(1 for n in NAMES if parse_shard(f"{k}/3").holds(n))
    shards = [folder / f"s{k}" / "results.json" for k in (1, 2, 3)]
    merged = merge_cli(tmp_path / "m", *shards)
    assert merged.returncode == 1, merged.stderr
    single, whole = read(folder / "single" / "results.json"), read(tmp_path / "m" / "results.json")
    assert comparable(whole) == comparable(single)
    assert whole["run"]["domains"] == COUNT and whole["run"]["merged_shards"] == 3 and "shard" not in whole["run"]

    missing = merge_cli(tmp_path / "x", shards[0], shards[2])
    assert missing.returncode == 2 and "shards missing: 2 (of 3)" in missing.stderr
    twice = merge_cli(tmp_path / "x", shards[0], shards[1], shards[2], shards[1])
    assert twice.returncode == 2 and "shard 2/3 is in both" in twice.stderr
    other = suite(folder, "o2", "--shard=1/2")
    assert other.returncode in (0, 1)
    mixed = merge_cli(tmp_path / "x", shards[0], shards[1], shards[2], folder / "o2" / "results.json")
    assert mixed.returncode == 2 and "shards of different splits" in mixed.stderr
    plain = merge_cli(tmp_path / "x", shards[0], shards[1], shards[2], folder / "single" / "results.json")
    assert plain.returncode == 2 and "ran without --shard" in plain.stderr
    assert not (tmp_path / "x").exists()


def test_n_2_gives_identical_results_and_warms_each_domain_up_once(folder: Path) -> None:
    pytest.importorskip("xdist")
    run = suite(folder, "xdist", "-n", "2")
    assert run.returncode == 1, run.stdout + run.stderr
    single, parallel = read(folder / "single" / "results.json"), read(folder / "xdist" / "results.json")
    assert comparable(parallel) == comparable(single)
    workers = parallel["run"]["warmup_workers"]
    # every domain warmed up by exactly one worker: the one its tests were sent to
    assert sum(workers.values()) == COUNT and parallel["run"]["warmed_twice"] == 0
    assert workers == {f"gw{w}": sum(1 for n in NAMES if worker_of(n, 2) == w) for w in (0, 1)}


def test_n_2_with_a_dist_of_the_users_choice_still_gives_identical_results(folder: Path) -> None:
    pytest.importorskip("xdist")
    run = suite(folder, "loadgroup", "-n", "2", "--dist", "load")
    assert run.returncode == 1, run.stdout + run.stderr
    parallel = read(folder / "loadgroup" / "results.json")
    assert comparable(parallel) == comparable(read(folder / "single" / "results.json"))
    assert parallel["run"]["warmed_twice"] == COUNT, "xdist's own scheduling: every worker warms every domain"
