"""Merge the results.json of several shards of one audit into one results.json and audit.html.

A large audit can be split across CI machines (pytest-split: ``--splits N --group K``),
each shard writing its own ``results.json`` (``--reports DIR``). The merged document
is what a single run of the whole suite would have written: the records of every
shard, the run's metadata combined (earliest start, latest finish, union of resolvers
and zone files, summed DNS statistics), one table of the shards' DNS answers (an
answer two shards both hold is written once, and the records cite it by its new
index), and one exit code for CI.

Shards of different domains files (SHA-256) or that both hold a (domain, check)
record cannot come from one audit: the merge refuses them with one line and exit
code 2, and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

from .audit_html import write_audit_html
from .probe_evidence import inline
from .results import SCHEMA_VERSION, decoded, evidence_of, results_document, write_results

#: Exit codes, as pytest's: all passed, some failed, and (for the merge) unusable input.
OK, FAILED, USAGE = 0, 1, 2
FAILING = frozenset({"fail", "error"})


class MergeError(Exception):
    """Shards that cannot be merged; the message is one line."""


def load_shard(path: Path) -> dict:
    """One shard's results document, checked for the keys the merge reads."""
    try:
        document = decoded(Path(path).read_bytes())
    except OSError as exc:
        raise MergeError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # not UTF-8, or not JSON
        raise MergeError(f"{path}: not a results.json document: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("run"), dict) or not isinstance(
            document.get("results"), list):
        raise MergeError(f"{path}: not a results.json document (no `run` and `results`)")
    if document.get("schema_version") != SCHEMA_VERSION:
        raise MergeError(f"{path}: schema_version {document.get('schema_version')!r}, this mailtests reads "
                         f"{SCHEMA_VERSION}")
    answers = document.get("answers")
    if not isinstance(answers, list):
        raise MergeError(f"{path}: not a results.json document (no `answers`)")
    for record in document["results"]:
        if not isinstance(record, dict) or not _cites(record.get("evidence"), len(answers)):
            where = f"{record.get('check')} [{record.get('domain')}]" if isinstance(record, dict) else "a record"
            raise MergeError(f"{path}: {where}: `evidence` is not a list of indexes into `answers`")
    return document


def _cites(evidence: object, count: int) -> bool:
    """Whether a record's ``evidence`` is a list of indexes into an ``answers`` table of ``count`` answers."""
    return isinstance(evidence, list) and all(type(i) is int and 0 <= i < count for i in evidence)


def _union(values: list[list[str]]) -> list[str]:
    return list(dict.fromkeys(v for vs in values for v in vs))


def merge_run(runs: list[dict], paths: list[Path]) -> dict:
    """The merged run metadata (``exitstatus`` is set by :func:`merge_documents`)."""
    first = runs[0]
    digests = {r.get("domains_file_sha256") for r in runs}
    if len(digests) > 1:
        shown = ", ".join(f"{p} {str(r.get('domains_file_sha256'))[:12]}" for p, r in zip(paths, runs, strict=True))
        raise MergeError(f"shards of different domains files (SHA-256 {shown}): merge shards of one audit only")
    fail_ons = {r.get("fail_on", "any") for r in runs}
    if len(fail_ons) > 1:
        raise MergeError(f"shards ran with different --fail-on ({', '.join(sorted(fail_ons))})")
    sharded = shard_fields(runs, paths)
    stats: dict[str, int] = {}
    for r in runs:
        for key, n in (r.get("dns_questions") or {}).items():
            stats[key] = stats.get(key, 0) + int(n)
    started = [r["started"] for r in runs if r.get("started")]
    finished = [r["finished"] for r in runs if r.get("finished")]
    first = {k: v for k, v in first.items() if k != "shard"}
    return {
        **first,
        **sharded,
        # ISO 8601 UTC texts of one format ("...Z"): the text order is the time order
        "started": min(started) if started else "",
        "finished": max(finished) if finished else "",
        "resolvers": _union([r.get("resolvers") or [] for r in runs]),
        "zone_files": _union([r.get("zone_files") or [] for r in runs]),
        "dns_questions": stats,
        "shards": [str(p) for p in paths],
    }


def shard_fields(runs: list[dict], paths: list[Path]) -> dict:
    """The merged run's fields for ``--shard K/N`` shards (none for pytest-split's); MergeError unless the
    shards are all the shards 1 to N of one split of one domains file, each once."""
    shards = [r.get("shard") for r in runs]
    if not any(shards):
        return {}
    if not all(isinstance(s, dict) for s in shards):
        plain = next(p for p, s in zip(paths, shards, strict=True) if not isinstance(s, dict))
        raise MergeError(f"{plain} ran without --shard and others with it: merge the shards of one split")
    counts = {s.get("count") for s in shards}
    if len(counts) > 1:
        raise MergeError(f"shards of different splits (--shard K/N with N = {', '.join(map(str, sorted(counts)))})")
    count = counts.pop()
    where: dict[int, Path] = {}
    for path, s in zip(paths, shards, strict=True):
        if s.get("index") in where:
            raise MergeError(f"shard {s.get('index')}/{count} is in both {where[s.get('index')]} and {path}")
        where[s.get("index")] = path
    missing = [str(k) for k in range(1, count + 1) if k not in where]
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise MergeError(f"shards missing: {shown} (of {count}): a merged audit needs every shard of the split")
    totals = {s.get("domains_total") for s in shards}
    if len(totals) > 1:
        raise MergeError("shards of different domain counts: merge the shards of one audit only")
    return {"domains": totals.pop(), "merged_shards": count}


def exit_code(records: list[dict], fail_on: str = "any") -> int:
    """0 when nothing fails, else 1. With ``fail_on="regression"`` only regressions that fail or err count
    (records that carry ``change``, from ``--compare-live``); as a single run's pytest exit code would be."""
    regression_only = fail_on == "regression" and any("change" in r for r in records)
    for r in records:
        if r.get("outcome") in FAILING and (not regression_only or r.get("change") == "regression"):
            return FAILED
    return OK


def merge_documents(documents: list[dict], paths: list[Path]) -> dict:
    """One results document from the shards' documents; raises :class:`MergeError` when they do not fit.

    Each shard's records cite its own ``answers``: they are resolved here, and
    :func:`~mailtests.results.results_document` numbers the answers of all shards anew, each distinct answer once.
    """
    if not documents:
        raise MergeError("no shard to merge")
    run = merge_run([d["run"] for d in documents], paths)
    seen: dict[tuple[str, str], Path] = {}
    records: list[dict] = []
    for path, document in zip(paths, documents, strict=True):
        for record in document["results"]:
            key = (record.get("domain"), record.get("check"))
            if key in seen:
                raise MergeError(f"{key[1]} [{key[0]}] is in both {seen[key]} and {path}: shards must not overlap")
            seen[key] = path
            records.append({**inline(document, record), "evidence": evidence_of(document, record)})
    run["exitstatus"] = exit_code(records, run.get("fail_on", "any"))
    return results_document(run, records)


def merge(out_dir: Path, shard_paths: list[Path]) -> tuple[dict, int]:
    """Merge the shard files, write ``out_dir/results.json`` and ``out_dir/audit.html``; return the document and
    the exit code."""
    paths = [Path(p) for p in shard_paths]
    document = merge_documents([load_shard(p) for p in paths], paths)
    out = Path(out_dir)
    write_results(out / "results.json", document)
    write_audit_html(out / "audit.html", document)
    return document, document["run"]["exitstatus"]
