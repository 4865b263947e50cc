"""A smoke test of the coding benchmark on a small slice of AnnoMI (a command, not a timed test)."""

import math

import pandas as pd

from attunement.benchmarks.coding import (
    ANCHORS,
    EPITOME_ANCHORS,
    EPITOME_TARGETS,
    run_coding_benchmark,
)
from attunement.io.corpora import default_annomi_dir


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
    assert rows.loc["macro_f1 therapist_behaviour (ngram)", "authors_baseline"] == 0.72
    assert rows.loc["macro_f1 client_talk (ngram)", "best_published"] == 0.61
    assert math.isnan(rows.loc["macro_f1 reflection_type (ngram)", "best_published"])
    for kind in ("ngram", "transformer"):
        assert all(0 <= rows.loc[f"macro_f1 {t} ({kind})", "value"] <= 1 for t in ANCHORS)
        assert rows.loc[f"utterances_per_s ({kind})", "value"] > 0
        assert "30 utterances" in rows.loc[f"utterances_per_s ({kind})", "note"]
    # the shipped transformer's rows are its stored cross-validation, said so
    note = rows.loc["macro_f1 therapist_behaviour (transformer)", "note"]
    assert "stored with the shipped model" in note and "scored with" in note
    # and how closely the shipped int8 model follows its fp32 self
    assert rows.loc["int8_fp32_agreement client_talk (transformer)", "value"] > 0.9
    assert rows.loc["peak_rss_mib", "value"] > 0


def write_epitome_like(folder, n_per_level=24):
    """EPITOME's layout with synthetic pairs (the real data may not be copied)."""
    folder.mkdir()
    words = {0: "try jogging", 1: "that sounds hard", 2: "so sorry hugs"}
    for name in ("emotional-reactions", "interpretations", "explorations"):
        rows = [
            (f"s{i}", f"r{level}-{i}", "I feel alone.", f"friend {i}, {words[level]}.", level, "")
            for level in (0, 1, 2)
            for i in range(n_per_level)
        ]
        pd.DataFrame(
            rows, columns=["sp_id", "rp_id", "seeker_post", "response_post", "level", "rationales"]
        ).to_csv(folder / f"{name}-reddit.csv", index=False)
    return folder


def test_benchmark_epitome_rows(tmp_path):
    table = run_coding_benchmark(
        slice_of_annomi(tmp_path / "annomi", n_transcripts=10),
        n_splits=2,
        session_size=20,
        repeats=1,
        epitome=write_epitome_like(tmp_path / "epitome"),
        epitome_seeds=(0, 1, 2),
    )
    rows = table.set_index("measure")
    for mechanism, anchor in EPITOME_ANCHORS.items():
        row = rows.loc[f"macro_f1 epitome_{mechanism}"]
        assert row["value"] == 1.0
        assert row["authors_baseline"] == row["best_published"] == anchor
        assert row["note"].startswith("± 0.000 sd over 3 seeds (1.000, 1.000, 1.000)")
        assert f"target {EPITOME_TARGETS[mechanism]}" in row["note"]
    assert EPITOME_ANCHORS == {"er": 0.745, "ip": 0.626, "ex": 0.726}
    assert EPITOME_TARGETS == {"er": 0.75, "ip": 0.65, "ex": 0.74}
