import dataclasses
import datetime as dt
import json
import re
import sys
import warnings
import wave
from pathlib import Path

import numpy as np
import pytest

from attunement.analysis import AnalysisConfig, analyze_session
from attunement.demo import demo_manifest
from attunement.errors import AttunementWarning, InputError
from attunement.io import read_session
from attunement.model import Session, Signal, Utterance
from attunement.resonance import ResonanceConfig


def make_session(timed=True, signals=()):
    texts = [
        ("therapist", "What would you like to talk about today?"),
        ("client", "My drinking, I guess."),
        ("therapist", "You are not sure it is a problem."),
        ("client", "Maybe it is."),
    ]
    utts = []
    for i, (role, text) in enumerate(texts):
        start, end = (i * 5.0, i * 5.0 + 4.0) if timed else (None, None)
        utts.append(Utterance(i, role.capitalize(), role, start, end, text))
    return Session(
        "s1",
        tuple(utts),
        tuple(signals),
        meta={"inputs": [{"file": "s1.vtt", "kind": "transcript"}]},
    )


def test_results_json_contract():
    created = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    r = analyze_session(make_session(), AnalysisConfig(created=created))
    d = r.to_dict()
    assert set(d) == {"session", "metrics", "intervals", "mi_quality", "domain", "provenance"}
    assert {"id", "duration_s", "n_utterances", "speakers"} <= set(d["session"])
    assert d["session"]["id"] == "s1"
    assert d["session"]["duration_s"] == 19.0
    assert d["session"]["speakers"]["Client"] == {"role": "client", "n_utterances": 2, "n_words": 7}
    for key in [
        "therapist_talk_share",
        "n_therapist_utterances",
        "n_client_utterances",
        "mean_therapist_words_per_turn",
        "mean_client_words_per_turn",
        "median_therapist_response_latency_s",
        "median_client_response_latency_s",
    ]:
        assert key in d["metrics"]
    assert d["metrics"]["median_client_response_latency_s"] == 1.0
    assert 0 <= d["metrics"]["mi_quality_score"] <= 1
    assert d["mi_quality"]["score"] == d["metrics"]["mi_quality_score"]
    drivers = d["mi_quality"]["drivers"]
    assert drivers and all({"feature", "contribution", "direction"} <= set(x) for x in drivers)
    assert "mi_quality" in {m["name"] for m in d["provenance"]["methods"]}
    p = d["provenance"]
    assert p["created"] == "2026-01-02T03:04:05+00:00"
    assert p["inputs"] == [{"file": "s1.vtt", "kind": "transcript"}]
    assert p["methods"][0]["name"] == "turn_taking"
    assert {"attunement_version", "created", "inputs", "methods"} <= set(p)
    json.dumps(d, allow_nan=False)


def test_untimed_session_gives_nulls_not_zeros():
    d = analyze_session(make_session(timed=False)).to_dict()
    assert d["session"]["duration_s"] is None
    assert d["metrics"]["median_therapist_response_latency_s"] is None
    assert d["metrics"]["therapist_talk_share"] == pytest.approx(16 / 23)


def test_signals_extend_duration_and_are_listed():
    sig = Signal("eda", "client", 4.0, np.ones(400), start=-10.0, meta={"simulated": True})
    d = analyze_session(make_session(signals=[sig])).to_dict()
    assert d["session"]["duration_s"] == 19.0  # the transcript, not the longer recording
    assert d["session"]["signals"][0]["kind"] == "eda"
    assert d["session"]["signals"][0]["simulated"] is True


def test_session_is_not_modified():
    s = make_session()
    before = s.utterances_frame().copy()
    analyze_session(s)
    assert s.utterances_frame().equals(before)


@pytest.mark.parametrize("missing", ["therapist", "client"])
def test_needs_both_roles(missing):
    s = make_session()
    kept = [u for u in s.utterances if u.role != missing]
    kept = tuple(
        Utterance(i, u.speaker, u.role, u.start, u.end, u.text) for i, u in enumerate(kept)
    )
    with pytest.raises(InputError, match=f"no {missing} utterance"):
        analyze_session(Session("s1", kept))


def test_rejects_non_session():
    with pytest.raises(InputError, match="expected a Session"):
        analyze_session("transcript.vtt")


def test_no_coded_therapist_utterance_gives_no_quality_estimate():
    s = Session(
        "s2",
        (
            Utterance(0, "Therapist", "therapist", None, None, "   "),
            Utterance(1, "Client", "client", None, None, "I want to stop drinking."),
        ),
    )
    d = analyze_session(s).to_dict()
    assert d["metrics"]["mi_quality_score"] is None
    assert d["mi_quality"]["score"] is None and d["mi_quality"]["drivers"] == []
    json.dumps(d, allow_nan=False)


def test_intervals_block_beside_the_metrics(conversation):
    from attunement.coding.uncertainty import INTERVAL_METRICS

    config = AnalysisConfig(interval_resamples=300, interval_seed=4)
    results = analyze_session(conversation(), config)
    d = results.to_dict()
    assert list(d["intervals"]) == list(INTERVAL_METRICS)
    for name, found in d["intervals"].items():
        assert set(found) == {"ci95_low", "ci95_high", "n_units"}, name
        value = d["metrics"][name]
        if value is not None and found["ci95_low"] is not None:
            assert found["ci95_low"] - 1e-9 <= value <= found["ci95_high"] + 1e-9, name
    assert d["intervals"]["mi_quality_score"]["n_units"] == 30
    assert d["intervals"]["change_talk_share"]["ci95_low"] < d["metrics"]["change_talk_share"]
    methods = {m["name"]: m for m in d["provenance"]["methods"]}
    assert methods["code_intervals"]["parameters"]["n_resamples"] == 300
    assert methods["code_intervals"]["parameters"]["seed"] == 4
    assert "300 bootstrap resamples (seed 4)" in methods["code_intervals"]["description"]
    assert d["provenance"]["parameters"]["intervals"] == {"n_resamples": 300, "seed": 4}
    again = analyze_session(conversation(), config).to_dict()
    assert again["intervals"] == d["intervals"]  # reproducible
    json.dumps(d, allow_nan=False)


def test_domain_block_of_a_session_far_from_annomi():
    long = " ".join(["and so what I am hearing from you is that"] * 15)
    utts = []
    for i in range(10):
        utts.append(Utterance(2 * i, "Therapist", "therapist", None, None, long))
        utts.append(Utterance(2 * i + 1, "Client", "client", None, None, "I see what you mean."))
    d = analyze_session(Session("long", tuple(utts))).to_dict()
    assert d["domain"]["available"] is True
    assert d["domain"]["inside"] is False
    assert "therapist_words_per_unit" in d["domain"]["outside"]
    assert d["domain"]["signals"]["therapist_words_per_unit"]["value"] == 150
    assert "coder_domain" in {m["name"] for m in d["provenance"]["methods"]}


def test_demo_session_is_within_the_training_range():
    demo = dataclasses.replace(read_session(demo_manifest()), signals=())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        d = analyze_session(demo).to_dict()
    assert d["domain"]["inside"] is True, d["domain"]
    assert all(v["ci95_low"] is not None for v in d["intervals"].values())


def test_a_coder_without_a_reference_is_not_judged(conversation, tmp_path):
    import shutil

    from attunement.coding.artifact import default_model_dir

    for name in ("annomi_coders.json", "annomi_coders.npz"):
        shutil.copy(default_model_dir() / name, tmp_path / name)
    d = analyze_session(conversation(10), AnalysisConfig(coder=str(tmp_path))).to_dict()
    assert d["domain"]["available"] is False and d["domain"]["inside"] is None
    assert d["metrics"]["mi_quality_score"] is not None
    method = {m["name"]: m for m in d["provenance"]["methods"]}["coder_domain"]
    assert "not available" in method["description"]


# -- methods bound to what ran ----------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z_0-9]*\}")

#: Every method a session with transcript, both wristbands and audio runs.
ALL_METHODS = {
    "turn_taking",
    "alignment",
    "motion_masking",
    "windowed_cross_lagged_correlation",
    "eda_headline_synchrony",
    "hr_headline_synchrony",
    "peak_picking",
    "leader_follower",
    "eda_process",
    "marci_sci",
    "heart_rate",
    "turn_prosody",
    "vocal_synchrony",
    "function_words",
    "language_style_matching",
    "affect_alignment",
    "utterance_coding",
    "mi_quality",
    "code_intervals",
    "coder_domain",
    "mental_state_language",
    "empathic_moments",
    "moment_responses",
    "moment_shift_test",
}


def demo_with_audio(folder, rate=8000):
    """The bundled demo session, its utterances given end times and a synthetic voice WAV.

    The AnnoMI transcript has start times only; each utterance here lasts until the next one
    starts (0.5-6 s), and a buzzy tone of the speaker's pitch fills it.
    """
    sys.path.insert(0, str(Path(__file__).parent / "prosody"))
    from voice_fixture import voice

    demo = read_session(demo_manifest())
    starts = [u.start for u in demo.utterances] + [demo.utterances[-1].start + 3.0]
    timed = tuple(
        dataclasses.replace(u, end=u.start + max(0.5, min(starts[i + 1] - u.start, 6.0)))
        for i, u in enumerate(demo.utterances)
    )
    samples = np.zeros(int((starts[-1] + 7.0) * rate))
    rng = np.random.default_rng(0)
    for u in timed:
        base = 110.0 if u.role == "therapist" else 210.0
        tone = voice(base * 2 ** (rng.uniform(-1, 1) / 6), u.end - u.start - 0.1, rate=rate)
        first = int(u.start * rate)
        samples[first : first + tone.size] += tone
    path = Path(folder) / "session.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return dataclasses.replace(demo, utterances=timed, meta={**demo.meta, "audio": str(path)})


def test_no_method_of_a_full_analysis_has_an_unfilled_placeholder(tmp_path):
    """Physiology, audio and language of the demo session: results.json, the report's methods
    paragraph and methods_paragraph name every method with its values filled in."""
    from attunement.report.methods import methods_paragraph
    from attunement.report.write import write_outputs

    config = AnalysisConfig(resonance=ResonanceConfig(n_surrogates=19))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        results = analyze_session(demo_with_audio(tmp_path), config)
    assert results.metrics["eda_synchrony"] is not None
    assert results.metrics["hr_synchrony"] is not None
    assert results.metrics["vocal_f0_synchrony"] is not None
    # the client's voice after the empathic moments, from the same audio
    assert results.metrics["moment_client_pitch_variability_chance_test"].startswith("circular")
    assert results.metrics["moment_client_pitch_variability_n_moments"] > 0
    written = write_outputs(results, tmp_path / "out")

    methods = json.loads(written["results.json"].read_text())["provenance"]["methods"]
    assert {m["name"] for m in methods} == ALL_METHODS
    for m in methods:
        assert set(m) >= {"name", "description", "parameters", "citation"}, m["name"]
        assert m["description"].strip(), m["name"]
        assert not PLACEHOLDER.search(m["description"]), (m["name"], m["description"])
    paragraph = methods_paragraph(results)
    assert not PLACEHOLDER.search(paragraph)
    html = written["report.html"].read_text()
    shown = re.search(r"<h2>Methods</h2>\s*<p>(.*?)</p>", html, re.S)
    assert shown is not None
    assert not PLACEHOLDER.search(shown.group(1))
    assert "windows of 30 s stepped by 10 s, at every lag up to +-5 s" in shown.group(1)
    assert "with 19 surrogates" in shown.group(1)


def test_moments_and_mental_state_language_of_the_demo():
    """results.json gains the moments comparisons and the client's mental-state language;
    the demo's simulated wristbands have no built-in response."""
    config = AnalysisConfig(resonance=ResonanceConfig(n_surrogates=19), interval_resamples=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        results = analyze_session(read_session(demo_manifest()), config)
    d = results.to_dict()["metrics"]
    assert d["n_empathic_moments"] == int(results.moments.table["is_moment"].sum()) > 5
    for name in ("moment_client_scr", "moment_client_hr_change", "moment_client_words"):
        assert d[f"{name}_chance_test"].startswith("circular shifts of the moment labels")
        assert 0 < d[f"{name}_p_value"] <= 1
        assert d[f"{name}_n_moments"] + d[f"{name}_n_others"] <= len(results.moments.table)
    assert d["moment_client_pitch_variability"] is None
    assert d["moment_client_pitch_variability_chance_test"] == "not testable: no audio"
    assert d["client_mentalizing_rate"] > 0
    assert results.mentalizing["n_turns"] == int((results.turns["role"] == "client").sum())
    params = results.provenance["parameters"]["moments"]
    assert params == {"n_permutations": 1000, "seed": 0}


def test_untimed_session_has_no_moment_physiology():
    d = analyze_session(make_session(timed=False)).to_dict()["metrics"]
    assert d["moment_client_scr"] is None
    assert d["moment_client_scr_chance_test"] == "not testable: no client skin conductance"
    assert d["moment_client_words_chance_test"].startswith("not testable: 2 therapist")
