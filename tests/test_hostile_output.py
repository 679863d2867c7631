"""Control characters from DNS reach no output raw (issue 16, item 5).

A zone whose TXT and SPF records carry ESC sequences (clear screen, set the window
title), BEL, NUL and a C1 control (CSI, U+009B) goes through a whole run: the terminal
(failure lines, the summary, warnings), JUnit XML, pytest-html's report.html, audit.html
and results.json. Each shows them escaped (``\\x1b``) or, for results.json, as JSON
escapes; the evidence keeps the data itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mailtests import escaping

ROOT = Path(__file__).resolve().parents[1]
# ESC [2J (clear screen), ESC ]0;pwned BEL (window title), NUL, C1 CSI (UTF-8 C2 9B), an RTL override (E2 80 AE)
HOSTILE_TXT = r'"v=spf1 mx\027[2J\027]0;pwned\007 -all"'
ZONE = rf"""$ORIGIN hostile.example.
$TTL 3600
@       IN SOA  ns1 hostmaster 2026010101 7200 900 1209600 3600
        IN NS   ns1
        IN NS   ns2
        IN MX   10 mail
        IN TXT  {HOSTILE_TXT}
        IN TXT  "nul\000here \194\155[31m red \226\128\174 reversed"
_dmarc  IN TXT  "v=DMARC1; p=none\027[2J"
ns1     IN A    192.0.2.2
ns2     IN A    192.0.2.3
mail    IN A    192.0.2.10
"""
RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202e]")  # what no output may hold raw


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("controls")
    (root / "zones").mkdir()
    (root / "zones" / "hostile.example.zone").write_text(ZONE, encoding="utf-8")
    (root / "domains.yaml").write_text("zones: [zones]\noffline: true\ndomains:\n  - name: hostile.example\n"
                                       "    sending_ips: [192.0.2.10, 192.0.2.99]\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    reports = root / "reports"
    command = [sys.executable, "-m", "pytest", "--pyargs", "mailtests", "-o", "addopts=", "-p", "no:cacheprovider",
               "-rA", "-W", "default::mailtests.ComplianceWarning", "--domains=domains.yaml", f"--reports={reports}",
               f"--junitxml={reports / 'junit.xml'}", f"--html={reports / 'report.html'}", "--self-contained-html"]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, timeout=600)
    assert done.returncode in (0, 1), done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
    return reports, done


def test_the_terminal_gets_no_control_character(run) -> None:
    _, done = run
    out = (done.stdout + done.stderr).decode("utf-8")
    assert not RAW.search(out), repr(RAW.search(out))
    # the pyspf error and the failure line show the sequence escaped, twice (failure line and summary)
    assert out.count("\\x1b[2J") >= 2, out[-3000:]
    assert "mailtests summary" in out


def test_junit_xml_is_well_formed_and_escaped(run) -> None:
    reports, _ = run
    text = (reports / "junit.xml").read_text(encoding="utf-8")
    assert not RAW.search(text)
    tree = ET.fromstring(text)
    failures = [f.get("message", "") + (f.text or "") for f in tree.iter("failure")]
    assert any("\\x1b" in f for f in failures), failures


def test_html_reports_hold_no_raw_control_character(run) -> None:
    reports, _ = run
    for name in ("audit.html", "report.html"):
        text = (reports / name).read_text(encoding="utf-8")
        assert not RAW.search(text), (name, repr(RAW.search(text)))
        assert "\\x1b" in text or "\\027" in text, name


def test_results_json_keeps_the_data(run) -> None:
    reports, _ = run
    document = json.loads((reports / "results.json").read_text(encoding="utf-8"))
    texts = [r for a in document["answers"] for r in a.get("records", [])]
    assert any("\\027[2J" in json.dumps(t) for t in texts)  # the evidence: the record as DNS gave it
    for record in document["results"]:
        assert escaping.is_clean(record["message"]), record["message"]


@pytest.mark.parametrize(("text", "shown"), [
    ("\x1b[2J\x1b]0;pwned\x07", "\\x1b[2J\\x1b]0;pwned\\x07"),
    ("a\x00b\nc\td", "a\\x00b\\x0ac\\x09d"),
    ("\x9b31m \u202e", "\\x9b31m \\u202e"),
    ("<b>&</b> ünïcode ✓", "<b>&</b> ünïcode ✓"),
])
def test_terminal_escapes(text: str, shown: str) -> None:
    assert escaping.terminal(text) == shown
    assert escaping.xml(text) == shown


def test_xml_and_html_escape_what_xml_forbids() -> None:
    assert escaping.xml("\ud800\ufffe") == "\\ud800\\ufffe"
    assert escaping.html('<a href="x">\x00</a>') == "&lt;a href=&quot;x&quot;&gt;\\x00&lt;/a&gt;"
