"""Tests of the AnnoMI CSV reader."""

from __future__ import annotations

import contextlib
import csv
import io
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attunement.errors import InputError
from attunement.io import annomi
from attunement.io._common import decode_text

FIXTURES = Path(__file__).parent / "fixtures" / "annomi"
DATASET = Path("/work/shared/datasets/annomi")

HEADER = "transcript_id,utterance_id,interlocutor,timestamp,utterance_text,main_therapist_behaviour"


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


# --- sniffing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["simple.csv", "full.csv"])
def test_sniff_accepts_annomi_files(name: str) -> None:
    assert annomi.sniff(_fixture(name))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "speaker,start,end,text\nTherapist,0,1,Hello\n",
        "transcript_id,interlocutor,text\n0,client,hi\n",
        "1\n00:00:01,000 --> 00:00:02,000\nHello\n",
        '{"monologues": []}',
        '"unclosed,quote\n',
    ],
)
def test_sniff_rejects_other_text(text: str) -> None:
    assert not annomi.sniff(text)


# --- known answers ----------------------------------------------------------------------------


def test_simple_file_known_answers() -> None:
    transcripts = annomi.parse(_fixture("simple.csv"), path="simple.csv")
    assert [t.id for t in transcripts] == ["3", "1"]  # file order, not sorted
    first, second = transcripts
    assert all(t.format == "annomi" for t in transcripts)
    assert [(u.speaker, u.role, u.start, u.end, u.line) for u in first.utterances] == [
        ("Therapist", "therapist", 5.0, None, 2),
        ("Client", "client", 11.0, None, 3),
        ("Therapist", "therapist", 19.0, None, 6),  # sorted by utterance_id
        ("Client", "client", 31.0, None, 4),
    ]
    assert first.utterances[3].text == "I guess I could cut back on weeknights,\nat least."
    assert first.meta["mi_quality"] == "high"
    assert first.meta["video_title"] == 'Brief intervention: "Sam"'
    assert first.meta["video_url"] == "https://www.youtube.com/watch?v=example0001"
    assert first.meta["topic"] == "reducing alcohol consumption"
    assert first.meta["utterance_ids"] == [0, 1, 2, 3]
    assert first.meta["labels"] == {
        "main_therapist_behaviour": ["question", None, "reflection", None],
        "client_talk_type": [None, "neutral", None, "change"],
    }
    assert "annotator_id" not in first.meta
    assert second.meta["mi_quality"] == "low"
    assert second.meta["topic"] == "smoking cessation"
    assert [u.text for u in second.utterances] == [
        "You really need to quit smoking.",
        "I know, but it's the only thing that calms me down.",
        "Have you tried the patch?",
    ]


def test_full_file_keeps_the_lowest_annotator() -> None:
    transcripts = annomi.parse(_fixture("full.csv"), path="full.csv")
    assert [t.id for t in transcripts] == ["7", "2"]
    seven, two = transcripts
    assert seven.meta["annotator_id"] == 1
    assert [u.line for u in seven.utterances] == [3, 5, 7]
    assert seven.meta["labels"] == {
        "main_therapist_behaviour": ["question", None, "reflection"],
        "client_talk_type": [None, "change", None],
        "reflection_subtype": [None, None, "complex"],
        "question_subtype": ["closed", None, None],
        "therapist_input_subtype": [None, None, None],
    }
    assert two.meta["annotator_id"] == 4
    assert two.meta["labels"]["therapist_input_subtype"] == ["advice", None]
    assert [(u.speaker, u.start) for u in two.utterances] == [("Therapist", 2.0), ("Client", 6.0)]


def test_timestamp_is_optional_and_may_be_empty() -> None:
    text = _csv("0,0,therapist,,Hello.,other", "0,1,client,00:00:03,Hi.,n/a")
    assert [u.start for u in annomi.parse(text)[0].utterances] == [None, 3.0]
    no_time = "transcript_id,utterance_id,interlocutor,utterance_text\n0,0,Client,Hi\n"
    [t] = annomi.parse(no_time)
    assert (t.utterances[0].start, t.utterances[0].role) == (None, "client")
    assert t.meta["labels"] == {}
    assert t.meta["topic"] is None


def test_stray_leading_zero_in_published_timestamp() -> None:
    text = _csv("38,67,therapist,00:09:025,Um; we started off talking about your drinking.,other")
    assert annomi.parse(text)[0].utterances[0].start == 565.0


def test_header_only_gives_no_transcripts() -> None:
    assert annomi.parse(HEADER + "\n") == []


def test_rows_with_empty_text_are_skipped_with_their_labels() -> None:
    text = _csv("0,0,therapist,00:00:01,Hello.,other", '0,1,client,00:00:02,"  ",n/a')
    [t] = annomi.parse(text)
    assert len(t.utterances) == 1
    assert t.meta["labels"]["main_therapist_behaviour"] == ["other"]
    assert t.meta["utterance_ids"] == [0]


def test_utf16_with_bom_is_accepted() -> None:
    data = _fixture("simple.csv").encode("utf-16")
    assert annomi.parse(decode_text(data)) == annomi.parse(_fixture("simple.csv"))


def test_windows_1252_bytes_name_the_line() -> None:
    data = _csv("0,0,client,00:00:01,Caf\u00e9 later,n/a").encode("cp1252")
    with pytest.raises(InputError, match="0xe9 is not valid UTF-8") as info:
        decode_text(data, path="annomi.csv")
    assert info.value.line == 2


def test_duplicated_column_is_refused_naming_it() -> None:
    text = _csv("0,0,therapist,,Hello.,other,Hi", header=HEADER + ",utterance_text")
    with pytest.raises(InputError, match="column 'utterance_text' appears twice") as info:
        annomi.parse(text, path="a.csv")
    assert (info.value.path, info.value.line) == ("a.csv", 1)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("", None, "is empty"),
        ("\n\n", None, "is empty"),
        (
            "transcript_id,utterance_id,interlocutor,timestamp\n0,0,client,00:00:01\n",
            1,
            "lacks utterance_text",
        ),
        (
            "transcript_id,interlocutor,utterance_text\n0,client,Hi\n",
            1,
            "lacks utterance_id",
        ),
        ("1\n00:00:01,000 --> 00:00:02,000\nHello\n", 1, "lacks transcript_id"),
        (_csv("0,0,counsellor,00:00:01,Hello,other"), 2, "expected therapist or client"),
        (
            _csv("0,0,therapist,00:00:01,Hi,other", "0,0,client,00:00:02,Hi,n/a"),
            3,
            "repeats line 2",
        ),
        (_csv("zero,0,therapist,00:00:01,Hi,other"), 2, "transcript_id: is 'zero'"),
        (_csv("0,1.5,therapist,00:00:01,Hi,other"), 2, "utterance_id: is '1.5'"),
        (_csv("0,0,therapist,soon,Hi,other"), 2, "timestamp: is 'soon'"),
        (_csv("0,0,therapist,00:75:00,Hi,other"), 2, "expected a time hh:mm:ss"),
        (_csv("0,0,therapist,00:00:01,Hi, there,other"), 2, "has 7 fields; expected 6"),
        (_csv("0,0,therapist,00:00:01,Hi"), 2, "has 5 fields; expected 6"),
        (_csv("0,0,therapist,00:00:01,Hi,other", '0,1,client,00:00:02,"Well I'), 3, "never closed"),
        (_csv('0,0,therapist,00:00:01,"Hi"there,other'), 2, "follows a closing quote"),
        (_csv("9" * 5000 + ",0,therapist,00:00:01,Hi,other"), 2, "expected a whole number"),
        (_csv("0,0,therapist,00:00:01," + "x" * 200_000 + ",other"), 2, "field limit"),
    ],
)
def test_bad_files_raise_input_error(text: str, line: int | None, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        annomi.parse(text, path="annomi.csv")
    assert info.value.line == line
    assert info.value.path == "annomi.csv"


def test_duplicates_are_checked_per_annotator() -> None:
    header = "transcript_id,utterance_id,interlocutor,utterance_text,annotator_id"
    ok = _csv("5,0,client,Hi,2", "5,0,client,Hi,1", header=header)
    assert annomi.parse(ok)[0].meta["annotator_id"] == 1
    bad = _csv("5,0,client,Hi,2", "5,0,client,Hi,2", header=header)
    with pytest.raises(InputError, match=r"\(annotator 2\) repeats line 2"):
        annomi.parse(bad)


# --- the published data set -------------------------------------------------------------------


@pytest.mark.skipif(not (DATASET / "AnnoMI-simple.csv").exists(), reason="AnnoMI not present")
def test_published_simple_file() -> None:
    path = DATASET / "AnnoMI-simple.csv"
    transcripts = annomi.parse(decode_text(path.read_bytes()), path=str(path))
    assert len(transcripts) == 133
    assert sum(len(t.utterances) for t in transcripts) == 9699
    behaviour = Counter(
        label for t in transcripts for label in t.meta["labels"]["main_therapist_behaviour"]
    )
    talk = Counter(label for t in transcripts for label in t.meta["labels"]["client_talk_type"])
    assert behaviour == {
        "other": 1586,
        "question": 1386,
        "reflection": 1296,
        "therapist_input": 614,
        None: 4817,
    }
    assert talk == {"neutral": 3102, "change": 1174, "sustain": 541, None: 4882}
    assert Counter(t.meta["mi_quality"] for t in transcripts) == {"high": 110, "low": 23}


@pytest.mark.skipif(not (DATASET / "AnnoMI-full.csv").exists(), reason="AnnoMI not present")
def test_published_full_file() -> None:
    path = DATASET / "AnnoMI-full.csv"
    transcripts = annomi.parse(decode_text(path.read_bytes()), path=str(path))
    assert len(transcripts) == 133
    assert sum(len(t.utterances) for t in transcripts) == 9699
    by_id = {t.id: t for t in transcripts}
    assert by_id["7"].meta["annotator_id"] == 0
    assert set(by_id["7"].meta["labels"]["reflection_subtype"]) <= {None, "simple", "complex"}


# --- through the format registry -------------------------------------------------------------


def test_read_transcripts_detects_annomi(tmp_path: Path) -> None:
    transcripts = pytest.importorskip("attunement.io.transcripts", exc_type=ImportError)
    path = tmp_path / "corpus.csv"
    path.write_bytes((FIXTURES / "simple.csv").read_bytes())
    result = transcripts.read_transcripts(path)
    assert [t.id for t in result] == ["3", "1"]
    assert all(t.format == "annomi" for t in result)


# --- properties -------------------------------------------------------------------------------

_words = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r"), min_size=1, max_size=40
).filter(lambda s: s.strip())
_utterance = st.tuples(st.sampled_from(["therapist", "client"]), _words, st.integers(0, 35_999))


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.integers(0, 500), st.lists(_utterance, min_size=1, max_size=8), min_size=1),
    st.randoms(use_true_random=False),
)
def test_round_trip(sessions: dict[int, list[tuple[str, str, int]]], rnd) -> None:
    rows = [
        (tid, uid, role, f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}", words, "n/a")
        for tid, utterances in sessions.items()
        for uid, (role, words, t) in enumerate(utterances)
    ]
    order = list(sessions)
    rows.sort(key=lambda r: (order.index(r[0]), rnd.random()))  # utterances shuffled
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER.split(","))
    writer.writerows(rows)
    parsed = annomi.parse(out.getvalue())
    assert [t.id for t in parsed] == [str(tid) for tid in order]
    for t, (_, utterances) in zip(parsed, sessions.items(), strict=True):
        assert [(u.role, u.text, u.start) for u in t.utterances] == [
            (role, words.strip(), float(sec)) for role, words, sec in utterances
        ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.booleans())
def test_fuzz_only_input_errors(text: str, with_header: bool) -> None:
    if with_header:
        text = HEADER + "\n" + text
    annomi.sniff(text)
    with contextlib.suppress(InputError):
        annomi.parse(text)
