import pytest

from attunement.errors import InputError
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
