"""results.json: one record per (domain, check) and the run's metadata, for machines."""

from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

SCHEMA_VERSION = 1


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("mailtests", "dnspython", "pyspf", "pytest", "pytest-html"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "not installed"
    return found


def summarize(records: list[dict]) -> dict[str, int]:
    counts = {k: 0 for k in ("pass", "fail", "warn", "skip", "error")}
    for record in records:
        counts[record["outcome"]] = counts.get(record["outcome"], 0) + 1
    return counts


def results_document(run: dict, records: list[dict]) -> dict:
    """The one model behind results.json and audit.html."""
    return {
        "schema_version": SCHEMA_VERSION,
        "run": run,
        "summary": summarize(records),
        "results": sorted(records, key=lambda r: (r["domain"], r["check"])),
    }


def write_results(path: Path, document: dict) -> Path:
    """Write results.json atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)
    return path
