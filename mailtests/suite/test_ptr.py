"""Reverse DNS of the sending IPs (RFC 1912 §2.1); the IPs are listed, or assumed from the MX hosts."""

import pytest

pytestmark = pytest.mark.ptr


def test_ptr_present(result):
    """Every sending IP, IPv4 and IPv6, has a PTR record; it need not match (RFC 1912 §2.1)."""
    assert result.compliant, result.message


def test_ptr_forward_confirmed(result):
    """Some PTR name of each sending IP resolves back to that IP: forward-confirmed reverse DNS (M3AAWG)."""
    assert result.compliant, result.message
