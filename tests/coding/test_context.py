from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.coding.context import contexts


def test_context_is_the_other_persons_last_turn():
    roles = ["therapist", "client", "client", "client", "therapist", "other", "client"]
    texts = ["Hi.", "One.", "Two.", "Three.", "So?", "(noise)", "Yes."]
    assert contexts(roles, texts) == ["", "Hi.", "Hi.", "Hi.", "Two. Three.", "", "So?"]


@settings(max_examples=100)
@given(st.lists(st.tuples(st.sampled_from(["therapist", "client", "other"]), st.text(max_size=30))))
def test_context_never_fails_and_is_short(pairs):
    roles = [r for r, _ in pairs]
    found = contexts(roles, [t for _, t in pairs])
    assert len(found) == len(pairs)
    assert all(len(c) <= 1000 for c in found)
    assert all(c == "" for c, r in zip(found, roles, strict=True) if r == "other")
