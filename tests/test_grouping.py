"""A test per domain (``--test-per=domain``, and runs above 100 domains) keeps what a test per check gives.

The records, the exit code and what ``-k``/``-m`` select are those of the same run with a test per
(domain, check); the domain's test fails naming each failed check. Offline runs on the demo's zone
files (hosts of example.net as domains, and the demo's three domains): no network.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mailtests.grouping import GROUP_ABOVE
from tests.shard_runs import demo_folder, read, suite
from tests.test_shard import comparable

NAMES = ["example.com", "example.net", "example.org", *(f"host{i}.example.net" for i in range(5))]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_folder(tmp_path_factory.mktemp("grouping"), NAMES)


def both(folder: Path, name: str, *args: str) -> tuple[dict, dict, str]:
    """The run as a test per check and as a test per domain: both results documents, and the grouped stdout."""
    per_check = suite(folder, f"{name}-check", "--test-per=check", *args)
    per_domain = suite(folder, f"{name}-domain", "--test-per=domain", "-rf", "--tb=short", *args)
    assert per_check.returncode == per_domain.returncode, per_domain.stdout + per_domain.stderr
    return (read(folder / f"{name}-check" / "results.json"), read(folder / f"{name}-domain" / "results.json"),
            per_domain.stdout)


def pairs(document: dict) -> set[tuple[str, str]]:
    return {(r["domain"], r["check"]) for r in document["results"]}


def test_the_records_and_exit_code_are_those_of_a_test_per_check(folder: Path) -> None:
    check, domain, stdout = both(folder, "all")
    assert comparable(domain) == comparable(check)
    assert len(domain["results"]) > 8 * 50  # every check of every domain, not one record per domain
    # one test per domain; a domain with a failed check fails, naming each failed check with its finding
    failing = {r["domain"] for r in domain["results"] if r["outcome"] in ("fail", "error")}
    assert "example.net" in failing and "example.com" not in failing
    assert f"{len(failing)} failed, {len(NAMES) - len(failing)} passed" in stdout
    assert "test_domains.py::test_domain[example.net] - " in stdout
    failed = [r for r in domain["results"] if r["domain"] == "example.net" and r["outcome"] == "fail"]
    judged = sum(1 for r in domain["results"] if r["domain"] == "example.net" and r["outcome"] != "skip")
    assert f"example.net: {len(failed)} of {judged} checks failed:" in stdout
    for r in failed:
        assert f"{r['check']} [fail]: {r['message'][:60]}" in stdout


@pytest.mark.parametrize("args", [
    ("-k", "spf"),
    ("-k", "not mx and not dmarc"),
    ("-k", "example.org or host3"),
    ("-k", "test_mx_resolve and example.net"),
    ("-m", "mx or dkim"),
    ("-m", "not dnssec", "-k", "example.com"),
], ids=lambda a: " ".join(a))
def test_k_and_m_select_the_same_checks(folder: Path, args: tuple[str, ...]) -> None:
    check, domain, _ = both(folder, "sel", *args)
    assert pairs(domain) == pairs(check) and pairs(check)
    assert comparable(domain) == comparable(check)


def test_a_domain_none_of_whose_checks_is_selected_is_deselected(folder: Path) -> None:
    run = suite(folder, "none", "--test-per=domain", "-k", "example.org")
    assert "7 deselected" in run.stdout, run.stdout
    assert {r["domain"] for r in read(folder / "none" / "results.json")["results"]} == {"example.org"}


def test_a_domain_test_of_only_skipped_checks_is_skipped(folder: Path) -> None:
    run = suite(folder, "skips", "--test-per=domain", "-m", "smtp")  # no --smtp: every smtp check skips
    assert run.returncode == 0 and f"{len(NAMES)} skipped" in run.stdout, run.stdout
    assert {r["outcome"] for r in read(folder / "skips" / "results.json")["results"]} == {"skip"}


def test_runs_above_the_limit_collect_a_test_per_domain(tmp_path: Path) -> None:
    count = GROUP_ABOVE + 1
    demo_folder(tmp_path, [f"host{i}.example.net" for i in range(count)])
    run = suite(tmp_path, "many", "--collect-only", "-m", "mx")
    ids = [line for line in run.stdout.splitlines() if "::" in line]
    assert len(ids) == count and all("test_domains.py::test_domain[host" in i for i in ids), run.stdout[:2000]
    # and the user may still ask for a test per check
    run = suite(tmp_path, "many", "--collect-only", "-m", "mx", "--test-per=check")
    assert len([line for line in run.stdout.splitlines() if "test_mx.py::test_mx_" in line]) > count


def test_a_warning_turned_into_an_error_fails_the_domain_test(folder: Path) -> None:
    run = suite(folder, "warn", "--test-per=domain", "-rf", "--fail-on-warn", "-k", "example.org", "-m", "mx")
    assert run.returncode == 1, run.stdout
    assert "test_domain[example.org] - example.org: 1 of " in run.stdout
    records = read(folder / "warn" / "results.json")["results"]
    assert [r["check"] for r in records if r["outcome"] == "warn"] == ["mx.present"]


def test_junitxml_names_the_failed_checks_of_a_domain(folder: Path) -> None:
    xml = folder / "junit.xml"
    suite(folder, "junit", "--test-per=domain", f"--junitxml={xml}", "-k", "example.net and not host")
    text = xml.read_text(encoding="utf-8")
    failed = sorted(r["check"] for r in read(folder / "junit" / "results.json")["results"] if r["outcome"] == "fail")
    assert failed, "the demo's example.net fails some checks"
    named = re.findall(r'name="failed" value="([^"]*)"', text)
    assert len(named) == 1 and sorted(named[0].split()) == failed


def test_n_2_runs_each_domain_test_on_the_worker_that_warmed_it_up(folder: Path) -> None:
    pytest.importorskip("xdist")
    single = suite(folder, "x-single", "--test-per=check")
    run = suite(folder, "x-domain", "--test-per=domain", "-n", "2")
    assert run.returncode == single.returncode == 1, run.stdout + run.stderr
    parallel = read(folder / "x-domain" / "results.json")
    assert comparable(parallel) == comparable(read(folder / "x-single" / "results.json"))
    assert sum(parallel["run"]["warmup_workers"].values()) == len(NAMES) and parallel["run"]["warmed_twice"] == 0


def test_pytest_html_gives_a_domain_test_one_row_naming_its_failed_checks(folder: Path) -> None:
    report = folder / "domain.html"
    run = suite(folder, "html", "--test-per=domain", "-p", "html", f"--html={report}", "--self-contained-html",
                "-k", "example.net and not host")
    assert run.returncode == 1, run.stdout + run.stderr
    page = report.read_text(encoding="utf-8")
    records = read(folder / "html" / "results.json")["results"]
    failed = {r["check"] for r in records if r["outcome"] == "fail"}
    named = re.findall(r"fail: ([a-z0-9., -]+)", page)
    assert f"{len(records)} checks" in page and any(set(n.split(", ")) == failed for n in named), named



def test_one_area_module_named_alone_still_gets_a_test_per_domain(folder: Path) -> None:
    run = suite(folder, "alone", "--test-per=domain", "--collect-only")  # the whole suite: test_domains.py
    assert "test_domains.py::test_domain[example.com]" in run.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "mailtests.suite.test_mx", "-o", "addopts=", "-p",
         "no:cacheprovider", "-p", "no:html", "-q", "--tb=no", "--domains=domains.yaml", "--reports=alone",
         "--test-per=domain"], cwd=folder, capture_output=True, text=True, timeout=300)
    records = read(folder / "alone" / "results.json")["results"]
    assert {r["check"].split(".")[0] for r in records} == {"mx"} and len({r["domain"] for r in records}) == len(NAMES)
    counts = dict((k, int(n)) for n, k in re.findall(r"(\d+) (failed|passed)", proc.stdout.splitlines()[-1]))
    assert sum(counts.values()) == len(NAMES) and "test_domain[example.net]" in proc.stdout, proc.stdout
