"""The shipped transformer coder, read by ONNX Runtime."""

import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from attunement.coding import code_utterances, resolve_coder
from attunement.coding.apply import MAX_CHARS
from attunement.coding.neural import read_transformer, transformer_model_dir
from attunement.errors import AttunementWarning, InputError


def load_transformer():
    """The shipped transformer, as the cached coder holds it."""
    return resolve_coder("transformer").coders["therapist_behaviour"].model


HEADS = {
    "therapist_behaviour": ["reflection", "question", "therapist_input", "other"],
    "reflection_type": ["simple", "complex"],
    "question_type": ["open", "closed"],
    "client_talk": ["change", "neutral", "sustain"],
}


def test_shipped_model_is_complete_and_small():
    folder = transformer_model_dir()
    assert {p.name for p in folder.iterdir()} >= {
        "model.onnx", "sequence.onnx", "model.json", "tokenizer.json", "NOTICE", "domain.json"
    }  # fmt: skip
    # the MI-quality model reads words, not codes: one for every coder, beside the n-gram ones
    assert not (folder / "mi_quality.json").exists()
    assert (folder / "model.onnx").stat().st_size < 30 * 2**20
    meta = load_transformer().meta
    assert meta["heads"] == HEADS
    assert "Apache" in (folder / "NOTICE").read_text()
    assert set(meta["evaluation"]["macro_f1"]) == set(HEADS)


def test_loaded_once_per_process():
    assert load_transformer() is resolve_coder(transformer_model_dir()).coders["client_talk"].model


SESSION = [
    ("therapist", "", "What brings you here today?"),
    ("client", "What brings you here today?", "I feel like nobody listens to me."),
    (
        "therapist",
        "I feel like nobody listens to me.",
        "It sounds like you feel really alone with this.",
    ),
    ("client", "It sounds like you feel really alone with this.", "My wife says I drink too much."),
    (
        "therapist",
        "My wife says I drink too much.",
        "You should try cutting down to two drinks a day.",
    ),
    ("client", "What would you like to do about your drinking?", "I really want to quit."),
]


def test_known_answers():
    model = load_transformer()
    assert model.reads_sessions  # the shipped coder reads each utterance beside its neighbours
    roles, contexts, texts = (list(column) for column in zip(*SESSION, strict=True))
    found = model.predict_session(roles, texts, contexts)
    label = {t: np.asarray(v)[np.nan_to_num(found[t]).argmax(axis=1)] for t, v in HEADS.items()}
    assert label["therapist_behaviour"][[0, 2, 4]].tolist() == [
        "question",
        "reflection",
        "therapist_input",
    ]
    assert label["question_type"][0] == "open"
    assert label["client_talk"][5] == "change"
    for probs in found.values():  # every head codes every utterance of either role
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_a_session_codes_the_same_whatever_was_coded_before():
    frame = pd.DataFrame(
        {"role": ["client", "therapist"], "text": ["I drink a lot.", "You drink a lot."]}
    )
    coder = resolve_coder("transformer")
    alone = code_utterances(frame, coder=coder)
    code_utterances(pd.concat([frame] * 20, ignore_index=True), coder=coder)
    pd.testing.assert_frame_equal(code_utterances(frame, coder=coder), alone)


def test_code_utterances_with_the_transformer_fills_every_column():
    frame = pd.DataFrame(
        {
            "role": ["therapist", "client", "therapist", "client", "other"],
            "text": ["How are you?", "", "You feel tired.", "x" * (MAX_CHARS + 10), "Hi"],
        }
    )
    with pytest.warns(AttunementWarning, match="longer than"):
        coded = code_utterances(frame, coder=resolve_coder("transformer"))
    assert coded["mi_behaviour"].tolist()[0] == "question"
    assert coded["client_talk"].isna().tolist() == [True, True, True, False, True]
    assert coded.loc[4].filter(like="p_").isna().all()


def copy_model(tmp_path):
    target = tmp_path / "coder"
    shutil.copytree(transformer_model_dir(), target)
    return target


@pytest.mark.parametrize("missing", ["model.onnx", "model.json", "tokenizer.json"])
def test_a_missing_file_is_named(tmp_path, missing):
    folder = copy_model(tmp_path)
    (folder / missing).unlink()
    with pytest.raises(InputError, match=rf"{missing}: was not found; expected a transformer"):
        read_transformer(folder)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("model.onnx", b"\x00\x01 not a model", r"model\.onnx: could not be loaded by ONNX"),
        ("model.onnx", b"", r"model\.onnx: could not be loaded by ONNX"),
        ("tokenizer.json", b'{"truncated": ', r"tokenizer\.json: could not be read"),
        ("model.json", b"\xff\xfe binary", r"model\.json: could not be read"),
        ("model.json", b'{"heads": {}}', r"model\.json: could not be read"),
    ],
)
def test_a_damaged_file_is_named(tmp_path, name, content, match):
    folder = copy_model(tmp_path)
    (folder / name).write_bytes(content)
    with pytest.raises(InputError, match=match):
        read_transformer(folder)


def test_a_head_the_model_does_not_have(tmp_path):
    folder = copy_model(tmp_path)
    meta = json.loads((folder / "model.json").read_text())
    meta["heads"]["empathy"] = ["0", "1"]
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match=r"has no output p_empathy"):
        read_transformer(folder)


def test_threads_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ATTUNEMENT_THREADS", "many")
    with pytest.raises(InputError, match=r"ATTUNEMENT_THREADS: is 'many'"):
        read_transformer(transformer_model_dir())
    monkeypatch.setenv("ATTUNEMENT_THREADS", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = read_transformer(transformer_model_dir())
    found = model.predict_session(["therapist"], ["Why?"], [""])
    assert found["question_type"].shape == (1, 2)


def test_mismatched_lengths():
    with pytest.raises(InputError, match="1 contexts for 2 utterances"):
        load_transformer().predict_all(["a", "b"], ["c"])


def test_calls_side_by_side_give_the_same_numbers(monkeypatch):
    texts = ["Why now?", "You feel torn.", "I want to stop.", "Tell me more.", "Okay."] * 3
    contexts = ["", "I drink.", "What do you want?", "It is hard.", "Fine."] * 3
    roles = ["therapist", "therapist", "client", "therapist", "client"] * 3
    found = {}
    for threads in ("1", "3"):
        monkeypatch.setenv("ATTUNEMENT_THREADS", threads)
        model = read_transformer(transformer_model_dir())
        assert model.threads == int(threads)
        found[threads] = model.predict_session(roles, texts, contexts)
    for task, values in found["1"].items():
        np.testing.assert_array_equal(found["3"][task], values)
