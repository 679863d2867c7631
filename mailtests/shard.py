"""Stable splits of the domains: ``--shard K/N`` (CI machines) and the share of each pytest-xdist worker.

A domain's place is a hash of its A-label (BLAKE2b, 8 bytes), so every run of the
same domains file (on any machine, in any Python) puts a domain in the same shard,
and ``mailtests merge`` can check that the shards of a run fit together. Shards and
xdist workers hash with different keys: the workers of one shard still share its
domains evenly.

pytest-split (``--splits N --group K``) deselects after collecting every test; ``--shard``
parametrizes only its share, so a shard of a 100,000-domain file collects its own
tests and no others. The resolver-health tests run in shard 1 only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

_SHARD = re.compile(r"\s*([0-9]{1,7})\s*/\s*([0-9]{1,7})\s*")


class ShardError(ValueError):
    """A ``--shard`` value that is not ``K/N`` with 1 <= K <= N."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, domain: str) -> bool:
        return place(domain, self.count, b"shard") == self.index - 1

    def share(self, entries: Iterable[T]) -> tuple[T, ...]:
        """The entries (with a ``name``) of this shard, in their order: :meth:`holds` for each, in one loop without
        two calls per domain (a shard of a 100,000-domain file hashes every name; tests/test_shard.py holds the two
        to the same split)."""
        count, index, blake2b, from_bytes = self.count, self.index - 1, hashlib.blake2b, int.from_bytes
        if count <= 1:
            return tuple(entries)
        return tuple(e for e in entries  # type: ignore[attr-defined]
                     if from_bytes(blake2b(e.name.encode("ascii", "surrogateescape"), digest_size=8,  # type: ignore
                                           key=b"shard").digest(), "big") % count == index)

    @property
    def runs_per_run_checks(self) -> bool:
        """The checks asked once per run (resolver health) run in shard 1 only."""
        return self.index == 1

    def to_dict(self, total: int) -> dict:
        return {"index": self.index, "count": self.count, "domains_total": total}


def parse_shard(text: str) -> Shard:
    """``K/N`` as a Shard; ShardError with a message for the user otherwise."""
    found = _SHARD.fullmatch(text or "")
    if not found:
        raise ShardError(f"--shard {text!r}: give K/N, this run's shard K of N (e.g. --shard 3/10)")
    index, count = int(found.group(1)), int(found.group(2))
    if not 1 <= index <= count:
        raise ShardError(f"--shard {text}: K must be from 1 to N ({count})")
    return Shard(index, count)


def place(domain: str, count: int, key: bytes) -> int:
    """The 0-based part (of ``count``) a domain falls in, for one kind of split (``key``)."""
    if count <= 1:
        return 0
    digest = hashlib.blake2b(domain.encode("ascii", "surrogateescape"), digest_size=8, key=key).digest()
    return int.from_bytes(digest, "big") % count


def worker_of(domain: str, workers: int) -> int:
    """The pytest-xdist worker (0-based) that runs a domain's tests and computes its results."""
    return place(domain, workers, b"xdist-worker")
