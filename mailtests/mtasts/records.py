"""The DNS records of MTA-STS (`_mta-sts`, RFC 8461 §3.1) and TLS reporting (`_smtp._tls`, RFC 8460 §3)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

_DELIM = re.compile(r"[ \t]*;[ \t]*")
_EXT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_EXT_VALUE = re.compile(r"[\x21-\x3a\x3c\x3e-\x7e]+")
_STS_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_MAILBOX = re.compile(r"[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*"
                      r"[A-Za-z0-9])?)+")


@dataclass(frozen=True)
class StsRecord:
    text: str
    id: str | None = None
    errors: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class TlsRptRecord:
    text: str
    rua: tuple[str, ...] = ()
    errors: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return not self.errors


def _fields(text: str, version: str) -> tuple[list[tuple[str, str]], list[str]]:
    """``version`` first, then ``name=value`` fields separated by ``;`` with optional spaces around it."""
    errors: list[str] = []
    parts = _DELIM.split(text)
    if parts and parts[-1] == "":
        parts.pop()  # a final ";" is allowed
    if not parts or parts[0] != version:
        errors.append(f"it must start with `{version}` (case-sensitive), found `{parts[0] if parts else ''}`")
        return [], errors
    found = []
    for part in parts[1:]:
        name, eq, value = part.partition("=")
        if not eq:
            errors.append(f"`{part}` is not a `name=value` field")
        elif not _EXT_NAME.fullmatch(name):
            errors.append(f"`{name}` is not a valid field name")
        else:
            found.append((name, value))
    if len(parts) == 1:
        errors.append("it has no field after the version")
    return found, errors


def parse_sts_record(text: str) -> StsRecord:
    """RFC 8461 §3.1: ``v=STSv1; id=<1*32 ALPHA/DIGIT>`` plus extensions (``name=value``)."""
    fields, errors = _fields(text, "v=STSv1")
    ids = [value for name, value in fields if name == "id"]
    for name, value in fields:
        if name != "id" and not _EXT_VALUE.fullmatch(value):
            errors.append(f"the value of `{name}` has a space, `=`, `;` or control character")
    if not errors:
        if not ids:
            errors.append("it has no `id=` field")
        elif len(ids) > 1:
            errors.append(f"it has {len(ids)} `id=` fields; one is allowed")
        elif not _STS_ID.fullmatch(ids[0]):
            errors.append(f"the id `{ids[0]}` is not 1 to 32 letters or digits")
    return StsRecord(text, ids[0] if len(ids) == 1 else None, tuple(errors))


def uri_problem(uri: str) -> str | None:
    """Why a `rua` URI is unusable (RFC 8460 §3: `mailto:` or `https:`), or None."""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "mailto":
        address = unquote(parts.path)
        if not _MAILBOX.fullmatch(address):
            return f"`{uri}` does not name a mailbox (mailto:user@example.com)"
        return None
    if scheme == "https":
        if not parts.hostname or " " in uri:
            return f"`{uri}` has no host name (https://reports.example.com/tlsrpt)"
        return None
    return f"`{uri}` is neither a mailto: nor an https: URI"


def parse_tlsrpt_record(text: str) -> TlsRptRecord:
    """RFC 8460 §3: ``v=TLSRPTv1; rua=<uri>[,<uri>...]`` plus extensions."""
    fields, errors = _fields(text, "v=TLSRPTv1")
    ruas = [value for name, value in fields if name == "rua"]
    uris: list[str] = []
    if not errors:
        if not ruas:
            errors.append("it has no `rua=` field naming where reports go")
        elif len(ruas) > 1:
            errors.append(f"it has {len(ruas)} `rua=` fields; one is allowed (list several URIs in it, comma-"
                          "separated)")
        else:
            uris = [u.strip(" \t") for u in ruas[0].split(",")]
            errors.extend(p for p in map(uri_problem, uris) if p)
    for name, value in fields:
        if name != "rua" and not _EXT_VALUE.fullmatch(value):
            errors.append(f"the value of `{name}` has a space, `=`, `;` or control character")
    return TlsRptRecord(text, tuple(uris), tuple(errors))
