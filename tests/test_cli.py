"""The `mailtests` command: the suite from any folder, domains by name or by file, pytest's options, the catalog."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailtests import cli
from mailtests.catalog import CHECKS
from mailtests.cli import split_domains
from tests.demo import DEMO_DOMAINS, DEMO_ZONES

SCRIPT = Path(sys.executable).parent / "mailtests"


def mailtests(cwd: Path, *args: str, script: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [str(SCRIPT)] if script else [sys.executable, "-m", "mailtests"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A user's folder: the demo's domains and zones, and a failing test and a conftest.py of its own."""
    shutil.copytree(DEMO_ZONES, tmp_path / "zones")
    (tmp_path / "domains.yaml").write_text(DEMO_DOMAINS, encoding="utf-8")
    (tmp_path / "test_mine.py").write_text("def test_mine():\n    assert False, 'collected'\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text("raise SystemExit('conftest.py was loaded')\n", encoding="utf-8")
    return tmp_path


def outcomes(folder: Path) -> dict[tuple[str, str], str]:
    document = json.loads((folder / "reports" / "results.json").read_text(encoding="utf-8"))
    return {(r["domain"], r["check"]): r["outcome"] for r in document["results"]}


def assert_demo_audited(done: subprocess.CompletedProcess, folder: Path) -> None:
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "test_mine" not in done.stdout and "conftest.py was loaded" not in done.stdout + done.stderr
    found = outcomes(folder)
    assert found[("example.net", "mx.resolve")] == "fail" and found[("example.com", "mx.resolve")] == "pass"
    assert {domain for domain, _ in found} == {"example.com", "example.net", "example.org"}


@pytest.mark.parametrize("spelling", ["--domains={}", "--domains {}"])
@pytest.mark.parametrize("absolute", [True, False], ids=["absolute", "relative"])
def test_a_domains_file_from_a_folder_with_tests_of_its_own(folder, spelling, absolute):
    path = str(folder / "domains.yaml") if absolute else "domains.yaml"
    done = mailtests(folder, *spelling.format(path).split(" "), "-p", "no:html", script=True)
    assert_demo_audited(done, folder)


def test_a_domains_file_from_another_folder(folder, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "test_other.py").write_text("def test_other():\n    assert False\n", encoding="utf-8")
    done = mailtests(elsewhere, "--domains", str(folder / "domains.yaml"), "--reports", str(folder / "reports"),
                     "-p", "no:html")
    assert_demo_audited(done, folder)
    assert "test_other" not in done.stdout


def test_the_default_domains_file_is_the_one_in_the_folder(folder):
    assert_demo_audited(mailtests(folder, "-p", "no:html"), folder)


def test_no_domains_is_a_usage_error_that_says_what_to_give(tmp_path):
    done = mailtests(tmp_path, "-p", "no:html")
    assert done.returncode == 4
    assert "no domains to audit" in done.stderr and "mailtests example.com" in done.stderr


def test_domains_named_on_the_command_line(folder):
    done = mailtests(folder, "example.net", "Example.ORG", "--zones=zones", "--offline", "-p", "no:html")
    assert done.returncode == 1, done.stdout[-3000:]
    found = outcomes(folder)
    assert {domain for domain, _ in found} == {"example.net", "example.org"}
    assert found[("example.net", "spf.present")] == "fail"
    run = json.loads((folder / "reports" / "results.json").read_text(encoding="utf-8"))["run"]
    assert run["domains_file"] == "command line" and run["domains"] == 2


def test_one_named_domain_takes_its_sending_ips_helo_and_selectors(folder):
    done = mailtests(folder, "example.com", "--sending-ip", "192.0.2.10", "--helo=mail.example.com",
                     "--dkim-selector", "s1", "--zones", "zones", "--offline", "-p", "no:html", "-m", "helo or ptr")
    assert done.returncode == 0, done.stdout[-3000:]
    found = outcomes(folder)
    assert found[("example.com", "helo.resolves")] == "pass"  # skipped without a HELO name
    assert found[("example.com", "ptr.present")] == "pass"  # skipped without sending IPs in zone mode


def test_per_domain_options_with_several_domains_are_a_usage_error(folder):
    done = mailtests(folder, "example.com", "example.net", "--helo", "mail.example.com", "-p", "no:html")
    assert done.returncode == 4
    assert "--helo describe one domain" in done.stderr


@pytest.mark.parametrize("args, message", [
    (("exa mple.com",), "domain name: 'exa mple.com' is not a valid domain name"),
    (("example.com", "--sending-ip", "300.1.2.3"), "--sending-ip (example.com): '300.1.2.3' is not an IP address"),
    (("example.com", "--domains=domains.yaml"), "not both"),
])
def test_bad_names_and_values_are_usage_errors(folder, args, message):
    done = mailtests(folder, *args, "-p", "no:html")
    assert done.returncode == 4 and message in done.stderr, done.stderr


def test_pytest_options_pass_through(folder):
    done = mailtests(folder, "-k", "example.net", "-m", "mx or spf", "-x", "--junitxml", "out/junit.xml",
                     "--html=out/report.html", "--self-contained-html")
    assert done.returncode == 1
    found = outcomes(folder)
    assert found and all(d == "example.net" and c.split(".")[0] in ("mx", "spf") for d, c in found)
    assert len([o for o in found.values() if o == "fail"]) == 1  # -x: stopped at the first failure
    junit = (folder / "out" / "junit.xml").read_text(encoding="utf-8")
    assert 'name="test_mx_resolve[example.net]"' in junit
    assert "example.net" in (folder / "out" / "report.html").read_text(encoding="utf-8")


def test_xdist_gives_the_same_results(folder):
    assert_demo_audited(mailtests(folder, "-n", "2", "-p", "no:html"), folder)


def test_list_checks_prints_the_catalog():
    done = mailtests(Path.cwd(), "--list-checks")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert len(lines) == len(CHECKS)
    spec = CHECKS["mx.resolve"]
    line = next(line for line in lines if line.startswith("mx.resolve "))
    assert spec.severity.value in line and spec.requirement in line and spec.reference in line


def test_list_checks_as_json():
    done = mailtests(Path.cwd(), "--list-checks", "--format", "json")
    rows = json.loads(done.stdout)
    assert [r["id"] for r in rows] == list(CHECKS)
    assert {"id", "severity", "requirement", "reference"} <= set(rows[0])
    assert mailtests(Path.cwd(), "--list-checks", "--format", "yaml").returncode == 4


def test_merge_is_a_subcommand(tmp_path):
    done = mailtests(tmp_path, "merge", str(tmp_path / "out"), str(tmp_path / "missing.json"), script=True)
    assert done.returncode == 2 and "mailtests merge:" in done.stderr


def test_the_view_shows_each_domain_and_area_plain_when_piped(folder):
    done = mailtests(folder, "-p", "no:html")
    out = done.stdout
    assert "\x1b[" not in out
    assert "example.net  FAIL" in out and "example.com  PASS" in out
    assert "  mx       FAIL" in out
    assert "    FAIL mx.resolve: MX host(s) of example.net without an A or AAAA record" in out
    assert "    WARN mx.present: example.org publishes no MX" in out


def test_the_view_is_coloured_on_a_terminal(folder):
    done = mailtests(folder, "-p", "no:html", "--color=yes")
    assert "\x1b[31m\x1b[1mexample.net  FAIL" in done.stdout


def test_many_domains_get_one_line_per_failure(folder):
    names = [f"d{i}.example.com" for i in range(11)]
    done = mailtests(folder, *names, "--zones=zones", "--offline", "-p", "no:html", "-m", "mx")
    assert "mailtests summary" in done.stdout and "  mx       " not in done.stdout


@pytest.mark.parametrize("argv, names, rest", [
    (["example.com"], ["example.com"], []),
    (["-k", "example.com", "example.net"], ["example.net"], ["-k", "example.com"]),
    (["--junitxml", "x.xml", "-n", "2", "a.org", "-xk", "spf", "b.org"], ["a.org", "b.org"],
     ["--junitxml", "x.xml", "-n", "2", "-xk", "spf"]),
    (["--domains=f.yaml", "-kexample", "c.org", "--", "-d.org"], ["c.org", "-d.org"],
     ["--domains=f.yaml", "-kexample"]),
    (["--resolver", "192.0.2.53", "--helo", "mail.e.com", "e.com", "-q"], ["e.com"],
     ["--resolver", "192.0.2.53", "--helo", "mail.e.com", "-q"]),
])
def test_positional_arguments_are_domains_and_option_values_are_not(argv, names, rest):
    assert split_domains(argv) == (names, rest)


@pytest.mark.parametrize("argv, names", [(["example.com", "example.net"], ["example.com", "example.net"]),
                                         (["--domains=f.yaml"], []), (["e.com", "--offline"], ["e.com"])])
def test_domain_names_alone_need_no_pytest_configuration(monkeypatch, argv, names):
    """Reading pytest's option table costs a whole pytest configuration: only an option before a token needs it."""
    def refuse(plugins):
        raise AssertionError("pytest's option table was read")

    monkeypatch.setattr(cli, "_value_options", refuse)
    assert split_domains(argv)[0] == names
