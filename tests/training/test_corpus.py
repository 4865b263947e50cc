import pytest

from attunement.errors import InputError
from attunement.io.corpora import default_annomi_dir
from attunement.training.corpus import annomi_tasks


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
