"""``mailtests merge --stream``: shards merged one record at a time give the in-memory merge's records."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from mailtests import merge_stream
from mailtests.merge import MergeError, merge_documents
from mailtests.merge_stream import merge_streaming
from mailtests.results import evidence_of

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

from shards import shard_document, write_shards  # noqa: E402


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def resolved(document: dict) -> list[dict]:
    return [{**r, "evidence": evidence_of(document, r)} for r in document["results"]]


def test_the_streamed_merge_gives_the_in_memory_merges_records_and_run(tmp_path: Path) -> None:
    paths = write_shards(tmp_path / "in", 3, 4)
    header, code = merge_streaming(tmp_path / "out", paths)
    streamed = read(tmp_path / "out" / "results.json")
    whole = merge_documents([read(p) for p in paths], paths)
    assert code == 1 == whole["run"]["exitstatus"]
    assert resolved(streamed) == resolved(whole)
    assert streamed["run"] == whole["run"] == header["run"] and streamed["summary"] == whole["summary"]
    assert streamed["run"]["merged_shards"] == 3 and streamed["run"]["domains"] == 12
    assert [(r["domain"], r["check"]) for r in streamed["results"]] == sorted(
        (r["domain"], r["check"]) for r in streamed["results"])
    assert (tmp_path / "out" / "audit.html").exists()


def test_a_shard_in_another_json_layout_is_read_whole(tmp_path: Path) -> None:
    paths = write_shards(tmp_path / "in", 2, 3)
    paths[1].write_text(json.dumps(read(paths[1]), indent=2), encoding="utf-8")
    merge_streaming(tmp_path / "out", paths)
    assert resolved(read(tmp_path / "out" / "results.json")) == resolved(
        merge_documents([read(p) for p in paths], paths))



def test_the_header_is_read_without_the_answers_and_records(tmp_path: Path) -> None:
    """``read_header`` gives what precedes ``answers`` as the whole file has it, and refuses another layout."""
    paths = write_shards(tmp_path / "in", 2, 3)
    merge_streaming(tmp_path / "out", paths)
    for path in [*paths, tmp_path / "out" / "results.json"]:
        whole = read(path)
        assert merge_stream.read_header(path) == {key: whole[key] for key in ("schema_version", "run", "summary")}
    paths[1].write_text(json.dumps(read(paths[1]), indent=2), encoding="utf-8")
    with pytest.raises(ValueError, match="not in the layout write_results writes"):
        merge_stream.read_header(paths[1])

def test_a_record_in_two_shards_or_a_bad_index_is_refused(tmp_path: Path) -> None:
    paths = write_shards(tmp_path / "in", 2, 2)
    doc = read(paths[1])
    doc["results"].insert(0, {**read(paths[0])["results"][0], "evidence": [0]})
    paths[1].write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(MergeError, match="is in both"):
        merge_streaming(tmp_path / "out", paths)
    doc["results"][0]["evidence"] = [len(doc["answers"])]
    paths[1].write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(MergeError, match="`evidence` is not a list of indexes"):
        merge_streaming(tmp_path / "out", paths)
    assert not (tmp_path / "out" / "results.json").exists()


def test_the_command_streams_on_request_and_checks_the_shards(tmp_path: Path) -> None:
    paths = write_shards(tmp_path / "in", 3, 2)
    run = subprocess.run([sys.executable, "-m", "mailtests", "merge", "--stream", str(tmp_path / "out"),
                          *map(str, paths)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "merged as streams" in run.stdout, run.stderr
    run = subprocess.run([sys.executable, "-m", "mailtests", "merge", "--stream", str(tmp_path / "x"),
                          *map(str, paths[:2])], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "shards missing: 3 (of 3)" in run.stderr


def test_memory_does_not_grow_with_the_number_of_shards(tmp_path: Path, monkeypatch) -> None:
    """Python's peak allocations grow by a file buffer and one record per added shard, not by its records."""
    monkeypatch.setattr(merge_stream, "AUDIT_HTML_UP_TO", 0)
    peaks = {}
    for count in (3, 24):
        paths = write_shards(tmp_path / f"in{count}", count, 20)
        tracemalloc.start()
        merge_streaming(tmp_path / f"out{count}", paths)
        peaks[count] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    shard = len(json.dumps(shard_document(1, 24, 20)))
    assert (peaks[24] - peaks[3]) / 21 < shard / 20 and peaks[24] < shard * 24 / 10, (peaks, shard)
