"""Tests for attunement.io.vtt (WebVTT from Zoom and Microsoft Teams)."""

from __future__ import annotations

import html
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attunement.errors import AttunementWarning, InputError
from attunement.io import vtt
from attunement.io._common import decode_text, read_text

FIXTURES = Path(__file__).parent / "fixtures"


def rows(text: str) -> list[tuple]:
    (transcript,) = vtt.parse(text, path="s.vtt")
    assert transcript.format == "vtt"
    return [(u.speaker, u.text, u.start, u.end, u.line) for u in transcript.utterances]


# --- known answers ---------------------------------------------------------------------------


def test_zoom_export():
    assert rows(read_text(FIXTURES / "vtt" / "zoom.vtt")) == [
        ("Dana Reyes", "Hi Sam, thanks for coming in today.", 1.35, 4.17, 4),
        ("Sam Okafor", "Thanks. It's been a rough week, honestly.", 5.01, 9.12, 8),
        (
            "Sam Okafor",
            "I kept thinking about what you said about the fights at home.",
            9.5,
            14.8,
            12,
        ),
        ("Dana Reyes", "What I mean is: you noticed a pattern?", 15.0, 18.25, 17),
        ("Dana Reyes", "Mm-hmm.", 18.3, 20.0, 21),  # no speaker: the previous cue's
    ]


def test_teams_export_utf16_with_bom_guid_ids_unclosed_voice_and_unpadded_times():
    data = (FIXTURES / "vtt" / "teams_utf16.vtt").read_bytes()
    assert data.startswith(b"\xff\xfeW\x00E\x00B\x00V\x00T\x00T\x00\r\x00\n\x00")
    assert rows(decode_text(data)) == [
        ("Dana Reyes", "How has the week been?", 13.54, 15.12, 6),
        ("Sam Okafor", "Long. Really long & tiring.", 15.9, 19.2, 10),  # no </v>
        ("Sam Okafor", "I didn't sleep much.", 19.5, 22.0, 14),
        ("Dana Reyes", "That sounds hard.", 19.5, 22.0, 14),  # two voices, one cue
        ("Dana Reyes", "What would help, Zoë?", 62.0, 65.5, 21),
    ]


def test_header_style_region_note_settings_short_times_tags_and_entities():
    assert rows(read_text(FIXTURES / "vtt" / "captions.vtt")) == [
        ("Therapist", "Welcome back & settle in", 1.0, 4.0, 16),
        ("Client", "Thanks for having me <3", 4.5, 6.0, 19),
        # the empty cue at 00:06.000 is skipped
        ("Therapist", "An hour in, and we are still here.", 3607.25, 3609.0, 24),
    ]


def test_cue_without_any_speaker_yet_has_empty_speaker():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello there\n\n"
    text += "00:00:02.000 --> 00:00:03.000\nAnn: hi\n\n00:00:03.000 --> 00:00:04.000\nok\n"
    assert [(s, t) for s, t, *_ in rows(text)] == [
        ("", "hello there"),
        ("Ann", "hi"),
        ("Ann", "ok"),
    ]


def test_voice_tags_win_over_name_prefixes():
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v.loud Ann Lee>Note: this</v>\n\n"
        "00:00:02.000 --> 00:00:03.000\nBob: not a name here\n"
    )
    assert [(s, t) for s, t, *_ in rows(text)] == [
        ("Ann Lee", "Note: this"),
        ("Ann Lee", "Bob: not a name here"),
    ]


def test_two_named_lines_in_one_zoom_cue_give_two_utterances():
    text = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nAnn: hi\nBob: hello\nthere\n"
    assert [(s, t) for s, t, *_ in rows(text)] == [("Ann", "hi"), ("Bob", "hello there")]


def test_prose_with_a_long_lead_is_not_a_name():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nAnn: so\nand what I really meant was: no\n"
    assert rows(text)[0][:2] == ("Ann", "so and what I really meant was: no")


def test_cues_right_after_the_header_and_crlf_and_bom():
    text = "\ufeffWEBVTT\r\n1\r\n00:00:01.000 --> 00:00:02.000\r\nAnn: hi\r\n"
    assert rows(decode_text(text.encode("utf-8-sig"))) == [("Ann", "hi", 1.0, 2.0, 3)]
    assert rows(text.replace("\r\n", "\n")) == [("Ann", "hi", 1.0, 2.0, 3)]


def test_cue_right_after_note_header_lines():
    text = 'WEBVTT\nNOTE duration:"00:01:00.0000000"\nNOTE language:en-us\nab12/3-0\n'
    text += "0:0:1.5 --> 0:0:2.0\n<v Ann>hi\n"
    assert rows(text) == [("Ann", "hi", 1.5, 2.0, 5)]
    assert rows(text.replace("ab12/3-0\n", "")) == [("Ann", "hi", 1.5, 2.0, 4)]


@pytest.mark.parametrize(
    "body",
    [
        "<v" + " " * 200_000 + "x",
        "<v." * 100_000,
        "<" * 200_000,
        "a" * 200_000 + "-->" + " " * 200_000 + "b",
    ],
)
def test_pathological_long_lines_are_read_in_linear_time(body):
    check_fuzz("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + body)
    check_fuzz("WEBVTT\n\n" + body)


def test_zero_length_cue_and_comma_milliseconds_are_accepted():
    assert rows("WEBVTT\n\n00:00:01,500 --> 00:00:01.500\nAnn: hm\n") == [
        ("Ann", "hm", 1.5, 1.5, 3)
    ]


def test_huge_but_well_formed_hours_are_read():
    assert rows("WEBVTT\n\n999999:00:00.000 --> 999999:00:01.000\nAnn: hi\n")[0][2] == 3599996400.0


# --- errors ----------------------------------------------------------------------------------

CUE = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAnn: hi\n\n"


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("", 1, "does not start with WEBVTT"),
        ("   \n\n", 1, "does not start with WEBVTT"),
        ("1\n00:00:01,000 --> 00:00:02,000\nAnn: hi\n", 1, r"found '1'.*expected a WebVTT file"),
        ("WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nhi\n", 1, "does not start with WEBVTT"),
        ("Ann: hi\n", 1, "does not start with WEBVTT"),
        ("WEBVTT\n", None, "holds no cues with text"),
        ("WEBVTT\n\nNOTE only a note\n", None, "holds no cues with text"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n", None, "holds no cues with text"),
        (CUE + "2\n00:00:0", 7, "found '2' where a cue was expected"),  # truncated
        (
            CUE + "2\n00:00:03.000 --> 00:00:04.",
            8,
            "cue time '00:00:04.' is malformed",
        ),  # truncated
        (CUE + "2\n00:00:03.000 -->\n", 8, "is malformed; expected 'hh:mm:ss.ttt --> "),
        (CUE + "00:00:05.000 --> 00:00:04.000\nx\n", 7, "ends at 00:00:04.000 before it starts"),
        (CUE + "00:00:03.000 --> 00:00:04.x00\nx\n", 7, r"cue time '00:00:04.x00' is malformed"),
        (CUE + "00:59:03.000 --> 01:62:04.000\nx\n", 7, "cue time '01:62:04.000' is malformed"),
        (CUE + "9999999:00:00.000 --> 9999999:00:01.000\nx\n", 7, "is malformed"),
        (CUE + "just some words\nand more\n", 7, "found 'just some words' where a cue was"),
        (
            CUE + "3\n00:00:03.000 --> 00:00:04.000\nx\n4\n00:00:05.000 --> 00:00:06.000\ny\n",
            11,
            "second timing line .* expected a blank line between cues",
        ),
    ],
)
def test_errors_name_the_line_and_say_what_was_expected(text, line, match):
    with pytest.raises(InputError, match=match) as info:
        vtt.parse(text, path="s.vtt")
    assert info.value.path == "s.vtt"
    assert info.value.line == line


def test_windows_1252_bytes_are_refused_naming_the_line():
    data = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAnn: caf\xe9\n".encode("cp1252")
    with pytest.raises(InputError, match="byte 0xe9 is not valid UTF-8") as info:
        decode_text(data, path="s.vtt")
    assert info.value.line == 4


def test_binary_is_refused():
    with pytest.raises(InputError, match="binary"):
        decode_text(b"WEBVTT\n\x00\x01\x02\xff" * 50, path="s.vtt")


def test_sniff():
    assert vtt.sniff(CUE)
    assert vtt.sniff("\ufeffWEBVTT")
    assert vtt.sniff("WEBVTT - Zoom\n")
    for other in ("", "1\n00:00:01,000 --> 00:00:02,000\nhi\n", "Ann  0:02\nhi\n", "Ann: hi"):
        assert not vtt.sniff(other)
    assert not vtt.sniff(" WEBVTT\n") and not vtt.sniff("WEBVTTX\n")


def test_read_transcripts_detects_vtt(tmp_path):
    from attunement.io.transcripts import read_transcripts

    for name in ("zoom.vtt", "teams_utf16.vtt"):
        target = tmp_path / name.replace(".vtt", ".captions")  # unknown suffix: content decides
        target.write_bytes((FIXTURES / "vtt" / name).read_bytes())
        for path in (FIXTURES / "vtt" / name, target):
            (transcript,) = read_transcripts(path)
            assert transcript.format == "vtt"
            assert transcript.utterances[0].speaker == "Dana Reyes"


# --- missing header, time order, unnamed cues --------------------------------------------------


def test_file_without_webvtt_line_is_read_with_a_warning():
    text = "1\n00:00:01.000 --> 00:00:04.000\nAnn: hi\n\n2\n00:00:04.500 --> 00:00:06.000\nBo: ok\n"
    with pytest.warns(AttunementWarning, match=r"^s.vtt: has no WEBVTT header line"):
        assert rows(text) == [("Ann", "hi", 1.0, 4.0, 2), ("Bo", "ok", 4.5, 6.0, 6)]
    with pytest.warns(AttunementWarning, match="has no WEBVTT header line"):
        assert rows(text.replace("1\n", "", 1))[0] == ("Ann", "hi", 1.0, 4.0, 1)


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("1\n-00:00:01.000 --> 00:00:04.000\nAnn: hi\n", 2, "cue time '-00:00:01.000' is negative"),
        (CUE + "-00:00:01.000 --> 00:00:04.000\nhi\n", 7, "is negative; expected a time at or"),
        (CUE + "00:00:01.000 --> -00:00:04.000\nhi\n", 7, "cue time '-00:00:04.000' is negative"),
    ],
)
def test_negative_times_are_refused_naming_the_line(text, line, match):
    with pytest.raises(InputError, match=match) as info:
        vtt.parse(text, path="s.vtt")
    assert (info.value.path, info.value.line) == ("s.vtt", line)


def test_cues_going_back_in_time_are_refused_naming_the_line():
    text = "WEBVTT\n\n1\n00:00:10.000 --> 00:00:11.000\nAnn: a\n\n"
    text += "2\n00:00:01.000 --> 00:00:02.000\nBo: b\n\n3\n00:00:05.000 --> 00:00:06.000\nAnn: c\n"
    with pytest.raises(
        InputError,
        match=r"^s.vtt:8: cue starts at 00:00:01.000, before the cue above it \(00:00:10.000, "
        r"line 4\); expected cues in time order$",
    ):
        vtt.parse(text, path="s.vtt")


@settings(max_examples=100, deadline=None)
@given(starts=st.lists(st.integers(0, 3_600_000), min_size=1, max_size=10))
def test_cues_out_of_time_order_are_refused_at_the_first_that_goes_back(starts):
    text = "WEBVTT\n\n" + "".join(
        f"{clock(ms)} --> {clock(ms + 500)}\nAnn: w{i}\n\n" for i, ms in enumerate(starts)
    )
    back = [i for i in range(1, len(starts)) if starts[i] < starts[i - 1]]
    if not back:
        assert [t for _, t, *_ in rows(text)] == [f"w{i}" for i in range(len(starts))]
        return
    with pytest.raises(InputError, match="before the cue above it") as info:
        vtt.parse(text, path="s.vtt")
    assert info.value.line == 3 + 3 * back[0]


def test_cues_without_a_speaker_name_are_counted_in_one_warning():
    text = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nhello?\n\n"  # no speaker yet: ''
    text += "2\n00:00:02.000 --> 00:00:03.000\nAnn: hi\n\n3\n00:00:03.000 --> 00:00:04.000\nmm\n\n"
    text += "4\n00:00:04.000 --> 00:00:05.000\nBo: ok\n\n5\n00:00:05.000 --> 00:00:06.000\nyes\n"
    with pytest.warns(AttunementWarning) as record:
        got = rows(text)
    assert [(s, t) for s, t, *_ in got] == [
        ("", "hello?"),
        ("Ann", "hi"),
        ("Ann", "mm"),
        ("Bo", "ok"),
        ("Bo", "yes"),
    ]
    assert [str(w.message) for w in record] == [
        "s.vtt: 2 cues had no speaker name; they were given to the previous speaker (lines 12, 20)"
    ]


def test_zoom_export_warns_about_its_unnamed_cue():
    with pytest.warns(AttunementWarning, match=r"^z.vtt: 1 cue had no speaker name; it was given"):
        vtt.parse(read_text(FIXTURES / "vtt" / "zoom.vtt"), path="z.vtt")


def test_fully_named_cues_give_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows(CUE + "2\n00:00:03.000 --> 00:00:04.000\nBo: hello\n")


# --- round trips and fuzzing -----------------------------------------------------------------

names = st.from_regex(r"[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8}){0,2}", fullmatch=True) | st.sampled_from(
    ["Speaker 1", "Dr. Lee", "Zoë Ørsted", "O'Neil-Smith"]
)
words = st.text(
    st.characters(codec="utf-8", categories=["L", "N"]) | st.sampled_from("&<>'.,?!-"),
    min_size=1,
    max_size=10,
)
texts = st.lists(words, min_size=1, max_size=12).map(" ".join)
millis = st.integers(0, 10 * 3600 * 1000)
utterances = st.lists(
    st.tuples(names, texts, millis, st.integers(0, 120_000)), min_size=1, max_size=15
).map(lambda items: sorted(items, key=lambda item: item[2]))  # cues in time order


def clock(ms: int, unpadded: bool = False) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h}:{m}:{s}.{ms:03d}" if unpadded else f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def write_vtt(items, style: str) -> str:
    out = ["WEBVTT", ""]
    for i, (name, text, start, duration) in enumerate(items, start=1):
        teams = style == "teams"
        timing = f"{clock(start, teams)} --> {clock(start + duration, teams)}"
        body = html.escape(text, quote=False)
        if teams:
            close = "</v>" if i % 2 else ""
            out += [
                f"4e2e0b4a-7ad3-4f7e-b6a0-8d3f5e1c2a11/{i}-0",
                timing,
                f"<v {name}>{body}{close}",
            ]
        else:
            out += [str(i), timing + " align:start", f"{name}: {body}"]
        out.append("")
    return "\n".join(out)


@settings(max_examples=100, deadline=None)
@given(items=utterances, style=st.sampled_from(["zoom", "teams"]))
def test_round_trip(items, style):
    got = rows(write_vtt(items, style))
    assert [(s, t) for s, t, *_ in got] == [(name, text) for name, text, *_ in items]
    for (*_, start, end, _), (*_, ms, duration) in zip(got, items, strict=True):
        assert start == pytest.approx(ms / 1000) and end == pytest.approx((ms + duration) / 1000)


def check_fuzz(text: str) -> None:
    try:
        transcripts = vtt.parse(text, path="f.vtt")
    except InputError as exc:
        assert exc.path == "f.vtt"
        return
    for u in transcripts[0].utterances:
        assert u.text and u.end >= u.start >= 0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_text_only_parses_or_raises_input_error(text):
    check_fuzz(text)
    check_fuzz("WEBVTT\n\n" + text)
    vtt.sniff(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), items=utterances, style=st.sampled_from(["zoom", "teams"]))
def test_fuzz_mangled_files_only_parse_or_raise_input_error(data, items, style):
    text = write_vtt(items, style)
    cut = data.draw(st.integers(0, len(text)))
    stop = data.draw(st.integers(cut, min(len(text), cut + 20)))
    insert = data.draw(st.text(alphabet="0123456789:.->\n <v/WEBVTT", max_size=12))
    check_fuzz(text[:cut])  # truncated
    check_fuzz(text[:cut] + insert + text[stop:])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_bytes_only_decode_and_parse_or_raise_input_error(data):
    try:
        text = decode_text(b"WEBVTT\n\n" + data, path="f.vtt")
    except InputError:
        return
    check_fuzz(text)
