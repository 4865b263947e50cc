"""What every reader shares: safe file access, text decoding and the raw transcript form.

Readers turn bytes into :class:`RawTranscript` objects (speaker names as written in the source);
:func:`attunement.io.roles.assign_roles` then maps names to roles and pseudonyms. Helpers for
caption-like formats live in :mod:`attunement.io._captions`, for tables in
:mod:`attunement.io._tables`.
"""

from __future__ import annotations

import codecs
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from attunement.errors import InputError

__all__ = [
    "MAX_TEXT_BYTES",
    "InMemoryFile",
    "RawTranscript",
    "RawUtterance",
    "Source",
    "decode_text",
    "parse_clock",
    "read_bytes",
    "read_text",
    "source_name",
]

#: Largest transcript file read (bytes). A one-hour session is well under 1 MB; a corpus CSV
#: such as AnnoMI is about 10 MB.
MAX_TEXT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class InMemoryFile:
    """A file given as its bytes, read without ever being written anywhere (an upload).

    Every reader that takes a path takes one of these too. ``name`` stands for the file in
    messages, and its extension counts as a path's would (``notes.docx``, ``band.zip``).

    Examples
    --------
    >>> f = InMemoryFile("week 6.vtt", b"WEBVTT")
    >>> f.suffix, str(f)
    ('.vtt', 'week 6.vtt')
    """

    name: str
    data: bytes = field(repr=False)

    @property
    def suffix(self) -> str:
        """The name's extension, as :attr:`pathlib.PurePath.suffix`."""
        return PurePath(self.name).suffix

    @property
    def stem(self) -> str:
        """The name without its extension, as :attr:`pathlib.PurePath.stem`."""
        return PurePath(self.name).stem

    def __str__(self) -> str:
        return self.name


#: What a reader reads: a path, or a file's bytes.
Source = str | os.PathLike[str] | InMemoryFile


def source_name(source: Source) -> str:
    """How messages name ``source``: the path as given, or an in-memory file's name."""
    return source.name if isinstance(source, InMemoryFile) else os.fspath(source)


@dataclass(slots=True)
class RawUtterance:
    """An utterance as the source wrote it, before roles are assigned.

    ``role`` is set only by formats that carry roles themselves (AnnoMI's ``interlocutor``).
    ``line`` is the 1-based source line, for error messages.
    """

    speaker: str
    text: str
    start: float | None = None
    end: float | None = None
    line: int | None = None
    role: str | None = None


@dataclass(slots=True)
class RawTranscript:
    """One session's utterances as read from a file (a corpus file yields several)."""

    utterances: list[RawUtterance]
    format: str
    id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def read_bytes(
    path: Source,
    *,
    max_bytes: int = MAX_TEXT_BYTES,
    what: str = "a transcript",
) -> bytes:
    """Read a whole file, refusing what is missing, a folder, empty or too large.

    Raises
    ------
    InputError
        Naming ``path``: not found, a directory, empty, or larger than ``max_bytes``.
    """
    if isinstance(path, InMemoryFile):
        _check_size(len(path.data), max_bytes, path.name)
        if not path.data.strip():
            raise InputError(f"is empty; expected {what}", path=path.name)
        return path.data
    p = Path(path)
    if not p.exists():
        raise InputError("no such file; expected an existing file", path=p)
    if p.is_dir():
        raise InputError("is a folder; expected a file", path=p)
    _check_size(p.stat().st_size, max_bytes, p)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot be read ({exc.strerror}); expected a readable file", path=p
        ) from exc
    if not data.strip():
        raise InputError(f"is empty; expected {what}", path=p)
    return data


def _check_size(size: int, max_bytes: int, path: str | os.PathLike[str]) -> None:
    if size > max_bytes:
        raise InputError(
            f"is {size / 2**20:.0f} MiB; expected at most {max_bytes / 2**20:.0f} MiB "
            "for this kind of file",
            path=path,
        )


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark shows as a NUL in every other byte of ASCII text."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / len(sample[0::2])
    odd = sample[1::2].count(0) / len(sample[1::2])
    if odd > 0.4 and even < 0.05:
        return "utf-16-le"
    if even > 0.4 and odd < 0.05:
        return "utf-16-be"
    return None


def decode_text(
    data: bytes,
    *,
    path: str | os.PathLike[str] | None = None,
    encoding: str | None = None,
    what: str = "a text transcript",
) -> str:
    """Decode a text file: UTF-8 (with or without BOM) or UTF-16/32 with a BOM, or ``encoding``.

    Line endings are normalised to ``\\n`` and a leading BOM removed.

    Raises
    ------
    InputError
        For binary data, or bytes that are not valid in the encoding, naming the line and byte.

    Examples
    --------
    >>> decode_text("Therapist: hi\\r\\n".encode("utf-16"))
    'Therapist: hi\\n'
    """
    if encoding is not None:
        try:
            text_codec = codecs.lookup(encoding)._is_text_encoding
        except LookupError:
            text_codec = False
        if not text_codec:  # unknown, or a bytes-to-bytes codec such as base64
            raise InputError(
                f"unknown encoding {encoding!r}; expected a name such as utf-8, utf-16 or cp1252",
                field="encoding",
            )
        name = encoding
        body = data
    else:
        name, body = "utf-8", data
        for bom, enc in _BOMS:
            if data.startswith(bom):
                name, body = enc, data[len(bom) :]
                break
        else:
            guessed = _bomless_utf16(data)
            if guessed is not None:
                name = guessed
    if name == "utf-8" and encoding is None and b"\x00" in body[:65536]:
        raise InputError(f"is a binary file (it contains NUL bytes); expected {what}", path=path)
    try:
        text = body.decode(name)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        found = body[exc.start : exc.start + 1].hex()
        hint = ""
        if name == "utf-8":
            hint = (
                "; it may be Windows-1252 or Latin-1: re-save it as UTF-8, or pass "
                "--encoding cp1252"
            )
        raise InputError(
            f"byte 0x{found} is not valid {name.upper()}; expected UTF-8 or UTF-16 text{hint}",
            path=path,
            line=line,
        ) from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    control = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\n\t\f\v")
    if control > max(8, len(text[:65536]) // 100):
        raise InputError(
            f"looks binary (it is full of control characters); expected {what}",
            path=path,
        )
    return text


def read_text(path: Source, *, encoding: str | None = None, what: str = "a transcript") -> str:
    """:func:`read_bytes` then :func:`decode_text`; ``what`` words the messages."""
    data = read_bytes(path, what=what)
    return decode_text(data, path=source_name(path), encoding=encoding, what=what)


_CLOCK = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d+))?\s*$")


def parse_clock(value: str) -> float | None:
    """Parse ``[h:]m:s[.fff]`` (also ``,fff`` and unpadded ``0:0:13.540``) to seconds, else None.

    Examples
    --------
    >>> parse_clock("01:02:03.500"), parse_clock("0:0:13.540"), parse_clock("2:05")
    (3723.5, 13.54, 125.0)
    >>> parse_clock("in a minute") is None
    True
    """
    m = _CLOCK.match(value)
    if m is None:
        return None
    h, mnt, s, frac = m.groups()
    if int(s) >= 60 or (h is not None and int(mnt) >= 60):
        return None
    seconds = int(h or 0) * 3600 + int(mnt) * 60 + int(s)
    if frac:
        seconds += int(frac) / 10 ** len(frac)
    return float(seconds)


def parse_toml(text: str, *, path: str | os.PathLike[str] | None, what: str) -> dict[str, Any]:
    """Parse TOML, turning a syntax error into an :class:`InputError` with its line.

    Parameters
    ----------
    text : str
    path : path-like or None
        The file, for the message.
    what : str
        What the file should be ("a session manifest"), for the message.

    Raises
    ------
    InputError
        ``is not valid TOML (...); expected <what>``, with the line of the error.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        where = re.search(r"\s*\(at line (\d+), column \d+\)", msg)
        line = int(where.group(1)) if where else None
        msg = msg.replace(where.group(0), "") if where else msg
        raise InputError(
            f"is not valid TOML ({msg}); expected {what}", path=path, line=line
        ) from None
