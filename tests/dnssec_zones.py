"""Signed zone files made with dnspython for the offline DNSSEC tests: a private root, com, and one
domain per defect (the lab signs the same defects with BIND's tools; these need no BIND).

``write_tree(folder)`` writes ``root.zone``, ``com.zone`` and ``<domain>.zone`` files and
``anchor.ds`` (the private root's DS, a trust anchor file), and returns what it made.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.NSEC3PARAM
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec, rsa

DAY = 86400


@dataclass
class Signed:
    name: str
    alg: int = 13
    rsa_bits: int = 2048
    inception: float = 0.0  # relative to now
    expiration: float = 30 * DAY
    nsec3: tuple[int, bytes] | None = None  # (iterations, salt)
    signed: bool = True
    ds: bool = True  # the parent publishes a DS for the zone
    ds_from_other_key: bool = False  # the parent's DS names a key the zone does not have
    drop_sig: str | None = None  # the type whose RRSIGs are removed after signing
    ds_digest: int = 2
    extra: list[str] = field(default_factory=list)


DOMAINS = [
    Signed("ok.com"),
    Signed("expired.com", inception=-30 * DAY, expiration=-DAY),
    Signed("future.com", inception=10 * DAY, expiration=40 * DAY),
    Signed("dsnokey.com", ds_from_other_key=True),
    Signed("dsunsigned.com", signed=False),
    Signed("nomxsig.com", drop_sig="MX"),
    Signed("rsasha1.com", alg=5, rsa_bits=1024),
    Signed("nsec3.com", nsec3=(10, b"\xab\xcd")),
    Signed("expiring.com", expiration=6 * 3600),
    Signed("sha1ds.com", ds_digest=1),
    Signed("unsigned.com", signed=False, ds=False),
]


def _key(alg: int, bits: int, flags: int):
    private = ec.generate_private_key(ec.SECP256R1()) if alg == 13 else rsa.generate_private_key(65537, bits)
    return private, dns.dnssec.make_dnskey(private.public_key(), alg, flags=flags)


def _zone(name: str, body: str) -> dns.zone.Zone:
    origin = dns.name.from_text(name).to_text()
    host = "ns1.com." if origin in (".", "com.") else f"ns1.{origin}"
    mbox = "hostmaster." + ("" if origin == "." else origin)
    text = (f"$ORIGIN {origin}\n$TTL 3600\n@ SOA {host} {mbox} 1 7200 900 1209600 3600\n"
            f"@ NS {host}\n{body}")
    return dns.zone.from_text(text, dns.name.from_text(name), relativize=False, check_origin=False)


def _domain_body(name: str) -> str:
    aliases = ("_25._tcp.mx2 CNAME _25._tcp.mx.expiring.com.\n_25._tcp.mx3 CNAME _25._tcp.mx.expired.com.\n"
               if name == "ok.com" else "")  # TLSA records by alias, in other zones
    return (f"@ MX 10 mx.{name}.\n@ TXT \"v=spf1 -all\"\nns1 A 192.0.2.1\nmx A 192.0.2.2\n"
            f"_25._tcp.mx TLSA 3 1 1 {'ab' * 32}\n{aliases}")


def _sign(zone: dns.zone.Zone, spec: Signed, now: float) -> dns.rdata.Rdata:
    ksk = _key(spec.alg, spec.rsa_bits, 257)
    zsk = _key(spec.alg, spec.rsa_bits, 256)
    with zone.writer() as txn:
        if spec.nsec3 is not None:  # dnspython signs with NSEC only: the NSEC3PARAM alone carries the parameters
            param = dns.rdtypes.ANY.NSEC3PARAM.NSEC3PARAM(dns.rdataclass.IN, dns.rdatatype.NSEC3PARAM, 1, 0,
                                                          spec.nsec3[0], spec.nsec3[1])
            txn.add(zone.origin, 0, param)
        dns.dnssec.sign_zone(zone, txn, keys=[ksk, zsk], inception=now + spec.inception,
                             expiration=now + spec.expiration, policy=dns.dnssec.allow_all_policy)
    if spec.drop_sig:
        covered = dns.rdatatype.from_text(spec.drop_sig)
        for node in zone.nodes.values():
            node.delete_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, covered)
    return ksk[1]


def _write(zone: dns.zone.Zone, path: Path) -> None:
    path.write_text(f"$ORIGIN {zone.origin.to_text()}\n" + zone.to_text(relativize=False))


def write_tree(folder: Path, now: float | None = None, domains: list[Signed] | None = None) -> dict[str, Path]:
    now = time.time() if now is None else now
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}
    delegations = []
    for spec in domains or DOMAINS:
        zone = _zone(spec.name, _domain_body(spec.name) + "".join(f"{line}\n" for line in spec.extra))
        ksk = _sign(zone, spec, now) if spec.signed else _key(13, 0, 257)[1]
        if spec.ds_from_other_key:
            ksk = _key(spec.alg, spec.rsa_bits, 257)[1]
        label = spec.name.removesuffix(".com")
        delegations.append(f"{label} NS ns1.{spec.name}.\nns1.{label} A 192.0.2.1\n")
        if spec.ds:
            ds = dns.dnssec.make_ds(spec.name + ".", ksk, spec.ds_digest, policy=dns.dnssec.allow_all_policy)
            delegations.append(f"{label} DS {ds.to_text()}\n")
        made[spec.name] = folder / f"{spec.name}.zone"
        _write(zone, made[spec.name])
    com = _zone("com", "ns1 A 192.0.2.1\n" + "".join(delegations))
    com_ksk = _sign(com, Signed("com"), now)
    made["com"] = folder / "com.zone"
    _write(com, made["com"])
    root = _zone(".", f"com. NS ns1.com.\nns1.com. A 192.0.2.1\ncom. DS {dns.dnssec.make_ds('com.', com_ksk, 2)}\n")
    root_ksk = _sign(root, Signed("."), now)
    made["."] = folder / "root.zone"
    _write(root, made["."])
    made["anchor"] = folder.parent / f"{folder.name}-anchor.ds"
    made["anchor"].write_text(f". IN DS {dns.dnssec.make_ds('.', root_ksk, 2)}\n")
    return made
