"""A smoke test of the MI-quality benchmark on a small slice of AnnoMI (high and low quality)."""

import math

import pandas as pd

from attunement.benchmarks.mi_quality import run_quality_benchmark
from attunement.io.corpora import default_annomi_dir


def quality_slice(folder, n_each=6):
    folder.mkdir()
    simple = pd.read_csv(default_annomi_dir() / "AnnoMI-simple.csv", dtype=str)
    full = pd.read_csv(default_annomi_dir() / "AnnoMI-full.csv", dtype=str)
    per = simple.drop_duplicates("transcript_id")
    keep = pd.concat(
        [
            per[per["mi_quality"] == q].drop_duplicates("video_url").head(n_each)
            for q in ("high", "low")
        ]
    )["transcript_id"]
    simple[simple["transcript_id"].isin(keep)].to_csv(folder / "AnnoMI-simple.csv", index=False)
    full[full["transcript_id"].isin(keep)].to_csv(folder / "AnnoMI-full.csv", index=False)
    return folder


def test_benchmark_table(tmp_path):
    table = run_quality_benchmark(quality_slice(tmp_path / "annomi"), n_splits=2)
    assert list(table.columns) == [
        "measure", "words_model", "codes_model", "majority_baseline", "note",
    ]  # fmt: skip
    rows = table.set_index("measure")
    assert list(rows.index) == ["auc", "accuracy", "brier", "seconds"]
    assert rows.loc["auc", "majority_baseline"] == 0.5
    assert rows.loc["accuracy", "majority_baseline"] == 0.5  # 6 high, 6 low
    for m in ("auc", "accuracy", "brier"):
        assert 0 <= rows.loc[m, "codes_model"] <= 1
        assert 0 <= rows.loc[m, "words_model"] <= 1
    assert rows.loc["seconds", "codes_model"] > 0
    assert math.isnan(rows.loc["seconds", "majority_baseline"])
    assert "12 transcripts (6 high, 6 low)" in rows.loc["auc", "note"]
