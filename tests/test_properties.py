"""The hostile-input campaign of issue 16, kept as property-based tests (hypothesis).

* Generated SPF records: the project's parser never raises, and wherever pyspf's result
  differs from the RFC's reading of the record, the difference is one of the known
  deviations (:mod:`mailtests.spf.deviations`): a new one fails here.
* Generated domains files: ``load_config`` returns a Config or raises ConfigError (exit 4),
  never another exception, and within seconds.
* Generated zone files (with ``$INCLUDE`` of devices, FIFOs, missing and looping files,
  ``$GENERATE`` bombs, byte-order marks, huge TTLs and TXT records): the loader returns or
  raises ZoneFileError (exit 4), never another exception.

Everything runs in-process (no subprocess per example), a few hundred examples each, so
the file takes well under a minute on a 2-core machine. ``HYPOTHESIS_EXAMPLES`` raises the
number for a longer campaign (``HYPOTHESIS_EXAMPLES=20000 scripts/test tests/test_properties.py``).
"""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
import spf as pyspf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailtests.config import ConfigError, load_config
from mailtests.dnslayer import DnsLayer, spfbridge, zonebounds
from mailtests.dnslayer.zonefiles import ZoneFileError, ZoneSource
from mailtests.spf import deviations, parse
from tests.rfc7208.zonedata import ZoneData

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "200"))
CAMPAIGN = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])

# -- SPF records -------------------------------------------------------------------------------

NAMES = ["a.example.com", "b.example.com", "none.example.com", "example.com"]
ZONE = {"a.example.com": [{"A": "192.0.2.1"}, {"TXT": "v=spf1 ip4:192.0.2.1 -all"}],
        "b.example.com": [{"TXT": "v=spf1 ip4:192.0.2.2 ~all"}], "mx.example.com": [{"A": "192.0.2.3"}],
        "example.com": [{"MX": [10, "mx.example.com"]}, {"A": "192.0.2.4"}]}
ODD = ["%{d}", "%{d2}", "%{ir}", "%{l-}", "%{d0}", "%{d!}", "%{", "%%", "%_", "%-", "%{r}", "%{c}", "%{t}", "%", "\t",
       "\n", "."]


def domain_spec() -> st.SearchStrategy[str]:
    plain = st.sampled_from(NAMES)
    return st.one_of(plain, st.builds(lambda p, n: p + n, st.sampled_from(ODD), plain),
                     st.builds(lambda n, s: n + s, plain, st.sampled_from(ODD)))


def term() -> st.SearchStrategy[str]:
    qualifier = st.sampled_from(["", "+", "-", "~", "?"])
    mechanism = st.one_of(
        st.builds(lambda q: f"{q}all", qualifier),
        st.builds(lambda q, ip, c: f"{q}ip4:{ip}{c}", qualifier, st.sampled_from(["192.0.2.1", "192.0.2.9", "1.2.3"]),
                  st.sampled_from(["", "/24", "/33", "/24\n"])),
        st.builds(lambda q, d: f"{q}a:{d}", qualifier, domain_spec()),
        st.builds(lambda q, d: f"{q}include:{d}", qualifier, domain_spec()),
        st.builds(lambda q, c: f"{q}mx{c}", qualifier, st.sampled_from(["", "/24", "//64", "\n"])),
    )
    name = st.sampled_from(["redirect", "REDIRECT", "Redirect", "exp", "EXP", "foo", "FOO", "x.y-z_1"])
    value = st.one_of(domain_spec(), st.text(alphabet=string.ascii_letters + "%{}.-_!\t", max_size=12))
    modifier = st.builds(lambda n, v: f"{n}={v}", name, value)
    return st.one_of(mechanism, modifier)


records = st.builds(lambda terms, sep: "v=spf1" + "".join(sep + t for t in terms),
                    st.lists(term(), max_size=5), st.sampled_from([" ", "  "]))


#: pyspf's permerrors of evaluation (as opposed to syntax): what a record the RFC calls valid may still give.
EVALUATION_ERRORS = ("No valid SPF record for included domain", "redirect domain has no SPF record",
                     "Too many DNS lookups", "Void lookup limit", "trivial recursion")


def evaluate(record: str, ip: str, query=pyspf.query, rewrite=None) -> tuple[str, str]:
    layer = DnsLayer(None, zones=ZoneData({**ZONE, "example.com": [*ZONE["example.com"], {"TXT": record}]}),
                     offline=True)
    with spfbridge.answering_with(layer, rewrite):
        q = query(i=ip, s="postmaster@example.com", h="example.com")
        result, _, explanation = q.check()
        q.perm_error = None
    return result, explanation


@CAMPAIGN
@given(record=records, ip=st.sampled_from(["192.0.2.1", "192.0.2.2", "192.0.2.4", "192.0.2.77"]))
def test_pyspf_differs_from_the_rfc_only_where_a_known_deviation_says_so(record: str, ip: str) -> None:
    parsed = parse(record)  # never raises
    assert parsed.valid or parsed.errors
    theirs, _ = evaluate(record, ip)
    rfc, why = evaluate(record, ip, deviations.RfcQuery, deviations.rfc_reading)
    if theirs != rfc:
        assert deviations.found_in(record), (record, ip, theirs, rfc)
    if not parsed.valid:
        assert rfc == "permerror", (record, parsed.errors)
    elif rfc == "permerror":  # a record the project calls valid: pyspf may only fail it in evaluation
        assert any(e in why for e in EVALUATION_ERRORS), (record, why)


# -- domains files -----------------------------------------------------------------------------

LINES = ["domains: [example.com]", "domains:", "  - example.com", "  - name: b\u00fccher.example", "    helo: mx",
         "    sending_ips: [192.0.2.1, '2001:db8::1']", "timeout: 2", "timeout: " + "9" * 5000, "timeout: 1e999",
         "concurrency: -1", "zones: [/dev/zero]", "zones: [" + "a/" * 3000 + "]", 'zones: ["z\\0"]', "offline: true",
         "trust_anchor: /dev/null", "x: &a [1]", "y: *a", "{{{{{{{{{{{{{{{{{{", "- - - - - - - - - - - - - - - - -",
         "\ufeffdomains: [a.example]", "#" + "x" * 70_000, "domains: [\x1b[2J.example]", "\t- tab", "key: 'open",
         "dnsbl: {lists: [{zone: zen.spamhaus.org, kind: ip}]}", "skip: [{check: spf, reason: r}]", "\0"]


@CAMPAIGN
@given(lines=st.lists(st.one_of(st.sampled_from(LINES), st.text(max_size=30)), max_size=8))
def test_a_domains_file_loads_or_is_a_config_error(tmp_path_factory, lines: list[str]) -> None:
    path = tmp_path_factory.mktemp("cfg") / "domains.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    try:
        load_config(path)
    except ConfigError as exc:
        assert "\n" not in str(exc).strip() or exc.line  # one line, or a YAML message with its line


# -- zone files --------------------------------------------------------------------------------

HEAD = "$TTL 3600\n@ IN SOA ns1 hostmaster 1 7200 900 1209600 3600\n@ IN NS ns1\nns1 IN A 192.0.2.1\n"
ZONE_LINES = ["www IN A 192.0.2.2", "www 4294967296 IN A 192.0.2.2", "www 4294967295 IN A 192.0.2.2",
              "$GENERATE 1-99999999999999999999999 h$ A 192.0.2.1", "$GENERATE 1-5000 h$ A 192.0.2.1",
              "$GENERATE 1-20 h$ A 192.0.2.$", "$GENERATE 5-1 h$ A 192.0.2.1", "$GENERATE 1-3/0 h$ A 192.0.2.1",
              "$INCLUDE /dev/zero", "$INCLUDE pipe", "$INCLUDE missing", "$INCLUDE example.com.zone",
              "$INCLUDE " + "a/" * 3000, "big IN TXT " + " ".join(['"' + "a" * 255 + '"'] * 300),
              "\ufeffx IN A 192.0.2.3", "x IN CNAME www", "x IN A 192.0.2.3", "$ORIGIN other.",
              "@ IN SOA a b 1 2 3 4 5", "t IN TXT \"\\027[2J\\000\"", "( unbalanced", "$TTL 99999999999",
              "many IN A 192.0.2.1", "many IN A 192.0.2.2", "\x00", "* IN MX 10 mail"]


@CAMPAIGN
@given(lines=st.lists(st.one_of(st.sampled_from(ZONE_LINES), st.text(max_size=30)), max_size=10),
       bom=st.booleans())
def test_a_zone_file_loads_or_is_a_zone_error(tmp_path_factory, monkeypatch_module, lines: list[str],
                                              bom: bool) -> None:
    folder = tmp_path_factory.mktemp("zone")
    if not (folder / "pipe").exists():
        os.mkfifo(folder / "pipe")
    path = folder / "example.com.zone"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (HEAD + "\n".join(lines) + "\n").encode("utf-8",
                                                                                                 "surrogatepass"))
    try:
        ZoneSource([path])
    except ZoneFileError as exc:
        assert exc.message and "\n" not in exc.message, exc.message


@pytest.fixture(scope="module")
def monkeypatch_module():
    """Smaller zone bounds for the campaign: a $GENERATE within the real bound would take seconds an example."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zonebounds, "MAX_ZONE_RECORDS", 2000)
        yield patch


def test_the_campaign_lists_every_known_deviation() -> None:
    assert {d.name for d in deviations.KNOWN} == {"duplicate-modifier", "modifier-case", "control-characters",
                                                  "bad-macro", "percent-at-end"}
    assert Path(deviations.__file__).read_text(encoding="utf-8").count("=====") >= 6  # the table is there
