"""The benchmark's rows past one run: large domains files, ``--shard`` collection, sharded runs and their merge.

Called by ``benchmarks/run`` (bench.py). The files and shard rows need no lab: they
load a generated domains file of ``--files-count`` domains (default 100,000), collect
shard 1 of 100 of it, and merge generated shards' results.json
(``benchmarks/shards.py``). The sharded run (``--sharded K``) runs the suite on the
lab as K shards one after the other, as a CI matrix would on K machines, and merges them.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from generate import domains_file
from shards import write_shards

#: The beginnings of the rows this module prints (their counts follow).
ROWS = ("domains.yaml, ", "domains.txt, ", "--shard 1/100 of ", "mailtests merge, ")


def files_and_shards(bench, count: int, merge_shards: int, domains_per_shard: int) -> None:
    """Loading ``count`` domains (YAML and a plain list), collecting shard 1/100, merging generated shards."""
    from bench import Row, measure

    work = bench.work / "scale"
    work.mkdir(parents=True, exist_ok=True)
    python = bench.python
    for kind in ("yaml", "txt"):
        path = domains_file(work / f"domains.{kind}", count)
        code = ("import sys, time; t = time.perf_counter(); from mailtests.config import load_config; "
                f"c = load_config({str(path)!r}); print(len(c.domains), time.perf_counter() - t)")
        m = measure([python, "-c", code], work)
        loaded = m.stdout.split()
        note = (f"{path.stat().st_size / 1e6:.1f} MB; {loaded[0]} domains, load_config {float(loaded[1]):.2f} s "
                "(the rest: start-up and imports)" if m.returncode == 0 and len(loaded) == 2
                else f"exit {m.returncode}: {m.stdout[-300:]}")
        name = f"domains.{kind}, {count:,} domains, load"
        bench.add(Row(name, m.wall, m.cpu, m.rss_mib, 0, note, tree_mib=m.tree_mib))
        ok = m.returncode == 0 and m.wall < 5 and m.tree_mib < 500
        bench.target(f"a domains.{kind} of {count:,} domains loads < 5 s and < 500 MiB (whole process)", ok,
                     f"{m.wall:.2f} s, {m.tree_mib:.0f} MiB")
        if kind == "txt":
            accepted = m.returncode == 0 and loaded[:1] == [str(count)]
            bench.target("a plain list (domains.txt: one domain a line, # comments) is accepted", accepted,
                         f"{loaded[0] if accepted else 'not loaded'} of {count:,} domains")
    yaml_path = work / "domains.yaml"
    # -p no:hypothesispytest: the test extra's hypothesis plugin imports hypothesis at the end of every run (0.5-1 s);
    # a user's install has no hypothesis
    m = measure([python, "-m", "pytest", "--pyargs", "mailtests", "-p", "no:cacheprovider", "-o", "addopts=",
                 "-p", "no:html", "-p", "no:hypothesispytest", f"--domains={yaml_path}", "--resolver", "127.53.0.53",
                 "--shard", "1/100", "--collect-only", "-qq"], work)
    tail = m.stdout.strip().splitlines()[-1:] or [""]
    bench.add(Row(f"--shard 1/100 of {count:,} domains, collect", m.wall, m.cpu, m.rss_mib, 0,
                  f"exit {m.returncode}; {tail[0][:120]}", tree_mib=m.tree_mib))
    bench.target(f"--shard 1/100 of {count:,} domains collects < 10 s and < 600 MiB (whole process)",
                 m.returncode == 0 and m.wall < 10 and m.tree_mib < 600, f"{m.wall:.2f} s, {m.tree_mib:.0f} MiB")
    peaks = {}
    for label, shards in (("small", max(2, merge_shards // 10)), ("generated", merge_shards)):
        folder = work / f"merge-{shards}"
        shutil.rmtree(folder, ignore_errors=True)
        paths = write_shards(folder / "in", shards, domains_per_shard)
        size = sum(p.stat().st_size for p in paths)
        m = measure([python, "-m", "mailtests", "merge", "--stream", "--results-only", str(folder / "out"),
                     *map(str, paths)], work)
        peaks[label] = m.tree_mib
        bench.add(Row(f"mailtests merge, {shards} {label} shards", m.wall, m.cpu, m.rss_mib, 0,
                      f"{shards} shards of {domains_per_shard} domains, {size / 1e6:.0f} MB "
                      f"({size / shards / 1e6:.1f} MB each), --stream --results-only; exit {m.returncode}",
                      tree_mib=m.tree_mib))
        shutil.rmtree(folder / "in", ignore_errors=True)
    bench.target(f"merge of {merge_shards} shards' results.json in bounded memory (peak within 1.5 x that of "
                 f"{max(2, merge_shards // 10)} shards)", peaks["generated"] < 1.5 * max(peaks["small"], 1),
                 f"{peaks['generated']:.0f} MiB against {peaks['small']:.0f} MiB")


def sharded_run(bench, domains: Path, shards: int, single: dict | None) -> None:
    """The N domains as ``shards`` shards, one after the other (a CI matrix on one machine), and their merge.

    With ``single`` (the N-domain run's results.json) the merged records are compared with it; without
    (``--sharded-only``, where the merged file is too large to hold) the merge's header is checked against
    the shards': every domain in one shard, the outcomes summed. Each shard is held to the 10,000-domain
    targets (120 s, 2 GiB for all processes): the runner a CI matrix job needs."""
    from bench import Row, comparable, measure

    walls, peaks, paths, heads = [], [], [], []
    for k in range(1, shards + 1):
        row, document, _ = bench.suite(f"suite, shard {k}/{shards}", domains, f"--shard={k}/{shards}", "-p",
                                       "no:html", per=0, reports=f"shard{k}")
        walls.append(row.wall or 0)
        peaks.append(row.tree_mib or 0)
        paths.append(bench.work / f"shard{k}" / "results.json")
        heads.append({key: document[key] for key in ("run", "summary")} if document else {})
    out = bench.work / "merged"
    m = measure([sys.executable, "-m", "mailtests", "merge", str(out), *map(str, paths)], bench.work)
    merged_path = out / "results.json"
    if single is not None:
        merged = json.loads(merged_path.read_text()) if merged_path.exists() else None
        same = bool(merged and comparable(single) == comparable(merged))
        verdict = "identical to the single run" if same else "RESULTS DIFFER"
        bench.target(f"{shards} shards merged give the single run's results", same,
                     "compared results.json records minus times and TTLs")
    else:
        merged_head = header(merged_path)
        summed = {key: sum(h.get("summary", {}).get(key, 0) for h in heads)
                  for key in ("pass", "fail", "warn", "skip", "error")}
        counted = sum(h.get("run", {}).get("domains", 0) for h in heads)
        same = (counted == bench.n and merged_head.get("run", {}).get("domains") == bench.n
                and merged_head.get("summary") == summed)
        verdict = (f"{merged_head.get('run', {}).get('domains')} domains, {merged_head.get('summary')}"
                   if same else f"MERGE DIFFERS: shards' domains {counted}, outcomes {summed}; merged "
                                f"{merged_head.get('run', {}).get('domains')}, {merged_head.get('summary')}")
        bench.target(f"{shards} shards of about {bench.n // shards:,} domains: each domain in one shard, the merge's "
                     f"outcomes the shards' sum", same, verdict)
    size = merged_path.stat().st_size / 1e6 if merged_path.exists() else 0
    bench.add(Row(f"mailtests merge of the {shards} shards", m.wall, m.cpu, m.rss_mib, 0,
                  f"exit {m.returncode}; {verdict}; results.json {size:,.0f} MB", tree_mib=m.tree_mib))
    per_shard = max(walls) if walls else 0
    bench.add(Row(f"sharded run: {shards} machines in parallel (the slowest shard + the merge)", per_shard + m.wall,
                  None, None, bench.n, f"shards {min(walls):.1f}-{max(walls):.1f} s, peak {max(peaks):.0f} MiB a "
                                       f"shard (all processes)"))
    bench.target(f"each shard of about {bench.n // shards:,} domains < 120 s and < 2 GiB (all processes): a CI job's "
                 f"runner", max(walls) < 120 and max(peaks) < 2048,
                 f"slowest {max(walls):.1f} s, largest {max(peaks):.0f} MiB")


def header(path: Path) -> dict:
    """``run`` and ``summary`` of a results.json, read as the streamed merge reads them (not the whole file: a
    merged file of 100,000 domains is 5 GB). Empty when the file is missing (a run or merge that failed)."""
    from mailtests.merge_stream import read_header

    if not path.exists():
        return {}
    found = read_header(path)
    return {key: found[key] for key in ("run", "summary") if key in found}
