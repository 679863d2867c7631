"""Messages stay short and say what happened (issue 16, items 8 and 9).

A thousand NS records give messages of a few hundred characters that name ten hosts
and count the rest, while the details keep all of them; a CNAME chain longer than the
steps followed is called long, with both numbers, never a loop.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from mailtests.audit import Audit
from mailtests.dnslayer import DnsLayer
from mailtests.dnslayer.answer import MAX_CNAME_CHAIN
from mailtests.dnslayer.zonefiles import ZoneSource
from mailtests.result import MAX_MESSAGE, Outcome, Result
from tests.test_checks_ns import FakeDns, run

HOSTS = 200


def many_ns(with_addresses: bool) -> FakeDns:
    lines = [f"example.com. NS ns{i}.example.net." for i in range(HOSTS)]
    if with_addresses:
        lines += [f"ns{i}.example.net. A 192.0.{i // 250}.{i % 250 + 1}" for i in range(HOSTS)]
    else:
        lines += ["example.net. SOA ns1.example.net. h.example.net. 1 2 3 4 5"]
    return FakeDns("\n".join(lines))


@pytest.mark.parametrize(("check_id", "with_addresses", "outcome"), [
    ("ns.present", True, Outcome.PASS),
    ("ns.count", True, Outcome.PASS),
    ("ns.resolve", True, Outcome.PASS),
    ("ns.resolve", False, Outcome.FAIL),
])
def test_a_thousand_name_servers_give_a_short_message(check_id: str, with_addresses: bool, outcome: Outcome) -> None:
    result = run(check_id, many_ns(with_addresses))
    assert result.outcome is outcome, result.message
    assert len(result.message) < 1000, len(result.message)  # 1,000 gave 16-28 KB
    assert "and 190 more" in result.message
    kept = result.details.get("name_servers") or result.details.get("addresses") or result.details.get("problems")
    assert len(kept) == HOSTS  # the evidence keeps every one


def test_every_message_is_bounded_however_it_was_made() -> None:
    result = Result("example.com", "ns.present", None, Outcome.FAIL, "x" * 50_000)  # type: ignore[arg-type]
    assert len(result.message) < MAX_MESSAGE + 100 and result.message.endswith("more characters: see the details)")


def chain_zone(tmp_path: Path, length: int) -> Audit:
    """example.com with an MX host and an SPF include each at the start of a CNAME chain of ``length`` (no loop)."""
    lines = ["$ORIGIN example.com.", "$TTL 3600", "@ IN SOA ns1 hostmaster 1 7200 900 1209600 3600", "@ IN NS ns1",
             "ns1 IN A 192.0.2.53", "@ IN MX 10 c0", '@ IN TXT "v=spf1 include:s0.example.com -all"']
    for prefix, end in (("c", "IN A 192.0.2.1"), ("s", 'IN TXT "v=spf1 ip4:192.0.2.1 -all"')):
        lines += [f"{prefix}{i} IN CNAME {prefix}{i + 1}" for i in range(length)] + [f"{prefix}{length} {end}"]
    (tmp_path / "example.com.zone").write_text("\n".join(lines) + "\n", encoding="utf-8")
    layer = DnsLayer(None, ZoneSource([tmp_path / "example.com.zone"]), offline=True)
    return Audit(layer, SimpleNamespace(domains=[SimpleNamespace(name="example.com", sending_ips=(), helo=(),
                                                                  skip={})]))


def test_a_long_cname_chain_is_not_called_a_loop(tmp_path: Path) -> None:
    audit = chain_zone(tmp_path, 50)
    for check_id in ("mx.resolve", "mx.not-alias", "spf.includes-valid"):
        result = audit.result("example.com", check_id)
        assert result.outcome is Outcome.FAIL, (check_id, result.message)
        assert "loop" not in result.message, (check_id, result.message)
        assert f"a CNAME chain longer than the {MAX_CNAME_CHAIN} steps followed" in result.message, result.message
    assert "publishes no SPF record" not in audit.result("example.com", "spf.includes-valid").message


def test_a_short_chain_is_followed(tmp_path: Path) -> None:
    audit = chain_zone(tmp_path, 5)
    assert audit.result("example.com", "mx.resolve").outcome is Outcome.PASS
    assert audit.result("example.com", "spf.includes-valid").outcome is Outcome.PASS


def test_a_real_loop_is_still_a_loop() -> None:
    text = "example.com. MX 10 a.example.com.\na.example.com. CNAME b.example.com.\nb.example.com. CNAME a.example.com."
    result = run("mx.resolve", FakeDns(text))
    assert "a CNAME loop: a.example.com -> b.example.com -> a.example.com" in result.message, result.message
