import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.errors import AttunementWarning, InputError
from attunement.io import read_session
from attunement.io._common import RawTranscript, RawUtterance
from attunement.io.roles import assign_roles, guess_role, scrub_identifier


def raw(*pairs, roles=None):
    utts = [RawUtterance(name, text, line=i + 1) for i, (name, text) in enumerate(pairs)]
    if roles:
        for u, r in zip(utts, roles, strict=True):
            u.role = r
    return RawTranscript(utts, "text")


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("Therapist", "therapist"),
        ("counsellor", "therapist"),
        ("COUNSELOR 2", "therapist"),
        ("Interviewer", "therapist"),
        ("Client", "client"),
        ("patient", "client"),
        ("Dr. Jones", None),
        ("Clientele", None),
    ],
)
def test_guess_role(name, role):
    assert guess_role(name) == role


def test_role_words_are_recognised_and_relabelled():
    utts, speakers = assign_roles(raw(("COUNSELLOR", "Hi"), ("patient", "Hello")))
    assert [(u.speaker, u.role) for u in utts] == [("Therapist", "therapist"), ("Client", "client")]
    assert speakers == {"Therapist": "therapist", "Client": "client"}


def test_named_therapist_makes_the_rest_clients_and_scrubs_names():
    r = raw(
        ("Dr Maya Lee", "Hello Sam, and hello Alex."), ("Sam Ortiz", "Hi Maya."), ("Alex", "Hi.")
    )
    utts, speakers = assign_roles(r, therapist="dr maya lee")
    assert speakers == {"Therapist": "therapist", "Client 1": "client", "Client 2": "client"}
    assert utts[0].text == "Hello [Client 1], and hello [Client 2]."
    assert utts[1].text == "Hi [Therapist]."


def test_keep_names():
    utts, speakers = assign_roles(
        raw(("Maya", "Hi Sam"), ("Sam", "Hi")), therapist="Maya", keep_names=True
    )
    assert speakers == {"Maya": "therapist", "Sam": "client"}
    assert utts[0].text == "Hi Sam"


def test_named_client_leaves_one_therapist():
    _, speakers = assign_roles(raw(("Maya", "Hi"), ("Sam", "Hi")), client="Sam")
    assert speakers == {"Therapist": "therapist", "Client": "client"}


def test_third_speaker_is_other_with_warning():
    with pytest.warns(AttunementWarning, match="'Interpreter'.*'other'"):
        _, speakers = assign_roles(
            raw(("Maya", "a"), ("Sam", "b"), ("Interpreter", "c")), therapist="Maya", client="Sam"
        )
    assert speakers["Other"] == "other"


def test_source_roles_are_kept():
    r = raw(("Therapist", "a"), ("Client", "b"), roles=["therapist", "client"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, speakers = assign_roles(r)
    assert speakers == {"Therapist": "therapist", "Client": "client"}


def test_unknown_name_lists_speakers():
    with pytest.raises(
        InputError, match=r"no speaker is named 'Bob'; expected one of the speakers found: 'Maya'"
    ):
        assign_roles(raw(("Maya", "a"), ("Sam", "b")), therapist="Bob", path="s.txt")


def test_no_therapist_is_an_error():
    with pytest.raises(InputError, match=r"cannot tell which speaker is the therapist"):
        assign_roles(raw(("Maya", "a"), ("Sam", "b")))


def test_same_name_in_both_roles():
    with pytest.raises(InputError, match="both therapist and client"):
        assign_roles(raw(("Maya", "a"), ("Sam", "b")), therapist="Maya", client="maya")


def test_bad_timing_names_source_line():
    r = raw(("Therapist", "a"), ("Client", "b"))
    r.utterances[1].start, r.utterances[1].end = 5.0, 1.0
    with pytest.raises(InputError, match=r"^s.vtt:2: utterance 1 ends"):
        assign_roles(r, path="s.vtt")


def test_loose_name_match_for_teams_style_names():
    r = raw(("Smith, John", "a"), ("Jane Doe (Guest)", "b"))
    _, speakers = assign_roles(r, therapist="John Smith", client="jane doe", keep_names=True)
    assert speakers == {"Smith, John": "therapist", "Jane Doe (Guest)": "client"}


@pytest.mark.parametrize(
    "label", ["Ashlee Kupor (SL)", "Ashlee Kupor (she/her)", "Kupor, Ashlee (Host) (Me)"]
)
def test_loose_name_match_ignores_trailing_parenthesised_tags(label):
    r = raw((label, "a"), ("Sam Lee", "b"))
    _, speakers = assign_roles(r, therapist="Ashlee Kupor", keep_names=True)
    assert speakers == {label: "therapist", "Sam Lee": "client"}


@settings(max_examples=100, deadline=None)
@given(
    tag=st.text(st.characters(blacklist_characters="()", blacklist_categories=["Cs"]), max_size=12)
)
def test_any_trailing_tag_is_ignored(tag):
    r = raw((f"Ashlee Kupor ({tag})", "a"), ("Sam Lee", "b"))
    _, speakers = assign_roles(r, therapist="ashlee kupor", client="Sam Lee")
    assert speakers == {"Therapist": "therapist", "Client": "client"}


def test_ambiguous_loose_match_is_an_error():
    r = raw(("Smith, John", "a"), ("John Smith (Guest)", "b"))
    with pytest.raises(InputError, match="several speakers match 'smith john'"):
        assign_roles(r, therapist="smith john")


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("jane_doe_week6", "client_client_week6"),
        ("2026-03-02 Jane-DOE.session", "2026-03-02 client-client.session"),
        ("lee-and-jane", "therapist-and-client"),
        ("janet_week6", "janet_week6"),  # a longer word is not the name
        ("session-1", "session-1"),
    ],
)
def test_scrub_identifier_replaces_name_parts(identifier, expected):
    labels = {"Jane Doe": "Client", "Dr Lee": "Therapist", "Speaker 3": "Other"}
    assert scrub_identifier(identifier, labels) == expected


def test_a_session_named_after_the_client_gets_a_pseudonymous_id(tmp_path):
    path = tmp_path / "jane_doe_week6.txt"
    path.write_text("Dr Lee: How was your week?\nJane Doe: Long.\n", encoding="utf-8")
    session = read_session(path, therapist="Dr Lee")
    assert session.id == "client_client_week6"
    assert read_session(path, therapist="Dr Lee", keep_names=True).id == "jane_doe_week6"


def test_a_long_name_of_tags_is_matched_in_linear_time():
    r = raw(("(a)" * 200_000 + "x", "a"), ("Ann (SL)", "b"))
    _, speakers = assign_roles(r, therapist="Ann", keep_names=True)
    assert speakers["Ann (SL)"] == "therapist"


# --- numbered speakers: the therapist guessed from how each one talks ----------------------


def test_numbered_speakers_the_one_who_says_you_is_the_therapist():
    from attunement.io.roles import guess_therapist

    r = raw(
        ("Speaker 1", "I have been drinking more and I hate it."),
        ("Speaker 2", "You sound worried about it. What would you like to change?"),
        ("Speaker 1", "My wife says I should stop."),
    )
    found = guess_therapist(r)
    assert found["therapist"] == "Speaker 2" and found["margin"] > 0
    assert set(found["scores"]) == {"Speaker 1", "Speaker 2"}


@pytest.mark.parametrize(
    "labels",
    [("Maya", "Speaker 2"), ("Counsellor", "Speaker 2"), ("Speaker 1",)],
)
def test_no_guess_when_a_speaker_is_named_or_alone(labels):
    from attunement.io.roles import guess_therapist

    r = raw(*[(label, "You said I am fine.") for label in labels])
    assert guess_therapist(r) is None


def test_a_session_of_numbered_speakers_is_read_with_the_guess_recorded(tmp_path):
    from attunement.io import read_session

    p = tmp_path / "s.txt"
    p.write_text(
        "Speaker 1: I keep missing work and I feel awful.\n"
        "Speaker 2: You feel awful about it. What do you make of that?\n"
        "Speaker 1: I think I need help.\n"
    )
    with pytest.warns(
        AttunementWarning,
        match=r"'Speaker 2'; if that is wrong, name the "
        r"therapist with --therapist 'Speaker 1'",
    ):
        s = read_session(p)
    assert s.speakers == {"Client": "client", "Therapist": "therapist"}
    guess = s.meta["roles_guessed"]
    assert guess["therapist"] == "Therapist" and guess["therapist_as_written"] == "Speaker 2"
    assert set(guess["scores"]) == {"Client", "Therapist"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        named = read_session(p, therapist="Speaker 1")
    assert "roles_guessed" not in named.meta
    assert named.utterances[0].role == "therapist"
