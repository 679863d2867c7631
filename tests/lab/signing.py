"""DNSSEC for the lab: keys made and zones signed at each lab start, into the lab's temp workdir.

Nothing generated is committed: ``tests/lab/zones`` holds the unsigned zones; :func:`sign_lab`
makes one ECDSA P-256 key (algorithm 13, a combined signing key) per signed zone with
``dnssec-keygen``, signs the domains first, adds their DS records to their TLD's copy, signs the TLDs,
adds theirs to the root's copy and signs the root, each with ``dnssec-signzone``; then the defects
of :data:`PLANS` are made (signature windows, a DS for a key that is not in the zone, a removed
RRSIG, a changed TLSA record). Unbound validates from the root's DS (``root.anchor``).
See README.md, "DNSSEC", for each domain and what the checks must say.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ECDSA = "ECDSAP256SHA256"


@dataclass(frozen=True)
class Plan:
    """How one lab zone is signed (``signed=False``: not at all) and what the parent publishes for it."""

    zone: str
    signed: bool = True
    algorithm: str = ECDSA
    bits: int | None = None
    start: str | None = None  # dnssec-signzone -s (inception)
    end: str | None = None  # dnssec-signzone -e (expiration)
    nsec3: tuple[int, str] | None = None  # (additional iterations, salt or "-")
    ds: str = "key"  # what the parent publishes: "key" (the zone's key), "other" (a key not in the zone), "none"
    drop_rrsig: str | None = None  # RRSIGs over this type are removed after signing
    tamper: str | None = None  # the type whose record data is changed after signing (the signature no longer fits)
    parent: str = "com"  # the signed TLD that delegates the zone (and publishes its DS)


PLANS: tuple[Plan, ...] = (
    Plan("dnssec-ok.com", nsec3=(0, "-")),
    Plan("dnssec-expired.com", start="now-40d", end="now-3d"),  # beyond the resolvers' clock skew (1 day)
    Plan("dnssec-future.com", start="now+10d", end="now+40d"),
    Plan("dnssec-dsnokey.com", ds="other"),
    Plan("dnssec-dsunsigned.com", signed=False, ds="other"),
    Plan("dnssec-nomxsig.com", drop_rrsig="MX"),
    Plan("dnssec-rsasha1.com", algorithm="RSASHA1", bits=2048),
    Plan("dnssec-nsec3.com", nsec3=(10, "ABCD")),
    Plan("dnssec-expiring.com", end="now+6h"),
    Plan("dane-ok.com"),
    Plan("dane-bogus.com", tamper="TLSA"),
    # DANE (README.md, "DANE"): the transport lab's MX hosts, whose TLSA records name Postfix's key and the lab CA
    Plan("mx-lab.net", parent="net"),
    Plan("dane-ta.com"),
    Plan("dane-mismatch.com"),
    Plan("dane-pkix.com"),
    Plan("dane-alias.com"),
)
#: The TLDs signed (arpa stays unsigned: the reverse zones are insecure below it), and the root.
TLDS = ("com", "net", "org")


def _fqdn(zone: str) -> str:
    return zone if zone.endswith(".") else zone + "."


def _run(argv: list[str], cwd: Path) -> str:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def _keygen(zone: str, keys: Path, algorithm: str = ECDSA, bits: int | None = None) -> str:
    """A combined signing key (KSK flag; it signs everything, -z) for ``zone``: its file stem."""
    argv = ["dnssec-keygen", "-q", "-a", algorithm, "-f", "KSK", "-K", str(keys)]
    if bits:
        argv += ["-b", str(bits)]
    return _run([*argv, _fqdn(zone)], keys).strip()


def _dnskey(keys: Path, stem: str) -> str:
    return "\n".join(line for line in (keys / f"{stem}.key").read_text().splitlines() if not line.startswith(";"))


def _ds(keys: Path, stem: str) -> str:
    return _run(["dnssec-dsfromkey", "-2", str(keys / f"{stem}.key")], keys).strip()


def _sign(plan: Plan, source: str, extra: str, stem: str, work: Path) -> Path:
    base = "root" if plan.zone == "." else plan.zone
    unsigned = work / f"{base}.unsigned"
    unsigned.write_text(f"{source.rstrip()}\n; added at lab start\n{extra}\n")
    out = work / f"{base}.signed"
    argv = ["dnssec-signzone", "-q", "-P", "-z", "-O", "full", "-K", str(work / "keys"), "-o", _fqdn(plan.zone),
            "-f", str(out)]
    if plan.start:
        argv += ["-s", plan.start]
    if plan.end:
        argv += ["-e", plan.end]
    if plan.nsec3:
        argv += ["-3", plan.nsec3[1], "-H", str(plan.nsec3[0])]
    _run([*argv, str(unsigned), str(work / "keys" / stem)], work)
    if plan.drop_rrsig or plan.tamper:
        lines = []
        for line in out.read_text().splitlines():
            fields = line.split()
            if plan.drop_rrsig and len(fields) > 4 and fields[3] == "RRSIG" and fields[4] == plan.drop_rrsig:
                continue
            if plan.tamper and len(fields) > 4 and fields[3] == plan.tamper:
                line = line[:-1] + ("0" if line[-1] != "0" else "1")  # one hex digit of the data changed
            lines.append(line)
        out.write_text("\n".join(lines) + "\n")
    return out


def sign_lab(zone_dir: Path, work: Path, extra: dict[str, str] | None = None) -> tuple[dict[str, Path], Path]:
    """Sign the lab's zones into ``work``: (zone name with final dot -> signed file, the root's trust anchor file).

    ``extra``: text to append to a zone (by name without the final dot) before it is signed (the benchmark's
    generated delegations)."""
    keys = work / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    plans = {p.zone: p for p in PLANS} | {t: Plan(t) for t in TLDS} | {".": Plan(".")}
    signed: dict[str, Path] = {}

    def source(zone: str) -> str:
        text = (zone_dir / ("root.zone" if zone == "." else f"{zone}.zone")).read_text()
        return text + (extra or {}).get(zone, "")

    with ThreadPoolExecutor(max_workers=4) as pool:
        def each(fn, items: list[str]) -> dict:
            return dict(zip(items, pool.map(fn, items), strict=True))

        stems = each(lambda z: _keygen(z, keys, plans[z].algorithm, plans[z].bits), list(plans))
        others = each(lambda z: _keygen(z, keys), [z for z, p in plans.items() if p.ds == "other"])
        ds = {z: _ds(keys, others.get(z, stems[z])) for z, p in plans.items() if p.ds != "none"}
        domains = [p.zone for p in PLANS if p.signed]
        signed |= each(lambda z: _sign(plans[z], source(z), _dnskey(keys, stems[z]), stems[z], work), domains)
        below = {t: "".join(f"\n{ds[p.zone]}" for p in PLANS if p.zone in ds and p.parent == t) for t in TLDS}
        signed |= each(lambda t: _sign(plans[t], source(t), _dnskey(keys, stems[t]) + below[t], stems[t], work),
                       list(TLDS))
    root_extra = _dnskey(keys, stems["."]) + "\n" + "\n".join(ds[t] for t in TLDS)
    signed["."] = _sign(plans["."], source("."), root_extra, stems["."], work)
    anchor = work / "root.anchor"
    anchor.write_text(ds["."] + "\n")
    return {_fqdn(z): path for z, path in signed.items()}, anchor
