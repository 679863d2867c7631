"""GitHub Actions: failures and regressions as workflow annotations, and a Markdown job summary.

With ``GITHUB_ACTIONS=true`` (set by every Actions runner) the run prints one workflow
command per (domain, cause) after its summary (``::error file=zones/example.com.zone,
line=7,title=mx.resolve::...``; warnings as ``::warning``) and appends the job summary
(:mod:`mailtests.jobsummary`) to ``$GITHUB_STEP_SUMMARY``. Each annotation stands on the
line that causes it: a regression's changed zone-file line, else the zone-file record the
check read, else the zone's SOA (a record that is missing), else the domain's entry in the
domains file. Under ``--fail-on regression`` only regressions are errors; the failures the
change did not make are warnings.

Escaping follows GitHub's workflow-command rules (``toolkit/packages/core/src/command.ts``):
in the message ``%``, CR and LF; in a property also ``:`` and ``,``. Nothing else is needed,
and no library exists for it outside the Node toolkit.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dns.exception
import dns.name

from .causes import Group, notable_groups, printable
from .dnslayer.zonelines import record_lines

#: The record types each area judges (the others it reads are context: an MX set, a host's addresses).
JUDGED_TYPES: dict[str, tuple[str, ...]] = {
    "ns": ("NS",), "mx": ("MX",), "ptr": ("PTR",), "spf": ("TXT",), "dmarc": ("TXT",), "dkim": ("TXT",),
    "bimi": ("TXT",), "mta-sts": ("TXT",), "tlsrpt": ("TXT",), "dane": ("TLSA",), "dnssec": ("DNSKEY", "DS"),
}
_CHANGED_LINE = re.compile(r"(?P<file>.+?):(?P<line>\d+): ")


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def enabled() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


class Locator:
    """Where a group of results stands: (file, line) in a zone file or the domains file, or None."""

    def __init__(self, answers: list[dict], engine=None, settings=None) -> None:
        self.answers = answers
        self.zones = getattr(getattr(engine, "layer", None), "zones", None)
        self.lines: dict[dns.name.Name, dict] = {}
        self.entries = {e.name: e for e in getattr(settings, "domains", ())}
        config = getattr(settings, "config", None)
        self.domains_file = _shown(config.path) if config is not None and config.path.is_file() else None

    def where(self, group: Group) -> tuple[str, int] | None:
        for record in group.records:
            for change in record.get("details", {}).get("zone_changes", ()):
                m = _CHANGED_LINE.match(change)
                if m:
                    return m["file"], int(m["line"])
        for record in group.records:
            found = self._evidence_line(record)
            if found:
                return found
        entry = self.entries.get(group.domain)
        if entry is not None and self.domains_file and entry.line:
            return self.domains_file, entry.line
        return None

    def _evidence_line(self, record: dict) -> tuple[str, int] | None:
        if self.zones is None:
            return None
        answers = [self.answers[i] if isinstance(i, int) else i for i in record.get("evidence", ())]
        answers = [a for a in answers if str(a.get("server", "")).startswith("zone:")]
        # the record a check judges is of its area's type (the _dmarc TXT record, not the MX set the tree walk
        # asked first to learn whether the domain exists); failing that, the first record it read
        judged = JUDGED_TYPES.get(str(record.get("check", "")).split(".", 1)[0], ())
        for wanted in (judged, None):
            for answer in answers:
                for rr in answer.get("records", ()):
                    if wanted is None or rr["type"] in wanted:
                        found = self._line(rr["name"], rr["type"], rr["data"])
                        if found:
                            return found
        for answer in answers:  # a record the check looked for and did not find: the zone's SOA
            found = self._soa_line(answer["name"])
            if found:
                return found
        return None

    def _index(self, name: str) -> tuple[dns.name.Name, dict] | None:
        try:
            apex = self.zones.apex_for(dns.name.from_text(name))
        except dns.exception.DNSException:
            return None
        if apex is None:
            return None
        if apex not in self.lines:
            self.lines[apex] = record_lines(self.zones.zones[apex][1], apex)
        return apex, self.lines[apex]

    def _line(self, name: str, rdtype: str, data: str) -> tuple[str, int] | None:
        found = self._index(name)
        if found is None:
            return None
        where = found[1].get((dns.name.from_text(name), rdtype, data))
        return (_shown(where[0]), where[1]) if where else None

    def _soa_line(self, name: str) -> tuple[str, int] | None:
        found = self._index(name)
        if found is None:
            return None
        apex, lines = found
        where = next((w for (owner, rdtype, _), w in lines.items() if owner == apex and rdtype == "SOA"), None)
        return (_shown(where[0]), where[1]) if where else None


def _shown(path: Path) -> str:
    """A path relative to the working folder (the repository's root in a workflow) where possible."""
    try:
        return Path(path).resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def annotations(records: list[dict], locator: Locator, fail_on: str = "any") -> list[str]:
    """One workflow command per (domain, outcome, change, cause)."""
    out = []
    for group in notable_groups(records):
        gating = group.outcome in ("fail", "error") and (fail_on != "regression" or group.change == "regression")
        command = "error" if gating else "warning"
        title = group.checks[0] if len(group.records) == 1 else f"{group.domain}: {len(group.records)} checks"
        if group.change:
            title += f" [{group.change}]"
        props = []
        where = locator.where(group)
        if where is not None:
            props += [f"file={escape_property(where[0])}", f"line={where[1]}"]
        props.append(f"title={escape_property(printable(title))}")
        text = group.line().split(" ", 1)[1].strip()  # without the outcome word: the command says it
        out.append(f"::{command} {','.join(props)}::{escape_data(printable(text))}")
    return out


def report(tr, document: dict, engine=None, settings=None) -> None:
    """Print the annotations and append the job summary (when ``$GITHUB_STEP_SUMMARY`` names a file)."""
    from .jobsummary import job_summary

    records = document["results"]
    fail_on = getattr(settings, "fail_on", "any")
    for line in annotations(records, Locator(document.get("answers", []), engine, settings), fail_on):
        tr.write_line(line)
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(job_summary(document))
