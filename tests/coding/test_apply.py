import math
import re

import numpy as np
import pandas as pd
import pytest

from attunement.coding import (
    CODE_COLUMNS,
    METHOD,
    code_utterances,
    coding_method,
    load_coder,
    session_codes,
)
from attunement.coding.apply import MAX_CHARS
from attunement.errors import AttunementWarning, InputError
from attunement.model import Session, Utterance

THERAPIST_CODES = ["mi_behaviour", "p_reflection", "p_question", "p_therapist_input", "p_other"]
CLIENT_CODES = ["client_talk", "p_change", "p_neutral", "p_sustain"]


def frame(*rows):
    utterances = [
        Utterance(i, role.title(), role, None, None, text) for i, (role, text) in enumerate(rows)
    ]
    return Session("s", tuple(utterances)).utterances_frame()


def test_known_answers():
    coded = code_utterances(
        frame(
            ("therapist", "What brings you here today?"),
            ("client", "My wife says I drink too much, and I guess I do."),
            ("therapist", "You feel torn about drinking."),
        )
    ).set_index("index")
    assert coded.loc[0, "mi_behaviour"] == "question"
    assert coded.loc[0, "p_question"] > 0.6
    assert coded.loc[0, "question_type"] == "open"
    assert coded.loc[0, "p_open"] > 0.6
    assert coded.loc[2, "mi_behaviour"] == "reflection"


def test_clear_change_talk():
    coded = code_utterances(
        frame(("therapist", "What brings you here today?"), ("client", "I want to stop drinking."))
    )
    assert coded.loc[1, "client_talk"] == "change"
    assert coded.loc[1, "p_change"] > 0.5


@pytest.mark.xfail(
    strict=True,
    reason="known gap: both client-talk coders (CV macro-F1 0.51 n-gram, 0.54 transformer) read "
    "'I really want to quit' after a reflection of ambivalence as sustain talk; the n-gram coder "
    "does not model negation, the transformer leans on the therapist's 'torn'",
)
@pytest.mark.parametrize("kind", ["ngram", "transformer"])
def test_known_change_talk_the_coders_miss(kind):
    coded = code_utterances(
        frame(
            ("therapist", "You feel torn about drinking."),
            ("client", "I really want to quit."),
        ),
        coder=load_coder(kind),
    )
    assert coded.loc[1, "client_talk"] == "change"


@pytest.mark.xfail(
    strict=True,
    reason="known gap: the session coder (the default transformer) reads 'I don't want to quit' "
    "after the client's own 'I really want to quit' as change talk (p 0.64; the previous pair "
    "coder read it as sustain). In AnnoMI a client's 'I don't want to ...' is mostly change talk "
    "(to lose her, to overdose) and sustain talk seldom follows change talk (69 of 4,817), where "
    "the session coder is as right as the pair coder was (36% vs 35%, cross-validated)",
)
def test_the_transformer_reads_negation():
    coder = load_coder("transformer")
    coded = code_utterances(
        frame(
            ("therapist", "What would you like to do about your drinking?"),
            ("client", "I really want to quit."),
            ("therapist", "Why not stop now?"),
            ("client", "I don't want to quit."),
        ),
        coder=coder,
    )
    assert coded["client_talk"].tolist()[1::2] == ["change", "sustain"]


def test_columns_and_where_they_are_empty():
    src = frame(
        ("therapist", "What brings you here today?"),
        ("client", "I really want to quit."),
        ("other", "Someone knocks."),
        ("therapist", "You feel torn about drinking."),
        ("therapist", "   "),
    )
    coded = code_utterances(src)
    assert list(coded.columns) == [*src.columns, *CODE_COLUMNS]
    pd.testing.assert_frame_equal(coded[src.columns], src)
    role = coded["role"]
    ther, client = role == "therapist", role == "client"
    assert coded.loc[~ther, THERAPIST_CODES].isna().all().all()
    assert coded.loc[~client, CLIENT_CODES].isna().all().all()
    assert coded.loc[ther & (coded["text"].str.strip() != ""), THERAPIST_CODES].notna().all().all()
    assert coded.loc[4, THERAPIST_CODES].isna().all()  # empty utterance: not coded
    np.testing.assert_allclose(coded.loc[[0, 3], THERAPIST_CODES[1:]].sum(axis=1), 1.0)
    is_refl = coded["mi_behaviour"] == "reflection"
    assert coded.loc[~is_refl, ["reflection_type", "p_complex"]].isna().all().all()
    assert coded.loc[is_refl, ["reflection_type", "p_complex"]].notna().all().all()
    is_q = coded["mi_behaviour"] == "question"
    assert coded.loc[~is_q, ["question_type", "p_open"]].isna().all().all()
    assert coded.loc[is_q, ["question_type", "p_open"]].notna().all().all()


def test_empty_table_and_one_speaker():
    empty = code_utterances(frame())
    assert list(empty.columns)[-len(CODE_COLUMNS) :] == list(CODE_COLUMNS)
    assert empty.empty
    only_client = code_utterances(frame(("client", "I want to stop."), ("client", "Really.")))
    assert only_client["mi_behaviour"].isna().all()
    assert only_client["client_talk"].notna().all()


def test_long_utterance_is_cut_with_a_warning():
    with pytest.warns(AttunementWarning, match=f"longer than {MAX_CHARS} characters were cut"):
        coded = code_utterances(frame(("therapist", "How are you? " * 400)))
    assert coded.loc[0, "text"].startswith("How are you?")  # the table keeps the full text
    assert len(coded.loc[0, "text"]) > MAX_CHARS


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ([("therapist", "Hi")], "expected a DataFrame"),
        (pd.DataFrame({"role": ["therapist"]}), "has no column text"),
    ],
)
def test_bad_utterances(value, match):
    with pytest.raises(InputError, match=match):
        code_utterances(value)


def codes(behaviours=(), reflection=(), question=(), client=(), scores=None):
    n = max(len(behaviours), len(reflection), len(question), len(client), 1)

    def pad(values):
        return [*values, *[None] * (n - len(values))]

    return pd.DataFrame(
        {
            "mi_behaviour": pad(behaviours),
            "reflection_type": pad(reflection),
            "question_type": pad(question),
            "client_talk": pad(client),
            **{f"{m}_score": pad(v) for m, v in (scores or {}).items()},
        }
    )


EMPATHY = {"empathy_emotional_reactions", "empathy_interpretations", "empathy_explorations"}


def test_session_metrics_known_values():
    found = session_codes(
        codes(
            behaviours=["reflection", "reflection", "question", "other"],
            reflection=["complex", "simple"],
            question=[None, None, "closed"],
            client=["change", "sustain", "change", "neutral"],
            scores={"er": [2.0, 1.0, None, 0.0], "ip": [0.5, None, None, None], "ex": []},
        )
    )
    assert found == {
        "reflection_to_question_ratio": 2.0,
        "percent_complex_reflections": 50.0,
        "percent_open_questions": 0.0,
        "change_talk_share": pytest.approx(2 / 3),
        "empathy_emotional_reactions": 1.0,
        "empathy_interpretations": 0.5,
        "empathy_explorations": None,
    }


@pytest.mark.parametrize(
    ("table", "undefined"),
    [
        (codes(), {"reflection_to_question_ratio", "percent_complex_reflections",
                   "percent_open_questions", "change_talk_share", *EMPATHY}),
        (codes(behaviours=["reflection"], reflection=["simple"], client=["neutral"],
               scores={"er": [0.2], "ip": [1.0], "ex": [2.0]}),
         {"reflection_to_question_ratio", "percent_open_questions", "change_talk_share"}),
        (codes(behaviours=["question"], question=["open"], client=["sustain"]),
         {"percent_complex_reflections", *EMPATHY}),
    ],
)  # fmt: skip
def test_session_metrics_none_where_undefined(table, undefined):
    found = session_codes(table)
    assert {k for k, v in found.items() if v is None} == undefined
    assert all(v is None or math.isfinite(v) for v in found.values())


def test_session_metrics_need_the_code_columns():
    with pytest.raises(InputError, match="has no column mi_behaviour"):
        session_codes(pd.DataFrame({"text": ["hi"]}))


def test_method_names_the_coder_and_its_score():
    assert METHOD["name"] == "utterance_coding"
    assert "transformer" in METHOD["description"] and "AnnoMI" in METHOD["description"]
    assert "Macro-F1" in METHOD["description"]
    assert "AnnoMI" in METHOD["citation"] and METHOD["parameters"]["coder"] == "transformer"
    ngram = coding_method("ngram")
    assert "TF-IDF" in ngram["description"] and "Macro-F1" in ngram["description"]
    assert ngram["parameters"]["coder"] == "ngram"


# --- EPITOME empathy columns ------------------------------------------------------------------

EMPATHY_COLUMNS = ["er_level", "ip_level", "ex_level", "er_score", "ip_score", "ex_score"]


def test_empathy_columns_order_and_where_they_are_empty():
    assert list(CODE_COLUMNS[-6:]) == EMPATHY_COLUMNS
    coded = code_utterances(
        frame(
            ("client", "I lost my job and I feel worthless."),
            ("therapist", "I'm so sorry you're going through this. Sending hugs."),
            ("other", "Someone knocks."),
            ("therapist", "What do you think makes you feel so worthless?"),
            ("therapist", "  "),
        )
    )
    for m in ("er", "ip", "ex"):
        assert coded[f"{m}_level"].dtype == "Int64"
        assert coded[f"{m}_score"].dtype == float
    assert coded.loc[[0, 2, 4], EMPATHY_COLUMNS].isna().all().all()
    therapist = coded.loc[[1, 3], EMPATHY_COLUMNS]
    assert therapist.notna().all().all()
    assert set(therapist[["er_level", "ip_level", "ex_level"]].to_numpy().ravel()) <= {0, 1, 2}
    scores = therapist[["er_score", "ip_score", "ex_score"]].to_numpy()
    assert ((scores >= 0) & (scores <= 2)).all()


def test_shipped_empathy_model_known_answers():
    coded = code_utterances(
        frame(
            ("client", "I lost my job and I feel worthless."),
            ("therapist", "I'm so sorry you're going through this. Sending hugs."),
            ("therapist", "What do you think makes you feel so worthless?"),
            ("therapist", "Okay."),
        )
    )
    assert coded.loc[1, "er_level"] == 2
    assert coded.loc[2, "ex_level"] == 2
    assert coded.loc[1, "er_score"] > coded.loc[3, "er_score"] + 1
    assert coded.loc[2, "ex_score"] > coded.loc[3, "ex_score"] + 1


def _context_only_empathy():
    from attunement.coding.artifact import Coders
    from attunement.coding.estimator import TextCoder

    contexts = ["I feel so lonely.", "The weather is fine."] * 6
    coder = TextCoder(max_word_features=0, max_char_features=0).fit(
        ["Right."] * 12, ["2", "0"] * 6, contexts
    )
    return Coders({"er": coder, "ip": coder, "ex": coder})


def test_empathy_reads_the_clients_preceding_turn_as_the_seeker_post():
    coded = code_utterances(
        frame(
            ("therapist", "Right."),
            ("client", "I feel so lonely."),
            ("therapist", "Right."),
            ("client", "The weather is fine."),
            ("therapist", "Right."),
        ),
        empathy=_context_only_empathy(),
    )
    assert coded.loc[[2, 4], "er_level"].tolist() == [2, 0]
    assert coded.loc[2, "ex_score"] > 1.5 > 0.5 > coded.loc[4, "ex_score"]
    found = session_codes(coded)
    expected = coded.loc[[0, 2, 4], "er_score"].mean()
    assert found["empathy_emotional_reactions"] == pytest.approx(expected)


def test_empathy_model_not_installed_leaves_the_columns_empty(tmp_path, monkeypatch):
    import attunement.coding.apply as apply

    monkeypatch.setattr(apply, "epitome_model_dir", lambda: tmp_path / "epitome")
    with pytest.warns(AttunementWarning, match="EPITOME empathy model is not installed"):
        coded = code_utterances(frame(("client", "Hi."), ("therapist", "How are you?")))
    assert coded[EMPATHY_COLUMNS].isna().all().all()
    assert coded.loc[1, "mi_behaviour"] == "question"
    assert session_codes(coded)["empathy_explorations"] is None


def test_method_names_the_epitome_model_and_its_license():
    assert "EPITOME" in METHOD["description"]
    assert "non-commercial academic research license" in METHOD["description"]
    assert "not under attunement's MIT license" in METHOD["description"]
    assert "Sharma, Miner, Atkins & Althoff" in METHOD["citation"]
    assert "epitome_coders" in METHOD["licenses"]
    assert re.search(r"ER 0\.\d\d ± 0\.\d\d", METHOD["description"])


SPANISH = [
    "Hola, ¿cómo estás hoy? ¿Qué te trae por aquí esta semana?",
    "Bueno, la verdad es que no he dormido bien. Me siento muy cansada y no sé qué hacer.",
    "¿Qué te gustaría cambiar en tu vida en las próximas semanas?",
    "Quiero dejar de beber, pero es difícil para mí, sobre todo los fines de semana.",
]


def test_a_transcript_in_another_language_gets_a_warning():
    frame = pd.DataFrame({"role": ["therapist", "client"] * 2, "text": SPANISH})
    with pytest.warns(AttunementWarning, match="trained on English only"):
        code_utterances(frame)


def test_an_english_transcript_gets_no_language_warning(recwarn):
    english = [
        "Hello, how are you today? What brings you here this week?",
        "Well, to be honest I have not slept well. I feel very tired and I do not know what to do.",
        "What would you like to change in your life over the next few weeks?",
        "I want to stop drinking, but it is hard for me, especially at the weekends.",
    ]
    code_utterances(pd.DataFrame({"role": ["therapist", "client"] * 2, "text": english}))
    assert not [w for w in recwarn if "English" in str(w.message)]
