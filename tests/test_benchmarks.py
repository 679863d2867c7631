"""The benchmark's tools: the domain generator, and a quick run of benchmarks/run (no timing asserted)."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import dns.name
import pytest
from cryptography.hazmat.primitives import serialization

from mailtests.config import load_config
from mailtests.dnslayer.zonefiles import ZoneSource

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

from bench import ROWS  # noqa: E402
from generate import DEFECTS, generate  # noqa: E402
from scale import ROWS as SCALE_ROWS  # noqa: E402

COUNT = 1000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("gen")
    return out, generate(out, COUNT)


@pytest.fixture(scope="module")
def zones(world) -> ZoneSource:
    out, _ = world
    return ZoneSource([out / "zones"])


def test_the_zones_load_and_the_domains_file_is_valid(world, zones: ZoneSource) -> None:
    out, w = world
    names = {apex.to_text() for apex in zones.zones}
    assert names == set(w.zones)
    config = load_config(out / "domains.yaml")
    assert [d.name for d in config.domains] == [e["name"] for e in w.entries]
    views = json.loads((out / "views.json").read_text())
    assert sorted(z for v in views.values() for z in v["zones"]) == sorted(w.zones)
    delegated = "".join(p.read_text() for p in (out / "delegations").glob("*.extra"))
    assert all(f"\n{e['name']}.\t" in delegated for e in w.entries)


def test_most_domains_share_a_few_dns_and_mail_providers(world) -> None:
    _, w = world
    dns_share = Counter(w.dns_of.values())
    mail_share = Counter(w.mail_of.values())
    assert len(dns_share) == 5 and len(mail_share) == 5  # 4 providers each, and self-hosted
    assert dns_share.most_common(1)[0][1] > COUNT * 0.3 and dns_share["self"] < COUNT * 0.3
    assert sum(n for p, n in mail_share.items() if p != "self") > COUNT * 0.5 and mail_share["self"] > COUNT * 0.2
    defects = Counter(d for ds in w.defects.values() for d in ds)
    assert set(defects) == set(DEFECTS) and 0.02 * COUNT < len(w.defects) < 0.08 * COUNT


def answer(zones: ZoneSource, name: str, rdtype: str) -> list[str]:
    return zones.query(dns.name.from_text(name), rdtype).texts()


def test_provider_customers_point_at_shared_hosts_with_nested_spf_and_ptr(world, zones: ZoneSource) -> None:
    _, w = world
    domain = next(e["name"] for e in w.entries if w.mail_of[e["name"]] == "mailprov1" and e["name"] not in w.defects)
    assert answer(zones, domain, "MX") == ["10 mx1.mailprov1.net.", "20 mx2.mailprov1.net."]
    assert '"v=spf1 include:_spf.mailprov1.net ~all"' in answer(zones, domain, "TXT")
    tree = answer(zones, "_spf.mailprov1.net", "TXT")[0]
    assert tree.count("include:_netblocks") == 3
    (ip,) = answer(zones, "mx1.mailprov1.net", "A")
    reverse = dns.name.from_text(ipaddress.ip_address(ip).reverse_pointer)
    assert zones.query(reverse, "PTR").texts() == ["mx1.mailprov1.net."]


def test_self_hosted_mail_has_its_own_address_and_ptr_unless_broken(world, zones: ZoneSource) -> None:
    _, w = world
    for e in w.entries:
        name = e["name"]
        if w.mail_of[name] != "self" or "no-mx" in w.defects.get(name, []):
            continue
        addresses = answer(zones, f"mail.{name}", "A")
        if "mx-noaddr" in w.defects.get(name, []):
            assert addresses == []
            continue
        (ip,) = addresses
        ptr = zones.query(dns.name.from_text(ipaddress.ip_address(ip).reverse_pointer), "PTR").texts()
        assert ptr == ([] if "no-ptr" in w.defects.get(name, []) else [f"mail.{name}."])


@pytest.mark.skipif(os.geteuid() != 0 or not (shutil.which("named") and shutil.which("unbound")),
                    reason="the benchmark runs the DNS lab: root, bind9 and unbound")
def test_a_quick_benchmark_prints_every_row(tmp_path: Path) -> None:
    run = subprocess.run([str(BENCH / "run"), "--domains-count", "20", "--quick", "--no-browser", "--work",
                          str(tmp_path)], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHON": sys.executable})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    table = [line.split(" | ")[0].lstrip("| ") for line in run.stdout.splitlines() if line.startswith("| ")]
    assert [r for r in ROWS if r not in table] == []
    assert [r for r in SCALE_ROWS if not any(t.startswith(r) for t in table)] == []
    assert "Targets:" in run.stdout
    targets = [line for line in run.stdout.splitlines() if line.startswith(("- met: ", "- MISSED: "))]
    for issue_target in ("-n 2 at least 1.5 times faster", "no domain warmed up twice", "loads < 5 s and < 500 MiB",
                         "--shard 1/100 of", "in bounded memory", "shards merged give the single run's results",
                         "1 domain, full catalog", "each (name, type) asked once", "20 domains < 20 s",
                         "a plain list (domains.txt", "memory of all processes given in every row",
                         ">= 10x checkdmarc's speed per domain through 30 ms", "20 domains < 20 s with DNSSEC",
                         "20 domains with --smtp < 30 s", "each MX address probed once"):
        assert any(issue_target in t for t in targets), issue_target
    # what the rows count, not how fast: these hold on any machine
    must_hold = ["a plain list (domains.txt", "memory of all processes given in every row",
                 "about a third of the generated domains signed, with RSA and ECDSA both",
                 "the run verified signatures of both kinds", "-m dnssec: each (name, type) asked once"]
    if shutil.which("postfix"):
        must_hold.append("--smtp: each MX address probed once")
    for held in must_hold:
        assert any(t.startswith("- met: " + held) for t in targets), (held, targets)


@pytest.mark.skipif(os.geteuid() != 0 or not (shutil.which("named") and shutil.which("unbound")),
                    reason="the benchmark runs the DNS lab: root, bind9 and unbound")
def test_a_sharded_only_benchmark_runs_the_shards_and_checks_their_merge(tmp_path: Path) -> None:
    from scale import header

    run = subprocess.run([str(BENCH / "run"), "--domains-count", "20", "--sharded", "2", "--sharded-only",
                          "--no-browser", "--work", str(tmp_path)], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHON": sys.executable})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    table = [line.split(" | ")[0].lstrip("| ") for line in run.stdout.splitlines() if line.startswith("| ")]
    assert table[1:] == ["suite, shard 1/2", "suite, shard 2/2", "mailtests merge of the 2 shards",
                         "sharded run: 2 machines in parallel (the slowest shard + the merge)"]
    targets = [line for line in run.stdout.splitlines() if line.startswith(("- met: ", "- MISSED: "))]
    assert any(t.startswith("- met: 2 shards of about 10 domains: each domain in one shard") for t in targets), targets
    heads = [header(tmp_path / folder / "results.json") for folder in ("shard1", "shard2", "merged")]
    assert all(h["run"]["domains"] > 0 for h in heads[:2]) and sum(h["run"]["domains"] for h in heads[:2]) == 20
    assert heads[2]["run"]["domains"] == 20
    assert heads[2]["summary"] == {key: heads[0]["summary"][key] + heads[1]["summary"][key]
                                   for key in heads[2]["summary"]}
    whole = json.loads((tmp_path / "merged" / "results.json").read_text())
    assert {"run": whole["run"], "summary": whole["summary"]} == heads[2]


def test_domains_publish_dmarc_and_dkim_as_providers_have_them(tmp_path: Path) -> None:
    """At small size: provider customers CNAME a shared key and may report to the provider, which authorizes them;
    self-hosted domains publish their own key; the keys are real; the broken ones are broken as the manifest says."""
    from mailtests.dkim import parse_key
    from mailtests.dmarc import is_dmarc

    w = generate(tmp_path, 60)
    zones = ZoneSource([tmp_path / "zones"])
    config = {d.name: d for d in load_config(tmp_path / "domains.yaml").domains}
    cnamed = 0
    for e in w.entries:
        name, defects = e["name"], w.defects.get(e["name"], [])
        (selector,) = config[name].dkim_selectors
        key = zones.query(dns.name.from_text(f"{selector}._domainkey.{name}"), "TXT")
        (record,) = ["".join(t.strip('"') for t in text.split('" "')) for text in key.texts()]
        assert parse_key(record).bits == (1024 if "dkim-weak" in defects else 2048)
        cnamed += key.is_alias
        dmarc = [t for t in answer(zones, f"_dmarc.{name}", "TXT") if is_dmarc(t.strip('"'))]
        assert len(dmarc) == (0 if "no-dmarc" in defects else 2 if "dmarc-dup" in defects else 1)
        if w.mail_of[name] != "self" and "dkim-weak" not in defects:
            assert key.is_alias and key.final_name.to_text() == f"{selector}._domainkey.{w.mail_of[name]}.net."
    assert cnamed > len(w.entries) / 2
    assert answer(zones, "example-0.com._report._dmarc.mailprov1.net", "TXT") == ['"v=DMARC1"']  # the wildcard
def test_a_third_of_the_domains_are_signed_with_rsa_and_ecdsa_in_turn(world) -> None:
    """signed.json: about a third of the generated zones, for BenchLab to sign at lab start, both algorithms."""
    out, w = world
    signed = json.loads((out / "signed.json").read_text())
    assert signed == w.signed and set(signed) <= set(w.zones)
    assert 0.3 * COUNT < len(signed) < 0.37 * COUNT
    algorithms = Counter(signed.values())
    assert set(algorithms) == {"RSASHA256", "ECDSAP256SHA256"} and abs(algorithms["RSASHA256"] - len(signed) / 2) <= 1


def test_the_smtp_listeners_certificate_names_every_mx_host(world) -> None:
    """benchmarks/smtplab.py's certificate chains to its CA and names each generated MX host (smtp.certificate passes
    when the suite is given the CA with --ca-file)."""
    from cryptography import x509
    from smtplab import certificates

    _, w = world
    hosts = sorted(w.mx_addresses)
    ca_pem, chain = certificates(hosts)
    leaf, ca = x509.load_pem_x509_certificates(chain)
    assert ca.public_bytes(serialization.Encoding.PEM) == ca_pem
    leaf.verify_directly_issued_by(ca)
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName)
    assert set(hosts) <= set(names)


def test_mx_addresses_are_those_the_domains_point_at(world, zones: ZoneSource) -> None:
    """areas.mx_addresses (what --smtp must probe, each once) agrees with the zones: the A records of every MX host."""
    from areas import mx_addresses

    _, w = world
    found = set()
    for e in w.entries:
        for mx in answer(zones, e["name"], "MX"):
            found.update(answer(zones, mx.split()[1], "A"))
    assert mx_addresses(w) == found


def test_smtp_listeners_are_every_mx_address_once(world, zones: ZoneSource) -> None:
    """benchmarks/generate.py's smtp.json: the addresses a --smtp benchmark serves, each MX address once."""
    out, w = world
    listeners = json.loads((out / "smtp.json").read_text())["listeners"]
    addresses = [item["address"] for item in listeners]
    assert len(addresses) == len(set(addresses)) == len(w.mx_addresses)
    mx_hosts = set()
    for zone_name in w.zones:
        for line in (out / "zones" / f"{zone_name.rstrip('.')}.zone").read_text().splitlines():
            parts = line.split("\t")
            if len(parts) == 4 and parts[2] == "MX":
                host = parts[3].split()[1]
                mx_hosts.add(host.rstrip(".") if host.endswith(".") else f"{host}.{zone_name.rstrip('.')}")
    with_address = {item["host"] for item in listeners}
    assert with_address <= mx_hosts
    assert len(mx_hosts - with_address) == sum("mx-noaddr" in d for d in w.defects.values())
    assert len(listeners) < COUNT  # shared provider hosts: fewer sessions than domains


DNSSEC_STATS_SCRIPT = '''
import os, sys
from pathlib import Path
import dns.dnssec, dns.name, dns.rdataset, dns.rrset
from cryptography.hazmat.primitives.asymmetric import ec, rsa
sys.path.insert(0, sys.argv[2])
import experiments
experiments._dnssec_stats(Path(sys.argv[1]))
zone = dns.name.from_text("example.com.")
rrset = dns.rrset.from_text(zone, 300, "IN", "A", "192.0.2.1")

def signed(private, algorithm):
    key = dns.dnssec.make_dnskey(private.public_key(), algorithm, flags=257)
    sig = dns.dnssec.sign(rrset, private, zone, key, lifetime=3600)
    return sig, {zone: dns.rdataset.from_rdata_list(300, [key])}

rsa_sig, rsa_keys = signed(rsa.generate_private_key(65537, 2048), "RSASHA256")
ec_sig, ec_keys = signed(ec.generate_private_key(ec.SECP256R1()), "ECDSAP256SHA256")
dns.dnssec.validate_rrsig(rrset, rsa_sig, rsa_keys)
pid = os.fork()
if pid == 0:  # as mailtests/forked.py's warm-up process leaves: os._exit, no exit handlers
    dns.dnssec.validate_rrsig(rrset, ec_sig, ec_keys)
    dns.dnssec.validate_rrsig(rrset, ec_sig, ec_keys)
    os._exit(0)
os.waitpid(pid, 0)
'''


def test_the_dnssec_stats_hook_counts_verifications_in_every_process(tmp_path: Path) -> None:
    """experiments.py's BENCH_DNSSEC_STATS hook: each process that verified writes its count by algorithm, the forked
    warm-up process (leaving through os._exit) too; what the parent verified before the fork is not counted twice."""
    script = tmp_path / "verify.py"
    script.write_text(DNSSEC_STATS_SCRIPT)
    subprocess.run([sys.executable, str(script), str(tmp_path / "stats"), str(BENCH)], check=True, timeout=60)
    found = [json.loads(p.read_text()) for p in sorted((tmp_path / "stats").glob("dnssec-*.json"))]
    calls = sorted(json.dumps({alg: v["calls"] for alg, v in f.items()}) for f in found)
    assert calls == ['{"ECDSAP256SHA256": 2}', '{"RSASHA256": 1}']
    assert all(v["cpu_s"] > 0 for f in found for v in f.values())
