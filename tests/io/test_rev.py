"""Tests of the Rev-style JSON reader."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.errors import InputError
from attunement.io import rev
from attunement.io._common import decode_text

FIXTURES = Path(__file__).parent / "fixtures" / "rev"


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _doc(*monologues: object) -> str:
    return json.dumps({"monologues": list(monologues)}, ensure_ascii=False)


def _word(value: str, ts: float, end_ts: float) -> dict[str, object]:
    return {"type": "text", "value": value, "ts": ts, "end_ts": end_ts, "confidence": 0.9}


# --- sniffing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rev_com.json", "rev_ai.json"])
def test_sniff_accepts_rev_files(name: str) -> None:
    assert rev.sniff(_fixture(name))


def test_sniff_claims_a_cut_rev_file_so_parse_can_say_where() -> None:
    text = _fixture("rev_com.json")[:300]
    assert rev.sniff(text)
    with pytest.raises(InputError, match="cut off"):
        rev.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "monologues",
        '[{"speaker": "A", "text": "Hi"}]',
        '{"utterances": [{"speaker": "A", "text": "Hi"}]}',
        '{"monologues": {"speaker": 0}}',
        '{"transcript": {"monologues": []}}',
        "speaker,text\nA,Hi\n",
    ],
)
def test_sniff_rejects_other_text(text: str) -> None:
    assert not rev.sniff(text)


# --- known answers ----------------------------------------------------------------------------


def test_rev_com_export() -> None:
    [t] = rev.parse(_fixture("rev_com.json"), path="rev_com.json")
    assert t.format == "rev"
    assert t.id is None
    assert [(u.speaker, u.text, u.start, u.end, u.role) for u in t.utterances] == [
        ("Dr. Lee", "Hello, Jordan. How was your week?", 0.5, 2.71, None),
        ("Jordan", "Honestly, pretty rough.", 3.2, 4.6, None),
        ("Dr. Lee", "Rough how?", 5.1, 5.62, None),  # the empty monologue is skipped
    ]


def test_rev_ai_export() -> None:
    [t] = rev.parse(_fixture("rev_ai.json"))
    assert [(u.speaker, u.text, u.start, u.end) for u in t.utterances] == [
        ("Speaker 0", "So what brings you in?", 12.04, 13.1),
        ("Client", "I can't sleep <inaudible>.", 14.0, 14.9),  # speaker_info.display_name
    ]


def test_untimed_and_blank_monologues() -> None:
    text = _doc(
        {"speaker": 2, "elements": [{"type": "text", "value": "Mm-hmm"}]},
        {"speaker": 1, "elements": [{"type": "punct", "value": " "}]},
        {"speaker": 3},
        {"speaker": 0, "speaker_name": "  ", "elements": [_word("Okay", 1, 1.2)]},
    )
    [t] = rev.parse(text)
    assert [(u.speaker, u.text, u.start, u.end) for u in t.utterances] == [
        ("Speaker 2", "Mm-hmm", None, None),
        ("Speaker 0", "Okay", 1.0, 1.2),
    ]


def test_empty_monologue_list_gives_an_empty_transcript() -> None:
    [t] = rev.parse('{"monologues": []}')
    assert t.utterances == []


def test_utf16_with_bom_is_accepted() -> None:
    data = _fixture("rev_com.json").encode("utf-16")
    assert rev.parse(decode_text(data)) == rev.parse(_fixture("rev_com.json"))


def test_windows_1252_bytes_name_the_line() -> None:
    text = _doc({"speaker": 0, "elements": [_word("Caf\u00e9", 0, 1)]})
    with pytest.raises(InputError, match="0xe9 is not valid UTF-8") as info:
        decode_text(text.replace("{", "{\n", 3).encode("cp1252"), path="rev.json")
    assert info.value.line == 4


# --- errors -----------------------------------------------------------------------------------

_FULL = _fixture("rev_com.json") if (FIXTURES / "rev_com.json").exists() else "{}"


@pytest.mark.parametrize(
    ("text", "field", "match"),
    [
        ("", None, "not valid JSON"),
        (_FULL[: len(_FULL) // 2], None, "cut off"),
        ('{"monologues": [{"speaker": 0, "elements": [{"value": "Hel', None, "cut off"),
        ("1\n00:00:01,000 --> 00:00:02,000\nHello\n", None, "not valid JSON"),
        ("[]", None, "holds a JSON list"),
        ('{"transcript": {"monologues": []}}', "monologues", "has no 'monologues'"),
        ('{"monologues": {"speaker": 0}}', "monologues", "expected a Rev JSON object"),
        (_doc(["speaker", 0]), "monologues[0]", "expected a Rev JSON object"),
        (_doc({"speaker": 0, "elements": "Hello"}), "monologues[0].elements", "expected a list"),
        (_doc({"speaker": 0, "elements": ["Hello"]}), "monologues[0].elements[0]", "an element"),
        (
            _doc({"speaker": 0, "elements": [{"type": "text", "value": 5}]}),
            "monologues[0].elements[0]",
            "expected an element",
        ),
        (
            _doc({"speaker": 0, "elements": [{"type": "text", "value": "Hi", "ts": "0.5"}]}),
            "monologues[0].elements[0].ts",
            "expected a number of seconds",
        ),
        (
            _doc({"speaker": 0, "elements": [{"type": "text", "value": "Hi", "ts": True}]}),
            "monologues[0].elements[0].ts",
            "expected a number of seconds",
        ),
        (
            _doc({"speaker": 0, "elements": [_word("Hi", -1.0, 0.5)]}),
            "monologues[0].elements[0].ts",
            "non-negative",
        ),
        (
            '{"monologues": [{"speaker": 0, "elements": [{"value": "Hi", "end_ts": NaN}]}]}',
            "monologues[0].elements[0].end_ts",
            "finite",
        ),
        (
            '{"monologues": [{"speaker": 0, "elements": [{"value": "Hi", "ts": 1e400}]}]}',
            "monologues[0].elements[0].ts",
            "finite",
        ),
        (
            _doc({"speaker": 0, "elements": [_word("Hi", 5.0, 6.0), _word("there", 6.0, 4.0)]}),
            "monologues[0]",
            r"ends \(4 s\) before it starts \(5 s\)",
        ),
        (_doc({"elements": [_word("Hi", 0, 1)]}), "monologues[0].speaker", "has no speaker"),
        (
            _doc({"speaker": None, "speaker_name": 7, "elements": [_word("Hi", 0, 1)]}),
            "monologues[0].speaker",
            "has no speaker",
        ),
        (
            _doc({"speaker": True, "elements": [_word("Hi", 0, 1)]}),
            "monologues[0].speaker",
            "has no speaker",
        ),
        ('{"monologues": [{"speaker": ' + "9" * 5000 + "}]}", None, "cannot be read as JSON"),
        ('{"monologues": ' + "[" * 100_000 + "]" * 100_000 + "}", None, "nested too deeply"),
    ],
)
def test_bad_files_raise_input_error(text: str, field: str | None, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        rev.parse(text, path="rev.json")
    assert info.value.field == field
    assert info.value.path == "rev.json"


def test_truncated_file_names_the_line() -> None:
    text = _fixture("rev_com.json")
    cut = text[: text.index('"Jordan", "ts"')]
    with pytest.raises(InputError, match="cut off") as info:
        rev.parse(cut, path="rev.json")
    assert info.value.line == cut.count("\n") + 1


# --- through the format registry -------------------------------------------------------------


def test_read_transcripts_detects_rev(tmp_path: Path) -> None:
    transcripts = pytest.importorskip("attunement.io.transcripts", exc_type=ImportError)
    path = tmp_path / "session.json"
    path.write_bytes((FIXTURES / "rev_ai.json").read_bytes())
    [t] = transcripts.read_transcripts(path)
    assert t.format == "rev"
    assert [u.speaker for u in t.utterances] == ["Speaker 0", "Client"]


def test_read_transcripts_reports_a_cut_rev_file(tmp_path: Path) -> None:
    transcripts = pytest.importorskip("attunement.io.transcripts", exc_type=ImportError)
    path = tmp_path / "session.json"
    path.write_text(_fixture("rev_com.json")[:400], encoding="utf-8")
    with pytest.raises(InputError, match="cut off") as info:
        transcripts.read_transcripts(path)
    assert info.value.path == str(path)
    assert info.value.line is not None


# --- properties -------------------------------------------------------------------------------

_token = st.text(
    st.characters(exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=12
)
_monologue = st.tuples(
    st.one_of(st.integers(0, 9), st.text(min_size=1, max_size=20).filter(lambda s: s.strip())),
    st.lists(st.tuples(_token, st.floats(0, 30, allow_nan=False)), min_size=1, max_size=10),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_monologue, max_size=8), st.floats(0, 36_000))
def test_round_trip(monologues: list[tuple[int | str, list[tuple[str, float]]]], t0: float) -> None:
    expected = []
    doc = []
    clock = t0
    for speaker, words in monologues:
        elements = []
        start = clock
        for k, (value, duration) in enumerate(words):
            if k:
                elements.append({"type": "punct", "value": " "})
            elements.append(_word(value, clock, clock + duration))
            clock += duration
        elements.append({"type": "punct", "value": "."})
        entry = {"speaker": speaker, "elements": elements}
        if isinstance(speaker, str):
            entry = {"speaker": 0, "speaker_name": speaker, "elements": elements}
        doc.append(entry)
        name = speaker.strip() if isinstance(speaker, str) else f"Speaker {speaker}"
        text = (" ".join(value for value, _ in words) + ".").strip()
        expected.append((name, text, start, clock))
    [t] = rev.parse(json.dumps({"monologues": doc}))
    assert [(u.speaker, u.text, u.start, u.end) for u in t.utterances] == expected


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["speaker", "speaker_name", "elements", "value", "ts", "end_ts", "type"]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_fuzz_structure_only_input_errors(monologues: object) -> None:
    text = json.dumps({"monologues": monologues})
    assert rev.sniff(text) == isinstance(monologues, list)
    with contextlib.suppress(InputError):
        rev.parse(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_text_only_input_errors(text: str) -> None:
    rev.sniff(text)
    with contextlib.suppress(InputError):
        rev.parse(text)


def test_rev_editor_export() -> None:
    # the transcript editor's shape: speakers named at the top, spans timed by ts / endTs
    text = _fixture("rev_editor.json")
    assert rev.sniff(text)
    [t] = rev.parse(text, path="rev_editor.json")
    assert [(u.speaker, u.text, u.start, u.end) for u in t.utterances] == [
        ("Dr. Lee", "Hello, Jordan. How was your week?", 0.5, 2.5),
        ("Jordan", "Pretty rough.", 3.2, 4.6),
        ("Speaker 3", "Sorry, wrong room.", 5.0, 6.0),  # a number the list does not name
    ]


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"speakers": "Dr. Lee", "monologues": []}, "speakers"),
        ({"speakers": [{"name": "Dr. Lee"}], "monologues": []}, r"speakers\[0\]"),
        (
            {"monologues": [{"speaker": 1, "spans": [{"value": "Hi", "ts": 1, "endTs": -2}]}]},
            r"monologues\[0\]\.spans\[0\]\.endTs",
        ),
    ],
)
def test_rev_editor_errors_name_the_field(doc, field) -> None:
    with pytest.raises(InputError, match=rf"^e\.json: {field}: ") as info:
        rev.parse(json.dumps(doc), path="e.json")
    assert "expected" in str(info.value)
