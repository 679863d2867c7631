"""The warm-up alone: from the collected (domain, check) pairs to the last result read in the parent.

Generates N domains (``generate.py``), starts the benchmark lab (``benchlab.py``: it moves this
process into a network namespace of its own first), then runs the warm-up of every domain's
checks in a fresh interpreter per run, through the suite's own ``Engine.warm_up`` (``process``:
the forked warm-up process, the default; or ``threads``), and reads every result back in the
tests' order, as the tests would, without pytest. Each run prints its wall time, the CPU time of
the parent and of the warm-up process, and the DNS counts; with ``--base DIR`` (a copy of an
older ``mailtests`` package, e.g. ``git archive COMMIT mailtests | tar -x -C DIR``) the runs
alternate between that tree and this one, back to back, and the records (less times and TTLs,
each answer's records sorted: the resolver rotates them) are compared.

    python benchmarks/warmup.py --domains-count 300 --runs 3 --base /tmp/base
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESOLVER = "127.53.0.53"

#: What a run does (in its own interpreter): argv = domains.yaml, trust anchor, mode, records out ("-": none).
RUN = r"""
import json, resource, sys, time, gc
from dataclasses import replace
from pathlib import Path
from mailtests.catalog import CHECKS
from mailtests.config import load_config
from mailtests.dnslayer.resolver import Server
from mailtests.session import Engine, Settings

domains, anchor, mode, out = sys.argv[1:5]
config = replace(load_config(Path(domains)), trust_anchor=Path(anchor))
settings = Settings(config, [Server(RESOLVER)], config.timeout, [], False, config.concurrency)
engine = Engine(settings)
pairs = [(e.name, c) for e in settings.domains for c in CHECKS if not CHECKS[c].per_run]
gc.collect()
gc.freeze()  # as the plugin does once the warm-up has started
cpu = lambda who: (lambda r: r.ru_utime + r.ru_stime)(resource.getrusage(who))
c0, t0 = cpu(resource.RUSAGE_SELF), time.perf_counter()
engine.warm_up(pairs, mode)
results = [engine.result(*p) for p in pairs]
wall, parent = time.perf_counter() - t0, cpu(resource.RUSAGE_SELF) - c0
engine.close()
print(json.dumps({"wall_s": round(wall, 2), "parent_cpu_s": round(parent, 2),
                  "warmup_process_cpu_s": round(cpu(resource.RUSAGE_CHILDREN), 2), "results": len(results),
                  "dns": engine.dns_counts()}))


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k not in ("time_ms", "ttl")}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def sorted_answer(answer: dict) -> dict:
    return {k: sorted(v, key=lambda r: json.dumps(r, sort_keys=True)) if k in ("records", "signatures") else v
            for k, v in answer.items()}


if out != "-":
    records = [plain(r.to_dict()) for r in results]
    for r in records:
        r["evidence"] = [sorted_answer(a) for a in r["evidence"]]
    Path(out).write_text(json.dumps(records, sort_keys=True, default=str))
""".replace("RESOLVER", repr(RESOLVER))


def run(tree: Path | None, domains: Path, anchor: Path, mode: str, out: Path | None) -> dict:
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    proc = subprocess.run([sys.executable, "-c", RUN, str(domains), str(anchor), mode, str(out or "-")], env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"the run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains-count", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="runs of each tree (alternating)")
    parser.add_argument("--mode", choices=("process", "threads"), default="process")
    parser.add_argument("--base", type=Path, help="a folder holding an older mailtests package to compare with")
    parser.add_argument("--work", type=Path, help="keep the generated domains here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("benchmarks/warmup.py needs root: the DNS lab adds loopback addresses and binds port 53", file=sys.stderr)
        return 2
    sys.path.insert(0, str(HERE))
    from benchlab import BenchLab
    from generate import generate

    work = args.work or Path(tempfile.mkdtemp(prefix="mailtests-warmup-"))
    gen = work / "gen"
    generate(gen, args.domains_count)
    lab = BenchLab(gen)
    lab.start()  # in a network namespace of its own (BenchLab moves this process there first)
    try:
        assert lab.trust_anchor is not None
        trees = [("base", args.base), ("this", None)] if args.base else [("this", None)]
        run(None, gen / "domains.yaml", lab.trust_anchor, args.mode, None)  # fills the resolver's cache
        kept: dict[str, Path] = {}
        for i in range(args.runs):
            for name, tree in trees:
                out = work / f"records-{name}.json" if i == 0 else None
                figures = run(tree, gen / "domains.yaml", lab.trust_anchor, args.mode, out)
                if out is not None:
                    kept[name] = out
                print(f"{name:5} {json.dumps(figures)}", flush=True)
    finally:
        lab.stop()
    if len(kept) == 2:
        base, this = (json.loads(kept[k].read_text()) for k in ("base", "this"))
        differ = [(a["domain"], a["check"]) for a, b in zip(base, this, strict=True) if a != b]
        print(f"records: {len(this)}, differing from the base tree's: {len(differ)} {differ[:5]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
