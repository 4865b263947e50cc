import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ratings_fixture import TINY

from attunement.errors import InputError
from attunement.ratings import (
    RaisedFlag,
    ScoredResponse,
    builtin_questionnaires,
    clean_text,
    parse_questionnaire,
    score_responses,
)

QS = builtin_questionnaires()
PHQ9, GAD7 = QS["phq9"], QS["gad7"]
CLIENT, THERAPIST = QS["client_session"], QS["therapist_reflection"]


def with_total(n_items, total, *, last=0):
    """Form answers (text) for items 1..n: the last item is ``last``, the others sum to the rest."""
    rest = total - last
    out = {}
    for i in range(1, n_items):
        out[f"item{i}"] = str(min(3, rest))
        rest -= min(3, rest)
    if rest:
        raise ValueError("total too large for the items")
    out[f"item{n_items}"] = str(last)
    return out


# --- PHQ-9 -------------------------------------------------------------------------------------


def test_phq9_all_zero_is_minimal_without_flags():
    r = score_responses(PHQ9, with_total(9, 0))
    assert (r.total, r.band, r.flags, r.total_range) == (0, "minimal", (), (0, 27))
    assert r.unanswered == ()  # the difficulty question is not asked without a problem


def test_phq9_all_three_is_severe_and_flags_item9():
    r = score_responses(PHQ9, {f"item{i}": "3" for i in range(1, 10)} | {"difficulty": "3"})
    assert (r.total, r.band) == (27, "severe")
    assert r.answers["difficulty"] == 3
    [flag] = r.flags
    assert flag == RaisedFlag("item9", 3, PHQ9.flags[0].message)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (24, "severe"),
    ],
)
def test_phq9_band_boundaries(total, band):
    r = score_responses(PHQ9, with_total(9, total))
    assert (r.total, r.band, r.flags) == (total, band, ())


def test_phq9_item9_of_one_raises_the_flag():
    r = score_responses(PHQ9, with_total(9, 1, last=1))
    assert (r.total, r.band) == (1, "minimal")
    [flag] = r.flags
    assert (flag.item, flag.answer) == ("item9", 1)
    assert "thoughts that you would be better off dead or of hurting yourself" in flag.message
    assert r.unanswered == ("difficulty",)  # asked now, and optional


def test_phq9_difficulty_is_kept_when_given_without_problems():
    r = score_responses(PHQ9, with_total(9, 0) | {"difficulty": "0"})
    assert r.answers["difficulty"] == 0
    assert r.total == 0  # not scored


@pytest.mark.parametrize("answer", [2, "2", " 2 ", "+2", 2.0, ["2"]])
def test_numbers_in_any_form(answer):
    r = score_responses(PHQ9, with_total(9, 0) | {"item1": answer})
    assert r.answers["item1"] == 2
    assert isinstance(r.answers["item1"], int)


# --- GAD-7 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands(total, band):
    answers = with_total(7, total, last=min(3, total))
    r = score_responses(GAD7, answers)
    assert (r.total, r.band, r.total_range, r.flags) == (total, band, (0, 21), ())


# --- the session questionnaires ----------------------------------------------------------------


def test_client_session_exposes_the_four_ratings():
    r = score_responses(
        CLIENT,
        {
            "heard": "8",
            "understood": 7,
            "moved": "10",
            "safe": "0",
            "stood_out": "  When you said\r\nit was brave.\x07 ",
        },
    )
    assert r.ratings == {"heard": 8, "understood": 7, "moved": 10, "safe": 0}
    assert r.texts == {"stood_out": "When you said\nit was brave."}
    assert (r.total, r.band, r.total_range) == (None, None, None)


def test_client_session_text_is_optional():
    r = score_responses(CLIENT, {"heard": 5, "understood": 5, "moved": 5, "safe": 5})
    assert r.unanswered == ("stood_out",)
    r = score_responses(
        CLIENT, {"heard": 5, "understood": 5, "moved": 5, "safe": 5, "stood_out": "\x00 "}
    )
    assert "stood_out" not in r.answers


def test_therapist_reflection():
    r = score_responses(THERAPIST, {"present": "9", "moved": "6", "what_moved": "Her laugh."})
    assert r.respondent == "therapist"
    assert r.ratings == {"present": 9, "moved": 6}
    assert r.texts == {"what_moved": "Her laugh."}
    assert r.unanswered == ("noticed",)


def test_clean_text_keeps_line_breaks_tabs_and_letters():
    assert clean_text("a\tb\nc\u202e\x1bd\u0065\u0301") == "a\tb\nc\u202ed\u00e9"


# --- errors ------------------------------------------------------------------------------------

TINY_Q = parse_questionnaire(TINY)
OK = {"calm": "1", "tense": "0"}


@pytest.mark.parametrize(
    ("answers", "match"),
    [
        (
            OK | {"mood": "1"},
            r"^mood: is not an item of tiny; expected one of calm, tense, close, note$",
        ),
        (
            OK | {"calm": "4"},
            r"^calm: is '4'; expected one of 0 \(Never\), 1 \(Sometimes\), 2 \(Often\)$",
        ),
        (OK | {"calm": -1}, r"calm: is -1; expected one of"),
        (OK | {"calm": "abc"}, r"calm: is 'abc'"),
        (OK | {"calm": "1.5"}, r"calm: is '1.5'"),
        (OK | {"calm": 1.5}, r"calm: is 1.5"),
        (OK | {"calm": True}, r"calm: is True"),
        (OK | {"calm": ["1", "2"]}, r"calm: has 2 answers; expected one"),
        (OK | {"tense": "1"}, r"tense: is '1'; expected one of 0 \(No\), 3 \(Yes\)"),
        (
            OK | {"close": "6"},
            r"close: is '6'; expected a whole number from 1 \(not at all\) to 5 \(very\)",
        ),
        (OK | {"close": "0"}, r"close: is '0'"),
        (OK | {"note": "x" * 21}, r"note: is 21 characters long; expected at most 20"),
        (OK | {"note": 5}, r"note: is 5; expected text"),
        (
            {"tense": "0"},
            r"^calm: is not answered; expected an answer to every required item of tiny "
            r"\(missing: calm\)$",
        ),
        ({"calm": "", "tense": None}, r"^calm: are not answered; .*\(missing: calm, tense\)$"),
        ({"calm": "  "}, r"missing: calm, tense"),
    ],
)
def test_invalid_answers(answers, match):
    with pytest.raises(InputError, match=match):
        score_responses(TINY_Q, answers)


def test_ask_if_decides_what_counts_as_unanswered():
    assert score_responses(TINY_Q, OK).unanswered == ("close",)
    assert score_responses(TINY_Q, OK | {"calm": "2"}).unanswered == ("close", "note")
    assert score_responses(TINY_Q, OK | {"close": 4}).unanswered == ("note",)
    required = parse_questionnaire(
        TINY.replace("max_length = 20\nrequired = false", "max_length = 20")
    )
    assert "note" not in score_responses(required, OK).answers  # not asked, so not needed
    with pytest.raises(InputError, match=r"^note: is not answered"):
        score_responses(required, OK | {"close": "2"})


def test_missing_phq9_item_is_named():
    answers = with_total(9, 0)
    del answers["item4"]
    with pytest.raises(InputError, match=r"item4: is not answered") as info:
        score_responses(PHQ9, answers)
    assert info.value.field == "item4"


def test_long_text_is_measured_after_cleaning():
    r = score_responses(TINY_Q, OK | {"note": "  " + "x" * 20 + "\x00\x00  "})
    assert r.answers["note"] == "x" * 20


def test_not_a_mapping():
    with pytest.raises(InputError, match="answers are list; expected a mapping"):
        score_responses(TINY_Q, [("calm", 1)])


def test_tiny_flag_and_unscored_total_when_optional_scored_item_missing():
    tense = 'label = "Yes" }]\nrequired = '
    q = parse_questionnaire(TINY.replace(tense + "true", tense + "false"))
    r = score_responses(q, {"calm": "2"})
    assert (r.total, r.band, r.total_range) == (None, None, (0, 5))  # never prorated
    r = score_responses(q, {"calm": "2", "tense": "3"})
    assert (r.total, r.band, [f.message for f in r.flags]) == (5, "high", ["Tense today."])


# --- the result object -------------------------------------------------------------------------


def test_result_is_frozen_json_ready_and_pickles():
    r = score_responses(PHQ9, with_total(9, 12, last=1) | {"difficulty": "2"})
    with pytest.raises(TypeError):
        r.answers["item1"] = 0
    data = json.loads(json.dumps(r.to_dict()))
    assert data["total"] == 12 and data["band"] == "moderate"
    assert data["flags"][0]["item"] == "item9"
    assert data["total_range"] == [0, 27]
    again = pickle.loads(pickle.dumps(r))
    assert again == r and isinstance(again, ScoredResponse)
    # stored answers score the same again
    assert score_responses(PHQ9, data["answers"]) == r


# --- any valid answers -------------------------------------------------------------------------


@st.composite
def valid_answers(draw, q):
    out = {}
    for item in q.items:
        if item.kind == "text":
            value = draw(st.one_of(st.none(), st.text(max_size=item.max_length // 2)))
        else:
            value = draw(st.sampled_from(item.values))
            value = draw(st.sampled_from([value, str(value), f" {value} "]))
            if not item.required:
                value = draw(st.one_of(st.none(), st.just(value)))
        if value is not None:
            out[item.id] = value
    return out


@pytest.mark.parametrize("qid", sorted(QS))
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_any_valid_answers_score_within_range(qid, data):
    q = QS[qid]
    answers = data.draw(valid_answers(q))
    r = score_responses(q, answers)
    for item in q.items:
        if item.numeric and item.id in answers:
            assert r.answers[item.id] == int(str(answers[item.id]))
    if q.scoring is not None:
        assert q.scoring.minimum <= r.total <= q.scoring.maximum
        [band] = [b for b in q.scoring.bands if b.min <= r.total <= b.max]
        assert r.band == band.label
        assert r.total == sum(r.answers[i] for i in q.scoring.items)
    expected_flags = [f.item for f in q.flags if r.answers[f.item] > f.above]
    assert [f.item for f in r.flags] == expected_flags


ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from([*TINY_Q.item_ids, "other"]), ANY_VALUE))
def test_any_answers_score_or_give_an_input_error(answers):
    try:
        r = score_responses(TINY_Q, answers)
    except InputError as exc:
        assert exc.field in (*TINY_Q.item_ids, "other")
    else:
        assert set(r.answers) <= set(answers)
        assert r.total is None or 0 <= r.total <= 5
