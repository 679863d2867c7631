"""The DMARC, DKIM and BIMI checks against the DNS lab (tests/lab/README.md, "DMARC, DKIM and BIMI").

Every dmarc.*, dkim.* and bimi.* check of each of this area's lab domains is asserted,
so a check that fires on the wrong domain fails here too; every other lab domain
publishes no DMARC record and must say so. The zone files must give the same outcomes,
and the suite is run end to end through the plugin with --dkim-selector.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import mailtests
from mailtests.catalog import CHECKS
from mailtests.result import Outcome
from tests.lab.lab import domain_names

P, F, W, S = Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.SKIP
DMARC = tuple(c for c in CHECKS if c.startswith("dmarc."))
DKIM = tuple(c for c in CHECKS if c.startswith("dkim."))
BIMI = tuple(c for c in CHECKS if c.startswith("bimi."))
AUTH = DMARC + DKIM + BIMI
NO_DKIM = {c: S for c in DKIM}  # no selectors listed
NO_BIMI = {c: S for c in BIMI}  # no BIMI record
NO_POLICY = {c: S for c in DMARC[2:]}  # nothing to judge beyond dmarc.present and dmarc.single

#: domain -> the outcome of every check of the three areas that does not pass.
EXPECTED: dict[str, dict[str, Outcome]] = {
    "healthy.com": {},
    "nons.healthy.com": {**NO_DKIM, **NO_BIMI},  # healthy.com's policy by the tree walk (sp, here p)
    "null-mx.com": {"dmarc.policy": W, **NO_DKIM, **NO_BIMI},
    "dmarc-dup.com": {"dmarc.present": W, "dmarc.single": F, **NO_POLICY, **NO_DKIM, **NO_BIMI},
    "dmarc-badp.com": {"dmarc.syntax": F, "dmarc.policy": W, **NO_DKIM, **NO_BIMI},
    "dmarc-badp-norua.com": {"dmarc.present": W, "dmarc.syntax": F, "dmarc.policy": W, "dmarc.reporting": W,
                             **NO_DKIM, **NO_BIMI},
    "dmarc-none.com": {"dmarc.policy": W, **NO_DKIM, **NO_BIMI},
    "dmarc-testing.com": {"dmarc.policy": W, **NO_DKIM, **NO_BIMI},
    "dmarc-weak-sp.com": {"dmarc.policy": W, **NO_DKIM, **NO_BIMI},
    "dmarc-norua.com": {"dmarc.reporting": W, **NO_DKIM, **NO_BIMI},
    "dmarc-extrua.com": {"dmarc.external-reports": F, **NO_DKIM, **NO_BIMI},
    "dmarc-extrua-ok.com": {**NO_DKIM, **NO_BIMI},
    "dmarc-removed.com": {"dmarc.syntax": W, **NO_DKIM, **NO_BIMI},
    "sub.dmarc-tree.com": {**NO_DKIM, **NO_BIMI},
    "dmarc-huge.com": {**NO_DKIM, **NO_BIMI},
    "dkim-512.com": {"dkim.key-strength": F, **NO_BIMI},
    "dkim-1024.com": {"dkim.key-strength": W, **NO_BIMI},
    "dkim-ed25519.com": {**NO_BIMI},
    "dkim-revoked.com": {"dkim.key-present": F, **{c: S for c in DKIM[1:]}, **NO_BIMI},
    "dkim-missing.com": {"dkim.key-present": F, **{c: S for c in DKIM[1:]}, **NO_BIMI},
    "dkim-sha1.com": {"dkim.hash": F, **NO_BIMI},
    "dkim-testing.com": {"dkim.testing": W, **NO_BIMI},
    "dkim-badbase64.com": {"dkim.syntax": F, "dkim.key-strength": S, **NO_BIMI},
    "dkim-split.com": {**NO_BIMI},
    "dkim-cname.com": {**NO_BIMI},
    "bimi-nodmarc.com": {"dmarc.policy": W, **NO_DKIM, "bimi.dmarc-enforced": F},
    "bimi-http.com": {**NO_DKIM, "bimi.syntax": F},
}

#: What a finding must say: where the policy was found, which record, which key, what to publish.
MESSAGES = [
    ("healthy.com", "dmarc.present", "the record at _dmarc.healthy.com; p=reject applies to healthy.com"),
    ("nons.healthy.com", "dmarc.present", "_dmarc.nons.healthy.com. (no DMARC record) -> _dmarc.healthy.com. "
                                          "(one record)"),
    ("sub.dmarc-tree.com", "dmarc.present", "sp=reject applies to sub.dmarc-tree.com"),
    ("dmarc-dup.com", "dmarc.present", "the 2 DMARC records at _dmarc.dmarc-dup.com were discarded"),
    ("dmarc-dup.com", "dmarc.single", "receivers discard them all, so no DMARC policy applies"),
    ("dmarc-badp.com", "dmarc.syntax", "p='block' is not none, quarantine or reject"),
    ("dmarc-badp.com", "dmarc.syntax", "receivers act as if p=none were published (§4.10.1)"),
    ("dmarc-badp.com", "dmarc.policy", "p=none only monitors"),
    ("dmarc-badp-norua.com", "dmarc.syntax", "receivers apply no DMARC at all (§4.10.1)"),
    ("dmarc-badp-norua.com", "dmarc.policy", "receivers apply no DMARC to dmarc-badp-norua.com"),
    ("dmarc-badp-norua.com", "dmarc.present", "has no valid policy and no valid rua, so receivers apply no DMARC"),
    ("dmarc-testing.com", "dmarc.policy", "t=y (test mode)"),
    ("dmarc-weak-sp.com", "dmarc.policy", "sp=none is weaker than p=reject"),
    ("dmarc-weak-sp.com", "dmarc.policy", "np=quarantine is weaker than p=reject"),
    ("dmarc-norua.com", "dmarc.reporting", "it has no rua= tag"),
    ("dmarc-extrua.com", "dmarc.external-reports", "no 'v=DMARC1' TXT record at "
                                                   "dmarc-extrua.com._report._dmarc.mailhost.net"),
    ("dmarc-extrua-ok.com", "dmarc.external-reports", "dmarc-extrua-ok.com._report._dmarc.mailprovider.net"),
    ("dmarc-removed.com", "dmarc.syntax", "pct='50': removed by RFC 9989"),
    ("dmarc-removed.com", "dmarc.syntax", "obsolete '!size' suffix"),
    ("dmarc-removed.com", "dmarc.syntax", "unknown tag(s) ignored"),
    ("null-mx.com", "dmarc.policy", "publish p=reject (M3AAWG parked domains), not p=none"),
    ("healthy.com", "dkim.key-strength", "s2026 (RSA 2048 bits)"),
    ("dkim-512.com", "dkim.key-strength", "RSA 512 bits: under 1024 bits"),
    ("dkim-1024.com", "dkim.key-strength", "RSA 1024 bits: signers SHOULD use at least 2048 bits"),
    ("dkim-ed25519.com", "dkim.key-strength", "ed (ed25519 (32 octets)), rsa (RSA 2048 bits)"),
    ("dkim-revoked.com", "dkim.key-present", "is revoked (empty p=)"),
    ("dkim-missing.com", "dkim.key-present", "s1._domainkey.dkim-missing.com: the name does not exist (NXDOMAIN)"),
    ("dkim-sha1.com", "dkim.hash", "h=sha1 does not allow sha256"),
    ("dkim-testing.com", "dkim.testing", "t=y: testing mode"),
    ("dkim-badbase64.com", "dkim.syntax", "is not valid base64"),
    ("dkim-split.com", "dkim.syntax", "s1 (RSA 2048 bits)"),
    ("dkim-cname.com", "dkim.key-present", "(CNAME to dkim-cname-com.s1._domainkey.mailprovider.net)"),
    ("bimi-nodmarc.com", "bimi.dmarc-enforced", "bimi-nodmarc.com's policy is p=none"),
    ("bimi-http.com", "bimi.syntax", "l='http://bimi-http.com/logo.svg' is not an https URI"),
    ("mailhost.net", "dkim.key-present", "dkim_selectors: [s2026]"),
]


def outcomes(audit, domain: str) -> dict[str, Outcome]:
    return {check_id: audit.result(domain, check_id).outcome for check_id in AUTH}


def expected(domain: str) -> dict[str, Outcome]:
    if domain not in EXPECTED:  # the other lab domains publish no DMARC, DKIM selectors or BIMI record
        return {"dmarc.present": W, **{c: S for c in AUTH if c != "dmarc.present"}}
    return {check_id: EXPECTED[domain].get(check_id, P) for check_id in AUTH}


def test_every_domain_here_is_a_lab_domain(lab_config):
    assert set(EXPECTED) <= {e.name for e in lab_config.domains}


@pytest.mark.parametrize("domain", domain_names())
def test_each_lab_domain_breaks_exactly_its_auth_checks(live, domain):
    assert outcomes(live, domain) == expected(domain)


@pytest.mark.parametrize(("domain", "check_id", "fragment"), MESSAGES)
def test_findings_name_the_culprit(live, domain, check_id, fragment):
    assert fragment in live.result(domain, check_id).message


@pytest.mark.parametrize("domain", [d for d in domain_names() if d in EXPECTED])
def test_zone_files_give_the_same_outcomes(files, domain):
    assert outcomes(files, domain) == expected(domain)


def test_the_tree_walk_is_the_evidence(live):
    result = live.result("sub.dmarc-tree.com", "dmarc.present")
    walk = result.details["tree_walk"]
    assert [s["name"] for s in walk] == ["_dmarc.sub.dmarc-tree.com.", "_dmarc.dmarc-tree.com.", "_dmarc.com."]
    assert result.details["found_at"] == "_dmarc.dmarc-tree.com." and result.details["applies"] == "sp"
    assert result.details["organizational_domain"] == "dmarc-tree.com"
    assert result.details["parsed"]["tags"]["sp"] == "reject"
    assert [(a.qname.to_text(), a.rdtype) for a in result.evidence if a.rdtype == "TXT"] == [
        ("_dmarc.sub.dmarc-tree.com.", "TXT"), ("_dmarc.dmarc-tree.com.", "TXT"), ("_dmarc.com.", "TXT")]


def test_the_key_type_and_size_are_in_the_details(live):
    keys = {s["selector"]: s for s in live.result("dkim-ed25519.com", "dkim.syntax").details["selectors"]}
    assert keys["ed"]["key_type"] == "ed25519" and keys["ed"]["bits"] == 256
    assert keys["rsa"]["key"] == "RSA 2048 bits" and keys["rsa"]["tags"]["k"] == "rsa"
    cname = live.result("dkim-cname.com", "dkim.key-present").details["selectors"][0]["cname_chain"]
    assert cname == ["s1._domainkey.dkim-cname.com", "dkim-cname-com.s1._domainkey.mailprovider.net"]


def test_the_4kb_record_and_the_split_key_are_read_whole(live):
    huge = live.result("dmarc-huge.com", "dmarc.syntax")
    assert len(huge.details["record"]) > 4000 and "x086" in huge.details["parsed"]["tags"]
    split = live.result("dkim-split.com", "dkim.key-strength")
    assert split.details["selectors"][0]["bits"] == 2048


def test_suite_run_with_dkim_selector_option(lab, tmp_path):
    """End to end: -m dmarc/dkim/bimi select the areas, --dkim-selector lists selectors, results.json has it all."""
    domains = tmp_path / "domains.yaml"
    domains.write_text("domains:\n  - healthy.com\n  - dkim-512.com\n  - name: dkim-missing.com\n"
                       "    dkim_selectors: [s1]\n", encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "--pyargs", "mailtests", "-p", "no:cacheprovider", "-o", "addopts=",
               "-q", f"--domains={domains}", "--resolver", lab.resolver[0], f"--reports={tmp_path / 'reports'}",
               "--dkim-selector", "s2026", "--dkim-selector", "s1", "-m", "dmarc or dkim or bimi"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    document = json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, json.loads((Path(mailtests.__file__).parent / "data" / "results.schema.json")
                                             .read_text(encoding="utf-8")))
    got = {(r["domain"], r["check"]): r for r in document["results"]}
    assert {r["check"].split(".")[0] for r in document["results"]} == {"dmarc", "dkim", "bimi"}
    assert got[("healthy.com", "dkim.key-strength")]["outcome"] == "pass"  # s2026 from the option
    assert got[("dkim-512.com", "dkim.key-strength")]["outcome"] == "fail"  # s1 from the option
    missing = got[("dkim-missing.com", "dkim.key-present")]  # its own selector, not the option's
    assert [s["selector"] for s in missing["details"]["selectors"]] == ["s1"]
    audit = html.unescape((tmp_path / "reports" / "audit.html").read_text(encoding="utf-8"))
    for area in ("dmarc", "dkim", "bimi"):
        assert f"<th>{area}</th>" in audit
    assert "DKIM selector s1 at s1._domainkey.dkim-512.com: RSA 512 bits" in audit
    assert "DMARC tree walk (RFC 9989 §4.10): _dmarc.healthy.com. (one record) -> _dmarc.com." in audit
