"""The voice encoder: its mel spectra (as librosa computes them) and its embeddings."""

import numpy as np
import pytest

from attunement.transcribe import voice

#: librosa.filters.mel(sr=16000, n_fft=400, n_mels=40) (librosa 0.11) at the peaks of three
#: filters, and where the first is zero
FILTER_VALUES = {
    (0, 2): 0.012_404_521,
    (9, 18): 0.010_691_541,
    (39, 185): 0.001_724_940,
    (0, 1): 0.007_390_210,
    (9, 23): 0.0,
}


def test_the_mel_filters_are_librosa_s():
    f = voice.mel_filters()
    assert f.shape == (40, 201)
    for (i, j), value in FILTER_VALUES.items():
        assert f[i, j] == pytest.approx(value, abs=1e-6), (i, j)
    # Slaney normalisation: each filter's area is the same in Hz
    hz = np.linspace(0, 8000, 201)
    areas = np.trapezoid(f, hz, axis=1)
    assert np.allclose(areas[1:-1], areas[1], rtol=0.05)


def test_mel_frames_are_centred_every_10_ms_and_do_not_depend_on_the_chunks():
    x = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    m = voice.mel_frames(x, chunk_frames=7)
    assert m.shape == (101, 40)
    assert np.allclose(m, voice.mel_frames(x), rtol=1e-5)
    assert np.allclose(voice.mel_frames(x, gain=2.0), 4 * voice.mel_frames(x), rtol=1e-5)
    # frame i is centred at i / 100 s: a click at 0.5 s is loudest in frame 50
    click = np.zeros(16000, np.float32)
    click[8000] = 1.0
    assert int(np.argmax(voice.mel_frames(click).sum(axis=1))) in (49, 50, 51)
    # a tone at 1 kHz puts its power in the filters around 1 kHz
    tone = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000).astype(np.float32)
    assert 12 <= int(np.argmax(voice.mel_frames(tone)[50])) <= 16


def test_embeddings_are_unit_length_and_one_voice_is_closer_to_itself(voices):
    a, b = voices
    x = (a + b).astype(np.float32)
    own = [i for i in range(0, x.size - 16000, 4000) if np.abs(a[i : i + 16000]).mean() > 0.01]
    other = [i for i in range(0, x.size - 16000, 4000) if np.abs(b[i : i + 16000]).mean() > 0.01]
    own = [i for i in own if np.abs(b[i : i + 16000]).mean() < 0.002]
    other = [i for i in other if np.abs(a[i : i + 16000]).mean() < 0.002]
    windows = [(i / 16000, i / 16000 + 1.0) for i in own + other]
    e = voice.embed_windows(x, windows)
    assert e.shape == (len(windows), 256)
    assert np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    ea, eb = e[: len(own)], e[len(own) :]
    within = (ea @ ea.T)[np.triu_indices(len(own), 1)].mean()
    across = (ea @ eb.T).mean()
    assert within > across + 0.1
