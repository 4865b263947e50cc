"""AnnoMI: expert-annotated motivational-interviewing transcripts in one CSV file.

Each row is one utterance: ``transcript_id``, ``utterance_id`` (order within the transcript),
``interlocutor`` (``therapist`` | ``client``), ``timestamp`` (``hh:mm:ss`` in the source video) and
``utterance_text``, plus transcript metadata (``mi_quality``, ``topic``, ``video_title``,
``video_url``) and reference labels (``main_therapist_behaviour``, ``client_talk_type``; the full
file adds ``reflection_subtype``, ``question_subtype``, ``therapist_input_subtype`` and
``annotator_id``). The full file repeats the utterances of some transcripts once per annotator;
the rows of the lowest ``annotator_id`` are kept.

References
----------
Wu, Z., Balloccu, S., Kumar, V., Helaoui, R., Reforgiato Recupero, D., & Riboni, D. (2023).
Creation, analysis and evaluation of AnnoMI, a dataset of expert-annotated counselling dialogues.
Future Internet, 15(3), 110.
"""

from __future__ import annotations

import csv
import logging
import re

from attunement.errors import InputError
from attunement.io._common import RawTranscript, RawUtterance, parse_clock
from attunement.io._tables import check_unique_columns, csv_rows

__all__ = ["LABEL_COLUMNS", "META_COLUMNS", "parse", "sniff"]

logger = logging.getLogger(__name__)

_REQUIRED = ("transcript_id", "utterance_id", "interlocutor", "utterance_text")
_SNIFF = frozenset({"transcript_id", "interlocutor", "utterance_text"})
_ROLES = {"therapist": "Therapist", "client": "Client"}
_MISSING = frozenset({"", "n/a", "na", "nan", "none", "null"})

#: Per-transcript metadata columns, copied into ``RawTranscript.meta`` (None when absent).
META_COLUMNS: tuple[str, ...] = ("mi_quality", "topic", "video_title", "video_url")

#: Per-utterance reference label columns, copied into ``meta['labels']`` when present.
LABEL_COLUMNS: tuple[str, ...] = (
    "main_therapist_behaviour",
    "client_talk_type",
    "reflection_subtype",
    "question_subtype",
    "therapist_input_subtype",
)

#: Every column read; a header naming one of them twice is an error.
_READ = frozenset((*_REQUIRED, "annotator_id", "timestamp", *META_COLUMNS, *LABEL_COLUMNS))


def _key(name: str) -> str:
    return name.strip().lower()


# One row of the published file has '00:09:025' (a stray leading zero in the seconds).
_PADDED_SECONDS = re.compile(r"^(\d+):([0-5]\d):0([0-5]\d)$")


def sniff(text: str) -> bool:
    """Whether ``text`` is a CSV whose header names transcript_id, interlocutor and utterance_text.

    Examples
    --------
    >>> sniff("transcript_id,utterance_id,interlocutor,utterance_text\\n0,0,client,Hi\\n")
    True
    >>> sniff("speaker,text\\nA,Hi\\n")
    False
    """
    header = text.lstrip().partition("\n")[0]
    try:
        cells = next(csv.reader([header]), [])
    except csv.Error:
        return False
    return {c.strip().lower() for c in cells} >= _SNIFF


def _int(value: str, name: str, *, path: str | None, line: int) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise InputError(
            f"is {value!r}; expected a whole number", path=path, line=line, field=name
        ) from None


def _timestamp(value: str, *, path: str | None, line: int) -> float | None:
    value = value.strip()
    if not value:
        return None
    seconds = parse_clock(value)
    if seconds is None and (m := _PADDED_SECONDS.match(value)):
        seconds = float(int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3]))
    if seconds is None:
        raise InputError(
            f"is {value!r}; expected a time hh:mm:ss such as '00:01:05'",
            path=path,
            line=line,
            field="timestamp",
        )
    return seconds


def _label(value: str) -> str | None:
    value = value.strip()
    return None if value.lower() in _MISSING else value


def parse(text: str, *, path: str | None = None) -> list[RawTranscript]:
    """Read every transcript of an AnnoMI CSV file.

    Parameters
    ----------
    text : str
        The whole file, decoded.
    path : str, optional
        The file's name, for error messages.

    Returns
    -------
    list of RawTranscript
        One per ``transcript_id``, in order of first appearance, with ``id = str(transcript_id)``
        and utterances sorted by ``utterance_id``. Each utterance has speaker ``'Therapist'`` or
        ``'Client'``, the matching ``role``, ``start`` from ``timestamp`` (seconds; None when
        empty or the column is absent), ``end`` None and its CSV ``line``. ``meta`` holds
        :data:`META_COLUMNS` (None when absent), ``utterance_ids`` (aligned with the
        utterances), ``labels`` (each present :data:`LABEL_COLUMNS` column as a list aligned with
        the utterances, None for ``n/a`` or empty) and, for files with an ``annotator_id``
        column, the ``annotator_id`` whose rows were kept (the lowest of the transcript).
        Rows with empty text are skipped.

    Raises
    ------
    InputError
        Naming the line: no header, a required column missing, a column read here named twice
        in the header, a row with the wrong number of
        fields, a non-integer id, an interlocutor other than therapist or client, a repeated
        utterance_id within a transcript and annotator, a timestamp that is not hh:mm:ss, or
        broken CSV quoting (a file cut mid-way).

    Examples
    --------
    >>> text = (
    ...     "transcript_id,utterance_id,interlocutor,timestamp,utterance_text,client_talk_type\\n"
    ...     "4,1,client,00:00:07,I could cut down.,change\\n"
    ...     "4,0,therapist,00:00:02,What brings you here?,n/a\\n"
    ... )
    >>> [t] = parse(text)
    >>> t.id, [(u.speaker, u.start, u.line) for u in t.utterances]
    ('4', [('Therapist', 2.0, 3), ('Client', 7.0, 2)])
    >>> t.meta["labels"]
    {'client_talk_type': [None, 'change']}
    """
    rows = csv_rows(text, path=path)
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise InputError(
            "is empty; expected an AnnoMI CSV with a header naming " + ", ".join(_REQUIRED),
            path=path,
        ) from None
    check_unique_columns(header, path=path, line=header_line, key=_key, read=_READ)
    col: dict[str, int] = {}
    for i, name in enumerate(header):
        col.setdefault(_key(name), i)
    missing = [name for name in _REQUIRED if name not in col]
    if missing:
        raise InputError(
            f"the header lacks {', '.join(missing)} (found: {', '.join(header)}); expected an "
            f"AnnoMI header with {', '.join(_REQUIRED)}",
            path=path,
            line=header_line,
        )
    n_fields = len(header)
    i_tid, i_uid, i_who, i_text = (col[name] for name in _REQUIRED)
    i_ann = col.get("annotator_id")
    i_time = col.get("timestamp")

    # transcript id -> annotator id -> [(utterance id, line, role, start, row)]
    groups: dict[int, dict[int | None, list[tuple[int, int, str, float | None, list[str]]]]] = {}
    seen: dict[tuple[int, int | None, int], int] = {}
    for line, row in rows:
        if len(row) != n_fields:
            raise InputError(
                f"has {len(row)} fields; expected {n_fields} as in the header (a comma inside "
                "a text must be within double quotes)",
                path=path,
                line=line,
            )
        tid = _int(row[i_tid], "transcript_id", path=path, line=line)
        uid = _int(row[i_uid], "utterance_id", path=path, line=line)
        ann = None if i_ann is None else _int(row[i_ann], "annotator_id", path=path, line=line)
        role = row[i_who].strip().lower()
        if role not in _ROLES:
            raise InputError(
                f"is {row[i_who]!r}; expected therapist or client",
                path=path,
                line=line,
                field="interlocutor",
            )
        start = None if i_time is None else _timestamp(row[i_time], path=path, line=line)
        key = (tid, ann, uid)
        if key in seen:
            who = "" if ann is None else f" (annotator {ann})"
            raise InputError(
                f"utterance_id {uid} of transcript {tid}{who} repeats line {seen[key]}; "
                "expected each utterance once",
                path=path,
                line=line,
                field="utterance_id",
            )
        seen[key] = line
        groups.setdefault(tid, {}).setdefault(ann, []).append((uid, line, role, start, row))

    labels_present = [name for name in LABEL_COLUMNS if name in col]
    transcripts = []
    for tid, by_annotator in groups.items():
        ann = min(by_annotator, key=lambda a: -1 if a is None else a)
        kept = by_annotator[ann]
        first_row = kept[0][4]
        meta: dict[str, object] = {
            name: (first_row[col[name]].strip() or None) if name in col else None
            for name in META_COLUMNS
        }
        if i_ann is not None:
            meta["annotator_id"] = ann
        utterances: list[RawUtterance] = []
        ids: list[int] = []
        labels: dict[str, list[str | None]] = {name: [] for name in labels_present}
        for uid, line, role, start, row in sorted(kept, key=lambda r: r[0]):
            words = row[i_text].strip()
            if not words:
                logger.debug("%s:%d: skipping an utterance with no text", path, line)
                continue
            utterances.append(
                RawUtterance(_ROLES[role], words, start=start, end=None, line=line, role=role)
            )
            ids.append(uid)
            for name in labels_present:
                labels[name].append(_label(row[col[name]]))
        meta["utterance_ids"] = ids
        meta["labels"] = labels
        transcripts.append(RawTranscript(utterances, "annomi", id=str(tid), meta=meta))
    return transcripts
