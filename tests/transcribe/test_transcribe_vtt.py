"""The files written: a WebVTT transcript attunement reads back, and its words beside it."""

import json
import os

import pandas as pd
import pytest

from attunement.errors import InputError
from attunement.io.transcripts import read_transcripts
from attunement.transcribe import RecordingTranscript, sidecar_path, write_transcript
from attunement.transcribe.recording import _turns


def made_up(words):
    frame = pd.DataFrame(words, columns=["speaker", "start", "end", "word", "probability"])
    return RecordingTranscript(
        words=frame,
        turns=_turns(frame),
        speakers=tuple(dict.fromkeys(frame["speaker"])),
        duration_s=10.0,
        sources=("/private/clinic/session.m4a",),
        method={"speaker_source": "diarized"},
    )


WORDS = [
    ("Speaker 1", 0.0, 0.4, "How", 0.9),
    ("Speaker 1", 0.4, 0.8, "are", 0.9),
    ("Speaker 1", 0.8, 1.2, "you?", 0.8),
    ("Speaker 2", 1.5, 1.9, "Fine", 0.95),
    ("Speaker 2", 1.9, 2.3, "<mostly>", 0.5),
    ("Speaker 2", 2.3, 2.6, "&", 0.5),
    ("Speaker 2", 5.0, 5.4, "Anyway.", 0.7),
    ("Speaker 1", 5.6, 6.0, "Go", 0.9),
    ("Speaker 1", 6.0, 6.0, "on.", 0.9),
]


def test_round_trip_through_attunements_own_reader(tmp_path):
    result = made_up(WORDS)
    vtt, words = write_transcript(result, tmp_path / "session.vtt")
    assert words == tmp_path / "session.words.json"
    (transcript,) = read_transcripts(vtt)
    got = [(u.speaker, u.start, u.end, u.text) for u in transcript.utterances]
    assert got == [
        ("Speaker 1", 0.0, 1.2, "How are you?"),
        ("Speaker 2", 1.5, 2.6, "Fine <mostly> &"),
        # a pause of 2 s or more starts a new cue
        ("Speaker 2", 5.0, 5.4, "Anyway."),
        ("Speaker 1", 5.6, 6.0, "Go on."),
    ]
    assert transcript.format == "vtt"


def test_the_words_file(tmp_path):
    _, words = write_transcript(made_up(WORDS), tmp_path / "session.vtt")
    data = json.loads(words.read_text())
    assert data["format"] == "attunement.words" and data["version"] == 1
    assert data["speakers"] == ["Speaker 1", "Speaker 2"]
    # the file's name, not where it lives
    assert data["sources"] == ["session.m4a"]
    assert data["words"][4] == {
        "speaker": "Speaker 2",
        "start": 1.9,
        "end": 2.3,
        "word": "<mostly>",
        "probability": 0.5,
    }
    assert oct(os.stat(words).st_mode & 0o777) == "0o600"


def test_long_speech_is_cut_into_cues_at_sentence_ends():
    words = [
        ("Speaker 1", i * 0.5, i * 0.5 + 0.4, "word." if i % 6 == 5 else "word", 1.0)
        for i in range(60)
    ]
    turns = made_up(words).turns
    assert len(turns) > 1
    assert all(t.end - t.start <= 20.5 for t in turns.itertuples())
    assert all(t.text.endswith(".") for t in turns.itertuples())


def test_nothing_is_written_when_a_file_cannot_be(tmp_path):
    result = made_up(WORDS)
    (tmp_path / "session.words.json").mkdir()
    with pytest.raises(InputError, match=r"session.words.json: --out: is a folder"):
        write_transcript(result, tmp_path / "session.vtt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.words.json"]
    with pytest.raises(InputError, match=r"its folder .*nowhere does not exist"):
        write_transcript(result, tmp_path / "nowhere" / "x.vtt")


def test_an_existing_transcript_is_replaced_whole(tmp_path):
    target = tmp_path / "session.vtt"
    target.write_text("old")
    write_transcript(made_up(WORDS), target)
    assert target.read_text().startswith(
        "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.200\n<v Speaker 1>"
    )
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_sidecar_names():
    assert sidecar_path("a/b.vtt").name == "b.words.json"
    assert sidecar_path("a/b.VTT").name == "b.words.json"
    assert sidecar_path("a/b.txt").name == "b.txt.words.json"
