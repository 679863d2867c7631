"""Memory of a whole process tree: the suite's pytest process, its warm-up process, xdist's workers.

GNU time's ``%M`` is the peak RSS of the largest process only; the suite runs in two
processes (pytest and the forked warm-up) or more (``-n 2``), so each benchmark row
reports the peak of the whole tree, measured one of two ways:

* ``cgroup``: the command runs in a cgroup v2 of its own under /sys/fs/cgroup (where
  the memory controller is available and writable), and the figure is its
  ``memory.peak``: every page charged to the tree, shared pages once, page cache
  included (files the run writes), read by the kernel, no sampling.
* ``pss``: elsewhere (cgroup v1 hosts, containers without a writable cgroup), the sum
  of the tree's PSS (``/proc/PID/smaps_rollup``: each shared page split among the
  processes that map it, so the sum counts it once), sampled every ``interval``
  seconds; the peak of the sums. A peak shorter than the interval can be missed.

``benchmarks/run`` says in its header which one it used.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def cgroup_parent() -> Path | None:
    """A cgroup v2 folder where a child cgroup with the memory controller can be made, else None."""
    try:
        if "memory" not in (CGROUP_ROOT / "cgroup.controllers").read_text().split():
            return None
        own = Path("/proc/self/cgroup").read_text().splitlines()
        unified = next((line.split(":", 2)[2] for line in own if line.startswith("0::")), None)
        if unified is None:
            return None
        parent = CGROUP_ROOT / unified.lstrip("/")
        return parent if os.access(parent, os.W_OK) else None
    except OSError:
        return None


def method() -> str:
    """How tree memory is measured here: ``cgroup`` or ``pss``."""
    return "cgroup" if cgroup_parent() is not None else "pss"


def children(pid: int) -> list[int]:
    """The direct children of a process (every thread's), from /proc."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            except OSError:
                continue
            found += [int(c) for c in text.split()]
    except OSError:
        pass
    return found


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children(p)
    return out


def pss_kib(pid: int) -> int:
    """The process's proportional set size in KiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler:
    """Samples the PSS sum of a process tree in a thread until :meth:`stop`; ``peak_kib`` is the largest sum."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self.processes = 0  # the most processes seen at once
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        pids = [p for p in tree(self.pid) if Path(f"/proc/{p}").exists()]
        total = sum(pss_kib(p) for p in pids)
        self.peak_kib = max(self.peak_kib, total)
        self.processes = max(self.processes, len(pids))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_kib


class CgroupMeter:
    """A cgroup v2 made for one command: ``preexec`` moves the child into it; ``peak_kib`` its memory.peak."""

    def __init__(self, parent: Path) -> None:
        self.path = parent / f"mailtests-bench-{os.getpid()}-{time.monotonic_ns()}"
        self.path.mkdir()

    def preexec(self) -> None:
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def peak_kib(self) -> int:
        for name in ("memory.peak", "memory.max_usage_in_bytes"):
            target = self.path / name
            if target.exists():
                return int(target.read_text().strip()) // 1024
        return 0

    def remove(self) -> None:
        try:
            self.path.rmdir()
        except OSError:
            pass
