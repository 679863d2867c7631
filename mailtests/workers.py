"""pytest-xdist (``-n N``): each worker runs, and computes, only its own share of the domains.

With xdist's default scheduling (``--dist load``) any worker may get any test, so each
worker had to warm up every domain, and ``-n 2`` was 2.7 times slower than one process.
When ``-n`` is given without ``--dist``, the controller schedules with
``DomainShareScheduling`` (:func:`make_scheduler`) instead: every test of a domain goes to one worker, the
one :func:`mailtests.shard.worker_of` names (a stable hash of the domain), the
resolver-health tests to the first worker, and other tests round-robin. Each worker
knows its share from the same hash, so it warms up its own domains only, all of them
as soon as it has collected, before its first test arrives; no domain is computed
twice. A worker that dies is replaced as xdist does for ``--dist each``.

``--dist`` on the command line (``loadgroup``, ``worksteal``, ...) keeps xdist's own
scheduling, where any worker may get any domain: each worker then warms up every domain,
as before.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from .catalog import BY_TEST_NAME, CHECKS
from .grouping import DOMAIN_TEST
from .shard import worker_of

#: The key in a worker's ``workerinput`` that says the controller schedules by domain share.
SHARE_KEY = "mailtests_share"


def subject_of(nodeid: str) -> tuple[str, str] | None:
    """``(test name, subject)`` of a compliance test's node id (``...::test_mx_present[example.com]``), else None."""
    last = nodeid.rsplit("::", 1)[-1]
    name, bracket, rest = last.partition("[")
    if not bracket or not rest.endswith("]") or (name not in BY_TEST_NAME and name != DOMAIN_TEST):
        return None
    return name, rest[:-1]


def results_in(nodeids: list[str]) -> int:
    """How many result records the compliance tests among ``nodeids`` make (a domain test: one per domain check)."""
    per_domain = sum(1 for spec in CHECKS.values() if not spec.per_run)
    return sum(per_domain if found[0] == DOMAIN_TEST else 1
               for found in map(subject_of, nodeids) if found is not None)


def owner(nodeid: str, position: int, workers: int) -> int:
    """The worker (0-based) that runs the test ``nodeid``, at ``position`` in the collection."""
    found = subject_of(nodeid)
    if found is None:
        return position % workers
    name, subject = found
    return 0 if name in BY_TEST_NAME and BY_TEST_NAME[name].per_run else worker_of(subject, workers)


def mine(subject: str, check_id: str, worker: int, workers: int) -> bool:
    """Whether a worker computes (warms up) ``(subject, check_id)``: the same rule as :func:`owner`."""
    return worker == 0 if CHECKS[check_id].per_run else worker_of(subject, workers) == worker


def worker_index(config: pytest.Config) -> tuple[int, int] | None:
    """``(worker, workers)`` in an xdist worker whose controller schedules by domain share, else None."""
    info = getattr(config, "workerinput", None)
    if not info or not info.get(SHARE_KEY):
        return None
    workers = int(info["workercount"])
    return int(str(info["workerid"]).removeprefix("gw")) % workers, workers


def make_scheduler(config: pytest.Config, log):
    """The controller's :class:`DomainShareScheduling` (made here: pytest-xdist is imported only when it runs)."""
    from xdist.scheduler import EachScheduling

    class DomainShareScheduling(EachScheduling):
        """xdist's ``each`` scheduling, except that each worker is sent only its share of the tests."""

        def schedule(self) -> None:
            assert self.collection_is_completed
            for node, pending in self.node2pending.items():
                if node in self._started:
                    continue
                if not pending:  # a worker of the start: its share (a replacement worker has its dead one's)
                    index = int(str(node.gateway.id).removeprefix("gw")) % self.numnodes
                    collection = self.node2collection[node]
                    pending[:] = [i for i, nodeid in enumerate(collection)
                                  if owner(nodeid, i, self.numnodes) == index]
                if pending:
                    node.send_runtest_some(pending)
                node.shutdown()
                self._started.append(node)

    return DomainShareScheduling(config, log)


def pack_records(records: Iterable[dict]) -> bytes:
    """A worker's records for the controller, all at once: one JSON text (UTF-8), each DNS answer in it once.

    Sent with each test's report, every record crossed execnet's pure-Python serializer
    with its answers, answers the checks of a domain share each copied again; the
    terminal's reports need no record. (Not when pytest-html writes its per-test report:
    its rows read the records from the reports.)"""
    from .results import encoded, results_document

    document = results_document({}, records, consume=True)
    return encoded({"answers": document["answers"], "results": document["results"]})


def unpack_records(text: bytes | str) -> list[dict]:
    """The records of :func:`pack_records`, their evidence the answers again."""
    from .results import decoded

    document = decoded(text)
    answers = document["answers"]
    return [{**r, "evidence": [answers[i] for i in r["evidence"]]} for r in document["results"]]
