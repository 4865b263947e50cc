import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from attunement.coding.units import CODED_ROLES, coding_units, unit_members

T, C, X = "therapist", "client", "other"


@pytest.mark.parametrize(
    ("roles", "texts", "speakers", "expected"),
    [
        ([], [], None, []),
        ([T, T, T], ["So you", "feel", "stuck."], None, [0, 0, 0]),
        ([T, C, T], ["Hi.", "Hello.", "Well."], None, [0, 1, 2]),
        # a blank row of the same speaker: not coded, the turn goes on
        ([T, T, T], ["So you", "", "feel stuck."], None, [0, -1, 0]),
        ([T, T], ["So you", None], None, [0, -1]),
        ([T, T, T], ["So you", math.nan, "feel stuck."], None, [0, -1, 0]),
        # a row of someone else, blank or not, ends it; role other is never coded
        ([T, C, T], ["So you", " ", "feel stuck."], None, [0, -1, 1]),
        ([T, X, T], ["So you", "(door)", "feel stuck."], None, [0, -1, 1]),
        ([X, X], ["(door)", "(music)"], None, [-1, -1]),
        # speakers: one role, two people
        ([C, C, C], ["We", "argue.", "Yes."], ["Client 1", "Client 1", "Client 2"], [0, 0, 1]),
        ([C, T], ["Me.", "Me."], ["Sam", "Sam"], [0, 1]),
        ([C, C], ["A", "B"], [None, math.nan], [0, 0]),
    ],
)  # fmt: skip
def test_known_units(roles, texts, speakers, expected):
    assert coding_units(roles, texts, speakers).tolist() == expected


def test_without_merging_each_coded_row_is_a_unit():
    found = coding_units([T, T, X, C, C, T], ["a", "b", "c", "d", "", "e"], merge=False)
    assert found.tolist() == [0, 1, -1, 2, -1, 3]


def test_unit_members():
    assert unit_members(np.array([], dtype=int)) == []
    assert unit_members(np.array([-1, 0, -1, 0, 1])) == [[1, 3], [4]]


rows = st.lists(
    st.tuples(
        st.sampled_from([T, C, X]),
        st.sampled_from(["", " ", "words", "more words"]),
        st.sampled_from(["A", "B"]),
    ),
    max_size=30,
)


@given(rows, st.booleans())
def test_units_are_numbered_in_order_and_cover_the_coded_rows(table, merge):
    roles, texts, speakers = (list(c) for c in zip(*table, strict=True)) if table else ([], [], [])
    units = coding_units(roles, texts, speakers, merge=merge)
    coded = [r in CODED_ROLES and bool(t.strip()) for r, t in zip(roles, texts, strict=True)]
    assert ((units >= 0) == np.array(coded, dtype=bool)).all()
    seen = units[units >= 0].tolist()
    assert seen == sorted(seen) and set(seen) == set(range(len(set(seen))))
    for rows_ in unit_members(units):  # one unit: one role and one speaker
        assert len({(roles[i], speakers[i]) for i in rows_}) == 1
    if not merge:
        assert len(seen) == len(set(seen))
