"""GitHub Actions: annotations on the causing line, escaped as GitHub requires, and the Markdown job summary."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from mailtests.config import load_config
from mailtests.github import Locator, annotations, escape_data, escape_property
from mailtests.jobsummary import job_summary, md
from tests.test_cli import folder, mailtests  # noqa: F401 - the fixture

__all__ = ["folder"]


def test_escaping_follows_githubs_rules():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("zones/a,b:c.zone") == "zones/a%2Cb%3Ac.zone"


def zone_line(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_a_run_on_actions_annotates_the_zone_lines_and_writes_the_job_summary(folder):  # noqa: F811
    step_summary = folder / "summary.md"
    done = mailtests(folder, "-p", "no:html", env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(step_summary)})
    assert done.returncode == 1
    commands = [line for line in done.stdout.splitlines() if line.startswith("::")]
    mx_line = zone_line(folder / "zones" / "example.net.zone", "IN MX")
    assert any(c.startswith(f"::error file=zones/example.net.zone,line={mx_line},title=mx.resolve::example.net "
                            "mx.resolve: MX host(s) of example.net without") for c in commands), commands
    assert any(c.startswith("::warning file=zones/example.org.zone,") and "title=mx.present::" in c for c in commands)
    dmarc_line = zone_line(folder / "zones" / "example.net.zone", "_dmarc")
    assert any(c.startswith(f"::error file=zones/example.net.zone,line={dmarc_line},title=dmarc.external-reports::")
               for c in commands), commands
    assert len([c for c in commands if c.startswith("::error ")]) == 3
    summary = step_summary.read_text(encoding="utf-8")
    assert "| fail | 3 |" in summary
    assert "#### example\\.net" in summary and "[`mx.resolve`](https://www.rfc-editor.org/rfc/rfc5321" in summary
    assert "| `spf.present` | FAIL |" in summary


def test_off_actions_nothing_is_annotated(folder):  # noqa: F811
    done = mailtests(folder, "-p", "no:html", env={"GITHUB_ACTIONS": ""})
    assert done.returncode == 1 and not [line for line in done.stdout.splitlines() if line.startswith("::")]


@pytest.fixture
def settings(tmp_path: Path) -> SimpleNamespace:
    path = tmp_path / "domains.yaml"
    path.write_text("domains:\n  - example.com\n  - name: example.net\n    helo: mail.example.net\n", encoding="utf-8")
    config = load_config(path)
    return SimpleNamespace(domains=config.domains, config=config, fail_on="any")


def record(domain: str, check: str, outcome: str, message: str, **extra) -> dict:
    return {"domain": domain, "check": check, "outcome": outcome, "message": message, "evidence": [], "details": {},
            **extra}


def test_without_zone_files_the_domains_entry_is_the_line(settings, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = annotations([record("example.net", "spf.present", "fail", "no SPF")], Locator([], None, settings))
    assert found == ["::error file=domains.yaml,line=3,title=spf.present::example.net spf.present: no SPF"]


def test_a_regression_stands_on_the_changed_zone_line(settings):
    changed = record("example.com", "mx.resolve", "fail", "no address", change="regression",
                     details={"zone_changes": ["zones/example.com.zone:7: example.com. MX 10 mail.example.com."]})
    old = record("example.com", "spf.present", "fail", "no SPF", change="still failing")
    found = annotations([changed, old], Locator([], None, settings), fail_on="regression")
    assert found[0].startswith("::error file=zones/example.com.zone,line=7,title=mx.resolve [regression]::")
    assert found[1].startswith("::warning file=") and "title=spf.present [still failing]::" in found[1]


def test_hostile_text_stays_one_command_and_plain_markdown(settings):
    hostile = "v=spf1 %0A\n::error::injected \x1b[2J [click](https://evil.example) <img src=x>"
    found = annotations([record("example.com", "spf.syntax", "fail", hostile)], Locator([], None, settings))
    assert len(found) == 1 and "\n" not in found[0] and "\x1b" not in found[0]
    assert found[0].endswith("v=spf1 %250A\\x0a::error::injected \\x1b[2J [click](https://evil.example) <img src=x>")
    text = md(hostile)
    assert "<img" not in text and "](" not in text and "\\[click\\]\\(https" in text


def test_one_cause_of_many_checks_is_one_annotation_and_one_summary_line(settings):
    cause = "DNS lookup failed, so {} could not be checked: dead-ns.com. {}: SERVFAIL from 192.0.2.53:53"
    records = [record("dead-ns.com", check, "error", cause.format(check, rdtype))
               for check, rdtype in (("ns.present", "NS"), ("mx.present", "MX"), ("spf.present", "TXT"))]
    found = annotations(records, Locator([], None, settings))
    assert len(found) == 1
    assert "title=dead-ns.com%3A 3 checks::" in found[0]
    assert "3 checks could not run: SERVFAIL from 192.0.2.53:53" in found[0]
    summary = job_summary({"results": records, "summary": {"error": 3}, "run": {}})
    assert summary.count("could not run") == 1 and "#### dead\\-ns\\.com" in summary
