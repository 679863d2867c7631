"""Text and HTML pieces shared by both reports, built from result records (``Result.to_dict()``).

A record fresh from a check carries its answers in ``evidence``; a record of a results
document cites them by index into the document's ``answers``: give such a record's
answers (``mailtests.results.evidence_of(document, record)``) as ``evidence=``.

audit.html and pytest-html's report.html render the same record dicts with these
helpers, so they show the same data the same way. DNS data and the domains file are
written by strangers: every string from a record is escaped (``html.escape`` with
``quote=True``) before it reaches markup, and the only links built are the
rfc-editor.org ones of :func:`mailtests.catalog.rfc_url`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable
from operator import itemgetter

from .catalog import rfc_url
from .escaping import html as escape

#: Outcomes from worst to best; an area's or a domain's verdict is its worst result's.
OUTCOMES: tuple[str, ...] = ("error", "fail", "warn", "pass", "skip")
#: Higher is worse. A skip ranks below a pass so that one skipped check does not hide
#: what was checked; an area with nothing but skips is "skip".
RANK: dict[str, int] = {"error": 4, "fail": 3, "warn": 2, "pass": 1, "skip": 0}
#: A glyph per outcome: the reports always print it next to the word, never colour alone.
GLYPH: dict[str, str] = {"pass": "✓", "fail": "✗", "warn": "⚠", "skip": "⊘", "error": "‼"}
#: Plain words for an outcome, as the legend of the reports gives them.
MEANING: dict[str, str] = {
    "pass": "the requirement holds",
    "fail": "an RFC MUST is broken or mail delivery breaks",
    "warn": "a SHOULD or best practice is not followed",
    "skip": "the check does not apply; the reason is given",
    "error": "the DNS data could not be fetched, so the check could not be made (never a pass)",
}
#: ``details`` keys that the reports render themselves; the others are shown as key: value lines.
#: (``records`` too when it holds SPF trees: several SPF records, each walked.)
KNOWN_DETAILS = frozenset({"tree", "sending_ips", "sending_ips_source", "traceback", "chain"})

_MAX_TREE_NODES = 500
_MAX_TREE_DEPTH = 20
_UNSAFE_ID = re.compile(r"[^a-z0-9.-]")
_RFC = re.compile(r"RFC \d+(?: §[\d.]*\d)?")


def worst(outcomes: Iterable[str]) -> str:
    """The worst of some outcomes (``skip`` when there are none)."""
    return max(outcomes, key=lambda o: RANK.get(o, 5), default="skip")


def verdict_html(outcome: str) -> str:
    """Glyph and word of an outcome in a span classed ``o-<outcome>`` (colour is only a third cue)."""
    if outcome not in GLYPH:
        return f'<span class="o-unknown">? {escape(outcome)}</span>'
    return f'<span class="o-{outcome}">{GLYPH[outcome]} {outcome}</span>'


def anchor(name: str, prefix: str = "d-") -> str:
    """An HTML id for a domain (or resolver) name: ``[a-z0-9.-]`` kept, anything else ``_xx`` hex.

    The mapping is one-to-one (``_`` itself is encoded), so two names never share an id,
    and the result is safe in an attribute and in a URL fragment.
    """
    return prefix + _UNSAFE_ID.sub(lambda m: "".join(f"_{b:02x}" for b in m.group().encode()), name.lower())


def reference_html(reference: str) -> str:
    """A catalog reference as escaped text, each RFC it names linked by :func:`~mailtests.catalog.rfc_url`.

    ``seed; RFC 5321 §5.1`` -> ``seed; <a href="https://www.rfc-editor.org/rfc/rfc5321#section-5.1">RFC 5321 §5.1</a>``.
    """
    out: list[str] = []
    end = 0
    for m in _RFC.finditer(reference):
        url = rfc_url(m.group())
        if url:
            out.append(f'{escape(reference[end:m.start()])}<a href="{escape(url)}">{escape(m.group())}</a>')
            end = m.end()
    out.append(escape(reference[end:]))
    return "".join(out)


def dig_text(answer: dict) -> str:
    """One evidence answer (``Answer.to_dict()``) as dig-like text: question, server, status, time, records.

    ``;; example.com. IN MX @192.0.2.53:53: NOERROR aa, 12.3 ms`` and then the answer
    section, one record a line with its TTL, as dig prints it.
    """
    flags = " aa" if answer.get("authoritative") else ""
    lines = [f";; {answer.get('name')} IN {answer.get('type')} @{answer.get('server')}: "
             f"{answer.get('rcode')}{flags}, {answer.get('time_ms')} ms"]
    if answer.get("error"):
        lines.append(f";; ERROR: {answer['error']}")
    records = answer.get("records") or []
    signatures = answer.get("signatures") or []  # RRSIGs (asked with DO), printed after the records as dig +dnssec
    if records or signatures:
        lines.extend(f"{r.get('name')}\t{r.get('ttl')}\tIN\t{r.get('type')}\t{r.get('data')}"
                     for r in [*records, *signatures])
    elif answer.get("rcode") == "NOERROR" and not answer.get("error"):
        lines.append(";; no records of this type (NODATA)")
    return "\n".join(lines)


_ANSWER_FIELDS = itemgetter("name", "type", "server", "rcode", "error", "authoritative", "time_ms")
_RECORD_FIELDS = itemgetter("name", "ttl", "type", "data")


def answer_key(answer: dict) -> Hashable:
    """What makes two evidence answers the same answer (the run asks each question once).

    A tuple of the answer's fields and records; an answer not in the shape of
    ``Answer.to_dict()`` (missing or unhashable values) is keyed by its JSON text.
    """
    try:
        key = (_ANSWER_FIELDS(answer), tuple(map(_RECORD_FIELDS, answer["records"])),
               tuple(map(_RECORD_FIELDS, answer.get("signatures") or ())))
        hash(key)
    except (KeyError, TypeError):
        return json.dumps(answer, sort_keys=True, default=str)
    return key


def spf_trees(details: dict) -> list[dict]:
    """The walked SPF trees in a check's details: ``details`` itself (one record) or each of ``records``.

    Each is ``{"lookups", "void_lookups", "loops", "truncated", "tree": node, ...}`` as
    ``mailtests.spf.tree.Tree.to_dict()`` makes it.
    """
    if isinstance(details.get("tree"), dict):
        return [details]
    records = details.get("records")
    if isinstance(records, list):
        return [r for r in records if isinstance(r, dict) and isinstance(r.get("tree"), dict)]
    return []


def spf_tree_title(walked: dict) -> str:
    """``SPF include tree: 7 of 10 DNS lookups, 0 of 2 void (RFC 7208 §4.6.4)``, with loops when there are."""
    title = (f"SPF include tree: {walked.get('lookups')}{' or more' if walked.get('truncated') else ''} of 10 DNS "
             f"lookups, {walked.get('void_lookups', 0)} of 2 void (RFC 7208 §4.6.4)")
    if walked.get("loops"):
        title += f"; loops: {'; '.join(map(str, walked['loops']))}"
    return title


def spf_tree_text(walked: dict, child_records: bool = True) -> str:
    """A walked SPF tree as indented text: each record with how it was reached and its own lookups.

    A node is ``{"domain", "via", "term", "record", "lookups", "errors", "voids", "notes",
    "children"}`` (``mailtests.spf.tree.Node.to_dict()``). ``child_records=False`` prints
    the record of the root only (the others are in the DNS evidence).
    """
    lines: list[str] = []
    count = 0

    def walk(node: object, prefix: str, last: bool, depth: int) -> None:
        nonlocal count
        count += 1
        branch = "" if depth == 0 else ("└─ " if last else "├─ ")
        if count > _MAX_TREE_NODES or depth > _MAX_TREE_DEPTH or not isinstance(node, dict):
            lines.append(f"{prefix}{branch}… (not shown)")
            return
        domain = str(node.get("domain"))
        term = str(node.get("term") or "")
        head = term if term and domain in term else f"{term} -> {domain}" if term else domain
        head = f"{prefix}{branch}{head}: {node.get('lookups')} lookup(s)"
        for key, label in (("errors", "ERROR"), ("voids", "void"), ("notes", "note")):
            items = node.get(key)
            if isinstance(items, list) and items:
                head += f"; {label}: {'; '.join(map(str, items))}"
        lines.append(head)
        inner = prefix + ("" if depth == 0 else ("   " if last else "│  "))
        children = node.get("children")
        children = children if isinstance(children, list) else []
        if depth == 0 or child_records:
            lines.append(f"{inner}{'│  ' if children else '   '}{json.dumps(node.get('record'), ensure_ascii=False)}")
        for i, child in enumerate(children):
            walk(child, inner, i == len(children) - 1, depth + 1)

    walk(walked.get("tree"), "", True, 0)
    return "\n".join(lines)


def sending_ips_text(details: dict) -> str | None:
    """Which sending IPs a check used and where they came from (``sending_ips``, ``sending_ips_source``).

    The source is the checks' own words: "listed in the domains file", or "assumed: the
    addresses of the domain's MX hosts ..." when the domains file lists none.
    """
    ips = details.get("sending_ips")
    if not isinstance(ips, list):
        return None
    source = details.get("sending_ips_source") or "source not given"
    return f"sending IPs: {', '.join(map(str, ips)) or 'none'} ({source})"


def auth_texts(details: dict) -> list[str]:
    """The DMARC tree walk, the parsed DMARC or BIMI tags and the DKIM keys in a check's details, one line each.

    ``tree_walk`` (``mailtests.dmarc.walk.Walk.to_dict()``): each ``_dmarc`` name asked and what was there;
    ``selectors`` (``mailtests.checks.dkim``): each selector's name, CNAME chain, key type and size, tags.
    """
    out: list[str] = []
    walk = details.get("tree_walk")
    if isinstance(walk, list):
        path = " -> ".join(f"{s.get('name')} ({s.get('outcome')})" for s in walk if isinstance(s, dict))
        found = (f"found at {details.get('found_at')}; {details.get('applies')}={details.get('policy')} applies"
                 if details.get("found_at") else "no policy found")
        out.append(f"DMARC tree walk (RFC 9989 §4.10): {path}; {found}; organizational domain "
                   f"{details.get('organizational_domain')}")
    parsed = details.get("parsed")
    if isinstance(parsed, dict) and isinstance(parsed.get("tags"), dict):
        kind = "BIMI" if "bimi_record" in details else "DMARC"
        out.append(f"{kind} record tags: " + "; ".join(f"{k}={v}" for k, v in parsed["tags"].items()))
    for selector in details.get("selectors") or ():
        if not isinstance(selector, dict):
            continue
        chain = selector.get("cname_chain")
        via = f" (CNAME to {' -> '.join(map(str, chain[1:]))})" if isinstance(chain, list) and len(chain) > 1 else ""
        what = selector.get("key") or selector.get("problem") or f"{len(selector.get('records') or [])} records"
        tags = selector.get("tags")
        shown = "; ".join(f"{k}={v}" for k, v in tags.items()) if isinstance(tags, dict) else ""
        out.append(f"DKIM selector {selector.get('selector')} at {selector.get('name')}{via}: {what}"
                   + (f"; tags: {shown}" if shown else ""))
    return out


def other_details_text(details: dict) -> str:
    """The ``details`` keys the reports have no special rendering for, one ``key: value`` line each."""
    skip = KNOWN_DETAILS | ({"records"} if not isinstance(details.get("tree"), dict) and spf_trees(details) else set())
    if not isinstance(details.get("sending_ips"), list):
        skip = skip - {"sending_ips"}
    return "\n".join(
        f"{k}: {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)}"
        for k, v in details.items() if k not in skip
    )


def chain_text(details: dict) -> str | None:
    """The DNSSEC chain of trust a check walked (``details["chain"]``: dig-like lines), or None."""
    chain = details.get("chain")
    if not isinstance(chain, list) or not chain:
        return None
    return "\n".join(str(line) for line in chain)


def record_text(record: dict, evidence: list[dict] | None = None) -> str:
    """Everything a record says, as plain text: verdict, reason, reference, evidence and details.

    ``evidence``: the record's answers when its ``evidence`` holds indexes (a record of a
    results document: pass ``evidence_of(document, record)``); by default the record's own.
    """
    parts = [
        f"{record['check']} [{record['domain']}]: {record['outcome']} ({record['severity']})",
        record["message"],
        f"reference: {record['reference']}",
    ]
    details = record.get("details") or {}
    ips = sending_ips_text(details)
    if ips:
        parts.append(ips)
    parts.extend(f"{spf_tree_title(walked)}\n{spf_tree_text(walked)}" for walked in spf_trees(details))
    parts.extend(auth_texts(details))
    chain = chain_text(details)
    if chain:
        parts.append(f"DNSSEC chain of trust\n{chain}")
    other = other_details_text(details)
    if other:
        parts.append(other)
    if details.get("traceback"):
        parts.append(str(details["traceback"]))
    if evidence is None:
        evidence = record.get("evidence") or []
    parts.append("\n\n".join(map(dig_text, evidence)) if evidence else ";; no DNS question was needed")
    return "\n\n".join(parts)


def record_html(record: dict, evidence: list[dict] | None = None) -> str:
    """One record as an escaped HTML block (pytest-html's extra for the record's test row).

    ``evidence`` as for :func:`record_text`: pytest-html's rows are built from the run's
    records, which carry their answers themselves.
    """
    details = record.get("details") or {}
    out = [
        f'<div class="mailtests-evidence"><p>{verdict_html(record["outcome"])} <b>{escape(record["check"])}</b> '
        f'[{escape(record["domain"])}]: {escape(record["message"])}</p>',
        f'<p>Requirement: {escape(record.get("requirement", ""))}; reference: '
        f'{reference_html(record["reference"])}</p>',
    ]
    ips = sending_ips_text(details)
    if ips:
        out.append(f"<p>{escape(ips)}</p>")
    out.extend(f"<p>{escape(spf_tree_title(walked))}</p><pre>{escape(spf_tree_text(walked))}</pre>"
               for walked in spf_trees(details))
    out.extend(f"<p>{escape(text)}</p>" for text in auth_texts(details))
    chain = chain_text(details)
    if chain:
        out.append(f"<p>DNSSEC chain of trust</p><pre>{escape(chain)}</pre>")
    other = other_details_text(details)
    if other:
        out.append(f"<pre>{escape(other)}</pre>")
    if details.get("traceback"):
        out.append(f"<pre>{escape(str(details['traceback']))}</pre>")
    if evidence is None:
        evidence = record.get("evidence") or []
    body = "\n\n".join(map(dig_text, evidence)) if evidence else ";; no DNS question was needed"
    out.append(f"<p>DNS evidence</p><pre>{escape(body)}</pre></div>")
    return "".join(out)
