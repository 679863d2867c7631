"""``mailtests merge OUT_DIR SHARD_RESULTS.json...`` (also ``python -m mailtests merge``).

Merges the results.json of the shards of one audit into OUT_DIR/results.json and
OUT_DIR/audit.html, prints the summary, and exits 0 (nothing failed), 1 (some
result failed or erred) or 2 (the shards cannot be merged: one line says why).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailtests merge",
        description="Merge the results.json files of the shards of one audit (pytest --splits N --group K "
                    "--reports DIR) into OUT_DIR/results.json and OUT_DIR/audit.html. Exit code: 0 nothing "
                    "failed, 1 some result failed or erred (only regressions under --fail-on regression), "
                    "2 the shards cannot be merged.")
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="where results.json and audit.html go")
    parser.add_argument("shards", metavar="SHARD_RESULTS.json", type=Path, nargs="+", help="the shards' results.json")
    return parser


def main(argv: Sequence[str]) -> int:
    """Merge the shards; returns the exit code."""
    from .merge import MergeError, merge
    from .summary import printable, summary_lines

    args = _parser().parse_args(list(argv))
    try:
        document, code = merge(args.out_dir, args.shards)
    except MergeError as exc:
        print(f"mailtests merge: {exc}", file=sys.stderr)
        return 2
    for line in summary_lines(document["results"]):
        print(printable(line))
    counts = document["summary"]
    stats = document["run"].get("dns_questions") or {}
    print(", ".join(f"{n} {k}" for k, n in counts.items()) + f" ({len(document['results'])} results from "
          f"{len(args.shards)} shard(s))")
    if stats:
        print(f"DNS: {stats.get('sent', 0)} questions asked, {stats.get('cached', 0)} answered from the "
              "shards' caches")
    print(f"results: {args.out_dir / 'results.json'}, {args.out_dir / 'audit.html'}")
    return code
