"""PLACEHOLDER for the DNSSEC validator's verdict on one RRset (replaced at merge by the DNSSEC branch).

The interface is the one the DNSSEC work provides: ``rrset_security(ctx, name, rdtype)``
returns a :class:`Security` whose ``state`` is secure, insecure, bogus or indeterminate.
This build has no validator, so every RRset is indeterminate.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.name

from .context import Context


@dataclass(frozen=True)
class Security:
    state: str  # "secure" | "insecure" | "bogus" | "indeterminate"
    reason: str


def rrset_security(ctx: Context, name: dns.name.Name, rdtype: str) -> Security:
    return Security("indeterminate", "DNSSEC validation is not available in this build")
