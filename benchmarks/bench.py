"""The mailtests benchmark: the suite on N generated lab domains, its floors, checkdmarc, reports, latency.

Run it as root with ``benchmarks/run`` (see benchmarks/RESULTS.md): it generates the
domains (benchmarks/generate.py), starts the DNS lab with them in a private network
namespace (benchmarks/benchlab.py), measures each figure as a subprocess, prints one
row per figure and the targets met or missed, and where a target is missed, where the
time goes (the run's phases; with py-spy installed, a GIL profile of the run).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dns.flags
import dns.message
import dns.query

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import memory  # noqa: E402
from areas import ROWS as AREA_ROWS  # noqa: E402
from benchlab import BenchLab  # noqa: E402
from generate import RESOLVER, generate  # noqa: E402
from phases import phase_table  # noqa: E402

from mailtests.results import evidence_of  # noqa: E402

PROXY = "127.53.0.54"
MEMORY_METHODS = {
    "cgroup": "the peak of a cgroup v2 the command runs in (memory.peak: shared pages once, page cache included)",
    "pss": "the peak of the sum of the process tree's PSS (/proc/PID/smaps_rollup), sampled every 50 ms",
}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHECKDMARC_VENV = HERE / ".venv-checkdmarc"
TIME_KEYS = frozenset({"time_ms", "elapsed_ms", "ttl"})
#: Rows measured inside the benchmark's own process (a Python loop), not as a command: no process tree of their own.
IN_PROCESS = frozenset({"DNS floor, sequential", "DNS floor, 64 threads", AREA_ROWS[1]})
#: Every row the benchmark prints, in order (the quick mode prints them all too).
ROWS = (
    "suite, 1 domain", "suite, N domains, cold resolver", "suite, N domains", "suite, N domains, -n 2",
    "suite, N domains, --warmup=threads",
    "suite, N domains, --tb=no -rN", "suite, N domains, -p no:html", "suite, N domains, --html on the command line",
    "pytest floor (empty bodies)",
    "pytest floor (same outcomes)", "pytest floor (empty bodies, -p no:html)", "DNS floor, sequential",
    "DNS floor, 64 threads",
    *AREA_ROWS,
    "suite, -m 'ns or mx or spf'", "checkdmarc, SPF+MX+NS", "suite via 30 ms proxy", "checkdmarc via 30 ms proxy",
    "results.json", "audit.html", "report.html", "report.html, --html on the command line", "Chromium, blank page",
    "Chromium, audit.html", "Chromium, report.html", "Chromium, report.html, --html on the command line",
)


@dataclass
class Row:
    """One printed figure."""

    name: str
    wall: float | None = None
    cpu: float | None = None
    rss_mib: float | None = None
    per: int = 0  # domains the figure is per (0: none)
    note: str = ""
    extra: dict = field(default_factory=dict)
    tree_mib: float | None = None  # the whole process tree's peak (benchmarks/memory.py)

    def cells(self) -> list[str]:
        def f(v: float | None, fmt: str) -> str:
            return "-" if v is None else format(v, fmt)

        per = f"{self.wall / self.per * 1000:.2f}" if self.wall is not None and self.per else "-"
        return [self.name, f(self.wall, ".2f"), f(self.cpu, ".2f"), f(self.tree_mib, ".0f"), f(self.rss_mib, ".0f"),
                per, self.note]


HEAD = ["figure", "wall s", "CPU s", "all processes MiB", "largest process RSS MiB", "ms/domain", "notes"]


def table(rows: list[Row]) -> str:
    """A Markdown table of the rows."""
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "|".join("---" for _ in HEAD) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r.cells()) + " |" for r in rows]
    return "\n".join(lines)


@dataclass
class Measured:
    wall: float
    cpu: float
    rss_mib: float
    returncode: int
    stdout: str
    tree_mib: float = 0.0  # the peak of the whole process tree (memory.method(): cgroup memory.peak or PSS sum)
    processes: int = 0  # the most processes seen at once (PSS sampling only)


def measure(cmd: list[str], cwd: Path, env: dict | None = None, timeout: float = 3600) -> Measured:
    """Run a command; its wall time, CPU time (user + system, children included), peak RSS of its largest
    process, and the peak memory of its whole process tree (benchmarks/memory.py: a cgroup's memory.peak where
    cgroup v2 is writable, else the sampled sum of the processes' PSS).

    The peak RSS comes from GNU time (``/usr/bin/time``) where installed: a child forked
    from this (large) process would report this process's RSS as its own high-water mark
    (Linux keeps ``maxrss`` across exec), ``time`` forks the command from a small process.
    """
    out = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - read after the process ends
    gnu_time = Path("/usr/bin/time")
    stats = Path(tempfile.mktemp(prefix="bench-time-"))
    argv = [str(gnu_time), "-o", str(stats), "-f", "%M %U %S", *cmd] if gnu_time.exists() else cmd
    parent = memory.cgroup_parent()
    meter = memory.CgroupMeter(parent) if parent is not None else None
    started = time.perf_counter()
    environment = {**os.environ, **(env or {})}
    # as on a user's machine, Python keeps the compiled modules it made (a shell of this project's sandbox sets
    # PYTHONDONTWRITEBYTECODE, which would recompile mailtests, and assertion-rewrite it, in every run)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    proc = subprocess.Popen(argv, cwd=cwd, env=environment, stdout=out, stderr=subprocess.STDOUT,
                            text=True, preexec_fn=meter.preexec if meter else None)
    sampler = memory.TreeSampler(proc.pid) if meter is None else None
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
        time.sleep(0.01)
    wall = time.perf_counter() - started
    tree_kib = sampler.stop() if sampler is not None else meter.peak_kib()
    if meter is not None:
        meter.remove()
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    if stats.exists():
        last = stats.read_text().strip().splitlines()[-1].split()
        stats.unlink()
        if len(last) == 3 and last[0].isdigit():
            rss, cpu = int(last[0]) / 1024, float(last[1]) + float(last[2])
    out.seek(0)
    return Measured(wall, cpu, rss, proc.returncode, out.read(), tree_kib / 1024,
                    sampler.processes if sampler is not None else 0)


def strip_times(value):
    """A record without what changes from run to run: times, the resolver's counting-down TTLs and the order of
    the records of an RRset (Unbound rotates it)."""
    if isinstance(value, dict):
        found = {k: strip_times(v) for k, v in value.items() if k not in TIME_KEYS}
        if isinstance(found.get("records"), list):
            found["records"] = sorted(found["records"], key=lambda r: json.dumps(r, sort_keys=True))
        return found
    if isinstance(value, list):
        return [strip_times(v) for v in value]
    return value


def comparable(document: dict) -> list:
    """A results document's records to compare across runs, each with its answers (not their indexes: two runs
    number their answers apart); resolver health by outcome only (its messages carry timings)."""
    return [(r["domain"], r["check"], r["outcome"]) if r["check"].startswith("resolver.") else
            strip_times({**r, "evidence": evidence_of(document, r)}) for r in document["results"]]


def unique_questions(document: dict) -> set[tuple]:
    """The distinct questions behind the evidence: (name, type) asked of the resolver, (server, name, type)
    asked of a name server directly. Resolver health asks the resolver itself, outside the run's cache."""
    found: set[tuple] = set()
    resolvers = {f"{r}" for r in document["run"].get("resolvers") or []}
    for r in document["results"]:
        if r["check"].startswith("resolver."):
            continue
        for a in evidence_of(document, r):
            if a["server"] in resolvers:
                found.add(("", a["name"], a["type"]))
            else:
                found.add((a["server"], a["name"], a["type"]))
    return found


def ask_one(question: tuple) -> bool:
    """One question as the suite asks it: to the resolver with RD, or to a name server without."""
    server, name, rdtype = question
    query = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
    address, port = RESOLVER, 53
    if server:
        address, _, p = server.rpartition(":")
        address, port = address.strip("[]"), int(p)
        query.flags &= ~dns.flags.RD
    try:
        dns.query.udp_with_fallback(query, address, timeout=2, port=port)
        return True
    except Exception:
        return False


def dns_floor(questions: list[tuple], threads: int) -> tuple[float, float, int]:
    """Wall and CPU seconds to ask every question once (sequentially, or with a thread pool); answered count."""
    c0, t0 = time.process_time(), time.perf_counter()
    if threads <= 1:
        ok = sum(map(ask_one, questions))
    else:
        with ThreadPoolExecutor(threads) as pool:
            ok = sum(pool.map(ask_one, questions))
    return time.perf_counter() - t0, time.process_time() - c0, ok


FLOOR_TEST = '''\
"""Throwaway: the suite's items with empty bodies (benchmarks/bench.py, pytest floor)."""
import json, pathlib, pytest
PLAN = json.loads(pathlib.Path(__file__).with_name("plan.json").read_text())

def make(check, outcomes):
    subjects = list(outcomes)
    @pytest.mark.parametrize("subject", subjects, ids=subjects)
    def test(subject):
        o = outcomes[subject]
        if o == "skip":
            pytest.skip("skipped")
        assert o not in ("fail", "error"), "failed"
    test.__name__ = "test_" + check.replace(".", "_").replace("-", "_")
    return test

for _check, _outcomes in PLAN.items():
    globals()["test_" + _check.replace(".", "_").replace("-", "_")] = make(_check, _outcomes)
'''


def write_floor(folder: Path, records: list[dict], same_outcomes: bool) -> Path:
    """A test file with one empty test per (subject, check) of the run: all passing, or with the run's outcomes."""
    folder.mkdir(parents=True, exist_ok=True)
    plan: dict[str, dict[str, str]] = {}
    for r in records:
        plan.setdefault(r["check"], {})[r["domain"]] = r["outcome"] if same_outcomes else "pass"
    (folder / "plan.json").write_text(json.dumps(plan))
    (folder / "test_floor.py").write_text(FLOOR_TEST)
    return folder / "test_floor.py"


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_load(browser: str, path: Path | None, timeout: float) -> float | None:
    """Wall seconds of one headless Chromium ``--dump-dom`` of a page (None: it failed or timed out)."""
    with tempfile.TemporaryDirectory() as profile:
        url = path.as_uri() if path else "about:blank"
        started = time.perf_counter()
        try:
            subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout, check=True)
        except (subprocess.TimeoutExpired, subprocess.CalledProcessError):
            return None
        return time.perf_counter() - started


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))) / 1024 / 1024
    return (f"{cpu}, {len(os.sched_getaffinity(0))} cores, {mem:.0f} GiB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, "
            f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")


def cpu_probe() -> float:
    """CPU seconds of a fixed pure-Python loop: this machine's vCPUs run it from 0.23 s to over 0.4 s by the
    hour (a shared host), which moves every row; the header gives it at the start and the end of the run."""
    started = time.process_time()
    sum(i * i for i in range(4_000_000))
    return time.process_time() - started


def load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[0]


class Bench:
    """One benchmark: the generated domains, the lab, and the rows measured so far."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.n = args.domains_count
        self.rows: list[Row] = []
        self.targets: list[tuple[str, bool, str]] = []
        self.python = sys.executable
        self.trust_anchor: Path | None = None
        self.main_wall, self.main_detail = 0.0, "not measured"  # the N-domain run's time (median of repeats)

    # -- running the suite ------------------------------------------------------------------
    def suite(self, name: str, domains: Path, *extra: str, per: int, resolver: str = RESOLVER,
              reports: str | None = None, phases: bool = False, env: dict | None = None,
              add: bool = True) -> tuple[Row, dict | None, Measured]:
        """One run of the suite as a row (printed unless ``add`` is false: the caller adds to its note first)."""
        out = self.work / (reports or re.sub(r"\W+", "-", name).strip("-"))
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        cmd = [self.python, "-m", "pytest", "--pyargs", "mailtests", "-p", "no:cacheprovider", "--domains",
               str(domains), "--resolver", resolver, "--reports", str(out)]
        if importlib.util.find_spec("hypothesis") is not None:
            # a test dependency of this repository, not of a user's install: its pytest plugin imports hypothesis
            # at the end of every run (as the `mailtests` command, which turns it off too)
            cmd += ["-p", "no:hypothesispytest"]
        if self.trust_anchor is not None:  # DNSSEC: the lab root's key, made at lab start
            cmd.append(f"--trust-anchor={self.trust_anchor}")
        if "-p" not in extra or "no:html" not in extra:
            # as the repository's ini addopts give it; with --html=... in ``extra``, as the command line does
            report = shlex.quote(str(out / "report.html"))
            cmd += ["-o", f"addopts=--html={report} --self-contained-html"]
        env = {**(env or {}), "PYTHONPATH": str(HERE), "MAILTESTS_BENCH_PHASES": str(out / "phases.json"),
               "MAILTESTS_BENCH_T0": repr(time.time())}
        cmd += ["-p", "phases"] if phases else []
        cmd += list(extra)
        env["MAILTESTS_BENCH_T0"] = repr(time.time())
        m = measure(cmd, self.work, env)
        (out / "stdout.txt").write_text(m.stdout)
        results = out / "results.json"
        document = json.loads(results.read_text()) if results.exists() else None
        note = f"exit {m.returncode}"
        if document:
            stats = document["run"].get("dns_questions", {})
            note += (f"; {len(document['results'])} results {document['summary']}; DNS sent {stats.get('sent')}, "
                     f"cached {stats.get('cached')}")
        marks = json.loads((out / "phases.json").read_text()) if phases and (out / "phases.json").exists() else {}
        if "child_maxrss_kib" in marks:
            # GNU time's peak is the largest process's: the warm-up process's is given beside it
            row_child = marks["child_maxrss_kib"] / 1024
            note += f"; warm-up process peak RSS {row_child:.0f} MiB (shares the parent's pages at fork)"
        row = Row(name, m.wall, m.cpu, m.rss_mib, per, note, tree_mib=m.tree_mib)
        row.extra["child_rss_mib"] = marks.get("child_maxrss_kib", 0) / 1024
        if add:
            self.add(row)
        return row, document, m

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(" | ".join(row.cells()) + f"   [load {load()}]", flush=True)

    def target(self, what: str, ok: bool, detail: str) -> None:
        self.targets.append((what, ok, detail))

    # -- the whole benchmark ------------------------------------------------------------------------
    def run(self) -> None:
        n = self.n
        gen = self.work / "gen"
        t = time.perf_counter()
        world = generate(gen, n)
        print(f"generated {n} domains ({len(world.zones)} zones, {len(world.defects)} with defects) in "
              f"{time.perf_counter() - t:.1f} s", flush=True)
        domains = gen / "domains.yaml"
        one = self.work / "one.yaml"
        healthy = next(e for e in world.entries if e["name"] not in world.defects)
        one.write_text(f'resolvers: ["{RESOLVER}"]\ndomains:\n  - name: {healthy["name"]}\n'
                       + (f'    helo: {healthy["helo"]}\n' if "helo" in healthy else ""))
        lab = BenchLab(gen, extra_addresses=(PROXY,))
        t = time.perf_counter()
        lab.start()
        self.trust_anchor = lab.trust_anchor
        print(f"lab started in {time.perf_counter() - t:.1f} s (private network namespace)", flush=True)
        proxy = None
        args = self.args
        import scale

        try:
            if args.sharded_only:  # a CI matrix of K shards of the N domains, then the merge: nothing else
                scale.sharded_run(self, domains, args.sharded, None)
            else:
                proxy = self.measure_all(lab, domains, one, world)
        finally:
            if proxy is not None:
                proxy.kill()
                proxy.wait()
            lab.stop()
        if args.sharded_only:
            return
        self.reports()
        scale.files_and_shards(self, args.files_count, args.merge_shards, args.merge_domains)

    def measure_all(self, lab: BenchLab, domains: Path, one: Path, world) -> subprocess.Popen | None:
        n, args = self.n, self.args
        if args.only_main:
            return self.measure_main(domains, one)
        self.suite("suite, N domains, cold resolver", domains, per=n, reports="cold")
        row1, _, _ = self.suite("suite, 1 domain", one, per=1, reports="one")
        self.target("1 domain, full catalog, whole pytest process < 2 s", row1.wall < 2, f"{row1.wall:.2f} s")
        main, document, m = self.suite("suite, N domains", domains, per=n, reports="main", phases=True)
        self.main_dir = self.work / "main"
        self.main_targets(main, self.repeats(domains, main))
        if args.sharded:
            import scale

            scale.sharded_run(self, domains, args.sharded, document)
        xd, xdoc, _ = self.suite("suite, N domains, -n 2", domains, "-n", "2", per=n, reports="xdist")
        same = bool(document and xdoc and comparable(document) == comparable(xdoc))
        xd.note += "; results identical to the single-process run" if same else "; RESULTS DIFFER"
        self.target("-n 2 gives identical results", same, "compared results.json records minus times and TTLs")
        speedup = main.wall / xd.wall if xd.wall else 0
        self.target(f"-n 2 at least 1.5 times faster than one process ({n:,} domains)", speedup >= 1.5,
                    f"{speedup:.2f}x ({xd.wall:.1f} s against {main.wall:.1f} s)")
        run = (xdoc or {}).get("run", {})
        self.target("-n 2: no domain warmed up twice across workers", run.get("warmed_twice") == 0,
                    f"domains warmed up per worker {run.get('warmup_workers')}, by two workers or more "
                    f"{run.get('warmed_twice')}")
        self.suite("suite, N domains, --warmup=threads", domains, "--warmup=threads", per=n, reports="threads")
        self.suite("suite, N domains, --tb=no -rN", domains, "--tb=no", "-rN", per=n, reports="tbno")
        self.suite("suite, N domains, -p no:html", domains, "-p", "no:html", per=n, reports="nohtml")
        self.suite("suite, N domains, --html on the command line", domains,
                   f"--html={self.work / 'clihtml' / 'report.html'}", "--self-contained-html", per=n,
                   reports="clihtml")
        records = document["results"] if document else []
        floor = self.floor("pytest floor (empty bodies)", records, same_outcomes=False)
        self.floor("pytest floor (same outcomes)", records, same_outcomes=True)
        floor_nohtml = self.floor("pytest floor (empty bodies, -p no:html)", records, same_outcomes=False, html=False)
        questions = sorted(unique_questions(document)) if document else []
        seq = dns_floor(questions, 1)
        self.add(Row("DNS floor, sequential", seq[0], seq[1], None, n,
                     f"{len(questions)} unique questions, {seq[2]} answered"))
        par = dns_floor(questions, 64)
        self.add(Row("DNS floor, 64 threads", par[0], par[1], None, n,
                     f"{len(questions)} unique questions, {par[2]} answered"))
        # the floor as the suite ran: above 1,000 tests the suite's default leaves pytest-html out
        like = floor_nohtml if main_html_off(self.work / "main") else floor
        bound = 1.5 * (like.wall + par[0])
        self.target("suite <= 1.5 x (pytest floor + DNS floor)", main.wall <= bound,
                    f"{main.wall:.1f} s vs 1.5 x ({like.wall:.1f} ({like.name}) + {par[0]:.1f}) = {bound:.1f} s")
        sent = (document or {}).get("run", {}).get("dns_questions", {}).get("sent")
        self.target("each (name, type) asked once: sent == unique questions", sent == len(questions),
                    f"sent {sent}, unique questions in the evidence {len(questions)}")
        import areas

        areas.dnssec_rows(self, domains, world, main, sent == len(questions))
        areas.smtp_rows(self, domains, world)
        shared, _, _ = self.suite("suite, -m 'ns or mx or spf'", domains, "-m", "ns or mx or spf", per=n,
                                  reports="shared")
        sample = world.entries[: min(n, args.checkdmarc_sample)]
        names = self.work / "checkdmarc-domains.txt"
        names.write_text("\n".join(e["name"] for e in sample) + "\n")
        cd = self.checkdmarc("checkdmarc, SPF+MX+NS", names, RESOLVER, len(sample))
        if cd is not None and cd.wall:
            ratio = (cd.wall / cd.per) / (shared.wall / n)
            self.target(">= 10x faster than checkdmarc per domain on shared work", ratio >= 10,
                        f"{ratio:.1f}x ({shared.wall / n * 1000:.1f} vs {cd.wall / cd.per * 1000:.1f} ms/domain)")
        else:
            self.target(">= 10x faster than checkdmarc per domain on shared work", False,
                        "not measured: checkdmarc not installed (benchmarks/run --setup)")
        proxy = subprocess.Popen([self.python, str(HERE / "latency_proxy.py"), "--listen", PROXY, "--upstream",
                                  RESOLVER, "--delay-ms", str(args.latency_ms)], stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        lat_n = min(n, 1000)
        lat_domains = domains if lat_n == n else self.subset(domains, world, lat_n)
        lat, _, _ = self.suite("suite via 30 ms proxy", lat_domains, per=lat_n, resolver=PROXY, reports="latency")
        if lat_n == 1000:
            self.target("1,000 domains through 30 ms latency < 30 s", lat.wall < 30, f"{lat.wall:.1f} s")
        lat_names = self.work / "checkdmarc-latency.txt"
        lat_names.write_text("\n".join(e["name"] for e in sample[: args.checkdmarc_latency_sample]) + "\n")
        cdl = self.checkdmarc("checkdmarc via 30 ms proxy", lat_names, PROXY,
                              min(len(sample), args.checkdmarc_latency_sample))
        what = (f">= 10x checkdmarc's speed per domain through {args.latency_ms:.0f} ms of latency "
                "(whole catalog against its three areas)")
        if cdl is not None and cdl.wall and lat.wall:
            ratio = (cdl.wall / cdl.per) / (lat.wall / lat_n)
            self.target(what, ratio >= 10,
                        f"{ratio:.1f}x ({lat.wall / lat_n * 1000:.1f} vs {cdl.wall / cdl.per * 1000:.1f} ms/domain)")
        else:  # still printed: an issue's target the run could not judge is not met
            self.target(what, False, "not measured: " + ("checkdmarc failed" if cdl is not None else
                                                          "checkdmarc not installed (benchmarks/run --setup)"))
        return proxy

    def measure_main(self, domains: Path, one: Path) -> None:
        """--only-main: the N-domain run with a cold resolver cache, the 1-domain run and the N-domain run (warm)
        with its phases, for the big run."""
        n = self.n
        self.suite("suite, N domains, cold resolver", domains, per=n, reports="cold")  # as the full run does
        row1, _, _ = self.suite("suite, 1 domain", one, per=1, reports="one")
        self.target("1 domain, full catalog, whole pytest process < 2 s", row1.wall < 2, f"{row1.wall:.2f} s")
        main, document, _ = self.suite("suite, N domains", domains, per=n, reports="main", phases=True)
        self.main_dir = self.work / "main"
        self.main_targets(main, self.repeats(domains, main))
        if self.args.sharded:
            import scale

            scale.sharded_run(self, domains, self.args.sharded, document)
        questions = unique_questions(document) if document else set()
        sent = (document or {}).get("run", {}).get("dns_questions", {}).get("sent")
        self.target("each (name, type) asked once: sent == unique questions", sent == len(questions),
                    f"sent {sent}, unique questions in the evidence {len(questions)}")

    def repeats(self, domains: Path, main: Row) -> list[Row]:
        """The N-domain run again, ``--repeat-main`` times in all: this host's speed varies by the hour (the CPU
        probe of each run is in its note), so the time targets take the median."""
        runs = [main]
        main.note += f"; CPU probe {cpu_probe():.3f} s after it"
        for k in range(2, self.args.repeat_main + 1):
            row, _, _ = self.suite(f"suite, N domains, run {k}", domains, per=self.n, reports=f"main-{k}", add=False)
            row.note += f"; CPU probe {cpu_probe():.3f} s after it"
            self.add(row)
            runs.append(row)
        return runs

    def main_targets(self, main: Row, runs: list[Row]) -> None:
        """The time and memory targets of the N-domain run (1,000: 20 s; 10,000: 120 s and 2 GiB in all); the
        time is the median of ``runs``."""
        n = self.n
        wall = statistics.median(r.wall for r in runs)
        detail = (f"{wall:.1f} s" if len(runs) == 1 else
                  f"median {wall:.1f} s of {len(runs)} runs: {', '.join(f'{r.wall:.1f}' for r in runs)} s")
        self.main_wall, self.main_detail = wall, detail
        if n <= 1000:
            self.target(f"{n:,} domains < 20 s", wall < 20, detail)
        if n >= 10000:
            self.target(f"{n:,} domains, full catalog < 120 s", wall < 120, detail)
            self.target(f"{n:,} domains: all processes together < 2 GiB", (main.tree_mib or 0) < 2048,
                        rss_detail(main))

    def subset(self, domains: Path, world, count: int) -> Path:
        path = self.work / f"domains-{count}.yaml"
        lines = domains.read_text().splitlines()
        cut = next(i for i, line in enumerate(lines) if line.strip() == f"- name: {world.entries[count]['name']}")
        path.write_text("\n".join(lines[:cut]) + "\n")
        return path

    def floor(self, name: str, records: list[dict], same_outcomes: bool, html: bool = True) -> Row:
        folder = self.work / re.sub(r"\W+", "-", name).strip("-")
        test = write_floor(folder, records, same_outcomes)
        out = folder / "report.html"
        report = [f"--html={out}", "--self-contained-html"] if html else ["-p", "no:html"]
        m = measure([self.python, "-m", "pytest", str(test), "-p", "no:cacheprovider", "-p", "no:mailtests",
                     "--rootdir", str(folder), "-c", os.devnull, *report, "--tb=short", "-q"], folder)
        row = Row(name, m.wall, m.cpu, m.rss_mib, self.n, f"{len(records)} items, pytest-html {'on' if html else 'off'}"
                                                            f", exit {m.returncode}", tree_mib=m.tree_mib)
        self.add(row)
        return row

    def checkdmarc(self, name: str, names: Path, nameserver: str, count: int) -> Row | None:
        python = CHECKDMARC_VENV / "bin" / "python"
        if not python.exists():
            self.add(Row(name, note=f"not measured: no {python} (benchmarks/run --setup installs checkdmarc)"))
            return None
        m = measure([str(python), str(HERE / "checkdmarc_driver.py"), str(names), "--nameserver", nameserver],
                    self.work)
        info = json.loads(m.stdout.strip().splitlines()[-1]) if m.returncode == 0 else {}
        row = Row(name, m.wall, m.cpu, m.rss_mib, count,
                  f"{count} domains (a sample), sequential as checkdmarc runs; loop {info.get('seconds', 0):.2f} s; "
                  f"exit {m.returncode}", tree_mib=m.tree_mib)
        self.add(row)
        return row

    # -- reports and Chromium ------------------------------------------------------------------------
    def reports(self) -> None:
        main = getattr(self, "main_dir", self.work / "main")
        cli = self.work / "clihtml" / "report.html"
        files = [("results.json", main / "results.json"), ("audit.html", main / "audit.html"),
                 ("report.html", main / "report.html"), ("report.html, --html on the command line", cli)]
        for name, path in files[: 3 if self.args.only_main else 4]:
            note = f"{path.stat().st_size / 1e6:.1f} MB" if path.exists() else "missing"
            if name == "report.html" and main_html_off(main):
                note += " (above 1,000 tests: a page pointing to audit.html)"
            self.add(Row(name, note=note))
        browser = None if self.args.no_browser else chromium()
        pages = [("Chromium, blank page", None), ("Chromium, audit.html", main / "audit.html"),
                 ("Chromium, report.html", main / "report.html"),
                 ("Chromium, report.html, --html on the command line", cli)]
        for name, path in pages[: 2 if self.args.only_main else 4]:
            if browser is None:
                self.add(Row(name, note="not measured (no chromium, or --no-browser)"))
                continue
            took = chromium_load(browser, path, self.args.browser_timeout)
            self.add(Row(name, took, note="--dump-dom" if took is not None
                         else f"failed or > {self.args.browser_timeout:.0f} s"))

    def profile(self) -> str:
        """Where the time goes: the main run's phases, and a GIL profile (py-spy) of a run when installed."""
        lines = []
        marks_path = self.work / "main" / "phases.json"
        main = next((r for r in self.rows if r.name == "suite, N domains"), None)
        if marks_path.exists() and main is not None and main.wall:
            lines.append("Phases of the run 'suite, N domains' (wall seconds):")
            for phase, seconds in phase_table(json.loads(marks_path.read_text()), main.wall):
                lines.append(f"  {seconds:8.2f}  {phase}")
        return "\n".join(lines)


def rss_detail(row: Row) -> str:
    """The tree's peak, and the largest process's and the warm-up process's peak RSS beside it."""
    child = row.extra.get("child_rss_mib", 0)
    text = f"{row.tree_mib or 0:.0f} MiB all processes ({memory.method()}); largest process {row.rss_mib:.0f} MiB"
    return text + (f", warm-up process {child:.0f} MiB RSS" if child else "")


def main_html_off(folder: Path) -> bool:
    """Whether the run in ``folder`` left pytest-html out (its report.html is mailtests' pointer page)."""
    page = folder / "report.html"
    return page.exists() and page.stat().st_size < 10_000 and (
        "the report of this run is audit.html" in page.read_text(encoding="utf-8", errors="replace"))


def py_spy() -> str | None:
    """py-spy beside this Python (the venv's), else on PATH."""
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")


def py_spy_summary(raw: Path, top: int = 25) -> str:
    """The functions holding the GIL most (inclusive), from py-spy's raw (collapsed) output."""
    inclusive: Counter = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        for frame in dict.fromkeys(re.sub(r":\d+\)", ")", f) for f in stack.split(";")):
            inclusive[frame] += n
    skip = ("pluggy/", "threading.py", "concurrent/futures", "<module>", "_pytest/config/__init__.py", "wrap_session",
            "pytest_cmdline_main", "_pytest/main.py")
    rows = [(k, v) for k, v in inclusive.most_common() if not any(s in k for s in skip)][:top]
    return "\n".join(f"  {100 * v / max(total, 1):5.1f}%  {k}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains-count", type=int, default=1000, help="how many domains (default 1,000)")
    parser.add_argument("--quick", action="store_true", help="a small run that prints every row: 20 domains, "
                        "no profile, small checkdmarc samples")
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--checkdmarc-sample", type=int, default=200,
                        help="domains checkdmarc checks (sequential: it is slow; per-domain figures compare)")
    parser.add_argument("--checkdmarc-latency-sample", type=int, default=50)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--browser-timeout", type=float, default=300.0)
    parser.add_argument("--no-profile", action="store_true", help="no py-spy profile when a target is missed")
    parser.add_argument("--only-main", action="store_true", help="only the N-domain runs (cold, then warm) and "
                        "the 1-domain run, "
                        "report sizes and Chromium on audit.html (for --domains-count 10000)")
    parser.add_argument("--files-count", type=int, default=100_000,
                        help="domains in the generated files whose loading and --shard 1/100 collection are measured")
    parser.add_argument("--merge-shards", type=int, default=100, help="generated shards the merge is measured on")
    parser.add_argument("--merge-domains", type=int, default=200, help="domains per generated shard (about 14 KB each)")
    parser.add_argument("--sharded", type=int, default=0, metavar="K",
                        help="also run the N domains as K shards (--shard k/K) one after the other and merge them "
                             "(the big run: --domains-count 10000 --only-main --sharded 10)")
    parser.add_argument("--sharded-only", action="store_true",
                        help="with --sharded K: only the K shards of the N domains and their merge (the million-domain "
                             "plan measured on this machine: --domains-count 100000 --sharded 10 --sharded-only)")
    parser.add_argument("--repeat-main", type=int, default=0, metavar="K",
                        help="run the N-domain suite K times in all, the time targets on the median (default 3 up "
                             "to 1,000 domains, else 1)")
    parser.add_argument("--work", type=Path, help="keep everything here (default: a temporary folder)")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.domains_count = 20 if args.domains_count == 1000 else args.domains_count
        args.checkdmarc_sample, args.checkdmarc_latency_sample, args.no_profile = 10, 5, True
        args.browser_timeout = min(args.browser_timeout, 60)
        args.files_count, args.merge_shards, args.merge_domains = 5000, 10, 20
        args.sharded = args.sharded or 2
    if args.sharded_only and not args.sharded:
        parser.error("--sharded-only needs --sharded K")
    args.repeat_main = args.repeat_main or (3 if args.domains_count <= 1000 and not args.quick else 1)
    if os.geteuid() != 0:
        print("benchmarks/run needs root: the DNS lab adds loopback addresses and binds port 53", file=sys.stderr)
        return 2
    work = args.work or Path(tempfile.mkdtemp(prefix="mailtests-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    probe_start = cpu_probe()
    print(f"machine: {machine()}\nwork folder: {work}\nmemory of all processes: {MEMORY_METHODS[memory.method()]}"
          f"\nCPU probe at the start: {probe_start:.3f} s", flush=True)
    print(" | ".join(HEAD), flush=True)
    bench = Bench(args, work)
    bench.run()  # the lab starts in a private network namespace: other labs on this host are not disturbed
    names = [r.name for r in bench.rows]
    unmeasured = [r.name for r in bench.rows if r.cpu is not None and r.tree_mib is None and r.name not in IN_PROCESS]
    bench.target("memory of all processes given in every row that runs a command (issue 15)", not unmeasured,
                 f"{sum(r.tree_mib is not None for r in bench.rows)} rows with it; without: {unmeasured or 'none'}")
    import scale

    missing = [] if args.only_main or args.sharded_only else [r for r in ROWS if r not in names]
    missing += [] if args.sharded_only else [r for r in scale.ROWS if not any(n.startswith(r) for n in names)]
    assert not missing, f"rows not printed: {missing}"
    probe = (f"CPU probe (a fixed Python loop, CPU seconds; lower is a faster moment of the shared host): "
             f"{probe_start:.3f} s at the start, {cpu_probe():.3f} s at the end\n")
    text = [f"## {bench.n:,} domains\n", f"Machine: {machine()}\n", probe,
            f"Memory of all processes: {MEMORY_METHODS[memory.method()]}\n", table(bench.rows), "", "Targets:", ""]
    text += [f"- {'met' if ok else 'MISSED'}: {what} ({detail})" for what, ok, detail in bench.targets]
    missed = [t for t in bench.targets if not t[1]]
    if missed:
        text += ["", "Where the time goes:", "", "```", bench.profile()]
        if not args.no_profile and py_spy():
            text += ["", "GIL profile (py-spy --gil) of 'suite, N domains', inclusive share of samples:",
                     profile_run(bench, work)]
        text += ["```"]
    report = "\n".join(text)
    print("\n" + report, flush=True)
    if args.markdown:
        args.markdown.write_text(report + "\n")
    return 0


def profile_run(bench: Bench, work: Path) -> str:
    """Run the suite once more under py-spy (GIL samples of pytest's process; the warm-up process is not
    sampled) with the lab up again, and summarise."""
    spy = py_spy()
    assert spy
    gen = work / "gen"
    lab = BenchLab(gen, extra_addresses=(PROXY,))
    lab.start()
    raw = work / "py-spy.txt"
    try:
        out = work / "profiled"
        shutil.rmtree(out, ignore_errors=True)
        measure([spy, "record", "--gil", "-r", "100", "-f", "raw", "-o", str(raw), "--", sys.executable, "-m",
                 "pytest", "--pyargs", "mailtests", "-p", "no:cacheprovider", "--domains", str(gen / "domains.yaml"),
                 "--resolver", RESOLVER, f"--trust-anchor={lab.trust_anchor}", "--reports", str(out), "-o",
                 f"addopts=--html={shlex.quote(str(out / 'report.html'))} --self-contained-html", "-q"], work)
    finally:
        lab.stop()
    return py_spy_summary(raw) if raw.exists() else "  (py-spy wrote nothing)"


if __name__ == "__main__":
    sys.exit(main())
