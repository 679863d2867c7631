"""Runs of the suite and of ``mailtests merge`` as CI runs them, for the tests of shards and merges."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path


def suite(folder: Path, reports: str, *args: str) -> subprocess.CompletedProcess:
    """The suite as CI runs it, in ``folder`` (its domains.yaml), writing ``folder/REPORTS/results.json``."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "mailtests", "-o", "addopts=", "-p", "no:cacheprovider",
         "-p", "no:html", "-q", "--tb=no", "--domains=domains.yaml", f"--reports={reports}", *args],
        cwd=folder, capture_output=True, text=True, timeout=300)


def demo_folder(out: Path, names: list[str]) -> Path:
    """``out`` with the demo's zone files and an offline domains.yaml listing ``names`` (answered from them)."""
    from tests.demo import DEMO_ZONES

    shutil.copytree(DEMO_ZONES, out / "zones")
    listed = "".join(f"  - {n}\n" for n in names)
    (out / "domains.yaml").write_text(f"zones: [zones]\noffline: true\ndomains:\n{listed}", encoding="utf-8")
    return out


def merge_cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mailtests", "merge", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
