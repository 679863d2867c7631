"""The catalog in mailtests.catalog is the spec's table, id for id."""

import re
from pathlib import Path

import pytest

from mailtests.catalog import BY_TEST_NAME, CHECKS

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "checks.md"
ROW = re.compile(r"^\| ([a-z-]+\.[a-z0-9-]+) \| (FAIL|WARN|INFO) \| (.*) \| (.*) \|$")


def spec_rows() -> dict[str, tuple[str, str]]:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not beside this checkout")
    rows = {}
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(4))
    return rows


def test_every_spec_id_is_in_the_catalog_with_its_severity_and_reference():
    rows = spec_rows()
    assert rows, "no check rows found in the spec"
    for check_id, (severity, reference) in rows.items():
        assert check_id in CHECKS, f"{check_id} is in the spec but not in mailtests.catalog"
        assert CHECKS[check_id].severity.value == severity, check_id
        assert CHECKS[check_id].reference == reference, check_id


def test_the_catalog_adds_no_id_the_spec_lacks():
    assert set(CHECKS) == set(spec_rows())


def test_test_names_follow_the_ids():
    assert CHECKS["mx.not-alias"].test_name == "test_mx_not_alias"
    assert BY_TEST_NAME["test_ns_serial_consistent"].id == "ns.serial-consistent"
