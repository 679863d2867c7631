"""The Markdown job summary of a run (GitHub Actions' ``$GITHUB_STEP_SUMMARY``), made from the results document.

Counts first, then regressions, then failures and warnings by domain, one line per
(domain, cause) as in the terminal summary, and at the end the catalog rows of every
check named above (id, severity, requirement, reference linked to the RFC). Messages
and names come from DNS and the domains file: every one is escaped for Markdown
(:func:`md`), so a TXT record cannot add links, images or markup to the page.
"""

from __future__ import annotations

import re

from .catalog import CHECKS, rfc_url
from .causes import Group, notable_groups, printable

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_GLYPH = {"fail": "✗", "error": "‼", "warn": "⚠"}


def md(text: str) -> str:
    """``text`` as literal Markdown inline text: specials backslash-escaped, HTML's ``<`` and ``&`` as entities."""
    text = printable(str(text)).replace("&", "&amp;").replace("<", "&lt;")
    return _MARKDOWN.sub(r"\\\1", text)


def _check_link(check: str) -> str:
    spec = CHECKS.get(check)
    url = rfc_url(spec.reference) if spec is not None else None
    return f"[`{check}`]({url})" if url else f"`{check}`"


def _item(group: Group) -> str:
    glyph = _GLYPH.get(group.outcome, "")
    mark = f" \\[{md(group.change)}\\]" if group.change else ""
    if len(group.records) == 1:
        message = md(group.records[0]["message"])
        return f"- {glyph} {group.outcome.upper()} {_check_link(group.checks[0])}{mark}: {message}"
    return f"- {glyph} {group.outcome.upper()}{mark}: {md(group.text())}"


def job_summary(document: dict) -> str:
    records = document["results"]
    run = document.get("run", {})
    counts = document.get("summary") or {}
    domains = sorted({r["domain"] for r in records})
    out = [f"## mailtests: {len(domains)} subject(s), {len(records)} results", "",
           "| outcome | results |", "|---|---:|"]
    out += [f"| {md(k)} | {n} |" for k, n in counts.items()]
    regressions = [r for r in records if r.get("change") == "regression"]
    if any("change" in r for r in records):
        out.append(f"| regressions | {len(regressions)} |")
    out += ["", f"Domains file: {md(run.get('domains_file', ''))}"
            + (f"; zone files: {md(', '.join(run['zone_files']))}" if run.get("zone_files") else ""), ""]
    groups = notable_groups(records)
    named: list[str] = []
    for title, chosen in (("Regressions", [g for g in groups if g.change == "regression"]),
                          ("Failures and warnings by domain", [g for g in groups if g.change != "regression"])):
        if not chosen:
            continue
        out += [f"### {title}", ""]
        by_domain: dict[str, list[Group]] = {}
        for group in chosen:
            by_domain.setdefault(group.domain, []).append(group)
        for domain, items in by_domain.items():
            out += [f"#### {md(domain)}", ""] + [_item(g) for g in items] + [""]
            named += [c for g in items for c in g.checks]
    if not groups:
        out += ["Every check passed or was skipped.", ""]
    named = list(dict.fromkeys(named))
    if named:
        out += ["### The checks named above (catalog)", "", "| check | severity | requirement | reference |",
                "|---|---|---|---|"]
        for check in named:
            spec = CHECKS.get(check)
            if spec is None:
                continue
            url = rfc_url(spec.reference)
            reference = f"[{md(spec.reference)}]({url})" if url else md(spec.reference)
            out.append(f"| `{check}` | {spec.severity.value} | {md(spec.requirement)} | {reference} |")
        out.append("")
    return "\n".join(out) + "\n"
