import docx
import pytest

from attunement.errors import InputError
from attunement.io.docx import docx_text, is_docx
from attunement.io.transcripts import read_transcripts


def make_docx(path, paragraphs, table=None):
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        t = document.add_table(rows=0, cols=len(table[0]))
        for row in table:
            cells = t.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = value
    document.save(str(path))
    return path


def test_name_colon_lines_in_word(tmp_path):
    path = make_docx(
        tmp_path / "s.docx",
        ["Therapist: How was the week?", "Client: Long.", "Very long, actually."],
    )
    (raw,) = read_transcripts(path)
    assert raw.format == "text"
    assert [(u.speaker, u.text) for u in raw.utterances] == [
        ("Therapist", "How was the week?"),
        ("Client", "Long. Very long, actually."),
    ]


def test_otter_export_pasted_into_word(tmp_path):
    path = make_docx(
        tmp_path / "o.docx", ["Speaker 1  0:00", "Hello there.", "", "Sam  0:04", "Hi."]
    )
    (raw,) = read_transcripts(path)
    assert raw.format == "otter"
    assert [u.start for u in raw.utterances] == [0.0, 4.0]


def test_table_rows_become_lines(tmp_path):
    rows = [["Therapist:", "Hello."], ["Client:", "Hi."]]
    path = make_docx(tmp_path / "t.docx", ["Session 3"], table=rows)
    assert docx_text(path) == "Session 3\nTherapist:\tHello.\nClient:\tHi.\n"
    assert [u.text for u in read_transcripts(path)[0].utterances] == ["Hello.", "Hi."]


def test_docx_detected_without_extension(tmp_path):
    path = make_docx(tmp_path / "s.docx", ["Therapist: Hello.", "Client: Hi."])
    renamed = tmp_path / "transcript"
    path.rename(renamed)
    assert read_transcripts(renamed)[0].utterances[1].text == "Hi."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty; expected a Word document"),
        (b"PK\x03\x04 not really a zip", "cannot be read as a Word document"),
        (b"plain text pretending", "cannot be read as a Word document"),
    ],
)
def test_bad_docx(tmp_path, data, message):
    path = tmp_path / "bad.docx"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message):
        read_transcripts(path)


def test_truncated_docx(tmp_path):
    path = make_docx(tmp_path / "s.docx", ["Therapist: Hello."] * 50)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"bad.docx|s\.docx"):
        read_transcripts(path)


def test_is_docx():
    assert not is_docx(b"PK\x03\x04abc")
    assert is_docx(b"PK\x03\x04....[Content_Types].xml")


def test_a_document_that_unpacks_to_too_much_xml_is_refused_before_parsing(tmp_path):
    import time
    import zipfile

    from attunement.io import docx as reader

    good = make_docx(tmp_path / "good.docx", ["Therapist: hi", "Client: hello"])
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":  # 17 MiB of blank space deflates to kB
                data = data.replace(b"<w:body>", b"<w:body>" + b" " * (17 * 2**20), 1)
            out.writestr(info, data)
    assert bomb.stat().st_size < 100_000
    started = time.perf_counter()
    with pytest.raises(
        InputError, match=r"bomb\.docx: unpacks to 1[78] MiB of XML; expected at most 16 MiB"
    ):
        docx_text(bomb)
    assert time.perf_counter() - started < 2  # refused before the XML is parsed
    assert reader.MAX_XML_BYTES == 16 * 2**20


def test_a_document_is_read_from_memory(tmp_path):
    from attunement.io._common import InMemoryFile

    path = make_docx(tmp_path / "notes.docx", ["Dr Lee: hi", "Sam: hello"])
    (raw,) = read_transcripts(InMemoryFile("Sam week 2.docx", path.read_bytes()))
    assert [(u.speaker, u.text) for u in raw.utterances] == [("Dr Lee", "hi"), ("Sam", "hello")]
