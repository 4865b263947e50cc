import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.coding.corpus import annomi_tasks, annomi_transcripts, contexts, default_annomi_dir
from attunement.errors import InputError


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


def test_tasks_from_a_tiny_corpus(tiny_annomi):
    tasks = annomi_tasks(tiny_annomi)
    assert list(tasks) == ["therapist_behaviour", "reflection_type", "question_type", "client_talk"]
    tb = tasks["therapist_behaviour"]
    assert list(tb.columns) == [
        "text",
        "context",
        "label",
        "group",
        "transcript_id",
        "utterance_id",
    ]
    assert len(tb) == 12 * 6 and tb["group"].nunique() == 12
    assert tb.loc[1, "context"] == "I really want to quit drinking."
    # transcript 0 appears twice in the full file; one annotator is kept
    assert len(tasks["reflection_type"]) == 12 * 2
    assert sorted(set(tasks["question_type"]["label"])) == ["closed", "open"]
    assert sorted(set(tasks["client_talk"]["label"])) == ["change", "neutral", "sustain"]


def test_vendored_annomi_sizes():
    tasks = annomi_tasks(default_annomi_dir())
    assert len(tasks["therapist_behaviour"]) == 4882
    assert len(tasks["client_talk"]) == 4817


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"AnnoMI-simple\.csv: was not found"):
        annomi_tasks(tmp_path)


def test_missing_column(tiny_annomi):
    path = tiny_annomi / "AnnoMI-simple.csv"
    path.write_text(path.read_text().replace("utterance_text", "words", 1))
    with pytest.raises(InputError, match=r"AnnoMI-simple.csv:1: has no column utterance_text"):
        annomi_tasks(tiny_annomi)


def test_bad_id_names_the_line(tiny_annomi):
    path = tiny_annomi / "AnnoMI-simple.csv"
    lines = path.read_text().splitlines()
    lines[3] = "x" + lines[3]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"AnnoMI-simple.csv:4: transcript_id: is 'x0'"):
        annomi_tasks(tiny_annomi)


def test_one_label_only(tiny_annomi):
    path = tiny_annomi / "AnnoMI-full.csv"
    path.write_text(path.read_text().replace(",closed,", ",open,"))
    with pytest.raises(InputError, match="fewer than two question_subtype labels"):
        annomi_tasks(tiny_annomi)


def test_binary_file(tiny_annomi):
    (tiny_annomi / "AnnoMI-simple.csv").write_bytes(b"\xff\xfe\x00\x01" * 50)
    with pytest.raises(InputError, match=r"AnnoMI-simple\.csv"):
        annomi_tasks(tiny_annomi)


def test_transcripts_with_their_quality(tiny_annomi):
    table = annomi_transcripts(tiny_annomi)
    assert list(table.columns) == [
        "transcript_id",
        "group",
        "mi_quality",
        "role",
        "text",
        "utterance_id",
    ]
    assert len(table) == 12 * 12
    first = table[table["transcript_id"] == 0]
    assert first["text"].iloc[0] == "What brings you here today?"
    assert first["role"].tolist()[:2] == ["therapist", "client"]
    per = table.groupby("transcript_id")["mi_quality"].first()
    assert per.tolist() == ["low" if t % 4 == 3 else "high" for t in range(12)]


def test_vendored_transcripts():
    table = annomi_transcripts(default_annomi_dir())
    per = table.groupby("transcript_id")["mi_quality"].first()
    assert per.value_counts().to_dict() == {"high": 110, "low": 23}
    assert table["group"].nunique() == 119 and len(table) == 9699


def test_transcripts_bad_quality(tiny_annomi):
    path = tiny_annomi / "AnnoMI-simple.csv"
    path.write_text(path.read_text().replace(",low,", ",medium,", 1))
    with pytest.raises(InputError, match=r"mi_quality: is 'medium' for transcript 3; expected"):
        annomi_transcripts(tiny_annomi)
