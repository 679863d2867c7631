"""The `mailtests` command on the DNS lab, as a new user runs it: domains named on the command line."""

from __future__ import annotations

import json

from tests.test_cli import mailtests


def test_a_healthy_domain_named_on_the_command_line_passes(lab, tmp_path):
    done = mailtests(tmp_path, "healthy.com", "--resolver", f"{lab.resolver[0]}:{lab.resolver[1]}", "-p", "no:html",
                     f"--trust-anchor={lab.trust_anchor}", script=True)
    assert done.returncode == 0, done.stdout[-3000:]
    # healthy.com is not signed: dnssec.signed warns, and that is its only finding (tests/lab/README.md)
    assert "healthy.com  WARN" in done.stdout and "  spf      PASS" in done.stdout
    assert [line.split(":")[0].strip() for line in done.stdout.splitlines() if line.startswith("    WARN ")] == [
        "WARN dnssec.signed"], done.stdout


def test_a_domain_whose_name_server_never_answers_is_one_line_per_cause(lab, tmp_path):
    done = mailtests(tmp_path, "dead-ns.com", "--resolver", f"{lab.resolver[0]}:{lab.resolver[1]}", "-p", "no:html",
                     f"--trust-anchor={lab.trust_anchor}")
    assert done.returncode == 1, done.stdout[-3000:]
    records = json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))["results"]
    errors = [r for r in records if r["domain"] == "dead-ns.com" and r["outcome"] == "error"]
    assert len(errors) >= 10  # results.json keeps one record per check
    lines = [line for line in done.stdout.splitlines() if "checks could not run" in line]
    assert len(lines) == 1, done.stdout
    assert f"{len(errors)} checks could not run: SERVFAIL" in lines[0] and "dead-ns.com." in lines[0]
    assert "mailtests: 1 domain, 1 resolver" in done.stdout
