"""spf.authorizes-senders: the sending IPs evaluated as receivers do (RFC 7208 §2.6, §4).

Each sending IP is evaluated with pyspf over the project's DNS layer, for
``postmaster@<domain>`` with the domain's HELO name. The verdict follows RFC 7208;
where pyspf reads a record otherwise (:mod:`mailtests.spf.deviations` lists how), the IP
is evaluated a second time over the RFC's reading of the records, and the finding says
both results: graded by the RFC's, with pyspf's as a warning, since receivers that
evaluate with pyspf (postfix-policyd-spf-python) return it in production.
"""

from __future__ import annotations

import re

import spf as pyspf

from ..catalog import Severity
from ..dnslayer import spfbridge
from ..result import DnsFailure, Finding, failed, passed, skipped
from ..spf.deviations import SYNTAX_ERROR, Deviation, RfcQuery, found_in, rfc_reading
from ..spf.record import parse
from . import check
from .common import listing, sending_ips, spf_records
from .context import Context

_MANY = 6  # IPs named in one message; the details hold all of them


def _helo(ctx: Context) -> str:
    """The domain's first HELO name from the domains file; the domain itself if none is listed."""
    helo = getattr(ctx.entry, "helo", None) or ()
    if isinstance(helo, str):
        return helo
    return str(helo[0]) if helo else ctx.domain


class _Readings:
    """The TXT rewriting of both evaluations: pyspf's (records as published, noting those the RFC reads
    otherwise) and the RFC's (:func:`~mailtests.spf.deviations.rfc_reading`)."""

    def __init__(self) -> None:
        self.differing: list[str] = []  # records whose RFC reading is not what pyspf gets
        self.errors: list[str] = []  # syntax errors of the records replaced by the stand-in
        self.stand_ins: dict[str, str] = {}  # record -> its stand-in (one index per record)

    def observe(self, text: str) -> str:
        if text not in self.differing and (rfc_reading(text) != text or found_in(text)):
            self.differing.append(text)
        return text

    def rfc(self, text: str) -> str | None:
        if text in self.stand_ins:
            return self.stand_ins[text]
        reading = rfc_reading(text, len(self.errors))
        if reading is not None and SYNTAX_ERROR in reading:
            self.errors.append(parse(text).errors[0])
            self.stand_ins[text] = reading
        return reading

    def explain(self, explanation: str) -> str:
        """The RFC evaluation's explanation, the stand-in's replaced by the syntax error it stands for."""
        for index, error in enumerate(self.errors):
            if re.search(rf"{SYNTAX_ERROR}-{index}\b", explanation):
                return f"syntax error, RFC 7208 §4.6: {error}"
        return explanation

    def deviations(self) -> list[Deviation]:
        return list(dict.fromkeys(d for text in self.differing for d in found_in(text)))


def _evaluate(ctx: Context, query: type[pyspf.query], ip: str, helo: str, rewrite) -> tuple[str, str, str | None]:
    with spfbridge.answering_with(ctx.dns, rewrite):
        q = query(i=ip, s=f"postmaster@{ctx.domain}", h=helo)
        result, _code, explanation = q.check()
        mechanism = q.mechanism if result == "pass" else None
        q.perm_error = None  # pyspf keeps the PermError, whose traceback holds q: a cycle only the GC frees
    return result, explanation, mechanism


def _deviation_text(deviations: list[Deviation]) -> str:
    if not deviations:
        return "pyspf reads the record otherwise than RFC 7208"
    return "; ".join(f"{d.section}: {d.rfc}, but {d.pyspf}" for d in deviations)


@check("spf.authorizes-senders")
def spf_authorizes_senders(ctx: Context) -> Finding:
    """RFC 7208 §2.6, §4: every sending IP evaluates to ``pass`` for ``postmaster@<domain>``.

    Graded by the RFC's reading of the records; where receivers evaluating with pyspf get
    another result (the table of :mod:`mailtests.spf.deviations`), a pass is a warning.
    """
    if not spf_records(ctx, ctx.domain):
        return skipped(f"{ctx.domain} publishes no SPF record (spf.present reports it)")
    ips, source = sending_ips(ctx)
    if not ips:
        return skipped(f"no sending IPs are known for {ctx.domain}: none listed in the domains file and no "
                       "MX host with an address (list them under sending_ips)")
    helo, rows, readings = _helo(ctx), [], _Readings()
    for ip in map(str, ips):
        result, explanation, mechanism = _evaluate(ctx, pyspf.query, ip, helo, readings.observe)
        row = {"ip": ip, "result": result, "explanation": explanation, "mechanism": mechanism}
        if readings.differing:  # the RFC reads some record otherwise: its result, graded; pyspf's beside it
            rfc, rfc_explanation, rfc_mechanism = _evaluate(ctx, RfcQuery, ip, helo, readings.rfc)
            row.update(result=rfc, explanation=readings.explain(rfc_explanation), mechanism=rfc_mechanism)
            if rfc != result:
                row["pyspf"] = {"result": result, "explanation": explanation}
        rows.append(row)
    deviations = readings.deviations()
    details = {"helo": helo, "sending_ips": [str(ip) for ip in ips], "sending_ips_source": source, "results": rows,
               **({"pyspf_deviations": [d.name for d in deviations]} if deviations else {})}
    bad = [r for r in rows if r["result"] != "pass"]
    if bad and all(r["result"] == "temperror" for r in bad):
        failure = next((a for a in reversed(getattr(ctx.dns, "answers", [])) if not a.ok), None)
        if failure is not None:
            raise DnsFailure(failure)
    split = [r for r in rows if "pyspf" in r]
    note = ""
    if split:
        theirs = listing((f"{r['ip']} -> {r['pyspf']['result']}" for r in split), _MANY)
        note = (f" Receivers that evaluate with pyspf (postfix-policyd-spf-python) get another result: {theirs}, "
                f"because {_deviation_text(deviations)}.")
    if bad:
        listed = [f"{r['ip']} -> {r['result']} ({r['explanation']})" for r in bad]
        add = " ".join(f"{'ip6' if ':' in r['ip'] else 'ip4'}:{r['ip']}" for r in bad[:_MANY])
        return failed(
            f"{len(bad)} of {len(rows)} sending IP(s) of {ctx.domain} ({source}) do not get SPF pass with "
            f"HELO {helo} (RFC 7208): {listing(listed, _MANY, sep='; ')}. Receivers treat their mail as "
            f"unauthorised: fix the errors named, and authorise each host (for example '{add}' before the final "
            f"all).{note}",
            **details,
        )
    shown = [f"{r['ip']} (matched {r['mechanism']})" for r in rows]
    message = (f"every sending IP of {ctx.domain} ({source}) gets SPF pass with HELO {helo}: "
               f"{listing(shown, _MANY, sep='; ')}")
    if split:
        fixes = "; ".join(dict.fromkeys(d.fix for d in deviations)) or "publish a record both read alike"
        return failed(f"{message}, as RFC 7208 reads its record.{note} Publish a record both read alike: {fixes}",
                      severity=Severity.WARN, **details)
    return passed(message, **details)
