"""Tests for attunement.benchmarks.web: the 1-hour transcript and one short, real load run."""

from __future__ import annotations

import math

from attunement.benchmarks.web import long_transcript, run_web_benchmark
from attunement.io.transcripts import read_transcripts


def test_long_transcript_spans_the_hour(tmp_path):
    path = long_transcript(tmp_path / "hour.vtt", utterances=120, duration_s=3600)
    (raw,) = read_transcripts(path)
    assert len(raw.utterances) == 120
    assert {u.speaker for u in raw.utterances} == {"Therapist", "Client"}
    assert raw.utterances[-1].start == 3600 / 120 * 119
    assert raw.utterances[-1].end < 3600


def test_a_short_load_run_measures_every_page(tmp_path):
    table = run_web_benchmark(users=3, seconds=1.5, utterances=60, think_s=0.1)
    assert list(table["page"]) == [
        "session page (1 h)",
        "client page",
        "trends page",
        "static file (peer)",
    ]
    assert (table["requests"] > 0).all()
    assert (table["p50_ms"] <= table["p95_ms"]).all() and (table["p95_ms"] <= table["p99_ms"]).all()
    assert math.isclose(table.loc[3, "p95_vs_static"], 1.0)
    assert table.attrs["errors"] == 0
    assert table.attrs["first_view_ms"] > 0 and table.attrs["page_bytes"] > 10_000
