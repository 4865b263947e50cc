"""Tests for attunement.io.zoom_captions (Zoom's meeting_saved_closed_caption.txt)."""

from __future__ import annotations

import codecs
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attunement.errors import AttunementWarning, InputError
from attunement.io import zoom_captions
from attunement.io._common import MAX_TEXT_BYTES, decode_text
from attunement.io.sessions import read_session
from attunement.io.transcripts import detect_format, read_transcripts

FIXTURES = Path(__file__).parent / "fixtures"

#: Two speakers, six blocks (three of one speaker in a row), a caption over two lines, and a
#: session that runs past midnight.
SESSION = """\
[Dana Reyes] 23:58:40
Hi Sam, thanks for coming in today.

[Sam Patel] 23:58:47
Thanks. It's been a rough week,
honestly.

[Sam Patel] 23:59:30
I kept thinking about what you said.

[Sam Patel] 23:59:58
About the mornings.

[Dana Reyes] 00:00:12
What did you notice, Sam?

[Sam Patel] 00:01:05
That I keep putting things off.
"""

EXPECTED = [
    ("Dana Reyes", "Hi Sam, thanks for coming in today.", 0.0, None, 1),
    ("Sam Patel", "Thanks. It's been a rough week, honestly.", 7.0, None, 4),
    ("Sam Patel", "I kept thinking about what you said.", 50.0, None, 8),
    ("Sam Patel", "About the mornings.", 78.0, None, 11),
    ("Dana Reyes", "What did you notice, Sam?", 92.0, None, 14),
    ("Sam Patel", "That I keep putting things off.", 145.0, None, 17),
]


def rows(text: str) -> list[tuple]:
    (transcript,) = zoom_captions.parse(text, path="s.txt")
    assert transcript.format == "zoom_captions"
    return [(u.speaker, u.text, u.start, u.end, u.line) for u in transcript.utterances]


# --- known answers ---------------------------------------------------------------------------


def test_known_answer_with_a_midnight_crossing():
    assert rows(SESSION) == EXPECTED
    (transcript,) = zoom_captions.parse(SESSION)
    assert transcript.meta == {"first_caption_time": "23:58:40"}


def test_crlf_no_blank_lines_unpadded_hour_and_brackets_in_names():
    text = "[Ann [she/her]]\t9:00:01\r\nHello\r\n[Bob  Lee] 9:00:03\r\n\r\nHi.\r\n"
    assert rows(decode_text(text.encode())) == [
        ("Ann [she/her]", "Hello", 0.0, None, 1),
        ("Bob Lee", "Hi.", 2.0, None, 3),
    ]


def test_equal_times_and_a_day_long_session():
    # 07:59:58 is 12 h 1 s before 19:59:59: the next morning
    text = "[A] 08:00:00\nx\n\n[B] 08:00:00\ny\n\n[A] 19:59:59\nz\n\n[B] 07:59:58\nw\n"
    assert [start for _, _, start, *_ in rows(text)] == [0.0, 0.0, 43199.0, 86398.0]


@pytest.mark.parametrize(
    "data",
    [
        SESSION.encode("utf-8"),
        codecs.BOM_UTF8 + SESSION.encode("utf-8"),
        SESSION.replace("\n", "\r\n").encode("utf-16"),  # with a BOM
        SESSION.encode("utf-16-le"),  # without one
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom-crlf", "utf-16-le"],
)
def test_encodings_read_the_same(tmp_path, data):
    path = tmp_path / "meeting_saved_closed_caption.txt"
    path.write_bytes(data)
    (raw,) = read_transcripts(path)
    assert raw.format == "zoom_captions"
    assert [(u.speaker, u.text, u.start, u.end, u.line) for u in raw.utterances] == EXPECTED


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["meeting_saved_closed_caption.txt", "closed_caption", "s.dat"])
def test_read_transcripts_detects_the_format(tmp_path, name):
    path = tmp_path / name
    path.write_text(SESSION)
    (raw,) = read_transcripts(path)
    assert raw.format == "zoom_captions"
    assert len(raw.utterances) == 6


def test_read_session_assigns_roles_and_scrubs_names(tmp_path):
    path = tmp_path / "meeting_saved_closed_caption.txt"
    path.write_text(SESSION)
    session = read_session(path, therapist="Dana Reyes", client="Sam Patel")
    assert session.meta["source_format"] == "zoom_captions"
    assert session.meta["first_caption_time"] == "23:58:40"
    assert session.meta["speakers"] == {"Therapist": "therapist", "Client": "client"}
    assert [(u.speaker, u.role, u.start) for u in session.utterances] == [
        ("Therapist", "therapist", 0.0),
        ("Client", "client", 7.0),
        ("Client", "client", 50.0),
        ("Client", "client", 78.0),
        ("Therapist", "therapist", 92.0),
        ("Client", "client", 145.0),
    ]
    assert session.utterances[0].text == "Hi [Client], thanks for coming in today."
    assert session.utterances[4].text == "What did you notice, [Client]?"
    assert "Sam" not in " ".join(u.text for u in session.utterances)
    kept = read_session(path, therapist="Dana Reyes", keep_names=True)
    assert kept.utterances[1].speaker == "Sam Patel"
    assert kept.utterances[0].text == "Hi Sam, thanks for coming in today."


def test_other_formats_are_not_taken():
    for fixture, fmt in [
        ("text/session.txt", "text"),
        ("otter/session.txt", "otter"),
        ("vtt/zoom.vtt", "vtt"),
        ("srt/session.srt", "srt"),
    ]:
        text = decode_text((FIXTURES / fixture).read_bytes())
        assert not zoom_captions.sniff(text), fixture
        assert detect_format(text, suffix=".txt").name == fmt, fixture


def test_sniff():
    assert zoom_captions.sniff(SESSION)
    assert zoom_captions.sniff("\ufeff\n[Ann] 10:00:01\nHello.\n")  # one block, whole file
    for other in (
        "",
        "[Ann] 10:00:01\n",  # a header without words
        "[Ann] 10:00:01\n[Bo] 10:00:02\n",
        "Notes\n[Ann] 10:00:01\nHi.\n\n[Bo] 10:00:02\nHey.\n",  # not the first line
        "[00:01:02] Therapist: Hello.\n[00:01:05] Client: Hi.\n",  # plain text with timestamps
        "[Therapist] Hello.\n[Client] Hi.\n",
        "Ann  0:02\nHello.\n",
        "10:00:01 From Ann : hello\n10:00:05 From Bo : hi\n",  # Zoom's saved chat
        "[Ann] 10:00:01\nHi.\n" + "words\n" * 300,  # one header in a long file: too weak
    ):
        assert not zoom_captions.sniff(other), other


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("", None, r"holds no caption headers; expected a header '\[Name\] HH:MM:SS'"),
        ("\n \n", None, "holds no caption headers"),
        ("Meeting notes\n[Ann] 10:00:01\nHi.\n", 1, "found 'Meeting notes' before the first"),
        ("\n\nTherapist: hi\n", 3, "found 'Therapist: hi' before the first caption header"),
        ("[Ann] 10:00:01\n", None, "holds no captions with words"),
        ("[Ann] 10:00:01\nHi.\n\n[Bo] 25:00:00\nHey.\n", 4, "time '25:00:00' is not a valid"),
        ("[Ann] 10:61:00\nHi.\n", 1, "time '10:61:00' is not a valid time of day"),
        ("[Ann] 10:00:60\nHi.\n", 1, r"expected HH:MM:SS \(24-hour clock\)"),
        ("[Ann] 10:00\nHi.\n", 1, "time '10:00' is not a valid time of day"),
        ("[Ann] 10:00:00.5\nHi.\n", 1, "time '10:00:00.5' is not a valid"),
        ("[Ann] 10:00:05\nHi.\n\n[Bo] 10:00:04\nHey.\n", 4, "starts at 10:00:04, before the"),
        ("[Ann] 20:00:00\nHi.\n\n[Bo] 08:00:00\nHey.\n", 4, "before the caption above it"),
    ],
)
def test_errors_name_the_line_and_say_what_was_expected(text, line, match):
    with pytest.raises(InputError, match=match) as info:
        zoom_captions.parse(text, path="s.txt")
    assert info.value.path == "s.txt"
    assert info.value.line == line


def test_headers_without_words_are_skipped_with_a_warning():
    text = "[Ann] 10:00:01\n\n[Bo] 10:00:04\nHi.\n\n[Ann] 10:00:09\n"
    with pytest.warns(AttunementWarning, match=r"s.txt: skipped 2 caption header\(s\) .*1, 6"):
        got = rows(text)
    assert got == [("Bo", "Hi.", 3.0, None, 3)]  # times stay relative to the first header


@pytest.mark.parametrize(
    ("data", "match", "line"),
    [
        (b"", "is empty; expected a transcript", None),
        (b" \r\n\n", "is empty", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "is a binary file", None),
        (b"\x00\x01\x02\x03" * 64, "binary", None),
        (
            "[Ann] 10:00:01\nHi.\n\n[Bo] 10:00:04\nCaf\u00e9?\n".encode("cp1252"),
            r"byte 0xe9 is not valid UTF-8; .* --encoding cp1252",
            5,
        ),
        (b"[Ann] 10:00:01\nHi.\n\n[Bo] 99:00:04\nHey.\n", r":4: time '99:00:04' is not", 4),
        (b"[Ann] 10:00:01\nHi.\n\n[Bo] 10:00:00\nHey.\n", r":4: caption starts at 10:00:00", 4),
    ],
    ids=["empty", "blank", "png", "control-bytes", "cp1252", "bad-time", "out-of-order"],
)
def test_bad_files(tmp_path, data, match, line):
    path = tmp_path / "meeting_saved_closed_caption.txt"
    path.write_bytes(data)
    with pytest.raises(InputError, match=match) as info:
        read_transcripts(path)
    assert info.value.line == line
    assert info.value.path is not None


def test_text_before_the_first_header_is_reported_when_the_format_is_forced(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("Title\n\n[Ann] 10:00:01\nHi.\n")
    with pytest.raises(InputError, match=r"s\.txt:1: found 'Title' before the first caption"):
        read_transcripts(path, format="zoom_captions")


def test_cp1252_readable_when_asked(tmp_path):
    path = tmp_path / "s.txt"
    path.write_bytes("[Ann] 10:00:01\nCaf\u00e9 \u2019ok\u2019\n".encode("cp1252"))
    (raw,) = read_transcripts(path, encoding="cp1252")
    assert raw.format == "zoom_captions"
    assert raw.utterances[0].text == "Caf\u00e9 \u2019ok\u2019"


def test_huge_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "meeting_saved_closed_caption.txt"
    with path.open("wb") as fh:
        fh.write(b"[Ann] 10:00:01\nHi.\n")
        fh.truncate(MAX_TEXT_BYTES + 1)  # sparse: no disk used
    with pytest.raises(InputError, match=r"is 512 MiB; expected at most 512 MiB"):
        read_transcripts(path)


# --- round trips and fuzzing -----------------------------------------------------------------

names = st.from_regex(r"[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8}){0,2}", fullmatch=True) | st.sampled_from(
    ["Speaker 1", "Dr. Lee", "Zoë Ørsted", "O'Neil-Smith", "Ann [she/her]", "李 小龙", "iPad"]
)
words = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "S"], exclude_characters="[]"),
    min_size=1,
    max_size=10,
)
caption_lines = st.lists(
    st.lists(words, min_size=1, max_size=10).map(" ".join), min_size=1, max_size=3
)
#: (speaker, lines, seconds after the caption before: under 12 h, so the order is unambiguous)
blocks = st.lists(st.tuples(names, caption_lines, st.integers(0, 20_000)), min_size=1, max_size=12)


def clock(seconds: int) -> str:
    h, rest = divmod(seconds % 86_400, 3600)
    return f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}"


def write_zoom(items, first: int, *, blank: bool = True) -> str:
    out, at = [], first
    for name, lines, gap in items:
        at += gap
        out += [f"[{name}] {clock(at)}", *lines] + ([""] if blank else [])
    return "\n".join(out) + "\n"


@settings(max_examples=200, deadline=None)
@given(items=blocks, first=st.integers(0, 86_399), blank=st.booleans())
def test_round_trip(items, first, blank):
    starts, at = [], 0
    for _, _, gap in items:
        at += gap
        starts.append(float(at - items[0][2]))
    assert [(s, t, a, b) for s, t, a, b, _ in rows(write_zoom(items, first, blank=blank))] == [
        (name, " ".join(lines), start, None)
        for (name, lines, _), start in zip(items, starts, strict=True)
    ]


def check_fuzz(text: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AttunementWarning)
            transcripts = zoom_captions.parse(text, path="f.txt")
    except InputError as exc:
        assert exc.path == "f.txt"
        return
    starts = [u.start for u in transcripts[0].utterances]
    assert starts == sorted(starts) and starts[0] >= 0
    assert all(u.text and u.end is None for u in transcripts[0].utterances)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_text_only_parses_or_raises_input_error(text):
    check_fuzz(text)
    check_fuzz("[Ann] 10:00:00\n" + text)
    zoom_captions.sniff(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), items=blocks, first=st.integers(0, 86_399))
def test_fuzz_mangled_files_only_parse_or_raise_input_error(data, items, first):
    text = write_zoom(items, first)
    cut = data.draw(st.integers(0, len(text)))
    stop = data.draw(st.integers(cut, min(len(text), cut + 20)))
    insert = data.draw(st.text(alphabet="0123456789:[] \n\tAb", max_size=12))
    check_fuzz(text[:cut])  # truncated
    check_fuzz(text[:cut] + insert + text[stop:])


@pytest.mark.parametrize(
    "text",
    [
        "[" + " " * 1_000_000 + "] 10:00:00",
        "[Ann] 10:00:00\n" + "[" * 100_000 + "] 1:00:00",
        "[Ann] 10:00:00\nhi\n" * 50_000,
    ],
)
def test_pathological_long_lines_are_read_in_linear_time(text):
    check_fuzz(text)
