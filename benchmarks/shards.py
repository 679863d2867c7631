"""Generated shards' results.json (``--shard K/N`` runs as the suite writes them), to measure ``mailtests merge``.

Each shard holds ``domains`` domains of the whole catalog's per-domain checks, each
record citing a few DNS answers of its domain and two shared by every domain (a
provider's name servers), about 1 MB per 100 domains: what a shard of a real run
holds, without running one.

    python benchmarks/shards.py OUT_DIR --shards 100 --domains 100
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailtests.catalog import CHECKS  # noqa: E402
from mailtests.results import results_document, write_results  # noqa: E402

TYPES = ("NS", "MX", "TXT", "A", "AAAA", "SOA", "DS", "DNSKEY")


def _answer(name: str, rdtype: str, data: str) -> dict:
    return {"name": name, "type": rdtype, "rcode": "NOERROR", "server": "127.53.0.53:53", "time_ms": 0.4,
            "authoritative": False, "error": None,
            "records": [{"name": name, "type": rdtype, "ttl": 3600, "data": data}]}


def shard_document(index: int, count: int, domains: int) -> dict:
    """Shard ``index`` of ``count``: its records and answers as the suite's results document."""
    checks = [c for c, spec in CHECKS.items() if not spec.per_run]
    shared = [_answer("ns1.dnsprov1.net.", "A", "127.53.2.11"), _answer("ns2.dnsprov1.net.", "A", "127.53.2.12")]
    records = []
    for j in range(domains):
        name = f"d{index}-{j}.example"
        own = [_answer(f"{name}.", t, f"{t.lower()} data of {name} " + "x" * 40) for t in TYPES]
        for n, check in enumerate(checks):
            outcome = "fail" if (j * 31 + n) % 97 == 0 else "pass"
            records.append({"domain": name, "check": check, "severity": CHECKS[check].severity.value,
                            "outcome": outcome, "message": f"{check} of {name}: {outcome}",
                            "reference": CHECKS[check].reference, "requirement": CHECKS[check].requirement,
                            "evidence": [own[n % len(own)], own[(n + 3) % len(own)], shared[n % 2]],
                            "details": {}})
    digest = hashlib.sha256(f"generated {count}".encode()).hexdigest()
    run = {"started": "2026-01-05T09:00:00Z", "finished": "2026-01-05T09:01:00Z", "exitstatus": 1,
           "domains_file": "domains.txt", "domains_file_sha256": digest, "domains": domains, "resolvers": [],
           "zone_files": [], "offline": False, "fail_on": "any", "timeout": 2.0, "versions": {},
           "dns_questions": {"sent": domains * len(TYPES), "cached": 0},
           "shard": {"index": index, "count": count, "domains_total": domains * count}}
    return results_document(run, records, consume=True)


def write_shards(out: Path, count: int, domains: int) -> list[Path]:
    """``count`` shard files ``out/shardK/results.json``; their paths."""
    paths = []
    for k in range(1, count + 1):
        paths.append(write_results(Path(out) / f"shard{k}" / "results.json", shard_document(k, count, domains)))
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--shards", type=int, default=100)
    parser.add_argument("--domains", type=int, default=100, help="domains per shard")
    args = parser.parse_args(argv)
    paths = write_shards(args.out, args.shards, args.domains)
    print(f"{len(paths)} shards, {sum(p.stat().st_size for p in paths) / 1e6:.1f} MB -> {args.out}")


if __name__ == "__main__":
    main()
