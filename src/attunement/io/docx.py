"""Word documents (``.docx``): a transcript typed or exported into Word.

The document's paragraphs (and table rows, cells joined by a tab) become lines of text, which
are then read as any other text transcript: ``Name: words`` lines, an Otter.ai export pasted into
Word, or captions. Reading uses python-docx.
"""

from __future__ import annotations

import io
import zipfile

from attunement.errors import InputError
from attunement.io._common import Source, read_bytes, source_name

__all__ = ["MAX_XML_BYTES", "docx_text", "is_docx"]

#: Largest total size of a document's XML parts once unpacked (bytes). Word writes about 1 MB of
#: XML for an hour's transcript (its styles and settings add some 100 kB), so 16 MiB is more than
#: ten hours. More is a zip bomb: parsing XML takes about a second and 30 MB of memory per MB.
#: Pictures and other media in the package are not counted (they are never unpacked).
MAX_XML_BYTES = 16 * 2**20
#: Largest .docx file read (bytes), pictures included.
MAX_DOCX_BYTES = 64 * 2**20


def is_docx(data: bytes) -> bool:
    """Whether ``data`` starts like a zip that holds a Word document.

    Examples
    --------
    >>> is_docx(b"Therapist: hello")
    False
    """
    if not data.startswith(b"PK\x03\x04"):
        return False
    return b"word/" in data[:65536] or b"[Content_Types].xml" in data[:65536]


def _check_unpacked(data: bytes, where: str) -> None:
    """Refuse a package whose XML unpacks to more than :data:`MAX_XML_BYTES`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            xml = sum(i.file_size for i in zf.infolist() if i.filename.endswith((".xml", ".rels")))
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # python-docx says what is wrong with it
    if xml > MAX_XML_BYTES:
        raise InputError(
            f"unpacks to {xml / 2**20:.0f} MiB of XML; expected at most "
            f"{MAX_XML_BYTES / 2**20:.0f} MiB for a Word document (an hour's transcript is "
            "about 1 MB)",
            path=where,
        )


def docx_text(path: Source) -> str:
    """The text of a Word document, one line per paragraph or table row.

    Raises
    ------
    InputError
        When the file is not a readable Word document, or unpacks to more than
        :data:`MAX_XML_BYTES` of XML.
    """
    import docx  # python-docx, imported here: only .docx input needs it
    from docx.opc.exceptions import PackageNotFoundError

    p = source_name(path)
    data = read_bytes(path, max_bytes=MAX_DOCX_BYTES, what="a Word document")
    _check_unpacked(data, p)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise InputError(
            "cannot be read as a Word document (it is not a complete .docx package); expected a "
            ".docx "
            "file saved by Word, LibreOffice or Google Docs",
            path=p,
        ) from None
    except Exception as exc:  # lxml and python-docx raise many kinds for damaged XML
        raise InputError(
            f"is a damaged Word document ({type(exc).__name__}); expected a .docx file saved by "
            "Word, LibreOffice or Google Docs",
            path=p,
        ) from None
    lines = []
    for block in document.iter_inner_content():  # paragraphs and tables in document order
        if isinstance(block, docx.table.Table):
            lines.extend("\t".join(cell.text for cell in row.cells) for row in block.rows)
        else:
            lines.append(block.text)
    return "\n".join(lines) + "\n"
