"""The check catalog: every compliance check's id, severity, requirement and reference.

This mirrors ``shared/spec/checks.md``, the project's contract; the ids name the
tests, the report rows and the result records, and are never renamed or reused.
A project test compares this table with the spec file.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(str, enum.Enum):
    """What a finding does to the run (catalog, "Severity")."""

    FAIL = "FAIL"  # an RFC MUST is broken or delivery breaks: the test fails
    WARN = "WARN"  # a SHOULD or best practice: passes with a ComplianceWarning
    INFO = "INFO"  # worth knowing, never gating


@dataclass(frozen=True)
class CheckSpec:
    id: str
    severity: Severity
    requirement: str
    reference: str
    per_run: bool = False  # resolver health runs once per run, not per domain

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def test_name(self) -> str:
        """The pytest function that enforces it: ``mx.not-alias`` -> ``test_mx_not_alias``."""
        return "test_" + self.id.replace(".", "_").replace("-", "_")


F, W = Severity.FAIL, Severity.WARN

_ROWS: list[tuple[str, Severity, str, str]] = [
    # Resolver health (once per run, not per domain)
    ("resolver.reachable", F,
     "every configured resolver answers a query",
     "RFC 1034 §5.3.1; RFC 1123 §6.1.3.1"),
    ("resolver.latency", F,
     "a lookup through each resolver answers within 1 s (threshold configurable)",
     "RFC 1034 §5.3.1 (operational: a mail server makes 30-50 lookups per message)"),
    ("resolver.caching", W,
     "the resolver caches (a repeated answer comes from cache: faster, TTL counting down)",
     "RFC 1034 §5.3.1, RFC 1035 §7.4"),
    # Name servers
    ("ns.present", F,
     "the domain publishes an NS RRset",
     "RFC 1034 §4.2.1"),
    ("ns.count", W,
     "at least two name servers",
     "RFC 1034 §4.1, RFC 2182 §5"),
    ("ns.resolve", F,
     "every NS host name has an A or AAAA record, and is not an alias (CNAME)",
     "RFC 1034 §4.2.2, RFC 2181 §10.3"),
    ("ns.authoritative", F,
     "every NS address answers the zone's SOA authoritatively (AA set); else a lame delegation",
     "RFC 1034 §4.2.2, RFC 8499"),
    ("ns.serial-consistent", W,
     "all name servers serve the same SOA serial",
     "RFC 1034 §4.3.5"),
    ("ns.parent-match", W,
     "the NS set delegated by the parent zone equals the one the zone publishes",
     "RFC 1034 §4.2.2"),
    # Mail exchangers
    ("mx.present", F,
     "the domain publishes MX records, or a null MX; neither but an address record is a WARN (implicit MX)",
     "RFC 5321 §5.1"),
    ("mx.null-mx", F,
     "a null MX (`0 .`) is the only MX record",
     "RFC 7505 §3"),
    ("mx.hostname", F,
     "every exchange is a host name, not an IP address written as a name",
     "RFC 5321 §5.1, RFC 7505"),
    ("mx.not-alias", F,
     "no exchange is a CNAME",
     "RFC 2181 §10.3, RFC 5321 §5.1"),
    ("mx.resolve", F,
     "every exchange has an A or AAAA record",
     "RFC 5321 §5.1"),
    ("mx.ipv4", W,
     "at least one exchange is reachable over IPv4",
     "RFC 3974"),
    # Sending IPs and reverse DNS
    ("ptr.present", F,
     "every sending IP (IPv4 and IPv6) has a PTR record; it need not match",
     "RFC 1912 §2.1"),
    ("ptr.forward-confirmed", W,
     "some PTR name of the IP resolves back to that IP (FCrDNS)",
     "M3AAWG; large receivers' sender rules"),
    # HELO / EHLO name
    ("helo.syntax", F,
     "the name is a valid domain, or an address literal",
     "RFC 5321 §4.1.1.1, §4.1.3"),
    ("helo.fqdn-in-tld", F,
     "a domain name is fully qualified and ends in a delegated top-level domain",
     "RFC 5321 §2.3.5, RFC 6761, RFC 6762"),
    ("helo.resolves", W,
     "the name has an A or AAAA record",
     "RFC 5321 §2.3.5"),
    ("helo.matches-ptr", W,
     "the name is the PTR name of one of the domain's sending IPs, or resolves to one",
     "common receiver practice"),
    # SPF (RFC 7208)
    ("spf.present", F,
     "the domain publishes a `v=spf1` TXT record",
     "RFC 7208 §3"),
    ("spf.single", F,
     "exactly one `v=spf1` record",
     "RFC 7208 §4.5"),
    ("spf.syntax", F,
     "the record and every included one parse",
     "RFC 7208 §12"),
    ("spf.lookup-limit", F,
     "at most 10 DNS-querying terms over the whole include tree",
     "RFC 7208 §4.6.4"),
    ("spf.void-lookups", F,
     "at most 2 lookups that return no answer",
     "RFC 7208 §4.6.4"),
    ("spf.includes-valid", F,
     "every include/redirect target publishes a valid SPF record",
     "RFC 7208 §5.2, §6.1"),
    ("spf.all-policy", W,
     "the record ends in `-all` or `~all`; `+all` is a FAIL",
     "RFC 7208 §5.1"),
    ("spf.no-ptr", W,
     "no `ptr` mechanism",
     "RFC 7208 §5.5"),
    ("spf.size", W,
     "the record fits a 512-octet UDP answer (about 450 octets of record)",
     "RFC 7208 §3.4"),
    ("spf.authorizes-senders", F,
     "every sending IP, with the domain's HELO name, evaluates to `pass`",
     "RFC 7208 §2.6.3, §4"),
    # DNS blocklists (RFC 5782)
    ("dnsbl.list-healthy", F,
     "each list answers its test entries: 127.0.0.2 listed, 127.0.0.1 not listed",
     "RFC 5782 §5"),
    ("dnsbl.not-listed", F,
     "no sending IP is listed on a blocklist",
     "RFC 5782 §2"),
    ("dnsbl.domain-not-listed", F,
     "the domain is not on a domain blocklist (only where one is configured)",
     "RFC 5782 §2.3"),
    # DMARC (RFC 9989, RFC 9990, RFC 9991)
    ("dmarc.present", W,
     "a DMARC policy applies to the domain: a `v=DMARC1` record at `_dmarc.<domain>`, or one found by the "
     "tree walk above it; the result says where it was found and which of p/sp/np applies",
     "RFC 9989 §4.10, §5.1.4"),
    ("dmarc.single", F,
     "where the record is found, exactly one `v=DMARC1` TXT record (with two or more, all are discarded "
     "and discovery moves up)",
     "RFC 9989 §4.10"),
    ("dmarc.syntax", F,
     "the record starts `v=DMARC1`; `p`/`sp`/`np` are none, quarantine or reject (an invalid one means "
     "p=none when a valid rua exists, else no DMARC at all); `adkim`/`aspf` r or s; `t` y or n; `psd` y, n"
     " or u; `fo` values; `rua`/`ruf` are valid URIs with `,` and `!` encoded. The removed tags (`pct`, "
     "`rf`, `ri`) and the obsolete `!size` suffix are a WARN finding; unknown tags are ignored",
     "RFC 9989 §4.7, §4.8, §4.10.1, App. A.6, C.5.2"),
    ("dmarc.policy", W,
     "the policy that applies is quarantine or reject (none only monitors), not in test mode (`t=y`), with"
     " `sp` and `np` no weaker than `p`; a domain that sends and receives no mail (null MX and `v=spf1 "
     "-all`) publishes p=reject",
     "RFC 9989 §4.7, §5.1.4-§5.1.7; M3AAWG parked domains best practice"),
    ("dmarc.reporting", W,
     "the record has at least one valid `rua` URI (without it no aggregate reports are sent)",
     "RFC 9989 §4.7, §5.1.3"),
    ("dmarc.external-reports", F,
     "each `rua`/`ruf` URI whose host is in another organizational domain is authorized there: "
     "`<domain>._report._dmarc.<host domain>` has a TXT record starting `v=DMARC1` (a wildcard counts); "
     "otherwise receivers must not send the reports",
     "RFC 9990 §4, RFC 9991 §5"),
    # DKIM keys (RFC 6376, RFC 8301, RFC 8463)
    ("dkim.key-present", F,
     "each listed selector has exactly one key record at `<selector>._domainkey.<domain>` (a CNAME to a "
     "provider's record counts), and it is not revoked (empty `p=`)",
     "RFC 6376 §3.6.2.2, §3.6.1, §6.1.2"),
    ("dkim.syntax", F,
     "the tag list parses: `v=DKIM1` first when present, `p=` present and valid base64 holding a key of "
     "the type `k=` names (rsa or ed25519), `h=` and `s=` known values",
     "RFC 6376 §3.6.1, RFC 8463 §4.2"),
    ("dkim.key-strength", F,
     "RSA keys have at least 1024 bits (below: FAIL, verifiers must reject them); under 2048 bits a WARN; "
     "ed25519 keys are 32 bytes",
     "RFC 8301 §3.2, RFC 8463 §3"),
    ("dkim.hash", F,
     "`h=`, when present, allows sha256 (a key restricted to sha1 cannot verify)",
     "RFC 8301 §3.1"),
    ("dkim.testing", W,
     "the key is not in testing mode (`t=y`: verifiers treat signed mail as unsigned)",
     "RFC 6376 §3.6.1"),
    # BIMI (draft-brand-indicators-for-message-identification)
    ("bimi.syntax", F,
     "where `default._bimi.<domain>` publishes a record (otherwise skipped): exactly one, `v=BIMI1` first,"
     " `l=` an https URI of an SVG logo (or empty: declined), `a=` empty or an https URI",
     "BIMI draft §4.3"),
    ("bimi.dmarc-enforced", F,
     "a domain with a BIMI record has a DMARC policy of quarantine or reject for it and its organizational"
     " domain, `sp` not none, not in test mode: receivers show no logo otherwise",
     "BIMI draft §7.1"),
    # MTA-STS (RFC 8461) and SMTP TLS reporting (RFC 8460)
    ("mta-sts.record", W,
     "`_mta-sts.<domain>` has exactly one TXT record `v=STSv1; id=<1-32 letters or digits>;`. Without one "
     "senders cannot require TLS (WARN); a malformed or duplicate record is a FAIL",
     "RFC 8461 §3.1"),
    ("mta-sts.policy", F,
     "with a record: `https://mta-sts.<domain>/.well-known/mta-sts.txt` answers 200 with no redirect (3xx "
     "must not be followed), over a certificate valid for that host, as `text/plain`, in at most 64 KB; "
     "the policy has `version: STSv1`, `mode` enforce, testing or none, `max_age` 0-31557600, and at least"
     " one `mx` unless the mode is none",
     "RFC 8461 §3.2, §3.3"),
    ("mta-sts.mode", W,
     "the mode is enforce (testing and none protect nothing) and max_age is at least a week (604800)",
     "RFC 8461 §3.2, §5"),
    ("mta-sts.mx-match", F,
     "every MX host matches an `mx` pattern of the policy; `*.` stands for exactly one leftmost label",
     "RFC 8461 §4.1"),
    ("tlsrpt.record", W,
     "`_smtp._tls.<domain>` has exactly one `v=TLSRPTv1;` record whose `rua` is one or more valid mailto: "
     "or https: URIs (a malformed or duplicate record is a FAIL; absent is a WARN where MTA-STS or DANE is"
     " deployed, otherwise skipped)",
     "RFC 8460 §3"),
    # SMTP (connecting to the MX hosts; on with `--smtp` or `smtp: true`)
    ("smtp.reachable", F,
     "every address (IPv4 and IPv6) of every MX host accepts a connection on port 25 and greets with 220 "
     "within the timeout",
     "RFC 5321 §3.1, §4.2"),
    ("smtp.greeting", W,
     "the 220 greeting and the EHLO reply name a fully qualified domain name in a delegated TLD (ideally "
     "the MX host's own name or its PTR name)",
     "RFC 5321 §4.1.1.1, §4.3.1, §2.3.5"),
    ("smtp.starttls", W,
     "EHLO offers STARTTLS and the handshake completes; a FAIL where the domain publishes an MTA-STS "
     "policy in enforce mode or DANE TLSA records (senders then do not deliver without TLS)",
     "RFC 3207 §4, RFC 8461 §5, RFC 7672 §2.2"),
    ("smtp.tls-version", F,
     "TLS 1.2 or newer is negotiated, and TLS 1.0 and 1.1 are refused",
     "RFC 8996 §4, §5; RFC 8461 §7.2"),
    ("smtp.certificate", W,
     "the certificate chains to a trusted CA, names the MX host, and is within its validity period; a FAIL"
     " under an MTA-STS policy in enforce mode",
     "RFC 8461 §4.2, RFC 6125 §6"),
    # DANE for SMTP (RFC 7672, RFC 7671)
    ("dane.tlsa", F,
     "where an MX host publishes TLSA records at `_25._tcp.<mx host>` (otherwise skipped): the RRset "
     "validates as DNSSEC secure (else senders ignore it, or defer mail when it is bogus); usages are "
     "DANE-TA(2) or DANE-EE(3) (PKIX-TA(0)/PKIX-EE(1) are a WARN); selectors and matching types are known;"
     " a SHA2-256 record is among them",
     "RFC 7672 §2.2.3, §3.1, §3.1.3"),
    ("dane.match", F,
     "with the SMTP probe: the certificate chain each MX host presents matches at least one usable TLSA "
     "record (a mismatch makes DANE senders defer all mail)",
     "RFC 7672 §3.2"),
    # DNSSEC (RFC 4033-4035, RFC 9904, RFC 9905, RFC 9276)
    ("dnssec.signed", W,
     "the domain's zone is signed and its parent publishes a DS record (a chain of trust from the root)",
     "RFC 4033 §5, RFC 4035 §5"),
    ("dnssec.valid", F,
     "the chain validates: a DS at the parent matches a DNSKEY that signs the DNSKEY RRset, and the SOA, "
     "NS, MX and TXT RRsets carry valid, unexpired signatures; a DS over an unsigned zone is bogus "
     "(validating resolvers answer SERVFAIL and mail stops)",
     "RFC 4035 §5; Zonemaster DNSSEC02, DNSSEC08, DNSSEC11"),
    ("dnssec.signature-validity", W,
     "the earliest signature expiry is more than 12 hours away",
     "RFC 4035 §5.3.1; Zonemaster DNSSEC04"),
    ("dnssec.algorithms", F,
     "the zone signs with no algorithm that must not sign (1 RSAMD5, 3 DSA, 5 RSASHA1, 6 DSA-NSEC3-SHA1, 7"
     " RSASHA1-NSEC3-SHA1, 12 ECC-GOST) and its DS records include a digest other than SHA-1 (1) and GOST "
     "(3); RSA keys under 2048 bits are a WARN",
     "RFC 9904, RFC 9905 §2, RFC 9906"),
    ("dnssec.nsec3-parameters", F,
     "NSEC3 uses 0 additional iterations (a FAIL otherwise) and an empty salt (a WARN otherwise)",
     "RFC 9276 §3.1"),
]

CHECKS: dict[str, CheckSpec] = {
    cid: CheckSpec(cid, sev, req, ref, per_run=cid.startswith("resolver.")) for cid, sev, req, ref in _ROWS
}

AREAS: tuple[str, ...] = tuple(dict.fromkeys(spec.area for spec in CHECKS.values()))

BY_TEST_NAME: dict[str, CheckSpec] = {spec.test_name: spec for spec in CHECKS.values()}


def rfc_url(reference: str) -> str | None:
    """A link for the first RFC a reference names (``RFC 5321 §5.1`` -> the section on rfc-editor)."""
    import re

    m = re.search(r"RFC (\d+)(?: §([\d.]+))?", reference)
    if not m:
        return None
    url = f"https://www.rfc-editor.org/rfc/rfc{m.group(1)}"
    if m.group(2):
        url += f"#section-{m.group(2).rstrip('.')}"
    return url
