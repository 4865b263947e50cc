"""Tests for attunement.io.srt (SubRip captions)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attunement.errors import AttunementWarning, InputError
from attunement.io import srt
from attunement.io._captions import _NON_SPEECH
from attunement.io._common import decode_text, read_text

FIXTURES = Path(__file__).parent / "fixtures"


def rows(text: str) -> list[tuple]:
    (transcript,) = srt.parse(text, path="s.srt")
    assert transcript.format == "srt"
    return [(u.speaker, u.text, u.start, u.end, u.line) for u in transcript.utterances]


# --- known answers ---------------------------------------------------------------------------


def test_subrip_file():
    assert rows(read_text(FIXTURES / "srt" / "session.srt")) == [
        ("Dana Reyes", "Hi Sam.", 1.0, 4.0, 2),
        ("SAM", "Long week. Really long.", 4.5, 7.25, 6),  # '>> NAME:' broadcast style
        ("SAM", "I didn't sleep.", 7.5, 9.0, 11),  # no speaker: the previous cue's
        ("Speaker 1", "What kept you up?", 9.1, 12.0, 15),  # '[Name]' style, coordinates
        ("Speaker 1", "[laughs] Everything.", 12.5, 13.0, 19),  # a sound is not a speaker
        ("Dana Reyes", "AT&T called again?", 3723.004, 3725.0, 23),  # {\an8}, entities
    ]


def test_utf16_with_bom_and_crlf():
    text = "1\r\n00:00:01,000 --> 00:00:02,000\r\nAnn: hi\r\n\r\n"
    assert rows(decode_text(b"\xff\xfe" + text.encode("utf-16-le"))) == [("Ann", "hi", 1.0, 2.0, 2)]


def test_first_cue_without_speaker_has_empty_speaker():
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\n- Hello?\n\n2\n00:00:02,000 --> 00:00:03,000\nAnn: hi\n"
    )
    assert [(s, t) for s, t, *_ in rows(text)] == [("", "- Hello?"), ("Ann", "hi")]


def test_two_speakers_in_one_cue_and_missing_cue_number_and_dot_milliseconds():
    text = "00:00:01.000 --> 00:00:02.500\nAnn: hi\n[Bob] hello\n\n\n\n"
    assert rows(text) == [("Ann", "hi", 1.0, 2.5, 1), ("Bob", "hello", 1.0, 2.5, 1)]


def test_empty_cue_is_skipped_and_trailing_blank_lines_ignored():
    text = "1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n\n2\n00:00:02,000 --> 00:00:03,000\nAnn: x\n"
    assert rows(text + "\n  \n") == [("Ann", "x", 2.0, 3.0, 6)]


# --- errors ----------------------------------------------------------------------------------

CUE = "1\n00:00:01,000 --> 00:00:02,000\nAnn: hi\n\n"


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("", None, "is empty; expected SubRip cues"),
        ("\n \n", None, "is empty"),
        (
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAnn: hi\n",
            1,
            "does not start with a cue .*it looks like WebVTT",
        ),
        ("Ann: hi\nBob: hello\n", 1, r"found 'Ann: hi'.*expected a SubRip file"),
        ("\n\nAnn  0:02\nhello\n", 3, "does not start with a cue"),
        ("1\n00:00:01,000 --> 00:00:02,000\n", None, "holds no cues with text"),
        (CUE + "2\n00:00:0", 5, "found '2' where a cue was expected"),  # truncated
        (CUE + "2\n00:00:03,000 --> 00:00:04,", 6, "cue time '00:00:04,' is malformed"),
        (CUE + "2\n00:00:05,000 --> 00:00:04,000\nx\n", 6, "ends at 00:00:04,000 before it"),
        (CUE + "2\n00:00:03,000 -> 00:00:04,000\nx\n", 5, "found '2' where a cue was expected"),
        (CUE + "2\n00:00:03;000 --> 00:00:04,000\nx\n", 6, "cue time '00:00:03;000'"),
        (CUE + "2\n9999999:00:00,000 --> 9999999:00:01,000\nx\n", 6, "is malformed"),
        (CUE + "two\n00:00:03,000 --> 00:00:04,000\nx\n", 5, "cue number is 'two'; expected a"),
        (CUE + "²\n00:00:03,000 --> 00:00:04,000\nx\n", 5, "cue number is '²'"),
        (
            CUE + "2\n00:00:03,000 --> 00:00:04,000\nx\n3\n00:00:05,000 --> 00:00:06,000\ny\n",
            9,
            "second timing line .* expected a blank line between cues",
        ),
    ],
)
def test_errors_name_the_line_and_say_what_was_expected(text, line, match):
    with pytest.raises(InputError, match=match) as info:
        srt.parse(text, path="s.srt")
    assert info.value.path == "s.srt"
    assert info.value.line == line


def test_windows_1252_bytes_are_refused_naming_the_line():
    data = "1\n00:00:01,000 --> 00:00:02,000\nAnn: \u201cquoted\u201d\n".encode("cp1252")
    with pytest.raises(InputError, match="byte 0x93 is not valid UTF-8") as info:
        decode_text(data, path="s.srt")
    assert info.value.line == 3


def test_binary_is_refused():
    with pytest.raises(InputError, match="binary"):
        decode_text(bytes(range(256)) * 4, path="s.srt")


def test_sniff():
    assert srt.sniff(CUE)
    assert srt.sniff("\ufeff\n\n1\r\n00:00:01,000 --> 00:00:02,000\r\nhi")
    assert srt.sniff("12\n1:02:03,4 --> 1:02:04,5 X1:10\n")
    for other in (
        "",
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nhi\n",
        "1\n00:00:01.000 --> 00:00:02.000\nhi\n",  # dots: WebVTT without its header
        "00:00:01,000 --> 00:00:02,000\nhi\n",
        "Ann  0:02\nhi\n",
        "Ann: hi\n",
        "1\nAnn: hi\n",
    ):
        assert not srt.sniff(other), other


def test_read_transcripts_detects_srt(tmp_path):
    from attunement.io.transcripts import read_transcripts

    data = (FIXTURES / "srt" / "session.srt").read_bytes()
    for name in ("session.srt", "session.subtitles", "session.SRT"):
        (tmp_path / name).write_bytes(data)
        (transcript,) = read_transcripts(tmp_path / name)
        assert transcript.format == "srt"
        assert len(transcript.utterances) == 6


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("1\n-00:00:01,000 --> 00:00:04,000\nAnn: hi\n", 2, "cue time '-00:00:01,000' is negative"),
        (CUE + "2\n00:00:01,000 --> -00:00:04,000\nhi\n", 6, "'-00:00:04,000' is negative"),
    ],
)
def test_negative_times_are_refused_naming_the_line(text, line, match):
    with pytest.raises(InputError, match=match) as info:
        srt.parse(text, path="s.srt")
    assert (info.value.path, info.value.line) == ("s.srt", line)


def test_cues_going_back_in_time_are_refused_naming_the_line():
    text = "1\n00:00:10,000 --> 00:00:11,000\nAnn: a\n\n2\n00:00:01,000 --> 00:00:02,000\nBo: b\n"
    text += "\n3\n00:00:05,000 --> 00:00:06,000\nAnn: c\n"
    with pytest.raises(
        InputError,
        match=r"^s.srt:6: cue starts at 00:00:01.000, before the cue above it \(00:00:10.000, "
        r"line 2\); expected cues in time order$",
    ):
        srt.parse(text, path="s.srt")


def test_equal_and_overlapping_starts_are_fine():
    text = "1\n00:00:01,000 --> 00:00:05,000\nAnn: a\n\n2\n00:00:01,000 --> 00:00:02,000\nBo: b\n"
    assert [r[2] for r in rows(text)] == [1.0, 1.0]


# --- round trips and fuzzing -----------------------------------------------------------------

names = (
    st.from_regex(r"[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8}){0,2}", fullmatch=True)
    | st.sampled_from(["Speaker 1", "Dr. Lee", "Zoë Ørsted", "O'Neil-Smith"])
).filter(lambda name: not _NON_SPEECH.fullmatch(name))  # '[Music] ...' is a sound, not a name
words = st.text(
    st.characters(codec="utf-8", categories=["L", "N"]) | st.sampled_from("'.,?!-:"),
    min_size=1,
    max_size=10,
)
# A text may not start with ':' -- "[Ann] : yes" is read, as it should be, as Ann saying "yes",
# so such a text could not come back as written.
texts = st.lists(words, min_size=1, max_size=12).map(" ".join).filter(lambda t: t[0] != ":")
millis = st.integers(0, 100 * 3600 * 1000)
utterances = st.lists(
    st.tuples(names, texts, millis, st.integers(0, 120_000), st.sampled_from(["", ">> ", "["])),
    min_size=1,
    max_size=15,
).map(lambda items: sorted(items, key=lambda item: item[2]))  # cues in time order


def clock(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def write_srt(items) -> str:
    out = []
    for i, (name, text, start, duration, style) in enumerate(items, start=1):
        label = f"[{name}]" if style == "[" else f"{style}{name}:"
        out += [str(i), f"{clock(start)} --> {clock(start + duration)}", f"{label} {text}", ""]
    return "\n".join(out)


@settings(max_examples=100, deadline=None)
@given(items=utterances)
def test_round_trip(items):
    got = rows(write_srt(items))
    assert [(s, t) for s, t, *_ in got] == [(name, text) for name, text, *_ in items]
    for (*_, start, end, _), (_, _, ms, duration, _) in zip(got, items, strict=True):
        assert start == pytest.approx(ms / 1000) and end == pytest.approx((ms + duration) / 1000)


@settings(max_examples=100, deadline=None)
@given(items=utterances, data=st.data())
def test_round_trip_with_paragraphs_inside_cues(items, data):
    # blank lines inside a cue's text (after its first word, before a word that starts with a
    # letter, with no colon after it that would read as a new speaker) change nothing but a warning
    broken = []
    for name, text, start, duration, style in items:
        split = text.split(" ")
        at = [
            j
            for j in range(1, len(split))
            if split[j][:1].isalpha() and ":" not in " ".join(split[j:])
        ]
        for j in data.draw(st.sets(st.sampled_from(at))) if at else ():
            split[j] = "\n\n" + split[j]
        broken.append((name, " ".join(split).replace(" \n\n", "\n\n"), start, duration, style))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        got = rows(write_srt(broken))
    assert [(s, t) for s, t, *_ in got] == [(name, text) for name, text, *_ in items]


def check_fuzz(text: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AttunementWarning)  # paragraphs inside cues
            transcripts = srt.parse(text, path="f.srt")
    except InputError as exc:
        assert exc.path == "f.srt"
        return
    for u in transcripts[0].utterances:
        assert u.text and u.end >= u.start >= 0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_text_only_parses_or_raises_input_error(text):
    check_fuzz(text)
    check_fuzz("1\n00:00:01,000 --> 00:00:02,000\n" + text)
    srt.sniff(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), items=utterances)
def test_fuzz_mangled_files_only_parse_or_raise_input_error(data, items):
    text = write_srt(items)
    cut = data.draw(st.integers(0, len(text)))
    stop = data.draw(st.integers(cut, min(len(text), cut + 20)))
    insert = data.draw(st.text(alphabet="0123456789:,->\n [>]", max_size=12))
    check_fuzz(text[:cut])  # truncated
    check_fuzz(text[:cut] + insert + text[stop:])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_bytes_only_decode_and_parse_or_raise_input_error(data):
    try:
        text = decode_text(data, path="f.srt")
    except InputError:
        return
    check_fuzz(text)


@pytest.mark.parametrize(
    "text",
    [
        "1\n00:00:01,000 --> 00:00:02,000\n" + "{\\" * 200_000,
        "1\n00:00:01,000 --> 00:00:02,000\n" + "[" * 200_000,
        "1\n00:00:01,000 --> 00:00:02,000\n[Ann]" + " " * 200_000 + "x",
        "1\n" + "a" * 200_000 + "-->" + " " * 200_000,
    ],
)
def test_pathological_long_lines_are_read_in_linear_time(text):
    check_fuzz(text)


def test_paragraphs_after_blank_lines_inside_a_cue_are_its_text():
    # as players read it: on to the next cue number and timing line
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nAnn: hi\n\n"
        "2\n00:00:03,000 --> 00:00:09,000\nBob: First paragraph.\n\nSecond one,\nstill Bob.\n\n"
        "\n\nThird.\n\n"
        "3\n00:00:10,000 --> 00:00:11,000\nAnn: ok\n"
    )
    with pytest.warns(AttunementWarning, match=r"s\.srt:9: 2 paragraphs after a blank line"):
        (raw,) = srt.parse(text, path="s.srt")
    got = [(u.speaker, u.text, u.start, u.end) for u in raw.utterances]
    assert got == [
        ("Ann", "hi", 1.0, 2.0),
        ("Bob", "First paragraph. Second one, still Bob. Third.", 3.0, 9.0),
        ("Ann", "ok", 10.0, 11.0),
    ]


@pytest.mark.parametrize(
    ("tail", "line", "match"),
    [
        ("2\n00:00:0", 5, "found '2' where a cue was expected"),  # a cue cut off
        ("00:00:03,000\nx\n", 5, "found '00:00:03,000' where a cue was expected"),
        ("and then\n00:00:03,000 --> 00:00:04,000\nx\n", 5, "cue number is .and then."),
    ],
)
def test_a_block_meant_as_a_cue_is_never_read_as_text(tail, line, match):
    with pytest.raises(InputError, match=match) as info:
        srt.parse(CUE + tail, path="s.srt")
    assert info.value.line == line
