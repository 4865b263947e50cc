"""Questionnaire definitions: the TOML format, its validation and the shipped instruments.

A questionnaire is a TOML file (the format is described in ``docs/questionnaires.md``): a few
top-level keys (``id``, ``title``, ``version``, ``respondent``, ``instructions``,
``attribution``, ``license``, optional ``time_frame``), optional named ``option_sets``, a list
of ``[[items]]`` of kind ``choice``, ``scale`` or ``text``, an optional ``[scoring]`` table
(a sum of items with severity ``bands``) and optional ``[[flags]]`` (an answer above a threshold
that the therapist must see).

Everything is validated when the file is read, so a :class:`Questionnaire` is always usable: ids
are identifier-safe and unique, choice items have at least two distinct options, scale items
have ``min < max``, scored items are numeric, bands cover every possible total exactly once, and
flags can be raised by some answers but not by all.

Definitions shipped with attunement (:func:`builtin_questionnaires`): ``phq9`` and ``gad7``
(public-domain screeners, with their attribution), ``client_session`` and
``therapist_reflection`` (written for attunement). Licensed instruments are not shipped; a user
who holds a licence puts their own definition in a folder read by :func:`load_questionnaires`.
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path
from typing import Any

from attunement.errors import InputError
from attunement.io._common import parse_toml, read_bytes
from attunement.ratings._parser import _Parser
from attunement.ratings.definition import (
    DEFAULT_MAX_LENGTH,
    ITEM_KINDS,
    RESPONDENTS,
    Band,
    Condition,
    Flag,
    Item,
    Option,
    Questionnaire,
    Scoring,
)

#: Largest definition file read (bytes).
_MAX_FILE_BYTES = 1024 * 1024

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "ITEM_KINDS",
    "RESPONDENTS",
    "Band",
    "Condition",
    "Flag",
    "Item",
    "Option",
    "Questionnaire",
    "Scoring",
    "available_questionnaires",
    "builtin_questionnaires",
    "load_questionnaire",
    "load_questionnaires",
    "parse_questionnaire",
]

# --- reading -------------------------------------------------------------------------------------


def _decode(data: bytes, source: str | None) -> dict[str, Any]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not UTF-8 text (byte {exc.start}); expected a TOML questionnaire saved as UTF-8",
            path=source,
        ) from None
    return _toml(text, source)


def _toml(text: str, source: str | None) -> dict[str, Any]:
    return parse_toml(text, path=source, what="a questionnaire definition")


def parse_questionnaire(text: str, *, source: str | None = None) -> Questionnaire:
    """Validate a questionnaire definition given as TOML text.

    Parameters
    ----------
    text : str
        The definition (the format of ``docs/questionnaires.md``).
    source : str, optional
        Where the text came from; named in error messages.

    Returns
    -------
    Questionnaire

    Raises
    ------
    InputError
        Not TOML (with the line), or a key that is missing, unknown or wrong; the message names
        the field (``items[3].options``), what was found and what was expected.

    Examples
    --------
    >>> q = parse_questionnaire('''
    ... id = "mini"
    ... title = "Mini"
    ... version = "1"
    ... respondent = "client"
    ... instructions = "How was today?"
    ... attribution = "Written for this example."
    ... license = "Public domain."
    ... [[items]]
    ... id = "calm"
    ... text = "I felt calm."
    ... kind = "scale"
    ... min = 0
    ... max = 4
    ... min_label = "not at all"
    ... max_label = "completely"
    ... ''')
    >>> q.items[0].values
    (0, 1, 2, 3, 4)
    """
    return _Parser(source).questionnaire(_toml(text, source))


def _read(path: Path) -> bytes:
    return read_bytes(path, max_bytes=_MAX_FILE_BYTES, what="a questionnaire definition (.toml)")


def load_questionnaire(path: str | os.PathLike[str]) -> Questionnaire:
    """Read and validate one questionnaire definition (a UTF-8 TOML file).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Questionnaire
        ``source`` is ``path``.

    Raises
    ------
    InputError
        Missing or unreadable file, not UTF-8, not TOML (with the line), or an invalid
        definition (naming the field).
    """
    p = Path(path)
    return _Parser(os.fspath(p)).questionnaire(_decode(_read(p), os.fspath(p)))


def load_questionnaires(
    directory: str | os.PathLike[str], *, missing_ok: bool = False
) -> dict[str, Questionnaire]:
    """Read every ``*.toml`` definition in a folder (not its subfolders).

    Parameters
    ----------
    directory : str or os.PathLike
        A folder of definitions, e.g. the data dir's ``questionnaires/`` folder. Files whose
        names start with ``.`` are skipped.
    missing_ok : bool, default False
        Return an empty dict, rather than raise, when the folder does not exist.

    Returns
    -------
    dict of str to Questionnaire
        By id, in file-name order.

    Raises
    ------
    InputError
        The folder does not exist (unless ``missing_ok``) or is a file; any definition is
        invalid; two files define the same id.
    """
    folder = Path(directory)
    if not folder.exists():
        if missing_ok:
            return {}
        raise InputError(
            "no such folder; expected a folder of questionnaire definitions", path=folder
        )
    if not folder.is_dir():
        raise InputError("is a file; expected a folder of questionnaire definitions", path=folder)
    out: dict[str, Questionnaire] = {}
    for path in sorted(folder.glob("*.toml")):
        if path.name.startswith(".") or not path.is_file():
            continue
        q = load_questionnaire(path)
        if q.id in out:
            raise InputError(
                f"{q.id!r} is already the id of {out[q.id].source}; expected a unique id",
                path=path,
                field="id",
            )
        out[q.id] = q
    return out


@functools.cache
def _builtin() -> tuple[Questionnaire, ...]:
    folder = resources.files("attunement.ratings").joinpath("questionnaires")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml") and not entry.name.startswith("."):
            source = f"attunement/ratings/questionnaires/{entry.name}"
            found.append(_Parser(source).questionnaire(_decode(entry.read_bytes(), source)))
    return tuple(found)


def builtin_questionnaires() -> dict[str, Questionnaire]:
    """The questionnaires shipped with attunement, by id.

    Returns
    -------
    dict of str to Questionnaire
        ``client_session``, ``gad7``, ``phq9`` and ``therapist_reflection``.

    Examples
    --------
    >>> sorted(builtin_questionnaires())
    ['client_session', 'gad7', 'phq9', 'therapist_reflection']
    >>> builtin_questionnaires()["phq9"].scoring.maximum
    27
    """
    return {q.id: q for q in _builtin()}


def available_questionnaires(
    directory: str | os.PathLike[str] | None = None,
) -> dict[str, Questionnaire]:
    """The shipped questionnaires plus the user's own from ``directory`` (if it exists).

    Parameters
    ----------
    directory : str or os.PathLike, optional
        A folder of extra definitions (licensed instruments the user may use); a folder that
        does not exist adds nothing.

    Returns
    -------
    dict of str to Questionnaire
        The shipped ones first, then the user's, by id.

    Raises
    ------
    InputError
        An invalid user definition, or one that reuses the id of a shipped questionnaire.
    """
    out = builtin_questionnaires()
    if directory is None:
        return out
    for qid, q in load_questionnaires(directory, missing_ok=True).items():
        if qid in out:
            raise InputError(
                f"{qid!r} is the id of a questionnaire shipped with attunement; expected a "
                "different id",
                path=q.source,
                field="id",
            )
        out[qid] = q
    return out
