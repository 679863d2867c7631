"""Zone files as a DNS source: what a proposed zone answers, and which files are refused.

The zones are in tests/zone_cases/: site/ is a folder of good zones (example.com
with a delegated child shop.example.com, and example.org), broken/ holds one
mistake per file, each checked against ``named-checkzone`` as well.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import dns.name
import dns.rdata
import pytest

from mailtests.dnslayer.answer import MAX_CNAME_CHAIN, NOERROR, NXDOMAIN, Record
from mailtests.dnslayer.zonefiles import ZoneFileError, ZoneSource, load_zone_file

CASES = Path(__file__).parent / "zone_cases"
SITE = CASES / "site"
BROKEN = CASES / "broken"
EXAMPLE_COM = SITE / "example.com.zone"
NAMED_CHECKZONE = shutil.which("named-checkzone")


def n(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


def rr(name: str, ttl: int, rdtype: str, data: str) -> Record:
    return Record(n(name), ttl, dns.rdata.from_text("IN", rdtype, data))


#: The SOA of a negative answer: TTL min(SOA TTL 3600, MINIMUM 300) (RFC 2308 §3).
NEGATIVE_SOA = rr("example.com.", 300, "SOA",
                  "ns1.example.com. hostmaster.example.com. 2024010101 7200 900 1209600 300")


@pytest.fixture(scope="module")
def zones() -> ZoneSource:
    return ZoneSource([SITE])


# -- loading ---------------------------------------------------------------------------


def test_a_folder_loads_its_zone_and_db_files(zones):
    assert {apex: path.name for apex, (_, path) in zones.zones.items()} == {
        n("example.com."): "example.com.zone",
        n("shop.example.com."): "db.shop.example.com",
        n("example.org."): "legacy.zone",  # apex from its $ORIGIN
    }  # notes.txt and includes/ are not zone files


def test_exact_match(zones):
    answer = zones.query(n("mail.example.com."), "A")
    assert answer.rcode == NOERROR and answer.authoritative
    assert answer.records == (rr("mail.example.com.", 300, "A", "192.0.2.25"),)
    assert answer.authority == ()
    assert answer.server == f"zone:{EXAMPLE_COM}"
    assert answer.texts() == ["192.0.2.25"]


def test_relative_names_and_ttl_directive(zones):
    # "IN AAAA ..." on the line after mail: same owner, TTL from $TTL 3600
    aaaa = zones.query(n("mail.example.com."), "AAAA")
    assert aaaa.records == (rr("mail.example.com.", 3600, "AAAA", "2001:db8::25"),)
    assert zones.query(n("example.com."), "MX").records == (rr("example.com.", 3600, "MX", "10 mail.example.com."),)


def test_include_is_relative_to_the_including_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # not the zone folder: $INCLUDE must not depend on it
    zones = ZoneSource([SITE.resolve()])
    assert zones.query(n("ftp.example.com."), "A").texts() == ["192.0.2.21"]
    assert zones.query(n("smtp.example.com."), "A").records == (rr("smtp.example.com.", 60, "A", "192.0.2.22"),)
    # "$INCLUDE includes/other.inc other": names in it are relative to other.example.com. ...
    assert zones.query(n("other.example.com."), "A").texts() == ["192.0.2.30"]
    assert zones.query(n("host.other.example.com."), "A").texts() == ["192.0.2.31"]
    # ... and after it the origin is example.com. again
    assert zones.query(n("after.example.com."), "A").texts() == ["192.0.2.99"]


def test_generate_directive(zones):
    assert zones.query(n("chain7.example.com."), "CNAME").records == (
        rr("chain7.example.com.", 3600, "CNAME", "chain8.example.com."),
    )


# -- CNAME -----------------------------------------------------------------------------


def test_cname_chain_inside_the_zone(zones):
    answer = zones.query(n("www.example.com."), "A")
    assert answer.records == (
        rr("www.example.com.", 3600, "CNAME", "web.example.com."),
        rr("web.example.com.", 3600, "CNAME", "mail.example.com."),
        rr("mail.example.com.", 300, "A", "192.0.2.25"),
    )
    assert answer.final_name == n("mail.example.com.") and answer.texts() == ["192.0.2.25"]


def test_cname_chain_into_another_loaded_zone(zones):
    assert zones.query(n("store.example.com."), "A").records == (
        rr("store.example.com.", 3600, "CNAME", "www.shop.example.com."),
        rr("www.shop.example.com.", 600, "A", "192.0.2.61"),
    )


def test_asking_for_the_cname_itself(zones):
    assert zones.query(n("www.example.com."), "CNAME").records == (
        rr("www.example.com.", 3600, "CNAME", "web.example.com."),
    )


def test_cname_leaving_the_zone_files_stops_there(zones):
    answer = zones.query(n("out.example.com."), "A")
    assert answer.rcode == NOERROR
    assert answer.records == (rr("out.example.com.", 3600, "CNAME", "host.example.net."),)
    assert answer.rdatas() == [] and answer.authority == ()  # the rest is for a resolver to find
    assert answer.final_name == n("host.example.net.")


def test_cname_loop_stops(zones):
    answer = zones.query(n("loop1.example.com."), "A")
    assert answer.records == (
        rr("loop1.example.com.", 3600, "CNAME", "loop2.example.com."),
        rr("loop2.example.com.", 3600, "CNAME", "loop1.example.com."),
    )
    assert answer.cname_loop and answer.rdatas() == []


def test_long_cname_chain_stops_after_max_hops(zones):
    answer = zones.query(n("chain1.example.com."), "A")  # chain1 -> chain2 -> ... -> chain21
    assert len(answer.records) == MAX_CNAME_CHAIN
    assert answer.records[-1] == rr("chain16.example.com.", 3600, "CNAME", "chain17.example.com.")
    assert answer.cname_loop


def test_cname_to_a_missing_name_is_nxdomain(zones):
    assert zones.query(n("chain20.example.com."), "A").rcode == NXDOMAIN  # chain21 does not exist (RFC 6604)


# -- negative answers --------------------------------------------------------------------


def test_nodata_and_nxdomain(zones):
    nodata = zones.query(n("mail.example.com."), "MX")
    assert (nodata.rcode, nodata.records, nodata.authority) == (NOERROR, (), (NEGATIVE_SOA,))
    nxdomain = zones.query(n("nothere.example.com."), "A")
    assert (nxdomain.rcode, nxdomain.records, nxdomain.authority) == (NXDOMAIN, (), (NEGATIVE_SOA,))
    assert nxdomain.nxdomain and nxdomain.authoritative


def test_empty_non_terminal_is_nodata(zones):
    # only a.b.c.example.com. owns data; b.c and c exist as empty non-terminals
    for name in ("b.c.example.com.", "c.example.com."):
        answer = zones.query(n(name), "A")
        assert (answer.rcode, answer.records, answer.authority) == (NOERROR, (), (NEGATIVE_SOA,))
    assert zones.query(n("x.c.example.com."), "A").rcode == NXDOMAIN


# -- wildcards (RFC 4592) --------------------------------------------------------------------


def test_wildcard_synthesises_records_owned_by_the_query_name(zones):
    assert zones.query(n("foo.wild.example.com."), "A").records == (
        rr("foo.wild.example.com.", 3600, "A", "192.0.2.50"),
    )
    assert zones.query(n("a.b.wild.example.com."), "MX").records == (
        rr("a.b.wild.example.com.", 3600, "MX", "10 mail.example.com."),
    )
    nodata = zones.query(n("foo.wild.example.com."), "TXT")  # the wildcard has no TXT
    assert (nodata.rcode, nodata.records, nodata.authority) == (NOERROR, (), (NEGATIVE_SOA,))


def test_existing_names_block_the_wildcard(zones):
    existing = zones.query(n("host.wild.example.com."), "A")  # owns a TXT only
    assert (existing.rcode, existing.records) == (NOERROR, ())
    empty_non_terminal = zones.query(n("y.wild.example.com."), "A")  # x.y.wild exists below it
    assert (empty_non_terminal.rcode, empty_non_terminal.records) == (NOERROR, ())
    below = zones.query(n("q.y.wild.example.com."), "A")  # closest encloser y.wild has no *.y.wild
    assert (below.rcode, below.records) == (NXDOMAIN, ())


# -- delegations and zone boundaries ---------------------------------------------------------


def test_delegation_cut(zones):
    for name in ("sub.example.com.", "ns.sub.example.com.", "www.sub.example.com."):
        assert not zones.covers(n(name))
    with pytest.raises(ValueError):
        zones.query(n("www.sub.example.com."), "A")
    assert zones.delegation(n("sub.example.com.")) == [n("ns.sub.example.com."), n("ns2.example.net.")]
    assert zones.delegation(n("www.example.com.")) == []  # not a delegation
    assert zones.apex_for(n("www.sub.example.com.")) == n("example.com.")
    assert zones.covers(n("example.com.")) and zones.covers(n("nothere.example.com."))


def test_parent_and_child_zones_both_loaded(zones):
    assert zones.covers(n("www.shop.example.com.")) and zones.covers(n("shop.example.com."))
    assert zones.apex_for(n("www.shop.example.com.")) == n("shop.example.com.")
    answer = zones.query(n("shop.example.com."), "NS")  # the child answers for its apex
    assert answer.server == f"zone:{SITE / 'db.shop.example.com'}"
    assert answer.records == (rr("shop.example.com.", 600, "NS", "ns1.shop.example.com."),)
    assert zones.delegation(n("shop.example.com.")) == [n("ns1.shop.example.com.")]  # what the parent says
    assert zones.delegation(n("example.com.")) == []  # com. is not loaded


def test_names_outside_every_zone(zones):
    assert not zones.covers(n("example.net.")) and zones.apex_for(n("example.net.")) is None
    with pytest.raises(ValueError):
        zones.query(n("www.example.net."), "A")


# -- the apex ----------------------------------------------------------------------------------

MINIMAL = "$TTL 300\n@ IN SOA ns1 hostmaster 1 7200 900 1209600 300\n  IN NS ns1\nns1 IN A 192.0.2.1\n"


@pytest.mark.parametrize("filename", ["example.com.zone", "db.example.com", "example.com"])
def test_apex_from_the_file_name(tmp_path, filename):
    (tmp_path / filename).write_text(MINIMAL)
    assert load_zone_file(tmp_path / filename).origin == n("example.com.")


def test_apex_from_origin_directive_before_the_first_record():
    assert load_zone_file(SITE / "legacy.zone").origin == n("example.org.")


def test_origin_argument_wins(tmp_path):
    (tmp_path / "example.com.zone").write_text(MINIMAL)
    zone = load_zone_file(tmp_path / "example.com.zone", origin=n("example.net."))
    assert zone.origin == n("example.net.") and n("ns1.example.net.") in zone.nodes


def test_soa_must_be_at_the_apex(tmp_path):
    path = tmp_path / "example.net.zone"  # apex example.net. from the name, but the SOA is example.com.'s
    path.write_text(MINIMAL.replace("@", "example.com.").replace("  IN NS", "example.com. IN NS"))
    with pytest.raises(ZoneFileError) as caught:
        load_zone_file(path)
    assert str(caught.value) == f"{path}:0: no SOA record at the zone apex example.net. (apex from the file name)"


def test_two_files_with_one_apex(tmp_path):
    for name in ("a.zone", "b.zone"):
        (tmp_path / name).write_text("$ORIGIN example.com.\n" + MINIMAL)
    with pytest.raises(ZoneFileError) as caught:
        ZoneSource([tmp_path])
    first, second = tmp_path / "a.zone", tmp_path / "b.zone"
    assert str(caught.value) == f"{second}:0: zone example.com. is already loaded from {first}"


def test_first_broken_file_of_a_folder_is_reported(tmp_path):
    (tmp_path / "example.com.zone").write_text(MINIMAL)
    (tmp_path / "example.org.zone").write_text(MINIMAL + "www IN A 192.0.2.300\n")
    with pytest.raises(ZoneFileError) as caught:
        ZoneSource([tmp_path])
    assert (caught.value.path, caught.value.line) == (tmp_path / "example.org.zone", 5)
    assert str(caught.value).startswith(f"{tmp_path / 'example.org.zone'}:5: near '192.0.2.300'")


def test_missing_file_and_include_loop(tmp_path):
    with pytest.raises(ZoneFileError) as caught:
        load_zone_file(tmp_path / "example.com.zone")
    assert str(caught.value) == f"{tmp_path / 'example.com.zone'}:0: file not found"
    (tmp_path / "example.com.zone").write_text(MINIMAL + "$INCLUDE loop.inc\n")
    (tmp_path / "loop.inc").write_text("; includes itself\n$INCLUDE loop.inc\n")
    with pytest.raises(ZoneFileError) as caught:
        load_zone_file(tmp_path / "example.com.zone")
    assert str(caught.value) == f"{tmp_path / 'loop.inc'}:2: loop.inc: $INCLUDE loop"


# -- broken zone files: refused here and by named-checkzone, at the same line --------------------

#: file -> (file the error names, line, part of the message); line 0: BIND names no line either.
BROKEN_CASES = {
    "no-soa.zone": ("no-soa.zone", 0, "no SOA record at the zone apex example.com."),
    "no-ns.zone": ("no-ns.zone", 0, "no NS records at the zone apex example.com."),
    "apex-ns-without-address.zone": ("apex-ns-without-address.zone", 0, "NS 'ns2.example.com' has no address"),
    "apex-ns-is-cname.zone": ("apex-ns-is-cname.zone", 0, "NS 'ns1.example.com' is a CNAME (illegal)"),
    "cname-and-other-data.zone": ("cname-and-other-data.zone", 7, "www.example.com.: CNAME and other data"),
    "two-cnames.zone": ("two-cnames.zone", 7, "www.example.com.: multiple RRs of singleton type"),
    "soa-not-at-apex.zone": ("soa-not-at-apex.zone", 6, "SOA record not at top of zone (www.example.com.)"),
    "bad-address.zone": ("bad-address.zone", 6, "near '192.0.2.300'"),
    "unknown-type.zone": ("unknown-type.zone", 6, "unknown rdatatype 'ADDRESS'"),
    "mx-without-preference.zone": ("mx-without-preference.zone", 6, "near 'mail': expecting an integer"),
    "wrong-class.zone": ("wrong-class.zone", 6, "RR class is not zone's class"),
    "label-too-long.zone": ("label-too-long.zone", 6, "label is > 63 octets"),
    "no-ttl.zone": ("no-ttl.zone", 2, "Missing default TTL value"),
    "bad-ttl-directive.zone": ("bad-ttl-directive.zone", 2, "near 'one-hour'"),  # BIND names no line
    "unbalanced-parentheses.zone": ("unbalanced-parentheses.zone", 8, "near 'IN': extra input text"),
    "txt-string-too-long.zone": ("txt-string-too-long.zone", 6, "string too long"),
    "unknown-directive.zone": ("unknown-directive.zone", 6, "'$UNICODE' is not allowed"),
    "missing-include.zone": ("missing-include.zone", 6, "inc/no-such-file.inc: file not found"),
    "error-in-include.zone": ("inc/bad-host.inc", 3, "near '2001:db8::gg'"),
}


def test_every_broken_case_is_listed():
    assert sorted(p.name for p in BROKEN.glob("*.zone")) == sorted(BROKEN_CASES)


@pytest.mark.parametrize("case", sorted(BROKEN_CASES))
def test_broken_zone_file(case):
    where, line, message = BROKEN_CASES[case]
    with pytest.raises(ZoneFileError) as caught:
        load_zone_file(BROKEN / case, origin=n("example.com."))
    error = caught.value
    assert (error.path, error.line) == (BROKEN / where, line)
    assert message in error.message
    assert str(error) == f"{BROKEN / where}:{line}: {error.message}"


@pytest.mark.skipif(NAMED_CHECKZONE is None, reason="named-checkzone is not installed")
@pytest.mark.parametrize("case", sorted(BROKEN_CASES))
def test_named_checkzone_rejects_it_at_the_same_line(case):
    where, line, _ = BROKEN_CASES[case]
    # BIND takes $INCLUDE relative to its working directory: run it in the file's folder
    run = subprocess.run([NAMED_CHECKZONE, "example.com", case], cwd=BROKEN, capture_output=True, text=True)
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    located = re.search(r"(\S+):(\d+): ", output)  # BIND's first "file:line: " message
    if located:
        assert (located.group(1), int(located.group(2))) == (where, line), output
    else:  # BIND names no line: for the whole-zone checks, and for a bad $TTL
        assert line == 0 or case == "bad-ttl-directive.zone", output


@pytest.mark.skipif(NAMED_CHECKZONE is None, reason="named-checkzone is not installed")
@pytest.mark.parametrize("origin, filename", [
    ("example.com", "example.com.zone"), ("shop.example.com", "db.shop.example.com"), ("example.org", "legacy.zone"),
])
def test_named_checkzone_accepts_the_good_zones(origin, filename):
    run = subprocess.run([NAMED_CHECKZONE, origin, filename], cwd=SITE, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


# -- scale -----------------------------------------------------------------------------------


def test_many_small_zone_files(tmp_path):
    count = 1000
    for i in range(count):
        (tmp_path / f"d{i}.example.zone").write_text(MINIMAL + "@ IN MX 10 mail\nmail IN A 192.0.2.25\n")
    started = time.perf_counter()
    zones = ZoneSource([tmp_path])
    assert len(zones.zones) == count
    assert time.perf_counter() - started < 10  # about 1 ms a zone
    assert zones.query(n("mail.d999.example."), "A").texts() == ["192.0.2.25"]
    assert zones.query(n("nothere.d5.example."), "A").rcode == NXDOMAIN
