import pytest

from attunement.errors import InputError
from attunement.io.corpora import annomi_transcripts, default_annomi_dir


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
