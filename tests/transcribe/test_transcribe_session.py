"""A session from its recording alone: ``read_recording``, a manifest with ``[audio]`` and no
``[transcript]``, and ``attunement analyze RECORDING``."""

import json
import warnings

import numpy as np
import pytest
from recording_fixtures import encode, write_wav

from attunement.analysis import analyze_session
from attunement.errors import AttunementWarning, InputError
from attunement.io._common import InMemoryFile
from attunement.io.audio import Audio
from attunement.io.manifest import read_manifest
from attunement.transcribe.session import (
    is_recording,
    raw_transcript,
    read_recording,
    read_recording_manifest,
)


@pytest.fixture(scope="module")
def read(dialogue_wav):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        return read_recording(dialogue_wav)


def test_roles_are_guessed_by_the_stated_rule_and_recorded(dialogue_wav):
    with pytest.warns(AttunementWarning, match=r"says 'you' most and 'I' least.*'Speaker 1'"):
        session, result = read_recording(dialogue_wav)
    # the script's first voice asks and reflects ("What brings you in", "Part of you ...")
    assert session.utterances[0].role == "therapist"
    assert session.speakers == {"Therapist": "therapist", "Client": "client"}
    guess = session.meta["roles_guessed"]
    assert guess["therapist_as_written"] == "Speaker 1" and guess["margin"] > 0
    assert session.meta["transcription"]["speaker_source"] == "diarized"
    assert session.meta["inputs"][0]["kind"] == "recording, transcribed"
    assert session.meta["source_format"] == "recording"
    assert session.meta["audio"] == dialogue_wav  # WAV: Praat reads the file itself
    # a recording named session.wav is named by its folder, as session.toml is
    assert session.id == dialogue_wav.parent.name
    assert len(result.words) > 20


def test_the_therapist_named_by_label_or_by_name_overrides_the_rule(dialogue_wav):
    with warnings.catch_warnings():
        warnings.simplefilter("error", AttunementWarning)
        by_label, _ = read_recording(dialogue_wav, therapist="Speaker 2")
        by_name, _ = read_recording(dialogue_wav, names=["Sam Jones", "Dr Lee"], therapist="Dr Lee")
    assert by_label.utterances[0].role == "client" and "roles_guessed" not in by_label.meta
    assert by_name.utterances[0].role == "client"
    assert set(by_name.speakers) == {"Therapist", "Client"}  # the names are replaced


def test_a_name_spoken_in_the_recording_is_replaced_by_the_role(dialogue, tmp_path):
    # the names given are matched in what was said, as the names of a transcript's speakers are
    from attunement.benchmarks.transcribe import Dialogue, synthesise

    lines = (
        "Hello Martha, what brings you in today?",
        "I keep saying I will cut down on drinking, and then I do not.",
        "Part of you wants to change, Martha, and part of you is not sure.",
        "Yes. I really want to be there for my kids.",
    )
    d = Dialogue("names", "male/female", ("en-us+m3", "en-us+f3"), lines, seed=0, overlap_share=0)
    samples, _ = synthesise(d)
    wav = write_wav(tmp_path / "martha_week6.wav", samples)
    session, result = read_recording(wav, names=["Dr Lee", "Martha"], therapist="Dr Lee")
    heard = " ".join(result.words["word"])
    assert "Martha" in heard  # the speech model heard the name ...
    text = " ".join(u.text for u in session.utterances)
    assert "Martha" not in text and "[Client]" in text  # ... and the session does not keep it
    assert "martha" not in session.id.lower()  # nor does the id made from the file's name


def test_analysis_of_the_transcribed_recording_measures_the_voice(read):
    session, _ = read
    results = analyze_session(session)
    doc = results.to_dict()
    assert doc["session"]["transcription"]["n_words"] > 20
    assert doc["session"]["roles_guessed"]["therapist_as_written"] == "Speaker 1"
    # prosody ran on the recording, on the transcription's own clock
    ran = [m.get("name") for m in doc["provenance"]["methods"]]
    assert "turn_prosody" in ran and "vocal_synchrony" in ran


def test_a_recording_praat_cannot_read_is_decoded_for_prosody(dialogue, tmp_path):
    from attunement.io.audio import read_audio

    samples, _ = dialogue
    m4a = encode(tmp_path / "s.m4a", samples, fmt="mp4", codec="aac")
    audio = read_audio(m4a)
    assert isinstance(audio, Audio) and audio.sampling_rate == 16000
    assert abs(audio.duration_s - samples.size / 16000) < 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        session, _ = read_recording(m4a)
    assert session.meta["audio"] == m4a
    ran = [m.get("name") for m in analyze_session(session).to_dict()["provenance"]["methods"]]
    assert "turn_prosody" in ran


def test_one_file_per_person_is_mixed_for_prosody(voices, tmp_path):
    a = write_wav(tmp_path / "dr_lee.wav", voices[0])
    b = write_wav(tmp_path / "sam.wav", voices[1])
    session, result = read_recording([a, b], names=["Dr Lee", "Sam"], therapist="Dr Lee")
    assert result.method["speaker_source"] == "files"
    assert [i["file"] for i in session.meta["inputs"][:2]] == ["dr_lee.wav", "sam.wav"]
    audio = session.meta["audio"]
    assert isinstance(audio, Audio)
    np.testing.assert_allclose(
        audio.samples[: voices[0].size], np.clip(voices[0] + voices[1], -1, 1), atol=2e-3
    )


def test_a_recording_in_memory_is_read_without_a_file(dialogue_wav):
    memory = InMemoryFile("upload.wav", dialogue_wav.read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        session, _ = read_recording(memory)
    assert session.meta["audio"] is memory and session.id == "upload"


def test_a_manifest_with_audio_and_no_transcript(tmp_path, dialogue_wav):
    (tmp_path / "session.wav").write_bytes(dialogue_wav.read_bytes())
    (tmp_path / "session.toml").write_text(
        'id = "week-6"\n[audio]\npath = "session.wav"\nspeakers = 2\n'
        'names = ["Dr Lee", "Sam"]\nclient = "Sam"\n'
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", AttunementWarning)
        session, result = read_recording_manifest(read_manifest(tmp_path / "session.toml"))
    assert session.id == "week-6"
    assert session.utterances[0].role == "therapist"
    assert result.method["speakers_estimated"] is False
    assert session.meta["inputs"][0]["file"] == "session.wav"


def test_bad_input_names_the_file(tmp_path):
    bad = tmp_path / "notes.m4a"
    bad.write_text("not audio at all")
    with pytest.raises(InputError, match=r"notes\.m4a: is not an audio or video file"):
        read_recording(bad)
    with pytest.raises(InputError, match="no recording given"):
        read_recording([])


def test_is_recording_and_raw_transcript(read):
    assert is_recording("a.MKV") and not is_recording("a.toml")
    _, result = read
    raw = raw_transcript(result)
    assert raw.format == "recording" and len(raw.utterances) == len(result.turns)
    assert all(u.start is not None and u.end >= u.start for u in raw.utterances)


# --- the command ---------------------------------------------------------------------------


def test_analyze_a_recording_writes_its_transcript_too(tmp_path, dialogue_wav, run_cli):
    out = tmp_path / "o"
    code, _, err = run_cli("analyze", dialogue_wav, "--coder", "ngram", "-o", out)
    assert code == 0, err
    assert "--therapist 'Speaker 2'" in err  # the rule's guess, and how to override it
    assert sorted(p.name for p in out.iterdir()) == [
        "report.html",
        "results.json",
        "transcript.vtt",
        "utterances.csv",
    ]
    vtt = (out / "transcript.vtt").read_text()
    assert vtt.startswith("WEBVTT") and "<v Therapist>" in vtt and "<v Client>" in vtt
    html = (out / "report.html").read_text()
    assert 'id="transcribed"' in html and 'id="roles-guessed"' in html
    assert "--therapist &#34;Speaker 2&#34;" in html or '--therapist "Speaker 2"' in html
    doc = json.loads((out / "results.json").read_text())
    assert doc["session"]["transcription"]["speaker_source"] == "diarized"
    # the transcript written reads back as the session analysed
    code, _, err = run_cli("validate", out / "transcript.vtt")
    assert code == 0, err


def test_validate_and_code_refuse_a_recording_saying_what_reads_it(dialogue_wav, run_cli):
    code, _, err = run_cli("validate", dialogue_wav)
    assert code == 1
    assert "is a recording without a transcript" in err and "attunement analyze" in err
    assert "Traceback" not in err


def test_recording_options_without_a_recording_are_a_usage_error(tmp_path, run_cli):
    src = tmp_path / "s.txt"
    src.write_text("Therapist: How are you?\nClient: Fine.\n")
    code, _, err = run_cli("analyze", src, "--names", "A,B", "-o", tmp_path / "o")
    assert code == 2
    assert "--names" in err and "describes a recording to transcribe" in err


def test_analyze_a_manifest_without_a_transcript(tmp_path, dialogue_wav, run_cli):
    folder = tmp_path / "week6"
    folder.mkdir()
    (folder / "room.wav").write_bytes(dialogue_wav.read_bytes())
    (folder / "session.toml").write_text(
        '[audio]\npath = "room.wav"\nspeakers = 2\ntherapist = "Speaker 1"\n'
    )
    code, _, err = run_cli(
        "analyze", folder / "session.toml", "--coder", "ngram", "-o", tmp_path / "o"
    )
    assert code == 0, err
    assert "only numbered" not in err  # named, so nothing was guessed
    doc = json.loads((tmp_path / "o" / "results.json").read_text())
    assert doc["session"]["id"] == "week6"
    assert doc["session"]["roles_guessed"] is None
    assert doc["session"]["transcription"]["speakers_estimated"] is False
    assert (tmp_path / "o" / "transcript.vtt").is_file()


def test_a_manifest_with_one_file_per_person(tmp_path, voices):
    write_wav(tmp_path / "dana.wav", voices[0])
    write_wav(tmp_path / "sam.wav", voices[1])
    (tmp_path / "session.toml").write_text(
        '[audio]\npath = ["dana.wav", "sam.wav"]\nnames = ["Dana Lee", "Sam"]\n'
        'therapist = "Dana Lee"\n'
    )
    m = read_manifest(tmp_path / "session.toml")
    assert [p.name for p in m.recording.files] == ["dana.wav", "sam.wav"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", AttunementWarning)
        session, result = read_recording_manifest(m)
    assert result.method["speaker_source"] == "files"
    assert session.id == tmp_path.name
    assert session.utterances[0].role == "therapist"
    assert [i["file"] for i in session.meta["inputs"][:2]] == ["dana.wav", "sam.wav"]
    assert isinstance(session.meta["audio"], Audio)  # the two files mixed for the voice


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ('["dana.wav"]', r"audio.path: lists 1 file\(s\); expected one path, or 2 to 8"),
        ('["dana.wav", "gone.wav"]', r"audio.path\[1\]: 'gone.wav' does not exist"),
        ("[1, 2]", r"audio.path: is \[1, 2\]; expected a name or a list of names"),
    ],
)
def test_bad_lists_of_files_name_the_field(tmp_path, voices, path, message):
    write_wav(tmp_path / "dana.wav", voices[0])
    (tmp_path / "session.toml").write_text(f"[audio]\npath = {path}\n")
    with pytest.raises(InputError, match=message):
        read_manifest(tmp_path / "session.toml")
