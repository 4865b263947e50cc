"""Tests of the generic CSV / TSV and JSON readers."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.errors import InputError
from attunement.io import tabular
from attunement.io._common import decode_text

FIXTURES = Path(__file__).parent / "fixtures" / "tabular"


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _rows(utterances) -> list[tuple]:
    return [(u.speaker, u.text, u.start, u.end) for u in utterances]


# --- CSV: sniffing ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["session.csv", "session.tsv", "semicolon.csv"])
def test_sniff_csv_accepts_tables(name: str) -> None:
    assert tabular.sniff_csv(_fixture(name))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "Therapist: How are you?\nClient: Fine.\n",
        "speaker,start,end\nA,0,1\n",
        "a,b\n1,2\n",
        "WEBVTT\n\n00:00.000 --> 00:01.000\n<v Therapist>Hi\n",
        '"speaker,text\nA,Hi\n',
        "[]",
    ],
)
def test_sniff_csv_rejects_other_text(text: str) -> None:
    assert not tabular.sniff_csv(text)


# --- CSV: known answers -----------------------------------------------------------------------


def test_csv_known_answers() -> None:
    [t] = tabular.parse_csv(_fixture("session.csv"), path="session.csv")
    assert (t.format, t.id, t.meta) == ("csv", None, {})
    assert _rows(t.utterances) == [
        ("Dr. Okafor", "Welcome back. Where would you like to start today?", 1.25, 4.0),
        ("Maya", "Um, I think with the argument I had with my sister, honestly.", 4.6, 9.1),
        ("Dr. Okafor", "That sounds like it has stayed with you.", 9.5, 11.0),
        ("Maya", 'It has. "Stayed" is the word.', 11.4, None),  # the row without text is skipped
    ]
    assert [u.line for u in t.utterances] == [2, 3, 5, 7]
    assert all(u.role is None for u in t.utterances)


def test_tsv_known_answers() -> None:
    [t] = tabular.parse_csv(_fixture("session.tsv"))
    assert _rows(t.utterances) == [
        ("T", "How have things been since we last met?", 0.0, 2.5),
        ("C", "Better, I think; I used the breathing exercise twice.", 3.1, 6.0),
    ]


def test_semicolons_and_decimal_commas() -> None:
    [t] = tabular.parse_csv(_fixture("semicolon.csv"))
    assert _rows(t.utterances) == [("Counsellor", "Hallo, wie geht es Ihnen?", 1.5, 3.0)]


@pytest.mark.parametrize("speaker", ["speaker", "Name", "PARTICIPANT", "interlocutor", "Role"])
@pytest.mark.parametrize(
    "text", ["text", "Utterance", "transcript", "content", "words", "Utterance Text"]
)
def test_speaker_and_text_aliases(speaker: str, text: str) -> None:
    [t] = tabular.parse_csv(f"{speaker},{text}\nTherapist,Hello there\n")
    assert _rows(t.utterances) == [("Therapist", "Hello there", None, None)]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("start", "end"),
        ("Start_S", "End_S"),
        ("start time", "end time"),
        ("begin", "stop"),
        ("onset", "offset"),
        ("start-time", "END-TIME"),
    ],
)
def test_time_aliases(start: str, end: str) -> None:
    [t] = tabular.parse_csv(f"speaker,{start},{end},text\nA,1:02,62.5,Hi\n")
    assert _rows(t.utterances) == [("A", "Hi", 62.0, 62.5)]


def test_preferred_alias_wins_and_unknown_columns_are_ignored() -> None:
    text = "role,name,notes,text,utterance\nclient,Maya,sighs,I guess so.,ignored\n"
    [t] = tabular.parse_csv(text)
    assert _rows(t.utterances) == [("Maya", "I guess so.", None, None)]


def test_utf16_with_bom_is_accepted() -> None:
    data = _fixture("session.csv").encode("utf-16")
    assert tabular.parse_csv(decode_text(data)) == tabular.parse_csv(_fixture("session.csv"))


def test_windows_1252_bytes_name_the_line() -> None:
    data = "speaker,text\nA,Hello\nB,Caf\u00e9 later?\n".encode("cp1252")
    with pytest.raises(InputError, match="0xe9 is not valid UTF-8") as info:
        decode_text(data, path="session.csv")
    assert info.value.line == 3


# --- CSV: errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "field", "match"),
    [
        ("", 1, None, "expected a comma, semicolon or tab separated header"),
        ("speaker,start,end\nA,0,1\n", 1, None, "a text column"),
        ("Therapist: Hi\nClient: Hello\n", 1, None, "a speaker column"),
        ("speaker,start,text\nA,soon,Hi\n", 2, "start", "is 'soon'; expected seconds"),
        ("speaker,start,text\nA,1:75,Hi\n", 2, "start", "expected seconds"),
        ("speaker,start,text\nA,-2,Hi\n", 2, "start", "non-negative"),
        ("speaker,start,text\nA,nan,Hi\n", 2, "start", "finite"),
        ("speaker,start,text\nA,1e400,Hi\n", 2, "start", "finite"),
        ("speaker,start,end,text\nA,5,4.5,Hi\n", 2, "end", r"ends \(4.5 s\) before it starts"),
        ("speaker,end,text\nA,inf,Hi\n", 2, "end", "finite"),
        ("speaker,text\nA,Hi\nB,Hello, there\n", 3, None, "has 3 fields; expected 2"),
        ("speaker,start,text\nA,1\n", 2, None, "has 2 fields; expected 3"),
        ("speaker,text\nA,Hi\n,Hello\n", 3, "speaker", "is missing"),
        ("speaker,text\nA,Hi\n  ,Hello\n", 3, "speaker", "is '  '"),
        ('speaker,text\nA,Hi\nB,"Well, I was\n', 3, None, "never closed"),
        ('speaker,text\nA,"Hi" there\n', 2, None, "follows a closing quote"),
        ("speaker,text\nA," + "x" * 200_000 + "\n", 2, None, "field limit"),
    ],
)
def test_bad_csv_raises_input_error(text: str, line: int, field: str | None, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        tabular.parse_csv(text, path="t.csv")
    assert (info.value.path, info.value.line, info.value.field) == ("t.csv", line, field)


@pytest.mark.parametrize(
    ("header", "column", "where"),
    [
        ("speaker,text,text", "text", "columns 2 and 3"),
        ("Speaker,Text,start,text", "Text", "columns 2 and 4"),  # case and spacing are ignored
        ("speaker;text;Speaker", "speaker", "columns 1 and 3"),
        ("speaker\ttext\tstart\tStart", "start", "columns 3 and 4"),
        ("speaker,utterance,start-time,start time", "start-time", "columns 3 and 4"),
    ],
)
def test_duplicated_columns_are_refused_naming_the_column(
    header: str, column: str, where: str
) -> None:
    sep = "\t" if "\t" in header else (";" if ";" in header else ",")
    text = header + "\n" + sep.join(["A", "Hi", "1", "2"][: header.count(sep) + 1]) + "\n"
    with pytest.raises(InputError, match=rf"column '{column}' appears twice .*\({where}\)") as info:
        tabular.parse_csv(text, path="t.csv")
    assert (info.value.path, info.value.line) == ("t.csv", 1)


def test_duplicated_columns_not_read_and_empty_names_are_fine() -> None:
    [t] = tabular.parse_csv("speaker,text,notes,notes,,\nA,Hi,x,y,,\n", path="t.csv")
    assert _rows(t.utterances) == [("A", "Hi", None, None)]


@settings(max_examples=100, deadline=None)
@given(
    names=st.lists(
        st.sampled_from(["speaker", "text", "start", "end", "notes", "Text", "SPEAKER"]),
        min_size=2,
        max_size=6,
    )
)
def test_csv_never_drops_a_column_it_reads(names: list[str]) -> None:
    text = ",".join(names) + "\n" + ",".join(["1"] * len(names)) + "\n"
    keys = [n.lower() for n in names if n.lower() != "notes"]
    try:
        tabular.parse_csv(text, path="t.csv")
    except InputError as exc:
        if "appears twice" in exc.message:
            assert len(set(keys)) < len(keys)
        return
    assert len(set(keys)) == len(keys)


def test_csv_cut_mid_way() -> None:
    text = _fixture("session.csv")
    cut = text[: text.index("Stayed") + 3]
    with pytest.raises(InputError, match="never closed") as info:
        tabular.parse_csv(cut, path="t.csv")
    assert info.value.line == 7


def test_blank_rows_are_skipped() -> None:
    [t] = tabular.parse_csv("speaker;text\n\n ; \nA;Hi\n")
    assert [(u.speaker, u.line) for u in t.utterances] == [("A", 4)]


# --- JSON: sniffing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '[{"speaker": "A", "text": "Hi"}]',
        '[{"Name": "A", "Content": "Hi", "Start": 1}]',
        '{"utterances": []}',
        '{"id": 4, "utterances": [{"speaker": "A", "text": "Hi"}]}',
        '[{"speaker": "A", "text": "Hi"',  # cut mid-way: claimed so parse_json can say where
        '{"id": 4, "utterances": [{"speaker": "A", "te',
    ],
)
def test_sniff_json_accepts(text: str) -> None:
    assert tabular.sniff_json(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "[1, 2]",
        '[{"foo": 1}]',
        '{"monologues": []}',
        '{"utterances": {"speaker": "A"}}',
        "speaker,text\nA,Hi\n",
        '"just a string"',
    ],
)
def test_sniff_json_rejects(text: str) -> None:
    assert not tabular.sniff_json(text)


# --- JSON: known answers ----------------------------------------------------------------------


def test_json_known_answers() -> None:
    [t] = tabular.parse_json(_fixture("session.json"), path="session.json")
    assert (t.format, t.id) == ("json", "session-2024-03-07")
    assert _rows(t.utterances) == [
        ("Dr. Okafor", "What would make today's session worthwhile for you?", 0.0, 3.5),
        ("Maya", "If I left with a plan for the holidays.", 4.1, 8.0),
        ("Dr. Okafor", "A plan for the holidays.", 9.0, None),  # the empty text is skipped
    ]
    assert all(u.line is None for u in t.utterances)


def test_json_list_with_aliases_and_numeric_speakers() -> None:
    text = json.dumps(
        [
            {"Participant": 1, "Utterance": "  So, where to begin?  ", "Onset": "0:01"},
            {"participant": 2, "utterance": None},
            {"participant": 2, "utterance": "Anywhere.", "onset": 3, "offset": 4.25},
        ]
    )
    [t] = tabular.parse_json(text)
    assert t.id is None
    assert _rows(t.utterances) == [
        ("1", "So, where to begin?", 1.0, None),
        ("2", "Anywhere.", 3.0, 4.25),
    ]


# --- JSON: errors -----------------------------------------------------------------------------

_JSON = _fixture("session.json") if (FIXTURES / "session.json").exists() else "{}"


@pytest.mark.parametrize(
    ("text", "field", "match"),
    [
        ("", None, "not valid JSON"),
        (_JSON[: len(_JSON) // 2], None, "cut off"),
        ("1\n00:00:01,000 --> 00:00:02,000\nHello\n", None, "not valid JSON"),
        ("42", None, "holds a JSON int"),
        ('{"monologues": []}', None, "object with keys 'monologues'"),
        ('{"utterances": "Hi"}', None, "expected a list of objects"),
        ('{"id": {"a": 1}, "utterances": []}', "id", "expected a string or a number"),
        ('["Hi"]', "[0]", "expected a list of objects"),
        ('[{"text": "Hi"}]', "[0].speaker", "is missing"),
        ('{"utterances": [{"speaker": "A", "text": "Hi"}, {"text": "Oh"}]}', None, "is missing"),
        ('[{"speaker": ["A"], "text": "Hi"}]', "[0].speaker", r"is \['A'\]"),
        ('[{"speaker": true, "text": "Hi"}]', "[0].speaker", "is True"),
        ('[{"speaker": "A", "text": 5}]', "[0].text", "expected a string"),
        ('[{"speaker": "A", "text": "Hi", "start": "soon"}]', "[0].start", "expected seconds"),
        ('[{"speaker": "A", "text": "Hi", "start": false}]', "[0].start", "expected seconds"),
        ('[{"speaker": "A", "text": "Hi", "start": NaN}]', "[0].start", "finite"),
        ('[{"speaker": "A", "text": "Hi", "end": 1e400}]', "[0].end", "finite"),
        ('[{"speaker": "A", "text": "Hi", "start": 1' + "0" * 400 + "}]", "[0].start", "finite"),
        ('[{"speaker": "A", "text": "Hi", "start": 3, "end": 2}]', "[0].end", "before it starts"),
        ('[{"speaker": "A", "text": "Hi", "start": 9' + "9" * 5000 + "}]", None, "cannot be read"),
        ("[" * 100_000 + "]" * 100_000, None, "nested too deeply"),
    ],
)
def test_bad_json_raises_input_error(text: str, field: str | None, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        tabular.parse_json(text, path="t.json")
    assert info.value.path == "t.json"
    if field is not None:
        assert info.value.field == field


def test_json_error_names_the_item() -> None:
    text = '{"utterances": [{"speaker": "A", "text": "Hi"}, {"text": "Oh"}]}'
    with pytest.raises(InputError) as info:
        tabular.parse_json(text, path="t.json")
    assert str(info.value).startswith("t.json: utterances[1].speaker: is missing")


def test_json_cut_mid_way_names_the_line() -> None:
    text = _fixture("session.json")
    cut = text[: text.index('"Maya"') + 3]
    with pytest.raises(InputError, match="cut off") as info:
        tabular.parse_json(cut, path="t.json")
    assert info.value.line == 5


# --- through the format registry -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "n"),
    [("session.csv", "csv", 4), ("session.tsv", "csv", 2), ("session.json", "json", 3)],
)
def test_read_transcripts_detects_tables(tmp_path: Path, name: str, fmt: str, n: int) -> None:
    transcripts = pytest.importorskip("attunement.io.transcripts", exc_type=ImportError)
    path = tmp_path / name
    path.write_bytes((FIXTURES / name).read_bytes())
    [t] = transcripts.read_transcripts(path)
    assert (t.format, len(t.utterances)) == (fmt, n)


@pytest.mark.parametrize(("name", "match"), [("session.json", "cut off"), ("session.csv", "never")])
def test_read_transcripts_reports_a_cut_table(tmp_path: Path, name: str, match: str) -> None:
    transcripts = pytest.importorskip("attunement.io.transcripts", exc_type=ImportError)
    path = tmp_path / name
    text = _fixture(name)
    path.write_text(text[: text.index("Maya") + 30], encoding="utf-8")
    with pytest.raises(InputError, match=match) as info:
        transcripts.read_transcripts(path)
    assert info.value.line is not None


# --- properties -------------------------------------------------------------------------------

_speaker = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r"), min_size=1, max_size=20
).map(str.strip)
_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r"), min_size=1, max_size=60
).map(str.strip)
_time = st.none() | st.floats(0, 1e7, allow_nan=False)
_utterances = st.lists(
    st.tuples(_speaker.filter(bool), _text.filter(bool), _time, st.floats(0, 600)), max_size=10
)


def _expected(rows) -> list[tuple]:
    return [(s, t, start, None if start is None else start + d) for s, t, start, d in rows]


@settings(max_examples=150, deadline=None)
@given(
    _utterances,
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["speaker", "Name", "participant"]),
    st.sampled_from(["text", "Utterance", "content"]),
    st.sampled_from(["start", "Start Time", "onset"]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_csv_round_trip(rows, delimiter, speaker, text, start, newline) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow([start, speaker, "end", text])
    for who, words, t0, d in rows:
        writer.writerow(["" if t0 is None else repr(t0), who, "" if t0 is None else t0 + d, words])
    [t] = tabular.parse_csv(out.getvalue())
    assert _rows(t.utterances) == _expected(rows)


@settings(max_examples=150, deadline=None)
@given(_utterances, st.booleans(), st.none() | st.text(max_size=10) | st.integers())
def test_json_round_trip(rows, wrapped, ident) -> None:
    items = [
        {"speaker": who, "text": words, "start": t0, "end": None if t0 is None else t0 + d}
        for who, words, t0, d in rows
    ]
    doc = {"id": ident, "utterances": items} if wrapped else items
    [t] = tabular.parse_json(json.dumps(doc))
    assert _rows(t.utterances) == _expected(rows)
    assert t.id == (str(ident) if wrapped and ident is not None else None)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["", "speaker,start,end,text\n", "[", "{"]))
def test_fuzz_only_input_errors(text: str, prefix: str) -> None:
    text = prefix + text
    tabular.sniff_csv(text)
    tabular.sniff_json(text)
    for parse in (tabular.parse_csv, tabular.parse_json):
        with contextlib.suppress(InputError):
            parse(text)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["speaker", "Text", "start", "end", "id"]), children)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_fuzz_json_structure_only_input_errors(data: object) -> None:
    for doc in (data, {"utterances": data}):
        text = json.dumps(doc)
        tabular.sniff_json(text)
        with contextlib.suppress(InputError):
            tabular.parse_json(text)
