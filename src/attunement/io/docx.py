"""Word documents (``.docx``): a transcript typed or exported into Word.

The document's paragraphs (and table rows, cells joined by a tab) become lines of text, which
are then read as any other text transcript: ``Name: words`` lines, an Otter.ai export pasted into
Word, or captions. Reading uses python-docx.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from attunement.errors import InputError
from attunement.io._common import read_bytes

__all__ = ["docx_text", "is_docx"]


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


def docx_text(path: str | os.PathLike[str]) -> str:
    """The text of a Word document, one line per paragraph or table row.

    Raises
    ------
    InputError
        When the file is not a readable Word document.
    """
    import docx  # python-docx, imported here: only .docx input needs it
    from docx.opc.exceptions import PackageNotFoundError

    p = Path(path)
    read_bytes(p, what="a Word document")
    try:
        document = docx.Document(str(p))
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
