"""What a domains file becomes: the validated configuration, its domain entries and blocklists, and the defaults
and bounds the schema (mailtests/data/domains.schema.json) gives them. :mod:`mailtests.config` validates a file
into these; the rest of the suite reads them (``from mailtests.config import Config`` works as well)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mailtests.config_schema import schema
from mailtests.config_values import IPAddress, Resolver

_PROPS = schema()["properties"]  # the schema is the one source of defaults and bounds
DEFAULT_TIMEOUT = float(_PROPS["timeout"]["default"])
DEFAULT_LATENCY_THRESHOLD = float(_PROPS["latency_threshold"]["default"])
DEFAULT_SMTP_TIMEOUT = float(_PROPS["smtp_timeout"]["default"])
DEFAULT_SMTP_CONCURRENCY = int(_PROPS["smtp_concurrency"]["default"])
#: more threads cost CPU (GIL contention) and hide no more latency: benchmarks/RESULTS.md
DEFAULT_CONCURRENCY = int(_PROPS["concurrency"]["default"])
MAX_TIMEOUT = float(schema()["$defs"]["seconds"]["maximum"])
MAX_CONCURRENCY = int(schema()["$defs"]["workers"]["maximum"])

#: Blocklists under these zones need a subscription (commercial or high-volume use);
#: a list there counts as a subscription list unless it says ``subscription: false``.
SUBSCRIPTION_ZONES = ("spamhaus.org", "spamhaus.net", "uribl.com")

TOP_KEYS = tuple(_PROPS)
DOMAIN_KEYS = tuple(schema()["$defs"]["domain"]["properties"])
BLOCKLIST_KINDS = tuple(schema()["$defs"]["blocklist"]["properties"]["kind"]["enum"])


@dataclass(frozen=True)
class DomainEntry:
    """One domain under test.

    ``name`` is the A-label form (lowercase, no trailing dot), ``unicode_name`` the
    U-label form; ``skip`` maps each skipped check id to the reason given (areas are
    expanded to their checks); ``line`` is where the entry starts in the file.
    ``dkim_selectors`` are the DKIM selectors to check (the entry's own, else the file's
    top-level default list; empty: the DKIM checks skip).
    """

    name: str
    unicode_name: str
    sending_ips: tuple[IPAddress, ...] = ()
    helo: tuple[str, ...] = ()
    dkim_selectors: tuple[str, ...] = ()
    skip: dict[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class Blocklist:
    """A DNS blocklist (or allowlist) zone, queried by IP (``kind="ip"``) or by domain."""

    zone: str
    kind: str
    allowlist: bool = False
    subscription: bool = False


DEFAULT_DNSBL: tuple[Blocklist, ...] = (
    Blocklist("bl.spamcop.net", "ip"),
    Blocklist("list.dnswl.org", "ip", allowlist=True),
)


@dataclass(frozen=True)
class Config:
    """The validated configuration. Empty ``resolvers`` means the system's (resolv.conf).

    ``zones`` are absolute paths; ``sha256`` is the hex digest of the file's bytes.
    """

    path: Path
    sha256: str
    domains: tuple[DomainEntry, ...]
    resolvers: tuple[Resolver, ...] = ()
    fallback_resolvers: tuple[Resolver, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    latency_threshold: float = DEFAULT_LATENCY_THRESHOLD
    concurrency: int = DEFAULT_CONCURRENCY
    zones: tuple[Path, ...] = ()
    offline: bool = False
    dnsbl: tuple[Blocklist, ...] = DEFAULT_DNSBL
    dnsbl_subscription: bool = False
    dkim_selectors: tuple[str, ...] = ()  # the default for domains that list none of their own
    trust_anchor: Path | None = None  # DS or DNSKEY records (zone-file format) replacing the IANA root KSKs
    smtp: bool = False  # probe the MX hosts on port 25
    smtp_timeout: float = DEFAULT_SMTP_TIMEOUT
    smtp_concurrency: int = DEFAULT_SMTP_CONCURRENCY
    ehlo_name: str | None = None  # the name the SMTP probe sends in EHLO (default: the machine's FQDN)
    ca_file: Path | None = None  # CA certificates (PEM) instead of the system's trust store
