import csv
import itertools

import numpy as np
import pandas as pd
import pytest
from epitome_fixture import FILES, HEADER, LICENSE_TEXT, write_tiny_epitome

from attunement.errors import InputError
from attunement.training.epitome import (
    LICENSE_FILE,
    MECHANISMS,
    epitome_license,
    epitome_split,
    epitome_tasks,
)


@pytest.fixture
def tiny(tmp_path):
    return write_tiny_epitome(tmp_path / "epitome")


def test_reads_the_three_mechanisms(tiny):
    tables = epitome_tasks(tiny)
    assert list(tables) == list(MECHANISMS) == ["er", "ip", "ex"]
    for table in tables.values():
        assert list(table.columns) == ["sp_id", "rp_id", "text", "context", "label", "line"]
        assert len(table) == 73
        assert table["label"].value_counts().sort_index().tolist() == [25, 24, 24]  # r0 twice
    er = tables["er"].set_index("rp_id")
    assert er.loc["r30", "text"].endswith("that sounds rough.")
    assert er.loc["r2", "context"] == "Can't sleep again,\nthe thoughts keep coming back."
    assert er.loc["r1", "context"] == 'My exams went badly and my parents "hate" me.'
    # a quoted field over two lines: the next row starts two lines further on
    lines = tables["er"]["line"].tolist()
    assert lines[0] == 2 and all(b > a for a, b in itertools.pairwise(lines))


def _rewrite(folder, mechanism, header=HEADER, rows=None):
    path = folder / FILES[mechanism]
    with open(path, newline="", encoding="utf-8") as f:
        old = list(csv.reader(f))[1:]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows if rows is not None else old)
    return path, old


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ("missing_file", r"interpretations-reddit\.csv: was not found; expected an EPITOME CSV"),
        ("missing_column", r"explorations-reddit\.csv:1: has no column level; expected EPITOME"),
        ("bad_level", r"emotional-reactions-reddit\.csv:3: level: is '3'; expected a level 0, 1"),
        ("text_level", r"emotional-reactions-reddit\.csv:2: level: is 'high'; expected a level"),
        ("short_row", r"emotional-reactions-reddit\.csv:2: has 5 fields; expected 6"),
        ("empty_response", r"reddit\.csv:2: response_post: is empty; expected the response"),
        ("one_level", r"emotional-reactions-reddit\.csv: level: has only level 0; expected at"),
        ("no_rows", r"emotional-reactions-reddit\.csv: has no rows; expected rated"),
        ("empty_file", r"emotional-reactions-reddit\.csv: .*expected"),
    ],
)
def test_bad_folders(tiny, change, match):
    if change == "missing_file":
        (tiny / FILES["ip"]).unlink()
    elif change == "missing_column":
        _rewrite(tiny, "ex", header=[h for h in HEADER if h != "level"])
    elif change in ("bad_level", "text_level", "short_row", "empty_response"):
        _, rows = _rewrite(tiny, "er")
        k = 1 if change == "bad_level" else 0
        if change == "short_row":
            rows[0] = rows[0][:5]
        elif change == "empty_response":
            rows[0][3] = "   "
        else:
            rows[k][4] = "3" if change == "bad_level" else "high"
        if k == 1 and "\n" in "".join(rows[0]):
            pytest.fail("the fixture's first row must fit on one line for this case")
        _rewrite(tiny, "er", rows=rows)
    elif change == "one_level":
        _, rows = _rewrite(tiny, "er")
        _rewrite(tiny, "er", rows=[[*r[:4], "0", *r[5:]] for r in rows])
    elif change == "no_rows":
        _rewrite(tiny, "er", rows=[])
    elif change == "empty_file":
        (tiny / FILES["er"]).write_bytes(b"")
    with pytest.raises(InputError, match=match):
        epitome_tasks(tiny)


def test_rationales_column_is_optional(tiny):
    _, rows = _rewrite(tiny, "er")
    _rewrite(tiny, "er", header=HEADER[:5], rows=[r[:5] for r in rows])
    assert len(epitome_tasks(tiny)["er"]) == 73


def test_split_is_stratified_disjoint_and_keeps_repeated_pairs_together(tiny):
    table = epitome_tasks(tiny)["er"]
    train, dev, test = epitome_split(table, seed=0)
    assert sorted([*train, *dev, *test]) == list(range(len(table)))
    assert len(set(train) | set(dev) | set(test)) == len(table)
    assert len(test) in (15, 16) and len(dev) in (3, 4)
    for part in (train, dev, test):
        assert set(table["label"].iloc[part]) == {0, 1, 2}
    twice = np.flatnonzero(table["rp_id"].to_numpy() == "r0")
    assert len(twice) == 2
    assert sum(i in part for part in (train, dev, test) for i in twice) == 2
    assert any(set(twice) <= set(part) for part in (train, dev, test))
    again = epitome_split(table, seed=0)
    other = epitome_split(table, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(again, (train, dev, test), strict=True))
    assert not np.array_equal(other[2], test)


@pytest.mark.parametrize("sizes", [(0.8, 0.2), (0.8, 0.0, 0.2), (0.5, 0.3, 0.3), (-0.1, 0.6, 0.5)])
def test_split_sizes_must_be_three_shares(sizes):
    table = pd.DataFrame({"sp_id": range(40), "rp_id": range(40), "label": [0, 1] * 20})
    with pytest.raises(InputError, match="expected three positive shares"):
        epitome_split(table, seed=0, sizes=sizes)


def test_split_needs_pairs_of_each_level():
    table = pd.DataFrame({"sp_id": range(9), "rp_id": range(9), "label": [0] * 8 + [2]})
    with pytest.raises(InputError, match="cannot be split by level"):
        epitome_split(table, seed=0)


def test_license(tiny):
    assert epitome_license(tiny) == LICENSE_TEXT
    (tiny / LICENSE_FILE).write_text("  \n")
    with pytest.raises(InputError, match="is empty; expected EPITOME's license"):
        epitome_license(tiny)
    (tiny / LICENSE_FILE).unlink()
    with pytest.raises(InputError, match=r"LICENSE-academic\.txt: was not found"):
        epitome_license(tiny)
