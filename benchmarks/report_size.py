"""How big the reports get, and how long headless Chromium takes to open them, at scale.

Synthesises a results document (results.json's shape, schema version 2) for N domains x
the catalog's checks with realistic evidence (shared DNS providers, mail hosts and SPF
includes, per-domain NS/SOA/MX/TXT answers, a few percent of failures, warnings, skips
and DNS errors), writes results.json with :func:`mailtests.results.write_results`,
audit.html with :func:`mailtests.audit_html.write_audit_html` and a pytest-html 4 report
of the same records (pytest-html's own template, our row cells and evidence extras),
then prints file sizes, write times and Chromium load times.

    python benchmarks/report_size.py                  # 10,000 domains
    python benchmarks/report_size.py -n 500 --pytest-html-domains 0

Not a test: a measurement to run by hand; the figures are in the README.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailtests.audit_html import write_audit_html  # noqa: E402
from mailtests.catalog import CHECKS  # noqa: E402
from mailtests.results import evidence_of, results_document, summarize, versions, write_results  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RESOLVERS = ["192.0.2.53:53", "192.0.2.54:53"]
WORDS = ["acme", "bakery", "clinic", "dental", "energy", "farm", "garage", "hotel", "insure", "joinery", "kiosk",
         "legal", "motors", "notary", "optics", "pharma", "quarry", "roofing", "school", "travel"]
TLDS = ["com", "net", "org", "de", "fr", "ch", "co.uk", "eu"]
SPF_INCLUDES = {
    "_spf.google.com": ("v=spf1 include:_netblocks.google.com include:_netblocks2.google.com "
                        "include:_netblocks3.google.com ~all",
                        ["_netblocks.google.com", "_netblocks2.google.com", "_netblocks3.google.com"]),
    "_netblocks.google.com": ("v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip4:66.102.0.0/20 ip4:66.249.80.0/20 "
                              "ip4:72.14.192.0/18 ip4:74.125.0.0/16 ip4:108.177.8.0/21 ip4:173.194.0.0/16 "
                              "ip4:209.85.128.0/17 ip4:216.58.192.0/19 ip4:216.239.32.0/19 ~all", []),
    "_netblocks2.google.com": ("v=spf1 ip6:2001:4860:4000::/36 ip6:2404:6800:4000::/36 ip6:2607:f8b0:4000::/36 "
                               "ip6:2800:3f0:4000::/36 ip6:2a00:1450:4000::/36 ip6:2c0f:fb50:4000::/36 ~all", []),
    "_netblocks3.google.com": ("v=spf1 ip4:172.217.0.0/19 ip4:172.217.32.0/20 ip4:172.217.128.0/19 "
                               "ip4:108.177.96.0/19 ip4:35.191.0.0/16 ip4:130.211.0.0/22 ~all", []),
    "spf.protection.outlook.com": ("v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/15 ip4:52.102.0.0/16 "
                                   "ip4:104.47.0.0/17 ip6:2a01:111:f400::/48 ip6:2a01:111:f403::/49 -all", []),
    "mailgun.org": ("v=spf1 include:_spf.mailgun.org ~all", ["_spf.mailgun.org"]),
    "_spf.mailgun.org": ("v=spf1 ip4:209.61.151.0/24 ip4:166.78.68.0/22 ip4:198.61.254.0/23 ip4:192.237.158.0/23 "
                         "ip4:23.253.182.0/23 ip4:104.130.96.0/28 ip4:146.20.113.0/24 ~all", []),
}


def answer(name: str, rtype: str, records: list[tuple[str, int, str, str]], server: str, rcode: str = "NOERROR",
           aa: bool = False, ms: float = 4.2, error: str | None = None) -> dict:
    """One evidence answer as ``Answer.to_dict()`` has it."""
    return {"name": name, "type": rtype, "rcode": rcode, "server": server, "time_ms": ms, "authoritative": aa,
            "error": error, "records": [{"name": n, "ttl": t, "type": y, "data": d} for n, t, y, d in records]}


class Estate:
    """The shared infrastructure of the synthetic domains: DNS providers, mail hosts, resolvers, lists."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cache: dict[tuple, dict] = {}

    def shared(self, key: tuple, make) -> dict:
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = make()
        return found

    def addr(self, host: str, rtype: str, ip: str | None) -> dict:
        recs = [(host, 3600, rtype, ip)] if ip else []
        return self.shared((host, rtype), lambda: answer(host, rtype, recs, RESOLVERS[0], ms=round(
            self.rng.uniform(1, 40), 1)))

    def ns_host(self, p: int, k: int) -> tuple[str, str, str]:
        return f"ns{k}.dns{p}.net.", f"198.51.{100 + p % 10}.{10 * k + p // 10}", f"2001:db8:{p:x}::{k}"

    def mail_host(self, m: int) -> tuple[str, str, str | None]:
        return f"mx{m % 7}.mail{m}.net.", f"203.0.{113 + m % 3}.{m % 250 + 1}", (
            f"2001:db8:100:{m:x}::25" if m % 3 == 0 else None)

    def txt(self, name: str) -> dict:
        text, _ = SPF_INCLUDES[name]
        return self.shared((name, "TXT"), lambda: answer(name + ".", "TXT", [(name + ".", 300, "TXT", json.dumps(
            text))], RESOLVERS[0], ms=round(self.rng.uniform(5, 60), 1)))


def spf_walk(domain: str, record: str, includes: list[str]) -> tuple[dict, list[str]]:
    """The walked include tree of a record as the SPF checks put it in ``details``, and the names it visits."""
    visited: list[str] = []

    def node(name: str, via: str, text: str, children: list[str]) -> dict:
        terms = text.split()
        lookups = sum(1 for t in terms if t.split(":")[0].lstrip("+-~?") in ("include", "a", "mx", "ptr", "exists")
                      or t.startswith("redirect="))
        kids = []
        for child in children:
            visited.append(child)
            ctext, grand = SPF_INCLUDES[child]
            kids.append(node(child, "include", ctext, grand))
        return {"domain": name, "via": via, "term": "" if via == "root" else f"include:{name}", "record": text,
                "lookups": lookups, "errors": [], "voids": [], "notes": [], "children": kids}

    tree = node(domain, "root", record, includes)
    total = sum_lookups(tree)
    return {"lookups": total, "void_lookups": 0, "loops": [], "truncated": False, "void_count_partial": False,
            "dns_failures": [], "tree": tree}, visited


def domain_records(i: int, estate: Estate) -> list[dict]:
    """The ~31 records of one synthetic domain."""
    rng = estate.rng
    d = f"{WORDS[i % len(WORDS)]}-{i}.{TLDS[i % len(TLDS)]}"
    fq = d + "."
    p, m = i % 40, i % 300
    single_ns, no_spf, mx_noaddr = rng.random() < 0.04, rng.random() < 0.03, rng.random() < 0.02
    no_ptr, timeout, plus_all = rng.random() < 0.02, rng.random() < 0.01, rng.random() < 0.005
    hosts = [estate.ns_host(p, 1)] + ([] if single_ns else [estate.ns_host(p, 2)])
    ns = answer(fq, "NS", [(fq, 86400, "NS", h[0]) for h in hosts], RESOLVERS[0], ms=round(rng.uniform(10, 90), 1))
    parent = answer(fq, "NS", [(fq, 172800, "NS", h[0]) for h in hosts], f"a.nic.{d.split('.')[-1]}.:53", aa=False,
                    ms=round(rng.uniform(10, 90), 1))
    ns_addr = [a for h in hosts for a in (estate.addr(h[0], "A", h[1]), estate.addr(h[0], "AAAA", h[2]))]
    serial = 2024010100 + i % 97
    soa = [answer(fq, "SOA", [(fq, 3600, "SOA", f"{hosts[0][0]} hostmaster.{fq} {serial} 7200 3600 1209600 3600")],
                  f"{h[1]}:53", aa=True, ms=round(rng.uniform(10, 90), 1)) for h in hosts]
    if timeout:
        soa[-1] = answer(fq, "SOA", [], f"{hosts[-1][1]}:53", rcode="TIMEOUT", ms=2000.0,
                         error="no answer within 2.0 s (3 tries)")
    mxs = [estate.mail_host(m)] + ([estate.mail_host((m + 1) % 300)] if i % 2 else [])
    mx = answer(fq, "MX", [(fq, 3600, "MX", f"{10 * (k + 1)} {h[0]}") for k, h in enumerate(mxs)], RESOLVERS[0],
                ms=round(rng.uniform(10, 90), 1))
    mx_addr = [estate.addr(h[0], "A", None if mx_noaddr else h[1]) for h in mxs] + [
        estate.addr(h[0], "AAAA", h[2]) for h in mxs]
    ips = [h[1] for h in mxs]
    ptr_name = [f"{h[0]}" for h in mxs]
    ptrs = [estate.shared((ip, "PTR", no_ptr), lambda ip=ip, n=n: answer(
        ".".join(reversed(ip.split("."))) + ".in-addr.arpa.", "PTR",
        [] if no_ptr else [(".".join(reversed(ip.split("."))) + ".in-addr.arpa.", 86400, "PTR", n)], RESOLVERS[0],
        rcode="NXDOMAIN" if no_ptr else "NOERROR")) for ip, n in zip(ips, ptr_name, strict=True)]
    include = list(SPF_INCLUDES)[[0, 4, 5][i % 3]] if i % 4 else None
    policy = "+all" if plus_all else "-all" if i % 5 else "~all"
    record = f"v=spf1 mx{' include:' + include if include else ''} {policy}"
    txt_recs = [] if no_spf else [(fq, 3600, "TXT", json.dumps(record))]
    if i % 3 == 0:
        txt_recs.append((fq, 3600, "TXT", f'"google-site-verification={rng.getrandbits(128):032x}"'))
    txt = answer(fq, "TXT", txt_recs, RESOLVERS[0], ms=round(rng.uniform(10, 90), 1))
    walked, visited = spf_walk(d, record, [include] if include else [])
    inc = [estate.txt(n) for n in visited]
    helo = ptr_name[0]
    helo_addr = [estate.addr(helo, "A", mxs[0][1]), estate.addr(helo, "AAAA", mxs[0][2])]
    health = estate.shared(("health",), lambda: [
        answer("2.0.0.127.bl.spamcop.net.", "A", [("2.0.0.127.bl.spamcop.net.", 2100, "A", "127.0.0.2")],
               RESOLVERS[0]),
        answer("1.0.0.127.bl.spamcop.net.", "A", [], RESOLVERS[0], rcode="NXDOMAIN")])
    dnsbl = [estate.shared((ip, "bl"), lambda ip=ip: answer(".".join(reversed(ip.split("."))) + ".bl.spamcop.net.",
                                                            "A", [], RESOLVERS[0], rcode="NXDOMAIN")) for ip in ips]
    hostnames = ", ".join(h[0] for h in hosts)
    mxnames = ", ".join(h[0] for h in mxs)
    sending = {"sending_ips": ips, "sending_ips_source":
               "assumed: the addresses of the domain's MX hosts (none listed in the domains file)"}
    no_spf_skip = ("skip", f"{d} publishes no SPF record (spf.present reports it)")
    spf_ok = ("pass", f"{d} publishes one SPF record: {record}")
    plan: dict[str, tuple[tuple[str, str], list[dict], dict]] = {
        "ns.present": (("pass", f"{d} has {len(hosts)} name server(s): {hostnames}"), [ns],
                       {"name_servers": hostnames}),
        "ns.count": (("warn", f"{d} has a single name server ({hostnames}): when it is down the domain disappears "
                      "and mail to it bounces; add a second one, on another network (RFC 2182 §5)") if single_ns
                     else ("pass", f"{d} has {len(hosts)} name servers: {hostnames}"), [ns], {}),
        "ns.resolve": (("pass", f"every name server of {d} has an address: "
                        + "; ".join(f"{h[0]} {h[1]}, {h[2]}" for h in hosts)), [ns, *ns_addr], {}),
        "ns.authoritative": ((("error", f"DNS lookup failed, so ns.authoritative could not be checked: {fq} SOA: "
                               f"TIMEOUT (no answer within 2.0 s (3 tries)) from {hosts[-1][1]}:53") if timeout else
                              ("pass", f"every name server of {d} answers its SOA authoritatively: {hostnames}")),
                             [ns, *ns_addr, *soa], {}),
        "ns.serial-consistent": (("pass", f"all name servers of {d} serve SOA serial {serial}"), [ns, *ns_addr, *soa],
                                 {}),
        "ns.parent-match": (("pass", f"the parent zone delegates {d} to the name servers it publishes: {hostnames}"),
                            [ns, parent], {}),
        "mx.present": (("pass", f"{d} has {len(mxs)} MX record(s): {mxnames}"), [mx],
                       {"exchanges": [r["data"] for r in mx["records"]]}),
        "mx.null-mx": (("pass", f"{d} publishes no null MX, only ordinary MX records"), [mx], {}),
        "mx.hostname": (("pass", f"every exchange of {d} is a host name: {mxnames}"), [mx], {}),
        "mx.not-alias": (("pass", f"no exchange of {d} is an alias"), [mx, *mx_addr], {}),
        "mx.resolve": ((("fail", f"MX host(s) of {d} without an A or AAAA record: {mxnames}. Publish an address "
                         "record for each exchange, or remove its MX record") if mx_noaddr else
                        ("pass", f"every exchange of {d} has an address: {mxnames}")), [mx, *mx_addr], {}),
        "mx.ipv4": (("pass", f"{len(mxs)} of {len(mxs)} exchange(s) of {d} have an IPv4 address: {mxnames}"),
                    [mx, *mx_addr], {}),
        "ptr.present": ((("fail", f"sending IP(s) of {d} without a PTR record: {', '.join(ips)} (assumed: the "
                          "addresses of the MX hosts). Ask whoever holds the address block to publish a PTR record")
                         if no_ptr else ("pass", f"every sending IP of {d} has a PTR record: "
                                                 + ", ".join(f"{ip} -> {n}" for ip, n in zip(ips, ptr_name,
                                                                                            strict=True)))),
                        [mx, *mx_addr, *ptrs], sending),
        "ptr.forward-confirmed": ((("skip", f"no PTR record to confirm for {d} (ptr.present reports it)")
                                   if no_ptr else ("pass", f"every sending IP of {d} has forward-confirmed reverse "
                                                           f"DNS: {', '.join(ips)}")),
                                  [mx, *mx_addr, *ptrs, *helo_addr], sending),
        "helo.syntax": (("pass", f"every HELO name of {d} is valid: {helo}"), [], {"helo": [helo]}),
        "helo.fqdn-in-tld": (("pass", f"every HELO name of {d} is fully qualified in a delegated TLD: {helo}"), [],
                             {}),
        "helo.resolves": (("pass", f"every HELO name of {d} resolves: {helo} -> {mxs[0][1]}"), helo_addr, {}),
        "helo.matches-ptr": (("pass", f"every HELO name of {d} is the PTR name of a sending IP: {helo}"),
                             [*helo_addr, mx, *mx_addr, *ptrs], sending),
        "spf.present": ((("fail", f'{d} publishes no SPF record: add a TXT record such as "v=spf1 mx -all" that '
                          "lists the hosts allowed to send its mail") if no_spf else
                         ("pass", f"{d} publishes an SPF record: {record}")), [txt], {}),
        "spf.single": (no_spf_skip if no_spf else spf_ok, [txt], {}),
        "spf.syntax": (no_spf_skip if no_spf else ("pass", f"the SPF record of {d} and its {len(visited)} included "
                                                           "record(s) parse"), [txt, *inc], walked),
        "spf.lookup-limit": (no_spf_skip if no_spf else (
            "pass", f"the SPF record of {d} needs {walked['lookups']} of at most 10 DNS lookups"), [txt, *inc],
                             walked),
        "spf.void-lookups": (no_spf_skip if no_spf else ("pass", f"the SPF record of {d} makes no void lookup"),
                             [txt, *inc], walked),
        "spf.includes-valid": (no_spf_skip if no_spf else (
            "pass", f"every include of {d} publishes a valid SPF record: {', '.join(visited) or 'none'}"),
                               [txt, *inc], walked),
        "spf.all-policy": (no_spf_skip if no_spf else (
            ("fail", f"the SPF record of {d} ends in +all: it authorises every host on the Internet to send as "
                     f"{d}; end it in -all or ~all") if plus_all else
            ("pass", f"the SPF record of {d} ends in {record.split()[-1]}")), [txt], {}),
        "spf.no-ptr": (no_spf_skip if no_spf else ("pass", f"the SPF record of {d} has no ptr mechanism"), [txt], {}),
        "spf.size": (no_spf_skip if no_spf else ("pass", f"the SPF record of {d} is {len(record)} octets (at most "
                                                         "450 fit a 512-octet UDP answer)"), [txt], {}),
        "spf.authorizes-senders": (no_spf_skip if no_spf else (
            "pass", f"SPF authorises every sending IP of {d} with HELO {helo}: "
                    + ", ".join(f"{ip} pass" for ip in ips)), [txt, *inc, mx, *mx_addr], sending),
        "dnsbl.list-healthy": (("pass", "1 list(s) answer their RFC 5782 §5 test entries: bl.spamcop.net healthy"),
                               health, {}),
        "dnsbl.not-listed": (("pass", f"sending IPs of {d} ({', '.join(ips)}; assumed: the addresses of the "
                                      "domain's MX hosts): not listed on bl.spamcop.net"), [mx, *mx_addr, *dnsbl],
                             sending),
        "dnsbl.domain-not-listed": (("skip", "no domain blocklist is configured (dnsbl.lists with kind: domain)"), [],
                                    {}),
    }
    return [record_of(d, cid, outcome, message, evidence, details)
            for cid, ((outcome, message), evidence, details) in plan.items()]


def sum_lookups(tree: dict) -> int:
    return tree["lookups"] + sum(sum_lookups(c) for c in tree["children"])


def record_of(domain: str, cid: str, outcome: str, message: str, evidence: list[dict], details: dict) -> dict:
    spec = CHECKS[cid]
    return {"domain": domain, "check": cid, "severity": spec.severity.value, "outcome": outcome, "message": message,
            "reference": spec.reference, "requirement": spec.requirement, "evidence": evidence, "details": details}


def synthesize(n: int, seed: int = 1) -> dict:
    """A results document for ``n`` domains and two resolvers."""
    estate = Estate(random.Random(seed))
    records: list[dict] = []
    for server in RESOLVERS:
        root = answer(".", "NS", [(".", 518400, "NS", f"{c}.root-servers.net.") for c in "abcdefghijklm"], server)
        records += [
            record_of(server, "resolver.reachable", "pass", f"{server} answers: `. NS` NOERROR", [root], {}),
            record_of(server, "resolver.latency", "pass", f"{server} answered `. NS` in 12 ms (threshold 1000 ms)",
                      [root], {"elapsed_ms": 12.0}),
            record_of(server, "resolver.caching", "pass", f"{server} caches: the repeated answer came in 0 ms with "
                      "its TTL counting down", [root, root], {}),
        ]
    for i in range(n):
        records.extend(domain_records(i, estate))
    run = {"started": "2026-01-05T09:00:00Z", "finished": "2026-01-05T09:04:12Z", "exitstatus": 1,
           "domains_file": "/srv/audit/domains.yaml", "domains_file_sha256": "ab" * 32, "domains": n,
           "resolvers": RESOLVERS, "zone_files": [], "offline": False, "timeout": 2.0, "versions": versions(),
           "dns_questions": {"sent": len(estate.cache) + 9 * n, "cached": 25 * n}}
    document = results_document(run, records)
    assert document["summary"] == summarize(records)
    return document


def write_pytest_html(path: Path, document: dict) -> Path:
    """The pytest-html 4 report of the same records: its template, with our row cells and evidence extras."""
    from pytest_html import __version__ as html_version
    from pytest_html.util import _process_css, _read_template

    from mailtests.htmlreport import COLUMNS, row_cells
    from mailtests.render import record_html

    resources = Path(sys.modules["pytest_html"].__file__).parent / "resources"
    tests: dict[str, list[dict]] = {}
    outcomes = {k: {"label": k.capitalize(), "value": 0} for k in ("failed", "passed", "skipped", "error")}
    for r in document["results"]:
        spec = CHECKS[r["check"]]
        nodeid = f"mailtests/suite/test_{spec.area}.py::{spec.test_name}[{r['domain']}]"
        result = {"pass": "Passed", "warn": "Passed", "skip": "Skipped", "fail": "Failed", "error": "Failed"}[
            r["outcome"]]
        outcomes[result.lower()]["value"] += 1
        cells = [f'<td class="col-result">{result}</td>', f'<td class="col-testId">{nodeid}</td>',
                 '<td class="col-duration">1 ms</td>', '<td class="col-links"></td>']
        cells[1:1] = row_cells(r)
        log = (f"{nodeid.split('::')[0]}:10: in {spec.test_name}\n    assert result.compliant, result.message\n"
               f"E   AssertionError: {r['message']}" if result == "Failed" else "No log output captured.")
        tests[nodeid] = [{"extras": [{"name": None, "format_type": "html",
                                      "content": record_html(r, evidence_of(document, r)),
                                      "mime_type": None, "extension": None}],
                          "resultsTableRow": cells, "log": log, "result": result, "testId": nodeid,
                          "duration": "1 ms", **{c: r.get(c, "") for c, _, s in COLUMNS if s}}]
    head = ['<th class="sortable" data-column-type="result">Result</th>',
            '<th class="sortable" data-column-type="testId">Test</th>',
            '<th class="sortable" data-column-type="duration">Duration</th>', "<th>Links</th>"]
    head[1:1] = [f'<th class="sortable" data-column-type="{c}">{h}</th>' if s else f"<th>{h}</th>"
                 for c, h, s in COLUMNS]
    data = {"environment": {"Domains file": "/srv/audit/domains.yaml"}, "tests": tests,
            "renderCollapsed": ["passed"], "initialSort": "result", "title": "mailtests compliance report"}
    page = _read_template([resources]).render(
        title="mailtests compliance report", date="05-Jan-2026", time="09:04:12", version=html_version,
        styles=_process_css(resources / "style.css", []), run_count=f"{len(tests)} tests took 00:04:12.",
        running_state="finished", self_contained=True, outcomes=outcomes, test_data=json.dumps(data),
        table_head=head, additional_summary={"prefix": [], "summary": [], "postfix": []})
    path.write_text(page, encoding="utf-8")
    return path


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def chromium_seconds(browser: str, url: str, mode: str, timeout: float) -> float | None:
    """Wall time of one headless Chromium run that loads ``url`` (``--dump-dom`` or ``--screenshot``)."""
    with tempfile.TemporaryDirectory() as profile:
        args = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1024"]
        args += ["--dump-dom"] if mode == "dump-dom" else [f"--screenshot={profile}/shot.png"]
        start = time.perf_counter()
        try:
            subprocess.run([*args, url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout,
                           check=True, cwd=profile)
        except (subprocess.TimeoutExpired, subprocess.CalledProcessError):
            return None
        return time.perf_counter() - start


def chromium_median(browser: str, url: str, mode: str, timeout: float, repeat: int) -> str:
    """The median of ``repeat`` loads (one when the first exceeds 30 s), as text."""
    times = []
    for _ in range(repeat):
        took = chromium_seconds(browser, url, mode, timeout)
        if took is None:
            return f"> {timeout:.0f} s"
        times.append(took)
        if took > 30:
            break
    return f"{statistics.median(times):.1f} s" + (f" (median of {len(times)})" if len(times) > 1 else "")


NAVIGATION_TIMING = """JSON.stringify((() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = Object.fromEntries(performance.getEntriesByType('paint').map(e => [e.name, e.startTime]));
  const t = performance.now(); document.body.getBoundingClientRect(); const layout = performance.now() - t;
  return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: paint['first-contentful-paint'],
          layout: layout, nodes: document.getElementsByTagName('*').length};
})())"""


def chromium_timing(browser: str, url: str, timeout: float) -> dict | None:
    """Navigation timing of one page load through the DevTools protocol (``--remote-debugging-pipe``).

    Start-up excluded: ``dcl``/``load``/``fcp`` are ms from navigation start to DOMContentLoaded,
    the load event and the first contentful paint; ``layout`` the ms of a forced full layout after
    load; ``wall`` the seconds from ``Page.navigate`` to the load event as seen from here.
    """
    with tempfile.TemporaryDirectory() as profile:
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        args = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1024",
                "--remote-debugging-pipe", "about:blank"]
        proc = subprocess.Popen(["sh", "-c", f'exec "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}', "sh", *args],
                                pass_fds=(to_chrome_r, from_chrome_w), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        out, buffer, ids = os.fdopen(to_chrome_w, "wb"), b"", iter(range(1, 1000))
        deadline = time.monotonic() + timeout

        def send(method: str, session: str | None = None, **params) -> int:
            n = next(ids)
            out.write(json.dumps({"id": n, "method": method, "params": params,
                                  **({"sessionId": session} if session else {})}).encode() + b"\0")
            out.flush()
            return n

        def until(test) -> dict:
            nonlocal buffer
            while True:
                while b"\0" in buffer:
                    raw, buffer = buffer.split(b"\0", 1)
                    message = json.loads(raw)
                    if test(message):
                        return message
                if time.monotonic() > deadline:
                    raise TimeoutError
                chunk = os.read(from_chrome_r, 1 << 20)
                if not chunk:
                    raise EOFError
                buffer += chunk

        def call(method: str, session: str | None = None, **params) -> dict:
            n = send(method, session, **params)
            return until(lambda m: m.get("id") == n).get("result", {})

        try:
            pages = [t for t in call("Target.getTargets")["targetInfos"] if t["type"] == "page"]
            session = call("Target.attachToTarget", targetId=pages[0]["targetId"], flatten=True)["sessionId"]
            call("Page.enable", session)
            start = time.perf_counter()
            send("Page.navigate", session, url=url)
            until(lambda m: m.get("method") == "Page.loadEventFired")
            wall = time.perf_counter() - start
            value = call("Runtime.evaluate", session, expression=NAVIGATION_TIMING, returnByValue=True)
            timing = json.loads(value["result"]["value"])
            timing["wall"] = wall
            send("Browser.close")
            return timing
        except (TimeoutError, EOFError, KeyError, IndexError, ValueError):
            return None
        finally:
            out.close()
            os.close(from_chrome_r)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def describe_timing(timing: dict | None, timeout: float) -> str:
    if timing is None:
        return f"no load event within {timeout:.0f} s"
    fcp = f"{timing['fcp'] / 1000:.2f} s" if timing.get("fcp") is not None else "n/a"
    return (f"load event {timing['load'] / 1000:.2f} s after navigation (DOMContentLoaded {timing['dcl'] / 1000:.2f} s,"
            f" first contentful paint {fcp}, full layout {timing['layout'] / 1000:.2f} s, "
            f"{timing['nodes']} elements)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--domains", type=int, default=10_000, help="how many domains (default 10,000)")
    parser.add_argument("--out", type=Path, default=None, help="where to write the reports (default: a temp folder)")
    parser.add_argument("--pytest-html-domains", type=int, default=1000, metavar="N",
                        help="domains in the pytest-html comparison (default 1,000: it grows 80 KB a domain); 0: none")
    parser.add_argument("--no-browser", action="store_true", help="do not time Chromium")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before a Chromium load counts as failed")
    parser.add_argument("--repeat", type=int, default=3, help="Chromium loads per report; the median is printed")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="mailtests-bench-"))
    out.mkdir(parents=True, exist_ok=True)

    browser = None if args.no_browser else chromium()
    version = subprocess.run([browser, "--version"], capture_output=True, text=True).stdout.strip() if browser else ""
    print(f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPU(s) (nproc "
          f"{len(os.sched_getaffinity(0))}), Python {platform.python_version()}; {version or 'no Chromium'}")
    t = time.perf_counter()
    document = synthesize(args.domains)
    print(f"synthesised {args.domains} domains, {len(document['results'])} results in {time.perf_counter() - t:.1f} s; "
          f"summary {document['summary']}")
    t = time.perf_counter()
    results = write_results(out / "results.json", document)
    reports = [("results.json", results, time.perf_counter() - t)]
    t = time.perf_counter()
    write_audit_html(out / "audit.html", document)
    reports.append(("audit.html", out / "audit.html", time.perf_counter() - t))
    t = time.perf_counter()
    write_audit_html(out / "audit-all-messages.html", document, pass_messages=True)
    reports.append(("audit.html, pass messages", out / "audit-all-messages.html", time.perf_counter() - t))
    if args.pytest_html_domains:
        n = min(args.pytest_html_domains, args.domains)
        small = document if n == args.domains else synthesize(n)
        t = time.perf_counter()
        write_pytest_html(out / "report.html", small)
        reports.append((f"pytest-html, {n} domains", out / "report.html", time.perf_counter() - t))
    if browser:
        blank = out / "blank.html"
        blank.write_text("<!DOCTYPE html><title>blank</title>", encoding="utf-8")
        took = chromium_median(browser, blank.as_uri(), "dump-dom", 60, args.repeat)
        print(f"Chromium on an empty page (its start-up): dump-dom {took}")
    for label, path, seconds in reports:
        line = f"{label:26} {path.stat().st_size / 1e6:8.1f} MB"
        if seconds is not None:
            line += f", written in {seconds:.1f} s"
        print(line)
        if browser and path.suffix == ".html":
            timing = chromium_timing(browser, path.as_uri(), args.timeout)
            print(f"    Chromium: {describe_timing(timing, args.timeout)}")
            for mode in ("dump-dom", "screenshot"):
                took = chromium_median(browser, path.as_uri(), mode, args.timeout, args.repeat)
                print(f"    Chromium --{mode} wall time, start-up included: {took}")
    print(f"reports in {out}")


if __name__ == "__main__":
    main()
