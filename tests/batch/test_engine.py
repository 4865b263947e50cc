"""Tests of the engines and of what a worker does with one session."""

from __future__ import annotations

from pathlib import Path

import batch_hooks
import pytest
from corpus_fixture import annomi_csv, plain_session

import attunement.batch._setup as setup
import attunement.batch.engine as engine
from attunement.analysis import AnalysisConfig
from attunement.batch._setup import register_worker_setup, worker_setup_hooks
from attunement.batch.engine import (
    LocalEngine,
    RunOptions,
    check_engine,
    make_engine,
    process_item,
)
from attunement.batch.inputs import SessionLoader, expand_inputs
from attunement.errors import InputError


def one(path: Path):
    (item,) = expand_inputs([path])
    return item


def test_a_session_read_by_the_worker(tmp_path: Path) -> None:
    (tmp_path / "s.txt").write_text("Dr Lee: How was the week?\nSam: Long.\n")
    options = RunOptions(therapist=("Dr Lee",))
    result = process_item(one(tmp_path / "s.txt"), None, options)
    assert result.ok, result.error
    assert result.row["n_therapist_utterances"] == 1
    assert result.utterances.column("speaker").to_pylist() == ["Therapist", "Client"]
    kept = process_item(one(tmp_path / "s.txt"), None, RunOptions(("Dr Lee",), keep_names=True))
    assert kept.utterances.column("speaker").to_pylist() == ["Dr Lee", "Sam"]


def test_a_session_from_a_corpus_file(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(annomi_csv([4, 5]))
    items = expand_inputs([tmp_path / "c.csv"])
    loader = SessionLoader()
    result = process_item(items[1], loader.payload(items[1]), RunOptions())
    assert result.ok and result.session_id == "c-5"
    assert result.row["source_index"] == 1 and result.row["duration_s"] == 25.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "s.txt: is empty; expected a transcript"),
        (b"Therapist: caf\xe9\n", "s.txt:1: byte 0xe9 is not valid UTF-8"),
        (b"Therapist: Only me.\n", "has no client utterance"),
        (annomi_csv([1]).encode()[:-20], "a quoted field starting here is never closed"),
    ],
)
def test_a_bad_session_is_a_failed_result_not_an_exception(
    tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "s.txt").write_bytes(content)
    result = process_item(one(tmp_path / "s.txt"), None, RunOptions())
    assert not result.ok
    assert message in result.error
    assert result.utterances is None and result.detail is None


def test_an_unexpected_exception_keeps_its_traceback(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "s.txt").write_text(plain_session(1, marker="BUG-NOW"))
    monkeypatch.setattr(engine, "analyze_session", batch_hooks._wrap(engine.analyze_session))
    result = process_item(one(tmp_path / "s.txt"), None, RunOptions())
    assert result.error == "ZeroDivisionError: boom"
    assert "Traceback" in result.detail


def test_warnings_are_kept_with_the_session(tmp_path: Path) -> None:
    (tmp_path / "s.txt").write_text("Session notes, week 6\nTherapist: Hi.\nClient: Hello.\n")
    result = process_item(one(tmp_path / "s.txt"), None, RunOptions())
    assert result.ok and "skip" in result.row["warnings"]


def test_settings_name_what_results_depend_on() -> None:
    settings = RunOptions(("A",), (), True, AnalysisConfig()).settings()
    assert settings["therapist"] == ["A"] and settings["keep_names"] is True
    assert settings["config"] == repr(AnalysisConfig())
    assert RunOptions().settings()["config"] == settings["config"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "ray"}, "engine: is 'ray'; expected one of local, dask"),
        ({"workers": 0}, "workers: is 0; expected a whole number of at least 1"),
        ({"workers": 1.5}, "workers: is 1.5"),
        ({"workers": True}, "workers: is True"),
        ({"scheduler": "tcp://x:1"}, "scheduler: is 'tcp://x:1' but the engine is 'local'"),
    ],
)
def test_engine_options_are_checked(kwargs, message: str) -> None:
    args = {"kind": "local", "workers": None, "scheduler": None, **kwargs}
    with pytest.raises(InputError, match=message):
        check_engine(args.pop("kind"), **args)


def test_default_workers_is_every_core() -> None:
    import os

    assert check_engine("dask", workers=None, scheduler=None) == (os.cpu_count() or 1)


def test_register_worker_setup_once(monkeypatch) -> None:
    monkeypatch.setattr(setup, "_SETUP_HOOKS", [])
    register_worker_setup(batch_hooks.count_setup)
    register_worker_setup(batch_hooks.count_setup)
    assert worker_setup_hooks() == (batch_hooks.count_setup,)


def test_local_engine_returns_every_submitted_session(tmp_path: Path) -> None:
    paths = []
    for n in range(5):
        paths.append(tmp_path / f"s{n}.txt")
        paths[-1].write_text(plain_session(n))
    items = expand_inputs(paths)
    runner = make_engine("local", workers=2, scheduler=None, options=RunOptions())
    assert isinstance(runner, LocalEngine)
    try:
        for pos, it in enumerate(items):
            runner.submit(pos, it, None)
        done = dict(runner.next_done() for _ in items)
    finally:
        runner.close()
    assert sorted(done) == [0, 1, 2, 3, 4]
    assert [done[i].session_id for i in range(5)] == ["s0", "s1", "s2", "s3", "s4"]
    with pytest.raises(RuntimeError, match="no session in flight"):
        runner.next_done()


def test_unreachable_scheduler(monkeypatch) -> None:
    distributed = pytest.importorskip("distributed")

    def refuse(*args, **kwargs):
        raise OSError("Timed out trying to connect to tcp://127.0.0.1:9 after 10 s")

    monkeypatch.setattr(distributed, "Client", refuse)
    with pytest.raises(InputError, match="scheduler: cannot connect to the Dask scheduler"):
        make_engine("dask", workers=1, scheduler="tcp://127.0.0.1:9", options=RunOptions())


def test_worker_threads_share_the_cores(monkeypatch):
    import os

    from attunement.batch.engine import worker_threads

    monkeypatch.delenv("ATTUNEMENT_THREADS", raising=False)
    cores = len(os.sched_getaffinity(0))
    assert worker_threads(1) == str(cores)
    assert worker_threads(cores) == "1" and worker_threads(cores * 4) == "1"
    monkeypatch.setenv("ATTUNEMENT_THREADS", "3")
    assert worker_threads(2) == "3"
