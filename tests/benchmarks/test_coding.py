"""A smoke test of the coding benchmark on a small slice of AnnoMI (a command, not a timed test)."""

import math

import pandas as pd

from attunement.benchmarks.coding import ANCHORS, run_coding_benchmark
from attunement.coding.corpus import default_annomi_dir


def slice_of_annomi(folder, n_transcripts=16):
    folder.mkdir()
    simple = pd.read_csv(default_annomi_dir() / "AnnoMI-simple.csv", dtype=str)
    full = pd.read_csv(default_annomi_dir() / "AnnoMI-full.csv", dtype=str)
    keep = simple["transcript_id"].drop_duplicates().head(n_transcripts)
    simple[simple["transcript_id"].isin(keep)].to_csv(folder / "AnnoMI-simple.csv", index=False)
    full[full["transcript_id"].isin(keep)].to_csv(folder / "AnnoMI-full.csv", index=False)
    return folder


def test_benchmark_table(tmp_path):
    table = run_coding_benchmark(
        slice_of_annomi(tmp_path / "annomi"), n_splits=2, session_size=30, repeats=1
    )
    assert list(table.columns) == ["measure", "value", "authors_baseline", "best_published", "note"]
    rows = table.set_index("measure")
    assert rows.loc["macro_f1 therapist_behaviour", "authors_baseline"] == 0.72
    assert rows.loc["macro_f1 client_talk", "best_published"] == 0.61
    assert math.isnan(rows.loc["macro_f1 reflection_type", "best_published"])
    assert all(0 <= rows.loc[f"macro_f1 {t}", "value"] <= 1 for t in ANCHORS)
    assert rows.loc["utterances_per_s", "value"] > 0
    assert rows.loc["peak_mib", "value"] > 0
    assert "30 utterances" in rows.loc["utterances_per_s", "note"]
