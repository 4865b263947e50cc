"""The ``attunement batch`` command: a thin shell over run_batch, with its exit statuses."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from corpus_fixture import CP1252_SESSION, plain_session, write_corpus

from attunement.cli import main


def run(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(list(map(str, args)))
        raise SystemExit(0)
    out = capsys.readouterr()
    return exc.value.code or 0, out.out, out.err


def test_some_failed_exits_3_and_names_the_file(tmp_path: Path, capsys) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    code, out, err = run(capsys, "batch", corpus, "--out", tmp_path / "o", "--workers", "2")
    assert code == 3
    assert "b_bad.vtt:4: cue time 'soon' is malformed" in err
    assert "11 analysed, 1 failed" in out
    assert f"sessions: {tmp_path / 'o' / 'sessions.parquet'}" in out
    assert pq.read_table(tmp_path / "o" / "sessions.parquet").num_rows == 12
    code, out, _ = run(capsys, "batch", corpus, "--out", tmp_path / "o", "--workers", "1")
    assert code == 3 and "0 analysed, 1 failed" in out and "11 already done" in out


def test_all_succeeded_exits_0(tmp_path: Path, capsys) -> None:
    (tmp_path / "s.txt").write_text("Dr Lee: Hello Sam.\nSam: Hi.\n")
    args = ["batch", str(tmp_path / "s.txt"), "-o", tmp_path / "o", "--workers", "1"]
    code, out, err = run(capsys, *args, "--therapist", "Dr Lee", "--keep-names")
    assert code == 0, err
    assert "1 analysed, 0 failed, 0 already done" in out
    assert "sessions to analyse: 1" in err
    speakers = pq.read_table(tmp_path / "o" / "utterances.parquet").column("speaker")
    assert speakers.to_pylist() == ["Dr Lee", "Sam"]
    code, out, _ = run(capsys, *args, "--therapist", "Dr Lee", "--keep-names", "--force")
    assert code == 0 and "1 analysed" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nothing.vtt"], "nothing.vtt: no such file or folder"),
        (["s.txt", "--scheduler", "tcp://h:1"], "expected --engine dask with a scheduler"),
        (["s.txt", "--encoding", "klingon"], "encoding: unknown encoding 'klingon'"),
    ],
)
def test_problems_that_prevent_starting_exit_1(tmp_path: Path, capsys, args, message) -> None:
    (tmp_path / "s.txt").write_text(plain_session(1))
    args = [str(tmp_path / a) if a.endswith((".txt", ".vtt")) else a for a in args]
    code, _, err = run(capsys, "batch", *args, "--out", tmp_path / "o")
    assert code == 1
    assert err.startswith("attunement: error: ") and message in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--engine", "spark"], ["'--engine'", "'spark'", "'local'", "'dask'"]),
        (["--workers", "0"], ["'--workers'"]),
        (["--format", "docx"], ["'--format'", "'docx'", "'vtt'", "'annomi'"]),
        (["--pseudo-partners", "-1"], ["'--pseudo-partners'", "greater than or equal to 0"]),
    ],
)
def test_bad_option_values_are_usage_errors(tmp_path: Path, capsys, args, words) -> None:
    (tmp_path / "s.txt").write_text(plain_session(1))
    code, _, err = run(capsys, "batch", tmp_path / "s.txt", "--out", tmp_path / "o", *args)
    assert code == 2
    assert all(word in err for word in words), err
    assert not (tmp_path / "o").exists()


def test_encoding_and_format_reach_every_session(tmp_path: Path, capsys) -> None:
    (tmp_path / "s.txt").write_bytes(CP1252_SESSION.encode("cp1252"))
    args = ["batch", tmp_path / "s.txt", "-o", tmp_path / "o", "--workers", "1"]
    code, out, err = run(capsys, *args)
    assert code == 3 and "0 analysed, 1 failed" in out
    assert "s.txt:1: byte 0x92 is not valid UTF-8" in err and "--encoding cp1252" in err
    forced = [*args, "--format", "text", "--encoding", "cp1252"]
    code, out, err = run(capsys, *forced, "--force")
    assert code == 0, err
    assert "1 analysed, 0 failed" in out
    utterances = pq.read_table(tmp_path / "o" / "utterances.parquet")
    assert utterances.column("text").to_pylist() == [
        "It\u2019s been a long week \u2013 how are you?",
        "Tired. The caf\u00e9 shifts never end.",
    ]
    sessions = pq.read_table(tmp_path / "o" / "sessions.parquet")
    assert sessions.column("status").to_pylist() == ["ok"]
    # recorded with the results: another name of the same codec resumes, another codec not
    code, out, err = run(capsys, *args, "--format", "text", "--encoding", "Windows-1252")
    assert code == 0 and "0 analysed, 0 failed, 1 already done" in out, err
    code, _, err = run(capsys, *args, "--format", "text", "--encoding", "latin-1")
    assert code == 1 and "other settings (encoding differ)" in err
    code, _, err = run(capsys, *args, "--format", "csv", "--encoding", "cp1252")
    assert code == 1 and "other settings (format differ)" in err


def test_out_is_required(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "batch", tmp_path)
    assert code == 2 and "--out" in err


def test_the_engine_choices_are_the_engines() -> None:
    from attunement.batch.engine import ENGINES
    from attunement.cli._options import EngineName

    assert tuple(e.value for e in EngineName) == ENGINES
