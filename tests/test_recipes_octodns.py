"""The octoDNS zone repository recipe (examples/zone-repo-octodns), run as the repository would run it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mailtests.dnslayer.zonefiles import ZoneFileError, ZoneSource
from tests.test_recipes import commit_healthy_repository, git, run, workflow_command

pytest.importorskip("octodns")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "zone-repo-octodns"

#: The lab's healthy.com (tests/lab/zones/healthy.com.zone) as octoDNS writes it.
HEALTHY = """\
---
'':
  - type: MX
    values:
      - exchange: mx1.healthy.com.
        preference: 10
      - exchange: mx2.healthy.com.
        preference: 20
  - type: NS
    values:
      - ns1.dnsprovider.net.
      - ns2.dnsprovider.net.
  - type: TXT
    value: v=spf1 ip4:192.0.2.0/28 ip6:2001:db8::/64 include:_spf.mailhost.net -all
mx1:
  - type: A
    value: 192.0.2.10
  - type: AAAA
    value: 2001:db8::10
mx2:
  - type: A
    value: 192.0.2.11
  - type: AAAA
    value: 2001:db8::11
nons:
  - type: A
    value: 192.0.2.12
  - type: MX
    value:
      exchange: mx1.healthy.com.
      preference: 10
  - type: TXT
    value: v=spf1 ip4:192.0.2.0/28 -all
"""


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_the_example_passes_offline_and_a_broken_record_fails_on_its_line(tmp_path):
    repo = tmp_path / "octodns-repo"
    shutil.copytree(EXAMPLE, repo)
    good = run(["mailtests", "--domains=domains.yaml", "--offline"], repo, "-p", "no:html")
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-3000:]

    zone = repo / "config" / "example.com.yaml"
    zone.write_text(zone.read_text(encoding="utf-8").replace("mail:\n  - type: A\n    value: 192.0.2.10\n  - type: AAAA"
                                                             "\n    value: 2001:db8:1::10\n", ""), encoding="utf-8")
    summary = tmp_path / "summary.md"
    bad = run(["mailtests", "--domains=domains.yaml", "--offline"], repo, "-p", "no:html",
              env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert bad.returncode == 1
    assert "FAIL mx.resolve: MX host(s) of example.com without an A or AAAA record: mail.example.com." in bad.stdout
    mx = line_of(zone, "type: MX")
    assert f"::error file=config/example.com.yaml,line={mx},title=mx.resolve::" in bad.stdout, bad.stdout[-3000:]
    assert "mx\\.resolve" in summary.read_text(encoding="utf-8") or "`mx.resolve`" in summary.read_text("utf-8")


def test_a_zone_without_apex_ns_or_with_a_bad_value_stops_with_file_and_line(tmp_path):
    zone = tmp_path / "example.org.yaml"
    zone.write_text("'':\n  type: MX\n  value: {exchange: mx.example.org., preference: 10}\n", encoding="utf-8")
    with pytest.raises(ZoneFileError, match="example.org.yaml:0: no NS records at the zone apex example.org.*'': "):
        ZoneSource([tmp_path])
    (tmp_path / "example.org.yaml").write_text("'':\n  type: NS\n  values: [ns1.example.org.]\nmail:\n  type: A\n"
                                               "  value: 300.1.2.3\n", encoding="utf-8")
    with pytest.raises(ZoneFileError, match=r'example.org.yaml:5: octoDNS: Invalid record "mail.example.org.": '
                                            r'invalid IPv4 address "300.1.2.3"'):
        ZoneSource([tmp_path])


def test_octodns_configuration_files_and_domains_yaml_are_no_zones(tmp_path):
    shutil.copytree(EXAMPLE / "config", tmp_path / "config")
    (tmp_path / "config" / "domains.yaml").write_text("domains: [example.com]\n", encoding="utf-8")
    source = ZoneSource([tmp_path / "config"])
    assert [str(apex) for apex in source.zones] == ["example.com."]


def test_the_ci_workflow_traces_a_regression_to_the_octodns_record(tmp_path, lab):
    repo = tmp_path / "octodns-repo"
    (repo / "config").mkdir(parents=True)
    (repo / "config" / "healthy.com.yaml").write_text(HEALTHY, encoding="utf-8")
    commit_healthy_repository(repo, "config")
    command = workflow_command(EXAMPLE)
    assert command[0] == "mailtests" and "--zones=config" in command

    good = run(command, repo, "--resolver", "127.53.0.53")
    assert good.returncode == 0, good.stdout[-3000:]

    zone = repo / "config" / "healthy.com.yaml"
    zone.write_text(zone.read_text(encoding="utf-8").replace("exchange: mx1.healthy.com.\n        preference: 10",
                                                             "exchange: mail.healthy.com.\n        preference: 10"),
                    encoding="utf-8")
    git(repo, "commit", "-qam", "move the primary MX (and break mail)")
    summary = tmp_path / "summary.md"
    bad = run(command, repo, "--resolver", "127.53.0.53",
              env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert bad.returncode == 1, bad.stdout[-3000:]
    mx = line_of(zone, "type: MX")
    results = json.loads((repo / "reports" / "results.json").read_text(encoding="utf-8"))["results"]
    changes = [c for r in results if r.get("change") == "regression" for c in r["details"].get("zone_changes", [])]
    assert f"config/healthy.com.yaml:{mx}: healthy.com. MX 10 mail.healthy.com." in changes, changes
    assert f"::error file=config/healthy.com.yaml,line={mx},title=mx.resolve [regression]::" in bad.stdout
    assert "### Regressions" in summary.read_text(encoding="utf-8")
