"""EPITOME as training tables for the three empathy mechanisms, and their splits.

EPITOME (Sharma et al., 2020) rates each response to a help-seeking post for three empathy
communication mechanisms, each at level 0 (none), 1 (weak) or 2 (strong):

- ``er`` -- *emotional reactions* (``emotional-reactions-reddit.csv``): the responder expresses
  warmth, compassion or concern on reading the post;
- ``ip`` -- *interpretations* (``interpretations-reddit.csv``): the responder communicates an
  understanding of the seeker's feelings and experiences;
- ``ex`` -- *explorations* (``explorations-reddit.csv``): the responder explores feelings and
  experiences the seeker did not state.

Each file has the columns ``sp_id``, ``rp_id``, ``seeker_post``, ``response_post``, ``level``
and ``rationales``. The data are under a non-commercial academic license: attunement never
ships them, it only reads a folder the user has obtained.

References
----------
Sharma, A., Miner, A. S., Atkins, D. C., & Althoff, T. (2020). A computational approach to
understanding empathy expressed in text-based mental health support. Proceedings of EMNLP
2020, 5263-5276.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from attunement.coding.artifact import EPITOME_CITATION
from attunement.errors import InputError
from attunement.io.corpora import corpus_rows

__all__ = [
    "CITATION",
    "COLUMNS",
    "LEVELS",
    "LICENSE_FILE",
    "MECHANISMS",
    "epitome_license",
    "epitome_split",
    "epitome_tasks",
]

#: The citation EPITOME's license requires.
CITATION = EPITOME_CITATION
#: EPITOME's license file; it governs any model trained on the data.
LICENSE_FILE = "LICENSE-academic.txt"

#: Mechanism -> (file, name).
MECHANISMS: dict[str, tuple[str, str]] = {
    "er": ("emotional-reactions-reddit.csv", "emotional reactions"),
    "ip": ("interpretations-reddit.csv", "interpretations"),
    "ex": ("explorations-reddit.csv", "explorations"),
}
#: The levels of every mechanism: none, weak, strong.
LEVELS: tuple[int, ...] = (0, 1, 2)
#: The columns every file must have (``rationales`` is optional).
COLUMNS: tuple[str, ...] = ("sp_id", "rp_id", "seeker_post", "response_post", "level")


def _read(path: Path) -> pd.DataFrame:
    header, rows = corpus_rows(path, COLUMNS, "EPITOME")
    at = {c: header.index(c) for c in COLUMNS}
    records = []
    for line, cells in rows:
        level = cells[at["level"]].strip()
        if level not in {str(v) for v in LEVELS}:
            raise InputError(
                f"is {level!r}; expected a level 0, 1 or 2",
                path=str(path),
                line=line,
                field="level",
            )
        response = cells[at["response_post"]]
        if not response.strip():
            raise InputError(
                "is empty; expected the response's text",
                path=str(path),
                line=line,
                field="response_post",
            )
        records.append(
            (
                cells[at["sp_id"]],
                cells[at["rp_id"]],
                response,
                cells[at["seeker_post"]],
                int(level),
                line,
            )
        )
    if not records:
        raise InputError("has no rows; expected rated seeker-response pairs", path=str(path))
    return pd.DataFrame(records, columns=["sp_id", "rp_id", "text", "context", "label", "line"])


def epitome_tasks(directory: str | Path) -> dict[str, pd.DataFrame]:
    """The three training tables from a folder holding EPITOME's Reddit CSV files.

    Parameters
    ----------
    directory : str or path-like
        Holding ``emotional-reactions-reddit.csv``, ``interpretations-reddit.csv`` and
        ``explorations-reddit.csv``.

    Returns
    -------
    dict of pandas.DataFrame
        Mechanism (``er``, ``ip``, ``ex``) -> one row per rated pair, in file order, with
        columns ``sp_id``, ``rp_id``, ``text`` (the response), ``context`` (the seeker's post),
        ``label`` (int level 0, 1 or 2) and ``line`` (where the row starts in its file).

    Raises
    ------
    InputError
        When a file is missing, empty or lacks a column; a row has the wrong number of fields,
        an empty response or a level other than 0, 1, 2; or a file has fewer than two levels.
    """
    directory = Path(directory)
    out = {}
    for mechanism, (name, _) in MECHANISMS.items():
        table = _read(directory / name)
        if table["label"].nunique() < 2:
            raise InputError(
                f"has only level {table['label'].iloc[0]}; expected at least two of 0, 1, 2",
                path=str(directory / name),
                field="level",
            )
        out[mechanism] = table
    return out


def epitome_license(directory: str | Path) -> str:
    """The text of EPITOME's license file in ``directory`` (it governs a model trained there).

    Raises
    ------
    InputError
        When ``LICENSE-academic.txt`` is missing or empty.
    """
    path = Path(directory) / LICENSE_FILE
    if not path.is_file():
        raise InputError(
            "was not found; expected EPITOME's license, which governs a model trained on it",
            path=str(path),
        )
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        raise InputError("is empty; expected EPITOME's license text", path=str(path))
    return text


def epitome_split(
    table: pd.DataFrame,
    *,
    seed: int,
    sizes: Sequence[float] = (0.75, 0.05, 0.2),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A stratified train / dev / test split of one mechanism's table (row positions).

    The split is stratified by level. A pair that occurs more than once (same ``sp_id`` and
    ``rp_id``) always falls in one part, with the level of its first occurrence for
    stratification, so no response is both trained and tested on.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`epitome_tasks` (``sp_id``, ``rp_id``, ``label``).
    seed : int
    sizes : sequence of three floats, default (0.75, 0.05, 0.2)
        Shares of the train, dev and test parts (summing to 1).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Sorted row positions of the train, dev and test parts.

    Raises
    ------
    InputError
        When ``sizes`` are not three positive shares summing to 1, or a level has too few
        pairs to stratify.

    Examples
    --------
    >>> table = pd.DataFrame({"sp_id": range(40), "rp_id": range(40), "label": [0, 1] * 20})
    >>> train, dev, test = epitome_split(table, seed=0, sizes=(0.5, 0.25, 0.25))
    >>> len(train), len(dev), len(test), sorted({*train, *dev, *test}) == list(range(40))
    (20, 10, 10, True)
    """
    sizes = tuple(float(s) for s in sizes)
    if len(sizes) != 3 or min(sizes) <= 0 or abs(sum(sizes) - 1) > 1e-9:
        raise InputError(
            f"is {sizes}; expected three positive shares (train, dev, test) summing to 1",
            field="sizes",
        )
    keys = [f"{s}\x1f{r}" for s, r in zip(table["sp_id"], table["rp_id"], strict=True)]
    first = ~pd.Series(keys).duplicated().to_numpy()
    unique_keys = np.asarray(keys, dtype=object)[first]
    labels = table["label"].to_numpy()[first]
    positions = np.arange(len(unique_keys))
    try:
        rest, test = train_test_split(
            positions, test_size=sizes[2], stratify=labels, random_state=seed
        )
        train, dev = train_test_split(
            rest,
            test_size=sizes[1] / (sizes[0] + sizes[1]),
            stratify=labels[rest],
            random_state=seed,
        )
    except ValueError as exc:
        raise InputError(
            f"cannot be split by level ({exc}); expected more pairs of each level",
            field="level",
        ) from None
    part = {}
    for name, chosen in (("train", train), ("dev", dev), ("test", test)):
        for key in unique_keys[chosen]:
            part[key] = name
    where = np.asarray([part[key] for key in keys])
    return tuple(np.flatnonzero(where == name) for name in ("train", "dev", "test"))  # type: ignore[return-value]
