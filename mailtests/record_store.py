"""The run's result records, kept packed from their test's end until the reports are written.

A run keeps one record per (domain, check) to its end: results.json and audit.html are
written from all of them. As dicts they were the largest part of pytest's process at
10,000 domains, and they were largest at the end of the test loop, while the two warm-up
processes (:mod:`mailtests.forked_pair`) were at their largest too. So a run of more than
:data:`PACK_ABOVE` results keeps each test's records (a domain's, in a large run) as one
pickle: about 400 bytes a record instead of 1.5 KB. The values a test's records share (a
domain's SPF tree, cited by six checks) stay shared through pickle's memo; the DNS
answers that records cite, shared by many tests (a provider's name servers, by every
domain it serves), are kept once, in the store's table, and a packed record cites them
by number. At 10,000 domains all processes together peaked at 1,571 MiB instead of
2,251 MiB (with the DNS cache's and the warm-up stream's savings of the same round).

Reading the store gives each record back as a new dict whose ``evidence`` holds the very
answer dicts it was given, so :func:`mailtests.results.results_document` numbers each
answer once, as before, and a check's id, reference and requirement are one string each
again. pickle is the standard library's; no library keeps a list of dicts packed. The
packs are not compressed: zlib's fastest level made them 3 times smaller but took twice
as long as the pickling, and with both cores busy a large run's CPU is its time.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator

#: A run of more results than this packs them (:meth:`RecordStore.pack_from_now`). Below, the dicts take less than
#: about 150 MiB, less than packing them is worth: 0.5-1 s of CPU and 0.2-0.5 s at the end of a 1,000-domain run.
PACK_ABOVE = 100_000
#: Fields whose few distinct values every pack would otherwise hold again (a pickle shares a value within itself).
_RECURRING = ("check", "reference", "requirement")


class RecordStore:
    """Result records (``Result.to_dict()`` dicts), packed a batch at a time once told to; read back in the order
    they came."""

    def __init__(self) -> None:
        self._batches: list[bytes | list[dict]] = []  # a pack, or a batch kept as it came
        self._answers: list[dict] = []  # every answer a packed record cited, once
        self._numbers: dict[int, int] = {}  # id(answer dict) -> its number; the table keeps the dict alive
        self._strings: dict[str, str] = {}  # one object for each value of a recurring field, as read back
        self._count = 0
        self.packing = False

    def pack_from_now(self) -> None:
        """Pack the batches kept from now on (those kept so far stay as they are)."""
        self.packing = True

    def extend(self, records: Iterable[dict]) -> None:
        """Keep ``records`` (one batch; one pack when packing); the dicts given are not changed."""
        if not self.packing:
            batch = list(records)
            if batch:
                self._batches.append(batch)
                self._count += len(batch)
            return
        packed = [self._citing(record) for record in records]
        if packed:
            self._batches.append(pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL))
            self._count += len(packed)

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
        answers, strings = self._answers, self._strings
        for batch in self._batches:
            if isinstance(batch, list):
                yield from batch
                continue
            for record in pickle.loads(batch):
                refs = record.get("evidence")
                if refs:
                    record["evidence"] = [answers[i] for i in refs]
                for field in _RECURRING:
                    value = record.get(field)
                    if type(value) is str:
                        record[field] = strings.setdefault(value, value)
                yield record

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0
