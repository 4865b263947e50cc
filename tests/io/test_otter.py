"""Tests for attunement.io.otter (the Otter.ai text export)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attunement.errors import InputError
from attunement.io import otter
from attunement.io._common import decode_text, read_text

FIXTURES = Path(__file__).parent / "fixtures"


def rows(text: str) -> list[tuple]:
    (transcript,) = otter.parse(text, path="s.txt")
    assert transcript.format == "otter"
    return [(u.speaker, u.text, u.start, u.end, u.line) for u in transcript.utterances]


# --- known answers ---------------------------------------------------------------------------


def test_otter_export():
    assert rows(read_text(FIXTURES / "otter" / "session.txt")) == [
        ("Dana Reyes", "Hi Sam, thanks for coming in today.", 2.0, None, 1),
        (
            "Speaker 1",
            "Thanks. It's been a rough week, honestly. I kept thinking about what you said.",
            5.0,
            None,
            4,
        ),
        ("Dana Reyes", "What I mean is: you noticed a pattern?", 75.0, None, 8),
        ("Speaker 1", "Yes.", 3667.0, None, 11),  # h:mm:ss past the first hour
    ]


def test_utf16_bom_crlf_tabs_and_text_after_a_blank_line_continue_the_block():
    text = "Ann\t0:02\r\nHello.\r\n\r\nStill me.\r\n\r\nBob Lee   10:59\r\nHi.\r\n"
    assert rows(decode_text(text.encode("utf-16"))) == [
        ("Ann", "Hello. Still me.", 2.0, None, 1),
        ("Bob Lee", "Hi.", 659.0, None, 6),
    ]


def test_footer_variants_are_skipped_and_equal_times_are_fine():
    text = "Ann  0:02\nHi.\n\nBob  0:02\nHey.\n\nTranscribed by otter.ai\nTRANSCRIBED BY https://otter.ai/\n"
    assert [(s, t, a) for s, t, a, *_ in rows(text)] == [("Ann", "Hi.", 2.0), ("Bob", "Hey.", 2.0)]


@pytest.mark.parametrize(
    "footer",
    [
        "Transcribed by <https://otter.ai>",
        "Transcribed by [otter.ai](https://otter.ai)",
        "transcribed by <https://www.otter.ai/>.",
        "Transcribed by https://otter.ai.",
    ],
)
def test_markdown_footer_is_skipped(footer):
    text = f"Ann  0:02\nHi.\n\nBob  0:05\nHey there.\n\n{footer}\n"
    assert [t for _, t, *_ in rows(text)] == ["Hi.", "Hey there."]
    assert otter.sniff(f"Ann  0:02\n{footer}\n") is False  # a header without words


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("", None, "holds no speaker headers; expected a header 'Name  m:ss'"),
        ("\n\n", None, "holds no speaker headers"),
        ("Transcribed by https://otter.ai\n", None, "holds no speaker headers"),
        ("Session notes\nAnn  0:02\nHi.\n", 1, "found 'Session notes' before the first speaker"),
        ("Ann: hi\nBob: hello\n", 1, "before the first speaker header"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n", 1, "found 'WEBVTT' before"),
        ("Ann  0:02\nHi.\n\nBob  0:05\n", 4, r"'Bob' has no words after it \(is the file cut"),
        ("Ann  0:02\nHi.\n\nBob  0:05\n\nAnn  0:09\nOk.\n", 4, "'Bob' has no words after it"),
        ("Ann  0:02\nHi.\n\nBob  0:75\nHey.\n", 4, "time '0:75' is not a valid time"),
        ("Ann  1:75:00\nHi.\n", 1, "time '1:75:00' is not a valid time"),
        ("Ann  1:00\nHi.\n\nBob  0:59\nHey.\n", 4, "starts at 0:59, before the block above it"),
    ],
)
def test_errors_name_the_line_and_say_what_was_expected(text, line, match):
    with pytest.raises(InputError, match=match) as info:
        otter.parse(text, path="s.txt")
    assert info.value.path == "s.txt"
    assert info.value.line == line


def test_huge_hours_are_read():
    assert rows("Ann  999999:00:00\nHi.\n")[0][2] == 3599996400.0


def test_windows_1252_bytes_are_refused_naming_the_line():
    data = "Ann  0:02\nHi.\n\nBob  0:05\nCaf\xe9?\n".encode("cp1252")
    with pytest.raises(InputError, match="byte 0xe9 is not valid UTF-8") as info:
        decode_text(data, path="s.txt")
    assert info.value.line == 5


def test_sniff():
    assert otter.sniff(read_text(FIXTURES / "otter" / "session.txt"))
    assert otter.sniff("\ufeffSpeaker 1  0:05\nHello there.\n")
    # a title before the headers is tolerated when several headers follow
    assert otter.sniff("My session\n\nAnn  0:02\nHi.\n\nBob  0:05\nHey.\n")
    for other in (
        "",
        "Ann: hi\nBob: hello\n",
        "My session\n\nAnn  0:02\nHi.\n",  # one header, not first: too weak a sign
        "Ann  0:02\nBob  0:05\n",  # headers without words
        "Ann  0:02\n\nTranscribed by https://otter.ai\n",
        "Ann 0:02\nHi.\n",  # one space only
        "1\n00:00:01,000 --> 00:00:02,000\nhi\n",
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n",
        "Items: 3\n\nSomething  ab:cd\nx\n",
    ):
        assert not otter.sniff(other), other


def test_read_transcripts_detects_otter(tmp_path):
    from attunement.io.transcripts import read_transcripts

    data = (FIXTURES / "otter" / "session.txt").read_bytes()
    for name in ("session.txt", "session.otter"):
        (tmp_path / name).write_bytes(data)
        (transcript,) = read_transcripts(tmp_path / name)
        assert transcript.format == "otter"
        assert [u.start for u in transcript.utterances] == [2.0, 5.0, 75.0, 3667.0]


# --- round trips and fuzzing -----------------------------------------------------------------

names = st.from_regex(r"[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8}){0,2}", fullmatch=True) | st.sampled_from(
    ["Speaker 1", "Speaker 12", "Dr. Lee", "Zoë Ørsted", "O'Neil-Smith"]
)
words = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "S"]), min_size=1, max_size=10
)
paragraphs = st.lists(
    st.lists(words, min_size=1, max_size=10).map(" ".join), min_size=1, max_size=3
)
blocks = st.lists(st.tuples(names, paragraphs, st.integers(0, 30_000)), min_size=1, max_size=12)


def clock(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def write_otter(items) -> str:
    out = []
    for name, lines, start in items:
        out += [f"{name}  {clock(start)}", *lines, ""]
    return "\n".join([*out, "Transcribed by https://otter.ai", ""])


def ordered(items):
    starts = sorted(start for *_, start in items)
    return [(name, lines, start) for (name, lines, _), start in zip(items, starts, strict=True)]


@settings(max_examples=100, deadline=None)
@given(items=blocks.map(ordered))
def test_round_trip(items):
    assert [(s, t, a, b) for s, t, a, b, _ in rows(write_otter(items))] == [
        (name, " ".join(lines), float(start), None) for name, lines, start in items
    ]


def check_fuzz(text: str) -> None:
    try:
        transcripts = otter.parse(text, path="f.txt")
    except InputError as exc:
        assert exc.path == "f.txt"
        return
    starts = [u.start for u in transcripts[0].utterances]
    assert starts == sorted(starts) and all(u.text for u in transcripts[0].utterances)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_text_only_parses_or_raises_input_error(text):
    check_fuzz(text)
    check_fuzz("Ann  0:02\n" + text)
    otter.sniff(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), items=blocks.map(ordered))
def test_fuzz_mangled_files_only_parse_or_raise_input_error(data, items):
    text = write_otter(items)
    cut = data.draw(st.integers(0, len(text)))
    stop = data.draw(st.integers(cut, min(len(text), cut + 20)))
    insert = data.draw(st.text(alphabet="0123456789:  \n\tAb", max_size=12))
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
        "A" + " " * 1_000_000 + "1:00",
        "Ann  0:01\n" + "A" * 1_000_000 + "  1:00",
        "Ann  0:01\nhi\n" * 50_000,
    ],
)
def test_pathological_long_lines_are_read_in_linear_time(text):
    check_fuzz(text)
