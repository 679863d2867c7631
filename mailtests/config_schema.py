"""domains.yaml's JSON Schema (``mailtests/data/domains.schema.json``): the loader's first pass, and its messages.

The schema is the one source of the file's keys, types, ranges and defaults: editors read
it (``# yaml-language-server: $schema=...``), and :mod:`mailtests.config` validates the
loaded tree with it (jsonschema, draft 2020-12) before checking what a schema cannot say.
:func:`first_error` turns jsonschema's errors into the loader's one-line reports
(``FILE:LINE: DOMAIN: KEY: MESSAGE``): the line comes from ruamel's line information for
the error's path, the wording from the keyword that failed and the schema's own ``x-what``
(what the value should be) and ``x-empty`` (what to do instead of an empty list).

Speed: jsonschema takes about 0.15 ms to validate one domain entry (it walks ``$ref``,
``type``, ``properties``, ``additionalProperties`` ... building its error machinery as it
goes), which made loading 10,000 domains slower than the hand-written validator it replaced.
The domain entries, the repetitive part of a large file, therefore go through a cheap path
first: :func:`compile_check` compiles the ``domain`` subschema, read from the schema itself,
into plain predicates that say only "valid" (the usual case) or "not"; jsonschema then
explains an invalid entry. The rest of the file goes through the same compiled check, and
jsonschema (imported only then: 0.1-0.3 s) words the problems of a file that fails it. The
verdicts are the same (a test compares the two on every case file and valid example).
Entries that :mod:`mailtests.config_entries` built (its checks are stricter than the
schema's) are not checked again.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema is imported when a file breaks the schema (importing it takes 0.1-0.3 s)
    from jsonschema import ValidationError

SCHEMA_FILE = "domains.schema.json"


def _is_bool(checker: Any, value: Any) -> bool:
    """true or false; ruamel's round-trip loader may keep them as its ScalarBoolean, an int (only once it is loaded,
    so its module is looked up rather than imported)."""
    if isinstance(value, bool):
        return True
    scalarbool = sys.modules.get("ruamel.yaml.scalarbool")
    return scalarbool is not None and isinstance(value, scalarbool.ScalarBoolean)


def _is_integer(checker: Any, value: Any) -> bool:  # 64.0 is no whole number in a domains file
    return isinstance(value, int) and not _is_bool(None, value)


def _is_number(checker: Any, value: Any) -> bool:
    return isinstance(value, int | float) and not _is_bool(None, value)


@cache
def schema() -> dict:
    """The schema, as shipped in the package."""
    return json.loads(resources.files("mailtests").joinpath("data", SCHEMA_FILE).read_text(encoding="utf-8"))


def _top_schema() -> dict:
    """The whole file's schema with the domains list's items left out (they are validated one by one)."""
    top = json.loads(json.dumps(schema()))
    top["properties"]["domains"] = {k: v for k, v in top["properties"]["domains"].items() if k != "items"}
    return top


@cache
def _validators() -> tuple[Any, Any]:
    """(the whole file's validator with the domains list's items left out, one domain entry's validator)."""
    from jsonschema import Draft202012Validator, validators

    checker = Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"boolean": _is_bool, "integer": _is_integer, "number": _is_number})
    validator = validators.extend(Draft202012Validator, type_checker=checker)
    full = schema()
    entry = {"$defs": full["$defs"], **full["$defs"]["domain"]}
    return validator(_top_schema()), validator(entry)


def kind(value: Any) -> str:
    """How a YAML value is described in messages: ``the string 'x'``, ``a list`` ..."""
    if value is None:
        return "nothing"
    if _is_bool(None, value):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {str(value)!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    tag = getattr(value, "tag", None)
    return f"a value tagged {getattr(tag, 'value', tag)}" if tag else f"a {type(value).__name__}"


def key_line(mapping: Any, key: Any) -> int:
    """0-based line of a mapping key (the mapping's own line if unknown, e.g. for merged keys)."""
    try:
        return mapping.lc.key(key)[0]
    except (AttributeError, KeyError, TypeError):
        return getattr(getattr(mapping, "lc", None), "line", 0) or 0


def item_line(seq: Any, index: int) -> int:
    """0-based line of a sequence item."""
    try:
        return seq.lc.item(index)[0]
    except (AttributeError, KeyError, IndexError, TypeError):
        return getattr(getattr(seq, "lc", None), "line", 0) or 0


#: Keywords that only annotate: the compiled check ignores them, as jsonschema does.
_ANNOTATIONS = {"description", "default", "title", "$schema", "$id", "$defs"}
_TYPES = {"string": lambda v: isinstance(v, str), "object": lambda v: isinstance(v, dict),
          "array": lambda v: isinstance(v, list), "boolean": lambda v: _is_bool(None, v),
          "integer": lambda v: _is_integer(None, v), "number": lambda v: _is_number(None, v)}
_PLAIN_TYPES = {"string": str, "object": dict, "array": list}


def compile_check(node: dict, defs: dict) -> Callable[[Any], bool]:
    """A predicate that says whether a value is valid against ``node`` (a subschema of ours): the cheap path.

    It knows the keywords this schema uses, read from the schema itself (so it never
    disagrees with it), and says only valid or not; jsonschema then explains what is not.
    A keyword it does not know makes compiling fail, rather than a check that is too lax.
    Mappings are read with ``dict.items`` (ruamel's own accessors are ten times slower);
    the loader refuses merge keys, the one thing those accessors add.
    """
    words = {word: arg for word, arg in node.items() if not (
        word in _ANNOTATIONS or word.startswith("x-") or (word == "additionalProperties" and arg is False))}
    if words.keys() == {"type", "pattern"} and words["type"] == "string":  # the most common value: one test
        search = re.compile(words["pattern"]).search
        return lambda v: isinstance(v, str) and search(v) is not None
    checks = [_keyword(word, arg, node, defs) for word, arg in words.items()]
    if len(checks) == 1:
        return checks[0]

    def check_all(value: Any) -> bool:
        for check in checks:  # noqa: SIM110 - a loop: all() over a generator costs a third more per entry
            if not check(value):
                return False
        return True

    return check_all


def _keyword(word: str, arg: Any, node: dict, defs: dict) -> Callable[[Any], bool]:
    if word == "$ref":
        return compile_check(defs[arg.removeprefix("#/$defs/")], defs)
    if word == "type":
        names = [arg] if isinstance(arg, str) else arg
        if set(names) <= _PLAIN_TYPES.keys():  # strings, mappings, lists: one isinstance
            classes = tuple(_PLAIN_TYPES[t] for t in names)
            return lambda v: isinstance(v, classes)
        tests = tuple(_TYPES[t] for t in names)
        return tests[0] if len(tests) == 1 else (lambda v: any(t(v) for t in tests))
    if word == "pattern":
        search = re.compile(arg).search
        return lambda v: not isinstance(v, str) or search(v) is not None
    if word == "minItems":
        return lambda v: not isinstance(v, list) or len(v) >= arg
    if word == "items":
        item = compile_check(arg, defs)

        def items(value: Any) -> bool:
            if isinstance(value, list):
                for one in value:  # noqa: SIM110 - a loop: all(map()) costs more for the usual list of one
                    if not item(one):
                        return False
            return True

        return items
    if word == "required":
        keys = tuple(arg)
        if len(keys) == 1:
            key = keys[0]
            return lambda v: not isinstance(v, dict) or key in v
        return lambda v: not isinstance(v, dict) or all(k in v for k in keys)
    if word == "properties":
        props = {key: compile_check(sub, defs) for key, sub in arg.items()}
        closed = node.get("additionalProperties") is False

        def properties(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for key, item in dict.items(value):
                check = props.get(key) if isinstance(key, str) else None
                if check is None:
                    if closed:
                        return False
                elif not check(item):
                    return False
            return True

        return properties
    if word == "enum":
        allowed = tuple(arg)
        return lambda v: not _is_bool(None, v) and v in allowed
    if word in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        compare = {"minimum": lambda v: v >= arg, "maximum": lambda v: v <= arg,
                   "exclusiveMinimum": lambda v: v > arg, "exclusiveMaximum": lambda v: v < arg}[word]
        return lambda v: not _is_number(None, v) or compare(v)
    raise ValueError(f"the cheap path does not know the keyword {word!r}")


@cache
def _entry_check() -> Callable[[Any], bool]:
    full = schema()
    return compile_check(full["$defs"]["domain"], full["$defs"])


def domain_errors(items: list, judged: list | None = None) -> Iterator[tuple[int, ValidationError]]:
    """(index, error) for the domain entries that break the schema: the cheap path passes the valid ones, and
    jsonschema explains the others (see the module docstring). Entries with a value in ``judged`` (built by
    :mod:`mailtests.config_entries`, whose checks are stricter than the schema's) are valid."""
    valid = _entry_check()
    for i, item in enumerate(items):
        if (judged is not None and judged[i] is not None) or valid(item):
            continue
        for error in _validators()[1].iter_errors(item):
            yield i, error


@cache
def _top_check() -> Callable[[Any], bool]:
    return compile_check(_top_schema(), schema()["$defs"])


def first_error(tree: Any, judged: list | None = None) -> tuple[int | None, str, str | None, str] | None:
    """The first problem of the file (by line) as (0-based line or None, key, domain or None, message); ``judged``:
    as for :func:`domain_errors`. A valid file is judged by the compiled checks alone, without jsonschema."""
    domains = tree.get("domains") if isinstance(tree, dict) else None
    in_domains = []
    if isinstance(domains, list) and domains:
        in_domains = [_report(tree, ["domains", i, *e.absolute_path], e) for i, e in domain_errors(domains, judged)]
    if not in_domains and _top_check()(tree):
        return None
    top, _ = _validators()
    found = [_report(tree, list(e.absolute_path), e) for e in top.iter_errors(tree)] + in_domains
    if not found:
        return None
    return min(found, key=lambda f: (-1 if f[0] is None else f[0]))


def _report(tree: Any, path: list, error: ValidationError) -> tuple[int | None, str, str | None, str]:
    """One error as (line, key, domain, message), in the loader's words."""
    parent, key, node = None, None, tree
    for step in path:
        parent, key, node = node, step, node[step]
    line = (key_line(parent, key) if isinstance(parent, dict) else item_line(parent, key)) if parent is not None \
        else 0
    sub = error.schema if isinstance(error.schema, dict) else {}
    message = _message(error, sub, node)
    if error.validator == "additionalProperties":
        allowed = list(sub.get("properties", {}))
        extra = next(k for k in node if not (isinstance(k, str) and k in allowed))
        close = difflib.get_close_matches(str(extra), allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        path, line, message = [*path, extra], key_line(node, extra), f"unknown key; {hint}allowed: {', '.join(allowed)}"
    elif error.validator == "required" and not path:
        return None, "domains", None, "missing: list the domains to test"
    domain = None
    if len(path) >= 2 and path[0] == "domains":  # inside an entry: the entry's name, keys relative to it
        entry = tree["domains"][path[1]]
        name = entry.get("name") if isinstance(entry, dict) else None
        rest = path[2:]
        if rest and rest[0] != "name" and isinstance(name, str) and name.strip():
            domain = name.strip()
        if rest:
            path = rest
        elif isinstance(entry, str):
            path = ["name"]
    return line, key_text(path), domain, message


def key_text(path: list) -> str:
    """``["dnsbl", "lists", 1, "kind"]`` -> ``dnsbl.lists[1].kind``."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _message(error: ValidationError, sub: dict, value: Any) -> str:
    what = sub.get("x-what")
    word = error.validator
    if word == "type":
        types = sub.get("type")
        types = [types] if isinstance(types, str) else list(types or [])
        if what == "an IP address":
            return f"{value!r} is not an IP address (expected a string, got {kind(value)})"
        if "array" in types and what:
            return f"must be a list of {what}, got {kind(value)}"
        wanted = {"boolean": "true or false", "integer": "a whole number", "number": "a number",
                  "object": "a mapping"}.get(types[0] if types else "", what or "a string")
        return f"must be {what or wanted}, got {kind(value)}"
    if word == "pattern":
        return "must not be empty"
    if word == "minItems":
        return sub.get("x-empty", "must not be empty")
    if word in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        low = sub.get("minimum", sub.get("exclusiveMinimum"))
        high = sub.get("maximum", sub.get("exclusiveMaximum"))
        bounds = (f"from {low} to {high}" if sub.get("type") == "integer"
                  else f"greater than {low:g} and at most {high:g}")
        return f"{value!r} is out of range: must be {bounds}"
    if word == "enum":
        return f"must be one of {', '.join(sub['enum'])}, got {kind(value)}"
    if word == "required":
        missing = next(k for k in sub.get("required", ()) if k not in value)
        why = sub.get("x-required", {}).get(missing)
        return f"missing key {missing!r}" + (f" ({why})" if why else "")
    return error.message  # pragma: no cover - the schema uses no other keyword
