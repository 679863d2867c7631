"""DNS blocklists (RFC 5782): the lists are sound, and neither the senders nor the domain is listed."""

import pytest

pytestmark = pytest.mark.dnsbl


def test_dnsbl_list_healthy(result):
    """Each configured list answers its test entries: 127.0.0.2 listed, 127.0.0.1 not (RFC 5782 §5)."""
    assert result.compliant, result.message


def test_dnsbl_not_listed(result):
    """No sending IP is listed on a trusted blocklist; a refused query is a warning (RFC 5782 §2.1)."""
    assert result.compliant, result.message


def test_dnsbl_domain_not_listed(result):
    """The domain is not on a configured domain blocklist (RFC 5782 §2.3)."""
    assert result.compliant, result.message
