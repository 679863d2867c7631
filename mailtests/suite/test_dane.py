"""DANE for SMTP (RFC 7672, RFC 7671)."""

import pytest

pytestmark = pytest.mark.dane


def test_dane_tlsa(result):
    """The MX hosts' TLSA records are DNSSEC-secure and usable (RFC 7672 §2.2.3, §3.1)."""
    assert result.compliant, result.message


def test_dane_match(result):
    """The chain each MX host presents matches a usable TLSA record (RFC 7672 §3.2)."""
    assert result.compliant, result.message
