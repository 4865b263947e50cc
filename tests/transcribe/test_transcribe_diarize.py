"""Who spoke each word: voice activity, prints and clustering, on known answers."""

import numpy as np
import pytest

from attunement.transcribe import diarize
from attunement.transcribe.asr import Word


def test_speech_runs_find_the_turns(dialogue):
    samples, turns = dialogue
    runs = diarize.speech_runs(samples.astype(np.float32))
    assert len(runs) >= len(turns)
    # every turn starts within a run, and no run starts inside a pause between turns
    for t in turns.itertuples():
        assert any(a - 0.1 <= t.start <= b for a, b in runs)
    assert all(b > a for a, b in runs)
    assert [a for a, _ in runs] == sorted(a for a, _ in runs)


def test_speech_runs_across_the_minute_pieces(dialogue):
    samples, _ = dialogue
    # the dialogue over and over for 2.5 minutes: runs are cut into one-minute pieces and
    # joined again where a piece's edge cut one
    long = np.tile(samples.astype(np.float32), int(np.ceil(150 * 16000 / samples.size)))
    runs = diarize.speech_runs(long)
    ends = np.array([b for _, b in runs])
    starts = np.array([a for a, _ in runs])
    assert np.all(starts[1:] >= ends[:-1])
    one = diarize.speech_runs(samples.astype(np.float32))
    assert len(runs) == pytest.approx(len(one) * long.size / samples.size, rel=0.15)


def test_mfcc_frames_shape_and_rate():
    x = np.random.default_rng(0).normal(0, 0.1, 16000 * 2).astype(np.float32)
    m = diarize.mfcc_frames(x, chunk_s=0.5)
    assert m.shape == (1 + (x.size - 400) // 160, 19)
    assert np.allclose(m, diarize.mfcc_frames(x), atol=1e-4)  # the pieces do not matter


@pytest.mark.parametrize(("kind", "width"), [("voice", 256), ("mfcc", 38)])
def test_prints_tell_two_voices_apart(dialogue, kind, width):
    samples, turns = dialogue
    x = samples.astype(np.float32)
    words, truth = [], []
    for t in turns.itertuples():
        for s in np.arange(t.start, t.end - 0.3, 0.3):
            words.append(Word(s, s + 0.25, "w", 1.0))
            truth.append(t.speaker)
    prints = diarize.word_prints(x, words, diarize.speech_runs(x), prints=kind)
    assert prints.shape == (len(words), width)
    if kind == "mfcc":  # standardised
        assert np.allclose(prints.mean(axis=0), 0, atol=1e-9)
    else:  # embeddings of unit length
        assert np.allclose(np.linalg.norm(prints, axis=1), 1, atol=1e-5)
    labels, info = diarize.cluster_speakers(prints, neighbours=diarize.PRINTS[kind][2])
    assert int(labels.max()) + 1 == 2 and len(info["eigenvalues"]) == 7
    agree = np.mean(labels == np.array(truth))
    assert max(agree, 1 - agree) >= 0.95


def test_an_unknown_kind_of_print_lists_the_choices(dialogue):
    from attunement.errors import InputError

    with pytest.raises(InputError, match="prints: is 'ivector'; expected one of voice, mfcc"):
        diarize.word_prints(np.zeros(1600, np.float32), [], [], prints="ivector")


def test_the_number_of_groups_is_estimated():
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 1, (3, 10)) * 4
    prints = np.vstack([c + rng.normal(0, 1, (80, 10)) for c in centres])
    assert diarize.estimate_speakers(prints)[0] == 3
    assert diarize.estimate_speakers(rng.normal(0, 1, (200, 10)))[0] == 1
    labels, _ = diarize.cluster_speakers(prints, speakers=3)
    # numbered in the order first heard
    assert labels[0] == 0 and labels[80] == 1 and labels[160] == 2


def test_too_few_words():
    labels, info = diarize.diarize_words(np.zeros(16000, np.float32), [], speakers=None)
    assert labels.size == 0 and info["n_speakers"] == 0
    labels, _ = diarize.cluster_speakers(np.ones((3, 4)))
    assert labels.tolist() == [0, 0, 0]
