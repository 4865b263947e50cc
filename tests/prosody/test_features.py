import inspect
import re
import shutil
import subprocess
import warnings

import numpy as np
import pandas as pd
import parselmouth
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from voice_fixture import RATE, dialogue, voice

from attunement.errors import AttunementWarning, InputError
from attunement.io.audio import read_audio
from attunement.language.turns import turns as make_turns
from attunement.model import Signal
from attunement.prosody.features import (
    PITCH_METHODS,
    PROSODY_COLUMNS,
    signals_from_audio,
    turn_prosody,
    turn_prosody_method,
)

SPEC = [
    ("therapist", 110.0, 0.8, 0.3),
    ("client", 220.0, 0.6, 0.3),
    ("therapist", 95.0, 1.0, 0.6),
    ("client", 250.0, 0.5, 0.15),
    ("therapist", 130.0, 0.7, 0.3),
]


@pytest.fixture(scope="module")
def session():
    return dialogue(SPEC)


def test_known_f0_per_turn(session):
    samples, turns = session
    out = turn_prosody((samples, RATE), turns)
    assert list(out.columns) == list(PROSODY_COLUMNS)
    truth = np.array([f0 for _, f0, _, _ in SPEC])
    np.testing.assert_allclose(out["f0_mean_hz"], truth, atol=1.0)
    np.testing.assert_allclose(out["f0_median_hz"], truth, atol=1.0)
    assert (out["voiced_fraction"] > 0.95).all()
    np.testing.assert_array_equal(
        out["n_frames"], np.round(turns["end_s"] - turns["start_s"], 2) * 100
    )
    assert out["role"].tolist() == [r for r, *_ in SPEC]
    assert out["speaker"].tolist() == [r.title() for r, *_ in SPEC]
    assert out["turn"].tolist() == list(range(len(SPEC)))
    assert out.index.equals(turns.index)


def test_intensity_follows_amplitude(session):
    samples, turns = session
    out = turn_prosody((samples, RATE), turns)
    db = out["intensity_mean_db"].to_numpy()
    # turns 0, 1, 4 have amplitude 0.3, turn 2 twice that (+6.02 dB), turn 3 half (-6.02 dB)
    assert db[2] - db[0] == pytest.approx(20 * np.log10(2), abs=0.1)
    assert db[3] - db[1] == pytest.approx(-20 * np.log10(2), abs=0.1)
    assert db[0] == pytest.approx(db[4], abs=0.05)


def test_intensity_matches_praat_energy_mean(session):
    samples, turns = session
    sound = parselmouth.Sound(samples, sampling_frequency=RATE)
    intensity = sound.to_intensity(minimum_pitch=75.0, time_step=0.01)
    out = turn_prosody(sound, turns)
    for row in out.itertuples():
        praat = parselmouth.praat.call(intensity, "Get mean", row.start_s, row.end_s, "energy")
        assert row.intensity_mean_db == pytest.approx(praat, abs=0.2)


def test_sound_or_array_or_audio_give_the_same(session, tmp_path):
    samples, turns = session
    a = turn_prosody((samples, RATE), turns)
    b = turn_prosody(parselmouth.Sound(samples, sampling_frequency=RATE), turns)
    pd.testing.assert_frame_equal(a, b)
    path = tmp_path / "s.wav"
    parselmouth.Sound(samples, sampling_frequency=RATE).save(str(path), "WAV")
    c = turn_prosody(read_audio(path), turns)
    np.testing.assert_allclose(c["f0_mean_hz"], a["f0_mean_hz"], atol=0.1)


def test_from_utterance_table(session):
    """Turns made by attunement.language.turns.turns from utterances work as they are."""
    samples, turns = session
    utterances = turns.assign(text="words here")[["speaker", "role", "start_s", "end_s", "text"]]
    out = turn_prosody((samples, RATE), make_turns(utterances))
    np.testing.assert_allclose(out["f0_mean_hz"], [f0 for _, f0, _, _ in SPEC], atol=1.0)


def test_pitch_ranges_per_role():
    samples, turns = dialogue(
        [("therapist", 60.0, 1.0, 0.3), ("client", 400.0, 1.0, 0.3), ("therapist", 65.0, 1.0, 0.3)]
    )
    with pytest.warns(AttunementWarning, match="2 turns have no voiced frame"):
        default = turn_prosody((samples, RATE), turns)
    assert np.isnan(default["f0_mean_hz"][[0, 2]]).all()  # below the 75 Hz floor
    ranged = turn_prosody((samples, RATE), turns, pitch_ranges={"therapist": (50, 200)})
    np.testing.assert_allclose(ranged["f0_mean_hz"], [60, 400, 65], atol=1.0)


@pytest.mark.parametrize("method", list(PITCH_METHODS))
def test_pitch_methods(session, method):
    samples, turns = session
    out = turn_prosody((samples, RATE), turns, pitch_method=method)
    np.testing.assert_allclose(out["f0_mean_hz"], [f0 for _, f0, _, _ in SPEC], atol=1.5)


def test_time_step(session):
    samples, turns = session
    out = turn_prosody((samples, RATE), turns, time_step=0.005)
    np.testing.assert_allclose(out["n_frames"], (turns["end_s"] - turns["start_s"]) / 0.005, atol=1)


def test_audio_start_offset(session):
    samples, turns = session
    shifted = turns.assign(start_s=turns["start_s"] + 100, end_s=turns["end_s"] + 100)
    a = turn_prosody((samples, RATE), turns)
    b = turn_prosody((samples, RATE), shifted, audio_start_s=100.0)
    np.testing.assert_allclose(a["f0_mean_hz"], b["f0_mean_hz"], atol=0.1)
    np.testing.assert_allclose(a["n_frames"], b["n_frames"], atol=1)


def test_turns_without_timing_are_nan_with_warning(session):
    samples, turns = session
    turns = turns.copy()
    turns.loc[1, "start_s"] = np.nan
    turns.loc[3, "end_s"] = np.nan
    with pytest.warns(AttunementWarning, match="2 of 5 turns have no start or end time"):
        out = turn_prosody((samples, RATE), turns)
    assert (
        out.loc[[1, 3], ["f0_mean_hz", "intensity_mean_db", "voiced_fraction"]].isna().all().all()
    )
    assert out.loc[[1, 3], "n_frames"].tolist() == [0, 0]
    assert out.loc[[0, 2, 4], "f0_mean_hz"].notna().all()


def test_untimed_transcript_gives_all_nan():
    samples = voice(150.0, 1.0)
    turns = pd.DataFrame(
        {"start_s": [None, None], "end_s": [None, None], "role": ["therapist", "client"]}
    )
    with pytest.warns(AttunementWarning, match="no start or end time"):
        out = turn_prosody((samples, RATE), turns)
    assert out["f0_mean_hz"].isna().all()


def test_audio_shorter_than_turns(session):
    samples, turns = session
    duration = samples.size / RATE
    extra = pd.DataFrame(
        {
            "turn": [5, 6],
            "role": ["client", "therapist"],
            "speaker": ["Client", "Therapist"],
            "start_s": [duration - 0.2, duration + 5.0],
            "end_s": [duration + 2.0, duration + 8.0],
        }
    )
    longer = pd.concat([turns, extra], ignore_index=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = turn_prosody((samples, RATE), longer)
    messages = [str(w.message) for w in caught if w.category is AttunementWarning]
    assert any(m.startswith("2 turns reach outside the audio") for m in messages)
    assert any("1 turns have no voiced frame" in m for m in messages)  # its recorded part: a gap
    assert out.loc[6, ["f0_mean_hz", "intensity_mean_db"]].isna().all()
    assert 0 < out.loc[5, "n_frames"] <= 20  # only its recorded 0.2 s
    assert out.loc[:4, "f0_mean_hz"].notna().all()


def test_silent_turn_has_no_f0():
    samples, turns = dialogue([("therapist", 120.0, 0.8, 0.3), ("client", 200.0, 0.8, 0.0)])
    with pytest.warns(AttunementWarning, match="1 turns have no voiced frame"):
        out = turn_prosody((samples, RATE), turns)
    assert np.isnan(out.loc[1, "f0_mean_hz"]) and np.isnan(out.loc[1, "f0_median_hz"])
    assert out.loc[1, "voiced_fraction"] == 0.0
    assert out.loc[0, "intensity_mean_db"] > out.loc[1, "intensity_mean_db"] + 100


def test_zero_length_turn(session):
    samples, turns = session
    turns = turns.copy()
    turns.loc[0, "end_s"] = turns.loc[0, "start_s"]
    with pytest.warns(AttunementWarning, match="1 turns contain no analysis frame"):
        out = turn_prosody((samples, RATE), turns)
    assert np.isnan(out.loc[0, "f0_mean_hz"])


def test_empty_turn_table(session):
    samples, _ = session
    empty = make_turns(pd.DataFrame(columns=["speaker", "role", "start_s", "end_s", "text"]))
    out = turn_prosody((samples, RATE), empty)
    assert out.empty and list(out.columns) == list(PROSODY_COLUMNS)


TURNS = pd.DataFrame({"start_s": [0.1], "end_s": [0.5], "role": ["client"]})
SOUND = (voice(150.0, 1.0), RATE)


@pytest.mark.parametrize(
    ("sound", "turns", "options", "message"),
    [
        (SOUND, TURNS.drop(columns="role"), {}, "turns: lacks column.*role"),
        (SOUND, TURNS.to_dict(), {}, "turns: is a dict; expected a pandas DataFrame"),
        ("audio.wav", TURNS, {}, "sound: is a str; expected a parselmouth.Sound"),
        ((np.zeros((2, 100)), RATE), TURNS, {}, r"shape \(2, 100\); expected one channel"),
        ((np.zeros(0), RATE), TURNS, {}, r"shape \(0,\)"),
        ((np.array([0.0, np.nan] * 8000), RATE), TURNS, {}, "NaN or infinity"),
        ((SOUND[0], 0), TURNS, {}, "sampling_rate: is 0; expected a positive number"),
        ((SOUND[0], "fast"), TURNS, {}, "sampling_rate"),
        (SOUND, TURNS, {"pitch_floor": 300, "pitch_ceiling": 200}, "not above the floor"),
        (SOUND, TURNS, {"pitch_floor": -5}, "pitch_floor: is -5"),
        (SOUND, TURNS, {"time_step": 0}, "time_step"),
        (SOUND, TURNS, {"pitch_method": "yin"}, "pitch_method: is 'yin'; expected one of ac, cc"),
        (SOUND, TURNS, {"pitch_ranges": {"patient": (75, 300)}}, "names role 'patient'"),
        (SOUND, TURNS, {"pitch_ranges": {"client": 300}}, r"expected \(floor, ceiling\)"),
        (SOUND, TURNS, {"pitch_ranges": {"client": (300, 100)}}, r"pitch_ranges\[client\]"),
        (SOUND, TURNS, {"audio_start_s": float("nan")}, "audio_start_s"),
        ((np.zeros(100), RATE), TURNS, {}, r"audio is 0.006 s long; expected at least 0.085 s"),
        (
            (np.zeros(1600), RATE),
            TURNS,
            {"pitch_ranges": {"client": (20, 100)}},
            r"0.100 s long; expected at least 0.150 s for a 20 Hz pitch floor",
        ),
        (SOUND, TURNS.assign(start_s="soon"), {}, r"start_s: the turn at index 0 holds 'soon'"),
    ],
)
def test_bad_input(sound, turns, options, message):
    with pytest.raises(InputError, match=message):
        turn_prosody(sound, turns, **options)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(-5, 5)),
            st.one_of(st.none(), st.floats(-5, 5)),
            st.sampled_from(["therapist", "client", "other"]),
        ),
        max_size=8,
    )
)
def test_any_turn_table_gives_a_row_per_turn(rows):
    turns = pd.DataFrame(rows, columns=["start_s", "end_s", "role"]).astype(
        {"start_s": float, "end_s": float}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        out = turn_prosody(SOUND, turns)
    assert len(out) == len(turns)
    nan = out["n_frames"] == 0
    assert out.loc[nan, ["f0_mean_hz", "intensity_mean_db", "voiced_fraction"]].isna().all().all()
    assert ((out["voiced_fraction"] >= 0) | nan).all() and (
        (out["voiced_fraction"] <= 1) | nan
    ).all()


def test_signals_from_audio(session):
    samples, turns = session
    f0, intensity = signals_from_audio((samples, RATE), role="client", turns=turns)
    assert isinstance(f0, Signal) and isinstance(intensity, Signal)
    assert (f0.kind, f0.role, f0.sampling_rate, f0.unit) == ("f0", "client", 100.0, "Hz")
    assert (intensity.kind, intensity.unit) == ("intensity", "dB")
    t = f0.time_axis()
    for row in turns.itertuples():
        inside = (t >= row.start_s + 0.05) & (t < row.end_s - 0.05)
        values = f0.values[inside]
        if row.role == "client":
            np.testing.assert_allclose(np.nanmedian(values), SPEC[row.turn][1], atol=1.0)
        else:
            assert np.isnan(values).all()  # the therapist's voice is masked out
    ti = intensity.time_axis()
    gap = (ti > 0.05) & (ti < turns.loc[0, "start_s"] - 0.05)
    assert np.isnan(intensity.values[gap]).all()


def test_signals_without_turns_keep_everything(session):
    samples, _ = session
    f0, intensity = signals_from_audio((samples, RATE), audio_start_s=10.0)
    assert f0.role == "other"
    assert 10.0 < f0.start < 10.1
    assert np.isfinite(intensity.values).all()
    assert np.nanmin(f0.values) > 90 and np.nanmax(f0.values) < 260


def test_signals_role_without_turns_warns(session):
    samples, turns = session
    with pytest.warns(AttunementWarning, match="no timed other turns"):
        f0, _ = signals_from_audio((samples, RATE), role="other", turns=turns)
    assert np.isnan(f0.values).all()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"role": "patient"}, "role: is 'patient'"),
        ({"turns": pd.DataFrame({"x": [1]})}, "turns: expected a DataFrame"),
        ({"time_step": -1}, "time_step"),
    ],
)
def test_signals_bad_input(options, message):
    with pytest.raises(InputError, match=message):
        signals_from_audio(SOUND, **options)


def test_method_paragraph():
    m = turn_prosody_method()
    assert set(m) == {"name", "description", "parameters", "citation"}
    assert "Praat" in m["description"] and "Parselmouth" in m["citation"]


def test_method_is_written_from_the_parameters_that_ran():
    m = turn_prosody_method(
        pitch_floor=60,
        pitch_ceiling=400,
        pitch_ranges={"client": (100, 500)},
        time_step=0.005,
        pitch_method="cc",
    )
    assert m["parameters"] == {
        "pitch_floor": 60.0,
        "pitch_ceiling": 400.0,
        "time_step": 0.005,
        "pitch_method": "cc",
        "pitch_ranges": {"client": [100.0, 500.0]},
    }
    text = m["description"]
    assert "pitch by cross-correlation (pitch floor 60 Hz, ceiling 400 Hz, 5 ms steps" in text
    assert "for the client's turns, floor 100 Hz and ceiling 500 Hz" in text
    assert not re.search(r"\{[A-Za-z_][A-Za-z_0-9]*\}", m["description"])
    with pytest.raises(InputError, match="pitch_method"):
        turn_prosody_method(pitch_method="shs")


def test_method_has_the_options_of_turn_prosody():
    measure = inspect.signature(turn_prosody).parameters
    for name, p in inspect.signature(turn_prosody_method).parameters.items():
        assert p.kind is p.KEYWORD_ONLY
        assert measure[name].default == p.default, name


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_speech_low_and_high_voice(tmp_path):
    """Synthetic speech: a voice at pitch 50 and one at pitch 99 are told apart, per turn."""
    text = "I have been feeling rather tired lately, and I do not know why."
    parts = []
    for pitch in (50, 99, 50, 99):
        path = tmp_path / f"p{pitch}.wav"
        subprocess.run(
            ["espeak-ng", "-w", str(path), "-p", str(pitch), text], check=True, capture_output=True
        )
        parts.append(read_audio(path))
    rate = parts[0].sampling_rate
    samples = np.concatenate([p.samples for p in parts])
    bounds = np.cumsum([0] + [p.samples.size for p in parts]) / rate
    turns = pd.DataFrame(
        {
            "start_s": bounds[:-1],
            "end_s": bounds[1:],
            "role": ["therapist", "client"] * 2,
            "speaker": ["Therapist", "Client"] * 2,
        }
    )
    out = turn_prosody((samples, rate), turns)
    low, high = out["f0_mean_hz"][[0, 2]].to_numpy(), out["f0_mean_hz"][[1, 3]].to_numpy()
    assert (high > low * 1.4).all()
    assert ((out["voiced_fraction"] > 0.4) & (out["voiced_fraction"] < 0.95)).all()
    np.testing.assert_allclose(low[0], low[1], rtol=0.03)  # same voice, same text
    np.testing.assert_allclose(high[0], high[1], rtol=0.03)
