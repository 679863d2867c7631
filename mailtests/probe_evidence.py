"""SMTP transcripts and HTTPS fetches as evidence: tabled once in results.json, rendered as text for the reports.

A check puts the sessions it used in ``details["sessions"]`` and the policy fetch in
``details["fetch"]`` (``SmtpSession.summary()``, ``Fetch.summary()``). The results
document moves them into its ``transcripts`` and ``fetches`` tables, each item once,
and the record cites them by index (``record["transcripts"]``, ``record["fetches"]``),
as ``answers`` are cited by ``evidence``. Everything in them came from the network:
the reports escape the text these functions return.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from html import escape

#: details key -> the document's table, and the record's key citing it.
TABLES: tuple[tuple[str, str], ...] = (("sessions", "transcripts"), ("fetch", "fetches"))


class ProbeTables:
    """The document's ``transcripts`` and ``fetches``, each distinct item once (by identity, else by content)."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict]] = {table: [] for _, table in TABLES}
        self._by_id: dict[int, int] = {}
        self._by_key: dict[Hashable, int] = {}
        self._kept: list[object] = []  # the items numbered by id stay alive, so an id is never reused

    def cite(self, record: dict, in_place: bool) -> dict:
        """``record`` with its sessions and fetch moved from ``details`` into the tables, cited by index."""
        details = record.get("details")
        if not isinstance(details, dict) or not any(key in details for key, _ in TABLES):
            return record
        out = record if in_place else dict(record)
        details = dict(details)
        for key, table in TABLES:
            items = details.pop(key, None)
            if items is None:
                continue
            out[table] = [self._number(table, item) for item in (items if isinstance(items, list) else [items])]
        out["details"] = details
        return out

    def _number(self, table: str, item: dict) -> int:
        i = self._by_id.get(id(item))
        if i is None:
            key = (table, json.dumps(item, sort_keys=True, default=str))
            i = self._by_key.get(key)
            if i is None:
                i = self._by_key[key] = len(self.tables[table])
                self.tables[table].append(item)
            self._by_id[id(item)] = i
            self._kept.append(item)
        return i


def inline(document: dict, record: dict) -> dict:
    """A document's record with its transcripts and fetch back in ``details`` (as a check made it)."""
    details = dict(record.get("details") or {})
    out = {k: v for k, v in record.items() if k not in ("transcripts", "fetches")}
    for key, table in TABLES:
        refs = record.get(table)
        if refs:
            items = [document[table][i] for i in refs]
            details[key] = items if key == "sessions" else items[0]
    out["details"] = details
    return out


def probe_texts(details: dict) -> list[str]:
    """The SMTP sessions and the HTTPS fetch a record's ``details`` still carries (a record fresh from a check), as
    text (pytest-html's report and the terminal)."""
    sessions = details.get("sessions")
    texts = [transcript_text(s) for s in sessions if isinstance(s, dict)] if isinstance(sessions, list) else []
    if isinstance(details.get("fetch"), dict):
        texts.append(fetch_text(details["fetch"]))
    return texts


def transcript_text(item: dict) -> str:
    """One SMTP session as a mail administrator reads it: the lines exchanged, then the TLS facts."""
    lines = [f";; SMTP session with {item.get('host')} [{item.get('address')}]:{item.get('port')}"]
    lines += [str(line) for line in item.get("transcript") or ["(no connection)"]]
    if item.get("tls_version"):
        lines.append(f";; TLS {item['tls_version']}, cipher {item.get('cipher')}")
    old = item.get("old_versions") or {}
    if old:
        lines.append(";; " + "; ".join(f"{version}: {said}" for version, said in old.items()))
    if item.get("tls_version") or item.get("verify_error"):
        lines.append(f";; certificate validation: {item.get('verify_error') or 'valid for the host'}")
    lines += certificate_lines(item.get("certificates") or [])
    return "\n".join(lines)


def certificate_lines(certificates: list[dict]) -> list[str]:
    out = []
    for n, cert in enumerate(certificates):
        if "error" in cert:
            out.append(f";; certificate {n}: {cert['error']}")
            continue
        out.append(f";; certificate {n}: subject {cert.get('subject')}; SANs {', '.join(cert.get('sans') or []) or '-'}"
                   f"; issuer {cert.get('issuer')}; valid {cert.get('not_before')} to {cert.get('not_after')}; "
                   f"SPKI SHA-256 {cert.get('spki_sha256')}")
    return out


def fetch_text(item: dict) -> str:
    """One HTTPS fetch: the request, the status line and headers, the body as fetched (up to the policy limit)."""
    lines = [f";; GET {item.get('url')} from {item.get('address')}"]
    if item.get("error"):
        lines.append(f";; no answer: {item['error']}")
    if item.get("status") is not None:
        lines.append(f"HTTP {item['status']} {item.get('reason', '')}".rstrip())
        lines += [f"{k}: {v}" for k, v in item.get("headers") or []]
        lines.append("")
        lines.append(str(item.get("body", "")))
        if item.get("truncated"):
            lines.append(";; (the body goes on: reading stopped at the policy limit, 64 KB)")
    if item.get("tls_version"):
        lines.append(f";; TLS {item['tls_version']}")
    lines += certificate_lines(item.get("certificates") or [])
    return "\n".join(lines)


_LABELS = {"transcripts": ("T", "SMTP session", transcript_text), "fetches": ("H", "HTTPS fetch", fetch_text)}


def probe_links(record: dict, anchor: str) -> str:
    """`` · SMTP T1 T2`` for a problem row of audit.html: links to the section's transcripts and fetches."""
    parts = []
    for table, (letter, what, _) in _LABELS.items():
        refs = record.get(table) or []
        if refs:
            links = " ".join(f'<a href="#{anchor}~{letter}{i}">{letter}{i}</a>' for i in dict.fromkeys(refs))
            parts.append(f" · {what}s {links}")
    return "".join(parts)


def probe_blocks(records: list[dict], tables: dict[str, list[dict]], anchor: str) -> str:
    """A domain's SMTP sessions and HTTPS fetches in audit.html, each once, folded and escaped."""
    out = []
    for table, (letter, what, text) in _LABELS.items():
        used = list(dict.fromkeys(i for r in records for i in r.get(table) or ()))
        items = tables.get(table) or []
        blocks = [f'<span id="{anchor}~{letter}{i}">[{letter}{i}]</span> {escape(text(items[i]))}'
                  for i in used if i < len(items)]
        if blocks:
            out.append(f"<details><summary>{what} evidence: {len(blocks)} {what}(s)</summary>"
                       f"<pre>{chr(10).join(blocks)}</pre></details>")
    return "".join(out)
