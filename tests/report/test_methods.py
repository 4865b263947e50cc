import re

import numpy as np

from attunement.analysis import AnalysisConfig, analyze_session
from attunement.model import Session, Signal, Utterance
from attunement.report.methods import methods_paragraph
from attunement.resonance import ResonanceConfig

PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z_0-9]*\}")


def session(seconds=400.0):
    texts = ["How has the week been?", "Hard, I could not sleep.", "Sleep has been hard.", "Yes."]
    utts = tuple(
        Utterance(i, r.capitalize(), r, i * 10.0, i * 10.0 + 8.0, texts[i % 4])
        for i, r in enumerate(["therapist", "client"] * 20)
    )
    rng = np.random.default_rng(2)
    n = int(seconds * 4)
    drive = np.convolve(rng.standard_normal(n), np.ones(12) / 12, mode="same")
    signals = tuple(
        Signal("eda", role, 4.0, base + drive + 0.05 * rng.standard_normal(n), 0.0)
        for role, base in (("therapist", 2.0), ("client", 3.0))
    )
    return Session("s", utts, signals, meta={"source_format": "vtt"})


def test_paragraph_says_the_parameters_that_ran():
    config = ResonanceConfig(window_s=60, step_s=20, lag_s=3, n_surrogates=50, seed=5)
    text = methods_paragraph(analyze_session(session(), AnalysisConfig(resonance=config)))
    assert "windows of 60 s stepped by 20 s, at every lag up to +-3 s" in text
    assert "with 50 surrogates (random seed 5)" in text
    assert "compared with 50 rotations of the client's turns" in text
    assert "Marci et al. (2007)" in text and "in 5 s windows moved by 1 s" in text
    assert not PLACEHOLDER.search(text)


def test_paragraph_of_a_transcript_alone_has_no_placeholder():
    text = methods_paragraph(analyze_session(Session("s", session().utterances)))
    assert "windowed cross-lagged correlation" not in text
    assert "Language style matching" in text and not PLACEHOLDER.search(text)


def test_paragraph_says_how_the_intervals_were_made():
    text = methods_paragraph(analyze_session(Session("s", session().utterances)))
    assert "95% interval: the percentile interval of 1,000 bootstrap resamples (seed 0)" in text
    assert "coders' own errors are not in them" in text
    assert "AnnoMI transcripts coded by the same coder on five signals" in text
