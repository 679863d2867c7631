"""reports/audit.html: the auditor's static report, rendered from the same document as results.json.

One self-contained file: inline CSS, no script (a Content-Security-Policy forbids any),
readable with scripting disabled and on paper. It opens with the run's summary
(counts by outcome, run metadata) and a matrix of domains by check area, failures
first; then one section per domain with each check's verdict, the reason, the RFC
reference and the DNS evidence behind it.

Evidence is deduplicated: the run asks each question once, and many checks read the
same answers (the document holds each answer once, in ``answers``, and records cite
them by index), so each domain section lists its answers once (numbered; the checks
that did not pass name the numbers they used) and answers that several domains
share (a DNS provider's name servers, a common SPF include) are printed once at the
end. This keeps 10,000 domains x 35 checks in a file a browser opens in seconds.

Everything taken from the document (DNS data, the domains file, messages) is
escaped; ids derived from domain names go through :func:`mailtests.render.anchor`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from .audit_causes import cause_row, shared_causes
from .catalog import AREAS, CHECKS
from .escaping import html as escape
from .render import (
    GLYPH,
    MEANING,
    OUTCOMES,
    RANK,
    anchor,
    auth_texts,
    chain_text,
    dig_text,
    other_details_text,
    reference_html,
    sending_ips_text,
    spf_tree_text,
    spf_tree_title,
    spf_trees,
    verdict_html,
    worst,
)

#: Up to this many results the report prints every passed check's message; above, passed checks are
#: listed by id (their messages stay in results.json), so that 10,000 domains stay under 30 MB.
PASS_MESSAGES_UP_TO = 20_000
#: Rows per matrix table: each table is laid out only when scrolled into view (content-visibility).
MATRIX_CHUNK = 200

EXIT_STATUS = {0: "all tests passed", 1: "some tests failed", 2: "interrupted", 3: "internal error",
               4: "usage error", 5: "no tests collected"}

CSS = """
.change{font-weight:bold;padding:0 .3em;border:1px solid}
.c-regression{color:#a00}.c-fixed{color:#060}
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
.matrix{table-layout:fixed;width:100%;margin:0}.matrix td{white-space:nowrap;overflow:hidden}
.matrix th{overflow-wrap:anywhere}.matrix th a{font-weight:normal}.c-name{width:28%}
.chunk{content-visibility:auto;contain-intrinsic-size:auto 40em}
ul.list{margin:.1em 0 .4em;padding-left:1.2em;list-style:none}ul.list li{overflow-wrap:anywhere}
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
.subject,.chunk{content-visibility:visible;contain-intrinsic-size:none;break-inside:auto}
details::details-content{content-visibility:visible;display:block}
details>summary{list-style:none;color:#111}
a{color:inherit;text-decoration:none}
tr,pre{break-inside:avoid}
td.o-pass,td.o-fail,td.o-warn,td.o-skip,td.o-error{background:none}
}
"""


def write_audit_html(path: Path, document: dict, pass_messages: bool | None = None) -> Path:
    """Write audit.html for a results document, atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(render_audit(document, pass_messages))
    os.replace(tmp, path)
    return path


class _Evidence:
    """The run's answers (the document's ``answers``, numbered by their index there) and how many subjects
    (domains, resolvers) used each."""

    def __init__(self, answers: list[dict]) -> None:
        self.answers = answers
        self.users: list[int] = [0] * len(answers)
        self._last: list[int] = [-1] * len(answers)
        self.shared_label: dict[int, int] = {}

    def refs(self, indexes: list[int], subject: int) -> list[int]:
        """One record's evidence (indexes into ``answers``), counting ``subject`` as a user of each answer."""
        users, last = self.users, self._last
        for i in indexes:
            if last[i] != subject:
                last[i] = subject
                users[i] += 1
        return indexes

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
    """The run's subjects, resolvers first, then the worst first; the subjects using each answer counted in
    ``evidence``."""
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
        specs = [CHECKS[r["check"]] for r in subject.records if r["check"] in CHECKS]
        subject.resolver = bool(specs) and all(spec.per_run for spec in specs)
    regressed = {r["domain"] for r in results if r.get("change") == "regression"}
    subjects.sort(key=lambda s: (not s.resolver, s.name not in regressed, -RANK.get(s.worst, 5), s.name))
    return subjects


def _cell(outcome: str) -> str:
    """A table cell with an outcome's glyph and word, coloured by class."""
    if outcome not in GLYPH:
        return f'<td class="o-unknown">? {escape(outcome)}'
    return f"<td class=o-{outcome}>{GLYPH[outcome]} {outcome}"


CELLS = {o: _cell(o) for o in GLYPH}


def _area_cell(outcomes: list[str] | None) -> str:
    """The matrix cell of one area: its worst checked outcome, and how many checks were skipped."""
    if not outcomes:
        return "<td class=o-none>– n/a"
    checked = [o for o in outcomes if o != "skip"]
    verdict = worst(checked) if checked else "skip"
    skipped = len(outcomes) - len(checked)
    more = f" +{skipped} skip" if skipped and checked else ""
    return (CELLS.get(verdict) or _cell(verdict)) + more


def _summary(document: dict) -> Iterator[str]:
    """Counts by outcome, what they mean, and the run's metadata."""
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


def _change_html(record: dict) -> str:
    """The comparison with live DNS (--compare-live), as a tag before the message."""
    change = record.get("change")
    if not change:
        return ""
    live = record.get("live") or {}
    return (f'<span class="change c-{escape(change.replace(" ", "-"))}">{escape(change)}</span> '
            f'<small>(live: {escape(str(live.get("outcome", "?")))})</small> ')


def _changes(results: list[dict]) -> Iterator[str]:
    """With --compare-live: what the proposed zones change against live DNS, regressions first."""
    compared = [r for r in results if r.get("change")]
    if not compared:
        return
    counts = {c: sum(1 for r in compared if r["change"] == c) for c in ("regression", "fixed", "still failing",
                                                                       "unchanged")}
    yield ('<section id="changes"><h2>Changes against live DNS</h2><p class="note">Each check ran against the '
           "proposed zone files and against live DNS. " + ", ".join(f"{n} {c}" for c, n in counts.items()) + ".</p>")
    shown = [r for r in compared if r["change"] in ("regression", "fixed")]
    shown.sort(key=lambda r: (r["change"] != "regression", r["domain"], r["check"]))
    if shown:
        yield '<table class="find"><thead><tr><th>Verdict</th><th>Domain</th><th>Check</th><th>Finding</th></tr>'
        yield "</thead><tbody>"
        for r in shown:
            yield (f'<tr>{CELLS.get(r["outcome"]) or _cell(r["outcome"])}<td><a href="#{anchor(r["domain"])}">'
                   f'{escape(r["domain"])}</a><td>{escape(r["check"])}<td>{_change_html(r)}{escape(r["message"])}'
                   "\n")
        yield "</tbody></table>"
    yield "</section>"


def _matrix(subjects: list[_Subject], areas: list[str]) -> Iterator[str]:
    """The domains x areas matrix, in tables of :data:`MATRIX_CHUNK` rows that the browser lays out when seen."""
    cols = (f'<colgroup><col class="c-name"><col class="c-area" span="{len(areas) + 1}"></colgroup>')
    yield ('<section id="matrix"><h2>Domains by check area</h2><p class="note">The worst outcome of each area '
           "(skipped checks are counted apart); domains with failures first. A name leads to its findings.</p>")
    head = "".join(f"<th>{escape(a)}</th>" for a in areas)
    yield f'<table class="matrix">{cols}<thead><tr><th>Domain</th><th>overall</th>{head}</tr></thead></table>'
    for start in range(0, len(subjects), MATRIX_CHUNK):
        rows = [f'<div class="chunk"><table class="matrix">{cols}<tbody>']
        kind = None if start == 0 else subjects[start - 1].resolver
        for subject in subjects[start:start + MATRIX_CHUNK]:
            if subject.resolver != kind:
                kind = subject.resolver
                label = "Resolvers (checked once per run)" if kind else "Domains"
                rows.append(f'<tr><th colspan="{len(areas) + 2}">{label}</th></tr>')
            rows.append(f'<tr><th><a href="#{anchor(subject.name)}">{escape(subject.name)}</a>'
                        f"{CELLS.get(subject.worst) or _cell(subject.worst)}"
                        f"{''.join(_area_cell(subject.areas.get(a)) for a in areas)}\n")
        rows.append("</tbody></table></div>")
        yield "".join(rows)
    yield "</section>"


def _catalog(results: list[dict]) -> Iterator[str]:
    """The checks of the run with their severity, requirement, reference and counts (the rows' link targets)."""
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


def _subject(subject: _Subject, evidence: _Evidence, references: dict[str, str], pass_messages: bool) -> str:
    """One domain's section: problems in a table, skips and passes in lists, the SPF tree and the evidence."""
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
    chains: list[str] = []  # DNSSEC chains of trust (details["chain"]), each printed once
    problems: list[str] = []
    skips: list[str] = []
    passes: list[str] = []
    linked: set[int] = set()  # answers a problem row links to: they get an id
    causes = shared_causes(subject.records, subject.refs)  # checks that failed for one cause: one row
    for r, refs in zip(subject.records, subject.refs, strict=True):
        if id(r) in causes:
            group, refs = causes.pop(id(r))
            if group is not None:
                linked.update(refs)
                cell = CELLS.get(group.outcome) or _cell(group.outcome)
                problems.append(cause_row(group, refs, anc, local, shared, cell))
            continue
        outcome = r["outcome"]
        details = r.get("details")
        if details:
            ips = sending_ips_text(details)
            if ips and ips not in notes:
                notes.append(ips)
            notes.extend(t for t in auth_texts(details) if t not in notes)
            for walked in spf_trees(details):
                if walked not in trees:
                    trees.append(walked)
            chain = chain_text(details)
            if chain and chain not in chains:
                chains.append(chain)
        if outcome == "pass":
            passes.append(f"<li>✓ {escape(r['check'])}: {escape(r['message'])}" if pass_messages
                          else escape(r["check"]))
            continue
        if outcome == "skip":
            skips.append(f"<li>⊘ {escape(r['check'])}: {escape(r['message'])}")
            continue
        ref = references.get(r["reference"])
        if ref is None:
            ref = references[r["reference"]] = reference_html(r["reference"])
        row = [f'<tr>{CELLS.get(outcome) or _cell(outcome)}<td><a href="#{anchor(r["check"], "c-")}">'
               f'{escape(r["check"])}</a><br><small>{escape(r["severity"])}</small><td>{_change_html(r)}'
               f'{escape(r["message"])}<br><small>{ref}']
        if refs:
            linked.update(refs)
            links = (f'<a href="#s-{shared[i]}">S{shared[i]}</a>' if i in shared else
                     f'<a href="#{anc}~{local[i]}">{local[i]}</a>' for i in dict.fromkeys(refs))
            row.append(" · evidence " + " ".join(links))
        row.append("</small>")
        other = other_details_text(details or {})
        if details and details.get("traceback"):
            other = f"{other}\n{details['traceback']}".strip()
        if other:
            row.append(f"<details><summary>details</summary><pre>{escape(other)}</pre></details>")
        problems.append("".join(row) + "\n")
    out.extend(f'<p class="meta-line">{escape(n)}</p>' for n in notes)
    if problems:
        out.append('<table class="find"><thead><tr><th>Verdict</th><th>Check</th><th>Finding</th></tr></thead>'
                   f'<tbody>{"".join(problems)}</tbody></table>')
    if skips:
        out.append(f'<p class="o-skip">⊘ skipped ({len(skips)}): the check does not apply</p>'
                   f'<ul class="list">{"".join(skips)}</ul>')
    if passes and pass_messages:
        out.append(f'<p class="o-pass">✓ passed ({len(passes)})</p><ul class="list">{"".join(passes)}</ul>')
    elif passes:
        out.append(f'<p><span class="o-pass">✓ passed ({len(passes)}):</span> {", ".join(passes)}</p>')
    for walked in trees:
        root = walked["tree"]
        if root.get("children") or root.get("errors") or root.get("voids") or root.get("notes"):
            out.append(f"<details><summary>{escape(spf_tree_title(walked))}</summary>"
                       f"<pre>{escape(spf_tree_text(walked, child_records=False))}</pre></details>")
        else:  # a record without include or redirect: its counts say it all
            out.append(f'<p class="meta-line">{escape(spf_tree_title(walked))}; no include or redirect</p>')
    out.extend(f"<details><summary>DNSSEC chain of trust</summary><pre>{escape(chain)}</pre></details>"
               for chain in chains)
    if local or shared:
        out.append(f"<details><summary>DNS evidence: {len(local)} answer(s) for this {kind.lower()}"
                   + (f", {len(shared)} shared with others" if shared else "") + "</summary>")
        if local:
            blocks = ((f'<span id="{anc}~{n}">[{n}]</span> ' if i in linked else f"[{n}] ")
                      + escape(dig_text(evidence.answers[i])) for i, n in local.items())
            out.append("<pre>" + "\n".join(blocks) + "</pre>")
        if shared:
            out.append(f'<p class="meta-line"><a href="#shared">Shared answers</a> used here: '
                       f'{" ".join(f"S{n}" for n in shared.values())}</p>')
        out.append("</details>")
    else:
        out.append('<p class="note">No DNS question was needed.</p>')
    out.append("</section>\n")
    return "".join(out)


def _shared(evidence: _Evidence) -> Iterator[str]:
    """The answers used by more than one subject, each once, in the order the sections first name them."""
    if not evidence.shared_label:
        return
    yield ('<section id="shared"><h2>DNS answers shared by several domains</h2><p class="note">Answers that more '
           "than one domain's checks used (name servers, mail hosts or SPF includes in common), printed once."
           f'</p><details><summary>{len(evidence.shared_label)} shared answer(s)</summary>')
    for i, n in evidence.shared_label.items():
        yield (f'<pre id="s-{n}">[S{n}] used by {evidence.users[i]} domains\n'
               f"{escape(dig_text(evidence.answers[i]))}</pre>\n")
    yield "</details></section>"


def render_audit(document: dict, pass_messages: bool | None = None) -> Iterator[str]:
    """The audit report for a results document, as chunks of HTML to join or write.

    ``pass_messages``: print the message of each passed check (default: up to
    :data:`PASS_MESSAGES_UP_TO` results; above, passed checks are listed by id).
    """
    results = document.get("results", [])
    evidence = _Evidence(document.get("answers", []))
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
           '<nav class="screen-only"><a href="#summary">Summary</a>'
           + ('<a href="#changes">Changes against live DNS</a>' if any(r.get("change") for r in results) else "")
           + '<a href="#matrix">Domains by area</a>'
           '<a href="#checks">Checks</a><a href="#findings">Findings by domain</a>'
           + ('<a href="#shared">Shared DNS answers</a>' if any(u > 1 for u in evidence.users) else "")
           + "</nav>\n")
    yield from _summary(document)
    yield from _changes(results)
    yield from _matrix(subjects, areas)
    yield from _catalog(results)
    yield ('<section id="findings"><h2>Findings by domain</h2><p class="note">Each check with its verdict and the '
           "reason; checks that did not pass give their reference and the numbers of the DNS answers they used. "
           "The answers are folded under each domain.</p>\n")
    references: dict[str, str] = {}
    if pass_messages is None:
        pass_messages = len(results) <= PASS_MESSAGES_UP_TO
    if not pass_messages:
        yield (f'<p class="note">This run has {len(results)} results: to keep the report quick to open, passed '
               "checks are listed by id; their messages are in results.json.</p>")
    for subject in subjects:
        yield _subject(subject, evidence, references, pass_messages)
    yield "</section>"
    yield from _shared(evidence)
    yield "</body></html>\n"
