"""mailtests.aside: work done in a forked child beside the parent's, and done here when the child cannot."""

from __future__ import annotations

import os

import pytest

from mailtests import aside
from mailtests.aside import beside

forks = pytest.mark.skipif(not aside.available(), reason="no fork here (one core, not Linux, or other threads)")


def _writer(path, fail_in_child: bool = False, fail_everywhere: bool = False):
    parent = os.getpid()

    def work() -> None:
        if fail_everywhere or (fail_in_child and os.getpid() != parent):
            raise OSError("disk full")
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")

    return work


def _writers(path) -> list[int]:
    return [int(line) for line in path.read_text(encoding="utf-8").split()] if path.exists() else []


@forks
def test_the_work_is_done_once_in_a_child_while_the_body_runs(tmp_path):
    out = tmp_path / "out"
    with beside(_writer(out)):
        body_pid = os.getpid()
    writers = _writers(out)
    assert len(writers) == 1 and writers[0] != body_pid


@forks
def test_a_child_that_fails_leaves_the_work_to_the_parent(tmp_path):
    out = tmp_path / "out"
    with beside(_writer(out, fail_in_child=True)):
        pass
    assert _writers(out) == [os.getpid()]


def test_without_fork_the_work_is_done_here_before_the_body(tmp_path):
    out = tmp_path / "out"
    with beside(_writer(out), fork=False):
        assert _writers(out) == [os.getpid()]
    assert _writers(out) == [os.getpid()]


@pytest.mark.parametrize("fork", [True, False])
def test_work_that_fails_here_too_raises_its_error(tmp_path, fork):
    with pytest.raises(OSError, match="disk full"), beside(_writer(tmp_path / "out", fail_everywhere=True), fork=fork):
        pass


@forks
def test_a_failing_body_reaps_the_child_and_does_not_redo_the_work(tmp_path):
    out = tmp_path / "out"
    children_before = _children()
    with pytest.raises(RuntimeError, match="body"), beside(_writer(out)):
        raise RuntimeError("body")
    assert len(_writers(out)) == 1 and _writers(out) != [os.getpid()]
    assert _children() == children_before  # reaped: no zombie left behind


def _children() -> set[str]:
    tasks = f"/proc/self/task/{os.getpid()}/children"
    return set(open(tasks).read().split()) if os.path.exists(tasks) else set()
