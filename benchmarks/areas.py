"""The benchmark's rows for the areas with costs of their own: DNSSEC validation (issue 12), the SMTP probe (issue 13).

Called by ``benchmarks/run`` (bench.py) with the DNS lab up.

- DNSSEC: the generated domains include signed ones (a third, RSA/SHA-256 and ECDSA
  P-256 in turn: ``generate.py``, signed by ``benchlab.py``). ``suite, -m dnssec`` runs
  the DNSSEC checks alone on the N domains with ``experiments.py``'s
  ``BENCH_DNSSEC_STATS`` hook, which counts and times every signature verification
  (``dns.dnssec.validate_rrsig``) by algorithm; the next row gives them.
- SMTP: ``suite, N domains, --smtp`` runs the whole catalog with the SMTP probe against
  one Postfix listening on every generated MX address (``smtplab.py``), and counts the
  run's SMTP sessions (results.json ``transcripts``) against the MX addresses of the
  domains: each address is probed once, however many domains share it.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

#: The rows this module prints.
ROWS = ("suite, -m dnssec", "DNSSEC signature verifications (in 'suite, -m dnssec')", "suite, N domains, --smtp")


def dnssec_rows(bench, domains: Path, world, main, asked_once: bool) -> None:
    """``suite, -m dnssec`` with its signature verifications counted, and issue 12's targets.

    ``main``: the row of the whole-catalog N-domain run; ``asked_once``: whether that run asked each question once."""
    from bench import Row, unique_questions

    n = bench.n
    stats_dir = bench.work / "dnssec-stats"
    shutil.rmtree(stats_dir, ignore_errors=True)
    row, document, _ = bench.suite(ROWS[0], domains, "-m", "dnssec", "-p", "experiments", per=n, reports="dnssec",
                                   env={"BENCH_DNSSEC_STATS": str(stats_dir)}, add=False)
    names = {e["name"] for e in world.entries}
    signed = {z: alg for z, alg in world.signed.items() if z.rstrip(".") in names}
    algorithms = Counter(signed.values())
    outcomes = Counter(r["outcome"] for r in (document or {}).get("results", [])
                       if r["check"] == "dnssec.valid" and f"{r['domain']}." in signed)
    kinds = ", ".join(f"{a} {c}" for a, c in sorted(algorithms.items()))
    row.note += f"; {len(signed)} of {n} domains signed ({kinds}), dnssec.valid of the signed ones {dict(outcomes)}"
    bench.add(row)
    share = len(signed) / max(n, 1)
    bench.target("about a third of the generated domains signed, with RSA and ECDSA both", 0.25 <= share <= 0.4 and
                 any(a.startswith("RSA") for a in algorithms) and any(a.startswith("ECDSA") for a in algorithms),
                 f"{len(signed)} of {n} ({100 * share:.0f} %): {dict(algorithms)}")
    made: Counter = Counter()
    cpu: Counter = Counter()
    for path in sorted(stats_dir.glob("dnssec-*.json")):
        for alg, figures in json.loads(path.read_text()).items():
            made[alg] += figures["calls"]
            cpu[alg] += figures["cpu_s"]
    total_cpu = sum(cpu.values())
    per_alg = "; ".join(f"{alg} {made[alg]} ({1000 * cpu[alg]:.0f} ms CPU, {1e6 * cpu[alg] / made[alg]:.0f} us each)"
                        for alg in sorted(made))
    share_of_run = f", {100 * total_cpu / row.cpu:.1f} % of the run's CPU" if row.cpu else ""
    bench.add(Row(ROWS[1], None, total_cpu, None, n,
                  f"{sum(made.values())} public-key verifications (each (RRset, RRSIG, key) once a run): "
                  f"{per_alg or 'none'}{share_of_run}"))
    bench.target("the run verified signatures of both kinds (RSA and ECDSA)",
                 any(a.startswith("RSA") for a in made) and any(a.startswith("ECDSA") for a in made),
                 f"{dict(made)}")
    questions = unique_questions(document) if document else set()
    sent = (document or {}).get("run", {}).get("dns_questions", {}).get("sent")
    bench.target("-m dnssec: each (name, type) asked once: sent == unique questions", sent == len(questions),
                 f"sent {sent}, unique questions in the evidence {len(questions)}")
    if n <= 1000:
        bench.target(f"{n:,} domains < 20 s with DNSSEC (the whole catalog, {len(signed)} signed domains validated), "
                     "each (name, type) asked once (issue 12)", bool(bench.main_wall < 20 and asked_once),
                     f"{bench.main_detail}; each asked once: {'yes' if asked_once else 'NO'}")


def mx_addresses(world) -> set[str]:
    """The addresses of the MX hosts of the generated domains (what ``--smtp`` connects to, each once)."""
    found = set()
    for e in world.entries:
        name = e["name"]
        if "no-mx" in world.defects.get(name, []):
            continue
        mail = world.mail_of[name]
        hosts = [f"mx1.{mail}.net", f"mx2.{mail}.net"] if mail != "self" else [f"mail.{name}"]
        found |= {world.mx_addresses[h] for h in hosts if h in world.mx_addresses}
    return found


def smtp_rows(bench, domains: Path, world) -> None:
    """``suite, N domains, --smtp`` against Postfix on every generated MX address, and issue 13's targets."""
    import memory
    from bench import Row
    from smtplab import BenchSmtp, LabError

    n = bench.n
    listeners = BenchSmtp(domains.parent)
    try:
        listeners.start()
    except (LabError, OSError) as exc:
        bench.add(Row(ROWS[2], note=f"not measured: {str(exc).splitlines()[0][:200]}"))
        bench.target(f"{n:,} domains with --smtp < 30 s", False, "not measured: no SMTP listeners")
        return
    try:
        assert listeners.postfix is not None and listeners.ca_file is not None
        postfix = memory.TreeSampler(listeners.postfix.pid)
        before = listeners.connections(settle=0.5)
        row, document, _ = bench.suite(ROWS[2], domains, "--smtp", f"--ca-file={listeners.ca_file}", per=n,
                                       reports="smtp", add=False)
        postfix_mib = postfix.stop() / 1024
        connections = listeners.connections() - before
    finally:
        listeners.stop()
    sessions = (document or {}).get("transcripts", [])
    probed = Counter(s.get("address") for s in sessions)
    expected = mx_addresses(world)
    outcomes = Counter(r["outcome"] for r in (document or {}).get("results", []) if r["check"].startswith("smtp."))
    per_address = Counter(connections.values())  # connections an address got -> how many addresses got that many
    row.note += (f"; {len(sessions)} SMTP sessions (results.json transcripts) with {len(probed)} addresses, "
                 f"{len(expected)} MX addresses of the domains; Postfix: {sum(connections.values())} connections, "
                 f"addresses by connections {dict(sorted(per_address.items()))} (a session and its TLS 1.0 and 1.1 "
                 f"handshakes: 3); smtp.* {dict(outcomes)}; Postfix peak {postfix_mib:.0f} MiB (not in all processes)")
    bench.add(row)
    if n <= 1000:
        bench.target(f"{n:,} domains with --smtp < 30 s (issue 13)", bool(row.wall and row.wall < 30),
                     f"{row.wall:.1f} s")
    once = (bool(sessions) and max(probed.values()) == 1 and set(probed) == expected == set(connections)
            and len(per_address) == 1)
    bench.target("--smtp: each MX address probed once: SMTP sessions == unique MX addresses of the domains, and "
                 "every address connected to as often", once,
                 f"{len(sessions)} sessions, {len(probed)} addresses in them, {len(expected)} MX addresses, "
                 f"connections per address {dict(sorted(per_address.items()))}")
