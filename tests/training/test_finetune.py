"""Fine-tuning and ONNX export, end to end, with a tiny BERT built here (no downloaded weights)."""

import json

import numpy as np
import pandas as pd
import pytest
from tokenizer_fixture import VOCAB, small_tokenizer

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("onnx")

from attunement.coding.neural import read_transformer  # noqa: E402
from attunement.training.finetune import (  # noqa: E402
    FinetuneConfig,
    export_onnx,
    fit_multitask,
    predict_multitask,
)

QUESTIONS = ["how do you feel ?", "what brings you here today ?", "why not stop now ?"]
REFLECTIONS = ["you feel sad .", "it sounds hard .", "you are worried about it ."]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-bert")
    config = transformers.BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(folder)
    small_tokenizer().save(str(folder / "tokenizer.json"))
    return str(folder)


def tables(n=24):
    therapist = pd.DataFrame(
        {
            "text": (QUESTIONS + REFLECTIONS) * (n // 6),
            "context": "i drink a lot .",
            "label": (["question"] * 3 + ["reflection"] * 3) * (n // 6),
        }
    )
    client = pd.DataFrame(
        {
            "text": ["i want to stop .", "i don't want to stop ."] * (n // 2),
            "context": "what do you want ?",
            "label": ["change", "sustain"] * (n // 2),
        }
    )
    return {"behaviour": therapist, "talk": client}


@pytest.fixture(scope="module")
def fitted(tiny_base):
    config = FinetuneConfig(epochs=15, batch_size=8, learning_rate=3e-3, max_len=24, max_text=12)
    return fit_multitask(tables(), base=tiny_base, config=config, device="cpu")


def test_a_separable_task_is_learned(fitted):
    assert fitted.heads == {"behaviour": ["question", "reflection"], "talk": ["change", "sustain"]}
    found = predict_multitask(fitted, ["i drink ."] * 6, QUESTIONS + REFLECTIONS)
    assert found["behaviour"].argmax(axis=1).tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_allclose(found["talk"].sum(axis=1), 1.0, atol=1e-5)


def test_heads_keep_the_label_order_asked_for(tiny_base):
    config = FinetuneConfig(epochs=1, batch_size=8, max_len=24, max_text=12)
    labels = {"behaviour": ["reflection", "question"], "talk": ["sustain", "change"]}
    found = fit_multitask(tables(6), base=tiny_base, config=config, labels=labels, device="cpu")
    assert found.heads == labels


@pytest.mark.parametrize("quantize", [False, True])
def test_the_onnx_export_gives_what_torch_gives(fitted, tmp_path, quantize):
    export_onnx(fitted, tmp_path, quantize=quantize)
    meta = json.loads((tmp_path / "model.json").read_text())
    assert meta["heads"] == fitted.heads and meta["config"]["max_len"] == 24
    model = read_transformer(tmp_path)
    texts, contexts = QUESTIONS + REFLECTIONS, ["i feel sad ."] * 6
    onnx_found = model.predict_all(texts, contexts)
    torch_found = predict_multitask(fitted, contexts, texts)
    for task in fitted.heads:
        if quantize:  # int8 weights: close, same decisions
            np.testing.assert_allclose(onnx_found[task], torch_found[task], atol=0.1)
            assert (onnx_found[task].argmax(1) == torch_found[task].argmax(1)).all()
        else:
            np.testing.assert_allclose(onnx_found[task], torch_found[task], atol=1e-4)


def small_annomi(tmp_path):
    """Twelve AnnoMI transcripts (six of high, six of low MI quality) in a folder."""
    from attunement.io.corpora import default_annomi_dir

    folder = tmp_path / "annomi"
    folder.mkdir()
    for name in ("AnnoMI-simple.csv", "AnnoMI-full.csv"):
        table = pd.read_csv(default_annomi_dir() / name, dtype=str)
        quality = table.groupby("transcript_id")["mi_quality"].first()
        keep = [*quality[quality == "high"].index[:6], *quality[quality == "low"].index[:6]]
        table[table["transcript_id"].isin(keep)].to_csv(folder / name, index=False)
    return folder


@pytest.mark.parametrize("context", [0, 2])
def test_train_transformer_writes_a_coder_with_its_evaluation(tiny_base, tmp_path, context):
    from attunement.coding import code_utterances, resolve_coder
    from attunement.coding.quality import read_quality_model
    from attunement.training.transformer import train_transformer

    folder = small_annomi(tmp_path)
    lines = []
    config = FinetuneConfig(epochs=1, batch_size=32, max_len=24, max_text=12, context=context)
    target = train_transformer(
        folder, tmp_path / "coder", base=tiny_base, config=config, progress=lines.append
    )
    meta = json.loads(target.read_text())
    assert set(meta["evaluation"]["macro_f1"]) == {
        "therapist_behaviour", "reflection_type", "question_type", "client_talk"
    }  # fmt: skip
    evaluation = meta["evaluation"]
    assert all(0 <= v <= 1 for v in evaluation["macro_f1"].values())
    # scored as shipped (int8 ONNX), the PyTorch model's own scores beside them
    assert set(evaluation["macro_f1_fp32"]) == set(evaluation["macro_f1"])
    assert all(0 <= v <= 1 for v in evaluation["agreement"].values())
    assert evaluation["runtime"].startswith("int8 ONNX")
    assert ("session coded whole" in evaluation["runtime"]) == bool(context)
    assert (tmp_path / "coder" / "sequence.onnx").is_file() == bool(context)
    # the shipped export against its own PyTorch model, on each head's role
    quantization = meta["quantization"]
    assert set(quantization["agreement"]) == set(evaluation["macro_f1"])
    assert all(0 <= v <= 1 for v in quantization["agreement"].values())
    assert quantization["n"]["client_talk"] > 0
    assert any(line.startswith("fold 5/5 done") for line in lines)
    assert read_quality_model(tmp_path / "coder").meta["cv"]["n"] == 12
    coded = code_utterances(
        pd.DataFrame({"role": ["therapist", "client"], "text": ["How are you?", "Fine."]}),
        coder=resolve_coder(tmp_path / "coder"),
    )
    assert coded["mi_behaviour"].notna().tolist() == [True, False]


@pytest.mark.parametrize("content", [None, b"", b"\x00\x01binary", b'{"model_type": "bert"'])
def test_a_base_that_is_not_a_model_is_named(tmp_path, content):
    base = tmp_path / "base"
    if content is not None:
        base.mkdir()
        (base / "config.json").write_bytes(content)
    from attunement.errors import InputError

    found = "is not a folder" if content is None else "could not be loaded as a base model"
    with pytest.raises(InputError, match=rf"{base}: {found}"):
        fit_multitask(tables(6), base=str(base), device="cpu")


def test_without_pytorch_the_error_says_what_to_install(monkeypatch):
    import sys

    from attunement.errors import InputError

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(InputError, match=r"fine-tuning: needs PyTorch.*attunement\[train\]"):
        fit_multitask(tables(6), base="unused", device="cpu")


def test_train_transformer_cli_with_a_bad_base(tmp_path, run_cli):
    code, _, err = run_cli(
        "train", "--out", tmp_path / "m", "--no-quality", "--no-evaluate", "--transformer",
        "--base", tmp_path / "nowhere",
    )  # fmt: skip
    assert code == 1
    # a missing folder is refused at once, not taken for a hub name to fetch
    assert "nowhere: is not a folder; expected a local folder" in err and "Traceback" not in err


# --- session coders: each utterance read beside its neighbours --------------------------------
ANSWERS = {"question": "i want to stop .", "reflection": "i don't want to stop ."}


def sessions(n_sessions=16, triplets=4, seed=0):
    """Sessions in which a therapist's label shows only in the client's *next* utterance: the
    therapist always says the same after the same client turn, so a coder of pairs cannot tell
    the labels apart, and one that reads the neighbours can."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_sessions):
        for _ in range(triplets):
            label = str(rng.choice(list(ANSWERS)))
            rows += [
                (s, "client", "i drink a lot .", "so it is .", None),
                (s, "therapist", "so it is .", "i drink a lot .", label),
                (s, "client", ANSWERS[label], "so it is .", None),
            ]
    return pd.DataFrame(rows, columns=["session", "role", "text", "context", "therapist_behaviour"])


SESSION_LABELS = {"therapist_behaviour": ["question", "reflection"]}


@pytest.fixture(scope="module")
def session_coder(tiny_base):
    from attunement.training.finetune import fit_sessions

    config = FinetuneConfig(
        epochs=12, learning_rate=3e-3, max_len=24, max_text=12, context=2, context_width=16,
        window=9,
    )  # fmt: skip
    return fit_sessions(sessions(), SESSION_LABELS, base=tiny_base, config=config, device="cpu")


def _accuracy(probabilities, frame):
    rows = frame["therapist_behaviour"].notna().to_numpy()
    found = np.asarray(SESSION_LABELS["therapist_behaviour"])[probabilities[rows].argmax(1)]
    return float((found == frame["therapist_behaviour"][rows].to_numpy()).mean())


def test_a_session_coder_reads_the_next_utterance(session_coder):
    from attunement.training.finetune import predict_sessions

    test = sessions(seed=1)
    assert _accuracy(predict_sessions(session_coder, test)["therapist_behaviour"], test) == 1.0
    meta = session_coder.meta()
    assert meta["roles"] == ["therapist", "client"] and meta["config"]["context"] == 2


@pytest.mark.parametrize("quantize", [False, True])
def test_a_session_coder_exports_to_two_graphs(session_coder, tmp_path, quantize):
    from attunement.errors import InputError
    from attunement.training.finetune import predict_sessions
    from attunement.training.transformer import session_probabilities

    export_onnx(session_coder, tmp_path, quantize=quantize)
    assert (tmp_path / "sequence.onnx").is_file()
    model = read_transformer(tmp_path)
    assert model.reads_sessions
    test = sessions(n_sessions=3, seed=2)
    onnx_found = session_probabilities(model, test)["therapist_behaviour"]
    torch_found = predict_sessions(session_coder, test)["therapist_behaviour"]
    if quantize:
        assert (onnx_found.argmax(1) == torch_found.argmax(1)).all()
        np.testing.assert_allclose(onnx_found, torch_found, atol=0.1)
    else:
        np.testing.assert_allclose(onnx_found, torch_found, atol=1e-4)
    assert _accuracy(onnx_found, test) == 1.0
    with pytest.raises(InputError, match="is a session coder"):
        model.predict_all(["so it is ."], ["i drink a lot ."])


def test_a_session_coder_codes_a_transcript(session_coder, tmp_path):
    from attunement.coding import code_utterances
    from attunement.coding.artifact import Coders
    from attunement.errors import InputError

    export_onnx(session_coder, tmp_path)
    model = read_transformer(tmp_path)
    frame = pd.DataFrame(
        {
            "role": ["client", "therapist", "other", "client", "therapist", "client"],
            "text": ["i drink a lot .", "so it is .", "hello", ANSWERS["reflection"], "", "."],
        }
    )
    found = model.predict_session(frame["role"], frame["text"], ["", *frame["text"][:-1]])
    assert np.isnan(found["therapist_behaviour"][[2, 4]]).all()  # another role, no text: not coded
    assert np.isfinite(found["therapist_behaviour"][[0, 1, 3, 5]]).all()
    one = model.predict_session(["therapist"], ["so it is ."], [""])["therapist_behaviour"]
    assert one.shape == (1, 2) and np.isclose(one.sum(), 1.0)
    none = model.predict_session([], [], [])["therapist_behaviour"]
    assert none.shape == (0, 2)
    with pytest.raises(InputError, match="utterances: has 2 roles, 1 utterances"):
        model.predict_session(["client", "client"], ["i drink a lot ."], [""])
    coded = code_utterances(frame, coder=Coders(model.coders()))
    assert coded["mi_behaviour"].tolist()[1] == "reflection"
    assert coded["mi_behaviour"].isna().tolist() == [True, False, True, True, True, True]


def test_a_session_coder_without_its_sequence_graph(session_coder, tmp_path):
    from attunement.errors import InputError

    export_onnx(session_coder, tmp_path)
    (tmp_path / "sequence.onnx").unlink()
    with pytest.raises(InputError, match=r"sequence.onnx: was not found.*2 utterances on each"):
        read_transformer(tmp_path)
    (tmp_path / "sequence.onnx").write_bytes(b"\x00\x01 not a model")
    with pytest.raises(InputError, match=r"sequence.onnx: could not be loaded by ONNX Runtime"):
        read_transformer(tmp_path)
    (tmp_path / "sequence.onnx").write_bytes((tmp_path / "model.onnx").read_bytes())
    with pytest.raises(InputError, match=r"sequence.onnx: has no output p_therapist_behaviour"):
        read_transformer(tmp_path)


def test_session_rows_must_be_consecutive(tiny_base):
    from attunement.errors import InputError
    from attunement.training.finetune import fit_sessions

    frame = sessions(n_sessions=2, triplets=1)
    frame.loc[1, "session"] = 1  # session 0, 1, 0, 1, 1, 1
    with pytest.raises(
        ValueError, match="session: has a session whose utterances are not consecutive"
    ):
        fit_sessions(frame, SESSION_LABELS, base=tiny_base, config=FinetuneConfig(context=2))
    with pytest.raises(InputError, match="utterances: has no column therapist_behaviour"):
        fit_sessions(frame.drop(columns="therapist_behaviour"), SESSION_LABELS, base=tiny_base)
    with pytest.raises(InputError, match="context: is 3; expected a positive even"):
        fit_sessions(
            sessions(2, 1), SESSION_LABELS, base=tiny_base, config=FinetuneConfig(context=3)
        )
    with pytest.raises(InputError, match="context: is 2: a session coder"):
        fit_multitask(tables(6), base=tiny_base, config=FinetuneConfig(context=2), device="cpu")


@pytest.mark.parametrize(
    "command", [("train", "--transformer", "--out", "unused"), ("benchmark", "coding")]
)
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--context", "3"), "even"),
        (("--context", "-2"), "even"),
        (("--context", "0", "--context-heads", "client_talk"), "needs a session coder"),
        (("--context", "8", "--context-heads", "client_talk,talk"), "names talk; expected"),
        (("--context", "8", "--context-heads", ","), "names no task"),
        (("--fine-tune-seed", "-1"), "expected 0 or a positive whole number"),
        (("--context-dropout", "1.5"), "expected a share from 0 to 1"),
    ],
)
def test_context_options_are_checked(tmp_path, run_cli, command, args, says):
    code, _, err = run_cli(*command, *args)
    assert code == 2 and says in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "context", "heads", "seed"),
    [
        ((), 8, ("therapist_behaviour", "client_talk"), 0),
        (("--context", "4"), 4, ("therapist_behaviour", "client_talk"), 0),
        (("--context-heads", "all"), 8, None, 0),
        (("--context", "0", "--fine-tune-seed", "1"), 0, None, 1),
    ],
)
def test_the_options_replace_only_their_own_setting(
    run_cli, monkeypatch, args, context, heads, seed
):
    import attunement.benchmarks.coding as bench

    seen = {}

    def fake(annomi, **kwargs):
        seen.update(kwargs)
        return pd.DataFrame({"measure": ["x"], "value": [1.0]})

    monkeypatch.setattr(bench, "run_coding_benchmark", fake)
    code, _, err = run_cli("benchmark", "coding", "--no-quality", "--transformer-cv", *args)
    assert code == 0, err
    config = seen["transformer_config"]
    assert (config.context, config.context_heads, config.seed) == (context, heads, seed)


def test_training_reproduces_the_shipped_coder_settings():
    from dataclasses import asdict

    from attunement.coding.neural import read_transformer, transformer_model_dir
    from attunement.training.transformer import shipped_config

    shipped = {
        "context_dropout": 0.0,
        **read_transformer(transformer_model_dir()).meta["config"],
    }  # option added later
    for name, value in asdict(shipped_config()).items():
        assert shipped[name] == (list(value) if isinstance(value, tuple) else value), name


def test_context_dropout_reaches_the_config(run_cli, monkeypatch):
    import attunement.benchmarks.coding as bench

    seen = {}

    def fake(annomi, **kwargs):
        seen.update(kwargs)
        return pd.DataFrame({"measure": ["x"], "value": [1.0]})

    monkeypatch.setattr(bench, "run_coding_benchmark", fake)
    args = ("benchmark", "coding", "--no-quality", "--transformer-cv", "--context-dropout", "0.5")
    code, _, err = run_cli(*args)
    assert code == 0, err
    assert seen["transformer_config"].context_dropout == 0.5


def test_context_dropout_mixes_pairs_with_utterances_alone(tiny_base):
    from attunement.coding.tokens import encode_pairs
    from attunement.training.finetune import _load_base, _torch, _with_dropout

    tokenizer, _ = _load_base(_torch(), tiny_base)
    texts, contexts = ["i drink ."] * 40, ["why ?"] * 40
    paired = encode_pairs(tokenizer, contexts, texts, max_len=24, max_text=12)
    alone = encode_pairs(tokenizer, [""] * 40, texts, max_len=24, max_text=12)
    rows = np.arange(40)
    rng = np.random.default_rng(0)
    none = _with_dropout(paired, alone, rows, 0.0, rng)
    assert (none["input_ids"] == paired.batch(rows)["input_ids"]).all()
    every = _with_dropout(paired, alone, rows, 1.0, rng)
    assert (every["input_ids"] == alone.batch(rows)["input_ids"]).all()
    half = _with_dropout(paired, alone, rows, 0.5, rng)
    lengths = half["attention_mask"].sum(axis=1)
    assert set(lengths.tolist()) == {len(paired.ids[0]), len(alone.ids[0])}


@pytest.mark.parametrize("context", [0, 2])
def test_a_coder_trains_with_context_dropout(tiny_base, context):
    from attunement.errors import InputError
    from attunement.training.finetune import fit_sessions

    config = FinetuneConfig(
        epochs=1, batch_size=8, max_len=24, max_text=12, context=context, context_dropout=0.5
    )
    if context:
        fitted = fit_sessions(
            sessions(4, 2), SESSION_LABELS, base=tiny_base, config=config, device="cpu"
        )
    else:
        fitted = fit_multitask(tables(8), base=tiny_base, config=config, device="cpu")
    assert fitted.config.context_dropout == 0.5
    with pytest.raises(InputError, match="expected a share from 0 to 1"):
        fit_multitask(
            tables(8), base=tiny_base, config=FinetuneConfig(context_dropout=2), device="cpu"
        )


def test_the_benchmark_gets_the_session_coder_asked_for(run_cli, monkeypatch):
    import attunement.benchmarks.coding as bench

    seen = {}

    def fake(annomi, **kwargs):
        seen.update(kwargs)
        return pd.DataFrame({"measure": ["x"], "value": [1.0]})

    monkeypatch.setattr(bench, "run_coding_benchmark", fake)
    code, _, err = run_cli(
        "benchmark", "coding", "--no-quality", "--transformer-cv", "--context", "8",
        "--context-heads", "therapist_behaviour, client_talk", "--base", "somewhere",
    )  # fmt: skip
    assert code == 0, err
    config = seen["transformer_config"]
    assert config.context == 8 and config.context_heads == ("therapist_behaviour", "client_talk")
    assert config.max_len == 64 and seen["transformer_base"] == "somewhere"


def test_a_session_coder_says_so_in_the_methods(session_coder, tmp_path):
    from attunement.coding.apply import coding_method

    export_onnx(session_coder, tmp_path)
    text = coding_method(tmp_path)["description"]
    assert "all codes also read the 2 utterances before and after it" in text
    shipped = coding_method()["description"]
    assert (
        "therapist behaviour and client talk type codes also read the 8 utterances "
        "before and after it in the session" in shipped
    )


def test_only_the_heads_asked_for_read_the_neighbours(tiny_base, tmp_path):
    from attunement.errors import InputError
    from attunement.training.finetune import fit_sessions, predict_sessions

    frame = sessions()
    frame["client_talk"] = frame["text"].map(
        {ANSWERS["question"]: "change", ANSWERS["reflection"]: "sustain"}
    )
    labels = {**SESSION_LABELS, "client_talk": ["change", "sustain"]}
    config = FinetuneConfig(
        epochs=12, learning_rate=3e-3, max_len=24, max_text=12, context=2, context_width=16,
        window=9, context_heads=("therapist_behaviour",),
    )  # fmt: skip
    fitted = fit_sessions(frame, labels, base=tiny_base, config=config, device="cpu")
    hidden = fitted.module.encoder.config.hidden_size
    assert [h.in_features for h in fitted.module.heads] == [hidden + 16, hidden]
    test = sessions(seed=1)
    found = predict_sessions(fitted, test)
    assert _accuracy(found["therapist_behaviour"], test) == 1.0
    client = test["text"].isin(list(ANSWERS.values())).to_numpy()
    expected = (test["text"][client] == ANSWERS["reflection"]).astype(int).to_numpy()
    assert (found["client_talk"][client].argmax(1) == expected).all()
    export_onnx(fitted, tmp_path, quantize=False)
    from attunement.training.transformer import session_probabilities

    exported = session_probabilities(read_transformer(tmp_path), test)
    for task in labels:
        np.testing.assert_allclose(exported[task], found[task], atol=1e-4)
    with pytest.raises(InputError, match=r"context_heads: names \['talk'\]"):
        fit_sessions(
            frame, labels, base=tiny_base, config=FinetuneConfig(context=2, context_heads=("talk",))
        )


def test_the_benchmark_cross_validates_a_session_coder(tiny_base, tmp_path):
    from attunement.benchmarks.coding import run_coding_benchmark

    config = FinetuneConfig(epochs=1, max_len=24, max_text=12, context=2)
    table = run_coding_benchmark(
        small_annomi(tmp_path),
        session_size=20,
        repeats=1,
        transformer_cv=True,
        transformer_config=config,
        transformer_base=tiny_base,
    ).set_index("measure")
    row = table.loc["macro_f1 client_talk (transformer)"]
    assert 0 <= row["value"] <= 1
    assert "measured now" in row["note"] and "session coder reading 2 utterances" in row["note"]


@pytest.fixture(scope="module")
def pair_coder(fitted, tmp_path_factory):
    """``fitted`` exported as shipped (int8 ONNX): a pair coder, which codes each (context,
    utterance) pair alone."""
    folder = tmp_path_factory.mktemp("pair-coder")
    export_onnx(fitted, folder)
    return read_transformer(folder)


def test_a_pair_coder_remembers_only_within_a_block(pair_coder):
    texts = ["you feel sad .", "how do you feel ?", "you feel sad ."]
    contexts = ["i drink a lot .", "", "i drink a lot ."]
    with pair_coder.remembering():
        first = pair_coder.predict_all(texts, contexts)
        again = pair_coder.predict_all(texts[1:], contexts[1:])
        assert pair_coder._local.cache  # what was coded is remembered ...
    assert pair_coder._local.cache is None  # ... only inside the block
    for task in first:
        np.testing.assert_array_equal(first[task][0], first[task][2])
        np.testing.assert_array_equal(again[task], first[task][1:])


def test_a_pair_codes_the_same_whatever_is_coded_beside_it(pair_coder):
    # int8 activations are scaled per ONNX Runtime call, so pairs are coded one at a time
    texts = ["so .", "it sounds hard , and you are worried about it , and you feel sad .", "ok ."]
    together = pair_coder.predict_all(texts, [""] * 3)
    for i, text in enumerate(texts):
        alone = pair_coder.predict_all([text], [""])
        for task in together:
            np.testing.assert_array_equal(alone[task][0], together[task][i])
    by_session = pair_coder.predict_session(["therapist"] * 3, texts, [""] * 3)
    for task in together:
        np.testing.assert_array_equal(by_session[task], together[task])
