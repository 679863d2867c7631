"""The DNS lab works: BIND serves the private root and its zones, Unbound recurses from it."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.reversename
import dns.zone
import pytest
from ruamel.yaml import YAML

from tests import conftest
from tests.lab.lab import STALE_DIR, Lab, zone_name

ZONE_FILES = sorted(Path(__file__).parent.joinpath("lab", "zones").rglob("*.zone"))


def resolve(lab: Lab, name: str, rdtype: str) -> dns.resolver.Answer:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [lab.resolver[0]]
    resolver.port = lab.resolver[1]
    resolver.lifetime = 5
    resolver.set_flags(dns.flags.RD | dns.flags.CD)  # CD: the DNSSEC lab's bogus zones are served too
    return resolver.resolve(name, rdtype)


def ask(address: str, name: str, rdtype: str, *, recurse: bool = False, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
    if not recurse:
        query.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(query, address, timeout=5, port=53)
    return dns.query.udp(query, address, timeout=5, port=53)


def texts(answer: dns.resolver.Answer) -> set[str]:
    return {rdata.to_text() for rdata in answer}


@pytest.mark.parametrize("path", ZONE_FILES, ids=[p.name for p in ZONE_FILES])
def test_zone_file_parses(path: Path) -> None:
    zone = dns.zone.from_file(str(path), zone_name(path), relativize=False)
    assert zone.get_soa().minimum > 0
    checked = subprocess.run(["named-checkzone", "-q", "-i", "none", "-k", "ignore", "-m", "ignore", "-M", "ignore",
                              "-n", "ignore", "-S", "ignore", "-T", "ignore", "-W", "ignore", zone_name(path), path])
    assert checked.returncode == 0


def test_every_zone_is_served_through_the_resolver(lab: Lab) -> None:
    for path in ZONE_FILES:
        if path.parent == STALE_DIR:
            continue
        zone = dns.zone.from_file(str(path), zone_name(path), relativize=False)
        assert resolve(lab, zone_name(path), "SOA")[0].serial == zone.get_soa().serial, path.name


def test_domains_file_lists_resolvable_domains(lab: Lab) -> None:
    config = YAML(typ="safe").load(lab.domains_file)
    assert config["timeout"] > 0
    assert "resolvers" not in config
    for entry in config["domains"]:
        assert set(entry) <= {"name", "sending_ips", "helo", "dkim_selectors"}
        assert resolve(lab, entry["name"], "TXT"), entry["name"]  # every lab domain publishes TXT (SPF or not)


def test_healthy_mx(lab: Lab) -> None:
    assert texts(resolve(lab, "healthy.com", "MX")) == {"10 mx1.healthy.com.", "20 mx2.healthy.com."}
    assert texts(resolve(lab, "mx1.healthy.com", "AAAA")) == {"2001:db8::10"}


@pytest.mark.parametrize("address", ["192.0.2.10", "2001:db8::10"])
def test_reverse_zones(lab: Lab, address: str) -> None:
    assert texts(resolve(lab, dns.reversename.from_address(address).to_text(), "PTR")) == {"mx1.healthy.com."}


def test_missing_name_is_nxdomain(lab: Lab) -> None:
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolve(lab, "missing.healthy.com", "A")
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolve(lab, "exchange.local", "A")  # no such TLD in the lab root


def test_lame_server_refuses(lab: Lab) -> None:
    reply = ask(lab.servers["ns.lame.net"], "lame.com", "SOA")
    assert reply.rcode() == dns.rcode.REFUSED


def test_views_are_distinct_servers(lab: Lab) -> None:
    assert ask(lab.servers["a.root-servers.net"], "com", "SOA").rcode() == dns.rcode.NOERROR
    referral = ask(lab.servers["a.root-servers.net"], "healthy.com", "SOA")
    assert not referral.flags & dns.flags.AA
    assert not referral.answer
    soa = ask(lab.servers["ns1.dnsprovider.net"], "healthy.com", "SOA")
    assert soa.flags & dns.flags.AA
    assert soa.answer


def test_stale_secondary_serves_an_older_serial(lab: Lab) -> None:
    serial = {name: ask(lab.servers[name], "serial-drift.com", "SOA").answer[0][0].serial
              for name in ("ns1.dnsprovider.net", "ns2.dnsprovider.net", "ns3.dnsprovider.net")}
    assert serial["ns1.dnsprovider.net"] == serial["ns2.dnsprovider.net"] > serial["ns3.dnsprovider.net"]
    assert ask(lab.servers["ns3.dnsprovider.net"], "serial-drift.com", "SOA").flags & dns.flags.AA


def test_parent_delegation_differs_from_child_ns(lab: Lab) -> None:
    referral = ask(lab.servers["a.gtld-servers.net"], "parent-mismatch.com", "NS")
    assert not referral.flags & dns.flags.AA
    parent = {rr.to_text() for rrset in referral.authority if rrset.rdtype == dns.rdatatype.NS for rr in rrset}
    child = texts(resolve(lab, "parent-mismatch.com", "NS"))
    assert parent == {"ns1.dnsprovider.net.", "ns2.dnsprovider.net."}
    assert child == parent | {"ns5.dnsprovider.net."}


def test_never_answering_list_fails_fast(lab: Lab) -> None:
    start = time.monotonic()
    with pytest.raises((dns.resolver.NoNameservers, dns.exception.Timeout)):  # SERVFAIL or timeout
        resolve(lab, "2.0.0.127.dnsbl.sorbs.net", "A")
    assert time.monotonic() - start < 5


def test_huge_txt_needs_tcp(lab: Lab) -> None:
    udp = ask(lab.resolver[0], "huge-txt.com", "TXT", recurse=True)
    assert udp.flags & dns.flags.TC
    tcp = ask(lab.resolver[0], "huge-txt.com", "TXT", recurse=True, tcp=True)
    assert len(tcp.answer[0]) == 41
    assert len(tcp.to_wire()) > 4096


def test_hostile_names_resolve(lab: Lab) -> None:
    (mx,) = resolve(lab, "long-names.com", "MX")
    assert len(mx.exchange.to_text(omit_final_dot=True)) == 253
    assert texts(resolve(lab, mx.exchange.to_text(), "A")) == {"192.0.2.64"}
    (ptr,) = resolve(lab, dns.reversename.from_address("203.0.113.66").to_text(), "PTR")
    assert ptr.target.labels[0] == b"<script>alert(1)</script>"
    assert "<script>alert(1)</script>" in {t.strings[0].decode() for t in resolve(lab, "markup.com", "TXT")}


def test_dnsbl_zones(lab: Lab) -> None:
    assert texts(resolve(lab, "2.0.0.127.bl.spamcop.net", "A")) == {"127.0.0.2"}
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolve(lab, "1.0.0.127.bl.spamcop.net", "A")
    assert texts(resolve(lab, "1.0.0.127.zen.spamhaus.org", "A")) == {"127.255.255.254"}
    assert texts(resolve(lab, "1.0.0.127.b.barracudacentral.org", "A")) == {"127.0.0.2"}
    assert texts(resolve(lab, "dnsbl-listed.com.dbl.spamhaus.org", "A")) == {"127.0.1.2"}


def test_failing_test_report_carries_the_logs(lab: Lab) -> None:
    resolve(lab, "healthy.com", "SOA")
    item = SimpleNamespace(config=SimpleNamespace(stash={conftest.LAB_KEY: lab}), fixturenames=["lab"], stash={})
    hook = conftest.pytest_runtest_makereport(item, SimpleNamespace(when="call"))  # type: ignore[arg-type]
    next(hook)
    report = SimpleNamespace(failed=True, sections=[])
    with pytest.raises(StopIteration):
        hook.send(report)  # type: ignore[arg-type]
    (_title, text), = report.sections
    assert "named log" in text
    assert "unbound log" in text
    assert "healthy.com" in text


def processes_naming(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes() if proc.name.isdigit() else b""
        except OSError:
            continue
        if text.encode() in cmdline:
            found.append(cmdline.decode(errors="replace"))
    return found


def port_free(address: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((address, 53))
        except OSError:
            return False
    return True


def test_stop_leaves_nothing_and_restart_works(lab: Lab) -> None:
    """Runs last in this file: stops the session's lab, checks, and starts it again."""
    pids, workdir, added = lab.pids, lab.workdir, list(lab.added)
    lab.stop()
    assert "unbound log" in lab.logs()  # still readable after stop
    for pid in pids.values():
        assert not Path(f"/proc/{pid}").exists()
    assert processes_naming(str(workdir)) == []
    assert not Path(str(workdir)).exists()
    present = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", "lo"], capture_output=True, text=True).stdout
    assert not [a for a in added if f"inet {a}/" in present]
    assert all(port_free(a) for a in [lab.resolver[0], *lab.servers.values()])
    lab.start()
    assert texts(resolve(lab, "healthy.com", "MX")) == {"10 mx1.healthy.com.", "20 mx2.healthy.com."}
