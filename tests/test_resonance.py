import numpy as np
import pytest

from attunement.analysis import AnalysisConfig, analyze_session
from attunement.errors import AttunementWarning
from attunement.model import Session, Signal, Utterance
from attunement.resonance import PHYSIOLOGY_METRICS, TURN_METRICS, ResonanceConfig

FAST = AnalysisConfig(resonance=ResonanceConfig(n_surrogates=99))


def transcript(n=40):
    texts = [
        "I don't really know what I want anymore.",
        "You feel lost right now.",
        "Yes, and nobody seems to notice it.",
        "It has been lonely and hard for you.",
    ]
    return tuple(
        Utterance(
            i,
            "Client" if i % 2 == 0 else "Therapist",
            "client" if i % 2 == 0 else "therapist",
            i * 15.0,
            i * 15.0 + 12.0,
            texts[i % 4],
        )
        for i in range(n)
    )


def coupled_eda(seconds=600, rate=4.0, lag_s=2.0, seed=1):
    """Client EDA follows the therapist's by lag_s; both are smooth, with independent noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate) + int(lag_s * rate)
    drive = np.convolve(rng.standard_normal(n), np.ones(12) / 12, mode="same")
    k = int(lag_s * rate)
    therapist = 2 + drive[k:] + 0.05 * rng.standard_normal(n - k)
    client = 3 + drive[:-k] + 0.05 * rng.standard_normal(n - k)
    return (
        Signal("eda", "therapist", rate, therapist, 0.0),
        Signal("eda", "client", rate, client, 0.0),
    )


def test_coupled_eda_is_found_above_chance_with_the_right_leader():
    session = Session("s", transcript(), coupled_eda())
    m = analyze_session(session, FAST).metrics
    assert m["eda_synchrony"] > 0.3
    assert m["eda_synchrony_p_value"] == pytest.approx(0.01)  # (1 + 0) / (1 + 99)
    assert m["eda_synchrony_effect_size"] > 3
    assert m["eda_leader"] == "therapist"
    assert m["eda_lead_s"] == pytest.approx(2.0, abs=0.25)
    assert m["marci_sci"] > 0
    assert m["hr_synchrony"] is None


def test_without_signals_or_audio_those_metrics_are_null():
    m = analyze_session(Session("s", transcript()), FAST).metrics
    for name in PHYSIOLOGY_METRICS + TURN_METRICS:
        assert name in m
    assert all(m[name] is None for name in PHYSIOLOGY_METRICS)
    assert m["vocal_f0_synchrony"] is None
    assert 0 < m["language_style_matching"] <= 1
    assert m["affect_alignment"] is not None


def test_too_short_an_overlap_warns_and_gives_null():
    t, c = coupled_eda(seconds=20)
    with pytest.warns(AttunementWarning, match="EDA synchrony not computed"):
        m = analyze_session(Session("s", transcript(), (t, c)), FAST).metrics
    assert m["eda_synchrony"] is None


def test_results_carry_parameters_and_methods():
    r = analyze_session(Session("s", transcript(), coupled_eda()), FAST)
    d = r.to_dict()
    assert d["provenance"]["parameters"]["resonance"]["n_surrogates"] == 99
    names = [m["name"] for m in d["provenance"]["methods"]]
    assert "windowed_cross_lagged_correlation" in names
    assert "marci_sci" in names
    assert d["metrics"]["eda_leader"] in {"therapist", "client", "none"}


def test_manifest_with_audio_gives_vocal_synchrony(tmp_path):
    """Transcript + WAV through the manifest: the client's pitch follows the therapist's."""
    import sys
    import wave
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "prosody"))
    from voice_fixture import RATE, dialogue

    from attunement.io import read_session

    rng = np.random.default_rng(5)
    spec = []
    for _ in range(14):
        level = rng.uniform(-1, 1)
        spec.append(("therapist", 110 * 2 ** (level / 6), 1.0, 0.3))
        spec.append(("client", 210 * 2 ** ((level + 0.2 * rng.standard_normal()) / 6), 1.0, 0.3))
    samples, turns = dialogue(spec)
    with wave.open(str(tmp_path / "s.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    lines = ["start,end,speaker,text"] + [
        f"{r.start_s:.3f},{r.end_s:.3f},{r.speaker},turn {r.turn} words here"
        for r in turns.itertuples()
    ]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "session.toml").write_text(
        '[transcript]\npath = "t.csv"\n[audio]\npath = "s.wav"\n'
    )
    m = analyze_session(read_session(tmp_path / "session.toml"), FAST).metrics
    assert m["vocal_f0_synchrony"] > 0.3  # both directions pooled; only one is coupled
    assert m["vocal_f0_synchrony_p_value"] < 0.05
    assert m["vocal_intensity_synchrony"] is not None
