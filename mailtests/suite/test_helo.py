"""The HELO / EHLO name of the domain's mail servers (RFC 5321 §2.3.5, §4.1.1.1)."""

import pytest

pytestmark = pytest.mark.helo


def test_helo_syntax(result):
    """The name is a valid domain or an address literal such as [192.0.2.1] (RFC 5321 §4.1.2, §4.1.3)."""
    assert result.compliant, result.message


def test_helo_fqdn_in_tld(result):
    """A domain name is fully qualified and ends in a delegated TLD, not .local or .internal (RFC 5321 §2.3.5)."""
    assert result.compliant, result.message


def test_helo_resolves(result):
    """The name has an A or AAAA record (RFC 5321 §2.3.5)."""
    assert result.compliant, result.message


def test_helo_matches_ptr(result):
    """The name is the PTR name of a sending IP, or resolves to one (receiver practice; RFC 5321 §4.1.4)."""
    assert result.compliant, result.message
