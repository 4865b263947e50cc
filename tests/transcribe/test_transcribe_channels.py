"""Stereo recordings: one person per channel told from one room heard twice."""

import numpy as np

from attunement.transcribe.channels import gate_bleed, separation


def test_separation_of_the_dialogue(voices):
    a, b = voices
    split = separation(np.stack([a + 0.05 * b, b + 0.05 * a]))
    assert split["separated"] and split["dominant_share"] > 0.9
    assert min(split["lead_shares"]) > 0.3
    room = separation(np.stack([a + 0.6 * b, 0.7 * a + b]))  # both microphones hear both
    assert not room["separated"]
    dual_mono = separation(np.stack([a + b, a + b]))
    assert not dual_mono["separated"] and dual_mono["dominant_share"] == 0
    one_sided = separation(np.stack([a + b, 0.01 * (a + b)]))  # one person speaks only
    assert not one_sided["separated"] and min(one_sided["lead_shares"]) == 0


def test_silence_and_mono_are_not_separated():
    assert not separation(np.zeros((2, 16000)))["separated"]
    assert not separation(np.zeros((1, 16000)))["separated"]


def test_gate_bleed_silences_the_other_persons_voice(voices):
    a, b = voices
    stereo = (np.stack([a + 0.05 * b, b + 0.05 * a]) * 32767).astype(np.int16)
    left = gate_bleed(stereo, 0)
    assert left.dtype == np.float32
    only_b = (np.abs(b) > 0.05) & (np.abs(a) < 1e-6)
    only_a = (np.abs(a) > 0.05) & (np.abs(b) < 1e-6)
    assert np.mean(left[only_b] == 0) > 0.9  # the bleed is gone
    assert np.mean(left[only_a] != 0) > 0.95  # the person's own voice stays
