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
