"""domains.yaml's JSON Schema: the shipped examples validate, the loader's cheap path agrees with jsonschema."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from mailtests.config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    DOMAIN_KEYS,
    TOP_KEYS,
    Config,
    DomainEntry,
    parse_config,
)
from mailtests.config_schema import _entry_check, _top_check, _validators, compile_check, first_error, schema

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [ROOT / "domains.yaml", ROOT / "tests" / "lab" / "domains.yaml",
            *sorted((ROOT / "examples").glob("*/domains.yaml"))]


def test_the_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_shipped_examples_validate(path: Path):
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    errors = list(Draft202012Validator(schema()).iter_errors(data))
    assert errors == []


def test_the_readme_example_validates():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## domains.yaml", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    data = YAML(typ="safe").load(block)
    assert [e.message for e in Draft202012Validator(schema()).iter_errors(data)] == []


def test_every_key_of_the_schema_is_a_field_of_the_config():
    fields = set(Config.__dataclass_fields__)
    assert set(TOP_KEYS) - {"dnsbl"} <= fields and {"dnsbl", "dnsbl_subscription"} <= fields
    assert set(DOMAIN_KEYS) <= set(DomainEntry.__dataclass_fields__)


def test_the_defaults_are_the_schemas():
    config = parse_config("domains: [example.com]\n", Path("domains.yaml"))
    for key in ("timeout", "latency_threshold", "concurrency", "offline", "smtp", "smtp_timeout", "smtp_concurrency"):
        assert getattr(config, key) == schema()["properties"][key]["default"] == getattr(Config, key), key
    assert (DEFAULT_TIMEOUT, DEFAULT_CONCURRENCY) == (2.0, 16)


ENTRIES = [
    "example.com", "  ", "", 5, None, True, ["example.com"], {"name": "example.com"}, {"name": ""},
    {"sending_ips": ["192.0.2.1"]}, {"name": "a.example", "sending_ips": []}, {"name": "a.example", "sending_ips": [1]},
    {"name": "a.example", "sending_ips": ["192.0.2.1", "x"]}, {"name": "a.example", "helo": "mail.a.example"},
    {"name": "a.example", "helo": ""}, {"name": "a.example", "helo": []}, {"name": "a.example", "helo": ["a", " "]},
    {"name": "a.example", "helo": 7}, {"name": "a.example", "dkim_selectors": ["s1", "eu.s2"]},
    {"name": "a.example", "dkim_selectors": "s1"}, {"name": "a.example", "dkim_selectors": [""]},
    {"name": "a.example", "skip": [{"check": "spf", "reason": "upstream"}]},
    {"name": "a.example", "skip": [{"check": "spf"}]}, {"name": "a.example", "skip": [{"check": "spf", "reason": 1}]},
    {"name": "a.example", "skip": [{"check": "spf", "reason": "r", "extra": 1}]}, {"name": "a.example", "skip": {}},
    {"name": "a.example", "sending_ip": ["192.0.2.1"]}, {"name": 3}, {1: "x", "name": "a.example"},
]


@pytest.mark.parametrize("entry", ENTRIES, ids=repr)
def test_the_cheap_path_agrees_with_jsonschema(entry):
    assert _entry_check()(entry) == _validators()[1].is_valid(entry)


TOPS = [{"domains": ["a.example"]}, {"domains": []}, {}, {"domains": "a"}, {"domains": ["a"], "timeout": 0},
        {"domains": ["a"], "timeout": 61}, {"domains": ["a"], "timeout": True}, {"domains": ["a"], "concurrency": 2.0},
        {"domains": ["a"], "zones": " "}, {"domains": ["a"], "zones": ["z", ""]}, {"domains": ["a"], "colour": 1},
        {"domains": ["a"], "resolvers": []}, {"domains": ["a"], "resolvers": ["::1", 5]},
        {"domains": ["a"], "dnsbl": {"lists": [{"zone": "z", "kind": "ip"}]}},
        {"domains": ["a"], "dnsbl": {"lists": [{"zone": "z", "kind": "both"}]}}, {"domains": ["a"], "dnsbl": {"x": 1}},
        {"domains": ["a"], "offline": 1}, {"domains": ["a"], "smtp_concurrency": 1025},
        {"domains": ["a"], "ehlo_name": ""}, {"domains": [1, None]}]


@pytest.mark.parametrize("tree", TOPS, ids=repr)
def test_the_cheap_path_of_the_whole_file_agrees_with_jsonschema(tree):
    assert _top_check()(tree) == _validators()[0].is_valid(tree)


@pytest.mark.parametrize("path", sorted((Path(__file__).parent / "config_cases").glob("*.yaml")), ids=lambda p: p.name)
def test_the_cheap_path_agrees_with_jsonschema_on_the_case_files(path):
    from mailtests.config_read import ConfigError as ReadError
    from mailtests.config_read import load_yaml

    try:
        tree = load_yaml(path.read_text(encoding="utf-8"), path.name)
    except (ReadError, UnicodeDecodeError):
        return
    if isinstance(tree, dict):
        assert _top_check()(tree) == _validators()[0].is_valid(tree)
        for entry in tree.get("domains") or [] if isinstance(tree.get("domains"), list) else []:
            assert _entry_check()(entry) == _validators()[1].is_valid(entry)


def test_the_cheap_path_refuses_keywords_it_does_not_know():
    with pytest.raises(ValueError, match="oneOf"):
        compile_check({"oneOf": [{"type": "string"}]}, {})


@pytest.mark.parametrize(("value", "valid"), [(2, True), (0, False), (60, True), (60.5, False), (True, False),
                                              ("2", False)])
def test_the_cheap_path_reads_bounds_and_types(value, valid):
    seconds = compile_check({"$ref": "#/$defs/seconds"}, schema()["$defs"])
    assert seconds(value) is valid


def _ruamel_tree(path: Path):
    """The file as the loader's ruamel path reads it (true/false as ScalarBoolean), or None if it is not YAML."""
    try:
        return YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except Exception:
        return None


FILES = [p for p in [*EXAMPLES, *sorted((ROOT / "tests" / "config_cases").glob("*.yaml"))]
         if p.stat().st_size < 100_000 and _ruamel_tree(p) is not None]
TREES = [{"domains": ["a.example"], "offline": True}, {"domains": ["a.example"], "offline": 1},
         {"domains": ["a.example"], "timeout": True}, {"domains": ["a.example"], "concurrency": 4.0},
         {"domains": []}, {"domains": ["a.example"], "extra": 1}, {"resolvers": ["192.0.2.1"]}, [], "x"]


@pytest.mark.parametrize("tree", [_ruamel_tree(p) for p in FILES] + TREES,
                         ids=[str(p.relative_to(ROOT)) for p in FILES] + [repr(t) for t in TREES])
def test_the_cheap_path_agrees_with_jsonschema_on_whole_files(tree):
    """A valid file is never shown to jsonschema (first_error's cheap path): the verdicts must be jsonschema's."""
    top, entry = _validators()
    domains = tree.get("domains") if isinstance(tree, dict) else None
    whole = top.is_valid(tree) and (not isinstance(domains, list) or all(entry.is_valid(e) for e in domains))
    assert _top_check()(tree) == top.is_valid(tree)
    assert (first_error(tree) is None) == whole
