"""The whole SPF include tree of a domain, walked statically (RFC 7208 §4.6.4, §5.2, §6.1).

A receiver evaluates one path through the tree for one connecting IP and stops
at the first match; an audit has to look at every branch, since another IP takes
another path. :func:`walk` follows every ``include`` and ``redirect``, parses each
record, counts each record's DNS-querying terms, resolves the targets of ``a``,
``mx`` and ``exists`` to find void lookups, and detects loops (a name already on
the current path). Targets written with macros depend on the message: they are
counted, not resolved. Every question goes through the caller's DNS view, so it
is evidence. Hostile data is bounded: at most :data:`MAX_NODES` records, targets
resolved for the first :data:`MAX_RESOLVED` lookup terms only, and nothing more is
asked after :data:`MAX_FAILURES` failed questions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import dns.exception
import dns.name

from ..dnslayer.answer import Answer, chain_trouble
from .record import Record, Term, is_spf, parse, quoted, short

MAX_LOOKUPS = 10  # §4.6.4: DNS-querying terms per evaluation
MAX_VOIDS = 2  # §4.6.4: lookups that return no answer
MAX_MX = 10  # §4.6.4: exchanges looked up per mx mechanism
MAX_NODES = 100  # records walked before the tree counts as too large
MAX_RESOLVED = 30  # lookup terms whose targets are resolved (evaluation stops at 10 anyway)
MAX_FAILURES = 3  # failed DNS questions before the walk stops asking

# Why a node gives no usable record (Node.kind).
DNS_FAILURE, NXDOMAIN, NO_RECORD, SEVERAL, BAD_NAME, LOOP, CUT = (
    "dns-failure", "nxdomain", "no-record", "several-records", "bad-name", "loop", "not-followed")


class DnsView(Protocol):
    def query(self, name: dns.name.Name | str, rdtype: str) -> Answer: ...


@dataclass
class Node:
    """One record of the tree: how it was reached, what it holds, what is wrong with it.

    ``kind``/``problem`` say why the name gives no usable record (one of the
    constants above, and in words); the record's own grammar errors are in
    ``record.errors``.
    """

    domain: str
    via: str = "root"  # root, include or redirect
    term: str = ""  # the term that led here, as written
    qualifier: str = "+"  # of that term (include only)
    parent: str = ""
    records: list[str] = field(default_factory=list)
    record: Record | None = None
    lookups: int = 0  # this record's own DNS-querying terms
    children: list[Node] = field(default_factory=list)
    kind: str | None = None
    problem: str | None = None
    voids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unresolved: list[Term] = field(default_factory=list)  # terms whose target holds macros

    def walk(self) -> Iterator[Node]:
        """This node and all below it, in evaluation order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def where(self) -> str:
        """The node in a message: ``include:b.example (in the record of a.example)``."""
        return self.domain if self.via == "root" else f"{self.term} (in the record of {self.parent})"

    def to_dict(self) -> dict:
        return {
            "domain": self.domain,
            "via": self.via,
            "term": self.term,
            "record": self.record.text if self.record else None,
            "lookups": self.lookups,
            "errors": ([self.problem] if self.problem else []) + (self.record.errors if self.record else []),
            "voids": self.voids,
            "notes": (self.record.notes if self.record else []) + self.notes,
            "children": [c.to_dict() for c in self.children],
        }


@dataclass
class Tree:
    """A walked tree and its totals over every branch."""

    root: Node
    failures: list[Answer] = field(default_factory=list)  # questions without a definite answer
    loops: list[str] = field(default_factory=list)
    mx_overflows: list[str] = field(default_factory=list)
    truncated: bool = False  # records not followed: counts are lower bounds
    partial_voids: bool = False  # targets not resolved past MAX_RESOLVED: the void count is a lower bound

    def nodes(self) -> Iterator[Node]:
        return self.root.walk()

    @property
    def lookups(self) -> int:
        return sum(n.lookups for n in self.nodes())

    @property
    def voids(self) -> list[str]:
        return [v for n in self.nodes() for v in n.voids]

    def to_dict(self) -> dict:
        """The tree as details show it; made once, as six checks of a domain cite the one walk (read-only)."""
        found = self.__dict__.get("_as_dict")
        if found is None:
            found = self.__dict__["_as_dict"] = self._to_dict()
        return found

    def _to_dict(self) -> dict:
        return {
            "lookups": self.lookups,
            "void_lookups": len(self.voids),
            "loops": self.loops,
            "truncated": self.truncated,
            "void_count_partial": self.partial_voids,
            "dns_failures": [a.describe() for a in self.failures],
            "tree": self.root.to_dict(),
        }


@functools.lru_cache(maxsize=1 << 12)
def name_error(name: str) -> str | None:
    """Why a target is not a name that can be looked up (RFC 7208 §4.3, RFC 1035 §2.3.4), or None."""
    bare = name[:-1] if name.endswith(".") else name
    labels = bare.split(".")
    if not bare or any(not label for label in labels):
        return "has an empty label"
    if any(len(label.encode()) > 63 for label in labels):
        return "has a label longer than 63 octets"
    if len(bare.encode()) > 253:
        return "is longer than 253 octets"
    try:
        dns.name.from_text(bare)
    except dns.exception.DNSException as exc:
        return f"is not a valid domain name ({exc})"
    return None


def _void(term: Term, target: str, why: str) -> str:
    """A void lookup in a message: ``a:nx.example.com (NXDOMAIN)``, ``a (example.com: no address record)``."""
    return f"{short(term.text)} ({why})" if term.value is not None else f"{short(term.text)} ({target}: {why})"


def _key(name: str) -> str:
    return (name[:-1] if name.endswith(".") else name).lower()


class _Walker:
    def __init__(self, view: DnsView, max_nodes: int):
        self.view = view
        self.max_nodes = max_nodes
        self.nodes = 0
        self.resolved = 0
        self.failures: list[Answer] = []
        self.loops: list[str] = []
        self.mx_overflows: list[str] = []
        self.truncated = False
        self.partial_voids = False

    def ask(self, name: str, rdtype: str) -> Answer | None:
        """A definite answer, or None (the failure is kept; after MAX_FAILURES nothing more is asked)."""
        if len(self.failures) >= MAX_FAILURES:
            self.truncated = True
            return None
        answer = self.view.query(name, rdtype)
        if not answer.ok:
            self.failures.append(answer)
            return None
        return answer

    def fetch(self, node: Node, path: tuple[str, ...]) -> None:
        """Fetch the record at an include or redirect target (§4.5) and expand it."""
        self.nodes += 1
        answer = self.ask(node.domain, "TXT")
        if answer is None:
            node.kind, node.problem = DNS_FAILURE, "its TXT record could not be fetched (DNS failure)"
            return
        texts = [b"".join(rd.strings).decode("utf-8", "replace") for rd in answer.rdatas()]
        node.records = [t for t in texts if is_spf(t)]
        if not texts and node.via != "root":  # §4.6.4: NXDOMAIN or an empty answer is a void lookup
            node.voids.append(f"{node.term} ({'NXDOMAIN' if answer.nxdomain else 'no TXT record'})")
        if answer.nxdomain:
            node.kind, node.problem = NXDOMAIN, "does not exist (NXDOMAIN)"
        elif answer.cname_loop:  # a loop, or a chain longer than is followed: no record is reached
            trouble = chain_trouble(answer.cname_chain())
            node.kind, node.problem = NO_RECORD, f"is {trouble}, so no SPF record is reached"
        elif not node.records:
            others = f" (only {len(texts)} other TXT record(s))" if texts else ""
            node.kind, node.problem = NO_RECORD, f"publishes no SPF record{others}"
        elif len(node.records) > 1:
            node.kind, node.problem = SEVERAL, f"publishes {len(node.records)} SPF records (permerror, §4.5)"
        else:
            self.expand(node, node.records[0], path)

    def expand(self, node: Node, text: str, path: tuple[str, ...]) -> None:
        """Parse the node's record and follow its DNS-querying terms in evaluation order (§4.6.4)."""
        node.record = parse(text)
        here = (*path, node.domain)
        for term in node.record.lookup_terms():
            node.lookups += 1
            if term.has_macro:
                node.unresolved.append(term)
                node.notes.append(f"{short(term.text)}: the target holds macros (it depends on the message): "
                                  "counted, not resolved")
            elif term.name in ("include", "redirect"):
                node.children.append(self.child(node, term, here))
            elif term.name != "ptr":  # ptr asks the connecting IP's reverse zone (§5.5): nothing to resolve
                self.resolve(node, term)

    def child(self, node: Node, term: Term, path: tuple[str, ...]) -> Node:
        target = term.target(node.domain)
        child = Node(_key(target), term.name, short(term.text), term.qualifier, node.domain)
        error = name_error(target)
        if error:
            child.kind, child.problem = BAD_NAME, f"the target {quoted(target)} {error}"
        elif child.domain in path:
            chain = " → ".join((*path, child.domain))
            child.kind, child.problem = LOOP, f"{term.name} loop: {chain}"
            self.loops.append(chain)
        elif self.nodes >= self.max_nodes:
            self.truncated = True
            child.kind, child.problem = CUT, f"not followed: the tree has more than {self.max_nodes} records"
        else:
            self.fetch(child, path)
        return child

    def resolve(self, node: Node, term: Term) -> None:
        """Look up the target of a, mx or exists the way an evaluator would, noting void answers (§4.6.4)."""
        target = term.target(node.domain)
        self.resolved += 1
        if self.resolved > MAX_RESOLVED:
            self.partial_voids = True
            return
        if name_error(target):
            return
        if term.name == "mx":
            self.resolve_mx(node, term, target)
        elif self.has_address(target, ("A",) if term.name == "exists" else ("A", "AAAA")) is False:
            node.voids.append(_void(term, target, "no address record"))

    def has_address(self, name: str, rdtypes: tuple[str, ...] = ("A", "AAAA")) -> bool | None:
        """True or False when known; None when a lookup failed."""
        answers = [self.ask(name, rdtype) for rdtype in rdtypes]
        if any(a is not None and a.rdatas() for a in answers):
            return True
        return None if None in answers else False

    def resolve_mx(self, node: Node, term: Term, target: str) -> None:
        answer = self.ask(target, "MX")
        if answer is None:
            return
        exchanges = sorted(answer.rdatas(), key=lambda rd: rd.preference)
        if not exchanges:
            node.voids.append(_void(term, target, "NXDOMAIN" if answer.nxdomain else "no MX record"))
            return
        if len(exchanges) > MAX_MX:
            self.mx_overflows.append(f"{short(term.text)} in the record of {node.domain}: "
                                     f"{target} has {len(exchanges)} MX records")
        for rd in exchanges[:MAX_MX]:
            if rd.exchange != dns.name.root:
                host = rd.exchange.to_text(True)
                if self.has_address(host) is False:
                    node.voids.append(_void(term, target, f"its exchange {host} has no address record"))


def walk(view: DnsView, domain: str, record: str | None = None, max_nodes: int = MAX_NODES) -> Tree:
    """Walk the SPF tree of ``domain`` through ``view`` (anything with ``query(name, type) -> Answer``).

    With ``record``, the walk starts from that text (one of the records at the
    name, fetched already); else the record is fetched from ``domain``'s TXT RRset.
    """
    walker = _Walker(view, max_nodes)
    root = Node(_key(domain))
    if record is None:
        walker.fetch(root, ())
    else:
        walker.nodes += 1
        root.records = [record]
        walker.expand(root, record, ())
    return Tree(root, walker.failures, walker.loops, walker.mx_overflows, walker.truncated, walker.partial_voids)
