"""Tests for attunement.io.plaintext (one 'Name: words' per line)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attunement.errors import AttunementWarning, InputError
from attunement.io import plaintext
from attunement.io._common import decode_text, read_text

FIXTURES = Path(__file__).parent / "fixtures"


def rows(text: str) -> list[tuple]:
    (transcript,) = plaintext.parse(text, path="s.txt")
    assert transcript.format == "text"
    return [(u.speaker, u.text, u.start, u.end, u.line) for u in transcript.utterances]


# --- known answers ---------------------------------------------------------------------------


def test_plain_text_file():
    assert rows(read_text(FIXTURES / "text" / "session.txt")) == [
        ("Therapist", "Hi Sam, thanks for coming in today.", None, None, 1),
        (
            "Client",
            "Thanks. It's been a rough week, honestly. I kept thinking about what you said, and "
            "what I really meant to say was: I am tired.",  # a long lead is not a name
            None,
            None,
            2,
        ),
        ("Therapist", "What would help?", 62.0, None, 5),
        ("Client", "Sleep.", 70.0, None, 6),
        ("Dr. Lee", "Let's look at that.", 75.0, None, 7),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("T: ok", ("T", "ok", None)),
        ("Speaker 2: ok", ("Speaker 2", "ok", None)),
        ("Mary Ann de Vries: ok", ("Mary Ann de Vries", "ok", None)),  # four words
        ("Zoë O'Neil-Smith (she/her): ok", ("Zoë O'Neil-Smith (she/her)", "ok", None)),
        ("Client : ok", ("Client", "ok", None)),
        ("**Therapist:** ok", ("Therapist", "ok", None)),
        ("__Client__: ok", ("Client", "ok", None)),
        ("[1:02:03.5] Ann: ok", ("Ann", "ok", 3723.5)),
        ("(01:02) Ann: ok", ("Ann", "ok", 62.0)),
        ("00:01:02 Ann: ok", ("Ann", "ok", 62.0)),
        ("[00:01:02]Ann: a: b", ("Ann", "a: b", 62.0)),
        ("Ann:\tok", ("Ann", "ok", None)),
    ],
)
def test_named_lines(line, expected):
    assert rows(line)[0][:3] == expected


@pytest.mark.parametrize(
    "line",
    [
        "and what I mean is: this",  # five words
        "A" * 41 + ": too long a name",
        "10:30 we met",
        "see http://example.org for more",
        "Ann:no space after the colon",
        "Really?: no",
        "[inaudible] then: something",
        "12 Angry Men: a film",
        "[00:01:02] words without a name",
    ],
)
def test_lines_that_are_not_named_continue_the_utterance(line):
    assert rows(f"Ann: so\n{line}\n") == [("Ann", f"so {line}", None, None, 1)]


def test_name_alone_on_a_line_with_words_below_and_empty_utterances_skipped():
    text = "\n\nTherapist:\nHow are you?\n\nClient:\nClient:\nFine.\nBob:\n"
    assert rows(text) == [
        ("Therapist", "How are you?", None, None, 3),
        ("Client", "Fine.", None, None, 7),
    ]


def test_utf16_bom_and_crlf():
    data = "Ann: hi\r\nBob: hey\r\n".encode("utf-16")
    assert [r[:2] for r in rows(decode_text(data))] == [("Ann", "hi"), ("Bob", "hey")]


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("", None, "holds no utterances with words; expected a 'Name: words' line"),
        ("\n \n", None, "holds no utterances"),
        ("Ann:\nBob:\n", None, "holds no utterances with words"),
        ("Ann: hi\n[00:75] Bob: hey\n", 2, r"timestamp '00:75' is not a valid time"),
        ("Ann: hi\n(1:61:00) Bob: hey\n", 2, r"timestamp '1:61:00' is not a valid time"),
    ],
)
def test_errors_name_the_line_and_say_what_was_expected(text, line, match):
    with pytest.raises(InputError, match=match) as info:
        plaintext.parse(text, path="s.txt")
    assert info.value.path == "s.txt"
    assert info.value.line == line


def test_huge_values():
    assert rows("[999999:00:00] Ann: hi")[0][2] == 3599996400.0
    # a seven-digit hour is not taken for a timestamp, so the line has no name
    with pytest.raises(InputError, match="holds no utterances"):
        plaintext.parse("[9999999:00:00] Ann: hi")
    long_words = "word " * 100_000
    assert len(rows(f"Ann: {long_words}\n{long_words}")[0][1]) == 2 * len(long_words) - 1


def test_windows_1252_bytes_are_refused_naming_the_line():
    data = "Ann: hi\nBob: na\xefve\n".encode("cp1252")
    with pytest.raises(InputError, match="byte 0xef is not valid UTF-8") as info:
        decode_text(data, path="s.txt")
    assert info.value.line == 2


def test_sniff():
    assert plaintext.sniff("Therapist: How are you?\nClient: Fine.")
    assert plaintext.sniff("A title\n\n[00:00:01] Ann: hi\n")
    for other in ("", "Just prose.\nMore prose.", "10:30 then\n", "and what I mean is: this\n"):
        assert not plaintext.sniff(other), other


def test_read_transcripts_detects_plain_text(tmp_path):
    from attunement.io.transcripts import read_transcripts

    data = (FIXTURES / "text" / "session.txt").read_bytes()
    for name in ("session.txt", "session.md", "session"):
        (tmp_path / name).write_bytes(data)
        (transcript,) = read_transcripts(tmp_path / name)
        assert transcript.format == "text"
        assert [u.speaker for u in transcript.utterances][:2] == ["Therapist", "Client"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("1\n00:00:01.000 --> 00:00:04.000\nTherapist: Hello.\n", 2),  # WebVTT, no header
        ("Therapist: Hello.\n\n00:00:04,500 --> 00:00:06,000\nClient: Hi.\n", 3),
        ("Therapist: Hello.\n-00:00:01,000-->00:00:02,000 X1:10\n", 2),
    ],
)
def test_a_caption_timing_line_is_refused_naming_the_line(text, line):
    with pytest.raises(
        InputError, match=r"found the caption cue timing .*looks like WebVTT"
    ) as info:
        plaintext.parse(text, path="s.txt")
    assert (info.value.path, info.value.line) == ("s.txt", line)


def test_an_arrow_inside_words_is_not_a_timing():
    assert rows("Therapist: from 10:00 --> 11:00, then.\n")[0][1] == "from 10:00 --> 11:00, then."


# --- round trips and fuzzing -----------------------------------------------------------------

names = st.from_regex(r"[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8}){0,3}", fullmatch=True) | st.sampled_from(
    ["Speaker 1", "Dr. Lee", "Zoë Ørsted", "O'Neil-Smith", "T", "Client (mother)"]
)
words = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "S"]), min_size=1, max_size=10
)
texts = st.lists(words, min_size=1, max_size=12).map(" ".join)
stamps = st.none() | st.integers(0, 100 * 3600)
utterances = st.lists(
    st.tuples(names, texts, stamps, st.sampled_from(["[{}] ", "({}) ", "{} "])),
    min_size=1,
    max_size=15,
)


def clock(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"


def write_text(items) -> str:
    lines = []
    for name, text, start, stamp in items:
        prefix = "" if start is None else stamp.format(clock(start))
        lines.append(f"{prefix}{name}: {text}")
    return "\n".join(lines)


@settings(max_examples=100, deadline=None)
@given(items=utterances)
def test_round_trip(items):
    assert [(s, t, a, b) for s, t, a, b, _ in rows(write_text(items))] == [
        (name, text, None if start is None else float(start), None)
        for name, text, start, _ in items
    ]


def check_fuzz(text: str) -> None:
    try:
        transcripts = plaintext.parse(text, path="f.txt")
    except InputError as exc:
        assert exc.path == "f.txt"
        return
    for u in transcripts[0].utterances:
        assert u.text and u.speaker and u.end is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_text_only_parses_or_raises_input_error(text):
    check_fuzz(text)
    check_fuzz("Ann: hi\n" + text)
    plaintext.sniff(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), items=utterances)
def test_fuzz_mangled_files_only_parse_or_raise_input_error(data, items):
    text = write_text(items)
    cut = data.draw(st.integers(0, len(text)))
    stop = data.draw(st.integers(cut, min(len(text), cut + 20)))
    insert = data.draw(st.text(alphabet="0123456789:[]() \nAb*", max_size=12))
    check_fuzz(text[:cut])  # truncated
    check_fuzz(text[:cut] + insert + text[stop:])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_bytes_only_decode_and_parse_or_raise_input_error(data):
    try:
        text = decode_text(data, path="f.txt")
    except InputError:
        return
    check_fuzz(text)


@pytest.mark.parametrize(
    "text",
    [
        "**" * 200_000 + ": x",
        "1:" * 200_000,
        "[" + "1" * 200_000,
        "Ann: hi\n" + "A" * 200_000 + " : x",
    ],
)
def test_pathological_long_lines_are_read_in_linear_time(text):
    check_fuzz(text)


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("Session 3, 4 May\nAnn: hi\n", "lines 1-1"),
        ("\n\nTranscript\nhello\nAnn: hi\n", "lines 3-4"),
    ],
)
def test_a_short_preamble_is_skipped_with_a_warning(text, lines):
    with pytest.warns(AttunementWarning, match=f"skipped .* before the first speaker \\({lines}"):
        (t,) = plaintext.parse(text, path="s.txt")
    assert [(u.speaker, u.text) for u in t.utterances] == [("Ann", "hi")]


def test_a_long_preamble_is_an_error():
    text = "".join(f"prose line {i}\n" for i in range(30)) + "Ann: hi\n"
    with pytest.raises(InputError, match="found 21 lines before any speaker") as info:
        plaintext.parse(text, path="s.txt")
    assert info.value.line == 21
