"""Training the MI-quality model (:mod:`attunement.training.quality`)."""

import numpy as np
import pandas as pd
import pytest
from test_quality import synthetic_corpus

from attunement.coding.quality import FEATURE_NAMES, load_quality_model, read_quality_model
from attunement.coding.quality_words import WordQualityModel
from attunement.errors import InputError
from attunement.io.corpora import annomi_transcripts, default_annomi_dir
from attunement.training.quality import (
    cross_fitted_codes,
    cross_validate_quality,
    cross_validate_words,
    session_table,
    train_quality,
    train_word_quality,
)


def test_cross_validation_scores_and_baseline():
    x, y = synthetic_corpus()
    table = x.assign(high=y, fold=np.arange(len(y)) % 4)
    found = cross_validate_quality(table)
    assert found["auc"] > 0.95 and found["accuracy"] > 0.9
    assert found["n"] == len(y) and found["n_high"] == y.sum() and found["n_splits"] == 4
    assert found["baseline"]["auc"] == 0.5
    majority = max(y.mean(), 1 - y.mean())
    assert found["baseline"]["accuracy"] == pytest.approx(majority, abs=0.01)
    assert found["brier"] < found["baseline"]["brier"]
    assert found["predicted"].shape == (len(y),)


def test_cross_fitting_and_training_on_a_tiny_corpus(tiny_annomi, tmp_path):
    from attunement.training.ngram import train_annomi

    train_annomi(tiny_annomi, tmp_path / "m", evaluate=False)
    coded = cross_fitted_codes(tiny_annomi, n_splits=3, coders_dir=tmp_path / "m")
    transcripts = annomi_transcripts(tiny_annomi)
    assert len(coded) == len(transcripts)
    assert coded["mi_behaviour"].notna().sum() == (transcripts["role"] == "therapist").sum()
    assert coded.groupby("group")["fold"].nunique().max() == 1  # a video in one fold only
    assert sorted(coded["fold"].unique()) == [0, 1, 2]
    table = session_table(coded)
    assert list(table.columns) == [*FEATURE_NAMES, "high", "group", "fold"]
    assert table["high"].tolist() == [0 if t % 4 == 3 else 1 for t in range(12)]
    path = train_quality(tiny_annomi, tmp_path / "m", coders_dir=tmp_path / "m", n_splits=3)
    loaded = read_quality_model(path)
    assert loaded.meta["training"]["n_transcripts"] == 12
    assert loaded.meta["training"]["n_low"] == 3
    assert {"auc", "accuracy", "brier", "baseline"} <= set(loaded.meta["cv"])


def test_one_quality_class_is_an_error(tiny_annomi):
    path = tiny_annomi / "AnnoMI-simple.csv"
    simple = pd.read_csv(path, dtype=str, keep_default_na=False)
    simple.assign(mi_quality="high").to_csv(path, index=False)
    with pytest.raises(InputError, match="has only high-quality transcripts"):
        cross_fitted_codes(tiny_annomi, n_splits=2)


def test_word_model_cross_validation_is_grouped_and_reproducible():
    a = cross_validate_words(default_annomi_dir(), n_splits=3)
    b = cross_validate_words(default_annomi_dir(), n_splits=3)
    assert a["auc"] == b["auc"] and a["n_splits"] == 3
    assert 0.5 < a["auc"] <= 1 and a["brier"] < a["baseline"]["brier"]
    assert np.isfinite(a["predicted"]).all()


def test_train_word_quality_writes_a_model_that_reads_back(tmp_path):
    path = train_word_quality(default_annomi_dir(), tmp_path / "m", n_splits=3)
    back = read_quality_model(path)
    assert isinstance(back.model, WordQualityModel)
    assert back.meta["cv"]["n_splits"] == 3 and "external" not in back.meta
    text = ["it sounds like you want a change, what would help"]
    shipped = load_quality_model().model
    assert back.model.vocabulary_.tolist() == shipped.vocabulary_.tolist()
    assert back.model.predict_proba(text).shape == (1, 2)
