"""pyspf over the project's DNS layer: no second resolver, every SPF lookup cached and recorded.

pyspf asks DNS through its module-level ``spf.DNSLookup(name, qtype, strict,
timeout)``, which returns ``[((name, qtype), data), ...]``. :func:`answering_with`
routes that function, for the current thread, to a :class:`~.layer.Recorder` or
:class:`~.layer.DnsLayer`, so that the answers are the run's and count as evidence.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.exception
import dns.name
import spf

_local = threading.local()


@contextmanager
def answering_with(view) -> Iterator[None]:
    """Within the block, pyspf in this thread asks ``view`` (anything with ``query(name, type)``)."""
    spf.DNSLookup = lookup
    previous = getattr(_local, "view", None)
    _local.view = view
    try:
        yield
    finally:
        _local.view = previous


def lookup(name: str, qtype: str, strict=True, timeout=None) -> list:
    """pyspf's ``DNSLookup`` contract, answered by the DNS layer (RFC 7208 §4.4: errors are TempError)."""
    view = getattr(_local, "view", None)
    if view is None:
        raise spf.TempError("DNS: mailtests' DNS layer is not set for this thread")
    try:
        qname = dns.name.from_text(name)
    except dns.exception.DNSException:
        return []  # not a valid domain name: nothing can exist there
    answer = view.query(qname, qtype)
    if not answer.ok:
        raise spf.TempError(f"DNS {answer.describe()}")
    out = []
    for rd in answer.rdatas():
        if qtype in ("A", "AAAA"):
            data = rd.address
        elif qtype == "MX":
            data = (rd.preference, rd.exchange)
        elif qtype == "PTR":
            data = rd.target.to_text(True)
        elif qtype in ("TXT", "SPF"):
            data = rd.strings
        else:
            data = rd.to_text()
        out.append(((name, qtype), data))
    return out
