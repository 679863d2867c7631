"""``mailtests merge OUT_DIR SHARD_RESULTS.json...`` (also ``python -m mailtests merge``).

Merges the results.json of the shards of one audit into OUT_DIR/results.json and
OUT_DIR/audit.html (``--stream``, and for shards over 64 MB together: in bounded memory,
:mod:`mailtests.merge_stream`), prints the summary, and exits 0 (nothing failed), 1 (some
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
        description="Merge the results.json files of the shards of one audit (mailtests --shard K/N --reports DIR, "
                    "or pytest-split) into OUT_DIR/results.json and OUT_DIR/audit.html. Exit code: 0 nothing "
                    "failed, 1 some result failed or erred (only regressions under --fail-on regression), "
                    "2 the shards cannot be merged.")
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="where results.json and audit.html go")
    parser.add_argument("shards", metavar="SHARD_RESULTS.json", type=Path, nargs="+", help="the shards' results.json")
    parser.add_argument("--stream", action="store_true",
                        help="merge in bounded memory, one record at a time (the default when the shards are larger "
                             "than 64 MB together): an answer two shards hold is written twice, and audit.html only "
                             "up to 200,000 results")
    parser.add_argument("--results-only", action="store_true",
                        help="write results.json only, no audit.html (with --stream: memory bounded however many "
                             "results)")
    return parser


def _streamed(args) -> int:
    """The merge in bounded memory (mailtests.merge_stream)."""
    from .merge import MergeError
    from .merge_stream import AUDIT_HTML_UP_TO, merge_streaming

    try:
        header, code = merge_streaming(args.out_dir, args.shards, audit_html=not args.results_only)
    except MergeError as exc:
        print(f"mailtests merge: {exc}", file=sys.stderr)
        return 2
    stats = header["run"].get("dns_questions") or {}
    print(", ".join(f"{n} {k}" for k, n in header["summary"].items()) + f" ({header['results_count']} results from "
          f"{len(args.shards)} shard(s), merged as streams)")
    if stats:
        print(f"DNS: {stats.get('sent', 0)} questions asked, {stats.get('cached', 0)} answered from the "
              "shards' caches")
    if header["audit_html"]:
        print(f"results: {args.out_dir / 'results.json'}, {args.out_dir / 'audit.html'}")
    elif args.results_only:
        print(f"results: {args.out_dir / 'results.json'}")
    else:
        print(f"results: {args.out_dir / 'results.json'} (no audit.html above {AUDIT_HTML_UP_TO:,} results: "
              "a browser would not open it)")
    return code


def main(argv: Sequence[str]) -> int:
    """Merge the shards; returns the exit code."""
    from .merge import MergeError, merge
    from .summary import printable, summary_lines

    args = _parser().parse_args(list(argv))
    from .merge_stream import STREAM_ABOVE_BYTES

    large = sum(p.stat().st_size for p in args.shards if p.is_file()) > STREAM_ABOVE_BYTES
    if args.stream or args.results_only or large:
        return _streamed(args)
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
