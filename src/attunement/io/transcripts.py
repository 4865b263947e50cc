"""The transcript formats, and choosing one by file extension and content.

Each format module offers ``sniff(text) -> bool`` (does this text look like the format?) and
``parse(text, *, path=None) -> list[RawTranscript]`` (raises :class:`InputError` naming the line).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from attunement.errors import InputError
from attunement.io import annomi, otter, plaintext, rev, srt, tabular, vtt, zoom_captions
from attunement.io._captions import find_cue_timing, timing_uses_comma
from attunement.io._common import InMemoryFile, RawTranscript, Source, read_text, source_name
from attunement.io.docx import docx_text, is_docx

__all__ = ["FORMATS", "TranscriptFormat", "detect_format", "read_transcripts"]


@dataclass(frozen=True, slots=True)
class TranscriptFormat:
    name: str
    description: str
    extensions: tuple[str, ...]
    sniff: Callable[[str], bool]
    parse: Callable[..., list[RawTranscript]]
    #: True when the format has an unmistakable signature (a WEBVTT line, cue timings, a
    #: corpus header), so that content wins over a misleading extension.
    strong: bool = True


#: Registry, in the order formats are tried when sniffing content.
FORMATS: dict[str, TranscriptFormat] = {
    f.name: f
    for f in (
        TranscriptFormat(
            "annomi", "AnnoMI-style CSV (many transcripts)", (".csv",), annomi.sniff, annomi.parse
        ),
        TranscriptFormat(
            "rev", "Rev-style JSON (monologues / elements)", (".json",), rev.sniff, rev.parse
        ),
        TranscriptFormat(
            "json",
            "generic JSON (speaker, text, optional start/end seconds)",
            (".json",),
            tabular.sniff_json,
            tabular.parse_json,
            strong=False,
        ),
        TranscriptFormat(
            "vtt", "WebVTT captions (Zoom, Microsoft Teams)", (".vtt",), vtt.sniff, vtt.parse
        ),
        TranscriptFormat("srt", "SubRip captions", (".srt",), srt.sniff, srt.parse),
        TranscriptFormat("otter", "Otter.ai text export", (".txt",), otter.sniff, otter.parse),
        TranscriptFormat(
            "zoom_captions",
            "Zoom saved captions (meeting_saved_closed_caption.txt)",
            (".txt",),
            zoom_captions.sniff,
            zoom_captions.parse,
        ),
        TranscriptFormat(
            "csv",
            "generic CSV (speaker, text, optional start/end seconds)",
            (".csv", ".tsv"),
            tabular.sniff_csv,
            tabular.parse_csv,
            strong=False,
        ),
        TranscriptFormat(
            "text",
            "plain text, one 'Name: words' per line",
            (".txt", ".text", ".md"),
            plaintext.sniff,
            plaintext.parse,
            strong=False,
        ),
    )
}


def _choices() -> str:
    return ", ".join(FORMATS)


def detect_format(text: str, *, suffix: str = "", path: str | None = None) -> TranscriptFormat:
    """Pick the format of ``text``.

    Formats with an unmistakable signature are tried first, then the loose ones (generic CSV
    and JSON, plain text) that claim the file's extension, then the other loose ones, each by
    its ``sniff``; the first match wins (so a ``.txt`` file that holds WebVTT is read as WebVTT).

    Text with caption cue timings (``00:00:04.500 --> 00:00:06.000``) among its first 200 lines
    but without a caption signature (a WebVTT file without its ``WEBVTT`` line, SubRip with
    ``.`` before the milliseconds or a malformed first cue) is captions all the same, never
    plain text: SubRip for a ``.srt`` file or a timing with ``,`` before the fraction, else
    WebVTT (whose reader warns about the missing header, or refuses naming the line).

    Examples
    --------
    >>> detect_format("1\\n00:00:01.000 --> 00:00:02.000\\nAnn: hi\\n", suffix=".srt").name
    'srt'
    >>> detect_format("1\\n00:00:01.000 --> 00:00:02.000\\nAnn: hi\\n", suffix=".txt").name
    'vtt'

    Raises
    ------
    InputError
        When nothing matches: for a known extension, the error of that format's parser (which
        says what it expected); otherwise a list of the formats read.
    """
    suffix = suffix.lower()
    claimed = [f for f in FORMATS.values() if suffix in f.extensions]
    others = [f for f in FORMATS.values() if suffix not in f.extensions]
    order = [f for f in FORMATS.values() if f.strong]
    order += [f for f in claimed if not f.strong] + [f for f in others if not f.strong]
    strong = [f for f in order if f.strong]
    for fmt in strong:
        if fmt.sniff(text):
            return fmt
    timing = find_cue_timing(text)
    if timing is not None:
        return FORMATS["srt" if suffix == ".srt" or timing_uses_comma(timing[1]) else "vtt"]
    for fmt in order[len(strong) :]:
        if fmt.sniff(text):
            return fmt
    if claimed:
        claimed[-1].parse(text, path=path)  # raises with the format's own explanation
    expected = "; ".join(f.description for f in FORMATS.values())
    raise InputError(
        f"is not a transcript format attunement reads; expected one of: {expected}", path=path
    )


def _starts_like_docx(path: Path | InMemoryFile) -> bool:
    if isinstance(path, InMemoryFile):
        return is_docx(path.data[:65536])
    if not path.is_file():
        return False
    with path.open("rb") as fh:
        return is_docx(fh.read(65536))


def read_transcripts(
    path: Source, *, format: str | None = None, encoding: str | None = None
) -> list[RawTranscript]:
    """Read every transcript in ``path`` (one for most formats, many for a corpus CSV).

    Parameters
    ----------
    path : path-like or InMemoryFile
        The file, or its bytes and name (nothing is written anywhere).
    format : str, optional
        Force a format by name (see ``FORMATS``) instead of detecting it.
    encoding : str, optional
        Force a text encoding (default: UTF-8, or UTF-16/32 when the file has a byte-order mark).

    A Word document (``.docx``) is turned into its text first, then read like a ``.txt`` file.
    """
    p = path if isinstance(path, InMemoryFile) else Path(path)
    where = source_name(p)
    if format is not None and format not in FORMATS:
        raise InputError(
            f"unknown transcript format {format!r}; expected one of {_choices()}", field="format"
        )
    suffix = p.suffix
    if suffix.lower() == ".docx" or _starts_like_docx(p):
        text, suffix = docx_text(p), ".txt"  # then read as the text it holds
    else:
        text = read_text(p, encoding=encoding)
    fmt = FORMATS[format] if format else detect_format(text, suffix=suffix, path=where)
    transcripts = fmt.parse(text, path=where)
    if not transcripts or not any(t.utterances for t in transcripts):
        raise InputError(f"holds no utterances; expected a {fmt.description}", path=where)
    for t in transcripts:
        t.format = fmt.name
    return transcripts
