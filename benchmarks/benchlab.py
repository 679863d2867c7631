"""The DNS lab (tests/lab) serving the generated benchmark zones too.

:class:`BenchLab` is the lab of ``tests/lab/lab.py`` with, on top: one BIND view per
generated DNS provider (and one for the self-hosted name servers) on addresses of
its own, the generated delegations appended to copies of the lab's com/net/org/arpa
zones, a resolver cache sized for 10,000 domains, and extra loopback addresses (for
the latency proxy). The lab's own zones and servers are unchanged.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dns.flags
import dns.message
import dns.query

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.lab import lab as _lab  # noqa: E402
from tests.lab import signing  # noqa: E402

#: Unbound's default caches (4 MB messages, 4 MB RRsets) evict part of a 10,000-domain run.
UNBOUND_CACHE = "    msg-cache-size: 128m\n    rrset-cache-size: 256m\n    key-cache-size: 4m\n"


class BenchLab(_lab.Lab):
    """The lab plus the zones of ``benchmarks/generate.py`` in ``gen_dir``; ``extra_addresses`` are added to lo."""

    def __init__(self, gen_dir: Path, extra_addresses: tuple[str, ...] = ()) -> None:
        super().__init__(private_netns=True)  # one-way: this process and its children leave the host's netns
        self.gen_dir = Path(gen_dir)
        self.views: dict[str, dict] = json.loads((self.gen_dir / "views.json").read_text(encoding="utf-8"))
        self.extra_addresses = tuple(extra_addresses)
        self.bench_signed: dict[str, Path] = {}  # generated zone -> its signed file (DNSSEC; made at start)

    @property
    def bench_addresses(self) -> list[str]:
        return [a for v in self.views.values() for a in v["addresses"]] + list(self.extra_addresses)

    def start(self, timeout: float = 120.0) -> None:
        super().start(timeout)

    def _setup_addresses(self) -> None:
        super()._setup_addresses()
        present = _lab._ip("-o", "-4", "addr", "show", "dev", "lo")
        leftover = _lab._ip("-o", "-4", "addr", "show", "dev", "lo", "label", _lab.ADDR_LABEL)
        for addr in self.bench_addresses:
            if addr in self.added:
                continue
            if f"inet {addr}/" in leftover:
                self.added.append(addr)
            elif f"inet {addr}/" not in present:
                _lab._ip("addr", "add", f"{addr}/32", "dev", "lo", "label", _lab.ADDR_LABEL)
                self.added.append(addr)

    def _check_ports_free(self) -> None:
        super()._check_ports_free()
        for addr in self.bench_addresses:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                try:
                    s.bind((addr, _lab.PORT))
                except OSError as exc:
                    raise _lab.LabError(f"{addr} port {_lab.PORT} is in use ({exc.strerror})") from None

    def _write_configs(self) -> None:
        super()._write_configs()
        assert self.workdir
        conf_path = self.workdir / "named.conf"
        conf = conf_path.read_text()
        for extra in sorted((self.gen_dir / "delegations").glob("*.extra")):
            tld = extra.name.removesuffix(".extra")
            if f"{tld}." in self.signed_zones:  # signed by the lab with the delegations in (zone_extras)
                continue
            original = _lab.ZONE_DIR / f"{tld}.zone"
            merged = self.workdir / f"{tld}.zone"
            merged.write_text(original.read_text() + extra.read_text())
            old = f'file "{original}"'
            if old not in conf:
                raise _lab.LabError(f"named.conf does not load {original}: the lab changed, update benchlab.py")
            conf = conf.replace(old, f'file "{merged}"')
        addresses = [a for v in self.views.values() for a in v["addresses"]]
        conf, n = re.subn(r"listen-on port (\d+) \{ ", lambda m: m.group(0) + " ".join(a + ";" for a in addresses)
                          + " ", conf, count=1)
        if n != 1:
            raise _lab.LabError("named.conf has no listen-on line: the lab changed, update benchlab.py")
        zones_dir = self.gen_dir / "zones"
        for view, spec in self.views.items():
            body = "".join(f'    zone "{z}" {{ type primary; file '
                           f'"{self.bench_signed.get(z, zones_dir / (z.rstrip(".") + ".zone"))}"; }};\n'
                           for z in spec["zones"])
            conf += (f'view "{view}" {{\n    match-clients {{ any; }};\n'
                     f'    match-destinations {{ {" ".join(a + ";" for a in spec["addresses"])} }};\n{body}}};\n')
        # the query log of 100,000s of questions costs BIND time and disk: the benchmark does not read it
        conf = conf.replace("    querylog yes;\n", "    querylog no;\n")
        conf_path.write_text(conf)
        unbound = self.workdir / "unbound.conf"
        text = unbound.read_text().replace("    log-replies: yes\n", "    log-replies: no\n")
        unbound.write_text(text.replace("    num-threads: 1\n", "    num-threads: 1\n" + UNBOUND_CACHE))

    def zone_extras(self) -> dict[str, str]:
        """The generated delegations, added to the TLDs before the lab signs them (DNSSEC); the generated zones
        listed in signed.json are signed first (one key each, of the algorithm listed: RSA/SHA-256 2048 bits or
        ECDSA P-256; a plain list of zones, as older generators wrote it, is ECDSA), and their DS records added too."""
        extras = {extra.name.removesuffix(".extra"): extra.read_text()
                  for extra in sorted((self.gen_dir / "delegations").glob("*.extra"))}
        listed = self.gen_dir / "signed.json"
        signed = json.loads(listed.read_text(encoding="utf-8")) if listed.exists() else {}
        if isinstance(signed, list):
            signed = dict.fromkeys(signed, signing.ECDSA)
        assert self.workdir
        work = self.workdir / "bench-signed"
        (work / "keys").mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=4) as pool:
            done = list(pool.map(lambda zone: self._sign_generated(zone, signed[zone], work), signed))
        self.bench_signed = {zone: path for zone, path, _ in done}
        for zone, _, ds in done:
            tld = zone.rstrip(".").rsplit(".", 1)[-1]
            extras[tld] = extras.get(tld, "") + ds + "\n"
        return extras

    def _sign_generated(self, zone: str, algorithm: str, work: Path) -> tuple[str, Path, str]:
        stem = signing._keygen(zone, work / "keys", algorithm, 2048 if algorithm.startswith("RSA") else None)
        source = (self.gen_dir / "zones" / f"{zone.rstrip('.')}.zone").read_text(encoding="utf-8")
        path = signing._sign(signing.Plan(zone.rstrip(".")), source, signing._dnskey(work / "keys", stem), stem,
                             work)
        return zone, path, signing._ds(work / "keys", stem)

    def _wait_ready(self, timeout: float) -> None:
        """The lab's probes, then BIND's "all zones loaded" and one SOA from every generated view."""
        deadline = time.monotonic() + timeout
        super()._wait_ready(timeout)
        log = self.log_paths()["named"]
        while "all zones loaded" not in log.read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise _lab.LabError(f"BIND did not load the generated zones within {timeout:.0f} s")
            time.sleep(0.1)
        for view, spec in self.views.items():
            if not spec["zones"]:
                continue
            query = dns.message.make_query(spec["zones"][-1], "SOA")
            query.flags &= ~dns.flags.RD
            reply = dns.query.udp(query, spec["addresses"][0], timeout=2, port=_lab.PORT)
            if not reply.answer:
                raise _lab.LabError(f"view {view} does not serve {spec['zones'][-1]}: {reply.rcode()}")
