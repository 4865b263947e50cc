import numpy as np
import pytest

from attunement.analysis import AnalysisConfig, analyze_session
from attunement.errors import AttunementWarning, InputError
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
    assert m["eda_synchrony"] > 0.2  # first-differenced: the noise weighs more
    assert m["eda_wclc_abs_z"] > 0.3
    assert m["eda_synchrony_p_value"] == pytest.approx(0.01)  # (1 + 0) / (1 + 99)
    assert m["eda_synchrony_chance_test"] == "circular shifts of at least 25 s, 99 surrogates"
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
    for _ in range(30):  # 30 client turns: 27 rotations, so p can go below 0.05
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


# -- motion masking ---------------------------------------------------------------------------

SPIKE = (141.0, 149.0)  # artefact in both people's EDA and heart rate (s)
BURST = (138.0, 152.0)  # wrist movement in both accelerometers (s)


def _bump(t, lo, hi):
    """0 outside lo..hi, 1 inside, with 1 s raised-cosine edges."""
    up = np.clip(t - lo + 1.0, 0.0, 1.0)
    down = np.clip(hi + 1.0 - t, 0.0, 1.0)
    return np.minimum(0.5 - 0.5 * np.cos(np.pi * up), 0.5 - 0.5 * np.cos(np.pi * down))


def motion_session(*, burst=BURST, acc=True, seconds=300.0, seed=7):
    """Two independent people whose EDA and heart rate share one large artefact.

    Both wear still wristbands except during ``burst`` (1.5 g along z: ENMO 0.5 g).
    """
    rng = np.random.default_rng(seed)
    signals = []
    for role in ("therapist", "client"):
        t = np.arange(int(seconds * 4)) / 4
        drive = np.convolve(rng.standard_normal(t.size), np.ones(12) / 12, mode="same")
        signals.append(Signal("eda", role, 4.0, 3 + drive + 8 * _bump(t, *SPIKE), 0.0))
        t1 = np.arange(int(seconds))
        beat = np.convolve(rng.standard_normal(t1.size), np.ones(4) / 4, mode="same")
        signals.append(Signal("hr", role, 1.0, 70 + 3 * beat + 40 * _bump(t1, *SPIKE), 0.0))
        if acc:
            t32 = np.arange(int(seconds * 32)) / 32
            xyz = np.tile([0.0, 0.0, 64.0], (t32.size, 1))
            xyz[(t32 >= burst[0]) & (t32 < burst[1]), 2] = 96.0
            signals.append(Signal("acc", role, 32.0, xyz, 0.0))
    return Session("motion", transcript(20), tuple(signals))


def _lag_zero(result, start_s):
    windows = result.signed.windows
    return windows.loc[np.isclose(windows["start_s"], start_s), "lag_zero"].iloc[0]


def _window(result, start_s):
    """The rMEA-style WCLC window (mean |z| over lags) that starts at ``start_s``."""
    windows = result.classic.windows
    return windows.loc[np.isclose(windows["start_s"], start_s)].iloc[0]


@pytest.mark.parametrize("kind", ["eda", "hr"])
def test_motion_masking_removes_a_shared_movement_artefact(kind):
    session = motion_session()
    off = analyze_session(
        session, AnalysisConfig(resonance=ResonanceConfig(n_surrogates=99, motion_threshold_g=None))
    )
    on = analyze_session(session, FAST)
    raw, masked = off.resonance.physiology[kind], on.resonance.physiology[kind]
    # Windows from 120, 130 and 140 s (30 s plus the 5 s lag) read the whole artefact.
    for start in (120.0, 130.0, 140.0):
        assert _lag_zero(raw, start) > 2.0  # r > 0.96: the shared spike
        assert abs(_lag_zero(masked, start)) < 1.0  # computed from the samples left
        assert _window(raw, start)["all_lags"] > 0.75  # mean |z| over lags
        assert _window(masked, start)["all_lags"] < 0.6
    assert on.metrics[f"{kind}_wclc_abs_z"] < off.metrics[f"{kind}_wclc_abs_z"] - 0.04
    # The masked samples are exactly the grid points inside the movement burst.
    pair = masked.pair
    inside = (pair.times() >= BURST[0]) & (pair.times() < BURST[1])
    assert inside.sum() == 14 * pair.sampling_rate
    assert np.isnan(pair.therapist[inside]).all() and np.isnan(pair.client[inside]).all()
    assert np.isfinite(pair.therapist[~inside]).all()
    np.testing.assert_array_equal(pair.client[~inside], raw.pair.client[~inside])
    # The rMEA-style figure and the chance test saw the same masked series as the signed
    # correlations.
    np.testing.assert_allclose(masked.classic.values, np.abs(masked.signed.values), equal_nan=True)
    assert np.isnan(masked.headline.test.band["observed"]).any()


def test_motion_over_more_than_half_a_window_leaves_it_undefined():
    session = motion_session(burst=(100.0, 175.0))
    phys = analyze_session(session, FAST).resonance.physiology["eda"]
    # said in the report (the test's notes), not as a warning
    assert any("more than half of a series is missing" in note for note in phys.notes)
    # Each window reads 35 s (30 s plus the 5 s lag).
    assert np.isnan(_window(phys, 130.0)["all_lags"])  # 130-165 s: all masked
    assert np.isnan(_window(phys, 90.0)["all_lags"])  # 90-125 s: 25 of 35 s masked
    assert np.isfinite(_window(phys, 80.0)["all_lags"])  # 80-115 s: 15 of 35 s masked
    assert np.isfinite(_window(phys, 0.0)["all_lags"])


def test_motion_shares_metrics_and_only_the_wearer_is_masked():
    session = motion_session()
    only_client = Session(
        "c",
        session.utterances,
        tuple(s for s in session.signals if not (s.kind == "acc" and s.role == "therapist")),
    )
    r = analyze_session(only_client, FAST)
    assert r.metrics["therapist_motion_share"] is None
    assert r.metrics["client_motion_share"] == pytest.approx(14 / 300)
    pair = r.resonance.physiology["eda"].pair
    assert np.isfinite(pair.therapist).all()
    assert np.isnan(pair.client).sum() == 14 * 4


def test_without_acc_results_equal_masking_off():
    session = motion_session(acc=False)
    on = analyze_session(session, FAST)
    off = analyze_session(
        session, AnalysisConfig(resonance=ResonanceConfig(n_surrogates=99, motion_threshold_g=None))
    )
    assert on.metrics == off.metrics
    assert on.metrics["therapist_motion_share"] is None
    assert on.metrics["client_motion_share"] is None
    names = [m["name"] for m in on.provenance["methods"]]
    assert "motion_masking" not in names
    for kind in ("eda", "hr"):
        np.testing.assert_array_equal(
            on.resonance.physiology[kind].pair.therapist,
            off.resonance.physiology[kind].pair.therapist,
        )


def test_masking_off_with_acc_reports_no_shares():
    m = analyze_session(
        motion_session(),
        AnalysisConfig(resonance=ResonanceConfig(n_surrogates=99, motion_threshold_g=None)),
    ).metrics
    assert m["therapist_motion_share"] is None and m["client_motion_share"] is None


def test_motion_masking_in_provenance_and_methods_paragraph():
    from attunement.report.methods import methods_paragraph

    config = AnalysisConfig(resonance=ResonanceConfig(n_surrogates=99, motion_threshold_g=0.2))
    r = analyze_session(motion_session(), config)
    params = r.to_dict()["provenance"]["parameters"]["resonance"]
    assert params["motion_threshold_g"] == 0.2
    assert params["motion_window_s"] == 1.0
    method = next(m for m in r.provenance["methods"] if m["name"] == "motion_masking")
    assert method["parameters"] == {"threshold_g": 0.2, "window_s": 1.0}
    text = methods_paragraph(r)
    assert (
        "Windows of wrist movement above 0.2 g ENMO" in text
        and "van Hees et al., 2013) were excluded from skin-conductance and heart-rate synchrony"
        in text
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"motion_threshold_g": -0.1}, "motion_threshold_g"),
        ({"motion_threshold_g": 0}, "motion_threshold_g"),
        ({"motion_threshold_g": float("nan")}, "motion_threshold_g"),
        ({"motion_threshold_g": "high"}, "motion_threshold_g"),
        ({"motion_window_s": -1.0}, "motion_window_s"),
    ],
)
def test_motion_options_are_validated(kwargs, field):
    with pytest.raises(InputError, match=f"^{field}: is .*expected a positive number") as err:
        ResonanceConfig(**kwargs)
    assert err.value.field == field


def test_bad_motion_window_for_the_accelerometer_warns_and_skips_masking():
    config = AnalysisConfig(resonance=ResonanceConfig(n_surrogates=99, motion_window_s=0.01))
    with pytest.warns(AttunementWarning, match="therapist's movement was not masked: window_s"):
        m = analyze_session(motion_session(), config).metrics
    assert m["therapist_motion_share"] is None
    assert m["eda_synchrony"] is not None


def test_provenance_methods_follow_a_non_default_config():
    """The methods record the window, lag, step, surrogates and seed that ran, not defaults."""
    config = ResonanceConfig(
        window_s=60,
        step_s=20,
        lag_s=3,
        n_surrogates=50,
        surrogate_method="circular_shift",
        seed=11,
        turn_lags=1,
    )
    beats = 70 + 0.5 * np.random.default_rng(3).standard_normal((2, 600)).cumsum(axis=1)
    hr = (Signal("hr", "therapist", 1.0, beats[0], 0.0), Signal("hr", "client", 1.0, beats[1], 0.0))
    r = analyze_session(
        Session("s", transcript(), coupled_eda() + hr), AnalysisConfig(resonance=config)
    )
    methods = {m["name"]: m for m in r.to_dict()["provenance"]["methods"]}

    wclc = methods["windowed_cross_lagged_correlation"]
    assert (wclc["parameters"]["window_s"], wclc["parameters"]["step_s"]) == (60.0, 20.0)
    assert wclc["parameters"]["lag_s"] == 3.0
    assert "windows of 60 s stepped by 20 s, at every lag up to +-3 s" in wclc["description"]
    test = methods["eda_headline_synchrony"]
    assert test["parameters"] == {
        "preparation": "difference",
        "window_s": 15.0,
        "step_s": 10.0,
        "lag_s": 5.0,
        "min_windows": 57,
        "n_surrogates": 50,
        "method": "circular_shift",
        "statistic": "grand_average",
        "absolute": True,
        "seed": 11,
        "min_shift_s": 25.0,
    }
    assert "with 50 surrogates (random seed 11)" in test["description"]
    assert "circularly shifted by a random offset of at least 25 s" in test["description"]
    assert methods["hr_headline_synchrony"]["parameters"]["band_lag_s"] == 2.5
    for name in ("language_style_matching", "affect_alignment"):
        assert methods[name]["parameters"]["n_surrogates"] == 50, name
        assert methods[name]["parameters"]["seed"] == 11, name
        assert "50 rotations" in methods[name]["description"], name
    assert methods["affect_alignment"]["parameters"]["max_lag_turns"] == 1
    assert "up to 1 exchange later" in methods["affect_alignment"]["description"]
    # measures run with their own defaults record those values
    assert methods["marci_sci"]["parameters"]["slope_window_s"] == 5.0
    assert methods["marci_sci"]["parameters"]["corr_window_s"] == 15.0
    assert "in 5 s windows moved by 1 s" in methods["marci_sci"]["description"]
    assert methods["heart_rate"]["parameters"]["max_gap_s"] == 5.0
    assert methods["alignment"]["parameters"]["max_gap_s"] == 2.0
    # ... and the figures themselves ran with the config
    eda = r.resonance.physiology["eda"]
    assert eda.test["n_surrogates"] == 50
    assert eda.signed.window_s == 60.0
    # ... and the methods recorded are the results' own
    assert methods["windowed_cross_lagged_correlation"] == dict(eda.signed.method)
    assert methods["leader_follower"] == dict(eda.leader.method)
    assert methods["peak_picking"] == dict(eda.leader.peaks.method)
    assert methods["marci_sci"] == dict(eda.marci.method)
    assert methods["eda_headline_synchrony"] == dict(eda.headline.method)
