"""SMTP TLS reporting (RFC 8460)."""

import pytest

pytestmark = pytest.mark.tlsrpt


def test_tlsrpt_record(result):
    """`_smtp._tls.<domain>` has exactly one valid `v=TLSRPTv1; rua=...` record (RFC 8460 §3)."""
    assert result.compliant, result.message
