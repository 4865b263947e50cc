"""Reading the corpora the coders are trained and checked on: AnnoMI, and expert-coded sets in
the AutoMISC CSV layout (MISC-coded units, high/low-quality sessions). Readers only: the
training tables are built by :mod:`attunement.training.corpus`.

Every reader checks the file (its header, each row's fields, whole-number ids, known speakers)
and names the file, line and field of what is wrong.

References
----------
Wu, Z., Balloccu, S., Kumar, V., Helaoui, R., Reforgiato Recupero, D., & Riboni, D. (2023).
Creation, analysis and evaluation of AnnoMI, a dataset of expert-annotated counselling dialogues.
Future Internet, 15(3), 110.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from attunement.errors import InputError
from attunement.io._tables import csv_rows, read_csv_text

__all__ = [
    "COLUMNS",
    "annomi_transcripts",
    "corpus_rows",
    "default_annomi_dir",
    "hlqc_sessions",
    "misc_units",
    "read_annomi_csv",
]

#: The columns every AnnoMI file has.
COLUMNS = ("transcript_id", "video_url", "utterance_id", "interlocutor", "utterance_text")


def default_annomi_dir() -> Path:
    """The vendored AnnoMI folder (``data/annomi`` of a source checkout, else of the current
    folder)."""
    checkout = Path(__file__).resolve().parents[3] / "data" / "annomi"
    return checkout if checkout.is_dir() else Path("data") / "annomi"


def corpus_rows(
    path: Path, needed: Sequence[str], corpus: str
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (line number, cells) rows of a corpus CSV file, checked: the file
    exists, has a header with every ``needed`` column, and every row has as many fields.

    Raises
    ------
    InputError
        Naming the file (and line): ``corpus`` names the corpus in the message ("AnnoMI").
    """
    if not path.is_file():
        raise InputError(f"was not found; expected an {corpus} CSV file", path=str(path))
    rows = csv_rows(read_csv_text(path), path=str(path))
    try:
        _, header = next(rows)
    except StopIteration:
        raise InputError(
            f"has no header; expected {corpus}'s columns ({', '.join(needed)})", path=str(path)
        ) from None
    header = [h.strip() for h in header]
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError(
            f"has no column {', '.join(missing)}; expected {corpus}'s columns "
            f"({', '.join(needed)})",
            path=str(path),
            line=1,
        )
    out = []
    for line, cells in rows:
        if len(cells) != len(header):
            raise InputError(
                f"has {len(cells)} fields; expected {len(header)} as in the header",
                path=str(path),
                line=line,
            )
        out.append((line, cells))
    return header, out


def read_annomi_csv(
    path: Path, needed: Sequence[str], *, one_annotator: bool = False
) -> pd.DataFrame:
    """An AnnoMI CSV file as a table of text cells, ``transcript_id`` and ``utterance_id`` as
    ints, checked (:func:`corpus_rows`); with ``one_annotator``, only the rows of each
    transcript's first annotator (``AnnoMI-full.csv`` repeats seven transcripts coded by ten).

    Raises
    ------
    InputError
        Naming the file, line and field of the first bad cell.
    """
    header, rows = corpus_rows(path, needed, "AnnoMI")
    lines = [line for line, _ in rows]
    records = [cells for _, cells in rows]
    frame = pd.DataFrame(records, columns=header, dtype=str)
    for col in ("transcript_id", "utterance_id"):
        ids = pd.to_numeric(frame[col], errors="coerce")
        bad = (ids.isna() | (ids % 1 != 0)).to_numpy().nonzero()[0]
        if bad.size:
            raise InputError(
                f"is {frame[col].iloc[bad[0]]!r}; expected a whole number",
                path=str(path),
                line=lines[bad[0]],
                field=col,
            )
        frame[col] = ids.astype(int)
    return _one_annotator(frame) if one_annotator else frame


def _one_annotator(frame: pd.DataFrame) -> pd.DataFrame:
    if "annotator_id" not in frame.columns:
        return frame
    first = frame.groupby("transcript_id")["annotator_id"].transform(
        lambda a: sorted(a, key=lambda v: (len(v), v))[0]
    )
    return frame[frame["annotator_id"] == first]


def annomi_transcripts(directory: str | Path) -> pd.DataFrame:
    """Every utterance of AnnoMI-simple.csv with its transcript's MI-quality label.

    Parameters
    ----------
    directory : str or path-like
        Folder holding AnnoMI-simple.csv.

    Returns
    -------
    pandas.DataFrame
        One row per utterance, sorted by transcript and spoken order, with columns
        ``transcript_id`` (int), ``group`` (the video URL, for grouped cross-validation),
        ``mi_quality`` (``high`` | ``low``), ``role`` (``therapist`` | ``client``), ``text`` and
        ``utterance_id``.

    Raises
    ------
    InputError
        When the file is missing, lacks a column, or a transcript's ``mi_quality`` is neither
        high nor low.
    """
    path = Path(directory) / "AnnoMI-simple.csv"
    raw = read_annomi_csv(path, (*COLUMNS, "mi_quality"))
    quality = raw["mi_quality"].str.strip().str.lower()
    bad = ~quality.isin(["high", "low"])
    if bad.any():
        raise InputError(
            f"is {raw['mi_quality'][bad].iloc[0]!r} for transcript "
            f"{raw['transcript_id'][bad].iloc[0]}; expected high or low",
            path=str(path),
            field="mi_quality",
        )
    raw = raw.assign(mi_quality=quality, interlocutor=raw["interlocutor"].str.strip().str.lower())
    raw = raw.sort_values(["transcript_id", "utterance_id"], kind="stable")
    return pd.DataFrame(
        {
            "transcript_id": raw["transcript_id"].to_numpy(),
            "group": raw["video_url"].to_numpy(),
            "mi_quality": raw["mi_quality"].to_numpy(),
            "role": raw["interlocutor"].to_numpy(),
            "text": raw["utterance_text"].to_numpy(),
            "utterance_id": raw["utterance_id"].to_numpy(),
        }
    )


# --- other corpora in the AutoMISC CSV format (external checks, never training data) -------

#: MISC codes of the AutoMISC files (``t1_label_GT`` / ``t2_label_GT``) -> attunement's codes.
#: A counsellor unit's behaviour follows AnnoMI's convention, read from the fine code
#: (``t2``): reflections (simple, complex, reframe), questions, therapist input (giving
#: information, advising with or without permission, directing) and other (affirming,
#: supporting, emphasising control, facilitating, filler, structuring) -- in AnnoMI, as in
#: MITI 4, affirmations are not reflections. ``misc_t1`` keeps the coarse code's own grouping,
#: in which MIV6.3A puts affirmations, support and emphasising control under complex
#: reflection (``CRL``).
MISC_BEHAVIOUR: dict[str, str] = {
    "SR": "reflection",
    "CR": "reflection",
    "RF": "reflection",
    "OQ": "question",
    "CQ": "question",
    "GI": "therapist_input",
    "ADP": "therapist_input",
    "ADW": "therapist_input",
    "DI": "therapist_input",
    "AF": "other",
    "SU": "other",
    "EC": "other",
    "FA": "other",
    "FI": "other",
    "ST": "other",
}
MISC_T1_BEHAVIOUR: dict[str, str] = {
    "SRL": "reflection",
    "CRL": "reflection",
    "Q": "question",
    "IMC": "therapist_input",
    "IMI": "therapist_input",
    "O": "other",
}
MISC_CLIENT: dict[str, str] = {"C": "change", "S": "sustain", "N": "neutral"}
_MISC_ROLES = {"counsellor": "therapist", "counselor": "therapist", "therapist": "therapist",
               "client": "client"}  # fmt: skip


def _automisc(path: str | Path, needed: Sequence[str], corpus: str) -> tuple[pd.DataFrame, list]:
    path = Path(path)
    header, rows = corpus_rows(path, needed, corpus)
    frame = pd.DataFrame([cells for _, cells in rows], columns=header, dtype=str)
    lines = [line for line, _ in rows]
    if frame.empty:
        raise InputError(f"has a header and no rows; expected {corpus}'s rows", path=str(path))
    role = frame["speaker"].str.strip().str.lower().map(_MISC_ROLES)
    if role.isna().any():
        i = int(role.isna().to_numpy().nonzero()[0][0])
        raise InputError(
            f"is {frame['speaker'].iloc[i]!r}; expected counsellor or client",
            path=str(path),
            line=lines[i],
            field="speaker",
        )
    return frame.assign(role=role), lines


def _whole(frame: pd.DataFrame, column: str, lines: list, path: Path) -> pd.Series:
    ids = pd.to_numeric(frame[column], errors="coerce")
    bad = (ids.isna() | (ids % 1 != 0)).to_numpy().nonzero()[0]
    if bad.size:
        raise InputError(
            f"is {frame[column].iloc[bad[0]]!r}; expected a whole number",
            path=str(path),
            line=lines[bad[0]],
            field=column,
        )
    return ids.astype(int)


def misc_units(path: str | Path) -> pd.DataFrame:
    """Expert-coded MISC utterance units from an AutoMISC-format CSV (e.g. MIV6.3A_manual.csv).

    Parameters
    ----------
    path : str or path-like
        A CSV with ``conv_id``, ``speaker`` (counsellor | client), ``conv_vol_idx`` (the
        turn), ``conv_utt_idx`` (the unit), ``utt_text``, ``vol_text``, ``t1_label_GT`` and
        ``t2_label_GT`` (the experts' codes; the ``*_auto`` columns are ignored).

    Returns
    -------
    pandas.DataFrame
        One row per unit, sorted by conversation and spoken order: ``conv_id``, ``turn``,
        ``unit`` (ints), ``role`` (therapist | client), ``text`` (the unit), ``turn_text``,
        ``t1``, ``t2`` (the experts' codes as written), ``therapist_behaviour`` (from ``t2``
        by :data:`MISC_BEHAVIOUR`), ``therapist_behaviour_t1`` (from ``t1`` by
        :data:`MISC_T1_BEHAVIOUR`), ``reflection_type`` (simple | complex, reflections
        only), ``question_type`` (open | closed) and ``client_talk`` (change | neutral |
        sustain); None where a code does not apply or is not one of those listed.

    Raises
    ------
    InputError
        When the file is missing, lacks a column, has a bad number, a speaker that is neither
        counsellor nor client, or no rows.
    """
    path = Path(path)
    needed = ("conv_id", "speaker", "conv_vol_idx", "conv_utt_idx", "utt_text", "vol_text",
              "t1_label_GT", "t2_label_GT")  # fmt: skip
    frame, lines = _automisc(path, needed, "AutoMISC (MISC-coded units)")
    t1 = frame["t1_label_GT"].str.strip()
    t2 = frame["t2_label_GT"].str.strip()
    therapist = frame["role"] == "therapist"
    out = pd.DataFrame(
        {
            "conv_id": frame["conv_id"].str.strip(),
            "turn": _whole(frame, "conv_vol_idx", lines, path),
            "unit": _whole(frame, "conv_utt_idx", lines, path),
            "role": frame["role"],
            "text": frame["utt_text"],
            "turn_text": frame["vol_text"],
            "t1": t1,
            "t2": t2,
            "therapist_behaviour": t2.map(MISC_BEHAVIOUR).where(therapist),
            "therapist_behaviour_t1": t1.map(MISC_T1_BEHAVIOUR).where(therapist),
            "reflection_type": t2.map({"SR": "simple", "CR": "complex"}).where(therapist),
            "question_type": t2.map({"OQ": "open", "CQ": "closed"}).where(therapist),
            "client_talk": t1.map(MISC_CLIENT).where(~therapist),
        }
    )
    out = out.sort_values(["conv_id", "unit"], kind="stable").reset_index(drop=True)
    return out.astype(object).where(out.notna(), None)


def hlqc_sessions(path: str | Path) -> pd.DataFrame:
    """High- and low-quality counselling sessions from an AutoMISC-format HLQC CSV.

    Parameters
    ----------
    path : str or path-like
        A CSV with ``conv_id`` (``high_...`` or ``low_...``: the label), ``speaker``
        (counsellor | client) and ``vol_text`` (one turn), in spoken order.

    Returns
    -------
    pandas.DataFrame
        One row per turn, in the file's order: ``conv_id``, ``high`` (1 for a high-quality
        session), ``role`` (therapist | client) and ``text``.

    Raises
    ------
    InputError
        When the file is missing, lacks a column, a ``conv_id`` starts with neither high nor
        low, a speaker is neither counsellor nor client, or there are no rows.
    """
    path = Path(path)
    frame, lines = _automisc(path, ("conv_id", "speaker", "vol_text"), "HLQC (AutoMISC)")
    conv = frame["conv_id"].str.strip()
    label = conv.str.split("_").str[0].str.lower()
    bad = (~label.isin(["high", "low"])).to_numpy().nonzero()[0]
    if bad.size:
        raise InputError(
            f"is {conv.iloc[bad[0]]!r}; expected high_... or low_... (the label)",
            path=str(path),
            line=lines[bad[0]],
            field="conv_id",
        )
    return pd.DataFrame(
        {
            "conv_id": conv,
            "high": (label == "high").astype(int),
            "role": frame["role"],
            "text": frame["vol_text"].fillna(""),
        }
    )
