"""SPF (RFC 7208)."""

import pytest

pytestmark = pytest.mark.spf


def test_spf_present(result):
    """The domain publishes a v=spf1 TXT record (RFC 7208 §3)."""
    assert result.compliant, result.message
