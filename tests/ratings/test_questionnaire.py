import dataclasses
import itertools
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ratings_fixture import TINY, write_definition

from attunement.errors import InputError
from attunement.ratings import (
    Condition,
    Questionnaire,
    available_questionnaires,
    builtin_questionnaires,
    load_questionnaire,
    load_questionnaires,
    parse_questionnaire,
    score_responses,
)

PFIZER = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, "
    "translate, display or distribute."
)
FREQUENCY = [
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
]
DIFFICULTY = [
    (0, "Not difficult at all"),
    (1, "Somewhat difficult"),
    (2, "Very difficult"),
    (3, "Extremely difficult"),
]
SHIPPED = resources.files("attunement.ratings").joinpath("questionnaires")


def anchors(item):
    return [(o.value, o.label) for o in item.options]


def bands(q):
    return [(b.min, b.max, b.label) for b in q.scoring.bands]


# --- shipped definitions ----------------------------------------------------------------------


def test_exactly_the_free_instruments_ship():
    assert sorted(builtin_questionnaires()) == [
        "client_session",
        "gad7",
        "phq9",
        "therapist_reflection",
    ]
    names = sorted(p.name for p in SHIPPED.iterdir() if p.name.endswith(".toml"))
    assert names == [f"{q}.toml" for q in sorted(builtin_questionnaires())]


@pytest.mark.parametrize("name", sorted(builtin_questionnaires()))
def test_every_shipped_file_loads_from_its_path(name):
    path = Path(str(SHIPPED.joinpath(f"{name}.toml")))
    q = load_questionnaire(path)
    assert q.id == name
    assert q.source == str(path)
    assert dataclasses.replace(q, source=None) == dataclasses.replace(
        builtin_questionnaires()[name], source=None
    )
    assert q.attribution and q.license and q.instructions


def test_phq9_is_verbatim():
    q = builtin_questionnaires()["phq9"]
    assert q.respondent == "client"
    assert q.instructions == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert q.attribution == PFIZER
    assert [i.text for i in q.items[:9]] == [
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your "
        "family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
        "being so fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ]
    assert all(anchors(i) == FREQUENCY and i.required for i in q.items[:9])
    difficulty = q.item("difficulty")
    assert anchors(difficulty) == DIFFICULTY
    assert not difficulty.required
    assert difficulty.ask_if == Condition(tuple(f"item{i}" for i in range(1, 10)), 1)
    assert q.scoring.items == tuple(f"item{i}" for i in range(1, 10))
    assert (q.scoring.minimum, q.scoring.maximum) == (0, 27)
    assert bands(q) == [
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 19, "moderately severe"),
        (20, 27, "severe"),
    ]
    [flag] = q.flags
    assert (flag.item, flag.above) == ("item9", 0)
    assert "thoughts that you would be better off dead or of hurting yourself" in flag.message


def test_gad7_is_verbatim():
    q = builtin_questionnaires()["gad7"]
    assert q.instructions == (
        "Over the last 2 weeks, how often have you been bothered by the following problems?"
    )
    assert q.attribution == PFIZER
    assert [i.text for i in q.items[:7]] == [
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ]
    assert all(anchors(i) == FREQUENCY for i in q.items[:7])
    assert anchors(q.item("difficulty")) == DIFFICULTY
    assert (q.scoring.minimum, q.scoring.maximum) == (0, 21)
    assert bands(q) == [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")]
    assert q.flags == ()


def test_client_session_items():
    q = builtin_questionnaires()["client_session"]
    assert q.respondent == "client"
    assert q.scoring is None
    scales = [i for i in q.items if i.kind == "scale"]
    assert [i.id for i in scales] == ["heard", "understood", "moved", "safe"]
    assert scales[0].text == "Today I felt heard by my therapist."
    for i in scales:
        assert (i.min, i.max, i.min_label, i.max_label) == (0, 10, "not at all", "completely")
        assert i.required
    text = q.item("stood_out")
    assert (text.kind, text.required) == ("text", False)
    assert text.text == "What stood out for you in today's session?"


def test_therapist_reflection_items():
    q = builtin_questionnaires()["therapist_reflection"]
    assert q.respondent == "therapist"
    assert [(i.id, i.kind) for i in q.items] == [
        ("present", "scale"),
        ("moved", "scale"),
        ("what_moved", "text"),
        ("noticed", "text"),
    ]
    assert q.item("what_moved").text == "What moved you?"
    assert q.item("noticed").text == "What did you notice in yourself or the client?"
    assert q.item("present").values == tuple(range(11))


def test_builtin_returns_a_fresh_dict():
    first = builtin_questionnaires()
    first.pop("phq9")
    assert "phq9" in builtin_questionnaires()


# --- the format ---------------------------------------------------------------------------------


def test_tiny_definition_parses():
    q = parse_questionnaire(TINY, source="tiny.toml")
    assert isinstance(q, Questionnaire)
    assert q.item_ids == ("calm", "tense", "close", "note")
    assert q.item("calm").values == (0, 1, 2)
    assert q.item("note").max_length == 20
    assert q.item("close").label_for(5) == "very"
    assert q.item("tense").label_for(3) == "Yes"
    assert (q.scoring.minimum, q.scoring.maximum) == (0, 5)
    assert q.time_frame is None


def test_defaults():
    text = TINY.replace("required = true\n", "").replace("max_length = 20\n", "")
    text = text.replace('items = ["calm", "tense"]\n', "")
    q = parse_questionnaire(text)
    assert q.item("calm").required
    assert q.item("note").max_length == 2000
    assert q.scoring.items == ("calm", "tense")  # every choice item by default
    assert parse_questionnaire(TINY.replace('version = "1"', "version = 2")).version == "2"


def test_item_lookup_names_the_choices():
    q = parse_questionnaire(TINY)
    with pytest.raises(InputError, match="nope: is not an item of tiny; expected one of calm"):
        q.item("nope")


BAD = [
    (
        'id = "tiny"',
        'id = "Tiny Check"',
        r"tiny\.toml: id: is text 'Tiny Check'; expected an identifier",
    ),
    ('id = "tiny"\n', "", r"id: is missing"),
    (
        'respondent = "client"',
        'respondent = "parent"',
        r"respondent: is 'parent'; expected one of client, therapist",
    ),
    (
        'attribution = "Made up for the tests."\n',
        "",
        r"attribution: is missing; expected non-empty text",
    ),
    ('license = "Public domain."', 'license = ""', r"license: is text ''; expected non-empty text"),
    ('version = "1"', "version = 1.5", r"version: is a decimal number 1\.5; expected text"),
    (
        'title = "Tiny check-in"',
        'title = "T"\ncolour = "red"',
        r"colour: is not a known key; expected one of attribution",
    ),
    (
        'kind = "scale"',
        'kind = "slider"',
        r"items\[2\]\.kind: is text 'slider'; expected one of choice, scale, text",
    ),
    (
        'id = "tense"',
        'id = "calm"',
        r"items\[1\]\.id: 'calm' is used twice \(also by items\[0\]\); expected unique",
    ),
    (
        'id = "tense"',
        'id = "2tense"',
        r"items\[1\]\.id: is text '2tense'; expected an identifier-safe id",
    ),
    (
        'options = [{ value = 0, label = "No" }, { value = 3, label = "Yes" }]',
        "options = []",
        r"items\[1\]\.options: is empty; expected a list of at least two",
    ),
    (
        'options = [{ value = 0, label = "No" }, { value = 3, label = "Yes" }]',
        'options = [{ value = 0, label = "No" }]',
        r"items\[1\]\.options: is a single option",
    ),
    (
        '{ value = 3, label = "Yes" }',
        '{ value = 0, label = "Yes" }',
        r"items\[1\]\.options\[1\]\.value: 0 is used twice",
    ),
    (
        '{ value = 3, label = "Yes" }',
        '{ value = 3, label = "No" }',
        r"items\[1\]\.options\[1\]\.label: 'No' is used twice",
    ),
    (
        '{ value = 3, label = "Yes" }',
        '{ value = "3", label = "Yes" }',
        r"items\[1\]\.options\[1\]\.value: is text '3'; expected a whole number",
    ),
    (
        '{ value = 3, label = "Yes" }',
        '{ value = 3, label = "Yes", score = 1 }',
        r"items\[1\]\.options\[1\]\.score: is not a known key",
    ),
    (
        'options = "often"',
        'options = "rarely"',
        r"items\[0\]\.options: names the option set 'rarely', which does not exist; "
        r"expected one of the \[option_sets\] \(often\)",
    ),
    (
        '{ value = 2, label = "Often" }',
        '{ value = 2, label = "Never" }',
        r"option_sets\.often\[2\]\.label: 'Never' is used twice "
        r"\(also by option_sets\.often\[0\]\)",
    ),
    ("often = [", "Often = [", r"option_sets\.Often: is not a valid name"),
    ("max = 5", "max = 1", r"items\[2\]\.max: is 1; expected a number above min \(1\)"),
    ('min_label = "not at all"\n', "", r"items\[2\]\.min_label: is missing"),
    (
        'min_label = "not at all"',
        'min_label = "not at all"\nmax_length = 3',
        r"items\[2\]\.max_length: belongs to text items; this item is of kind 'scale'",
    ),
    ("max_length = 20", "max_length = 0", r"items\[3\]\.max_length: is 0; expected 1 to 100000"),
    (
        "max_length = 20\nrequired = false",
        'max_length = 20\nrequired = "no"',
        r"items\[3\]\.required: is text 'no'; expected true or false",
    ),
    (
        'items = ["calm", "tense"]',
        'items = ["calm", "note"]',
        r"scoring\.items\[1\]: is text 'note'; expected the id of a choice or scale item",
    ),
    (
        'items = ["calm", "tense"]',
        'items = ["calm", "calm"]',
        r"scoring\.items\[1\]: 'calm' is listed twice",
    ),
    ('items = ["calm", "tense"]', "items = []", r"scoring\.items: is empty"),
    ("bands = [", 'method = "mean"\nbands = [', r"scoring\.method: is text 'mean'; expected 'sum'"),
    (
        "{ min = 2, max = 5,",
        "{ min = 1, max = 5,",
        r"scoring\.bands\[1\]: 1–5 overlaps bands\[0\] 0–1; "
        r"expected bands that together cover every total from 0 to 5 once",
    ),
    (
        "{ min = 2, max = 5,",
        "{ min = 3, max = 5,",
        r"scoring\.bands\[1\]: leaves a gap: no band holds 2; expected bands",
    ),
    ("{ min = 2, max = 5,", "{ min = 4, max = 5,", r"no band holds 2–3"),
    (
        "{ min = 0, max = 1,",
        "{ min = 1, max = 1,",
        r"scoring\.bands\[0\]\.min: is 1 but the lowest possible total is 0",
    ),
    (
        "{ min = 2, max = 5,",
        "{ min = 2, max = 6,",
        r"scoring\.bands\[1\]\.max: is 6 but the highest possible total is 5",
    ),
    (
        "{ min = 2, max = 5,",
        "{ min = 5, max = 2,",
        r"scoring\.bands\[1\]\.max: is 2; expected at least min \(5\)",
    ),
    (
        'item = "tense"',
        'item = "gone"',
        r"flags\[0\]\.item: is text 'gone'; expected the id of a choice or scale item",
    ),
    (
        "above = 0",
        "above = 3",
        r"flags\[0\]\.above: is 3, so the flag would be raised for no answer; "
        r"expected a value from 0 to 2",
    ),
    ("above = 0", "above = -1", r"raised for every answer"),
    ('message = "Tense today."', "", r"flags\[0\]\.message: is missing"),
    (
        "required = false\n\n[[items]]",
        'required = false\nask_if = { any_of = ["note"], at_least = 1 }\n\n[[items]]',
        r"items\[2\]\.ask_if\.any_of\[0\]: is text 'note'; "
        r"expected the id of an earlier choice or scale item \(calm, tense\)",
    ),
    (
        "required = false\n\n[[items]]",
        "required = false\nask_if = { any_of = [], at_least = 1 }\n\n[[items]]",
        r"items\[2\]\.ask_if\.any_of: is missing or empty",
    ),
]


@pytest.mark.parametrize(("old", "new", "match"), BAD)
def test_invalid_definitions(tmp_path, old, new, match):
    assert old in TINY
    path = write_definition(tmp_path, text=TINY.replace(old, new, 1))
    with pytest.raises(InputError, match=match) as info:
        load_questionnaire(path)
    assert str(info.value).startswith(str(path))


def test_no_items(tmp_path):
    head = TINY.split("[option_sets]")[0]
    with pytest.raises(InputError, match="items: is missing; expected at least one"):
        parse_questionnaire(head)
    with pytest.raises(InputError, match="items: is empty"):
        parse_questionnaire(head + "items = []\n")
    with pytest.raises(
        InputError, match=r"items: is text 'calm'; expected a list of \[\[items\]\]"
    ):
        parse_questionnaire(head + 'items = "calm"\n')
    with pytest.raises(
        InputError, match=r"items\[0\]: is a whole number 1; expected an \[\[items\]\]"
    ):
        parse_questionnaire(head + "items = [1]\n")


def test_bad_toml_names_the_line(tmp_path):
    line = TINY.splitlines().index('kind = "scale"') + 1
    path = write_definition(tmp_path, text=TINY.replace('kind = "scale"', "kind = scale"))
    with pytest.raises(
        InputError, match=rf"tiny\.toml:{line}: is not valid TOML \(Invalid value\)"
    ):
        load_questionnaire(path)


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(TINY.replace("Tiny", "Tíny").encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.toml: is not UTF-8 text"):
        load_questionnaire(path)


def test_utf8_with_bom_is_fine(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(TINY.encode("utf-8-sig"))
    assert load_questionnaire(path).id == "tiny"


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match=r"nothing\.toml: no such file"):
        load_questionnaire(tmp_path / "nothing.toml")
    with pytest.raises(InputError, match="is a folder; expected a file"):
        load_questionnaire(tmp_path)


# --- a user's folder ----------------------------------------------------------------------------


def test_user_folder_round_trip(tmp_path):
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    write_definition(folder)
    write_definition(folder, "other.toml", TINY.replace('id = "tiny"', 'id = "other"'))
    (folder / "notes.txt").write_text("not a definition")
    (folder / ".hidden.toml").write_text("broken =")
    found = load_questionnaires(folder)
    assert list(found) == ["other", "tiny"]
    tiny = found["tiny"]
    assert tiny.source == str(folder / "tiny.toml")
    scored = score_responses(tiny, {"calm": "2", "tense": "3", "note": " ok "})
    assert (scored.total, scored.band, scored.answers["note"]) == (5, "high", "ok")
    merged = available_questionnaires(folder)
    assert list(merged)[:4] == list(builtin_questionnaires())
    assert merged["tiny"] == tiny


def test_user_folder_errors(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        load_questionnaires(tmp_path / "missing")
    assert load_questionnaires(tmp_path / "missing", missing_ok=True) == {}
    assert available_questionnaires(tmp_path / "missing") == builtin_questionnaires()
    with pytest.raises(InputError, match="is a file; expected a folder"):
        load_questionnaires(write_definition(tmp_path))
    write_definition(tmp_path, "copy.toml")
    with pytest.raises(
        InputError, match=r"tiny\.toml: id: 'tiny' is already the id of .*copy\.toml"
    ):
        load_questionnaires(tmp_path)


def test_user_folder_with_a_broken_file_names_it(tmp_path):
    write_definition(tmp_path)
    write_definition(tmp_path, "broken.toml", TINY.replace('kind = "text"', 'kind = "essay"'))
    with pytest.raises(InputError, match=r"broken\.toml: items\[3\]\.kind"):
        load_questionnaires(tmp_path)


def test_user_cannot_shadow_a_shipped_questionnaire(tmp_path):
    write_definition(tmp_path, text=TINY.replace('id = "tiny"', 'id = "phq9"'))
    with pytest.raises(InputError, match="id: 'phq9' is the id of a questionnaire shipped"):
        available_questionnaires(tmp_path)


# --- bands, generated -------------------------------------------------------------------------


def _definition(option_counts, cuts, order=None):
    items = "".join(
        f'[[items]]\nid = "q{i}"\ntext = "Q{i}"\nkind = "choice"\noptions = ['
        + ", ".join(f'{{ value = {v}, label = "v{v}" }}' for v in range(n))
        + "]\n\n"
        for i, n in enumerate(option_counts)
    )
    top = sum(n - 1 for n in option_counts)
    edges = [0, *cuts, top + 1]
    rows = [
        f'{{ min = {lo}, max = {hi - 1}, label = "b{k}" }}'
        for k, (lo, hi) in enumerate(itertools.pairwise(edges))
    ]
    band_rows = ", ".join(rows if order is None else [rows[k] for k in order])
    return TINY.split("[option_sets]")[0] + items + f"[scoring]\nbands = [{band_rows}]\n", top


@st.composite
def partitions(draw):
    counts = draw(st.lists(st.integers(2, 5), min_size=1, max_size=4))
    top = sum(n - 1 for n in counts)
    cuts = sorted(draw(st.sets(st.integers(1, top), max_size=top)))
    return counts, cuts


@settings(max_examples=100, deadline=None)
@given(partitions(), st.data())
def test_generated_bands_cover_every_total_once(partition, data):
    counts, cuts = partition
    order = data.draw(st.permutations(range(len(cuts) + 1)))
    text, top = _definition(counts, cuts, order)
    q = parse_questionnaire(text)
    assert (q.scoring.minimum, q.scoring.maximum) == (0, top)
    for total in range(top + 1):
        assert sum(b.min <= total <= b.max for b in q.scoring.bands) == 1
    # bands in any order are accepted and come back sorted
    assert [b.min for b in q.scoring.bands] == [0, *cuts]
    if len(cuts) >= 1:
        k = data.draw(st.integers(0, len(cuts) - 1))
        shift = data.draw(st.sampled_from([-1, 1]))
        edges = [0, *cuts, top + 1]
        lo, hi = edges[k], edges[k + 1]
        moved = f'{{ min = {lo}, max = {hi - 1}, label = "b{k}" }}'
        broken = f'{{ min = {lo}, max = {hi - 1 + shift}, label = "b{k}" }}'
        with pytest.raises(InputError, match=r"overlaps|leaves a gap|expected at least min"):
            parse_questionnaire(text.replace(moved, broken))


def test_the_documented_example_is_valid():
    doc = Path(__file__).parents[2] / "docs" / "questionnaires.md"
    example = doc.read_text(encoding="utf-8").split("```toml\n", 1)[1].split("```", 1)[0]
    q = parse_questionnaire(example, source=str(doc))
    assert (q.id, q.item_ids) == ("evening_check", ("worried", "calm", "why"))
    assert [i.kind for i in q.items] == ["choice", "scale", "text"]
    assert (q.scoring.minimum, q.scoring.maximum) == (0, 12)
    r = score_responses(q, {"worried": "2", "calm": "7", "why": " The rain. "})
    assert (r.total, r.band, len(r.flags), r.answers["why"]) == (9, "high", 1, "The rain.")


def _paths(node, prefix=()):
    """Every (path, value) below a parsed TOML document."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        yield (*prefix, key), value
        if isinstance(value, dict | list):
            yield from _paths(value, (*prefix, key))


@pytest.mark.parametrize("replacement", [1, 1.5, True, "x", "", [], [[1]], [{}], {}, {"a": 1}])
def test_any_wrong_value_gives_an_input_error(replacement):
    import copy
    import tomllib

    from attunement.ratings.questionnaire import _Parser

    doc = tomllib.loads(TINY)
    for path, _ in list(_paths(doc)):
        changed = copy.deepcopy(doc)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = replacement
        try:
            _Parser("t.toml").questionnaire(changed)
        except InputError as exc:
            assert str(exc).startswith("t.toml: ")
