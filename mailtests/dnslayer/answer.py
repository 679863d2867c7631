"""One DNS answer as evidence: the question, who answered, what came back, and when.

Every lookup a check makes returns an :class:`Answer`. It is both the data the
check reads and the evidence the report shows, so it keeps everything an auditor
needs to repeat the question with ``dig`` (RFC 1035 §4.1: header, question,
answer section).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields

import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

#: Longest CNAME chain followed before the chain counts as a loop (RFC 1034 §3.6.2
#: asks resolvers to detect loops; BIND and Unbound stop at a similar depth).
MAX_CNAME_CHAIN = 16


def chain_trouble(chain: list[dns.name.Name] | tuple[dns.name.Name, ...]) -> str:
    """What is wrong with a CNAME chain that ends nowhere, shortened in the middle when long.

    ``a CNAME loop: a -> b -> a`` when a name repeats; else the chain was cut after
    MAX_CNAME_CHAIN steps (RFC 1034 §3.6.2 has resolvers bound the chains they follow):
    it says so, and how many steps were followed; a long chain is no loop.
    """
    names = [n.to_text(omit_final_dot=True) for n in chain]
    if len(names) > 5:
        names = [*names[:2], "...", *names[-2:]]
    path = " -> ".join(names)
    if len(chain) != len(set(chain)):
        return f"a CNAME loop: {path}"
    return (f"a CNAME chain longer than the {len(chain) - 1} steps followed ({path} -> ...): resolvers stop "
            "following such a chain, so it leads nowhere")


def name_key(name: dns.name.Name) -> tuple[bytes, ...]:
    """What the run's caches know a name by: its labels, case-folded (RFC 4343), hashed in C.

    Equal for names that compare equal, as ``dns.name.Name``'s own hash, which hashes
    byte by byte in Python and was a tenth of a run's CPU time.
    """
    return tuple(map(bytes.lower, name.labels))


def name_text(name: dns.name.Name, omit_final_dot: bool = False) -> str:
    """``name.to_text(omit_final_dot)``, made once per name: the same names (a domain, its providers' hosts) are
    written into thousands of records, and dnspython escapes a name's labels byte by byte in Python on every
    call (4 % of a warm-up process's CPU at 1,000 domains)."""
    return _label_text(name.labels, omit_final_dot)


@functools.lru_cache(maxsize=1 << 15)
def _label_text(labels: tuple[bytes, ...], omit_final_dot: bool) -> str:
    return dns.name.Name(labels).to_text(omit_final_dot)


@functools.cache
def type_text(rdtype: int) -> str:
    """``dns.rdatatype.to_text``, looked up once per type (it builds an enum member on every call)."""
    return dns.rdatatype.to_text(rdtype)


# Rcode texts a check may see; the transport errors are not DNS rcodes but stand
# in the same place so that a check has one field to test.
NOERROR = "NOERROR"
NXDOMAIN = "NXDOMAIN"
SERVFAIL = "SERVFAIL"
REFUSED = "REFUSED"
TIMEOUT = "TIMEOUT"  # no answer at all from any server


@dataclass(frozen=True)
class Record:
    """One resource record of an answer section."""

    name: dns.name.Name
    ttl: int
    rdata: dns.rdata.Rdata

    @property
    def rdtype(self) -> str:
        return type_text(self.rdata.rdtype)

    def to_text(self) -> str:
        return f"{name_text(self.name)}\t{self.ttl}\tIN\t{self.rdtype}\t{self.rdata.to_text()}"

    def to_dict(self) -> dict:
        return {"name": name_text(self.name), "ttl": self.ttl, "type": self.rdtype, "data": self.rdata.to_text()}


@dataclass(frozen=True)
class Answer:
    """The outcome of one question (name, type) asked of one source.

    ``rcode`` is the DNS response code as text (``NOERROR``, ``NXDOMAIN``,
    ``SERVFAIL``, ``REFUSED`` ...) or ``TIMEOUT`` when nothing answered;
    ``error`` then says what went wrong in words. ``records`` is the whole answer
    section, CNAME chain included; :meth:`rdatas` gives the data of the asked type
    at the end of the chain.
    """

    qname: dns.name.Name
    rdtype: str
    rcode: str
    records: tuple[Record, ...] = ()
    server: str = ""
    elapsed: float = 0.0
    authoritative: bool = False
    error: str | None = None
    # what a check may read but results.json leaves out; not hashed, so that an answer received from another
    # process without them (SentAnswer) hashes as the answer sent
    authority: tuple[Record, ...] = field(default=(), hash=False)
    additional: tuple[Record, ...] = field(default=(), hash=False)
    signatures: tuple[Record, ...] = field(default=())  # the RRSIGs of the answer section (asked with DO)

    # -- what a check asks ---------------------------------------------------
    @property
    def ok(self) -> bool:
        """True when the question got a definite answer (data, NODATA or NXDOMAIN)."""
        return self.error is None and self.rcode in (NOERROR, NXDOMAIN)

    @property
    def nxdomain(self) -> bool:
        return self.ok and self.rcode == NXDOMAIN

    def cname_chain(self) -> list[dns.name.Name]:
        """The names visited from the question to the final name, question first.

        Stops at :data:`MAX_CNAME_CHAIN` hops or when a name repeats (a loop).
        """
        return list(self._chain())

    def _chain(self) -> tuple[dns.name.Name, ...]:
        # An answer is immutable and checks ask it again and again: its chain is computed once.
        found = self.__dict__.get("_chain_memo")
        if found is None:
            cnames = {r.name: r.rdata.target for r in self.records if r.rdata.rdtype == dns.rdatatype.CNAME}
            chain = [self.qname]
            while chain[-1] in cnames and len(chain) <= MAX_CNAME_CHAIN:
                nxt = cnames[chain[-1]]
                if nxt in chain:
                    chain.append(nxt)
                    break
                chain.append(nxt)
            found = self.__dict__["_chain_memo"] = tuple(chain)
        return found

    @property
    def cname_loop(self) -> bool:
        chain = self._chain()
        return len(chain) != len(set(chain)) or len(chain) > MAX_CNAME_CHAIN

    @property
    def is_alias(self) -> bool:
        """True when the question's name is itself a CNAME (RFC 2181 §10.1)."""
        return len(self._chain()) > 1

    @property
    def final_name(self) -> dns.name.Name:
        return self._chain()[-1]

    def rdatas(self) -> list[dns.rdata.Rdata]:
        """The records of the asked type owned by the end of the CNAME chain."""
        found = self.__dict__.get("_rdatas_memo")
        if found is None:
            found = self.__dict__["_rdatas_memo"] = tuple(self._rdatas())
        return list(found)

    def _rdatas(self) -> list[dns.rdata.Rdata]:
        want = dns.rdatatype.from_text(self.rdtype)
        if want == dns.rdatatype.CNAME:  # a CNAME question is answered by the alias itself
            return [r.rdata for r in self.records if r.name == self.qname and r.rdata.rdtype == want]
        if self.cname_loop:
            return []
        final = self.final_name
        return [r.rdata for r in self.records if r.name == final and r.rdata.rdtype == want]

    def texts(self) -> list[str]:
        """:meth:`rdatas` as presentation text."""
        return [rd.to_text() for rd in self.rdatas()]

    def describe(self) -> str:
        """One line for a message: ``example.com. MX: NXDOMAIN from 127.0.0.1:53``."""
        what = self.rcode if self.error is None else f"{self.rcode} ({self.error})"
        return f"{self.qname.to_text()} {self.rdtype}: {what} from {self.server}"

    def __getstate__(self) -> dict:
        """The fields only (a pickle, e.g. from the warm-up process, leaves the computed memos behind)."""
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    # -- evidence --------------------------------------------------------------
    def to_dict(self) -> dict:
        """The answer as results.json has it; made once, so every record citing the answer shares one dict
        (read-only: the run asks each question once, and 1,000 domains cite 8,700 answers 112,000 times)."""
        found = self.__dict__.get("_as_dict")
        if found is None:
            found = self.__dict__["_as_dict"] = self._to_dict()
        return found

    def _to_dict(self) -> dict:
        found = {
            "name": name_text(self.qname),
            "type": self.rdtype,
            "rcode": self.rcode,
            "server": self.server,
            "time_ms": round(self.elapsed * 1000, 1),
            "authoritative": self.authoritative,
            "error": self.error,
            "records": [r.to_dict() for r in self.records],
        }
        if self.signatures:
            found["signatures"] = [r.to_dict() for r in self.signatures]
        return found

    def to_dig(self) -> str:
        """A dig-like text block (question, status, answer section)."""
        flags = " aa" if self.authoritative else ""
        lines = [
            f";; ->>HEADER<<- status: {self.rcode}{flags}",
            f";; SERVER: {self.server}   Query time: {self.elapsed * 1000:.1f} msec",
        ]
        if self.error:
            lines.append(f";; ERROR: {self.error}")
        lines.append(";; QUESTION SECTION:")
        lines.append(f";{self.qname.to_text()}\t\tIN\t{self.rdtype}")
        if self.records or self.signatures:
            lines.append(";; ANSWER SECTION:")
            lines.extend(r.to_text() for r in self.records)
            lines.extend(r.to_text() for r in self.signatures)
        if self.authority:
            lines.append(";; AUTHORITY SECTION:")
            lines.extend(r.to_text() for r in self.authority)
        return "\n".join(lines)


def records_from_rrsets(rrsets) -> tuple[Record, ...]:
    """Flatten dnspython RRsets into :class:`Record` tuples."""
    return tuple(Record(rrset.name, rrset.ttl, rd) for rrset in rrsets for rd in rrset)


def rcode_text(rcode: int) -> str:
    return dns.rcode.to_text(rcode)


# -- answers crossing to another process (the warm-up process: mailtests.forked) ------------------------------
#
# Pickled, an answer's dnspython objects (names, rdata) cost the warm-up process 0.2 ms an answer to write and the
# parent as much to read, where the parent only needs their text (results.json, audit.html): the parent makes
# records and reports of the warm-up's results and runs no check on its answers. So an answer crosses as the
# text results.json has (``Answer.to_dict``) and is rebuilt as a :class:`SentAnswer`, which makes its dnspython
# objects from that text only if something asks for them. The authority and additional sections, which
# results.json leaves out, stay behind: pickled, the SOA, NSEC and RRSIG records of a signed zone's negative
# answer cost 0.2 ms to write and read, in a third of the benchmark's negative answers.

#: The fields of an answer that cross to another process (all but the authority and additional sections).
CROSSING = tuple(f.name for f in fields(Answer) if f.name not in ("authority", "additional"))


def sent_state(answer: Answer) -> tuple | None:
    """``answer`` as plain data for :func:`received` in another process; None when text would not bring it back
    (a record of a class other than IN: records are written without their class)."""
    if any(r.rdata.rdclass != dns.rdataclass.IN for part in (answer.records, answer.signatures) for r in part):
        return None
    return answer._to_dict(), answer.elapsed


def received(state: tuple) -> Answer:
    """The answer :func:`sent_state` gave, as a :class:`SentAnswer`, without authority and additional sections."""
    shown, elapsed = state
    answer = SentAnswer.__new__(SentAnswer)
    answer.__dict__.update(rdtype=shown["type"], rcode=shown["rcode"], server=shown["server"], elapsed=elapsed,
                           authoritative=shown["authoritative"], error=shown["error"], authority=(),
                           additional=(), _as_dict=shown)
    return answer


def _record(shown: dict) -> Record:
    return Record(dns.name.from_text(shown["name"]), shown["ttl"],
                  dns.rdata.from_text(dns.rdataclass.IN, shown["type"], shown["data"]))


def _lazy(name: str, make):
    """A field of :class:`SentAnswer` made from its text when first read (and set as any field on __init__)."""
    key = f"_{name}"

    def get(self):
        found = self.__dict__.get(key, _lazy)
        if found is _lazy:
            found = self.__dict__[key] = make(self)
        return found

    def put(self, value) -> None:
        self.__dict__[key] = value

    return property(get, put)


class SentAnswer(Answer):
    """An :class:`Answer` received from another process as text: :meth:`to_dict` is that text; the name and
    records (and signatures) become dnspython objects again when first read, equal to the sent answer's. It is
    equal to the sent answer in what crossed (:data:`CROSSING`); its authority and additional sections are empty."""

    qname = _lazy("qname", lambda self: dns.name.from_text(self._as_dict["name"]))
    records = _lazy("records", lambda self: tuple(_record(r) for r in self._as_dict["records"]))
    signatures = _lazy("signatures", lambda self: tuple(_record(r) for r in self._as_dict.get("signatures", ())))

    def __eq__(self, other: object) -> bool:  # equal to the Answer it was sent as (dataclass eq wants one class)
        if not isinstance(other, Answer):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in CROSSING)

    __hash__ = Answer.__hash__

    def __reduce_ex__(self, protocol):
        return received, (sent_state(self),)

