"""The ``attunement batch`` command: a thin shell over run_batch, with its exit statuses."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from corpus_fixture import plain_session, write_corpus

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
        (["s.txt", "--engine", "spark"], "engine: is 'spark'; expected one of local, dask"),
        (["s.txt", "--workers", "0"], "workers: is 0"),
        (["s.txt", "--scheduler", "tcp://h:1"], "expected --engine dask with a scheduler"),
    ],
)
def test_problems_that_prevent_starting_exit_1(tmp_path: Path, capsys, args, message) -> None:
    (tmp_path / "s.txt").write_text(plain_session(1))
    args = [str(tmp_path / a) if a.endswith((".txt", ".vtt")) else a for a in args]
    code, _, err = run(capsys, "batch", *args, "--out", tmp_path / "o")
    assert code == 1
    assert err.startswith("attunement: error: ") and message in err
    assert "Traceback" not in err


def test_out_is_required(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "batch", tmp_path)
    assert code == 2 and "--out" in err
