"""Values that the domains file and the command line share: resolver addresses, domain names, DKIM selectors.

Each parser raises ValueError with a message fit for the user; :mod:`mailtests.config`
adds the file and the line, the command line the option.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Resolver:
    """A DNS server to send queries to: an IP address (canonical text) and a UDP/TCP port."""

    address: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


_PORT = re.compile(r"[0-9]{1,5}")
_PLAIN_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*")
_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
SELECTOR_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
#: What a DKIM selector is, in the words of an error message.
NOT_A_SELECTOR = "not a DKIM selector (labels of letters, digits, '-' and '_')"


def is_selector(name: str) -> bool:
    """RFC 6376 §3.1: a selector is one or more labels (``s2026``, ``eu.s1``); ``name`` lowercased already."""
    return 0 < len(name) <= 200 and all(SELECTOR_LABEL.fullmatch(label) for label in name.split("."))


def parse_resolver(text: str) -> Resolver:
    """Parse ``ADDR``, ``ADDR:PORT``, ``IPV6``, ``[IPV6]`` or ``[IPV6]:PORT`` (port 53 by default).

    Raises ValueError with a message fit for the user (names are not accepted: a
    resolver must be reachable without DNS).
    """
    s = text.strip()
    if not s:
        raise ValueError("empty resolver address")
    port_text: str | None = None
    bracketed = s.startswith("[")
    if bracketed:
        host, sep, rest = s[1:].partition("]")
        if not sep:
            raise ValueError(f"{text!r} has no closing ']'")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{text!r}: expected ':PORT' after ']'")
            port_text = rest[1:]
    elif s.count(":") == 1:
        host, port_text = s.split(":")
    else:
        host = s  # an IPv4 address, or a bare IPv6 address (port 53)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address (expected ADDRESS, ADDRESS:PORT or [IPV6]:PORT)") from None
    if bracketed and ip.version == 4:
        raise ValueError(f"{text!r}: brackets are for IPv6 addresses only")
    if getattr(ip, "scope_id", None):
        raise ValueError(f"{text!r}: scoped IPv6 addresses (%zone) are not supported")
    port = 53
    if port_text is not None:
        if not _PORT.fullmatch(port_text) or not 1 <= int(port_text) <= 65535:
            raise ValueError(f"{text!r}: port must be a number from 1 to 65535")
        port = int(port_text)
    return Resolver(ip.compressed, port)


def normalize_domain(text: str) -> tuple[str, str]:
    """Return ``(a_label_name, unicode_name)`` for a domain name: IDNA 2008 (UTS 46 mapping), lowercase, no final dot.

    Every label must be a letter-digit-hyphen host name label once encoded.
    Raises ValueError saying what is wrong.
    """
    plain = len(text) <= 253 and _PLAIN_NAME.fullmatch(text) and "xn--" not in text
    if plain and not text.rpartition(".")[2].isdigit():
        return text, text  # lowercase letter-digit-hyphen labels: the mapping below gives them back unchanged
    try:
        name = idna.uts46_remap(text.strip(), std3_rules=False, transitional=False)
    except idna.IDNAError as exc:
        raise ValueError(f"IDNA mapping failed: {exc}") from None
    if name.endswith(".") and name != ".":
        name = name[:-1]
    if not name or name == ".":
        raise ValueError("empty name")
    a_labels: list[str] = []
    u_labels: list[str] = []
    for label in name.split("."):
        if not label:
            raise ValueError("empty label")
        if label.isascii():
            a_label = label.lower()
            if not _LDH_LABEL.fullmatch(a_label):
                raise ValueError(f"label {label!r}: only letters, digits and inner hyphens are allowed")
            u_label = a_label
            if a_label.startswith("xn--"):
                try:
                    u_label = idna.ulabel(a_label)
                except (idna.IDNAError, UnicodeError) as exc:
                    raise ValueError(f"label {label!r} is not a valid A-label: {exc}") from None
        else:
            try:
                a_label = idna.alabel(label).decode("ascii")
            except (idna.IDNAError, UnicodeError) as exc:
                raise ValueError(f"label {label!r} is not valid IDNA 2008: {exc}") from None
            u_label = label
        if len(a_label) > 63:
            raise ValueError(f"label {a_label[:20]}... is {len(a_label)} octets long (at most 63)")
        a_labels.append(a_label)
        u_labels.append(u_label)
    a_name = ".".join(a_labels)
    if len(a_name) > 253:
        raise ValueError(f"name is {len(a_name)} octets long (at most 253)")
    if a_labels[-1].isdigit():
        raise ValueError("the top-level label is all digits (an IP address is not a domain name)")
    return a_name, ".".join(u_labels)
