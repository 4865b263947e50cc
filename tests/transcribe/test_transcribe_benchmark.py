"""The transcription benchmark: its measures on known answers, and a run on one short dialogue
(a command, not a timed test)."""

import numpy as np
import pandas as pd
import pytest
from recording_fixtures import LINES

from attunement.benchmarks.transcribe import (
    Dialogue,
    attribution_accuracy,
    diarization_error_rate,
    normalise_words,
    run_transcribe_benchmark,
    synthesise,
    word_error_rate,
)


def test_word_error_rate_known_answers():
    assert word_error_rate(list("abcd"), list("abcd")) == (0.0, 4)
    assert word_error_rate(list("abcd"), list("abxd")) == (0.25, 4)
    assert word_error_rate(list("abcd"), list("ab")) == (0.5, 4)
    assert word_error_rate(list("ab"), list("abcd")) == (1.0, 2)
    assert word_error_rate(normalise_words("I'm here."), normalise_words("I am here")) == (0.0, 3)


def test_attribution_known_answers():
    ref, who = list("abcdef"), [0, 0, 0, 1, 1, 1]
    assert attribution_accuracy(ref, who, ref, ["x"] * 3 + ["y"] * 3) == (1.0, 6)
    # labels are matched to people, whatever their names
    assert attribution_accuracy(ref, who, ref, ["y"] * 3 + ["x"] * 3) == (1.0, 6)
    assert attribution_accuracy(ref, who, ref, ["x"] * 6) == (0.5, 6)
    # a word missing from the hypothesis is not counted
    assert attribution_accuracy(ref, who, list("abdef"), ["x", "x", "x", "y", "y"]) == (0.8, 5)


def test_diarization_error_rate_known_answers():
    ref = np.zeros((2, 1000), dtype=bool)
    ref[0, 0:400] = True
    ref[1, 500:900] = True

    def words(*spans):
        return pd.DataFrame(spans, columns=["speaker", "start", "end"])

    perfect = words(("a", 0.0, 4.0), ("b", 5.0, 9.0))
    assert diarization_error_rate(ref, perfect, collar_s=0) == 0.0
    one = words(("a", 0.0, 4.0), ("a", 5.0, 9.0))
    assert diarization_error_rate(ref, one, collar_s=0) == pytest.approx(0.5)
    half_missed = words(("a", 0.0, 4.0))
    assert diarization_error_rate(ref, half_missed, collar_s=0) == pytest.approx(0.5)
    # the collar forgives boundaries that are a little off
    late = words(("a", 0.2, 4.0), ("b", 5.0, 9.2))
    assert diarization_error_rate(ref, late, collar_s=0.25) == 0.0
    assert diarization_error_rate(ref, late, collar_s=0) > 0


def test_synthesised_dialogue_knows_who_spoke_when():
    d = Dialogue("t", "male/female", ("en-us+m3", "en-us+f3"), LINES[:2], overlap_share=1.0)
    samples, turns = synthesise(d)
    assert list(turns["speaker"]) == [0, 1]
    # overlap_share=1: the second turn starts before the first ends
    assert turns["start"].iloc[1] < turns["end"].iloc[0]
    own = turns.attrs["own"]
    assert np.allclose(np.clip(own[0] + own[1], -1, 1), samples)


def test_a_run_on_one_short_dialogue():
    d = Dialogue("short", "male/female", ("en-us+m3", "en-us+f3"), LINES, seed=0)
    table, info = run_transcribe_benchmark((d,))
    assert list(table["dialogue"]) == ["short", "all"]
    row = table.iloc[0]
    assert row["wer"] < 0.35 and row["peer_wer"] < 0.35
    assert row["attribution"] >= 0.85
    assert row["peer_attribution"] <= 0.75  # one person for every word
    assert row["der"] < row["peer_der"]
    assert row["speakers_found"] == 2
    assert 0 < row["rtf"] < 1 and 0 < row["peer_rtf"] < 1
    assert row["rtf_ratio"] == pytest.approx(row["rtf"] / row["peer_rtf"])
    assert info["peak_rss_mb"] > 0 and info["peer_peak_rss_mb"] > 0


def test_read_rttm_known_answer(tmp_path):
    from attunement.benchmarks.transcribe import read_rttm

    p = tmp_path / "r.rttm"
    p.write_text(
        "SPEAKER s 1 0.00 1.00 <NA> <NA> b <NA> <NA>\n"
        "SPEAKER s 1 0.50 1.00 <NA> <NA> a <NA> <NA>\n"
        "; a comment line\n"
    )
    reference, people = read_rttm(p, 200)
    assert people == ["a", "b"]
    assert reference[1, :100].all() and not reference[1, 100:].any()
    assert reference[0, 50:150].all() and not reference[0, :50].any()


def test_a_real_recording_against_its_rttm(tmp_path, dialogue_wav, dialogue):
    from attunement.benchmarks.transcribe import run_real_benchmark

    _, turns = dialogue
    rttm = tmp_path / "ref.rttm"
    rttm.write_text(
        "".join(
            f"SPEAKER d 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> p{t.speaker} <NA> <NA>\n"
            for t in turns.itertuples(index=False)
        )
    )
    table = run_real_benchmark(dialogue_wav, rttm).set_index("system")
    ours, one = table.loc["attunement"], table.loc["attunement's words as one person"]
    assert ours["speakers_reference"] == 2 and ours["speakers_found"] == 2
    assert ours["words_to_the_right_person"] > 0.9 > one["words_to_the_right_person"]
    assert ours["der"] < one["der"]
    assert table.loc["faster-whisper directly (one person)", "rtf"] > 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\xff\xfe\x00binary", "is not UTF-8 text; expected an RTTM file"),
        (b"SPEAKER s 1 zero 1.0 <NA> <NA> a\n", r":1: is 'SPEAKER s 1 zero 1.0 <NA> <NA> a'"),
        (b"SPEAKER s 1 0.5\n", r":1: is 'SPEAKER s 1 0.5'; expected SPEAKER FILE"),
        (b"; only a comment\n", "has no SPEAKER line"),
    ],
)
def test_a_bad_rttm_names_the_file_and_line(tmp_path, content, message):
    from attunement.benchmarks.transcribe import read_rttm
    from attunement.errors import InputError

    p = tmp_path / "r.rttm"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_rttm(p, 100)
