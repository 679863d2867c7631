"""Mail exchangers (RFC 5321 §5.1, RFC 7505, RFC 2181 §10.3, RFC 3974)."""

import pytest

pytestmark = pytest.mark.mx


def test_mx_present(result):
    """The domain publishes MX records or a null MX; an implicit MX is a warning (RFC 5321 §5.1)."""
    assert result.compliant, result.message


def test_mx_null_mx(result):
    """A null MX (`0 .`) is the domain's only MX record (RFC 7505 §3)."""
    assert result.compliant, result.message


def test_mx_hostname(result):
    """Every exchange is a host name, not an IP address written as a name (RFC 5321 §5.1)."""
    assert result.compliant, result.message


def test_mx_not_alias(result):
    """No exchange is an alias: an MX names the host, not a CNAME (RFC 2181 §10.3)."""
    assert result.compliant, result.message


def test_mx_resolve(result):
    """Every exchange has an A or AAAA record (RFC 5321 §5.1)."""
    assert result.compliant, result.message


def test_mx_ipv4(result):
    """At least one exchange has an IPv4 address, or IPv4-only senders cannot deliver (RFC 3974 §3)."""
    assert result.compliant, result.message
