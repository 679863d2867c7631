"""The line reader of large domains files (mailtests.lineyaml) builds fastyaml's tree, or leaves the file to it.

fastyaml (libyaml) is held to ruamel by tests/test_domain_files.py; here the line reader is
held to fastyaml: on every case file and shipped domains file, and on generated files that
mix its kind of YAML with everything it must leave alone (comments in odd places, quotes,
colons and ``#`` inside values, flow mappings, anchors, tags, misindented lines, duplicate
keys ...). Where it reads a file, the values, their types and every line and column equal
fastyaml's; and the domains file it reads gives the same Config, or the same error, as
the file read by fastyaml.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailtests import fastyaml, lineyaml
from mailtests.config import ConfigError, load_config, parse_config
from mailtests.config_entries import QuickEntries

ROOT = Path(__file__).parent.parent
FILES = sorted([*(ROOT / "tests" / "config_cases").glob("*.yaml"), *(ROOT / "tests" / "lab").glob("*.yaml"),
                ROOT / "domains.yaml"])
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "300"))
CAMPAIGN = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def dump(node):
    """Everything the validator can see of a tree: values, their types, and every line and column."""
    if isinstance(node, dict):
        return ("map", node.lc.line, node.lc.col, list(node.lc._at.items()), [(k, dump(v)) for k, v in node.items()])
    if isinstance(node, list):
        return ("seq", node.lc.line, node.lc.col, list(node.lc._at), [dump(v) for v in node])
    return (type(node).__name__, node)


def fast_or_none(text: str):
    try:
        return fastyaml.load(text, 10_000, 16)
    except (fastyaml.Fallback, fastyaml.Refused, yaml.YAMLError):
        return None


def assert_same_or_fallback(text: str) -> bool:
    """The line reader gives fastyaml's tree, or Fallback; True when it read the file."""
    try:
        tree = lineyaml.load(text, 10_000, 16)
    except fastyaml.Fallback:
        return False
    fast = fast_or_none(text)
    assert fast is not None or tree is None, f"the line reader read what fastyaml refuses:\n{text}"
    assert dump(tree) == dump(fast), text
    return True


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_line_reader_builds_fastyamls_tree_or_leaves_the_file(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return
    assert_same_or_fallback(text)


def test_the_shipped_and_generated_shapes_are_read_by_the_line_reader() -> None:
    text = ("# comment\nresolvers: [\"127.53.0.53\", '::1', 10.0.0.1:53]   # trailing\ntimeout: 2.0\noffline: false\n"
            "dnsbl:\n  subscription: true\n  lists:\n  - zone: bl.example\n    kind: ip\n\ndomains:\n"
            "  - plain.example\n  - name: acme-0.com\n    helo: mail.acme-0.com\n    dkim_selectors: [mail]\n"
            "  -   name: b.example   # odd but fine\n      sending_ips: [ 198.19.0.1 , \"2001:db8::1\" ]\n"
            "      skip:\n        - check: dmarc\n          reason: not in use here\n      helo:\n      - a.example\n"
            "      - 'b.example'\n  - name: \"ünï.example\"\n    dkim_selectors: []\nzones:\n")
    assert assert_same_or_fallback(text)
    for path in (ROOT / "domains.yaml", ROOT / "tests" / "lab" / "domains.yaml"):
        assert assert_same_or_fallback(path.read_text(encoding="utf-8")), path


def test_the_benchmarks_generated_file_is_read_by_the_line_reader(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate", generate)  # its dataclasses look their module up
    spec.loader.exec_module(generate)
    path = generate.domains_file(tmp_path / "domains.yaml", 300)
    assert assert_same_or_fallback(path.read_text(encoding="utf-8"))
    loaded = load_config(path)
    assert len(loaded.domains) == 300 and loaded.domains[4].dkim_selectors == ("pm4",)


@pytest.mark.parametrize("text", [
    "a: 1\n\tb: 2\n", "a: 1\r\nb: 2\r\n", "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  text\n", "a: >\n  text\n",
    "a: {b: 1}\n",
    "'a': 1\n", "a: \"x\\ty\"\n", "a: 'it''s'\n", "a: b\n  c\n", "a:\n  b\n", "- a\n- b\n", "a: 1\na: 2\n",
    "---\na: 1\n", "a: 1\n...\n", "%YAML 1.2\n---\na: 1\n", "a:\n  - - x\n", "a: 0777\n", "a: 2026-01-05\n",
    "true: 1\n", "a: b: c\n", "a: x #c\n  b: 1\n", "a:\n  b: 1\n c: 2\n", "a: [b, {c: 1}]\n", "a: [b,]\n", "  a: 1\n",
    "a: x\u00a0\n", "a: \ufeffx\n", "a: x\u2028y\n", "a: \x07\n", "a: [x  y]\n", "a: -x\n", "a:\n-\n",
])
def test_what_the_line_reader_leaves_to_fastyaml(text: str) -> None:
    with pytest.raises(fastyaml.Fallback):
        lineyaml.load(text, 10_000, 16)


def test_the_bounds_are_left_to_fastyaml_and_its_words() -> None:
    deep = "".join(f"{' ' * i}k{i}:\n" for i in range(20)) + " " * 20 + "x: 1\n"
    with pytest.raises(fastyaml.Fallback):
        lineyaml.load(deep, 10_000, 16)
    with pytest.raises(fastyaml.Refused):
        fastyaml.load(deep, 10_000, 16)
    many = "domains:\n" + "".join(f"  - name: d{i}.example\n" for i in range(10))
    with pytest.raises(fastyaml.Fallback):
        lineyaml.load(many, 20, 16)
    assert dump(lineyaml.load(many, 40, 16)) == dump(fastyaml.load(many, 40, 16))


# -- generated files ---------------------------------------------------------------------------------------------
# Values are written as raw text: what the line reader reads must be read alike by libyaml, and the rest left to it.

SAFE = ["example.com", "mx1.mail-prov.net", "198.51.100.7", "2001:db8::1", "127.0.0.1:53", "s2026", "_dmarc",
        "/etc/ca.pem", "./zones", "~/zones", "64", "2.0", "true", "False", "null", "~", "ünïcode.example",
        "xn--bcher-kva.example", "\"quoted\"", "'single'", "\"two words\"", "a b c", "http://x.example/a"]
ODD = ["0777", "2026-01-05", "yes", "1e3", "\"a #b\"", "'it''s'", "\"esc\\\"x\"", "a  b", "a: b", "a:b", "a #c", "a#b",
       "-x", "- x", "[x]", "{a: 1}", "&anc x", "*alias", "!!str x", "|", ">", "%x", "@x", "`x`", "?", ",x", "x,y",
       "a]", "[a", "x: [a]", "\"", "'", "", " ", "#", "a\tb", ".5", "+1", "1_000"]
KEYS = ["name", "helo", "domains", "a-b", "_x", "k1", "zones", "dkim_selectors"]
ODD_KEYS = ["true", "null", "\"q\"", "1", "a b", "a.b", "<<", "? x", "-k"]


@st.composite
def documents(draw, odd: bool) -> str:
    """A domains-file-like document; with ``odd``, sprinkled with what the line reader must leave alone."""
    values = st.sampled_from(SAFE + ODD) if odd else st.sampled_from(SAFE)
    keys = st.sampled_from(KEYS + ODD_KEYS) if odd else st.sampled_from(KEYS)
    lines: list[str] = []

    def comment_or_blank(indent: int) -> None:
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", " " * draw(st.integers(0, 6)) + "# note", "   "])))

    def tail() -> str:
        return draw(st.sampled_from(["", "", "  # c", " #c", "   "] + (["#c", "\t"] if odd else [])))

    def flow() -> str:
        items = draw(st.lists(values, max_size=3))
        gap = draw(st.sampled_from([", ", ",", " , "]))
        return "[" + draw(st.sampled_from(["", " "])) + gap.join(items) + draw(st.sampled_from(["", " "])) + "]"

    def value(indent: int, depth: int, prefix: str) -> None:
        """``prefix`` ("key:" or "- ") followed by a value on its line or in a block below it."""
        kind = draw(st.integers(0, 5 if depth < 3 else 1))
        if kind == 0:
            space = " " if prefix.endswith(":") else ""
            lines.append(f"{prefix}{space}{draw(values)}{tail()}")
        elif kind == 1:
            lines.append(f"{prefix} {flow()}{tail()}" if prefix.endswith(":") else f"{prefix}{flow()}{tail()}")
        elif kind == 2 and prefix.endswith(":"):
            lines.append(prefix + tail())  # null, or the start of a block
        elif kind in (3, 4) and prefix.endswith(":"):
            lines.append(prefix + tail())
            step = draw(st.integers(0 if kind == 3 else 1, 3))
            sequence(indent + step, depth + 1)
        elif prefix.endswith(":"):
            lines.append(prefix + tail())
            mapping(indent + draw(st.integers(1, 3)), depth + 1)
        else:  # "- key: ..." : a mapping in a list
            mapping(indent, depth + 1, first=prefix)

    def mapping(indent: int, depth: int, first: str = "") -> None:
        inner = len(first) if first else indent
        names = draw(st.lists(keys, min_size=1, max_size=3, unique=not odd))
        for n, name in enumerate(names):
            comment_or_blank(inner)
            lead = first if n == 0 and first else " " * inner
            if odd and draw(st.integers(0, 12)) == 0:
                lead += " "  # misindented
            value(inner, depth, f"{lead}{name}:")

    def sequence(indent: int, depth: int) -> None:
        for _ in range(draw(st.integers(1, 3))):
            comment_or_blank(indent)
            value(indent, depth, " " * indent + "-" + " " * draw(st.integers(1, 3)))

    mapping(0, 0)
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n# end\n"]))


@CAMPAIGN
@given(documents(odd=True))
def test_generated_files_read_alike_or_left_to_fastyaml(text: str) -> None:
    assert_same_or_fallback(text)


@CAMPAIGN
@given(documents(odd=False))
def test_generated_files_of_its_kind_are_read_alike(text: str) -> None:
    assert assert_same_or_fallback(text), f"the line reader left its kind of file to fastyaml:\n{text}"


# -- the validator sees no difference ---------------------------------------------------------------------------


def _config_or_error(text: str, monkeypatch: pytest.MonkeyPatch, line_reader: bool):
    with monkeypatch.context() as patch:
        if not line_reader:
            patch.setattr(lineyaml, "load", _refuse)
        try:
            return parse_config(text, Path("domains.yaml"))
        except ConfigError as exc:
            return str(exc)


def _refuse(*args, **kwargs):
    raise fastyaml.Fallback


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_case_file_gives_the_same_config_or_error_on_every_path(path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The line reader and the quick entries on, or both off (libyaml or ruamel, the schema and the checks)."""
    def load(fast: bool):
        with monkeypatch.context() as patch:
            if not fast:
                patch.setattr(lineyaml, "load", _refuse)
                patch.setattr(QuickEntries, "build", lambda self, items: None)
            try:
                return load_config(path)
            except ConfigError as exc:
                return str(exc)

    assert load(True) == load(False)


@pytest.mark.parametrize("entry", [
    "  - name: ok.example\n    sending_ips: [300.1.2.3]\n", "  - name: 'bad..example'\n", "  - name: a0.example\n",
    "  - name: ok.example\n    helo: []\n", "  - name: ok.example\n    colour: red\n",
    "  - name: ok.example\n    skip:\n      - check: nope\n        reason: r\n", "  - 64\n",
    "  - name: ok.example\n    dkim_selectors: [s1, S1]\n",
    "  - name: ok.example\n    helo:\n", "  -  \"Ünï.example\"\n", "  - name: ok.example\n    sending_ips: 1.2.3.4\n",
])
def test_the_same_config_or_error_through_either_reader(entry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = (f"  - name: a{i}.example\n    helo: mx.a{i}.example\n    dkim_selectors: [pm{i % 3}]\n"
               for i in range(30))
    text = "timeout: 2.0\ndkim_selectors: [s0]\ndomains:\n" + "".join(entries) + entry
    lineyaml.load(text, 10_000, 16)  # the line reader reads every one of these files
    assert _config_or_error(text, monkeypatch, True) == _config_or_error(text, monkeypatch, False)
