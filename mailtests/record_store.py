"""The run's result records, kept packed from their test's end until the reports are written.

A run keeps one record per (domain, check) to its end: results.json and audit.html are
written from all of them. As dicts they were the largest part of pytest's process
(about 870 MiB at 10,000 domains), and they were largest at the end of the test loop,
while the two warm-up processes (:mod:`mailtests.forked_pair`) were at their largest too.
So a :class:`RecordStore` keeps each test's records (a domain's in a large run) as one
pickle, compressed at zlib's fastest level: a few hundred bytes a record instead of a few
kilobytes. The values a test's records share (a domain's SPF tree, cited by six checks)
stay shared through pickle's memo; the DNS answers that records cite, shared by many
tests (a provider's name servers, by every domain it serves), are kept once, in the
store's table, and a packed record cites them by number.

Reading the store gives each record back as a new dict whose ``evidence`` holds the very
answer dicts it was given, so :func:`mailtests.results.results_document` numbers each answer
once, as before. The records crossed nothing but this process: pickle (the standard
library) reads back exactly what it wrote; no library keeps a list of dicts packed.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Iterable, Iterator

#: zlib's fastest level: at 1,000 domains 4 times smaller than the pickles, for a fraction of a second of the run.
LEVEL = 1


class RecordStore:
    """Result records (``Result.to_dict()`` dicts), packed a batch at a time; read back in the order they came."""

    def __init__(self) -> None:
        self._packs: list[bytes] = []
        self._answers: list[dict] = []  # every answer a record cited, once
        self._numbers: dict[int, int] = {}  # id(answer dict) -> its number; the table keeps the dict alive
        self._count = 0

    def extend(self, records: Iterable[dict]) -> None:
        """Keep ``records`` (one pack for them all); the dicts given are not changed."""
        packed = [self._citing(record) for record in records]
        if packed:
            self._packs.append(zlib.compress(pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL), LEVEL))
            self._count += len(packed)

    def append(self, record: dict) -> None:
        self.extend((record,))

    def _citing(self, record: dict) -> dict:
        """``record`` with its evidence as numbers into the store's table of answers."""
        evidence = record.get("evidence")
        if not evidence:
            return record
        numbers = self._numbers
        refs = []
        for answer in evidence:
            number = numbers.get(id(answer))
            if number is None:
                number = numbers[id(answer)] = len(self._answers)
                self._answers.append(answer)
            refs.append(number)
        return {**record, "evidence": refs}

    def __iter__(self) -> Iterator[dict]:
        answers = self._answers
        for pack in self._packs:
            for record in pickle.loads(zlib.decompress(pack)):
                refs = record.get("evidence")
                if refs:
                    record["evidence"] = [answers[i] for i in refs]
                yield record

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0
