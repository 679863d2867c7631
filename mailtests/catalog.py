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
    # Resolver health (once per run)
    ("resolver.reachable", F, "every configured resolver answers a query", 'seed: "No servers could be reached"'),
    ("resolver.latency", F, "a lookup through each resolver answers within 1 s (threshold configurable)",
     'seed: `time dig -t ns` "should always be less than 1 second"'),
    ("resolver.caching", W, "the resolver caches (a repeated answer comes from cache: faster, TTL counting down)",
     "seed: caching name server advice"),
    # Name servers
    ("ns.present", F, "the domain publishes an NS RRset", "seed; RFC 1034 §4.2.1"),
    ("ns.count", W, "at least two name servers", "RFC 1034 §4.1, RFC 2182 §5"),
    ("ns.resolve", F, "every NS host name has an A or AAAA record, and is not an alias (CNAME)",
     "RFC 1034 §4.2.2, RFC 2181 §10.3"),
    ("ns.authoritative", F, "every NS address answers the zone's SOA authoritatively (AA set); else a lame delegation",
     "RFC 1034 §4.2.2, RFC 8499"),
    ("ns.serial-consistent", W, "all name servers serve the same SOA serial", "RFC 1034 §4.3.5"),
    ("ns.parent-match", W, "the NS set delegated by the parent zone equals the one the zone publishes",
     "RFC 1034 §4.2.2"),
    # Mail exchangers
    ("mx.present", F, "the domain publishes MX records, or a null MX; neither but an address record is a WARN "
     "(implicit MX)", "seed; RFC 5321 §5.1"),
    ("mx.null-mx", F, "a null MX (`0 .`) is the only MX record", "RFC 7505 §3"),
    ("mx.hostname", F, "every exchange is a host name, not an IP address written as a name",
     "seed; RFC 5321 §5.1, RFC 7505"),
    ("mx.not-alias", F, "no exchange is a CNAME", "RFC 2181 §10.3, RFC 5321 §5.1"),
    ("mx.resolve", F, "every exchange has an A or AAAA record", "seed; RFC 5321 §5.1"),
    ("mx.ipv4", W, "at least one exchange is reachable over IPv4", "RFC 3974"),
    # Sending IPs and reverse DNS
    ("ptr.present", F, "every sending IP (IPv4 and IPv6) has a PTR record; it need not match", "seed; RFC 1912 §2.1"),
    ("ptr.forward-confirmed", W, "some PTR name of the IP resolves back to that IP (FCrDNS)",
     "M3AAWG; large receivers' sender rules"),
    # HELO / EHLO
    ("helo.syntax", F, "the name is a valid domain, or an address literal", "seed; RFC 5321 §4.1.1.1, §4.1.3"),
    ("helo.fqdn-in-tld", F, "a domain name is fully qualified and ends in a delegated top-level domain",
     "seed; RFC 5321 §2.3.5, RFC 6761, RFC 6762"),
    ("helo.resolves", W, "the name has an A or AAAA record", "RFC 5321 §2.3.5"),
    ("helo.matches-ptr", W, "the name is the PTR name of one of the domain's sending IPs, or resolves to one",
     "common receiver practice"),
    # SPF
    ("spf.present", F, "the domain publishes a `v=spf1` TXT record", "seed; RFC 7208 §3"),
    ("spf.single", F, "exactly one `v=spf1` record", "RFC 7208 §4.5"),
    ("spf.syntax", F, "the record and every included one parse", "RFC 7208 §12"),
    ("spf.lookup-limit", F, "at most 10 DNS-querying terms over the whole include tree", "RFC 7208 §4.6.4"),
    ("spf.void-lookups", F, "at most 2 lookups that return no answer", "RFC 7208 §4.6.4"),
    ("spf.includes-valid", F, "every include/redirect target publishes a valid SPF record", "RFC 7208 §5.2, §6.1"),
    ("spf.all-policy", W, "the record ends in `-all` or `~all`; `+all` is a FAIL", "RFC 7208 §5.1"),
    ("spf.no-ptr", W, "no `ptr` mechanism", "RFC 7208 §5.5"),
    ("spf.size", W, "the record fits a 512-octet UDP answer (about 450 octets of record)", "RFC 7208 §3.4"),
    ("spf.authorizes-senders", F, "every sending IP, with the domain's HELO name, evaluates to `pass`",
     "seed"),
    # DNS blocklists
    ("dnsbl.list-healthy", F, "each list answers its test entries: 127.0.0.2 listed, 127.0.0.1 not listed",
     "RFC 5782 §5"),
    ("dnsbl.not-listed", F, "no sending IP is listed on a blocklist", "seed; RFC 5782 §2"),
    ("dnsbl.domain-not-listed", F, "the domain is not on a domain blocklist (only where one is configured)",
     "RFC 5782 §2.3"),
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
