"""reports/audit.html: the auditor's static report, rendered from the same document as results.json.

One self-contained file: inline CSS, no script (a Content-Security-Policy forbids any),
readable with scripting disabled and on paper. It opens with the run's summary
(counts by outcome, run metadata) and a matrix of domains by check area, failures
first; then one section per domain with each check's verdict, the reason, the RFC
reference and the DNS evidence behind it.

Evidence is deduplicated: the run asks each question once, and many checks read the
same answers, so each domain section lists its answers once (numbered; the checks
that did not pass name the numbers they used) and answers that several domains
share (a DNS provider's name servers, a common SPF include) are printed once at the
end. This keeps 10,000 domains x 35 checks in a file a browser opens in seconds.

Everything taken from the document (DNS data, the domains file, messages) is
escaped; ids derived from domain names go through :func:`mailtests.render.anchor`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from html import escape
from pathlib import Path

from .catalog import AREAS, CHECKS
from .render import (
    GLYPH,
    MEANING,
    OUTCOMES,
    RANK,
    anchor,
    answer_key,
    dig_text,
    other_details_text,
    reference_html,
    sending_ips_text,
    spf_tree_text,
    verdict_html,
    worst,
)

EXIT_STATUS = {0: "all tests passed", 1: "some tests failed", 2: "interrupted", 3: "internal error",
               4: "usage error", 5: "no tests collected"}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111;background:#fff;margin:0 auto;
max-width:90em;padding:0 1em 2em}
h1{font-size:1.6em;margin:.6em 0 .2em}h2{font-size:1.3em;margin:1.2em 0 .4em;border-bottom:2px solid #333}
h3{font-size:1.1em;margin:0 0 .3em}
table{border-collapse:collapse;margin:.3em 0}
th,td{border:1px solid #bbb;padding:.15em .45em;text-align:left;vertical-align:top}
thead th{background:#eee}
a{color:#0645ad}
.o-pass{color:#0b6b2b}.o-fail{color:#b0001e;font-weight:bold}.o-warn{color:#8a4b00;font-weight:bold}
.o-skip{color:#555}.o-error{color:#7a0077;font-weight:bold}.o-none{color:#777}
td.o-pass{background:#e8f5ec}td.o-fail{background:#fde7ea}td.o-warn{background:#fff2d6}
td.o-skip{background:#f2f2f2}td.o-error{background:#f7e6f7}
.counts td{font-size:1.15em;text-align:right;min-width:4em}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:.5em 0}
dl.meta dt{font-weight:bold}dl.meta dd{margin:0;overflow-wrap:anywhere}
.matrix td{white-space:nowrap}.matrix th a{font-weight:normal}
.subject{border-top:1px solid #999;padding:.6em 0;content-visibility:auto;contain-intrinsic-size:auto 30em}
.find td:first-child{white-space:nowrap}.find td:last-child{overflow-wrap:anywhere}
.meta-line{margin:.2em 0}
small,.note{color:#444}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25em 0;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;
background:#f6f6f6;padding:.3em .5em;border-left:3px solid #ccc}
details{margin:.3em 0}summary{cursor:pointer;color:#0645ad}
nav a{margin-right:1em}
@media print{
body{max-width:none;padding:0;font-size:10pt}
nav,.screen-only{display:none}
.subject{content-visibility:visible;contain-intrinsic-size:none;break-inside:auto}
details::details-content{content-visibility:visible;display:block}
details>summary{list-style:none;color:#111}
a{color:inherit;text-decoration:none}
tr,pre{break-inside:avoid}
td.o-pass,td.o-fail,td.o-warn,td.o-skip,td.o-error{background:none}
}
"""


def write_audit_html(path: Path, document: dict) -> Path:
    """Write audit.html for a results document, atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(render_audit(document))
    os.replace(tmp, path)
    return path


class _Evidence:
    """Every distinct answer of the run, numbered, and how many subjects (domains, resolvers) used each."""

    def __init__(self) -> None:
        self.ids: dict[tuple, int] = {}
        self.answers: list[dict] = []
        self.users: list[int] = []
        self._last: list[int] = []
        self.shared_label: dict[int, int] = {}

    def refs(self, answers: list[dict], subject: int) -> list[int]:
        """The answer numbers of one record's evidence (registering new answers)."""
        out = []
        for answer in answers:
            key = answer_key(answer)
            i = self.ids.get(key)
            if i is None:
                i = self.ids[key] = len(self.answers)
                self.answers.append(answer)
                self.users.append(0)
                self._last.append(-1)
            if self._last[i] != subject:
                self._last[i] = subject
                self.users[i] += 1
            out.append(i)
        return out

    def shared(self, i: int) -> int:
        """The S-number of a shared answer, numbered in order of first mention."""
        label = self.shared_label.get(i)
        if label is None:
            label = self.shared_label[i] = len(self.shared_label) + 1
        return label


class _Subject:
    """One domain (or resolver) of the run, with its records sorted worst first."""

    __slots__ = ("name", "records", "refs", "worst", "areas", "resolver")

    def __init__(self, name: str) -> None:
        self.name = name
        self.records: list[dict] = []
        self.refs: list[list[int]] = []
        self.worst = "skip"
        self.areas: dict[str, list[str]] = {}
        self.resolver = False


def _collect(results: list[dict], evidence: _Evidence) -> list[_Subject]:
    by_name: dict[str, _Subject] = {}
    for record in results:
        subject = by_name.get(record["domain"])
        if subject is None:
            subject = by_name[record["domain"]] = _Subject(record["domain"])
        subject.records.append(record)
    subjects = list(by_name.values())
    for index, subject in enumerate(subjects):
        subject.records.sort(key=lambda r: (-RANK.get(r["outcome"], 5), r["check"]))
        subject.refs = [evidence.refs(r.get("evidence") or [], index) for r in subject.records]
        for r in subject.records:
            subject.areas.setdefault(r["check"].split(".", 1)[0], []).append(r["outcome"])
        subject.worst = worst(r["outcome"] for r in subject.records)
        subject.resolver = all(spec.per_run for spec in map(CHECKS.get, (r["check"] for r in subject.records))
                               if spec is not None) and any(r["check"] in CHECKS for r in subject.records)
    subjects.sort(key=lambda s: (not s.resolver, -RANK.get(s.worst, 5), s.name))
    return subjects


def _area_cell(outcomes: list[str] | None) -> str:
    if not outcomes:
        return '<td class="o-none">– n/a'
    checked = [o for o in outcomes if o != "skip"]
    verdict = worst(checked) if checked else "skip"
    skipped = len(outcomes) - len(checked)
    more = f" <small>+{skipped} skip</small>" if skipped and checked else ""
    return f'<td class="o-{escape(verdict)}">{GLYPH.get(verdict, "?")} {escape(verdict)}{more}'


def _summary(document: dict, areas: list[str]) -> Iterator[str]:
    run = document.get("run", {})
    summary = document.get("summary", {})
    versions = run.get("versions") or {}
    suite = versions.get("mailtests")
    if not suite or suite == "not installed":
        from . import __version__ as suite
    yield '<section id="summary"><h2>Summary</h2><table class="counts"><thead><tr>'
    yield "".join(f'<th class="o-{o}">{GLYPH[o]} {o}</th>' for o in OUTCOMES)
    yield "<th>total</th></tr></thead><tbody><tr>"
    yield "".join(f'<td id="count-{o}" class="o-{o}">{int(summary.get(o, 0))}</td>' for o in OUTCOMES)
    yield f'<td id="count-total">{len(document.get("results", []))}</td></tr></tbody></table>'
    yield '<p class="note">' + "; ".join(f"{GLYPH[o]} <b>{o}</b>: {MEANING[o]}" for o in OUTCOMES) + ".</p>"
    status = run.get("exitstatus")
    rows: list[tuple[str, str]] = [
        ("Started (UTC)", escape(str(run.get("started", "")))),
        ("Finished (UTC)", escape(str(run.get("finished", "")))),
        ("Suite", f"mailtests {escape(str(suite))}"),
        ("Exit status", f"{escape(str(status))} ({EXIT_STATUS.get(status, 'unknown')})"),
        ("Domains file", f'{escape(str(run.get("domains_file", "")))}<br><small>SHA-256 '
                         f'<code>{escape(str(run.get("domains_file_sha256", "")))}</code></small>'),
        ("Domains", escape(str(run.get("domains", "")))),
        ("Resolvers", escape(", ".join(map(str, run.get("resolvers") or []))) or "none (no live DNS asked)"),
        ("Zone files", escape(", ".join(map(str, run.get("zone_files") or []))) or "none"),
        ("Offline", "yes: only the zone files were asked" if run.get("offline") else "no"),
        ("DNS timeout", f"{escape(str(run.get('timeout', '')))} s"),
    ]
    questions = run.get("dns_questions")
    if isinstance(questions, dict):
        rows.append(("DNS questions", f"{escape(str(questions.get('sent', '')))} asked, "
                                      f"{escape(str(questions.get('cached', '')))} answered from the run's cache"))
    rows.append(("Versions", escape(", ".join(f"{k} {v}" for k, v in versions.items()))))
    yield '<dl class="meta">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl></section>"


def _matrix(subjects: list[_Subject], areas: list[str]) -> Iterator[str]:
    yield ('<section id="matrix"><h2>Domains by check area</h2><p class="note">The worst outcome of each area; '
           "domains with failures first. A domain's name leads to its findings.</p>")
    head = "".join(f"<th>{escape(a)}</th>" for a in areas)
    yield f'<table class="matrix"><thead><tr><th>Domain</th><th>overall</th>{head}</tr></thead>'
    kind = None
    for subject in subjects:
        if subject.resolver != kind:
            kind = subject.resolver
            label = "Resolvers (checked once per run)" if kind else "Domains"
            yield f'<tbody><tr><th colspan="{len(areas) + 2}">{label}</th></tr>'
        cells = "".join(_area_cell(subject.areas.get(a)) for a in areas)
        yield (f'<tr><th><a href="#{anchor(subject.name)}">{escape(subject.name)}</a>'
               f'<td class="o-{escape(subject.worst)}">{GLYPH.get(subject.worst, "?")} {escape(subject.worst)}'
               f"{cells}</tr>\n")
    yield "</table></section>"


def _catalog(results: list[dict]) -> Iterator[str]:
    seen: dict[str, dict] = {}
    counts: dict[str, dict[str, int]] = {}
    for r in results:
        seen.setdefault(r["check"], r)
        c = counts.setdefault(r["check"], dict.fromkeys(OUTCOMES, 0))
        c[r["outcome"]] = c.get(r["outcome"], 0) + 1
    order = {cid: i for i, cid in enumerate(CHECKS)}
    yield ('<section id="checks"><h2>Checks</h2><table class="catalog"><thead><tr><th>Check</th><th>Severity</th>'
           "<th>Requirement</th><th>Reference</th>"
           + "".join(f'<th class="o-{o}">{GLYPH[o]} {o}</th>' for o in OUTCOMES) + "</tr></thead><tbody>")
    for cid in sorted(seen, key=lambda c: (order.get(c, len(order)), c)):
        r = seen[cid]
        spec = CHECKS.get(cid)
        severity = spec.severity.value if spec else r.get("severity", "")
        yield (f'<tr id="{anchor(cid, "c-")}"><td>{escape(cid)}<td>{escape(severity)}'
               f'<td>{escape(r.get("requirement", ""))}<td>{reference_html(r.get("reference", ""))}'
               + "".join(f"<td>{counts[cid][o]}" for o in OUTCOMES) + "</tr>\n")
    yield "</tbody></table></section>"


def _subject(subject: _Subject, evidence: _Evidence, check_cells: dict[str, str],
             references: dict[str, str]) -> str:
    name = escape(subject.name)
    anc = anchor(subject.name)
    local: dict[int, int] = {}  # answer id -> number in this section
    shared: dict[int, int] = {}  # answer id -> S-number
    for refs in subject.refs:
        for i in refs:
            if evidence.users[i] > 1:
                if i not in shared:
                    shared[i] = evidence.shared(i)
            elif i not in local:
                local[i] = len(local) + 1
    kind = "Resolver" if subject.resolver else "Domain"
    out = [f'<section class="subject" id="{anc}"><h3>{kind} {name} {verdict_html(subject.worst)}</h3>']
    notes: list[str] = []
    trees: list[dict] = []
    for r in subject.records:
        details = r.get("details")
        if details:
            ips = sending_ips_text(details)
            if ips and ips not in notes:
                notes.append(ips)
            tree = details.get("spf_tree")
            if isinstance(tree, dict) and tree not in trees:
                trees.append(tree)
    out.extend(f'<p class="meta-line">{escape(n)}</p>' for n in notes)
    out.append('<table class="find"><thead><tr><th>Verdict</th><th>Check</th><th>Finding</th></tr></thead><tbody>')
    for r, refs in zip(subject.records, subject.refs, strict=True):
        outcome = r["outcome"]
        cid = r["check"]
        cell = check_cells.get(cid)
        if cell is None:
            cell = check_cells[cid] = f'<a href="#{anchor(cid, "c-")}">{escape(cid)}</a>'
        if outcome == "pass":
            out.append(f'<tr><td class="o-pass">✓ pass<td>{cell}<td>{escape(r["message"])}\n')
            continue
        ref = references.get(r["reference"])
        if ref is None:
            ref = references[r["reference"]] = reference_html(r["reference"])
        o = escape(outcome)
        row = [f'<tr><td class="o-{o}">{GLYPH.get(outcome, "?")} {o}<td>{cell} <small>{escape(r["severity"])}'
               f'</small><td>{escape(r["message"])}<br><small>{ref}']
        if refs:
            links = (f'<a href="#s-{shared[i]}">S{shared[i]}</a>' if i in shared else
                     f'<a href="#{anc}~{local[i]}">{local[i]}</a>' for i in dict.fromkeys(refs))
            row.append(" · evidence: " + " ".join(links))
        row.append("</small>")
        details = r.get("details") or {}
        other = other_details_text(details)
        if details.get("traceback"):
            other = f"{other}\n{details['traceback']}".strip()
        if other:
            row.append(f"<details><summary>details</summary><pre>{escape(other)}</pre></details>")
        out.append("".join(row) + "\n")
    out.append("</tbody></table>")
    for tree in trees:
        out.append(f"<details><summary>SPF include tree</summary><pre>{escape(spf_tree_text(tree))}</pre></details>")
    if local or shared:
        out.append(f"<details><summary>DNS evidence: {len(local)} answer(s) for this {kind.lower()}"
                   + (f", {len(shared)} shared with others" if shared else "") + "</summary>")
        out.extend(f'<pre id="{anc}~{n}">[{n}] {escape(dig_text(evidence.answers[i]))}</pre>' for i, n in local.items())
        if shared:
            out.append('<p class="meta-line">Shared answers used here: '
                       + " ".join(f'<a href="#s-{n}">S{n}</a>' for n in shared.values()) + "</p>")
        out.append("</details>")
    else:
        out.append('<p class="note">No DNS question was needed.</p>')
    out.append("</section>\n")
    return "".join(out)


def _shared(evidence: _Evidence) -> Iterator[str]:
    if not evidence.shared_label:
        return
    yield ('<section id="shared"><h2>DNS answers shared by several domains</h2><p class="note">Answers that more '
           "than one domain's checks used (name servers, mail hosts or SPF includes in common), printed once."
           f'</p><details><summary>{len(evidence.shared_label)} shared answer(s)</summary>')
    for i, n in evidence.shared_label.items():
        yield (f'<pre id="s-{n}">[S{n}] used by {evidence.users[i]} domains\n'
               f"{escape(dig_text(evidence.answers[i]))}</pre>\n")
    yield "</details></section>"


def render_audit(document: dict) -> Iterator[str]:
    """The audit report for a results document, as chunks of HTML to join or write."""
    results = document.get("results", [])
    evidence = _Evidence()
    subjects = _collect(results, evidence)
    present = {r["check"].split(".", 1)[0] for r in results}
    areas = [a for a in AREAS if a in present] + sorted(present.difference(AREAS))
    run = document.get("run", {})
    source = escape(str(run.get("domains_file", "")))
    yield ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
           '<meta name="viewport" content="width=device-width, initial-scale=1">'
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
           f"<title>mailtests audit: {source}</title><style>{CSS}</style></head><body>\n")
    yield (f"<header><h1>mailtests compliance audit</h1><p>DNS and email delivery checks of the domains in "
           f"<code>{source}</code>, {len([s for s in subjects if not s.resolver])} domain(s), "
           f"{len(results)} result(s).</p></header>"
           '<nav class="screen-only"><a href="#summary">Summary</a><a href="#matrix">Domains by area</a>'
           '<a href="#checks">Checks</a><a href="#findings">Findings by domain</a>'
           + ('<a href="#shared">Shared DNS answers</a>' if any(u > 1 for u in evidence.users) else "")
           + "</nav>\n")
    yield from _summary(document, areas)
    yield from _matrix(subjects, areas)
    yield from _catalog(results)
    yield ('<section id="findings"><h2>Findings by domain</h2><p class="note">Each check with its verdict and the '
           "reason; checks that did not pass give their reference and the numbers of the DNS answers they used. "
           "The answers are folded under each domain.</p>\n")
    check_cells: dict[str, str] = {}
    references: dict[str, str] = {}
    for subject in subjects:
        yield _subject(subject, evidence, check_cells, references)
    yield "</section>"
    yield from _shared(evidence)
    yield "</body></html>\n"
