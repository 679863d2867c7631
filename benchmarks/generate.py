"""Generate N lab domains with the sharing real DNS has, as zone files and a domains.yaml.

Most domains sit on a few DNS providers' name servers, many send through a few mail
providers (shared MX hosts, PTRs and nested SPF includes, as large providers publish
them), the rest host their own DNS or mail. A few percent are broken in the catalog's
ways. Sending IPs come from 198.18.0.0/15 (RFC 2544, benchmarking): the mail
providers' from 198.18.0.0/16, the self-hosted servers' from 198.19.0.0/16, each with
a PTR record (except the broken ones).

Mail authentication as real providers publish it: a mail provider's customers point a
DKIM selector at the provider's shared key record (a CNAME, as bulk senders' customers
do) and publish DMARC, half of them sending aggregate reports to the provider, which
authorizes every domain with a wildcard ``*._report._dmarc`` record (RFC 9990 §4);
self-hosted domains publish their own 2048-bit key and DMARC record. The keys are
real (a small pool, generated once per run with ``cryptography``). A few domains are
broken: no DMARC, two DMARC records, a 1024-bit key.

Output folder::

    zones/<zone>.zone        every generated zone (loads with mailtests' ZoneSource)
    delegations/<tld>.extra  lines to append to the lab's com/net/org/arpa zones
    views.json               BIND view name -> {"addresses": [...], "zones": [...]}
    domains.yaml             the domains to audit, resolver 127.53.0.53
    manifest.json            what was generated: providers, defects per domain
    signed.json              the zones BenchLab signs at lab start, with their DNSSEC algorithm ({zone: algorithm})
    smtp.json                every MX host address once ({"host", "address"}): where a benchmark of --smtp
                             starts SMTP listeners (shared provider hosts are probed once however many
                             domains use them)

    python benchmarks/generate.py OUT_DIR --domains-count 1000
"""

from __future__ import annotations

import argparse
import base64
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

RESOLVER = "127.53.0.53"
WORDS = ("acme", "bakery", "clinic", "dental", "energy", "farm", "garage", "hotel", "insure", "joinery", "kiosk",
         "legal", "motors", "notary", "optics", "pharma", "quarry", "roofing", "school", "travel")
TLDS = ("com", "net", "org")
#: DNS providers: share of the domains each serves (the rest host their own name servers).
DNS_SHARES = (0.40, 0.25, 0.12, 0.06)
#: Mail providers: share of the domains each carries (the rest run their own mail server).
MAIL_SHARES = (0.30, 0.18, 0.10, 0.05)
#: Defects, each on about this share of the domains (as the catalog names them).
DEFECTS = {"no-mx": 0.006, "mx-noaddr": 0.006, "spf-toomany": 0.006, "no-ptr": 0.006, "single-ns": 0.006,
           "no-spf": 0.006, "spf-plusall": 0.004, "no-dmarc": 0.006, "dmarc-dup": 0.004, "dkim-weak": 0.004}
#: The DMARC policies domains publish, by share (the rest: p=reject).
DMARC_POLICIES = (("none", 0.35), ("quarantine", 0.25))
SELF_DNS_ADDRESSES = tuple(f"127.53.3.{k}" for k in range(1, 5))
SOA_TIMES = "7200 900 1209600 3600"
#: The DNSSEC algorithms of the signed domains, in turn (RSA/SHA-256 2048-bit keys are still the most common, ECDSA
#: P-256 the next): the verifications the suite makes are of both kinds.
SIGNING_ALGORITHMS = ("RSASHA256", "ECDSAP256SHA256")


def key_pool(rng: random.Random, count: int = 4) -> dict[int, list[str]]:
    """Real RSA public keys (base64 SubjectPublicKeyInfo) by size, a few of each, to share among the domains."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    def one(bits: int) -> str:
        key = rsa.generate_private_key(65537, bits).public_key()
        return base64.b64encode(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).decode()

    return {2048: [one(2048) for _ in range(count)], 1024: [one(1024)]}


def dkim_record(key: str) -> str:
    return f"v=DKIM1; k=rsa; p={key}"


def dns_provider_addresses(p: int) -> tuple[str, str]:
    """The two name server addresses of DNS provider ``p`` (1-based)."""
    return f"127.53.2.{10 * p + 1}", f"127.53.2.{10 * p + 2}"


def reverse_name(ip: str) -> tuple[str, str]:
    """The /16 reverse zone of an IPv4 address and the owner name inside it: ``(19.198.in-addr.arpa., "4.3")``."""
    a, b, c, d = ip.split(".")
    return f"{b}.{a}.in-addr.arpa.", f"{d}.{c}"


@dataclass
class Zone:
    """One zone file being built: its name, name servers and records (relative owner names)."""

    name: str
    ns: list[str]
    view: str
    records: list[str] = field(default_factory=list)

    def add(self, owner: str, rtype: str, data: str, ttl: int | None = None) -> None:
        self.records.append(f"{owner}\t{ttl or ''}\tIN\t{rtype}\t{data}".replace("\t\tIN", "\tIN"))

    def text(self) -> str:
        head = [f"; {self.name} -- generated by benchmarks/generate.py", f"$ORIGIN {self.name}", "$TTL 3600",
                f"@\tIN\tSOA\t{self.ns[0]} hostmaster.{self.name} ( 2024060101 {SOA_TIMES} )"]
        head += [f"@\tIN\tNS\t{h}" for h in self.ns]
        return "\n".join(head + self.records) + "\n"


def txt(text: str) -> str:
    """A TXT RDATA: strings of at most 255 octets, quoted."""
    return " ".join(f'"{text[i:i + 255]}"' for i in range(0, len(text), 255))


class World:
    """Everything generated: zones by view, TLD delegations, domain entries and defects."""

    def __init__(self, count: int, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.zones: dict[str, Zone] = {}
        self.delegations: dict[str, list[str]] = {tld: [] for tld in (*TLDS, "arpa")}
        self.signed: dict[str, str] = {}  # zone -> DNSSEC algorithm: BenchLab signs them at lab start, DS in the TLD
        self.views: dict[str, list[str]] = {}
        self.entries: list[dict] = []
        self.defects: dict[str, list[str]] = {}
        self.dns_of: dict[str, str] = {}
        self.mail_of: dict[str, str] = {}
        self.self_mail = 0
        self.keys = key_pool(self.rng)
        self.mx_addresses: dict[str, str] = {}  # MX host -> its address (what an SMTP probe connects to)
        self._dns_providers()
        self._mail_providers()
        self.reverse: dict[str, Zone] = {}
        for z in ("18.198.in-addr.arpa.", "19.198.in-addr.arpa."):
            self.reverse[z] = self.zone(z, self.provider_ns(1), "bench-dns1")
            self.delegate(z, self.provider_ns(1))
        for m in range(1, len(MAIL_SHARES) + 1):
            for k in (1, 2):
                zone, owner = reverse_name(self.mail_ip(m, k))
                self.reverse[zone].add(owner, "PTR", f"mx{k}.mailprov{m}.net.")
        for i in range(count):
            self._domain(i)

    # -- building blocks ------------------------------------------------------------------
    def zone(self, name: str, ns: list[str], view: str) -> Zone:
        zone = self.zones[name] = Zone(name, ns, view)
        return zone

    def delegate(self, name: str, ns: list[str], glue: dict[str, str] | None = None) -> None:
        """Delegation lines for the parent TLD zone (com, net, org or arpa), with glue."""
        tld = name.rstrip(".").rsplit(".", 1)[-1]
        lines = self.delegations[tld]
        lines += [f"{name}\t172800\tIN\tNS\t{h}" for h in ns]
        lines += [f"{h}\t172800\tIN\tA\t{a}" for h, a in (glue or {}).items()]

    @staticmethod
    def provider_ns(p: int) -> list[str]:
        return [f"ns1.dnsprov{p}.net.", f"ns2.dnsprov{p}.net."]

    @staticmethod
    def mail_ip(m: int, k: int) -> str:
        return f"198.18.{m}.{k}"

    def _dns_providers(self) -> None:
        for p in range(1, len(DNS_SHARES) + 1):
            ns, addrs = self.provider_ns(p), dns_provider_addresses(p)
            view = f"bench-dns{p}"
            self.views[view] = list(addrs)
            zone = self.zone(f"dnsprov{p}.net.", ns, view)
            for host, addr in zip(ns, addrs, strict=True):
                zone.add(host, "A", addr)
            self.delegate(zone.name, ns, dict(zip(ns, addrs, strict=True)))
        self.views["bench-self"] = list(SELF_DNS_ADDRESSES)

    def _mail_providers(self) -> None:
        """Mail providers: two MX hosts each, and an SPF tree like the large ones publish (an include of
        three netblock records: four lookups)."""
        for m in range(1, len(MAIL_SHARES) + 1):
            p = (m - 1) % len(DNS_SHARES) + 1
            zone = self.zone(f"mailprov{m}.net.", self.provider_ns(p), f"bench-dns{p}")
            self.delegate(zone.name, zone.ns)
            zone.add("@", "MX", "10 mx1")
            zone.add("@", "TXT", txt(f"v=spf1 include:_spf.mailprov{m}.net ~all"))
            for k in (1, 2):
                zone.add(f"mx{k}", "A", self.mail_ip(m, k))
                self.mx_addresses[f"mx{k}.mailprov{m}.net"] = self.mail_ip(m, k)
            zone.add("_spf", "TXT", txt("v=spf1 " + " ".join(f"include:_netblocks{b}.mailprov{m}.net"
                                                               for b in (1, 2, 3)) + " ~all"))
            zone.add("_netblocks1", "TXT", txt(f"v=spf1 ip4:198.18.{m}.0/24 ip4:198.18.{m + 100}.0/24 ~all"))
            zone.add("_netblocks2", "TXT", txt(f"v=spf1 ip6:2001:db8:{m:x}00::/40 ip6:2001:db8:{m:x}80::/41 ~all"))
            zone.add("_netblocks3", "TXT", txt(f"v=spf1 ip4:198.18.{m + 50}.0/24 ip4:198.18.{m + 150}.0/24 ~all"))
            zone.add("_dmarc", "TXT", txt(f"v=DMARC1; p=reject; rua=mailto:dmarc@mailprov{m}.net"))
            zone.add("*._report._dmarc", "TXT", txt("v=DMARC1"))  # reports accepted for every customer
            zone.add(f"pm{m}._domainkey", "TXT", txt(dkim_record(self.keys[2048][m % len(self.keys[2048])])))

    def _pick(self, shares: tuple[float, ...]) -> int:
        """1-based index of a provider by share, 0 for self-hosted."""
        r = self.rng.random()
        for k, share in enumerate(shares, start=1):
            if r < share:
                return k
            r -= share
        return 0

    # -- one domain -------------------------------------------------------------------------
    def _domain(self, i: int) -> None:
        name = f"{WORDS[i % len(WORDS)]}-{i}.{TLDS[i % len(TLDS)]}"
        fq = name + "."
        defects = [d for d, share in DEFECTS.items() if self.rng.random() < share]
        if "no-mx" in defects:
            defects = [d for d in defects if d not in ("mx-noaddr", "no-ptr")]  # no exchange: those do not apply
        p, m = self._pick(DNS_SHARES), self._pick(MAIL_SHARES)
        if "no-ptr" in defects or "mx-noaddr" in defects:
            m = 0  # self-hosted mail: the domain's own server lacks the record
        self.dns_of[name], self.mail_of[name] = (f"dnsprov{p}" if p else "self"), (f"mailprov{m}" if m else "self")
        if p:
            ns, view, glue = self.provider_ns(p), f"bench-dns{p}", None
        else:
            ns = [f"ns1.{fq}", f"ns2.{fq}"]
            view = "bench-self"
            glue = {ns[0]: SELF_DNS_ADDRESSES[i % 4], ns[1]: SELF_DNS_ADDRESSES[(i + 1) % 4]}
        if "single-ns" in defects:
            ns = ns[:1]
            glue = {ns[0]: glue[ns[0]]} if glue else None
        zone = self.zone(fq, ns, view)
        self.delegate(fq, ns, glue)
        for host, addr in (glue or {}).items():
            zone.add(host, "A", addr)
        entry: dict = {"name": name}
        spf_terms: list[str]
        if "no-mx" in defects:
            spf_terms = ["-all"]
        elif m:
            zone.add("@", "MX", f"10 mx1.mailprov{m}.net.")
            zone.add("@", "MX", f"20 mx2.mailprov{m}.net.")
            spf_terms = [f"include:_spf.mailprov{m}.net", "~all"]
            entry["helo"] = f"mx1.mailprov{m}.net"
        else:
            k, self.self_mail = self.self_mail, self.self_mail + 1  # the k-th self-hosted mail server
            ip = f"198.19.{k // 250}.{k % 250 + 1}"
            zone.add("@", "MX", "10 mail")
            if "mx-noaddr" not in defects:
                zone.add("mail", "A", ip)
                self.mx_addresses[f"mail.{name}"] = ip
            if "no-ptr" not in defects:
                rzone, owner = reverse_name(ip)
                self.reverse[rzone].add(owner, "PTR", f"mail.{fq}")
            spf_terms = ["mx", "-all"] if i % 2 else [f"ip4:{ip}", "-all"]
            entry["helo"] = f"mail.{name}"
            if "mx-noaddr" in defects:
                entry["sending_ips"] = [ip]
        if "spf-toomany" in defects:  # two providers' trees (4 lookups each) and three more: 11
            spf_terms = ["a", "mx", "include:_spf.mailprov1.net", "include:_spf.mailprov2.net", "a:www." + name,
                         "~all"]
        if "spf-plusall" in defects:
            spf_terms[-1] = "+all"
        if "no-spf" not in defects:
            zone.add("@", "TXT", txt("v=spf1 " + " ".join(spf_terms)))
        self._authentication(zone, entry, name, m, defects)
        if i % 3 == 0:
            zone.add("@", "TXT", txt(f"site-verification={self.rng.getrandbits(128):032x}"))
        zone.add("@", "A", f"198.18.200.{i % 250 + 1}")
        zone.add("www", "CNAME", "@")
        self.entries.append(entry)
        if i % 3 == 1:  # a third of the domains signed (DNSSEC), as on the real internet under some TLDs
            self.signed[fq] = SIGNING_ALGORITHMS[len(self.signed) % len(SIGNING_ALGORITHMS)]
        if defects:
            self.defects[name] = defects

    def _authentication(self, zone: Zone, entry: dict, name: str, m: int, defects: list[str]) -> None:
        """DKIM and DMARC as the domain's mail provider has it publish them, or as a self-hosted server does."""
        selector = f"pm{m}" if m else "mail"
        rua = f"dmarc@mailprov{m}.net" if m and self.rng.random() < 0.5 else f"dmarc@{name}"
        if "dkim-weak" in defects:  # an old key of its own, whoever sends its mail
            zone.add(f"{selector}._domainkey", "TXT", txt(dkim_record(self.keys[1024][0])))
        elif m:
            zone.add(f"{selector}._domainkey", "CNAME", f"{selector}._domainkey.mailprov{m}.net.")
        else:
            zone.add(f"{selector}._domainkey", "TXT", txt(dkim_record(self.rng.choice(self.keys[2048]))))
        entry["dkim_selectors"] = [selector]
        policy, r = "reject", self.rng.random()
        for candidate, share in DMARC_POLICIES:
            if r < share:
                policy = candidate
                break
            r -= share
        if "no-dmarc" not in defects:
            zone.add("_dmarc", "TXT", txt(f"v=DMARC1; p={policy}; rua=mailto:{rua}"))
        if "dmarc-dup" in defects:
            zone.add("_dmarc", "TXT", txt(f"v=DMARC1; p=none; rua=mailto:{rua}"))

    # -- output ---------------------------------------------------------------------------------
    def write(self, out: Path) -> None:
        (out / "zones").mkdir(parents=True, exist_ok=True)
        (out / "delegations").mkdir(exist_ok=True)
        for zone in self.zones.values():
            (out / "zones" / f"{zone.name.rstrip('.')}.zone").write_text(zone.text(), encoding="utf-8")
        for tld, lines in self.delegations.items():
            (out / "delegations" / f"{tld}.extra").write_text("\n".join(["; generated delegations", *lines]) + "\n",
                                                              encoding="utf-8")
        views = {v: {"addresses": addrs, "zones": []} for v, addrs in self.views.items()}
        for zone in self.zones.values():
            views[zone.view]["zones"].append(zone.name)
        (out / "views.json").write_text(json.dumps(views, indent=1), encoding="utf-8")
        lines = ["# generated by benchmarks/generate.py: the benchmark's domains, answered by the DNS lab",
                 f'resolvers: ["{RESOLVER}"]', "timeout: 2.0", "domains:"]
        for e in self.entries:
            lines.append(f"  - name: {e['name']}")
            if "helo" in e:
                lines.append(f"    helo: {e['helo']}")
            if "sending_ips" in e:
                lines.append(f"    sending_ips: [{', '.join(e['sending_ips'])}]")
            if e.get("dkim_selectors"):
                lines.append(f"    dkim_selectors: [{', '.join(e['dkim_selectors'])}]")
        (out / "domains.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (out / "signed.json").write_text(json.dumps(self.signed), encoding="utf-8")  # signed by BenchLab at start
        manifest = {"domains": [e["name"] for e in self.entries], "defects": self.defects, "signed": self.signed,
                    "dns_provider": self.dns_of, "mail_provider": self.mail_of}
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        listeners = [{"host": h, "address": a} for h, a in self.mx_addresses.items()]
        (out / "smtp.json").write_text(json.dumps({"listeners": listeners}, indent=1), encoding="utf-8")


def generate(out: Path, count: int, seed: int = 1) -> World:
    """Generate ``count`` domains into ``out`` (see the module docstring)."""
    world = World(count, seed)
    world.write(Path(out))
    return world


def domains_file(path: Path, count: int) -> Path:
    """A domains file of ``count`` domains shaped as the generated ones (name, helo, DKIM selector, some sending IPs),
    without their zones: for measuring how large files load. ``.txt``: a plain list, one name a line."""
    path = Path(path)
    if path.suffix == ".txt":
        names = (f"{WORDS[i % len(WORDS)]}-{i}.{TLDS[i % len(TLDS)]}" for i in range(count))
        path.write_text("# generated by benchmarks/generate.py: a registrar's export\n" + "\n".join(names) + "\n",
                        encoding="utf-8")
        return path
    lines = ["# generated by benchmarks/generate.py (domains_file)", f'resolvers: ["{RESOLVER}"]', "timeout: 2.0",
             "domains:"]
    for i in range(count):
        m = i % 5
        lines.append(f"  - name: {WORDS[i % len(WORDS)]}-{i}.{TLDS[i % len(TLDS)]}")
        lines.append(f"    helo: mx1.mailprov{m}.net" if m else f"    helo: mail.{WORDS[i % len(WORDS)]}-{i}.com")
        lines.append(f"    dkim_selectors: [pm{m}]" if m else "    dkim_selectors: [mail]")
        if not m and i % 2:
            lines.append(f"    sending_ips: [198.19.{i // 250 % 250}.{i % 250 + 1}]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the folder to write")
    parser.add_argument("--domains-count", type=int, default=1000, help="how many domains (default 1,000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    world = generate(args.out, args.domains_count, args.seed)
    print(f"{len(world.entries)} domains, {len(world.zones)} zones, {len(world.defects)} with defects -> {args.out}")


if __name__ == "__main__":
    main()
