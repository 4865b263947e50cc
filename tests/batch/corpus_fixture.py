"""Small corpora for the batch tests, written in the real formats (imported by the tests)."""

from __future__ import annotations

from pathlib import Path

ANNOMI_HEADER = "transcript_id,mi_quality,topic,utterance_id,interlocutor,timestamp,utterance_text"

#: A plain-text session as a Windows editor saves it (encode it as cp1252): its quotes, dash and
#: accent are not UTF-8.
CP1252_SESSION = (
    "Therapist: It\u2019s been a long week \u2013 how are you?\n"
    "Client: Tired. The caf\u00e9 shifts never end.\n"
)


def plain_session(n: int, *, marker: str = "") -> str:
    """A short plain-text session; ``marker`` lands in the text (the fault hooks look for it)."""
    lines = []
    for i in range(2 + n % 4):
        lines.append(f"Therapist: What happened in week {n}, part {i}? {marker}".rstrip())
        lines.append(f"Client: Quite a lot happened, {' '.join(['really'] * (i + 1))}.")
    return "\n".join(lines) + "\n"


def annomi_csv(ids: list[int], *, per: int = 4) -> str:
    """An AnnoMI-layout CSV with one transcript per id."""
    rows = [ANNOMI_HEADER]
    for tid in ids:
        for u in range(per):
            who = "therapist" if u % 2 == 0 else "client"
            text = f"Utterance {u} of transcript {tid}, with a comma"
            rows.append(f'{tid},high,alcohol,{u},{who},00:00:{10 + 5 * u:02d},"{text}"')
    return "\n".join(rows) + "\n"


def write_corpus(root: Path, *, markers: dict[str, str] | None = None) -> Path:
    """``a01..a05.txt``, a corrupt ``b_bad.vtt``, ``c_corpus.csv`` (3 sessions), ``d06..d08.txt``.

    Sorted, the corrupt file is in the middle: 12 sessions, 11 good.
    """
    markers = markers or {}
    root.mkdir(parents=True, exist_ok=True)
    for n in (1, 2, 3, 4, 5):
        (root / f"a{n:02d}.txt").write_text(plain_session(n, marker=markers.get(f"a{n:02d}", "")))
    (root / "b_bad.vtt").write_text("WEBVTT\n\n1\n00:00:01.000 --> soon\nTherapist: Hi.\n")
    (root / "c_corpus.csv").write_text(annomi_csv([7, 3, 11]))
    for n in (6, 7, 8):
        (root / f"d{n:02d}.txt").write_text(plain_session(n, marker=markers.get(f"d{n:02d}", "")))
    return root
