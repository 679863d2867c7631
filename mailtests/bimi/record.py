"""A BIMI assertion record (BIMI draft §4.3): ``v=BIMI1`` first, ``l=`` the https URI of an SVG logo (empty: the
domain declines to show one), ``a=`` empty or the https URI of its mark certificate.

Written here: no maintained Python library parses BIMI records; the tag list itself
is dkimpy's parser (:mod:`mailtests.dkim.tags`), the URIs are read with urllib.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

from ..dkim.tags import TagError, tag_list
from ..spf.record import short

_VERSION = re.compile(r"\s*v\s*=\s*BIMI1\s*(;|$)", re.IGNORECASE)
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def is_bimi(text: str) -> bool:
    return bool(_VERSION.match(text))


@dataclass
class BimiRecord:
    text: str
    tags: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def declined(self) -> bool:
        """§4.3: an empty ``l=`` (and no ``a=``) declines BIMI: the domain shows no logo."""
        return not self.tags.get("l", "").strip() and not self.tags.get("a", "").strip()

    def to_dict(self) -> dict:
        return {"tags": {k: short(v, 120) for k, v in self.tags.items()}, "errors": list(self.errors),
                "notes": list(self.notes)}


def https_error(tag: str, value: str, svg: bool = False) -> str | None:
    """What is wrong with a tag's URI, if anything: it must be an absolute https URI (with a host)."""
    shown = short(value, 60)
    if not _URI_CHARS.fullmatch(value):
        return f"{tag}={shown!r} is not a URI (characters outside RFC 3986 must be percent-encoded)"
    parts = urllib.parse.urlsplit(value)
    if parts.scheme.lower() != "https" or not parts.hostname:
        return f"{tag}={shown!r} is not an https URI: receivers fetch the {'logo' if svg else 'certificate'} " \
               "over HTTPS only (§4.3)"
    return None


def parse(text: str) -> BimiRecord:
    record = BimiRecord(text)
    if not is_bimi(text):
        record.errors.append(f"the record does not start with 'v=BIMI1': {short(text, 60)!r} (§4.3)")
        return record
    try:
        record.tags = tag_list(text, lowercase_names=True)
    except TagError as exc:
        record.errors.append(str(exc))
        return record
    if next(iter(record.tags)) != "v":
        record.errors.append("v= is not the first tag (§4.3)")
    if "l" not in record.tags:
        record.errors.append("no l= tag: the record must name the logo (or give an empty l= to decline) (§4.3)")
    logo = record.tags.get("l", "").strip()
    if logo:
        for uri in logo.split(","):
            error = https_error("l", uri.strip(), svg=True)
            if error:
                record.errors.append(error)
            elif not urllib.parse.urlsplit(uri.strip()).path.lower().endswith(".svg"):
                record.notes.append(f"l={short(uri, 60)!r} does not end in .svg: the logo must be an SVG Tiny PS "
                                    "document")
    authority = record.tags.get("a", "").strip()
    if authority and authority.lower() != "self":
        error = https_error("a", authority)
        if error:
            record.errors.append(error)
    return record
