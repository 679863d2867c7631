"""SPF checks (RFC 7208).

The record is parsed and its whole include/redirect tree walked statically by
:mod:`mailtests.spf` (every branch, not only the one path a receiver takes for
one IP); ``spf.authorizes-senders`` (:mod:`.spf_senders`) evaluates the sending
IPs with pyspf over the project's DNS layer. Where a name publishes several SPF records, each one is
judged (spf.single reports that there are several). The walked tree and its
counts are in each finding's ``details``.
"""

from __future__ import annotations

import re

from ..catalog import Severity
from ..result import DnsFailure, Finding, failed, passed, skipped
from ..spf import MAX_LOOKUPS, MAX_VOIDS, Node, Term, Tree, is_spf, walk
from ..spf.record import quoted, short
from ..spf.tree import CUT, DNS_FAILURE, LOOP
from . import check
from .common import listing, spf_records
from .context import Context

#: RFC 7208 §3.4: a record up to about 450 octets keeps the answer within 512 octets of UDP.
MAX_RECORD_OCTETS = 450
_MANY = 6  # problems named in one message; the details hold all of them
_LOOKS_LIKE_SPF = re.compile(r"v\s*=\s*spf1|^\W*spf1\b", re.IGNORECASE)


def _walk_all(ctx: Context) -> list[Tree]:
    return [walk(ctx.dns, ctx.domain, record=text) for text in spf_records(ctx, ctx.domain)]


def _trees(ctx: Context) -> list[Tree] | Finding:
    """One walked tree per SPF record at the domain, or the skip when there is none.

    Walked once per domain and shared by the spf.* checks; each lists the walk's answers as evidence.
    """
    trees = ctx.shared("spf.trees", _walk_all)
    if not trees:
        return skipped(f"{ctx.domain} publishes no SPF record (spf.present reports it)")
    return trees


def _details(trees: list[Tree]) -> dict:
    return trees[0].to_dict() if len(trees) == 1 else {"records": [t.to_dict() for t in trees]}


def _title(ctx: Context, trees: list[Tree], tree: Tree) -> str:
    if len(trees) == 1:
        return f"the SPF record of {ctx.domain}"
    return f"SPF record {trees.index(tree) + 1} of {len(trees)} of {ctx.domain} ({quoted(tree.root.records[0], 40)})"


def _record_of(node: Node) -> str:
    if node.via == "root":
        return f"the record of {node.domain}"
    return f"the record of {node.domain} (reached by {node.term} in {node.parent})"


def _listing(items: list[str]) -> str:
    more = f"; and {len(items) - _MANY} more" if len(items) > _MANY else ""
    return "; ".join(items[:_MANY]) + more


def _raise_if_unknown(trees: list[Tree], any_failure: bool = False) -> None:
    """A tree with a record that could not be fetched (or, with ``any_failure``, any failed lookup) is no pass."""
    for tree in trees:
        if tree.failures and (any_failure or any(n.kind == DNS_FAILURE for n in tree.nodes())):
            raise DnsFailure(tree.failures[0])


@check("spf.present")
def spf_present(ctx: Context) -> Finding:
    """RFC 7208 §3, §4.5: a domain's SPF policy is the TXT record at its name that starts with ``v=spf1``."""
    answer = ctx.lookup(ctx.domain, "TXT")
    if answer.nxdomain:
        return failed(f"{ctx.domain} does not exist (NXDOMAIN), so it has no SPF record")
    found = spf_records(ctx, ctx.domain)
    if not found:
        texts = [b"".join(rd.strings).decode("utf-8", "replace") for rd in answer.rdatas()]
        near = [quoted(t) for t in texts if _LOOKS_LIKE_SPF.search(t)]
        hint = (f" These TXT records look like SPF but do not start with 'v=spf1' followed by a space or the end "
                f"of the record, so receivers ignore them (RFC 7208 §4.5): {', '.join(near[:3])}." if near else "")
        return failed(
            f"{ctx.domain} publishes no SPF record: add a TXT record such as "
            f'"v=spf1 mx -all" that lists the hosts allowed to send its mail.{hint}'
        )
    more = f" (and {len(found) - 1} more: spf.single reports it)" if len(found) > 1 else ""
    return passed(f"{ctx.domain} publishes an SPF record: {short(found[0], 200)}{more}")


@check("spf.single")
def spf_single(ctx: Context) -> Finding:
    """RFC 7208 §4.5: with more than one ``v=spf1`` record at a name, the result is permerror."""
    found = spf_records(ctx, ctx.domain)
    if not found:
        return skipped(f"{ctx.domain} publishes no SPF record (spf.present reports it)")
    if len(found) == 1:
        return passed(f"{ctx.domain} publishes exactly one SPF record")
    return failed(
        f"{ctx.domain} publishes {len(found)} SPF records: {_listing([quoted(r, 80) for r in found])}. "
        "With more than one, receivers return permerror for all of its mail and use none of them "
        "(RFC 7208 §4.5): merge them into a single 'v=spf1 ... -all' TXT record",
        records=found,
    )


@check("spf.syntax")
def spf_syntax(ctx: Context) -> Finding:
    """RFC 7208 §12 (ABNF), §4.6: a record that does not parse evaluates to permerror, wherever it is in the tree."""
    trees = _trees(ctx)
    if isinstance(trees, Finding):
        return trees
    problems, notes, parsed = [], [], 0
    for tree in trees:
        for node in tree.nodes():
            if node.record is None:
                continue
            parsed += 1
            notes.extend(node.record.notes)
            if node.record.errors:
                where = _title(ctx, trees, tree) if node.via == "root" else _record_of(node)
                problems.append(f"{where}: {_listing(node.record.errors)}")
    if problems:
        return failed(
            f"{len(problems)} SPF record(s) in the tree of {ctx.domain} do not parse, so receivers return "
            f"permerror for its mail (RFC 7208 §4.6, §12): {' | '.join(problems[:_MANY])}. Use only the "
            "mechanisms all, include, a, mx, ptr, ip4, ip6, exists and the modifiers redirect= and exp=, "
            "with valid CIDR lengths and macros, each term separated by one space",
            **_details(trees),
        )
    _raise_if_unknown(trees)
    others = parsed - len(trees)
    message = f"the SPF record of {ctx.domain}" + (f" and the {others} record(s) it includes parse" if others
                                                   else " parses")
    message += " (RFC 7208 §12)"
    if notes:
        message += f". Note: {_listing(notes)}"
    return passed(message, **_details(trees))


def _breakdown(tree: Tree) -> str:
    parts = [f"{n.domain} {n.lookups}" for n in tree.nodes() if n.record is not None]
    return ", ".join(parts[:12]) + (", …" if len(parts) > 12 else "")


@check("spf.lookup-limit")
def spf_lookup_limit(ctx: Context) -> Finding:
    """RFC 7208 §4.6.4: at most 10 terms that cause DNS queries (include, a, mx, ptr, exists, redirect).

    Counted over every branch of the tree; a loop never ends, so it exceeds any
    limit; an ``mx`` whose target has more than 10 exchanges is a permerror too.
    """
    trees = _trees(ctx)
    if isinstance(trees, Finding):
        return trees
    problems, fine = [], []
    for tree in trees:
        title, count = _title(ctx, trees, tree), tree.lookups
        counted = f"{count}{' or more' if tree.truncated else ''} DNS-querying terms ({_breakdown(tree)})"
        if tree.loops:
            problems.append(f"{title} loops ({_listing(tree.loops)}): evaluating it never ends")
        if count > MAX_LOOKUPS:
            problems.append(f"{title} needs {counted} over its include tree, more than {MAX_LOOKUPS}")
        problems.extend(f"{title}: {m}, more than the {MAX_LOOKUPS} an mx may look up" for m in tree.mx_overflows)
        fine.append(f"{title} needs {counted} over its whole include tree")
    if problems:
        return failed(
            f"{_listing(problems)}. Receivers stop with permerror once an evaluation needs more than "
            f"{MAX_LOOKUPS} DNS lookups (RFC 7208 §4.6.4): replace include, a and mx terms with the ip4:/ip6: "
            "ranges they stand for, and drop includes of services no longer in use",
            **_details(trees),
        )
    _raise_if_unknown(trees)
    return passed(f"{_listing(fine)}: at most {MAX_LOOKUPS} are allowed (RFC 7208 §4.6.4)", **_details(trees))


@check("spf.void-lookups")
def spf_void_lookups(ctx: Context) -> Finding:
    """RFC 7208 §4.6.4: more than 2 lookups answering NXDOMAIN or no data is a permerror.

    Targets of include/redirect (TXT), a (A, AAAA), mx (MX and the exchanges'
    addresses) and exists (A) are looked up; macro targets and ptr depend on the
    message and are not.
    """
    trees = _trees(ctx)
    if isinstance(trees, Finding):
        return trees
    problems, fine = [], []
    for tree in trees:
        title, voids = _title(ctx, trees, tree), tree.voids
        more = " or more" if tree.partial_voids or tree.truncated else ""
        if len(voids) > MAX_VOIDS:
            problems.append(f"{title} has {len(voids)}{more} void lookups: {_listing(voids)}")
        elif voids:
            fine.append(f"{title} has {len(voids)} void lookup(s), within the limit of {MAX_VOIDS}: "
                        f"{_listing(voids)} (stale entries: better removed)")
        else:
            fine.append(f"no lookup in the SPF tree of {title.removeprefix('the SPF record of ')} comes back empty")
    if problems:
        return failed(
            f"{_listing(problems)}. Receivers return permerror after {MAX_VOIDS} lookups that find nothing "
            "(RFC 7208 §4.6.4): remove the terms that name hosts or domains which no longer exist",
            **_details(trees),
        )
    _raise_if_unknown(trees, any_failure=True)
    return passed(_listing(fine), **_details(trees))


@check("spf.includes-valid")
def spf_includes_valid(ctx: Context) -> Finding:
    """RFC 7208 §5.2, §6.1: an include or redirect whose target has no single valid record is a permerror.

    The target must exist, publish exactly one ``v=spf1`` record (§4.5), and that
    record must parse; an include/redirect loop never ends (§4.6.4).
    """
    trees = _trees(ctx)
    if isinstance(trees, Finding):
        return trees
    bad, good, macros = [], [], 0
    for tree in trees:
        for node in tree.nodes():
            macros += sum(1 for t in node.unresolved if t.name in ("include", "redirect"))
            if node.via == "root" or node.kind in (DNS_FAILURE, CUT):
                continue
            if node.kind == LOOP:
                bad.append(f"{node.where()}: {node.problem}, so evaluation never ends")
            elif node.kind:
                bad.append(f"{node.where()}: {node.domain} {node.problem}")
            elif node.record is not None and node.record.errors:
                bad.append(f"{node.where()}: the record of {node.domain} does not parse "
                           f"({node.record.errors[0]})")
            else:
                good.append(node.domain)
    if bad:
        return failed(
            f"{len(bad)} include/redirect target(s) in the SPF tree of {ctx.domain} give no single valid SPF "
            f"record, and evaluation reaching them ends in permerror (RFC 7208 §5.2, §6.1): {_listing(bad)}. "
            "Point each include/redirect at a name that publishes exactly one valid v=spf1 record, or remove it",
            **_details(trees),
        )
    _raise_if_unknown(trees)
    unresolved = f" ({macros} target(s) with macros depend on the message and were not checked)" if macros else ""
    if not good:
        return passed(f"the SPF record of {ctx.domain} has no include or redirect to check{unresolved}",
                      **_details(trees))
    names = listing(dict.fromkeys(good))
    return passed(f"every include/redirect target in the SPF tree of {ctx.domain} publishes one valid SPF record: "
                  f"{names}{unresolved}", **_details(trees))


def _final_all(node: Node) -> tuple[Term | None, Node, str]:
    """The ``all`` that ends evaluation of ``node``'s record: its own or, with none, its redirect target's (§6.1).

    Returns (the all term or None, the node holding it, why there is none).
    """
    while node.record is not None:
        if node.record.all is not None:
            return node.record.all, node, ""
        redirect = node.record.redirect
        if redirect is None:
            return None, node, ""
        target = next((c for c in node.children if c.via == "redirect"), None)
        if target is None:
            return None, node, f"{short(redirect.text)} holds macros, so the policy depends on the message"
        node = target
    if node.kind == LOOP:
        return None, node, f"{node.term} leads nowhere: {node.problem}"
    return None, node, f"{node.term} leads to no record: {node.domain} {node.problem}"


def _open_includes(node: Node) -> list[Node]:
    """Includes reached through ``+`` qualifiers whose own record ends in ``+all``: they pass every IP (§5.2)."""
    found: list[Node] = []
    for child in node.children:
        if child.record is None or (child.via == "include" and child.qualifier != "+"):
            continue
        final, _, _ = _final_all(child)
        if child.via == "include" and final is not None and final.qualifier == "+":
            found.append(child)
        else:
            found.extend(_open_includes(child))
    return found


@check("spf.all-policy")
def spf_all_policy(ctx: Context) -> Finding:
    """RFC 7208 §5.1, §4.7: the record should end in ``-all`` or ``~all``; ``+all`` authorises every host.

    Without ``all`` the policy is the ``redirect`` target's (§6.1); with neither,
    unlisted hosts get ``neutral`` (§4.7). An include whose record ends in ``+all``
    opens the record to everyone as well.
    """
    trees = _trees(ctx)
    if isinstance(trees, Finding):
        return trees
    fails, warns, fine = [], [], []
    for tree in trees:
        title = _title(ctx, trees, tree)
        final, at, why = _final_all(tree.root)
        via = "" if at is tree.root else f" (through redirect, the policy of {at.domain})"
        if at.kind == DNS_FAILURE:
            _raise_if_unknown([tree])
        if final is None and why:
            warns.append(f"{title} has no all mechanism, and its policy cannot be judged: {why}")
        elif final is None:
            warns.append(f"{title} ends without an all mechanism: hosts it does not list get neutral, which "
                         "receivers treat like no SPF at all (RFC 7208 §4.7)")
        elif final.qualifier == "+":
            fails.append(f"{title} ends in {final.text!r}{via}: it authorises every host on the internet "
                         f"to send mail as {ctx.domain} (RFC 7208 §5.1)")
        elif final.qualifier == "?":
            warns.append(f"{title} ends in {final.text!r}{via}: hosts it does not list get neutral, the same "
                         "as having no SPF policy")
        else:
            fine.append(f"{title} ends in {final.text!r}{via}")
        for node in _open_includes(tree.root):
            fails.append(f"{node.where()} authorises every host: the record of {node.domain} ends in '+all'")
    advice = ("End the record (or the one it redirects to) with -all, or ~all while you verify that every sender "
              "is listed")
    if fails:
        return failed(f"{_listing(fails + warns)}. {advice}", severity=Severity.FAIL, **_details(trees))
    if warns:
        return failed(f"{_listing(warns)}. {advice}", **_details(trees))
    _raise_if_unknown(trees)
    return passed(f"{_listing(fine)}: senders it does not list are rejected or marked (RFC 7208 §5.1)",
                  **_details(trees))


@check("spf.no-ptr")
def spf_no_ptr(ctx: Context) -> Finding:
    """RFC 7208 §5.5: the ``ptr`` mechanism SHOULD NOT be published (slow, unreliable, often ignored)."""
    trees = _trees(ctx)
    if isinstance(trees, Finding):
        return trees
    found = [f"{quoted(t.text)} in {_record_of(node)}"
             for tree in trees for node in tree.nodes() if node.record for t in node.record.mechanisms("ptr")]
    if found:
        return failed(
            f"the SPF tree of {ctx.domain} uses ptr: {_listing(found)}. ptr SHOULD NOT be used "
            "(RFC 7208 §5.5): it costs receivers many DNS lookups, relies on reverse DNS, and some receivers "
            "skip it. List the sending hosts with ip4:/ip6: (or a:) instead",
            **_details(trees),
        )
    _raise_if_unknown(trees)
    return passed(f"no ptr mechanism in the SPF tree of {ctx.domain}", **_details(trees))


@check("spf.size")
def spf_size(ctx: Context) -> Finding:
    """RFC 7208 §3.4: a record over about 450 octets may not fit a 512-octet UDP answer."""
    answer = ctx.lookup(ctx.domain, "TXT")
    raws = [b"".join(rd.strings) for rd in answer.rdatas()]
    sizes = [len(raw) for raw in raws if is_spf(raw.decode("utf-8", "replace"))]
    if not sizes:
        return skipped(f"{ctx.domain} publishes no SPF record (spf.present reports it)")
    details = {"record_octets": sizes, "txt_answer_octets": sum(len(r) for r in raws), "txt_records": len(raws)}
    big = max(sizes)
    if big > MAX_RECORD_OCTETS:
        return failed(
            f"the SPF record of {ctx.domain} is {big} octets: more than about {MAX_RECORD_OCTETS} may not fit "
            "a 512-octet UDP answer (RFC 7208 §3.4), and receivers without EDNS or TCP then get no policy. "
            "Shorten it: merge ip4:/ip6: ranges into wider CIDR blocks or move parts into an include:",
            **details,
        )
    return passed(f"the SPF record of {ctx.domain} is {big} octets, within about {MAX_RECORD_OCTETS} "
                  "(RFC 7208 §3.4)", **details)
