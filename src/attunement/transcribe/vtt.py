"""Write a transcribed recording: a WebVTT transcript and, beside it, its words as JSON.

The transcript (``session.vtt``) has one cue per stretch of one person's speech, with a voice
tag per cue, as Microsoft Teams writes them, so that :func:`attunement.read_session` and every
other reader of WebVTT reads it back::

    WEBVTT

    1
    00:00:00.000 --> 00:00:01.540
    <v Speaker 1>What brings you in today?</v>

The words file (``session.words.json``) keeps every word with its own timing, speaker and
Whisper's probability, and how the transcript was made (``method``)::

    {"format": "attunement.words", "version": 1, "speakers": ["Speaker 1", "Speaker 2"],
     "duration_s": 61.2, "sources": ["session.m4a"], "method": {...},
     "words": [{"speaker": "Speaker 1", "start": 0.0, "end": 0.26, "word": "What",
                "probability": 0.93}, ...]}

Both are rendered first, written to temporary files beside their targets and then renamed
into place, so a failed run leaves neither half-written; they are readable by their owner only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from attunement.outfiles import atomic_write_all, check_output_file

__all__ = [
    "format_timestamp",
    "sidecar_path",
    "to_webvtt",
    "to_words_json",
    "write_transcript",
]


def format_timestamp(seconds: float) -> str:
    """``hh:mm:ss.ttt``.

    Examples
    --------
    >>> format_timestamp(3723.4567)
    '01:02:03.457'
    """
    ms = round(max(seconds, 0.0) * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_webvtt(turns) -> str:
    """The WebVTT text of a turns table (columns ``speaker``, ``start``, ``end``, ``text``).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"speaker": ["Speaker 1"], "start": [0.0], "end": [1.5],
    ...                   "text": ["Hi & <welcome>"]})
    >>> print(to_webvtt(t))
    WEBVTT
    <BLANKLINE>
    1
    00:00:00.000 --> 00:00:01.500
    <v Speaker 1>Hi &amp; &lt;welcome&gt;</v>
    <BLANKLINE>
    """
    lines = ["WEBVTT", ""]
    for i, row in enumerate(turns.itertuples(index=False), start=1):
        end = max(float(row.end), float(row.start))
        lines += [
            str(i),
            f"{format_timestamp(row.start)} --> {format_timestamp(end)}",
            f"<v {row.speaker}>{_escape(row.text)}</v>",
            "",
        ]
    return "\n".join(lines)


def to_words_json(result) -> str:
    """The words file of a :class:`~attunement.transcribe.RecordingTranscript`, as text."""
    payload = {
        "format": "attunement.words",
        "version": 1,
        "speakers": list(result.speakers),
        "duration_s": round(result.duration_s, 3),
        "sources": [Path(s).name for s in result.sources],
        "method": result.method,
        "words": [
            {
                "speaker": w.speaker,
                "start": round(float(w.start), 3),
                "end": round(float(w.end), 3),
                "word": w.word,
                "probability": round(float(w.probability), 4),
            }
            for w in result.words.itertuples(index=False)
        ],
    }
    return json.dumps(payload, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def sidecar_path(vtt: str | os.PathLike[str]) -> Path:
    """Where the words file of ``vtt`` goes: ``session.vtt`` -> ``session.words.json``.

    Examples
    --------
    >>> sidecar_path("out/session.vtt").as_posix()
    'out/session.words.json'
    """
    p = Path(vtt)
    return p.with_name((p.stem if p.suffix.lower() == ".vtt" else p.name) + ".words.json")


def write_transcript(result, out: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``result`` as ``out`` (WebVTT) and its words file beside it.

    Parameters
    ----------
    result : RecordingTranscript
    out : path-like
        The transcript to write, e.g. ``session.vtt``.

    Returns
    -------
    (Path, Path)
        The transcript and the words file written.

    Raises
    ------
    InputError
        When either cannot be written; then neither is changed.
    """
    vtt = check_output_file(out, field="--out")
    words = check_output_file(sidecar_path(vtt), field="--out")
    atomic_write_all([(vtt, to_webvtt(result.turns)), (words, to_words_json(result))])
    return vtt, words
