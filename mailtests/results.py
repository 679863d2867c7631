"""results.json: the run's metadata, every DNS answer of the run once, and one record per (domain, check).

Schema version 2: a record's ``evidence`` lists indexes into the document's ``answers``
(each distinct answer once, in the order the sorted records first cite them), so an
answer that 30 checks of 1,000 domains cite is written once, not 30,000 times. Readers
resolve a record's answers with :func:`evidence_of`.

Schema version 3 adds the probes' evidence the same way: SMTP sessions in ``transcripts``
and HTTPS fetches in ``fetches``, cited by a record's ``transcripts`` and ``fetches``
(:mod:`mailtests.probe_evidence`).
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Hashable, Iterable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import orjson

from .probe_evidence import ProbeTables
from .render import answer_key

SCHEMA_VERSION = 3

#: The stdlib's encoder, for what orjson refuses: ``encode`` of a dict or list without ``indent`` runs its C encoder.
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def encoded(value: object) -> bytes:
    """``value`` as compact JSON in UTF-8: by orjson (2.5 times faster than the stdlib's C encoder on the run's
    items: 0.26 against 0.63 s for 1,000 domains' 61,003 records and 17,571 answers, plus 0.15 s for the stdlib's
    text to become UTF-8), or by the stdlib where orjson refuses (keys that are not strings, integers beyond 64
    bits)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError
        return _ENCODER.encode(value).encode("utf-8")


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("mailtests", "dnspython", "pyspf", "pytest", "pytest-html"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "not installed"
    return found


def summarize(records: list[dict]) -> dict[str, int]:
    counts = {k: 0 for k in ("pass", "fail", "warn", "skip", "error")}
    for record in records:
        counts[record["outcome"]] = counts.get(record["outcome"], 0) + 1
    return counts


def results_document(run: dict, records: Iterable[dict], consume: bool = False) -> dict:
    """The one model behind results.json and audit.html, from records whose ``evidence`` holds the answers
    themselves (``Result.to_dict()``).

    Each distinct answer goes once into ``answers``, in the order of its first citation
    in the sorted records, and each record cites it by index. Answers are the same
    answer when :func:`mailtests.render.answer_key` says so: the plugin's records share
    answer dicts, records that crossed a process (xdist, a merge) hold equal copies.
    The given records are not changed: the document holds copies that cite indexes; with
    ``consume`` the records themselves are made to cite indexes and become the document's. ``records`` is read
    once (a :class:`mailtests.record_store.RecordStore` unpacks as it is read).
    """
    ordered = sorted(records, key=lambda r: (r["domain"], r["check"]))
    answers: list[dict] = []
    by_key: dict[Hashable, int] = {}
    by_id: dict[int, int] = {}  # id(answer dict) -> index: the shared dicts of one run are keyed once
    results: list[dict] = []
    probes = ProbeTables()
    for record in ordered:
        record = probes.cite(record, in_place=consume)
        refs: list[int] = []
        for answer in record.get("evidence") or ():
            i = by_id.get(id(answer))
            if i is None:
                key = answer_key(answer)
                i = by_key.get(key)
                if i is None:
                    i = by_key[key] = len(answers)
                    answers.append(answer)
                by_id[id(answer)] = i
            refs.append(i)
        if consume:  # the caller needs its records no more: they become the document's (no copy of each)
            record["evidence"] = refs
            results.append(record)
        else:
            results.append({**record, "evidence": refs})
    return {
        "schema_version": SCHEMA_VERSION,
        "run": run,
        "summary": summarize(results),
        "answers": answers,
        **probes.tables,
        "results": results,
    }


def evidence_of(document: dict, record: dict) -> list[dict]:
    """The DNS answers a record of a results document cites, in order (its ``evidence`` indexes resolved)."""
    answers = document["answers"]
    return [answers[i] for i in record.get("evidence") or ()]


def decoded(text: bytes | str):
    """JSON text read by orjson (1.3 times faster than the stdlib on a 1,000-domain results.json's lines), or by
    the stdlib where orjson refuses what the stdlib reads (``NaN``, ``Infinity``); raises ``ValueError`` for text
    neither reads."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def write_results(path: Path, document: dict) -> Path:
    """Write results.json atomically (a reader never sees half a file).

    Compact but readable with ``less``: each top-level key on its own line (``"key": ``, as
    :mod:`mailtests.merge_stream` reads it), and in ``answers`` and ``results`` one answer or
    record a line, each encoded by itself (:func:`encoded`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        for n, (key, value) in enumerate(document.items()):
            fh.write((b"{" if n == 0 else b",\n") + encoded(key) + b": ")
            if isinstance(value, list) and value:
                fh.write(b"[\n")
                fh.writelines((b",\n" if i else b"") + encoded(item) for i, item in enumerate(value))
                fh.write(b"\n]")
            else:
                fh.write(encoded(value))
        fh.write(b"}\n" if document else b"{}\n")
    os.replace(tmp, path)
    return path
