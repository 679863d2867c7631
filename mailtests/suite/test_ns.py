"""Name servers (RFC 1034 §4.2, RFC 2182)."""

import pytest

pytestmark = pytest.mark.ns


def test_ns_present(result):
    """The domain publishes an NS RRset (RFC 1034 §4.2.1)."""
    assert result.compliant, result.message


def test_ns_count(result):
    """The domain has at least two name servers (RFC 1034 §4.1, RFC 2182 §5)."""
    assert result.compliant, result.message


def test_ns_resolve(result):
    """Every NS host name has an A or AAAA record and is not an alias (RFC 1034 §4.2.2, RFC 2181 §10.3)."""
    assert result.compliant, result.message


def test_ns_authoritative(result):
    """Every NS address answers the zone's SOA authoritatively; otherwise the delegation is lame
    (RFC 1034 §4.2.2, RFC 8499)."""
    assert result.compliant, result.message


def test_ns_serial_consistent(result):
    """All name servers serve the same SOA serial (RFC 1034 §4.3.5)."""
    assert result.compliant, result.message


def test_ns_parent_match(result):
    """The NS set delegated by the parent zone equals the one the zone publishes (RFC 1034 §4.2.2)."""
    assert result.compliant, result.message
