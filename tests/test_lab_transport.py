"""MTA-STS, TLS-RPT, SMTP and DANE against the transport lab: Postfix, scripted servers, an HTTPS policy host.

Every transport check of every transport lab domain is asserted (tests/lab/README.md,
"Transport lab"); the DNS comes from the DNS lab, the sessions from tests/lab/smtp_lab.py.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

import mailtests
import mailtests.checks.dane as dane_checks
from mailtests.audit import Audit
from mailtests.checks.dnssec_status import Security
from mailtests.config import load_config
from mailtests.dnslayer import DnsLayer, Server, WireSource
from mailtests.result import Outcome
from tests.lab.smtp_lab import DOMAINS_FILE

P, F, W, S = Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.SKIP
STS = ("mta-sts.record", "mta-sts.policy", "mta-sts.mode", "mta-sts.mx-match")
SMTP = ("smtp.reachable", "smtp.greeting", "smtp.starttls", "smtp.tls-version", "smtp.certificate")
DANE = ("dane.tlsa", "dane.match")
CHECKS = STS + ("tlsrpt.record",) + SMTP + DANE
NO_STS = {"mta-sts.record": W, "mta-sts.policy": S, "mta-sts.mode": S, "mta-sts.mx-match": S, "tlsrpt.record": S}
NO_DANE = {"dane.tlsa": S, "dane.match": S}
POLICY_BROKEN = {"mta-sts.policy": F, "mta-sts.mode": S, "mta-sts.mx-match": S}
NO_TLS = {"smtp.tls-version": S, "smtp.certificate": S}

#: domain -> the checks that do not pass there (a check not named passes).
EXPECTED: dict[str, dict[str, Outcome]] = {
    "sts-enforce.com": {**NO_DANE},
    "sts-testing.com": {"mta-sts.mode": W, **NO_DANE},
    "sts-none.com": {"mta-sts.mode": W, "mta-sts.mx-match": S, **NO_DANE},
    "sts-redirect.com": {**POLICY_BROKEN, **NO_DANE},
    "sts-badcert.com": {**POLICY_BROKEN, **NO_DANE},
    "sts-mediatype.com": {**POLICY_BROKEN, **NO_DANE},
    "sts-oversize.com": {**POLICY_BROKEN, **NO_DANE},
    "sts-mxmismatch.com": {"mta-sts.mx-match": F, **NO_DANE},
    "sts-wildcard.com": {"mta-sts.mx-match": F, **{c: S for c in SMTP}, **NO_DANE},  # its MX host has no address
    "sts-malformed.com": {"mta-sts.record": F, **POLICY_BROKEN, **NO_DANE},  # and no policy is served (404)
    "sts-duplicate.com": {"mta-sts.record": F, **POLICY_BROKEN, **NO_DANE},
    "sts-norecord.com": {**NO_STS, **NO_DANE},
    "tlsrpt-missing.com": {**POLICY_BROKEN, "tlsrpt.record": W, **NO_DANE},  # mta-sts.tlsrpt-missing.com: no A
    "tlsrpt-bad.com": {**NO_STS, "tlsrpt.record": F, **NO_DANE},
    "tlsrpt-dup.com": {**NO_STS, "tlsrpt.record": F, **NO_DANE},
    "smtp-nostarttls.com": {**NO_STS, "smtp.starttls": W, **NO_TLS, **NO_DANE},
    "smtp-selfsigned.com": {**NO_STS, "smtp.certificate": W, **NO_DANE},
    "smtp-expired.com": {**NO_STS, "smtp.certificate": W, **NO_DANE},
    "smtp-wrongname.com": {**NO_STS, "smtp.certificate": W, **NO_DANE},
    "smtp-tls10.com": {**NO_STS, "smtp.tls-version": F, **NO_DANE},
    "smtp-tls10only.com": {**NO_STS, "smtp.starttls": W, "smtp.tls-version": F, "smtp.certificate": S, **NO_DANE},
    "smtp-greet.com": {**NO_STS, "smtp.greeting": W, **NO_DANE},
    "smtp-closed.com": {**NO_STS, "smtp.reachable": F, "smtp.greeting": S, "smtp.starttls": S, **NO_TLS, **NO_DANE},
    "smtp-silent.com": {**NO_STS, "smtp.reachable": F, "smtp.greeting": S, "smtp.starttls": S, **NO_TLS, **NO_DANE},
    "smtp-reject.com": {**NO_STS, "smtp.reachable": F, "smtp.greeting": S, "smtp.starttls": S, **NO_TLS, **NO_DANE},
    "smtp-flood.com": {**NO_STS, "smtp.starttls": W, **NO_TLS, **NO_DANE},
    "smtp-stall.com": {**NO_STS, "smtp.starttls": W, **NO_TLS, **NO_DANE},
    "smtp-dual.com": {**NO_STS, "smtp.reachable": F, **NO_DANE},
    "smtp-enforce-nostarttls.com": {"smtp.starttls": F, **NO_TLS, **NO_DANE},
    "smtp-enforce-badcert.com": {"smtp.certificate": F, **NO_DANE},
    # the TLSA records are in mx-lab.net, which the lab signs: secure, judged from the lab root (tests/test_lab_dane.py)
    "tlsa-ee.com": {"mta-sts.record": W, "mta-sts.policy": S, "mta-sts.mode": S, "mta-sts.mx-match": S},
    "tlsa-ta.com": {"mta-sts.record": W, "mta-sts.policy": S, "mta-sts.mode": S, "mta-sts.mx-match": S},
    "tlsa-bad.com": {"mta-sts.record": W, "mta-sts.policy": S, "mta-sts.mode": S, "mta-sts.mx-match": S,
                     "dane.match": F},
    "tlsa-pkix.com": {"mta-sts.record": W, "mta-sts.policy": S, "mta-sts.mode": S, "mta-sts.mx-match": S,
                      "dane.tlsa": W, "dane.match": S},
}

#: What a finding must say.
MESSAGES = [
    ("sts-redirect.com", "mta-sts.policy", "301"),
    ("sts-redirect.com", "mta-sts.policy", "must not follow redirects"),
    ("sts-badcert.com", "mta-sts.policy", "not valid for that host"),
    ("sts-mediatype.com", "mta-sts.policy", "`text/html`, not `text/plain`"),
    ("sts-oversize.com", "mta-sts.policy", "larger than 64 KB"),
    ("sts-mxmismatch.com", "mta-sts.mx-match", "good.mx-lab.net. Senders in enforce mode refuse"),
    ("sts-wildcard.com", "mta-sts.mx-match", "(*.mx-lab.net): a.good.mx-lab.net"),
    ("sts-malformed.com", "mta-sts.record", "the id `bad-id!` is not 1 to 32 letters or digits"),
    ("sts-duplicate.com", "mta-sts.record", "has 2 MTA-STS records"),
    ("sts-testing.com", "mta-sts.mode", "the mode is testing"),
    ("sts-testing.com", "mta-sts.mode", "max_age is 86400 s"),
    ("tlsrpt-missing.com", "tlsrpt.record", "deploys MTA-STS but publishes no TLS-RPT record"),
    ("tlsrpt-bad.com", "tlsrpt.record", "`ftp://reports.tlsrpt-bad.com/` is neither a mailto: nor an https: URI"),
    ("smtp-nostarttls.com", "smtp.starttls", "EHLO does not offer STARTTLS; mail to it travels unencrypted"),
    ("smtp-enforce-nostarttls.com", "smtp.starttls", "because its MTA-STS policy is in enforce mode"),
    ("smtp-selfsigned.com", "smtp.certificate", "self-signed certificate"),
    ("smtp-expired.com", "smtp.certificate", "certificate has expired"),
    ("smtp-wrongname.com", "smtp.certificate", "Hostname mismatch"),
    ("smtp-enforce-badcert.com", "smtp.certificate", "under its MTA-STS policy (enforce) do not deliver"),
    ("smtp-tls10.com", "smtp.tls-version", "tls10.mx-lab.net [127.25.0.15] accepts TLSv1 and TLSv1.1"),
    ("smtp-tls10only.com", "smtp.tls-version", "tls10only.mx-lab.net [127.25.0.19] negotiates no TLS 1.2 or newer"),
    ("smtp-tls10only.com", "smtp.starttls", "the TLS handshake does not complete (TLSV1_ALERT_PROTOCOL_VERSION)"),
    ("smtp-greet.com", "smtp.greeting", "the greeting names 'localhost'"),
    ("smtp-closed.com", "smtp.reachable", "closed.mx-lab.net [127.25.0.17]: connection refused"),
    ("smtp-stall.com", "smtp.starttls", "no reply to EHLO within 2 s"),
    ("smtp-flood.com", "smtp.starttls", "flood.mx-lab.net [127.25.0.22]: a reply longer than 64 KB to EHLO"),
    ("smtp-silent.com", "smtp.reachable", "silent.mx-lab.net [127.25.0.20]: no greeting within 2 s"),
    ("smtp-reject.com", "smtp.reachable", "reject.mx-lab.net [127.25.0.21]: greets with `554 5.3.2 reject.mx-lab.net"),
    ("smtp-dual.com", "smtp.reachable", "dual.mx-lab.net [fd25::17]: connection refused"),
    ("tlsa-bad.com", "dane.match", "matches no usable TLSA record"),
    ("tlsa-ee.com", "dane.tlsa", "DNSSEC-secure and usable: _25._tcp.dane-ee.mx-lab.net"),
    ("tlsa-ta.com", "dane.match", "dane-ta.mx-lab.net [127.25.0.10] matches `2 0 1 "),
]


_AUDITS: list[Audit] = []


def lab_audit(lab, config) -> Audit:
    """An audit of the lab through its resolver, DNSSEC from the lab root's key; its probe threads end with the
    module."""
    config = dataclasses.replace(config, trust_anchor=lab.trust_anchor)
    _AUDITS.append(Audit(DnsLayer(WireSource([Server(*lab.resolver)], timeout=2)), config))
    return _AUDITS[-1]


@pytest.fixture(scope="module", autouse=True)
def _no_thread_survives():
    yield
    while _AUDITS:
        _AUDITS.pop().probes.close(wait=True)


@pytest.fixture(scope="module")
def transport(lab, smtp_lab) -> Audit:
    return lab_audit(lab, dataclasses.replace(load_config(DOMAINS_FILE), trust_anchor=lab.trust_anchor))


def expected(domain: str) -> dict[str, Outcome]:
    return {c: EXPECTED[domain].get(c, P) for c in CHECKS}


def test_every_transport_domain_is_asserted():
    assert {e.name for e in load_config(DOMAINS_FILE).domains} == set(EXPECTED)


@pytest.mark.parametrize("domain", sorted(EXPECTED))
def test_each_transport_domain_breaks_exactly_its_checks(transport, domain):
    found = {c: transport.result(domain, c) for c in CHECKS}
    assert {c: r.outcome for c, r in found.items()} == expected(domain), {
        c: r.message for c, r in found.items() if r.outcome is not expected(domain)[c]}


@pytest.mark.parametrize(("domain", "check_id", "fragment"), MESSAGES)
def test_findings_name_the_culprit(transport, domain, check_id, fragment):
    assert fragment in transport.result(domain, check_id).message


def test_each_mx_address_is_probed_once_per_run(transport):
    for domain in EXPECTED:
        for check_id in SMTP:
            transport.result(domain, check_id)
    sessions = {k for k in transport.probes._futures if k[0] == "smtp"}
    assert transport.probes.made == len(sessions) + len({k for k in transport.probes._futures if k[0] == "https"})
    assert ("smtp", "good.mx-lab.net", "127.25.0.10", 25) in sessions
    assert transport.probes.cached > 0  # shared by the domains whose MX is good.mx-lab.net


def test_the_transcript_and_tls_facts_are_evidence(transport):
    result = transport.result("sts-enforce.com", "smtp.certificate")
    (session,) = result.details["sessions"]
    assert session["transcript"][0] == "S: 220 good.mx-lab.net ESMTP Postfix (mailtests lab)"
    assert "C: STARTTLS" in session["transcript"] and session["transcript"][-1].startswith("S: 221")
    assert session["tls_version"] == "TLSv1.3" and session["old_versions"] == {"TLSv1": "refused",
                                                                                "TLSv1.1": "refused"}
    leaf = session["certificates"][0]
    assert "good.mx-lab.net" in leaf["sans"] and "mailtests lab CA" in leaf["issuer"]
    assert len(session["certificates"]) == 2  # Postfix sends the lab CA too (DANE-TA, RFC 7672 §3.1.2)
    json.dumps(result.details)  # results.json can hold it


def test_the_policy_fetch_is_evidence(transport):
    fetch = transport.result("sts-enforce.com", "mta-sts.policy").details["fetch"]
    assert fetch["status"] == 200 and fetch["body"].startswith("version: STSv1\nmode: enforce")
    assert ["Content-Type", "text/plain; charset=utf-8"] in fetch["headers"]
    redirect = transport.result("sts-redirect.com", "mta-sts.policy").details["fetch"]
    assert redirect["status"] == 301 and redirect["body"] == ""


@pytest.mark.parametrize(("state", "outcome", "fragment"), [
    ("secure", P, "DNSSEC-secure and usable"),
    ("insecure", F, "senders ignore TLSA records that are not DNSSEC-signed"),
    ("bogus", F, "DANE senders defer all mail"),
])
def test_dane_tlsa_follows_the_dnssec_verdict(lab, smtp_lab, monkeypatch, state, outcome, fragment):
    monkeypatch.setattr(dane_checks, "rrset_security", lambda ctx, name, rdtype: Security(state, f"lab: {state}"))
    audit = lab_audit(lab, load_config(DOMAINS_FILE))
    for domain in ("tlsa-ee.com", "tlsa-ta.com"):
        result = audit.result(domain, "dane.tlsa")
        assert (result.outcome, fragment in result.message) == (outcome, True), result.message
    pkix = audit.result("tlsa-pkix.com", "dane.tlsa")
    assert pkix.outcome is (W if state == "secure" else F), pkix.message
    assert "PKIX usages" in pkix.message


def test_smtp_off_skips_saying_how_to_turn_it_on(lab):
    config = dataclasses.replace(load_config(DOMAINS_FILE), smtp=False)
    audit = lab_audit(lab, config)
    for check_id in (*SMTP, "dane.match"):
        result = audit.result("tlsa-ee.com", check_id)
        assert result.outcome is S and "--smtp" in result.message, (check_id, result.message)


def test_port_25_blocked_is_said_once_and_the_smtp_checks_skip(lab, smtp_lab, tmp_path):
    """Only MX hosts where nothing listens: the run says once that port 25 looks blocked."""
    config = load_config(DOMAINS_FILE)
    domains = tmp_path / "domains.yaml"
    domains.write_text(f"smtp: true\nsmtp_timeout: 2\nehlo_name: probe.mailtests-lab.net\nca_file: {config.ca_file}\n"
                       "domains: [smtp-closed.com, sts-wildcard.com]\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "mailtests", f"--domains={domains}", "--resolver",
         lab.resolver[0], "-m", "smtp", "-p", "no:cacheprovider", "-p", "no:html", "-o", "addopts=",
         f"--reports={tmp_path}", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("port 25 looks blocked") == 1, proc.stdout
    records = json.loads((tmp_path / "results.json").read_text())["results"]
    assert {r["outcome"] for r in records} == {"skip"}
    closed = [r for r in records if r["domain"] == "smtp-closed.com"]
    assert all(r["details"].get("port25_blocked") for r in closed)


def test_suite_run_with_smtp_option(lab, smtp_lab, tmp_path):
    """--smtp, --smtp-timeout and --ca-file on the command line; `-m mta-sts` and `-m mta_sts` select the area."""
    config = load_config(DOMAINS_FILE)
    domains = tmp_path / "domains.yaml"
    domains.write_text("domains: [sts-enforce.com, smtp-tls10.com]\n")
    base = [sys.executable, "-m", "pytest", "--pyargs", "mailtests", f"--domains={domains}", "--resolver",
            lab.resolver[0], "-p", "no:cacheprovider", "-p", "no:html", "-o", "addopts=", f"--reports={tmp_path}",
            "-q", "-rA"]
    proc = subprocess.run([*base, "--smtp", "--smtp-timeout", "3", f"--ca-file={config.ca_file}", "-m", "smtp"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failed = {line.split()[1].rsplit("::", 1)[-1] for line in proc.stdout.splitlines() if line.startswith("FAILED ")}
    assert failed == {"test_smtp_tls_version[smtp-tls10.com]"}, proc.stdout
    for marker in ("mta-sts", "mta_sts"):
        proc = subprocess.run([*base, f"--ca-file={config.ca_file}", "-m", marker], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert "8 passed" in proc.stdout or "passed" in proc.stdout, proc.stdout + proc.stderr
        records = json.loads((tmp_path / "results.json").read_text())["results"]
        assert {r["check"] for r in records} == set(STS)


def test_results_json_tables_the_sessions_and_fetches_and_audit_html_escapes_them(lab, smtp_lab, tmp_path):
    """Schema 3: transcripts and fetches once each, cited by index; audit.html prints them escaped."""
    jsonschema = pytest.importorskip("jsonschema")
    from mailtests.results import SCHEMA_VERSION

    config = load_config(DOMAINS_FILE)
    domains = tmp_path / "domains.yaml"
    domains.write_text("domains: [sts-enforce.com, sts-mediatype.com, smtp-greet.com]\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "mailtests", f"--domains={domains}", "--resolver",
         lab.resolver[0], "--smtp", f"--ca-file={config.ca_file}", "-m", "smtp or mta_sts or tlsrpt or dane",
         "-p", "no:cacheprovider", "-p", "no:html", "-o", "addopts=", f"--reports={tmp_path}", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # sts-mediatype.com fails mta-sts.policy
    document = json.loads((tmp_path / "results.json").read_text())
    schema = json.loads((Path(mailtests.__file__).parent / "data" / "results.schema.json").read_text())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(document)) == []
    assert document["schema_version"] == SCHEMA_VERSION == 3 and document["run"]["smtp"] is True
    hosts = [(t["host"], t["address"]) for t in document["transcripts"]]
    assert sorted(hosts) == [("good.mx-lab.net", "127.25.0.10"), ("greet.mx-lab.net", "127.25.0.16")]
    assert sorted(f["url"] for f in document["fetches"]) == [
        "https://mta-sts.sts-enforce.com/.well-known/mta-sts.txt",
        "https://mta-sts.sts-mediatype.com/.well-known/mta-sts.txt"]
    cites = [r for r in document["results"] if r["check"].startswith("smtp.") and r["domain"] == "sts-enforce.com"]
    assert len(cites) == 5 and all(r["transcripts"] == cites[0]["transcripts"] for r in cites)
    assert all("sessions" not in r["details"] and "fetch" not in r["details"] for r in document["results"])
    html = (tmp_path / "audit.html").read_text()
    assert "S: 220 good.mx-lab.net ESMTP Postfix (mailtests lab)" in html and "C: STARTTLS" in html
    assert "&lt;html&gt;version: STSv1" in html and "<html>version" not in html
    assert "HTTP 200 OK" in html and "SPKI SHA-256" in html


def test_healthy_com_passes_every_transport_check(lab, smtp_lab):
    """The lab's reference domain: MTA-STS enforce, TLS-RPT, Postfix on both MX hosts over IPv4 and IPv6."""
    transport_config = load_config(DOMAINS_FILE)
    config = dataclasses.replace(load_config(lab.domains_file), smtp=True, smtp_timeout=2.0,
                                 ca_file=transport_config.ca_file, ehlo_name=transport_config.ehlo_name)
    audit = lab_audit(lab, config)
    found = {c: audit.result("healthy.com", c) for c in CHECKS}
    assert {c: r.outcome for c, r in found.items()} == {c: NO_DANE.get(c, P) for c in CHECKS}, {
        c: r.message for c, r in found.items()}
    sessions = found["smtp.reachable"].details["sessions"]
    assert sorted(s["address"] for s in sessions) == ["192.0.2.10", "192.0.2.11", "2001:db8::10", "2001:db8::11"]
    assert "not the MX host's name" in found["smtp.greeting"].message  # Postfix calls itself good.mx-lab.net


def test_without_a_ca_file_the_system_store_is_used_and_ssl_cert_file_is_honoured(smtp_lab, monkeypatch):
    from mailtests.probes.smtp import probe_smtp

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    system = probe_smtp("good.mx-lab.net", "127.25.0.10", timeout=2, ehlo_name="probe.mailtests-lab.net")
    # the lab CA (Postfix sends it too) is in no system store
    assert system.tls and system.verify_error == "self-signed certificate in certificate chain"
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_lab.ca_file))
    env = probe_smtp("good.mx-lab.net", "127.25.0.10", timeout=2, ehlo_name="probe.mailtests-lab.net")
    assert env.tls and env.verify_error is None


def test_two_warm_up_processes_probe_each_mx_address_once_as_one_does(lab, smtp_lab, tmp_path):
    """With two warm-up processes a session belongs to the process owning its MX host's name: the other asks it."""
    config = load_config(DOMAINS_FILE)
    out = {}
    for processes in (1, 2):
        reports = tmp_path / str(processes)
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "--pyargs", "mailtests", f"--domains={DOMAINS_FILE}", "--resolver",
             lab.resolver[0], "--smtp", "--smtp-timeout", "2", f"--ca-file={config.ca_file}", "-m", "smtp",
             f"--warmup-processes={processes}", "-p", "no:cacheprovider", "-p", "no:html", "-o", "addopts=",
             f"--reports={reports}", "-q"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        out[processes] = json.loads((reports / "results.json").read_text())
    assert out[2]["run"]["warmup"] == "processes" and out[1]["run"]["warmup"] == "process"

    def verdicts(document):
        return {(r["domain"], r["check"]): (r["outcome"], r["message"]) for r in document["results"]}

    assert verdicts(out[2]) == verdicts(out[1])
    sessions = [(t["host"], t["address"]) for t in out[2]["transcripts"]]
    assert len(sessions) == len(set(sessions)) == len(out[1]["transcripts"])
