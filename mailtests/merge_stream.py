"""The merge of many shards' results.json in bounded memory (``mailtests merge --stream``, and above 64 MB).

:func:`mailtests.merge.merge_documents` holds every shard's records and answers at once:
fine for a few shards, not for 100 shards of a 1,000,000-domain audit. Here the shards
are read as streams, one record a line, as :func:`mailtests.results.write_results`
writes them (a shard in another layout is read whole, that shard alone):

1. each shard's header (``run``, ``summary``) is read and its answers counted: the
   merged run is checked and combined as :func:`mailtests.merge.merge_run` does;
2. the shards' records, each shard sorted by (domain, check), are merged in order
   (``heapq.merge``: one record per shard in memory), their ``evidence`` renumbered
   by the shard's offset in the merged ``answers``, a (domain, check) in two shards
   refused, outcomes counted; they go to a temporary file;
3. results.json is written: the header, each shard's answers in turn, the records.

What differs from the in-memory merge: ``answers`` is the shards' tables one after
the other, so an answer two shards both hold is written twice (deduplicating across
shards would keep a key per answer, memory that grows with the audit). The records
and what they cite are the same. audit.html is written only up to
:data:`AUDIT_HTML_UP_TO` records (it is read by a browser, whole); above, the merge
says so and results.json is the report.
"""

from __future__ import annotations

import heapq
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .merge import FAILED, FAILING, OK, MergeError, merge_run
from .results import SCHEMA_VERSION, decoded, encoded

#: Above this many records a streamed merge writes no audit.html.
AUDIT_HTML_UP_TO = 200_000
#: Shards larger than this in total are merged as streams by ``mailtests merge`` without ``--stream``.
STREAM_ABOVE_BYTES = 64 * 1024 * 1024


class _Shard:
    """One shard file read as a stream: its header, its answer count, then its records on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.whole: dict | None = None  # the document, when the file is not one record a line
        try:
            self.fh = open(path, "rb")  # noqa: SIM115 - kept open while the records are merged
        except OSError as exc:
            raise MergeError(f"{path}: cannot read: {exc.strerror or exc}") from None
        self.header: dict = {}
        self.answers = 0
        try:
            self._read_header()
        except (_Layout, ValueError):  # JSON (or UTF-8) errors too: the file as a whole says what is wrong
            self._read_whole()
        self._check()

    def _value(self, line: bytes):
        line = line.rstrip(b"\r\n")
        return decoded(line[:-1] if line.endswith(b",") else line)

    def _read_header(self) -> None:
        for key, rest in _top_level(self.fh):
            if key == "answers":
                self.answers = self._skip_list(rest)
            elif key == "results":
                if rest.strip() in ("[]}", "[]"):
                    self.records_from = None
                    return
                if rest.strip() != "[":
                    raise _Layout
                self.records_from = self.fh.tell()
                return
            else:
                self.header[key] = _item(rest)

    def _skip_list(self, rest: str) -> int:
        """Count the items of a list written one a line (``[`` ... ``]``), leaving the file after it."""
        if rest.strip() in ("[],", "[]"):
            return 0
        if rest.strip() != "[":
            raise _Layout
        for count, line in enumerate(self.fh):
            if line.startswith(b"]"):
                return count
        raise _Layout

    def _read_whole(self) -> None:
        self.fh.close()
        try:
            document = decoded(Path(self.path).read_bytes())
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise MergeError(f"{self.path}: not a results.json document: {exc}") from None
        if not isinstance(document, dict):
            raise MergeError(f"{self.path}: not a results.json document (no `run` and `results`)")
        self.whole = document
        self.header = {k: v for k, v in document.items() if k not in ("answers", "results")}
        answers = document.get("answers")
        if not isinstance(answers, list):
            raise MergeError(f"{self.path}: not a results.json document (no `answers`)")
        self.answers = len(answers)
        if not isinstance(document.get("results"), list):
            raise MergeError(f"{self.path}: not a results.json document (no `run` and `results`)")
        document["results"].sort(key=lambda r: (r.get("domain"), r.get("check")) if isinstance(r, dict) else ("", ""))

    def _check(self) -> None:
        if not isinstance(self.header.get("run"), dict):
            raise MergeError(f"{self.path}: not a results.json document (no `run` and `results`)")
        if self.header.get("schema_version") != SCHEMA_VERSION:
            raise MergeError(f"{self.path}: schema_version {self.header.get('schema_version')!r}, this mailtests "
                             f"reads {SCHEMA_VERSION}")

    def records(self) -> Iterator[dict]:
        if self.whole is not None:
            yield from self.whole["results"]
            return
        if self.records_from is None:
            return
        self.fh.seek(self.records_from)
        for line in self.fh:
            if line.startswith(b"]"):
                return
            try:
                yield self._value(line)
            except ValueError as exc:
                raise MergeError(f"{self.path}: not a results.json document: {exc}") from None
        raise MergeError(f"{self.path}: the results list does not end")

    def answer_lines(self) -> Iterator[bytes]:
        """The shard's answers, each as one line of JSON text (UTF-8, no line end)."""
        if self.whole is not None:
            yield from map(encoded, self.whole["answers"])
            return
        with open(self.path, "rb") as fh:
            for line in fh:
                if line.startswith(b'"answers": ['):
                    break
            for line in fh:
                if line.startswith(b"]"):
                    return
                line = line.rstrip(b"\r\n")
                yield line[:-1] if line.endswith(b",") else line

    def close(self) -> None:
        if not self.fh.closed:
            self.fh.close()


class _Layout(Exception):
    """The file is not written one record a line: it is read whole."""


def _top_level(fh: BinaryIO) -> Iterator[tuple[str, str]]:
    """The top-level keys of a results.json in :func:`mailtests.results.write_results`' layout, each with the rest
    of its line, read a line at a time from ``fh`` (a list's items are the caller's to read before it asks for the
    next key); raises :class:`_Layout` for another layout or a file that ends first."""
    first = fh.readline()
    if not first.startswith(b'{"schema_version": '):
        raise _Layout
    yield "schema_version", first[len(b'{"schema_version": '):].decode("utf-8")
    while True:
        line = fh.readline()
        if not line:
            raise _Layout
        key, sep, rest = line.decode("utf-8").partition('": ')
        if not key.startswith('"') or not sep:
            raise _Layout
        yield key[1:], rest


def _item(rest: str):
    """A top-level value written on its key's line (``3,``, ``{...},``)."""
    return decoded(rest.rstrip().rstrip(","))


def read_header(path: Path) -> dict:
    """The top-level values written before ``answers`` (``schema_version``, ``run``, ``summary``) of a results.json
    in :func:`mailtests.results.write_results`' layout, without reading the rest (a merged results.json of 100,000
    domains is 5 GB); raises ``ValueError`` for a file in another layout."""
    header: dict = {}
    with open(path, "rb") as fh:
        try:
            for key, rest in _top_level(fh):
                if key in ("answers", "results"):
                    break
                header[key] = _item(rest)
        except _Layout:
            raise ValueError(f"{path}: not in the layout write_results writes") from None
    return header


def _keyed(shard: _Shard, index: int, offset: int) -> Iterator[tuple[tuple[str, str], int, dict]]:
    """A shard's records as ((domain, check), shard index, record with evidence renumbered), checked in order."""
    last: tuple[str, str] | None = None
    for record in shard.records():
        if not isinstance(record, dict):
            raise MergeError(f"{shard.path}: a record is not an object")
        evidence = record.get("evidence")
        if not isinstance(evidence, list) or not all(type(i) is int and 0 <= i < shard.answers for i in evidence):
            raise MergeError(f"{shard.path}: {record.get('check')} [{record.get('domain')}]: `evidence` is not a "
                             "list of indexes into `answers`")
        key = (str(record.get("domain")), str(record.get("check")))
        if last is not None and key < last:
            raise MergeError(f"{shard.path}: the records are not sorted by domain and check (as results.json's are)")
        last = key
        record["evidence"] = [i + offset for i in evidence]
        yield key, index, record


def merge_streaming(out_dir: Path, shard_paths: list[Path], audit_html: bool = True) -> tuple[dict, int]:
    """Merge the shard files into ``out_dir/results.json`` in bounded memory; return the merged document's
    header (``run``, ``summary``, ``results_count``, ``audit_html``) and the exit code."""
    paths = [Path(p) for p in shard_paths]
    if not paths:
        raise MergeError("no shard to merge")
    out = Path(out_dir)
    shards: list[_Shard] = []
    try:
        for p in paths:
            shards.append(_Shard(p))
        run = merge_run([s.header["run"] for s in shards], paths)
        offsets, total = [], 0
        for s in shards:
            offsets.append(total)
            total += s.answers
        out.mkdir(parents=True, exist_ok=True)
        body = out / "results.json.records.tmp"
        counts = {k: 0 for k in ("pass", "fail", "warn", "skip", "error")}
        failing = failing_regression = changes = records = 0
        try:
            with open(body, "wb") as fh:
                previous: tuple[tuple[str, str], int] | None = None
                streams = [_keyed(s, i, offsets[i]) for i, s in enumerate(shards)]
                for key, index, record in heapq.merge(*streams, key=lambda item: item[0]):
                    if previous is not None and previous[0] == key:
                        raise MergeError(f"{key[1]} [{key[0]}] is in both {paths[previous[1]]} and {paths[index]}: "
                                         "shards must not overlap")
                    previous = (key, index)
                    outcome = record.get("outcome")
                    counts[outcome] = counts.get(outcome, 0) + 1
                    failing += outcome in FAILING
                    failing_regression += outcome in FAILING and record.get("change") == "regression"
                    changes += "change" in record
                    fh.write((b",\n" if records else b"") + encoded(record))
                    records += 1
            regression_only = run.get("fail_on", "any") == "regression" and changes
            run["exitstatus"] = FAILED if (failing_regression if regression_only else failing) else OK
            _assemble(out / "results.json", run, counts, shards, body, records)
        finally:
            if body.exists():
                body.unlink()
    finally:
        for s in shards:
            s.close()
    header = {"schema_version": SCHEMA_VERSION, "run": run, "summary": counts, "results_count": records,
              "audit_html": audit_html and records <= AUDIT_HTML_UP_TO}
    if header["audit_html"]:
        from .audit_html import write_audit_html

        write_audit_html(out / "audit.html", decoded((out / "results.json").read_bytes()))
    return header, run["exitstatus"]


def _assemble(path: Path, run: dict, counts: dict, shards: list[_Shard], body: Path, records: int) -> None:
    """results.json from its parts, in the layout of :func:`mailtests.results.write_results`, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(b'{"schema_version": ' + encoded(SCHEMA_VERSION) + b',\n"run": ' + encoded(run) + b',\n"summary": '
                 + encoded(counts) + b',\n"answers": [')
        first = True
        for shard in shards:
            for line in shard.answer_lines():
                fh.write((b"\n" if first else b",\n") + line)
                first = False
        fh.write(b"]" if first else b"\n]")
        fh.write(b',\n"results": [')
        if records:
            fh.write(b"\n")
            with open(body, "rb") as src:
                shutil.copyfileobj(src, fh, 1 << 16)
            fh.write(b"\n]")
        else:
            fh.write(b"]")
        fh.write(b"}\n")
    os.replace(tmp, path)
