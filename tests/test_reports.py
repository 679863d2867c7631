"""The reports: results.json against its schema, audit.html and pytest-html's report.html.

One run of the suite (a subprocess, offline, on zone files written here) audits a
healthy domain and one whose TXT records, SPF record and PTR name carry markup; the
reports must show that markup as text and never as markup. Smaller tests render
hand-made hostile documents directly.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from mailtests.audit_html import render_audit, write_audit_html
from mailtests.catalog import CHECKS
from mailtests.htmlreport import _escaped, environment, row_cells
from mailtests.render import anchor, answer_key, record_html
from mailtests.results import SCHEMA_VERSION, decoded, evidence_of, results_document, write_results

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "mailtests" / "data" / "results.schema.json"

#: The payloads the brief names, and variants that would leave a trace (title, element id) if they ran.
PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"'><svg onload=alert(1)>",
            "javascript:alert(1)"]
MARKERS = ["<script>document.title='PWNED'</script>", "<svg onload=document.title='PWNED'>",
           "<a id=pwned href=javascript:alert(1)>click</a>"]

ZONES = {
    "healthy.example.zone": """\
$ORIGIN healthy.example.
$TTL 3600
@       IN SOA  ns1 hostmaster 2026010101 7200 900 1209600 3600
        IN NS   ns1
        IN NS   ns2
        IN MX   10 mail
        IN TXT  "v=spf1 ip4:192.0.2.10 -all"
        IN A    192.0.2.1
ns1     IN A    192.0.2.2
ns2     IN A    192.0.2.3
mail    IN A    192.0.2.10
""",
    "markup.example.zone": """\
$ORIGIN markup.example.
$TTL 3600
@       IN SOA  ns1.healthy.example. hostmaster 2026010101 7200 900 1209600 3600
        IN NS   ns1.healthy.example.
        IN NS   ns2.healthy.example.
        IN MX   10 mail
        IN TXT  "v=spf1 ip4:192.0.2.66 exp=<script>alert(1)</script>.markup.example -all"
        IN TXT  "<script>alert(1)</script>"
        IN TXT  "<img src=x onerror=alert(1)>"
        IN TXT  "\\"'><svg onload=alert(1)>"
        IN TXT  "javascript:alert(1)"
        IN TXT  "<script>document.title='PWNED'</script>"
        IN TXT  "\\"'><svg onload=document.title='PWNED'>"
        IN TXT  "<a id=pwned href=javascript:alert(1)>click</a>"
mail    IN A    192.0.2.66
_dmarc  IN TXT  "v=DMARC1; p=<script>alert(1)</script>; rua=mailto:dmarc@markup.example; x=<img src=x onerror=alert(1)>"
s1._domainkey IN TXT "v=DKIM1; k=<script>alert(1)</script>; n=<svg onload=alert(1)>; p=MIIB"
default._bimi IN TXT "v=BIMI1; l=javascript:alert(1)"
""",
    "2.0.192.in-addr.arpa.zone": """\
$ORIGIN 2.0.192.in-addr.arpa.
$TTL 3600
@       IN SOA  ns1.healthy.example. hostmaster.healthy.example. 2026010101 7200 900 1209600 3600
        IN NS   ns1.healthy.example.
10      IN PTR  mail.healthy.example.
66      IN PTR  \\<svg/onload=alert\\(1\\)\\>.markup.example.
""",
}

DOMAINS = """\
zones: [zones]
offline: true
domains:
  - name: healthy.example
    sending_ips: [192.0.2.10]
    helo: mail.healthy.example
  - name: markup.example        # sending IPs assumed from its MX host
    dkim_selectors: [s1]        # markup in its DMARC, DKIM and BIMI tags too
"""


def run_hostile_suite(root: Path) -> subprocess.CompletedProcess:
    """Run the suite on the zones above in ``root``; the reports land in ``root / "reports"``."""
    (root / "zones").mkdir()
    for name, text in ZONES.items():
        (root / "zones" / name).write_text(text, encoding="utf-8")
    (root / "domains.yaml").write_text(DOMAINS, encoding="utf-8")
    plugin = [] if importlib.metadata.entry_points(group="pytest11", name="mailtests") else ["-p", "mailtests.plugin"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    reports = root / "reports"
    command = [sys.executable, "-m", "pytest", "--pyargs", "mailtests", *plugin, "-o", "addopts=",
               "-p", "no:cacheprovider", "-q", "--domains", str(root / "domains.yaml"), "--reports", str(reports),
               "--html", str(reports / "report.html"), "--self-contained-html"]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@dataclass
class Run:
    root: Path
    document: dict
    audit: str
    report: str


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("hostile")
    run_hostile_suite(root)
    reports = root / "reports"
    return Run(root, json.loads((reports / "results.json").read_text(encoding="utf-8")),
               (reports / "audit.html").read_text(encoding="utf-8"),
               (reports / "report.html").read_text(encoding="utf-8"))


class Scan(HTMLParser):
    """What an HTML text holds, as a browser's parser sees it: elements, their attributes, the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.chunks).append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def scan(html: str) -> Scan:
    found = Scan()
    found.feed(html)
    found.close()
    return found


def assert_inert(found: Scan, allowed_handlers: frozenset[tuple[str, str]] = frozenset(),
                 link_prefixes: tuple[str, ...] = ("#", "https://www.rfc-editor.org/"),
                 forbidden: tuple[str, ...] = ("script", "img", "svg", "iframe", "object", "embed")) -> None:
    """No script, no event handler, no javascript: link, no injected element; links only to the given places."""
    for tag, attrs in found.tags:
        assert tag not in forbidden, (tag, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on") or (name, value) in allowed_handlers, (tag, attrs)
            assert name == "data-jsonblob" or "pwned" not in (value or "").lower(), (tag, attrs)
        href = (attrs.get("href") or "").strip()
        if tag == "a" and "href" in attrs:
            assert href.startswith(link_prefixes), (tag, attrs)


def test_results_json_matches_the_schema(run: Run) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = [f"{e.json_path}: {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(run.document)]
    assert errors == []
    assert {r["check"] for r in run.document["results"]} <= set(CHECKS)


def test_each_answer_is_once_in_answers_and_every_evidence_index_resolves(run: Run) -> None:
    document = run.document
    assert document["schema_version"] == SCHEMA_VERSION == 3
    answers = document["answers"]
    assert answers and len({answer_key(a) for a in answers}) == len(answers)
    first: list[int] = []  # the answers in the order the (sorted) records first cite them
    for r in document["results"]:
        assert all(type(i) is int and 0 <= i < len(answers) for i in r["evidence"]), r
        first.extend(i for i in r["evidence"] if i not in first)
        assert evidence_of(document, r) == [answers[i] for i in r["evidence"]]
    assert first == list(range(len(answers))), "every answer is cited, numbered by its first citation"
    mx = next(r for r in document["results"] if (r["domain"], r["check"]) == ("healthy.example", "mx.present"))
    assert [(a["name"], a["type"]) for a in evidence_of(document, mx)] == [("healthy.example.", "MX")]


def test_records_that_share_no_answer_objects_still_cite_each_answer_once(run: Run) -> None:
    """Records from xdist workers or shards hold equal copies of an answer, not one shared dict."""
    document = run.document
    inline = [{**r, "evidence": evidence_of(document, r)} for r in document["results"]]
    copies = json.loads(json.dumps(inline[::-1]))  # no shared objects, and in another order
    rebuilt = results_document(document["run"], copies)
    assert rebuilt == document
    assert copies == json.loads(json.dumps(inline[::-1])), "the records given are left as they were"
    cited = sum(len(r["evidence"]) for r in document["results"])
    assert cited > len(document["answers"]), "the run's checks share answers"


def test_results_json_is_one_line_per_answer_and_record_and_reads_back(run: Run, tmp_path: Path) -> None:
    path = write_results(tmp_path / "results.json", run.document)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == run.document
    lines = text.splitlines()
    assert lines[0] == '{"schema_version": 3,' and lines[-1] == "]}"
    tables = ("answers", "transcripts", "fetches", "results")  # a line each (an empty one), or one per item + 2
    assert len(lines) == 3 + sum(len(run.document[t]) + 2 if run.document[t] else 1 for t in tables)
    items = [json.loads(line.rstrip(",")) for line in lines if line.startswith('{"name"') or
             line.startswith('{"domain"')]
    assert items == run.document["answers"] + run.document["results"]
    assert not tmp_path.joinpath("results.json.tmp").exists()


def test_results_json_holds_what_orjson_refuses_and_hostile_text_as_the_stdlib_reads_it(tmp_path: Path) -> None:
    """Records are encoded by orjson; a record orjson refuses (a key that is not a string, an integer past 64
    bits) is encoded by the stdlib instead, and text from the network (control characters, line separators,
    markup, non-ASCII) reads back unchanged."""
    hostile = "a\x00b\x1b[31m\u2028\u2029<script>\"\\ é 😀"
    document = {"schema_version": SCHEMA_VERSION, "run": {"note": hostile},
                "answers": [{"name": hostile, "records": [{"data": hostile, "ttl": 2**63}]}],
                "results": [{"domain": "example.com", "details": {7: "int key", "big": 2**70, "f": 0.1}},
                            {"domain": hostile, "details": {}}]}
    text = write_results(tmp_path / "results.json", document).read_text(encoding="utf-8")
    assert json.loads(text) == json.loads(json.dumps(document))
    # the stdlib's layout (a space after each colon and comma): this record was not orjson's
    stdlib = json.dumps(document["results"][0], ensure_ascii=False)
    assert text.split("\n")[-4] == stdlib + ","


def test_results_json_is_read_by_orjson_or_the_stdlib() -> None:
    """What the stdlib reads and orjson refuses (NaN, from an older writer) is read; what neither reads raises a
    ValueError, which the merge reports as a shard that is not a results.json document."""
    assert decoded(b'{"a": [1, "\xc3\xa9"]}') == decoded('{"a": [1, "é"]}') == {"a": [1, "é"]}
    assert math.isnan(decoded(b'{"a": NaN}')["a"])
    for broken in (b"\xff", b'{"a": ', b""):
        with pytest.raises(ValueError):
            decoded(broken)


def test_audit_names_every_domain_and_check_and_counts_as_results_json(run: Run) -> None:
    found = scan(run.audit)
    records = run.document["results"]
    assert {r["domain"] for r in records} == {"healthy.example", "markup.example"}
    for r in records:
        assert r["domain"] in found.text and r["check"] in found.text
    counts = dict.fromkeys(("pass", "fail", "warn", "skip", "error"), 0)
    for r in records:
        counts[r["outcome"]] += 1
    assert run.document["summary"] == counts
    shown = {m[1]: int(m[2]) for m in re.finditer(r'id="count-(\w+)"[^>]*>(\d+)<', run.audit)}
    assert shown == {**counts, "total": len(records)}
    ids = {attrs["id"] for _, attrs in found.tags if "id" in attrs}
    for domain in {r["domain"] for r in records}:
        assert anchor(domain) in ids and f'href="#{anchor(domain)}"' in run.audit


def test_audit_is_static_and_prints(run: Run) -> None:
    found = scan(run.audit)
    assert not found.scripts and all(tag != "script" for tag, _ in found.tags)
    assert "Content-Security-Policy" in run.audit and "default-src 'none'" in run.audit
    css = re.search(r"<style>(.*?)</style>", run.audit, re.S)[1]
    assert "@media print" in css and not re.search(r"(?<![-\w])(max-)?height\s*:", css)
    meta = run.document["run"]
    for value in (meta["started"], meta["finished"], meta["domains_file_sha256"], *meta["zone_files"],
                  *meta["versions"].values()):
        assert value in found.text


def test_markup_from_dns_is_text_in_audit_html(run: Run) -> None:
    assert "<script>alert" not in run.audit and "<script>document" not in run.audit
    assert not re.search(r"<[^>]*\bon(error|load)\s*=", run.audit)
    assert 'href="javascript:' not in run.audit.lower()
    found = scan(run.audit)
    assert_inert(found)
    for payload in [*PAYLOADS, *MARKERS, "<svg/onload=alert\\(1\\)>.markup.example"]:
        assert payload in found.text, payload
    assert "assumed: the addresses of the domain's MX hosts" in found.text  # markup.example lists no sending IPs
    assert "SPF include tree" in found.text
    # the DMARC, DKIM and BIMI details: markup in their tags is text too
    assert "DMARC record tags: v=DMARC1; p=<script>alert(1)</script>; rua=mailto:dmarc@markup.example; " \
           "x=<img src=x onerror=alert(1)>" in found.text
    assert "DKIM selector s1 at s1._domainkey.markup.example: no usable key; tags: v=DKIM1; " \
           "k=<script>alert(1)</script>; n=<svg onload=alert(1)>" in found.text
    assert "l='javascript:alert(1)' is not an https URI" in found.text


def pytest_html_blob(report: str) -> dict:
    """The data pytest-html's script renders: the environment and each test's cells, extras and log."""
    blob = [a["data-jsonblob"] for _, a in scan(report).tags if "data-jsonblob" in a]
    assert len(blob) == 1
    return json.loads(blob[0])


def pytest_html_fragments(blob: dict) -> list[str]:
    """Every piece of HTML that pytest-html 4's script inserts with innerHTML and friends."""
    pieces = []
    for key, value in blob["environment"].items():
        pieces.append(f"<div>{value}</div>" if not isinstance(value, dict) else
                      "".join(f"<li>{k}: {v}</li>" for k, v in value.items()))
        assert "<" not in key
    for tests in blob["tests"].values():
        for test in tests:
            pieces.extend(test["resultsTableRow"])
            pieces.extend(extra["content"] for extra in test["extras"] if extra["format_type"] == "html")
            pieces.append(test["log"])
    return pieces


def test_markup_from_dns_is_text_in_pytest_html(run: Run) -> None:
    assert "<script>alert" not in run.report and "<script>document" not in run.report
    page = scan(run.report)
    assert len(page.scripts) == 1 and "PWNED" not in page.scripts[0] and "alert(1)" not in page.scripts[0]
    assert_inert(page, allowed_handlers=frozenset({("onclick", "location.reload()")}),  # pytest-html's own page
                 link_prefixes=("https://pypi.python.org/pypi/pytest-html",), forbidden=("svg", "iframe"))
    text = []
    for piece in pytest_html_fragments(pytest_html_blob(run.report)):
        found = scan(piece)
        assert_inert(found)
        text.append(found.text)
    shown = "\n".join(text)
    for payload in [*PAYLOADS, *MARKERS]:
        assert payload in shown, payload
    assert "DMARC record tags: v=DMARC1; p=<script>alert(1)</script>" in shown  # the DMARC details, as text
    assert "k=<script>alert(1)</script>; n=<svg onload=alert(1)>" in shown  # the DKIM key's tags


def test_pytest_html_has_the_title_metadata_columns_and_evidence(run: Run) -> None:
    meta = run.document["run"]
    title = re.search(r"<title[^>]*>(.*?)</title>", run.report, re.S)[1]
    assert "mailtests" in title and "domains.yaml" in title
    blob = pytest_html_blob(run.report)
    env = blob["environment"]
    assert env["Suite"].startswith("mailtests ")
    assert env["Started (UTC)"] == meta["started"] and env["Domains file SHA-256"] == meta["domains_file_sha256"]
    finished = [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (env["Finished (UTC)"], meta["finished"])]
    assert abs((finished[0] - finished[1]).total_seconds()) <= 2
    assert env["Domains file"] == meta["domains_file"] and env["Zone files"] == ", ".join(meta["zone_files"])
    assert {"python", "dnspython", "pyspf", "pytest"} <= set(env["Versions"])
    heads = [scan(th).text for th in re.findall(r"<th\b.*?</th>", run.report, re.S)]
    assert [h for h in heads if h in ("Domain", "Check", "Severity", "Reference", "Message")] == [
        "Domain", "Check", "Severity", "Reference", "Message"]
    rows = {}
    for tests in blob["tests"].values():
        for test in tests:
            cells = {m[1]: m[0] for m in re.finditer(r'<td class="col-(\w+)">.*?</td>', "".join(
                test["resultsTableRow"]), re.S)}
            if scan(cells["check"]).text:
                rows[(scan(cells["domain"]).text, scan(cells["check"]).text)] = (cells, test)
    assert set(rows) == {(r["domain"], r["check"]) for r in run.document["results"]}
    for r in run.document["results"]:
        cells, test = rows[(r["domain"], r["check"])]
        assert scan(cells["severity"]).text == r["severity"]
        assert r["message"] in scan(cells["message"]).text
        if "RFC " in r["reference"]:
            assert 'href="https://www.rfc-editor.org/rfc/rfc' in cells["reference"]
        evidence = "".join(e["content"] for e in test["extras"])
        assert "mailtests-evidence" in evidence
        for answer in evidence_of(run.document, r):
            assert f"{answer['name']} IN {answer['type']}" in scan(evidence).text


HOSTILE = "<script>alert(1)</script>"


def hostile_document() -> dict:
    """A results document with markup wherever a string can be: names, messages, evidence, details, metadata."""
    evil = ["<script>alert(1)</script>.example", "\"'><svg onload=alert(1)>", "a_b.example", "a/b.example",
            "javascript:alert(1)"]
    node = {"domain": HOSTILE, "via": "root", "term": "", "record": f"v=spf1 include:{HOSTILE} -all", "lookups": 1,
            "errors": [HOSTILE], "voids": [], "notes": ["<img src=x onerror=alert(1)>"], "children": [
                {"domain": "x.example", "via": "include", "term": f"include:{HOSTILE}", "record": None, "lookups": 0,
                 "errors": ["<b>no record</b>"], "voids": [], "notes": [], "children": []}]}
    answer = {"name": f"{HOSTILE}.", "type": "TXT", "rcode": "NOERROR", "server": "<img src=x onerror=alert(1)>",
              "time_ms": 1.0, "authoritative": True, "error": "<i>odd</i>",
              "records": [{"name": f"{HOSTILE}.", "ttl": 60, "type": "TXT", "data": "\"'><svg onload=alert(1)>"}]}
    records = []
    for i, domain in enumerate(evil):
        for check, outcome in (("spf.lookup-limit", ["fail", "pass", "warn", "error", "skip"][i]),
                               ("ptr.present", "pass"), ("x.<img src=x onerror=alert(1)>", "<b>odd</b>")):
            records.append({
                "domain": domain, "check": check, "severity": "FAIL", "outcome": outcome,
                "message": f"message {HOSTILE} javascript:alert(1)", "reference": f"RFC 7208 §4.6.4 {HOSTILE}",
                "requirement": HOSTILE, "evidence": [answer, dict(answer, server=f"{domain}:53")],
                "details": {"lookups": 1, "void_lookups": 0, "loops": [HOSTILE], "tree": node,
                            "sending_ips": [HOSTILE], "sending_ips_source": f"assumed: {HOSTILE}",
                            "traceback": HOSTILE, HOSTILE: HOSTILE}})
    run = {"started": HOSTILE, "finished": HOSTILE, "exitstatus": HOSTILE, "domains_file": f"/tmp/{HOSTILE}.yaml",
           "domains_file_sha256": HOSTILE, "domains": HOSTILE, "resolvers": [HOSTILE], "zone_files": [HOSTILE],
           "offline": False, "timeout": HOSTILE, "versions": {HOSTILE: HOSTILE, "mailtests": HOSTILE},
           "dns_questions": {"sent": HOSTILE, "cached": HOSTILE}}
    return results_document(run, records)


@pytest.mark.parametrize("pass_messages", [True, False])
def test_audit_of_a_hostile_document_is_inert_and_its_links_resolve(tmp_path: Path, pass_messages: bool) -> None:
    path = write_audit_html(tmp_path / "audit.html", hostile_document(), pass_messages=pass_messages)
    html = path.read_text(encoding="utf-8")
    assert "<script>alert" not in html and not re.search(r"<[^>]*\bon(error|load)\s*=", html)
    found = scan(html)
    assert_inert(found)
    ids = [attrs["id"] for _, attrs in found.tags if "id" in attrs]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z0-9._~-]+", i) for i in ids)
    for _, attrs in found.tags:
        if (attrs.get("href") or "").startswith("#"):
            assert attrs["href"][1:] in ids, attrs
    for text in (HOSTILE, "a_b.example", "a/b.example", f"v=spf1 include:{HOSTILE} -all", "<b>no record</b>"):
        assert text in found.text


def test_pytest_html_pieces_escape_a_hostile_record() -> None:
    document = hostile_document()
    record = next(r for r in document["results"] if r["domain"].startswith(HOSTILE))
    pieces = [scan(piece) for piece in [*row_cells(record), record_html(record, evidence_of(document, record))]]
    for found in pieces:
        assert_inert(found)
    assert HOSTILE in pieces[0].text and HOSTILE in pieces[-1].text  # the domain cell, the evidence block
    table = {k: _escaped(v) for k, v in environment(document["run"]).items()}
    for value in table.values():
        pieces = value.items() if isinstance(value, dict) else [("", value)]
        for k, v in pieces:
            assert "<" not in str(k) and "<" not in str(v)


def test_anchors_are_one_to_one_and_safe() -> None:
    names = ["a_b", "a/b", "a_2fb", "A_B", "xn--bcher-kva.example", "<x>", "a b", "a\u00e9"]
    ids = [anchor(n) for n in names]
    assert len(set(ids)) == len(set(n.lower() for n in names))
    assert all(re.fullmatch(r"d-[a-z0-9._-]+", i) for i in ids)


def test_ten_thousand_domains_stay_under_thirty_megabytes() -> None:
    """The benchmark's synthetic estate, on a tenth of its size: 10,000 domains come to 9.42 times 1,000
    (answers shared by many domains are printed once; measured 2026-11-30: 3.13 MB and 29.4 MB), so 3.18 MB
    here keeps them under 30 MB."""
    spec = importlib.util.spec_from_file_location("report_size", ROOT / "benchmarks" / "report_size.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    document = json.loads(json.dumps(bench.synthesize(1000)))  # no shared objects, as read from results.json
    size = sum(len(chunk.encode()) for chunk in render_audit(document))
    assert size < 3_180_000, size
