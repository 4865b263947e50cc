"""Tests of the batch's rows, parts and merged Parquet outputs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import attunement.batch.writer as writer
from attunement.analysis import analyze_session
from attunement.batch.inputs import WorkItem
from attunement.batch.resume import BatchState
from attunement.batch.writer import ItemResult, PartWriter, error_result, merge_outputs, ok_result
from attunement.coding import CODE_COLUMNS
from attunement.model import Session, Utterance


def item(n: int) -> WorkItem:
    return WorkItem(Path(f"/corpus/s{n:02d}.txt"), fingerprint=f"{n}:1")


def fake(n: int, metrics: dict, utterances: int = 2) -> ItemResult:
    frame = pd.DataFrame(
        {
            "index": range(utterances),
            "speaker": ["Therapist", "Client"] * (utterances // 2) + ["Client"] * (utterances % 2),
            "role": ["therapist", "client"] * (utterances // 2) + ["client"] * (utterances % 2),
            "start_s": [float(i) for i in range(utterances)],
            "end_s": [None] * utterances,
            "text": [f"words {n} {i}" for i in range(utterances)],
        }
    )
    document = {
        "session": {"id": f"s{n:02d}", "duration_s": 10.0 + n, "n_utterances": utterances},
        "metrics": metrics,
    }
    return ok_result(item(n), document, frame)


def write(results: list[ItemResult], out: Path, *, part_sessions: int = 256) -> BatchState:
    saved = writer.PART_SESSIONS
    writer.PART_SESSIONS = part_sessions
    try:
        with BatchState.open(out, {"test": True}) as state:
            parts = PartWriter(state)
            for n, result in enumerate(results):
                parts.add(item(n), result)
            parts.flush()
            plan = [(state.entry(item(n).key), r.session_id) for n, r in enumerate(results)]
            merge_outputs(plan, state.part_path, out / "sessions.parquet", out / "u.parquet")
    finally:
        writer.PART_SESSIONS = saved
    return state


@pytest.mark.filterwarnings("ignore::attunement.errors.AttunementWarning")
def test_rows_of_a_real_analysis() -> None:
    session = Session(
        "s1",
        (
            Utterance(0, "Therapist", "therapist", 0.0, 2.0, "How are you?"),
            Utterance(1, "Client", "client", 2.5, 3.0, "Tired."),
        ),
    )
    results = analyze_session(session)
    result = ok_result(item(1), results.to_dict(), results.utterances, ["a", "b", "a"])
    assert result.ok and result.session_id == "s1" and result.error is None
    assert result.row["source_file"] == "/corpus/s01.txt"
    assert result.row["warnings"] == "a\nb"
    assert result.row["therapist_talk_share"] == 0.75
    assert result.utterances.column_names == [
        "session_id",
        "index",
        "speaker",
        "role",
        "start_s",
        "end_s",
        "text",
        *CODE_COLUMNS,
    ]
    assert result.utterances.column("session_id").to_pylist() == ["s1", "s1"]


def test_error_rows_name_the_file() -> None:
    result = error_result(item(3), "s03.txt:2: broken")
    assert not result.ok
    assert result.row == {
        "session_id": "s03",
        "source_file": "/corpus/s03.txt",
        "source_index": 0,
        "status": "error",
        "error": "s03.txt:2: broken",
        "warnings": None,
        "duration_s": None,
        "n_utterances": None,
    }
    assert result.utterances is None


def test_metric_named_like_a_fixed_column_gets_a_prefix() -> None:
    result = fake(1, {"status": 1.0, "duration_s": 2.0, "r": [1, 2]})
    assert result.row["status"] == "ok"
    assert result.row["metric_status"] == 1.0 and result.row["metric_duration_s"] == 2.0
    assert result.row["r"] == "[1, 2]"


def test_metric_columns_are_the_union_in_first_seen_order(tmp_path: Path) -> None:
    results = [
        error_result(item(0), "bad"),
        fake(1, {"b": 1, "a": None}),
        fake(2, {"b": 2.5, "a": None, "c": "high"}),
        fake(3, {"a": None, "c": 3.0, "d": True}),
    ]
    write(results, tmp_path, part_sessions=2)
    table = pq.read_table(tmp_path / "sessions.parquet")
    assert table.column_names[8:] == ["b", "a", "c", "d"]
    assert table.schema.field("b").type == pa.float64()  # 1 and 2.5
    assert table.schema.field("a").type == pa.float64()  # never defined
    assert table.schema.field("c").type == pa.string()  # text and a number
    assert table.schema.field("d").type == pa.bool_()
    assert table.column("b").to_pylist() == [None, 1.0, 2.5, None]
    assert table.column("c").to_pylist() == [None, None, "high", "3.0"]
    assert table.schema.field("error").type == pa.string()


def test_all_ok_still_gives_typed_fixed_columns(tmp_path: Path) -> None:
    write([fake(0, {"n": 1}), fake(1, {"n": 2})], tmp_path)
    table = pq.read_table(tmp_path / "sessions.parquet")
    assert table.schema.field("error").type == pa.string()
    assert table.schema.field("n").type == pa.int64()
    utterances = pq.read_table(tmp_path / "u.parquet")
    assert utterances.schema.field("end_s").type == pa.float64()
    assert utterances.num_rows == 4


def test_only_failures_give_an_empty_utterance_table(tmp_path: Path) -> None:
    write([error_result(item(0), "bad")], tmp_path)
    utterances = pq.read_table(tmp_path / "u.parquet")
    assert utterances.num_rows == 0 and utterances.column_names[0] == "session_id"


def test_parts_are_written_when_full_or_old(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(writer, "PART_SESSIONS", 3)
    monkeypatch.setattr(writer, "PART_ROWS", 7)
    now = [0.0]
    with BatchState.open(tmp_path, {}) as state:
        parts = PartWriter(state, clock=lambda: now[0])
        parts.add(item(0), fake(0, {}))
        parts.add(item(1), fake(1, {}))
        assert state.next_seq() == 0
        parts.add(item(2), fake(2, {}))  # three sessions
        assert state.next_seq() == 1
        parts.add(item(3), fake(3, {}, utterances=8))  # eight rows
        assert state.next_seq() == 2
        parts.add(item(4), fake(4, {}))
        now[0] = writer.PART_SECONDS
        parts.add(item(5), fake(5, {}))  # ten seconds old
        assert state.next_seq() == 3
        parts.flush()
        assert state.next_seq() == 3  # nothing left to write
        entry = state.entry(item(3).key)
        assert (entry.seq, entry.row, entry.utt_offset, entry.utt_rows) == (1, 0, 0, 8)


def test_row_groups_have_a_fixed_size(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(writer, "SESSION_ROW_GROUP", 4)
    monkeypatch.setattr(writer, "UTTERANCE_ROW_GROUP", 5)
    write([fake(n, {"x": n}, utterances=3) for n in range(10)], tmp_path, part_sessions=3)
    sessions = pq.ParquetFile(tmp_path / "sessions.parquet").metadata
    assert [sessions.row_group(i).num_rows for i in range(sessions.num_row_groups)] == [4, 4, 2]
    utterances = pq.ParquetFile(tmp_path / "u.parquet").metadata
    assert [utterances.row_group(i).num_rows for i in range(utterances.num_row_groups)] == [5] * 6


def test_merge_writes_the_given_session_ids(tmp_path: Path) -> None:
    results = [fake(0, {}), fake(1, {})]
    with BatchState.open(tmp_path, {}) as state:
        parts = PartWriter(state)
        for n, result in enumerate(results):
            parts.add(item(n), result)
        parts.flush()
        plan = [(state.entry(item(1).key), "second"), (state.entry(item(0).key), "first")]
        merge_outputs(plan, state.part_path, tmp_path / "s.parquet", tmp_path / "u.parquet")
    assert pq.read_table(tmp_path / "s.parquet").column("session_id").to_pylist() == [
        "second",
        "first",
    ]
    utterances = pq.read_table(tmp_path / "u.parquet")
    assert utterances.column("session_id").to_pylist() == ["second"] * 2 + ["first"] * 2
    assert utterances.column("text").to_pylist()[0] == "words 1 0"
    assert not list(tmp_path.glob("*.tmp"))


@settings(max_examples=15, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 5), min_size=6, max_size=6),
    part_sessions=st.integers(1, 7),
)
def test_same_results_give_the_same_bytes_whatever_the_parts(sizes, part_sessions) -> None:
    results = [fake(n, {"m": n * 0.5, f"k{n % 3}": n}, utterances=k) for n, k in enumerate(sizes)]
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        write(results, Path(a), part_sessions=part_sessions)
        write(results, Path(b), part_sessions=256)
        for name in ("sessions.parquet", "u.parquet"):
            assert (Path(a) / name).read_bytes() == (Path(b) / name).read_bytes()


@pytest.mark.parametrize("name", ["sessions", "utterances"])
def test_part_files_are_complete_parquet(tmp_path: Path, name: str) -> None:
    state = write([fake(0, {"x": 1})], tmp_path)
    table = pq.read_table(state.part_path(0, name))
    assert table.num_rows == (1 if name == "sessions" else 2)
