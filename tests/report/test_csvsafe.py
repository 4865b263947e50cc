"""Tests for attunement.report.csvsafe: no CSV cell a spreadsheet would run as a formula."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from attunement.report.csvsafe import FORMULA_STARTS, neutralise_cell, safe_csv, safe_csv_text

EVIL = '=HYPERLINK("http://evil.example/","open")'


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_formula_start_gets_a_quote(start):
    assert neutralise_cell(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("value", ["hello", "", "'=already", " =1", "1-1", -0.5, 3, None, True])
def test_other_cells_are_unchanged(value):
    assert neutralise_cell(value) is value


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": [EVIL, "-2+3 apples", "@me", "fine", None],
            "label": pd.Series(["+x", "a", "b", "\tc", "\rd"], dtype="string"),
            "kind": pd.Categorical(["=k", "ok", "ok", "ok", "ok"]),
            "r": [-0.5, 0.25, -1e-9, float("nan"), -3.0],
            "n": [-1, 2, -3, 4, 5],
            "mixed": pd.Series([-0.5, "-1", "x", None, 2], dtype=object),
        }
    )


def test_safe_csv_of_a_frame_quotes_text_cells_only():
    frame = _frame()
    text = safe_csv(frame)
    assert text.splitlines()[1].startswith('"\'=HYPERLINK(""http://evil.example/""')
    back = pd.read_csv(io.StringIO(text))
    assert back["text"].tolist()[:4] == ["'" + EVIL, "'-2+3 apples", "'@me", "fine"]
    assert pd.isna(back["text"].iloc[4])
    assert back["label"].tolist() == ["'+x", "a", "b", "'\tc", "'\rd"]
    assert back["kind"].tolist()[0] == "'=k"
    # the read-back minus the leading quote is the original text
    assert back["text"].iloc[0].removeprefix("'") == EVIL
    # numbers stay numbers: negative ones too, in numeric columns and as numbers in mixed ones
    assert back["r"].dtype == float and back["n"].dtype == "int64"
    assert back["r"].tolist()[:3] == [-0.5, 0.25, -1e-9] and back["r"].iloc[4] == -3.0
    assert back["n"].tolist() == [-1, 2, -3, 4, 5]
    assert back["mixed"].tolist()[:3] == ["-0.5", "'-1", "x"]
    assert frame.equals(_frame())  # the caller's frame is not changed


def test_safe_csv_of_a_frame_is_to_csv_when_nothing_is_unsafe():
    frame = pd.DataFrame({"text": ["a, b", 'say "hi"', "two\nlines"], "r": [-0.5, 1.0, None]})
    assert safe_csv(frame) == frame.to_csv(index=False, lineterminator="\n")
    assert safe_csv(frame, columns=["r"]) == 'r\n-0.5\n1.0\n""\n'  # as pandas writes it


def test_a_lone_carriage_return_is_quoted_so_no_row_starts_inside_a_cell():
    frame = pd.DataFrame({"text": ["fine\r=1+1", "a\r\nb"], "r": [-0.5, 1.0]})
    for text in (safe_csv(frame), safe_csv_text('text,r\n"fine\r=1+1",-0.5\n"a\r\nb",1.0\n')):
        assert text == 'text,r\n"fine\r=1+1",-0.5\n"a\r\nb",1.0\n'
        back = pd.read_csv(io.StringIO(text))
        assert back["text"].tolist() == ["fine\r=1+1", "a\r\nb"]
        assert back["r"].tolist() == [-0.5, 1.0]


def test_safe_csv_of_rows():
    rows = [{"label": EVIL, "value": -0.5, "n": -2}, {"label": "ok", "value": None}]
    text = safe_csv(rows, columns=["label", "value", "n"])
    back = pd.read_csv(io.StringIO(text))
    assert back["label"].tolist() == ["'" + EVIL, "ok"]
    assert back["value"].iloc[0] == -0.5 and pd.isna(back["value"].iloc[1])
    assert back["n"].iloc[0] == -2
    with pytest.raises(TypeError, match="columns="):
        safe_csv(rows)


def test_safe_csv_text_neutralises_an_old_file_and_keeps_numbers():
    old = _frame().to_csv(index=False, lineterminator="\n")
    new = safe_csv_text(old)
    assert safe_csv_text(new) == new  # twice is once
    back = pd.read_csv(io.StringIO(new))
    assert back["text"].tolist()[:4] == ["'" + EVIL, "'-2+3 apples", "'@me", "fine"]
    assert back["r"].tolist()[:3] == [-0.5, 0.25, -1e-9] and back["n"].tolist()[0] == -1
    # a text column (as text, the -0.5 of the mixed column cannot be told from text)
    assert back["mixed"].tolist()[:3] == ["'-0.5", "'-1", "x"]
    benign = pd.DataFrame({"t": ["a, b", "two\nlines", ""], "r": [-1.5, None, 2.0]})
    benign_csv = benign.to_csv(index=False, lineterminator="\n")
    assert safe_csv_text(benign_csv) == benign_csv
    assert safe_csv_text("") == ""
