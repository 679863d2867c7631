"""The DMARC record (RFC 9989 §4.7, §4.8, App. A.6, C.5.2): its tags, what is wrong with them, and the policy
a receiver takes from it (§4.10.1), without I/O.

Written here rather than taken from a library: checkdmarc and parsedmarc validate
RFC 7489 records with its rules (pct/rf/ri valid, a missing p an error, the public
suffix list); RFC 9989 changed each of those. The tag=value list itself is parsed
by dkimpy (:mod:`mailtests.dkim.tags`), as RFC 9989 §4.7 borrows DKIM's syntax.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

import dns.exception
import dns.name

from ..dkim.tags import TagError, tag_list
from ..spf.record import short

POLICIES = ("none", "quarantine", "reject")
RANK = {p: i for i, p in enumerate(POLICIES)}
KNOWN_TAGS = ("v", "p", "sp", "np", "adkim", "aspf", "fo", "rua", "ruf", "t", "psd")
REMOVED_TAGS = {"pct": "pct (sampling) is gone: a policy applies to all mail or none",
                "rf": "rf (failure report format) is gone: RFC 9991 has one format",
                "ri": "ri (report interval) is gone: aggregate reports are daily (RFC 9990)"}
_VERSION = re.compile(r"\s*v\s*=\s*DMARC1\s*(;|$)")
_SIZE = re.compile(r"[0-9]+[kmgt]?", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")


def is_dmarc(text: str) -> bool:
    """§4.10 step 2: a DMARC record starts with the tag ``v=DMARC1``; other TXT records at ``_dmarc`` are ignored."""
    return bool(_VERSION.match(text))


@dataclass(frozen=True)
class ReportUri:
    """One ``rua``/``ruf`` URI (§4.7): a mailto: address, or what is wrong with it."""

    text: str
    scheme: str = ""
    address: str = ""
    host: str = ""  # the address's domain, lowercase, no final dot
    error: str | None = None
    size_suffix: bool = False  # the obsolete ``!size`` (App. C.5.2): receivers ignore it

    @property
    def valid(self) -> bool:
        return self.error is None

    @property
    def deliverable(self) -> bool:
        """A valid mailto: URI: the only scheme reports are sent to (RFC 9990 §2, RFC 9991 §3)."""
        return self.valid and self.scheme == "mailto"


def parse_uri(text: str) -> ReportUri:
    raw = text.strip()
    size = False
    if "!" in raw:
        raw, _, tail = raw.rpartition("!")
        if not _SIZE.fullmatch(tail):
            return ReportUri(text, error=f"{short(text, 60)!r}: '!' must be percent-encoded (%21) in a URI (§4.7)")
        size = True
    if not raw:
        return ReportUri(text, error="an empty URI", size_suffix=size)
    if not _URI_CHARS.fullmatch(raw):
        return ReportUri(text, error=f"{short(text, 60)!r} is not a URI: characters outside RFC 3986 (spaces, "
                                     "quotes, '<', '>' ...) must be percent-encoded", size_suffix=size)
    if not _SCHEME.match(raw):
        return ReportUri(text, error=f"{short(text, 60)!r} is not a URI: it has no scheme "
                                     "(write mailto:dmarc@example.com)", size_suffix=size)
    scheme, _, rest = raw.partition(":")
    scheme = scheme.lower()
    if scheme != "mailto":
        return ReportUri(text, scheme=scheme, size_suffix=size)
    address = urllib.parse.unquote(rest.split("?", 1)[0])
    local, at, host = address.rpartition("@")
    error = None
    if not at or not local or not _LOCAL.fullmatch(local):
        error = f"{short(text, 60)!r}: the mailto: URI does not hold an address local@domain"
    else:
        try:
            name = dns.name.from_text(host)
            if len(name.labels) < 3 or not all(re.fullmatch(rb"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9])?", label)
                                               for label in name.labels[:-1]):
                raise dns.exception.SyntaxError
            host = name.to_text(omit_final_dot=True).lower()
        except (dns.exception.DNSException, UnicodeError):
            error = f"{short(text, 60)!r}: {short(host, 40)!r} is not a domain name"
    return ReportUri(text, scheme, address, host if error is None else "", error, size)


@dataclass
class DmarcRecord:
    """A parsed DMARC record: tags (names lowercase), errors (FAIL), warnings (WARN), notes (ignored tags)."""

    text: str
    tags: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rua: list[ReportUri] = field(default_factory=list)
    ruf: list[ReportUri] = field(default_factory=list)
    unusable: bool = False  # the tag list does not parse: receivers cannot read it at all

    def value(self, tag: str) -> str | None:
        found = self.tags.get(tag)
        return None if found is None else found.strip().lower()

    def policy_tag_valid(self, tag: str) -> bool:
        return self.value(tag) in POLICIES

    @property
    def valid_rua(self) -> list[ReportUri]:
        return [u for u in self.rua if u.deliverable]

    @property
    def policies_valid(self) -> bool:
        """§4.10.1: a valid p, and sp/np valid where present."""
        return self.policy_tag_valid("p") and all(self.policy_tag_valid(t) for t in ("sp", "np") if t in self.tags)

    @property
    def effective(self) -> dict[str, str] | None:
        """The policies a receiver applies, ``{"p", "sp", "np"}``, after §4.10.1: with an invalid or missing
        p (or an invalid sp/np) all are none when a valid rua exists, else None (no DMARC processing)."""
        if self.unusable:
            return None
        if not self.policies_valid:
            return dict.fromkeys(("p", "sp", "np"), "none") if self.valid_rua else None
        p = self.value("p") or "none"
        sp = self.value("sp") or p
        return {"p": p, "sp": sp, "np": self.value("np") or sp}

    @property
    def testing(self) -> bool:
        """§4.7: ``t=y``: the domain owner is testing; receivers do not apply quarantine or reject."""
        return self.value("t") == "y"

    @property
    def psd(self) -> str:
        return self.value("psd") or "u"

    def to_dict(self) -> dict:
        return {"tags": {k: short(v, 120) for k, v in self.tags.items()}, "errors": list(self.errors),
                "warnings": list(self.warnings), "notes": list(self.notes)}


def parse(text: str) -> DmarcRecord:
    """Parse a DMARC record; problems are collected, never raised."""
    record = DmarcRecord(text)
    if not is_dmarc(text):
        record.errors.append(f"the record does not start with 'v=DMARC1': {short(text, 60)!r} (§4.7)")
        record.unusable = True
        return record
    try:
        record.tags = tag_list(text, lowercase_names=True)
    except TagError as exc:
        record.errors.append(f"{exc}: receivers cannot read the record")
        record.unusable = True
        return record
    tags = record.tags
    if "p" not in tags:
        record.warnings.append("no p= tag: receivers apply p=none when a valid rua is given, else no DMARC at all "
                               "(§4.10.1)")
    for tag in ("p", "sp", "np"):
        if tag in tags and not record.policy_tag_valid(tag):
            record.errors.append(f"{tag}={short(tags[tag], 30)!r} is not none, quarantine or reject (§4.7)")
    for tag, allowed in (("adkim", ("r", "s")), ("aspf", ("r", "s")), ("t", ("y", "n")), ("psd", ("y", "n", "u"))):
        if tag in tags and record.value(tag) not in allowed:
            record.errors.append(f"{tag}={short(tags[tag], 30)!r} is not one of {', '.join(allowed)} (§4.7)")
    if "fo" in tags:
        options = [o.strip() for o in tags["fo"].split(":")]
        bad = [o for o in options if o.lower() not in ("0", "1", "d", "s")]
        if bad:
            record.errors.append(f"fo={short(tags['fo'], 30)!r}: {', '.join(repr(short(b, 10)) for b in bad)} is not "
                                 "one of 0, 1, d, s (colon-separated) (§4.7)")
    for tag in ("rua", "ruf"):
        if tag not in tags:
            continue
        uris = [parse_uri(u) for u in tags[tag].split(",")]
        setattr(record, tag, uris)
        for uri in uris:
            if uri.error:
                record.errors.append(f"{tag}: {uri.error}")
            elif uri.scheme != "mailto":
                record.notes.append(f"{tag}: {short(uri.text, 60)!r}: reports are sent to mailto: URIs only "
                                    "(RFC 9990 §2)")
            if uri.size_suffix:
                record.warnings.append(f"{tag}: {short(uri.text, 60)!r} ends in the obsolete '!size' suffix, which "
                                       "receivers ignore (App. C.5.2): remove it")
    for tag, why in REMOVED_TAGS.items():
        if tag in tags:
            record.warnings.append(f"{tag}={short(tags[tag], 20)!r}: removed by RFC 9989 ({why}); remove it "
                                   "(App. C.5.2)")
    unknown = [t for t in tags if t not in KNOWN_TAGS and t not in REMOVED_TAGS]
    if unknown:
        record.notes.append(f"unknown tag(s) ignored, as receivers ignore them (§4.7): "
                            f"{', '.join(short(t, 20) for t in unknown[:8])}")
    return record
