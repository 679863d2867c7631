"""pyspf over the project's DNS layer: no second resolver, every SPF lookup cached and recorded.

pyspf asks DNS through its module-level ``spf.DNSLookup(name, qtype, strict,
timeout)``, which returns ``[((name, qtype), data), ...]``. :func:`answering_with`
routes that function, for the current thread, to a :class:`~.layer.Recorder` or
:class:`~.layer.DnsLayer`, so that the answers are the run's and count as evidence
(and pyspf never calls dnspython's deprecated ``dns.resolver.query``).

The data has the shapes pyspf's own dnspython driver gives (``DNSLookup_dnspython``):
A/AAAA as address text, MX as ``(preference, exchange)``, PTR as a name without
the final dot, TXT/SPF as the tuple of byte strings of each record. Names are
given as text without the final dot, and the root (a null MX ``0 .``, a PTR to
``.``) as the empty name, which pyspf skips instead of failing on. A CNAME chain
is followed by the DNS layer; pyspf gets the data at its end under the name it
asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import dns.exception
import dns.name
import dns.rdata
import spf

_local = threading.local()


@contextmanager
def answering_with(view, rewrite: Callable[[str], str | None] | None = None) -> Iterator[None]:
    """Within the block, pyspf in this thread asks ``view`` (anything with ``query(name, type)``).

    ``rewrite`` maps the text of each TXT record pyspf gets to the text it should see instead
    (None: leave the record out): how the RFC's reading of a record is evaluated
    (:mod:`mailtests.spf.deviations`).
    """
    spf.DNSLookup = lookup
    previous = getattr(_local, "view", None), getattr(_local, "rewrite", None)
    _local.view, _local.rewrite = view, rewrite
    try:
        yield
    finally:
        _local.view, _local.rewrite = previous


def _name(name: dns.name.Name) -> str:
    return "" if name == dns.name.root else name.to_text(omit_final_dot=True)


def _data(qtype: str, rd: dns.rdata.Rdata):
    if qtype in ("A", "AAAA"):
        return rd.address
    if qtype == "MX":
        return (rd.preference, _name(rd.exchange))
    if qtype in ("PTR", "CNAME"):
        return _name(rd.target)
    if qtype in ("TXT", "SPF"):
        return tuple(rd.strings)
    return rd.to_text()


def lookup(name: str, qtype: str, strict=True, timeout=None) -> list:
    """pyspf's ``DNSLookup`` contract, answered by the DNS layer.

    RFC 7208 §4.4, §5: a lookup that gets no definite answer (timeout, SERVFAIL)
    is a TempError; NXDOMAIN and NODATA are an empty list. A name that is not a
    valid domain name cannot exist: empty list.
    """
    view = getattr(_local, "view", None)
    if view is None:
        raise spf.TempError("DNS: mailtests' DNS layer is not set for this thread")
    try:
        qname = dns.name.from_text(str(name))
    except dns.exception.DNSException:
        return []
    answer = view.query(qname, qtype)
    if not answer.ok:
        raise spf.TempError(f"DNS {answer.describe()}")
    found = [((name, qtype), _data(qtype, rd)) for rd in answer.rdatas()]
    rewrite = getattr(_local, "rewrite", None)
    if rewrite is None or qtype not in ("TXT", "SPF"):
        return found
    kept = []
    for key, strings in found:
        text = rewrite(b"".join(strings).decode("utf-8", "replace"))
        if text is not None:
            kept.append((key, (text.encode("utf-8"),)))
    return kept
