"""DKIM keys (RFC 6376, RFC 8301, RFC 8463)."""

import pytest

pytestmark = pytest.mark.dkim


def test_dkim_key_present(result):
    """Each listed selector has one key record at <selector>._domainkey.<domain>, not revoked (RFC 6376 §3.6.2.2)."""
    assert result.compliant, result.message


def test_dkim_syntax(result):
    """The key record's tag list parses: v=DKIM1 first, p= valid base64 of a key of type k=, known h= and s=
    (RFC 6376 §3.6.1, RFC 8463 §4.2)."""
    assert result.compliant, result.message


def test_dkim_key_strength(result):
    """RSA keys have at least 1024 bits (2048 recommended); ed25519 keys are 32 octets (RFC 8301 §3.2)."""
    assert result.compliant, result.message


def test_dkim_hash(result):
    """h=, when present, allows sha256 (RFC 8301 §3.1)."""
    assert result.compliant, result.message


def test_dkim_testing(result):
    """The key is not in testing mode, t=y (RFC 6376 §3.6.1)."""
    assert result.compliant, result.message
