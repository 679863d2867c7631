"""Mail exchangers (RFC 5321 §5.1, RFC 7505)."""

import pytest

pytestmark = pytest.mark.mx


def test_mx_present(result):
    """The domain publishes MX records or a null MX; an implicit MX is a warning (RFC 5321 §5.1)."""
    assert result.compliant, result.message


def test_mx_resolve(result):
    """Every exchange has an A or AAAA record (RFC 5321 §5.1)."""
    assert result.compliant, result.message
