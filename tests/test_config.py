"""Tests for mailtests.config: what a good domains.yaml becomes, and what a broken one says."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from mailtests import config_read
from mailtests.catalog import CHECKS
from mailtests.config import (
    DEFAULT_DNSBL,
    Blocklist,
    ConfigError,
    DomainEntry,
    Resolver,
    load_config,
    normalize_domain,
    parse_config,
    parse_resolver,
)

CASES = Path(__file__).parent / "config_cases"

FULL = """\
resolvers: ["127.0.0.1", "127.0.0.1:5353", "[2001:db8::53]:53", "::1"]
fallback_resolvers: ["192.0.2.53"]
timeout: 2.5
latency_threshold: 0.5
concurrency: 16
zones: [zones/, extra/example.org.zone]
offline: true
dnsbl:
  subscription: true
  lists:
    - zone: bl.spamcop.net
      kind: ip
      allowlist: false
    - zone: zen.spamhaus.org
      kind: ip
      subscription: true
    - zone: dbl.spamhaus.org
      kind: domain
domains:
  - example.com
  - name: Bücher.Example.
    sending_ips: [192.0.2.10, "2001:db8::10"]
    helo: mail.example.com
    skip:
      - check: ptr.present
        reason: "relay IPs are the ISP's"
      - check: spf
        reason: SPF is checked upstream
  - name: example.org
    helo: ["[192.0.2.1]", "[IPv6:2001:db8::1]"]
"""


def test_full_file_loads_into_dataclasses(tmp_path: Path) -> None:
    (tmp_path / "zones").mkdir()
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "example.org.zone").write_text("")
    (tmp_path / "domains.yaml").write_text(FULL, encoding="utf-8")

    cfg = load_config(tmp_path / "domains.yaml")

    assert cfg.path == tmp_path / "domains.yaml"
    assert len(cfg.sha256) == 64
    assert cfg.resolvers == (
        Resolver("127.0.0.1", 53), Resolver("127.0.0.1", 5353), Resolver("2001:db8::53", 53), Resolver("::1", 53),
    )
    assert [str(r) for r in cfg.resolvers] == ["127.0.0.1:53", "127.0.0.1:5353", "[2001:db8::53]:53", "[::1]:53"]
    assert cfg.fallback_resolvers == (Resolver("192.0.2.53", 53),)
    assert (cfg.timeout, cfg.latency_threshold, cfg.concurrency, cfg.offline) == (2.5, 0.5, 16, True)
    assert cfg.zones == (tmp_path / "zones", tmp_path / "extra" / "example.org.zone")  # relative to the file
    assert cfg.dnsbl_subscription is True
    assert cfg.dnsbl == (
        Blocklist("bl.spamcop.net", "ip", allowlist=False, subscription=False),
        Blocklist("zen.spamhaus.org", "ip", allowlist=False, subscription=True),
        Blocklist("dbl.spamhaus.org", "domain", allowlist=False, subscription=True),  # known subscription zone
    )

    bare, books, org = cfg.domains
    assert bare == DomainEntry("example.com", "example.com", line=20)  # a bare name: nothing else set
    assert books.name == "xn--bcher-kva.example"  # IDNA A-label, lowercase, no trailing dot
    assert books.unicode_name == "bücher.example"
    assert books.sending_ips == (ipaddress.ip_address("192.0.2.10"), ipaddress.ip_address("2001:db8::10"))
    assert books.helo == ("mail.example.com",)
    assert books.line == 21
    spf_ids = {cid for cid in CHECKS if cid.startswith("spf.")}
    assert set(books.skip) == {"ptr.present"} | spf_ids  # the area is expanded to all its checks
    assert books.skip["ptr.present"] == "relay IPs are the ISP's"
    assert all(books.skip[cid] == "SPF is checked upstream" for cid in spf_ids)
    assert org.helo == ("[192.0.2.1]", "[IPv6:2001:db8::1]")


def test_defaults() -> None:
    cfg = parse_config("domains: [example.com]\n", Path("domains.yaml"))
    assert cfg.resolvers == () and cfg.fallback_resolvers == ()  # () = the system's resolvers
    assert (cfg.timeout, cfg.latency_threshold, cfg.concurrency, cfg.offline, cfg.zones) == (2.0, 1.0, 16, False, ())
    assert cfg.dnsbl == DEFAULT_DNSBL == (
        Blocklist("bl.spamcop.net", "ip"), Blocklist("list.dnswl.org", "ip", allowlist=True),
    )
    assert cfg.dnsbl_subscription is False
    # dnsbl given without lists keeps the default lists
    assert parse_config("dnsbl: {subscription: true}\ndomains: [a.example]\n", Path("d.yaml")).dnsbl == DEFAULT_DNSBL


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1", Resolver("127.0.0.1", 53)),
    ("127.0.0.1:5353", Resolver("127.0.0.1", 5353)),
    ("::1", Resolver("::1", 53)),
    ("[::1]", Resolver("::1", 53)),
    ("[2001:DB8:0::53]:53", Resolver("2001:db8::53", 53)),
    (" 192.0.2.53 ", Resolver("192.0.2.53", 53)),
])
def test_parse_resolver(text: str, expected: Resolver) -> None:
    assert parse_resolver(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty resolver address"),
    ("dns.google", "'dns.google' is not an IP address (expected ADDRESS, ADDRESS:PORT or [IPV6]:PORT)"),
    ("[::1", "'[::1' has no closing ']'"),
    ("[::1]53", "'[::1]53': expected ':PORT' after ']'"),
    ("[192.0.2.1]:53", "'[192.0.2.1]:53': brackets are for IPv6 addresses only"),
    ("192.0.2.1:0", "'192.0.2.1:0': port must be a number from 1 to 65535"),
    ("192.0.2.1:dns", "'192.0.2.1:dns': port must be a number from 1 to 65535"),
    ("fe80::1%eth0", "'fe80::1%eth0': scoped IPv6 addresses (%zone) are not supported"),
])
def test_parse_resolver_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_resolver(text)
    assert str(err.value) == message


@pytest.mark.parametrize(("text", "expected"), [
    ("Example.COM.", ("example.com", "example.com")),
    ("bücher.example", ("xn--bcher-kva.example", "bücher.example")),
    ("xn--bcher-kva.example", ("xn--bcher-kva.example", "bücher.example")),
    ("ＢÜCHER。example", ("xn--bcher-kva.example", "bücher.example")),  # UTS 46 mapping: width, case, dots
])
def test_normalize_domain(text: str, expected: tuple[str, str]) -> None:
    assert normalize_domain(text) == expected


# Each broken file and the one line it must produce (run from inside CASES, so the
# file name is shown as given).
BROKEN = {
    "bad_ip.yaml": "bad_ip.yaml:6: example.com: sending_ips[1]: '300.1.2.3' is not an IP address",
    "unknown_top_key.yaml": "unknown_top_key.yaml:1: timout: unknown key; did you mean 'timeout'? allowed: "
                            "resolvers, fallback_resolvers, timeout, latency_threshold, concurrency, zones, offline, "
                            "dnsbl, dkim_selectors, trust_anchor, smtp, smtp_timeout, smtp_concurrency, ehlo_name, "
                            "ca_file, domains",
    "unknown_domain_key.yaml": "unknown_domain_key.yaml:3: example.com: sending_ip: unknown key; did you mean "
                               "'sending_ips'? allowed: name, sending_ips, helo, dkim_selectors, skip",
    "duplicate_domain.yaml": "duplicate_domain.yaml:5: name: duplicate domain xn--bcher-kva.example (first at line 3)",
    "bad_domain_name.yaml": "bad_domain_name.yaml:3: name: 'mail..example.com' is not a valid domain name: empty label",
    "label_too_long.yaml": "label_too_long.yaml:2: name: "
                           "'aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeefffffff...' is not a valid domain name: "
                           "label aaaaaaaaaabbbbbbbbbb... is 64 octets long (at most 63)",
    "idna_invalid.yaml": "idna_invalid.yaml:2: name: 'i❤.example' is not a valid domain name: label 'i❤' is not "
                         "valid IDNA 2008: Codepoint U+2764 at position 2 of 'i❤' not allowed",
    "unknown_skip_check.yaml": "unknown_skip_check.yaml:4: example.com: skip[0].check: unknown check 'ptr.presnt'; "
                               "did you mean 'ptr.present'?",
    "skip_without_reason.yaml": "skip_without_reason.yaml:4: example.com: skip[0]: missing key 'reason' "
                                "(every skip needs a reason)",
    "bad_resolver.yaml": "bad_resolver.yaml:1: resolvers[2]: 'dns.google' is not an IP address "
                         "(expected ADDRESS, ADDRESS:PORT or [IPV6]:PORT)",
    "bad_resolver_port.yaml": "bad_resolver_port.yaml:4: fallback_resolvers[0]: '[2001:db8::53]:65536': "
                              "port must be a number from 1 to 65535",
    "timeout_negative.yaml": "timeout_negative.yaml:2: timeout: -1 is out of range: "
                             "must be greater than 0 and at most 60",
    "concurrency_not_integer.yaml": "concurrency_not_integer.yaml:1: concurrency: must be a whole number, "
                                    "got the string '64'",
    "yaml_syntax.yaml": "yaml_syntax.yaml:3: invalid YAML: expected ',' or ']', but got '<stream end>' "
                        "(while parsing a flow sequence)",
    "duplicate_yaml_key.yaml": 'duplicate_yaml_key.yaml:3: invalid YAML: found duplicate key "timeout" '
                               'with value "5.0" (original value: "2.0")',
    "not_mapping.yaml": "not_mapping.yaml:1: the top level must be a mapping (key: value), got a list",
    "empty.yaml": "empty.yaml: the file is empty: it should be a mapping with at least a 'domains' list",
    "no_domains.yaml": "no_domains.yaml:2: domains: no domains to test",
    "missing_zone_folder.yaml": f"missing_zone_folder.yaml:1: zones[0]: 'no-such-zones/' does not exist "
                                f"(looked for {CASES.resolve() / 'no-such-zones'})",
    "subscription_list.yaml": "subscription_list.yaml:7: dnsbl.lists[1].subscription: zen.spamhaus.org is a "
                              "subscription list: set 'dnsbl: subscription: true' if the site holds a subscription, "
                              "else remove it",
    "dnsbl_bad_kind.yaml": "dnsbl_bad_kind.yaml:4: dnsbl.lists[0].kind: must be one of ip, domain, "
                           "got the string 'url'",
    "helo_empty.yaml": "helo_empty.yaml:3: example.com: helo[1]: must not be empty",
    "alias_bomb.yaml": "alias_bomb.yaml:3: YAML aliases (*a) are not allowed",
    "deep_nesting.yaml": "deep_nesting.yaml:1: nested too deep (more than 16 levels)",
    "not_utf8.yaml": "not_utf8.yaml:2: not UTF-8 text (byte 0xe9)",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES)
    with pytest.raises(ConfigError) as err:
        load_config(name)
    assert str(err.value) == BROKEN[name]
    assert "\n" not in str(err.value)


def test_every_case_file_has_an_expectation() -> None:
    assert sorted(p.name for p in CASES.glob("*.yaml")) == sorted(BROKEN)


def test_error_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES)
    with pytest.raises(ConfigError) as err:
        load_config("bad_ip.yaml")
    e = err.value
    assert (e.path, e.line, e.key, e.domain) == ("bad_ip.yaml", 6, "sending_ips[1]", "example.com")
    assert e.message == "'300.1.2.3' is not an IP address"


def test_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        load_config("domains.yaml")
    assert str(err.value) == "domains.yaml: cannot read: No such file or directory"
    assert err.value.line == 0
    with pytest.raises(ConfigError, match=r"^\.: cannot read: "):
        load_config(".")


def test_huge_file_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB of nothing, cheap to make
    with pytest.raises(ConfigError) as err:
        load_config(big)
    assert str(err.value) == f"{big}: the file is larger than the limit of 10 MiB ({50 * 1024 * 1024} bytes)"


def test_too_many_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_read, "MAX_YAML_NODES", 50)
    text = "domains: [" + ", ".join(f"d{i}.example" for i in range(60)) + "]\n"
    with pytest.raises(ConfigError) as err:
        parse_config(text, Path("domains.yaml"))
    assert str(err.value) == "domains.yaml:1: too many values (more than 50)"


@pytest.mark.parametrize(("text", "expected"), [
    # offline without zones is judged with the command line, which may give --zones=DIR (test_hostile_files.py)
    ("domains: [example.com]\nzones: []\noffline: true\n", None),
    ("domains:\n  - name: example.com\n    skip: [{check: resolver.latency, reason: slow}]\n",
     "domains.yaml:3: example.com: skip[0].check: 'resolver.latency' runs once per run and cannot be skipped "
     "per domain"),
    ("domains:\n  - sending_ips: [192.0.2.1]\n", "domains.yaml:2: domains[0]: missing key 'name'"),
    ("domains:\n  - [example.com]\n",
     "domains.yaml:2: domains[0]: must be a domain name or a mapping with 'name', got a list"),
    ("domains: [a_b.example]\n", "domains.yaml:1: name: 'a_b.example' is not a valid domain name: label 'a_b': "
     "only letters, digits and inner hyphens are allowed"),
    ("domains: [192.0.2.1]\n", "domains.yaml:1: name: '192.0.2.1' is not a valid domain name: the top-level "
     "label is all digits (an IP address is not a domain name)"),
    ("timeout: 61\ndomains: [example.com]\n",
     "domains.yaml:1: timeout: 61 is out of range: must be greater than 0 and at most 60"),
    ("offline: yes\ndomains: [example.com]\n", "domains.yaml:1: offline: must be true or false, got the string 'yes'"),
    ("timeout: !!python/object:os.system x\ndomains: [example.com]\n",
     "domains.yaml:1: timeout: must be a number, got a value tagged tag:yaml.org,2002:python/object:os.system"),
    ("domains: [example.com]\n<<: {timeout: 3}\n", "domains.yaml:1: merge keys (<<) are not allowed"),
    ("domains: [example.com]\n---\ntimeout: 3\n",
     "domains.yaml:2: invalid YAML: but found another document (expected a single document in the stream)"),
    ("domains:\n  - name: example.com\n    sending_ips: []\n",
     "domains.yaml:3: example.com: sending_ips: must not be empty (leave the key out to use the MX hosts' addresses)"),
    ("domains:\n  - name: example.com\n    dkim_selectors: [s1, \"bad sel\"]\n",
     "domains.yaml:3: example.com: dkim_selectors[1]: 'bad sel' is not a DKIM selector (labels of letters, digits, "
     "'-' and '_')"),
    ("dkim_selectors: [s1, S1]\ndomains: [example.com]\n", "domains.yaml:1: dkim_selectors[1]: s1 is listed twice"),
    ("trust_anchor: missing.key\ndomains: [example.com]\n",
     "domains.yaml:1: trust_anchor: 'missing.key' is not a file (looked for "
     f"{Path('missing.key').absolute()})"),
    ("smtp_timeout: 0\ndomains: [example.com]\n",
     "domains.yaml:1: smtp_timeout: 0 is out of range: must be greater than 0 and at most 60"),
    ("ehlo_name: 'bad name'\ndomains: [example.com]\n",
     "domains.yaml:1: ehlo_name: 'bad name' is not a valid host name: label 'bad name': only letters, digits and "
     "inner hyphens are allowed"),
    ("domains: [example.com]\n", None),
])
def test_inline_cases(text: str, expected: str | None) -> None:
    if expected is None:
        assert parse_config(text, Path("domains.yaml")).domains[0].name == "example.com"
        return
    with pytest.raises(ConfigError) as err:
        parse_config(text, Path("domains.yaml"))
    assert str(err.value) == expected


def test_dkim_selectors_default_and_per_domain() -> None:
    text = ("dkim_selectors: [s2026, Google]\nsmtp: true\nsmtp_timeout: 5\nehlo_name: probe.example.org\n"
            "domains:\n  - example.com\n  - name: example.net\n    dkim_selectors: [eu.s1]\n"
            "  - name: example.org\n    dkim_selectors: []\n")
    cfg = parse_config(text, Path("domains.yaml"))
    assert [(d.name, d.dkim_selectors) for d in cfg.domains] == [
        ("example.com", ("s2026", "google")), ("example.net", ("eu.s1",)), ("example.org", ())]
    assert (cfg.smtp, cfg.smtp_timeout, cfg.ehlo_name, cfg.ca_file, cfg.trust_anchor) == (
        True, 5.0, "probe.example.org", None, None)
