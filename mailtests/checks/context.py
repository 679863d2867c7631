"""What a check sees: one domain, its configuration, and the DNS through a recorder."""

from __future__ import annotations

from dataclasses import dataclass, field

import dns.name

from ..dnslayer.answer import Answer
from ..dnslayer.layer import Recorder
from ..result import DnsFailure


@dataclass
class Context:
    """The input of a check. ``dns`` records each answer as the check's evidence."""

    domain: str  # lowercase A-label, no trailing dot
    dns: Recorder
    entry: object | None = None  # mailtests.config.DomainEntry (None for run-wide checks)
    config: object | None = None  # mailtests.config.Config
    zone_mode: bool = False  # answers for this domain come from zone files, not live servers
    notes: dict = field(default_factory=dict)

    @property
    def name(self) -> dns.name.Name:
        return dns.name.from_text(self.domain)

    def lookup(self, name: dns.name.Name | str, rdtype: str) -> Answer:
        """An answer that must be definite: a timeout or SERVFAIL raises :class:`DnsFailure`."""
        answer = self.dns.query(name, rdtype)
        if not answer.ok:
            raise DnsFailure(answer)
        return answer
