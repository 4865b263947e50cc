import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.errors import AttunementWarning, InputError
from attunement.io.transcripts import FORMATS, detect_format, read_transcripts

VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nTherapist: Hello.\n"
SRT = "1\n00:00:01,000 --> 00:00:02,000\nTherapist: Hello.\n"
TEXT = "Therapist: Hello.\nClient: Hi.\n"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("s.vtt", VTT, "vtt"),
        ("s", VTT, "vtt"),  # no extension: content decides
        ("s.txt", VTT, "vtt"),  # renamed file: content decides
        ("s.dat", SRT, "srt"),
        ("notes", TEXT, "text"),
        ("s.txt", TEXT, "text"),
    ],
)
def test_detection_by_extension_then_content(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content)
    (raw,) = read_transcripts(path)
    assert raw.format == expected
    assert raw.utterances[0].text == "Hello."


def test_known_extension_with_other_content_explains_that_format():
    with pytest.raises(InputError, match="WEBVTT"):
        detect_format("this is not a caption file at all", suffix=".vtt", path="s.vtt")


def test_unknown_content_lists_formats():
    with pytest.raises(InputError, match=r"^x.bin: is not a transcript format .*WebVTT"):
        detect_format("%%%%\n", suffix=".bin", path="x.bin")


def test_forced_format_and_unknown_format(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text(TEXT)
    assert read_transcripts(path, format="text")[0].format == "text"
    with pytest.raises(InputError, match="unknown transcript format 'docx'; expected one of"):
        read_transcripts(path, format="docx")


def test_registry_names_are_stable():
    assert list(FORMATS) == [
        "annomi",
        "rev",
        "json",
        "vtt",
        "srt",
        "otter",
        "zoom_captions",
        "csv",
        "text",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        ("Therapist: caf\u00e9 \u2019ok\u2019\n".encode("cp1252"), r":1: byte 0x.. is not valid"),
    ],
)
def test_bad_files(tmp_path, data, message):
    path = tmp_path / "s.txt"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message):
        read_transcripts(path)


def test_cp1252_readable_when_asked(tmp_path):
    path = tmp_path / "s.txt"
    path.write_bytes("Therapist: caf\u00e9 \u2019ok\u2019\nClient: Yes.\n".encode("cp1252"))
    (raw,) = read_transcripts(path, encoding="cp1252")
    assert raw.utterances[0].text == "caf\u00e9 \u2019ok\u2019"


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_transcripts(tmp_path / "nope.vtt")
    with pytest.raises(InputError, match="is a folder"):
        read_transcripts(tmp_path)


# --- caption files without their signature ----------------------------------------------------


def cues(sep: str = ".", numbered: bool = True) -> str:
    first = f"00:00:01{sep}000 --> 00:00:04{sep}000\nTherapist: Hello.\n"
    second = f"00:00:04{sep}500 --> 00:00:06{sep}000\nClient: Hi.\n"
    if numbered:
        first, second = "1\n" + first, "2\n" + second
    return f"{first}\n{second}"


@pytest.mark.parametrize(
    ("name", "content", "expected", "warns"),
    [
        ("s.vtt", cues(), "vtt", "has no WEBVTT header line"),  # WebVTT without 'WEBVTT'
        ("s.txt", cues(), "vtt", "has no WEBVTT header line"),
        ("s", cues(numbered=False), "vtt", "has no WEBVTT header line"),
        ("s.srt", cues(), "srt", None),  # SubRip with '.' before the milliseconds
        ("s.txt", cues(","), "srt", None),
        ("s.dat", cues(",", numbered=False), "srt", None),  # SubRip without a first cue number
    ],
)
def test_cue_timings_are_read_as_captions_whatever_the_header(
    tmp_path, name, content, expected, warns
):
    path = tmp_path / name
    path.write_text(content)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (raw,) = read_transcripts(path)
    assert raw.format == expected
    assert [(u.speaker, u.text, u.start, u.end) for u in raw.utterances] == [
        ("Therapist", "Hello.", 1.0, 4.0),
        ("Client", "Hi.", 4.5, 6.0),
    ]
    messages = [str(w.message) for w in caught if issubclass(w.category, AttunementWarning)]
    if warns is None:
        assert messages == []
    else:
        assert messages == [f"{path}: {warns}; its cues were read as WebVTT captions"]


@pytest.mark.parametrize("name", ["s.srt", "s.txt", "s"])
@pytest.mark.parametrize("sep", [",", "."])
def test_negative_first_timing_is_refused_naming_the_line(tmp_path, name, sep):
    path = tmp_path / name
    path.write_text(f"1\n-00:00:01{sep}000 --> 00:00:04{sep}000\nTherapist: Hello.\n")
    with pytest.raises(InputError, match=r"cue time '-00:00:01.000' is negative") as info:
        read_transcripts(path)
    assert (info.value.path, info.value.line) == (str(path), 2)


cue_starts = st.lists(st.integers(-5_000, 10 * 3_600_000), min_size=1, max_size=8)


def _stamp(ms: int, sep: str) -> str:
    sign, ms = ("-" if ms < 0 else ""), abs(ms)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{sign}{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


@settings(max_examples=150, deadline=None)
@given(
    starts=cue_starts,
    sep=st.sampled_from([",", "."]),
    numbered=st.booleans(),
    header=st.sampled_from(["", "WEBVTT\n\n", "Session 12\n\n"]),
    suffix=st.sampled_from([".txt", ".srt", ".vtt", ".csv", ""]),
)
def test_fuzz_a_timing_line_never_ends_up_in_utterance_text(starts, sep, numbered, header, suffix):
    cues = [
        (f"{i}\n" if numbered else "")
        + f"{_stamp(ms, sep)} --> {_stamp(max(ms, 0) + 500, sep)}\nTherapist: Words {i}.\n"
        for i, ms in enumerate(starts, start=1)
    ]
    text = header + "\n".join(cues)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        try:
            fmt = detect_format(text, suffix=suffix, path="f" + suffix)
            (raw,) = fmt.parse(text, path="f" + suffix)
        except InputError as exc:
            assert exc.path == "f" + suffix
            return
    assert fmt.name in ("vtt", "srt")
    assert all(u.start is not None and u.end is not None for u in raw.utterances)
    assert [u.text for u in raw.utterances] == [f"Words {i}." for i in range(1, len(starts) + 1)]
    assert min(starts) >= 0 and starts == sorted(starts)


@pytest.mark.parametrize("encoding", ["klingon", "base64", "zlib_codec", "rot13"])
def test_an_encoding_that_is_not_a_text_encoding_is_refused(tmp_path, encoding):
    # base64, zlib and rot13 are codecs, but not of text: decoding with them must not end in a
    # traceback
    path = tmp_path / "t.txt"
    path.write_text("Therapist: hi\nClient: hello\n")
    with pytest.raises(InputError, match=f"encoding: unknown encoding '{encoding}'"):
        read_transcripts(path, encoding=encoding)
