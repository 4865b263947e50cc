"""The batch benchmark runs, on a tiny corpus, and reports what it promises."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from corpus_fixture import annomi_csv

from attunement.benchmarks.batch import run_batch_benchmark, write_benchmark_corpus
from attunement.errors import InputError
from attunement.io.transcripts import read_transcripts

ANNOMI = Path(__file__).parents[2].parent / "shared" / "datasets" / "annomi" / "AnnoMI-simple.csv"


def test_corpus_files_are_annomi_sessions(tmp_path: Path) -> None:
    paths = write_benchmark_corpus(tmp_path, 3, utterances=10, seed=1)
    for path in paths:
        (transcript,) = read_transcripts(path)
        assert transcript.format == "annomi" and len(transcript.utterances) == 10
    with paths[0].open(newline="") as fh:
        assert next(csv.reader(fh))[:3] == ["transcript_id", "utterance_id", "interlocutor"]


def test_corpus_sampled_from_an_annomi_file(tmp_path: Path) -> None:
    (tmp_path / "annomi.csv").write_text(annomi_csv([1, 2], per=6))
    paths = write_benchmark_corpus(tmp_path / "c", 4, annomi=tmp_path / "annomi.csv")
    assert all(len(read_transcripts(p)[0].utterances) == 6 for p in paths)


def test_bad_size(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="n_sessions: is 0; expected at least 1"):
        write_benchmark_corpus(tmp_path, 0)


def test_table_of_local_and_dask_runs(tmp_path: Path) -> None:
    table = run_batch_benchmark(4, workers=(1, 2), dask_workers=1, utterances=6, workdir=tmp_path)
    assert list(table["engine"]) == ["local", "local", "dask"]
    assert list(table["workers"]) == [1, 2, 1]
    assert table["speedup"].iloc[0] == 1.0
    assert math.isnan(table["overhead_pct"].iloc[0])
    dask = table.iloc[2]
    local1 = table.iloc[0]
    assert dask["overhead_pct"] == pytest.approx(
        100 * (dask["seconds"] - local1["seconds"]) / local1["seconds"]
    )
    assert (table["peak_parent_mib"] > 10).all()
    assert (table["sessions_per_s"] > 0).all()
