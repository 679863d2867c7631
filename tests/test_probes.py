"""The probe layer (mailtests/probes): once per run, bounded, offline as an error that names the probe; and the
transport checks from zone files with --offline (no network at all)."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from mailtests.audit import Audit
from mailtests.config import load_config
from mailtests.dnslayer import DnsLayer
from mailtests.dnslayer.zonefiles import ZoneSource
from mailtests.probes import ProbeFailure, ProbeLayer
from mailtests.probes import layer as layer_module
from mailtests.result import Outcome
from tests.lab.lab import ZONE_DIR
from tests.lab.smtp_lab import DOMAINS_FILE


def test_offline_makes_a_probe_an_error_that_names_it():
    probes = ProbeLayer(offline=True, smtp=True)
    with pytest.raises(ProbeFailure, match=r"mx\.example\.com \[192\.0\.2\.25\]:25 not made: .*--offline"):
        probes.smtp("mx.example.com.", "192.0.2.25")
    with pytest.raises(ProbeFailure, match=r"https://mta-sts\.example\.com/.well-known/mta-sts\.txt not fetched"):
        probes.fetch("https://mta-sts.example.com/.well-known/mta-sts.txt", ["192.0.2.80"])


def test_the_smtp_probe_is_off_unless_asked():
    with pytest.raises(ProbeFailure, match="--smtp"):
        ProbeLayer().smtp("mx.example.com", "192.0.2.25")


def test_each_probe_is_made_once_and_at_most_concurrency_at_a_time(monkeypatch):
    running, peak, calls = [0], [0], []
    lock = threading.Lock()

    def fake(host, address, port, **_):
        with lock:
            calls.append((host, address))
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return (host, address)

    monkeypatch.setattr(layer_module, "probe_smtp", fake)
    probes = ProbeLayer(smtp=True, concurrency=3, ehlo_name="probe.example.org")
    futures = [probes.start_smtp(f"mx{i % 6}.example.com", f"192.0.2.{i % 6}") for i in range(30)]
    results = {f.result() for f in futures}
    probes.close(wait=True)
    assert sorted(results) == sorted(set(calls))
    assert len(calls) == 6 and probes.made == 6 and probes.cached == 24
    assert peak[0] <= 3


@pytest.fixture(scope="module")
def offline() -> Audit:
    config = load_config(DOMAINS_FILE)
    return Audit(DnsLayer(None, ZoneSource([ZONE_DIR]), offline=True), config)


def test_records_are_checked_from_zone_files_offline(offline):
    assert offline.result("sts-enforce.com", "mta-sts.record").outcome is Outcome.PASS
    assert offline.result("sts-duplicate.com", "mta-sts.record").outcome is Outcome.FAIL
    assert offline.result("tlsrpt-bad.com", "tlsrpt.record").outcome is Outcome.FAIL
    assert offline.result("tlsrpt-missing.com", "tlsrpt.record").outcome is Outcome.WARN


def test_offline_probes_skip_naming_what_was_not_fetched(offline):
    """Like the name server checks in zone mode, a check that needs a live server cannot be judged from zone
    files: it skips and says which probe was not made (catalog: a check that cannot apply is skipped)."""
    policy = offline.result("sts-enforce.com", "mta-sts.policy")
    assert policy.outcome is Outcome.SKIP
    assert "https://mta-sts.sts-enforce.com/.well-known/mta-sts.txt not fetched" in policy.message
    reachable = offline.result("sts-enforce.com", "smtp.reachable")
    assert reachable.outcome is Outcome.SKIP and "good.mx-lab.net [127.25.0.10]:25 not made" in reachable.message


def test_without_smtp_the_smtp_checks_skip_offline_too():
    config = dataclasses.replace(load_config(DOMAINS_FILE), smtp=False)
    audit = Audit(DnsLayer(None, ZoneSource([ZONE_DIR]), offline=True), config)
    result = audit.result("sts-enforce.com", "smtp.starttls")
    assert result.outcome is Outcome.SKIP and "--smtp" in result.message


def test_reports_render_transcripts_and_fetches_as_escaped_text():
    from mailtests.render import record_html, record_text

    session = {"host": "mx.example.com", "address": "192.0.2.25", "port": 25, "tls_version": "TLSv1.3",
               "cipher": "TLS_AES_128_GCM_SHA256", "verify_error": None, "old_versions": {"TLSv1": "refused"},
               "transcript": ["S: 220 <script>alert(1)</script> ESMTP", "C: EHLO probe.example.org"],
               "certificates": [{"subject": "CN=<b>mx</b>", "sans": ["mx.example.com"], "issuer": "CN=CA",
                                 "not_before": "2026-01-01T00:00:00Z", "not_after": "2027-01-01T00:00:00Z",
                                 "spki_sha256": "abc=", "sha256": "00"}]}
    fetch = {"url": "https://mta-sts.example.com/.well-known/mta-sts.txt", "address": "192.0.2.80", "status": 200,
             "reason": "OK", "headers": [["Content-Type", "text/html"]], "error": None, "verify_error": None,
             "tls_version": "TLSv1.3", "truncated": False, "body": "<img src=x onerror=alert(1)>", "certificates": []}
    record = {"domain": "example.com", "check": "smtp.starttls", "outcome": "pass", "severity": "WARN",
              "message": "ok", "reference": "RFC 3207 §4", "requirement": "", "evidence": [],
              "details": {"sessions": [session], "fetch": fetch}}
    text = record_text(record)
    assert "S: 220 <script>alert(1)</script> ESMTP" in text and ";; TLS TLSv1.3, cipher TLS_AES_128_GCM_SHA256" in text
    assert "HTTP 200 OK\nContent-Type: text/html" in text and "SPKI SHA-256 abc=" in text
    html = record_html(record)
    assert "<script>" not in html and "<img" not in html and "<b>mx" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '"transcript"' not in html  # rendered as a transcript, not dumped as JSON
