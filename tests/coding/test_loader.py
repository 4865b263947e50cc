from pathlib import Path

import numpy as np
import pytest

from attunement.coding.artifact import default_model_dir, epitome_model_dir, save_coders
from attunement.coding.estimator import TextCoder
from attunement.coding.loader import coder_dir, coder_kind, resolve_coder
from attunement.coding.neural import transformer_model_dir
from attunement.errors import InputError

TEXTS = ["How are you?", "What happened?", "You feel sad.", "You are worried."] * 3
LABELS = ["question", "question", "reflection", "reflection"] * 3


@pytest.fixture
def saved(tmp_path):
    coder = TextCoder().fit(TEXTS, LABELS, ["I am sad."] * 12)
    save_coders({"therapist_behaviour": coder}, tmp_path)
    return tmp_path, coder


def test_resolve_coder_caches_per_folder(saved):
    folder, _ = saved
    assert resolve_coder(folder) is resolve_coder(str(folder))
    assert resolve_coder("ngram") is resolve_coder(default_model_dir())
    assert resolve_coder() is resolve_coder("transformer")
    assert resolve_coder(" ngram ") is resolve_coder("ngram")


def test_uncached_reads_the_folder_again(saved):
    folder, _ = saved
    first = resolve_coder(folder)
    assert resolve_coder(folder, cached=False) is not first
    other = TextCoder().fit(TEXTS, LABELS[::-1], ["I am sad."] * 12)
    save_coders({"therapist_behaviour": other}, folder)
    fresh = resolve_coder(folder, cached=False).coders["therapist_behaviour"]
    np.testing.assert_array_equal(fresh.predict_proba(TEXTS), other.predict_proba(TEXTS))
    assert resolve_coder(folder) is first  # the cached one stays what it was


def test_kinds_are_told_apart_by_the_files(saved):
    folder, _ = saved
    assert resolve_coder(folder).meta["kind"] == "ngram"
    assert resolve_coder(transformer_model_dir()).meta["kind"] == "transformer"
    assert resolve_coder(epitome_model_dir()).meta["kind"] == "epitome"


def test_the_library_never_reads_the_environment(monkeypatch):
    monkeypatch.setenv("ATTUNEMENT_CODER", "ngram")
    assert coder_kind() == "transformer"
    assert resolve_coder().meta["kind"] == "transformer"
    assert coder_dir() == transformer_model_dir()


def test_specs_name_the_shipped_folders(tmp_path):
    assert coder_dir("ngram") == default_model_dir()
    assert coder_dir("epitome") == epitome_model_dir()
    assert coder_dir(tmp_path) == Path(tmp_path)


def test_a_folder_without_a_coder_is_refused_naming_the_file(tmp_path):
    with pytest.raises(InputError, match=r"annomi_coders\.json: was not found"):
        resolve_coder(tmp_path)
