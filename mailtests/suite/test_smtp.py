"""SMTP: connecting to the MX hosts (on with --smtp; RFC 5321, RFC 3207, RFC 8996, RFC 8461 §4.2)."""

import pytest

pytestmark = pytest.mark.smtp


def test_smtp_reachable(result):
    """Every address of every MX host accepts a connection on port 25 and greets with 220 (RFC 5321 §3.1, §4.2)."""
    assert result.compliant, result.message


def test_smtp_greeting(result):
    """The greeting and EHLO reply name a fully qualified domain name (RFC 5321 §4.1.1.1, §4.3.1)."""
    assert result.compliant, result.message


def test_smtp_starttls(result):
    """EHLO offers STARTTLS and the handshake completes (RFC 3207 §4)."""
    assert result.compliant, result.message


def test_smtp_tls_version(result):
    """TLS 1.2 or newer is negotiated; TLS 1.0 and 1.1 are refused (RFC 8996 §4, §5)."""
    assert result.compliant, result.message


def test_smtp_certificate(result):
    """The certificate chains to a trusted CA, names the MX host and is valid now (RFC 8461 §4.2, RFC 6125 §6)."""
    assert result.compliant, result.message
