"""DNSSEC: the chain of trust from the root anchor (RFC 4033-4035, RFC 9904-9906, RFC 9276)."""

import pytest

pytestmark = pytest.mark.dnssec


def test_dnssec_signed(result):
    """The zone is signed and its parent publishes a DS record (RFC 4033 §5, RFC 4035 §5)."""
    assert result.compliant, result.message


def test_dnssec_valid(result):
    """The chain validates: DS -> DNSKEY -> SOA, NS, MX, TXT with valid, unexpired signatures (RFC 4035 §5)."""
    assert result.compliant, result.message


def test_dnssec_signature_validity(result):
    """The earliest signature expiry is more than 12 hours away (RFC 4035 §5.3.1)."""
    assert result.compliant, result.message


def test_dnssec_algorithms(result):
    """No algorithm that must not sign; a DS digest other than SHA-1/GOST (RFC 9904, RFC 9905, RFC 9906)."""
    assert result.compliant, result.message


def test_dnssec_nsec3_parameters(result):
    """NSEC3 with 0 additional iterations and an empty salt (RFC 9276 §3.1)."""
    assert result.compliant, result.message
