"""checkdmarc on the work it shares with mailtests: SPF, MX and NS of each domain, one domain after another.

Run with the interpreter of benchmarks/.venv-checkdmarc (``pip install checkdmarc``)::

    .venv-checkdmarc/bin/python checkdmarc_driver.py DOMAINS.txt --nameserver 127.53.0.53

Prints one JSON line: domains, seconds (the loop, imports excluded), and how many SPF
records were valid, as checkdmarc's own ``check_domains`` would ask them (each domain's
NS, MX and its hosts' addresses, SPF with its include tree), without DMARC, BIMI,
MTA-STS, TLS-RPT, DNSSEC and SOA, which mailtests does not check.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from checkdmarc import check_ns
from checkdmarc.smtp import check_mx
from checkdmarc.spf import check_spf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("domains", type=Path)
    parser.add_argument("--nameserver", default="127.53.0.53")
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    domains = [d.strip() for d in args.domains.read_text().split() if d.strip()]
    ns = [args.nameserver]
    valid = 0
    started = time.perf_counter()
    for domain in domains:
        check_ns(domain, nameservers=ns, timeout=args.timeout)
        check_mx(domain, nameservers=ns, timeout=args.timeout)
        valid += bool(check_spf(domain, nameservers=ns, timeout=args.timeout).get("valid"))
    print(json.dumps({"domains": len(domains), "seconds": time.perf_counter() - started, "spf_valid": valid}))


if __name__ == "__main__":
    main()
