"""transcribe_recording on real speech: one microphone, one file per person, one person per
stereo channel, and the arguments and recordings it refuses."""

import numpy as np
import pytest
from recording_fixtures import write_wav

from attunement.benchmarks.transcribe import attribution_accuracy, normalise_words
from attunement.errors import InputError
from attunement.transcribe import transcribe_recording


def attribution(result, turns):
    ref, ref_speakers = [], []
    for t in turns.itertuples():
        for token in normalise_words(t.text):
            ref.append(token)
            ref_speakers.append(t.speaker)
    hyp, hyp_speakers = [], []
    for w in result.words.itertuples():
        for token in normalise_words(w.word):
            hyp.append(token)
            hyp_speakers.append(w.speaker)
    return attribution_accuracy(ref, ref_speakers, hyp, hyp_speakers)[0]


@pytest.fixture(scope="module")
def estimated(dialogue_wav):
    seen = []
    result = transcribe_recording(
        dialogue_wav, progress=lambda done, total: seen.append((done, total))
    )
    return result, seen


def test_one_microphone_two_voices_found_and_told_apart(estimated, dialogue):
    result, _ = estimated
    _, turns = dialogue
    assert result.speakers == ("Speaker 1", "Speaker 2")
    assert result.method["speaker_source"] == "diarized"
    assert result.method["speakers_estimated"] is True
    assert attribution(result, turns) >= 0.9
    assert list(result.words.columns) == ["speaker", "start", "end", "word", "probability"]
    assert list(result.turns.columns) == ["speaker", "start", "end", "text"]
    # the first voice heard is Speaker 1, and the turns alternate as spoken
    assert result.turns["speaker"].iloc[0] == "Speaker 1"
    assert "brings you in today" in result.turns["text"].iloc[0].lower()
    assert result.words["start"].is_monotonic_increasing
    assert result.duration_s == pytest.approx(turns["end"].max() + 0.5, abs=0.1)


def test_progress_is_reported_up_to_the_whole_length(estimated):
    result, seen = estimated
    done = [d for d, _ in seen]
    assert done == sorted(done)
    assert seen[-1][0] == pytest.approx(seen[-1][1]) == pytest.approx(result.duration_s, abs=0.05)


def test_speakers_given_and_named(dialogue_wav, dialogue):
    _, turns = dialogue
    result = transcribe_recording(dialogue_wav, names=["Therapist", "Client"])
    assert result.speakers == ("Therapist", "Client")
    assert result.method["speakers_estimated"] is False
    assert attribution(result, turns) >= 0.9
    assert result.words["speaker"].iloc[0] == "Therapist"


def test_one_speaker(dialogue_wav):
    result = transcribe_recording(dialogue_wav, speakers=1)
    assert result.speakers == ("Speaker 1",)
    assert result.method["speaker_source"] == "one speaker"
    assert len(result.turns) >= 1


def test_one_file_per_person_needs_no_diarization(tmp_path, voices):
    a = write_wav(tmp_path / "dana.wav", voices[0])
    b = write_wav(tmp_path / "sam.wav", voices[1])
    result = transcribe_recording([a, b], names=["Therapist", "Client"])
    assert result.method["speaker_source"] == "files"
    spoken = result.words.groupby("speaker")["word"].apply(lambda w: " ".join(w).lower())
    assert "today" in spoken["Therapist"] and "today" not in spoken["Client"]
    assert "kids" in spoken["Client"] and "kids" not in spoken["Therapist"]
    assert result.sources == (str(a), str(b))


def test_one_person_per_stereo_channel_is_detected(tmp_path, voices):
    left, right = voices
    # each microphone also hears the other person, 26 dB down
    stereo = np.stack([left + 0.05 * right, right + 0.05 * left])
    result = transcribe_recording(write_wav(tmp_path / "stereo.wav", stereo))
    assert result.method["speaker_source"] == "channels"
    assert result.method["channel_separation"]["separated"] is True
    words = result.words
    text = " ".join(words["word"]).lower()
    # the bleed is not transcribed a second time
    assert text.count("today") == 1 and text.count("kids") == 1
    first = words[words["word"].str.lower().str.contains("today")]["speaker"].iloc[0]
    second = words[words["word"].str.lower().str.contains("kids")]["speaker"].iloc[0]
    assert (first, second) == ("Speaker 1", "Speaker 2")


def test_stereo_of_one_room_is_mixed_and_diarized(tmp_path, dialogue):
    samples, _ = dialogue
    result = transcribe_recording(
        write_wav(tmp_path / "room.wav", np.stack([samples, 0.8 * samples]))
    )
    assert result.method["speaker_source"] == "diarized"
    assert result.method["channel_separation"]["separated"] is False
    assert len(result.speakers) == 2


def test_a_silent_recording(tmp_path):
    rng = np.random.default_rng(0)
    path = write_wav(tmp_path / "room_tone.wav", 0.001 * rng.standard_normal(16000 * 5))
    with pytest.raises(InputError, match=r"room_tone.wav: holds no speech in 5.0 s of audio"):
        transcribe_recording(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"speakers": 0}, r"--speakers: is 0; expected 1 to 8"),
        ({"speakers": 9}, r"--speakers: is 9; expected 1 to 8"),
        ({"speakers": 2.5}, r"--speakers: is 2.5; expected a whole number"),
        ({"speakers": 3, "names": ["A", "B"]}, r"--names: names 2 people but --speakers is 3"),
        ({"names": ["A", "A"]}, r"--names: repeats a name"),
        ({"names": ["<v A>"]}, r"--names: has '<v A>'; expected non-empty names without <"),
        ({"channels": "left"}, r"--channels: is 'left'; expected one of auto, split, mix"),
        ({"channels": "split"}, r"--channels: is split, but .*session.wav has 1 channel"),
        ({"language": "de"}, r"--language: is 'de', but the speech model is English-only"),
    ],
)
def test_bad_arguments(dialogue_wav, kwargs, message):
    with pytest.raises(InputError, match=message):
        transcribe_recording(dialogue_wav, **kwargs)


def test_files_and_speakers_must_agree(tmp_path, dialogue_wav):
    other = write_wav(tmp_path / "other.wav", np.zeros(16000))
    with pytest.raises(InputError, match=r"--speakers: is 3 but 2 files were given"):
        transcribe_recording([dialogue_wav, other], speakers=3)
    with pytest.raises(InputError, match=r"session.wav: is given twice"):
        transcribe_recording([dialogue_wav, dialogue_wav])
    with pytest.raises(InputError, match=r"audio: no recording given"):
        transcribe_recording([])


def test_without_the_recordings_extra_it_says_what_to_install(monkeypatch, dialogue_wav):
    import sys

    from attunement.errors import AttunementError

    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # as if not installed
    with pytest.raises(
        AttunementError, match=r"needs faster-whisper.*pip install 'attunement\[recordings\]'"
    ):
        transcribe_recording(dialogue_wav)
