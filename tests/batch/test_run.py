"""run_batch end to end: engines, order, failures, resume, interruption."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import batch_hooks
import pyarrow.parquet as pq
import pytest
from corpus_fixture import CP1252_SESSION, plain_session, write_corpus

import attunement.batch.writer as writer
from attunement.batch import run_batch
from attunement.batch.resume import STATE_FOLDER
from attunement.coding import CODE_COLUMNS
from attunement.errors import InputError

IDS = [
    "a01",
    "a02",
    "a03",
    "a04",
    "a05",
    "b_bad",
    "c_corpus-7",
    "c_corpus-3",
    "c_corpus-11",
    "d06",
    "d07",
    "d08",
]


def tables(out: Path):
    return pq.read_table(out / "sessions.parquet"), pq.read_table(out / "utterances.parquet")


def files(out: Path) -> tuple[bytes, bytes]:
    return (out / "sessions.parquet").read_bytes(), (out / "utterances.parquet").read_bytes()


@pytest.fixture(scope="module")
def dask_scheduler():
    """A real scheduler and one worker process, on loopback."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The corpus analysed once with one local worker (parts of 3 sessions)."""
    root = tmp_path_factory.mktemp("reference")
    corpus = write_corpus(root / "corpus")
    saved = writer.PART_SESSIONS
    writer.PART_SESSIONS = 3
    try:
        summary = run_batch([corpus], out_dir=root / "out", workers=1, progress=False)
    finally:
        writer.PART_SESSIONS = saved
    return corpus, root / "out", summary


def test_corrupt_file_in_the_middle_is_reported_and_the_rest_present(reference):
    corpus, out, summary = reference
    assert (summary.n_ok, summary.n_failed, summary.n_skipped) == (11, 1, 0)
    assert summary.failures == (
        (
            "b_bad",
            f"{corpus / 'b_bad.vtt'}:4: cue time 'soon' is malformed; expected "
            "'hh:mm:ss.ttt --> hh:mm:ss.ttt'",
        ),
    )
    sessions, utterances = tables(out)
    assert sessions.column("session_id").to_pylist() == IDS
    status = dict(zip(IDS, sessions.column("status").to_pylist(), strict=True))
    assert status.pop("b_bad") == "error"
    assert set(status.values()) == {"ok"}
    assert sessions.column_names[:8] == [
        "session_id",
        "source_file",
        "source_index",
        "status",
        "error",
        "warnings",
        "duration_s",
        "n_utterances",
    ]
    assert "therapist_talk_share" in sessions.column_names
    counts = utterances.group_by("session_id").aggregate([("index", "count")]).to_pylist()
    per_session = {r["session_id"]: r["index_count"] for r in counts}
    expected = dict(zip(IDS, sessions.column("n_utterances").to_pylist(), strict=True))
    del expected["b_bad"]
    assert per_session == expected
    rows = sessions.to_pylist()
    assert rows[7]["source_file"] == (corpus / "c_corpus.csv").resolve().as_posix()
    assert rows[7]["source_index"] == 1


def test_same_tables_and_bytes_on_every_engine(reference, tmp_path, dask_scheduler):
    corpus, out, _ = reference
    runs = {
        "local-2": {"workers": 2},
        "dask-scheduler": {"engine": "dask", "scheduler": dask_scheduler},
        "dask-local": {"engine": "dask", "workers": 1},
    }
    for name, kwargs in runs.items():
        summary = run_batch([corpus], out_dir=tmp_path / name, progress=False, **kwargs)
        assert (summary.n_ok, summary.n_failed) == (11, 1), name
        for mine, theirs in zip(tables(tmp_path / name), tables(out), strict=True):
            assert mine.equals(theirs), name
        assert files(tmp_path / name) == files(out), name


def test_resume_skips_done_sessions_and_force_recomputes(reference, tmp_path):
    corpus, out, _ = reference
    first = run_batch([corpus], out_dir=tmp_path / "o", workers=2, progress=False)
    assert (first.n_ok, first.n_failed, first.n_skipped) == (11, 1, 0)
    again = run_batch([corpus], out_dir=tmp_path / "o", workers=2, progress=False)
    assert (again.n_ok, again.n_failed, again.n_skipped) == (0, 1, 11)  # failures are retried
    assert files(tmp_path / "o") == files(out)
    changed = corpus.parent / "changed"
    write_corpus(changed)
    run_batch([changed], out_dir=tmp_path / "c", workers=1, progress=False)
    (changed / "a02.txt").write_text(plain_session(9))
    os.utime(changed / "a02.txt", ns=(1, 1))
    edited = run_batch([changed], out_dir=tmp_path / "c", workers=1, progress=False)
    assert (edited.n_ok, edited.n_skipped) == (1, 10)
    forced = run_batch([corpus], out_dir=tmp_path / "o", workers=2, force=True, progress=False)
    assert (forced.n_ok, forced.n_failed, forced.n_skipped) == (11, 1, 0)
    assert files(tmp_path / "o") == files(out)


def test_interrupted_batch_resumes_without_duplicating_rows(reference, tmp_path, setup_hooks):
    _, out, _ = reference
    corpus = write_corpus(tmp_path / "corpus", markers={"a04": "INTERRUPT-NOW"})
    setup_hooks(batch_hooks.inject_faults)
    with pytest.raises(KeyboardInterrupt):
        run_batch([corpus], out_dir=tmp_path / "o", workers=1, progress=False)
    assert not (tmp_path / "o" / "sessions.parquet").exists()
    setup_hooks()
    resumed = run_batch([corpus], out_dir=tmp_path / "o", workers=2, progress=False)
    assert resumed.n_skipped == 3  # a01..a03 were written before a04 stopped the batch
    assert (resumed.n_ok, resumed.n_failed) == (8, 1)
    sessions, utterances = tables(tmp_path / "o")
    assert sessions.column("session_id").to_pylist() == IDS
    reference_utterances = tables(out)[1]
    assert utterances.num_rows == reference_utterances.num_rows
    from_text = ["text", *CODE_COLUMNS]  # a04's text carries the marker, so its codes differ
    mine = utterances.drop_columns(from_text)
    assert mine.equals(reference_utterances.drop_columns(from_text))


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    import attunement.batch.resume as resume
    import attunement.batch.writer as writer
    from attunement.batch import run_batch

    writer.PART_SESSIONS = 2
    commit = resume.BatchState.commit
    def dying_commit(self, seq, entries):
        if seq == 2:  # the third part's files are written, its record is not
            (self.parts / "000002.json.tmp").write_text('{"entries": [')
            os.kill(os.getpid(), signal.SIGKILL)
        commit(self, seq, entries)
    resume.BatchState.commit = dying_commit
    run_batch([sys.argv[1]], out_dir=sys.argv[2], workers=1, progress=False)
    """
)


def test_killed_batch_leaves_nothing_a_rerun_trusts(reference, tmp_path):
    corpus, out, _ = reference
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(corpus), str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr
    parts = tmp_path / "o" / STATE_FOLDER / "parts"
    assert (parts / "000002-sessions.parquet").exists()  # written but never recorded
    resumed = run_batch([corpus], out_dir=tmp_path / "o", workers=1, progress=False)
    assert (resumed.n_skipped, resumed.n_ok, resumed.n_failed) == (4, 7, 1)
    assert files(tmp_path / "o") == files(out)
    names = sorted(p.name for p in parts.iterdir())
    assert not [n for n in names if n.endswith(".tmp")]
    records = {n.split(".")[0] for n in names if n.endswith(".json")}
    assert {n.split("-")[0].split(".")[0] for n in names} == records


def test_a_dying_worker_fails_its_session_only(tmp_path, setup_hooks):
    corpus = write_corpus(tmp_path / "corpus", markers={"a03": "DIE-NOW", "d07": "BUG-NOW"})
    setup_hooks(batch_hooks.inject_faults)
    summary = run_batch([corpus], out_dir=tmp_path / "o", workers=2, progress=False)
    failures = dict(summary.failures)
    assert sorted(failures) == ["a03", "b_bad", "d07"]
    assert "worker process died" in failures["a03"]
    assert failures["d07"] == "ZeroDivisionError: boom"
    assert summary.n_ok == 9
    assert tables(tmp_path / "o")[0].column("session_id").to_pylist() == IDS


def test_worker_setup_runs_once_per_worker(tmp_path, setup_hooks):
    corpus = write_corpus(tmp_path / "corpus")
    setup_hooks(batch_hooks.count_setup)
    run_batch([corpus], out_dir=tmp_path / "o", workers=2, progress=False)
    sessions = tables(tmp_path / "o")[0].to_pylist()
    notes = [
        [line for line in r["warnings"].splitlines() if line.startswith("setup pid=")]
        for r in sessions
        if r["status"] == "ok"
    ]
    assert all(len(lines) == 1 and lines[0].endswith(" calls=1") for lines in notes)
    assert 1 <= len({lines[0] for lines in notes}) <= 2  # one per worker process


def test_failing_worker_setup_fails_every_session(tmp_path, setup_hooks):
    (tmp_path / "s.txt").write_text(plain_session(1))
    setup_hooks(batch_hooks.failing_setup)
    summary = run_batch([tmp_path / "s.txt"], out_dir=tmp_path / "o", workers=1, progress=False)
    assert summary.failures == (
        ("s", "RuntimeError: worker set-up failing_setup failed: OSError: model file missing"),
    )


def test_repeated_session_ids_get_a_suffix(tmp_path):
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "session.txt").write_text(plain_session(2))
    (tmp_path / "session_2.txt").write_text(plain_session(3))
    summary = run_batch(
        [tmp_path / "x", tmp_path / "y", tmp_path / "session_2.txt"],
        out_dir=tmp_path / "o",
        workers=1,
        progress=False,
    )
    sessions, utterances = tables(tmp_path / "o")
    assert sessions.column("session_id").to_pylist() == ["session", "session_2", "session_2_2"]
    assert set(utterances.column("session_id").to_pylist()) == {
        "session",
        "session_2",
        "session_2_2",
    }
    assert summary.n_sessions == 3


def test_format_and_encoding_reach_the_workers_of_every_engine(tmp_path, dask_scheduler):
    src = tmp_path / "in" / "s.txt"
    src.parent.mkdir()
    src.write_bytes(CP1252_SESSION.encode("cp1252"))
    runs = {"local": {"workers": 1}, "dask": {"engine": "dask", "scheduler": dask_scheduler}}
    for name, kwargs in runs.items():
        failed = run_batch([src], out_dir=tmp_path / name, progress=False, **kwargs)
        assert "byte 0x92 is not valid UTF-8" in dict(failed.failures)["s"], name
        read = {"format": "text", "encoding": "cp1252", "force": True}
        done = run_batch([src], out_dir=tmp_path / name, progress=False, **read, **kwargs)
        assert (done.n_ok, done.n_failed) == (1, 0), name
        texts = tables(tmp_path / name)[1].column("text").to_pylist()
        assert texts == [line.split(": ", 1)[1] for line in CP1252_SESSION.splitlines()], name
    assert files(tmp_path / "local") == files(tmp_path / "dask")


def test_other_settings_are_refused_then_forced(reference, tmp_path):
    corpus, _, _ = reference
    run_batch([corpus / "a01.txt"], out_dir=tmp_path / "o", workers=1, progress=False)
    with pytest.raises(InputError, match=r"other settings \(keep_names differ"):
        run_batch([corpus / "a01.txt"], out_dir=tmp_path / "o", keep_names=True, progress=False)
    summary = run_batch(
        [corpus / "a01.txt"], out_dir=tmp_path / "o", keep_names=True, force=True, workers=1
    )
    assert summary.n_ok == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"engine": "spark"}, "engine: is 'spark'; expected one of local, dask"),
        ({"workers": 0}, "workers: is 0; expected a whole number of at least 1"),
        ({"scheduler": "tcp://127.0.0.1:1"}, "expected --engine dask with a scheduler"),
        ({"encoding": "klingon"}, "encoding: unknown encoding 'klingon'; expected a name"),
        ({"format": "docx"}, "format: unknown transcript format 'docx'; expected one of annomi"),
    ],
)
def test_bad_arguments_stop_before_anything_runs(tmp_path, kwargs, message):
    (tmp_path / "s.txt").write_text(plain_session(1))
    with pytest.raises(InputError, match=message):
        run_batch([tmp_path / "s.txt"], out_dir=tmp_path / "o", **kwargs)
    assert not (tmp_path / "o").exists()


def test_missing_input_stops_before_anything_runs(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        run_batch([tmp_path / "nothing.vtt"], out_dir=tmp_path / "o")
    assert not (tmp_path / "o").exists()
