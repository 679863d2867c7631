"""The CI recipes in examples/ and .pre-commit-hooks.yaml, run as a zone repository would run them."""

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
LAB_ZONES = ROOT / "tests" / "lab" / "zones"
EXAMPLE = ROOT / "examples" / "zone-repo"


def hook_command(hook_id: str) -> list[str]:
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return shlex.split(next(h for h in hooks if h["id"] == hook_id)["entry"])


def workflow_command(example: Path = EXAMPLE) -> list[str]:
    workflow = YAML(typ="safe").load((example / ".github" / "workflows" / "mailtests.yml").read_text("utf-8"))
    steps = workflow["jobs"]["mail-dns"]["steps"]
    return shlex.split(next(s["run"] for s in steps if "--compare-live" in s.get("run", "")))


def commit_healthy_repository(repo: Path, folder: str) -> None:
    """A domains file for the lab's healthy.com over the zones in ``repo/folder``, committed as what is live."""
    (repo / "domains.yaml").write_text(
        f"zones: [{folder}]\ndomains:\n  - name: healthy.com\n    sending_ips: [192.0.2.10]\n"
        "    helo: mx1.healthy.com\ndnsbl:\n  lists:\n    - zone: bl.spamcop.net\n      kind: ip\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "zones as they are live")


def run(command: list[str], cwd: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    assert command[0] in ("pytest", "mailtests")
    return subprocess.run([sys.executable, "-m", *command, *extra], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "GITHUB_ACTIONS": "", **(env or {})})


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", *args], cwd=repo, check=True,
                   capture_output=True)


def test_the_offline_hook_passes_the_example_zone_repository(tmp_path):
    repo = tmp_path / "zones-repo"
    shutil.copytree(EXAMPLE, repo)
    done = run(hook_command("mailtests-zones"), repo, "-p", "no:html")
    assert done.returncode == 0, done.stdout[-3000:]


def test_the_offline_hook_fails_a_zone_that_breaks_mail(tmp_path):
    repo = tmp_path / "zones-repo"
    shutil.copytree(EXAMPLE, repo)
    zone = repo / "zones" / "example.com.zone"
    zone.write_text(zone.read_text().replace("mail    IN A    192.0.2.10\n", ""), encoding="utf-8")
    done = run(hook_command("mailtests-zones"), repo, "-p", "no:html")
    assert done.returncode == 1
    assert "FAIL mx.resolve: MX host(s) of example.com without an A or AAAA record" in done.stdout


def test_the_ci_workflow_fails_the_commit_that_breaks_mail_and_passes_the_one_that_does_not(tmp_path, lab):
    repo = tmp_path / "zones-repo"
    (repo / "zones").mkdir(parents=True)
    shutil.copy(LAB_ZONES / "healthy.com.zone", repo / "zones")
    commit_healthy_repository(repo, "zones")
    command = workflow_command()

    good = run(command, repo, "--resolver", "127.53.0.53")
    assert good.returncode == 0, good.stdout[-3000:]

    zone = repo / "zones" / "healthy.com.zone"
    lines = zone.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("@\tIN\tMX\t10 mx1"))
    lines[number - 1] = lines[number - 1].replace("mx1", "mail")  # a mail host that has no address
    zone.write_text("".join(lines), encoding="utf-8")
    git(repo, "commit", "-qam", "move the primary MX (and break mail)")

    step_summary = tmp_path / "step-summary.md"
    bad = run(command, repo, "--resolver", "127.53.0.53",
              env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(step_summary)})
    assert bad.returncode == 1, bad.stdout[-3000:]
    annotations = [line for line in bad.stdout.splitlines() if line.startswith("::error ")]
    assert any(line.startswith(f"::error file=zones/healthy.com.zone,line={number},title=mx.resolve [regression]::")
               for line in annotations), bad.stdout[-3000:]
    summary = step_summary.read_text(encoding="utf-8")
    assert "### Regressions" in summary and "#### healthy\\.com" in summary and "`mx.resolve`" in summary
    results = json.loads((repo / "reports" / "results.json").read_text(encoding="utf-8"))["results"]
    regressions = [r for r in results if r.get("change") == "regression"]
    assert regressions, "the broken commit shows no regression"
    assert any(f"zones/healthy.com.zone:{number}: healthy.com. MX 10 mail.healthy.com." in change
               for r in regressions for change in r["details"].get("zone_changes", []))
    assert (repo / "reports" / "junit.xml").exists() and (repo / "reports" / "report.html").exists()
    assert "[regression]" in bad.stdout


@pytest.mark.parametrize("hook", ["mailtests-zones", "mailtests-regressions"])
def test_the_hooks_run_the_mailtests_command(hook):
    command = hook_command(hook)
    assert command[0] == "mailtests" and "--domains=domains.yaml" in command
