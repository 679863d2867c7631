"""Large domains files: a plain list (domains.txt), and domains.yaml read by libyaml as ruamel would read it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML

from mailtests import config_read, fastyaml
from mailtests.config import ConfigError, load_config, parse_config
from tests.demo import DEMO_ZONES

CASES = Path(__file__).parent / "config_cases"


def ruamel(text: str):
    return YAML(typ="rt").load(text)


def same_tree(fast, slow) -> None:
    """The two trees hold equal values of the same kinds, with the same line of every key and item."""
    assert type(fast).__name__ in ("Mapping", "Sequence") or type(fast) is type(slow) or (
        isinstance(slow, bool) is isinstance(fast, bool) and fast == slow), (fast, slow)
    if isinstance(slow, dict):
        assert list(fast) == list(slow) and fast.lc.line == slow.lc.line
        for key in slow:
            assert fast.lc.key(key)[0] == slow.lc.key(key)[0], key
            same_tree(fast[key], slow[key])
    elif isinstance(slow, list):
        assert len(fast) == len(slow) and fast.lc.line == slow.lc.line
        for i, item in enumerate(slow):
            assert fast.lc.item(i)[0] == slow.lc.item(i)[0], i
            same_tree(fast[i], item)
    else:
        assert fast == slow and isinstance(fast, bool) == isinstance(slow, bool)
        assert isinstance(fast, str) == isinstance(slow, str) and isinstance(fast, float) == isinstance(slow, float)


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_fast_reader_builds_ruamels_tree_or_leaves_the_file_to_it(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return  # refused before any parser reads it
    try:
        fast = fastyaml.load(text, 10_000, 16)
    except (fastyaml.Fallback, fastyaml.Refused, yaml.YAMLError):
        return  # ruamel reads it (or words its error): the messages are ruamel's
    same_tree(fast, ruamel(text))


@pytest.mark.parametrize("scalar", [
    "example.com", "198.18.0.1", "2001:db8::1", "127.0.0.1:53", "123reg.com", "1:20", "0777", "1_000",
    "2026-01-05", "yes", "no", "on", "0x1F", "1e3", "1.5", "10", "0", "00", "0o17", ".5", "+1", "-1", "True", "FALSE",
    "NULL", "~", "1.", "1.0e3", "1.2.3", "/etc/trust.key", "./zones", "~/zones", ".inf", "s2026", "_dmarc", "'quoted'",
    '"0777"', "3com.net", "1a.example", "0b101", "1e10.example", "9.9.9.9"])
def test_plain_scalars_are_typed_as_ruamel_types_them(scalar: str) -> None:
    text = f"key: {scalar}\nlist: [{scalar}]\n"
    try:
        fast = fastyaml.load(text, 100, 16)
    except (fastyaml.Fallback, yaml.YAMLError):
        return
    same_tree(fast, ruamel(text))


def test_yaml_the_fast_reader_leaves_to_ruamel_still_loads() -> None:
    text = "defaults: &d {helo: [mx.example.com]}\ndomains:\n  - name: example.com\n    helo: !!str mx.example.com\n"
    with pytest.raises(fastyaml.Fallback):
        fastyaml.load(text, 100, 16)
    with pytest.raises(ConfigError, match="unknown|not allowed|defaults"):
        parse_config(text, Path("domains.yaml"))  # ruamel's path and messages: 'defaults' is no key of the file


def big_yaml(count: int, extra: str = "") -> str:
    lines = ['resolvers: ["127.53.0.53"]', "timeout: 2.0", "domains:"]
    for i in range(count):
        lines += [f"  - name: shop-{i}.example", "    helo: mx1.mailprov1.net", "    dkim_selectors: [pm1]"]
    return "\n".join(lines) + "\n" + extra


def test_a_domains_file_of_100000_domains_loads(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(big_yaml(100_000), encoding="utf-8")
    loaded = load_config(path)
    assert len(loaded.domains) == 100_000 and loaded.domains[-1].name == "shop-99999.example"
    assert loaded.domains[-1].line == 3 + 3 * 99_999 + 1 and loaded.domains[-1].helo == ("mx1.mailprov1.net",)


@pytest.mark.parametrize(("extra", "expected"), [
    ("  - name: shop-17.example\n", "duplicate domain shop-17.example (first at line 55)"),
    ("  - name: 'bad..example'\n", "name: 'bad..example' is not a valid domain name: empty label"),
    ("  - name: ok.example\n    sending_ips: [300.1.2.3]\n", "ok.example: sending_ips[0]: '300.1.2.3' is not an IP"),
])
def test_a_large_files_errors_name_their_line(tmp_path: Path, extra: str, expected: str) -> None:
    path = tmp_path / "domains.yaml"
    count = 40_000  # past ruamel's bound of values: the fast reader's lines
    path.write_text(big_yaml(count, extra), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    line = 3 + 3 * count + 1 + ("sending_ips" in extra)
    assert str(err.value).startswith(f"{path}:{line}: ") and expected in str(err.value)


def test_too_many_values_for_the_fast_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_read, "MAX_YAML_NODES", 20)
    with pytest.raises(ConfigError) as err:
        parse_config(big_yaml(10), Path("domains.yaml"))
    assert str(err.value).startswith("domains.yaml:") and "too many values (more than 20)" in str(err.value)


def test_a_large_files_yaml_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    path.write_text(big_yaml(40_000, "  - name: [unclosed\n"), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}:") and "invalid YAML" in str(err.value)


def test_a_plain_list_with_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "domains.txt"
    path.write_text("# exported 2026-11-30\n\nexample.com\n  Example.NET   # ours\nbücher.example\n", encoding="utf-8")
    loaded = load_config(path)
    assert [(d.name, d.line) for d in loaded.domains] == [
        ("example.com", 3), ("example.net", 4), ("xn--bcher-kva.example", 5)]


@pytest.mark.parametrize(("text", "expected"), [
    ("example.com\n\nexample.net\nEXAMPLE.com.\n", "domains.txt:4: duplicate domain example.com (first at line 1)"),
    ("example.com\nexa mple.com\n", "domains.txt:2: 'exa mple.com' is not a valid domain name: label 'exa mple': "
                                    "only letters, digits and inner hyphens are allowed"),
    ("# nothing\n\n", "domains.txt: no domains: list one domain a line (`#` starts a comment)"),
])
def test_a_plain_lists_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "domains.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == expected.replace("domains.txt", str(path))


def test_the_suite_runs_a_plain_list_and_stops_on_a_bad_one(tmp_path: Path) -> None:
    (tmp_path / "zones").symlink_to(DEMO_ZONES)
    (tmp_path / "domains.txt").write_text("# demo hosts\nhost1.example.net\nhost2.example.net\n", encoding="utf-8")

    def suite(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "mailtests", "-o", "addopts=", "-p",
                               "no:cacheprovider", "-p", "no:html", "-q", "--tb=no", "--zones=zones", "--offline",
                               *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)

    run = suite("--domains=domains.txt", "-k", "mx_present")
    assert run.returncode == 1 and "2 failed" in run.stdout, run.stdout + run.stderr
    (tmp_path / "bad.txt").write_text("host1.example.net\nhost1.example.net\n", encoding="utf-8")
    bad = suite("--domains=bad.txt")
    assert bad.returncode == pytest.ExitCode.USAGE_ERROR
    assert "bad.txt:2: duplicate domain host1.example.net (first at line 1)" in bad.stderr
