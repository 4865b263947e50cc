import re

import numpy as np

from attunement.analysis import analyze_session
from attunement.model import Session, Signal, Utterance
from attunement.report.html import render_report


def session(signals=(), simulated=False, timed=True):
    texts = [
        ("therapist", "What brings you here?"),
        ("client", "<script>alert('x')</script> & my sleep"),
        ("therapist", "Sleep has been hard."),
        ("client", "Yes."),
    ]
    utts = tuple(
        Utterance(
            i, r.capitalize(), r, i * 4.0 if timed else None, i * 4.0 + 3 if timed else None, t
        )
        for i, (r, t) in enumerate(texts)
    )
    return Session(
        "week-6",
        utts,
        tuple(signals),
        meta={"simulated_signals": simulated, "source_format": "vtt"},
    )


def signals():
    rng = np.random.default_rng(0)
    return [
        Signal(
            "eda",
            "therapist",
            4.0,
            2 + rng.standard_normal(20_000).cumsum() * 0.01,
            0.0,
            meta={"simulated": True},
        ),
        Signal(
            "eda",
            "client",
            4.0,
            3 + rng.standard_normal(20_000).cumsum() * 0.01,
            2.0,
            meta={"simulated": True},
        ),
        Signal("hr", "client", 1.0, 70 + rng.standard_normal(600), 0.0),
    ]


def test_report_is_self_contained_and_escaped():
    html = render_report(analyze_session(session(signals(), simulated=True)))
    assert html.startswith("<!DOCTYPE html>")
    # no external resource of any kind
    assert not re.search(
        r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", html, re.I
    )
    assert "Plotly.newPlot" in html
    assert len(html) > 3_000_000  # plotly.js is inlined
    # user text is escaped in the transcript and inside the figure data
    assert "<script>alert('x')</script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; my sleep" in html
    assert "SIMULATED" in html
    assert 'id="fig-physiology"' in html
    assert 'id="fig-timeline"' in html
    assert 'id="metric-therapist_talk_share"' in html


def test_report_without_timing_or_signals():
    html = render_report(analyze_session(session(timed=False)))
    assert 'id="fig-timeline"' not in html
    assert 'id="fig-physiology"' not in html
    assert 'id="fig-words"' in html
    assert "SIMULATED" not in html
    assert "Speaker names were replaced" in html


def test_long_signals_are_thinned_for_display():
    from attunement.report.figures import MAX_POINTS, physiology_figure

    fig = physiology_figure(analyze_session(session(signals())))
    assert all(len(trace.x) <= MAX_POINTS for trace in fig.data)


def test_resonance_section_with_moments():
    from attunement.analysis import AnalysisConfig
    from attunement.resonance import ResonanceConfig

    rng = np.random.default_rng(3)
    drive = np.convolve(rng.standard_normal(2500), np.ones(12) / 12, mode="same")
    sigs = [
        Signal("eda", "therapist", 4.0, 2 + drive[8:] + 0.05 * rng.standard_normal(2492), 0.0),
        Signal("eda", "client", 4.0, 3 + drive[:-8] + 0.05 * rng.standard_normal(2492), 0.0),
    ]
    utts = tuple(
        Utterance(i, r.capitalize(), r, i * 10.0, i * 10.0 + 8, f"words {i}")
        for i, r in enumerate(["therapist", "client"] * 30)
    )
    results = analyze_session(
        Session("s", utts, tuple(sigs)), AnalysisConfig(resonance=ResonanceConfig(n_surrogates=49))
    )
    html = render_report(results)
    assert 'id="fig-resonance-eda"' in html
    assert "Resonance timeline" in html
    assert 'class="moments"' in html
    assert "above chance" in html


def test_miti_thresholds_and_codes_in_the_transcript():
    from attunement.report.html import _code, _miti

    assert _miti("reflection_to_question_ratio", 0.8) == "below fair"
    assert _miti("reflection_to_question_ratio", 1.0) == "fair"
    assert _miti("percent_complex_reflections", 55) == "good"
    assert _miti("percent_open_questions", 55) == ""
    assert _code({"mi_behaviour": "reflection", "reflection_type": "complex"}) == (
        "complex reflection"
    )
    assert _code({"mi_behaviour": None, "client_talk": "change"}) == "change talk"
    assert _code({"mi_behaviour": None, "client_talk": "neutral"}) == ""
    html = render_report(analyze_session(session()))
    assert "MITI: " in html
    assert '<span class="code' in html


def test_mi_quality_section():
    from attunement.report.html import METRIC_GROUPS

    assert "mi_quality_score" in METRIC_GROUPS["Motivational interviewing (coded utterances)"]
    results = analyze_session(session())
    html = render_report(results)
    assert 'id="metric-mi_quality_score"' in html
    assert "MI quality estimate</h2>" in html
    assert "AnnoMI demonstration transcripts" in html
    cv = re.search(r"AUC (\d\.\d\d)", html)
    assert cv and 0.5 < float(cv.group(1)) <= 1
    table = html[html.index('<table class="drivers">') :]
    table = table[: table.index("</table>")]
    drivers = results.mi_quality["drivers"]
    assert table.count("<tr>") == 1 + len(drivers)  # header and one row per driver
    assert drivers[0]["label"].replace('"', "&#34;") in table
    if drivers[0]["feature"].startswith("words:"):  # the word model: phrases
        assert "<th>phrase</th>" in table and "from the words of this session" in html
    else:
        assert "<th>behaviour</th>" in table and "Information and advice" in table
    assert re.search(r"(raised|lowered) \([+-]\d\.\d\d\)", table)
    assert f"{results.mi_quality['score']:.2f}</span>" in html


def test_no_mi_quality_section_without_a_score():
    from attunement.report.html import _quality

    assert _quality(None) is None
    assert _quality({"score": None, "drivers": []}) is None


def test_motion_shares_are_shown_with_physiology():
    from attunement.analysis import AnalysisConfig
    from attunement.report.html import METRIC_GROUPS
    from attunement.resonance import ResonanceConfig

    group = METRIC_GROUPS["Physiological resonance"]
    assert {"therapist_motion_share", "client_motion_share"} <= set(group)
    xyz = np.tile([0.0, 0.0, 64.0], (32 * 600, 1))
    xyz[32 * 100 : 32 * 130, 2] = 96.0  # 30 of 600 s moving (ENMO 0.5 g)
    sigs = [*signals(), Signal("acc", "client", 32.0, xyz, 0.0)]
    config = AnalysisConfig(resonance=ResonanceConfig(n_surrogates=19))
    html = render_report(analyze_session(session(sigs), config))
    card = re.search(r'id="metric-client_motion_share"><div class="v">([^<]*)<', html)
    assert card and card.group(1) == "5%"
    assert re.search(r'class="card missing" id="metric-therapist_motion_share"', html)
    assert "Windows of wrist movement above 0.1 g ENMO" in html


def test_a_headline_says_which_chance_test_ran_or_why_none():
    from attunement.report.html import _chance

    ran = {
        "eda_synchrony_effect_size": 2.5,
        "eda_synchrony_p_value": 0.004,
        "eda_synchrony_chance_test": "circular shifts of at least 25 s, 1000 surrogates",
    }
    assert _chance("eda_synchrony", ran) == (
        "above chance (z = 2.5, p = 0.004; against circular shifts of at least 25 s, 1000 "
        "surrogates)"
    )
    short = {
        "eda_synchrony_p_value": None,
        "eda_synchrony_chance_test": "not testable: 29 windows; at least 57 needed",
    }
    assert _chance("eda_synchrony", short) == "not testable: 29 windows; at least 57 needed"


def test_a_short_recording_shows_not_testable_in_the_report():
    rng = np.random.default_rng(4)
    n = 4 * 300  # five minutes of EDA: fewer than the 57 windows a calibrated test needs
    drive = np.convolve(rng.standard_normal(n), np.ones(8) / 8, "same")
    signals = (
        Signal("eda", "therapist", 4.0, 2 + drive + 0.1 * rng.standard_normal(n), 0.0),
        Signal("eda", "client", 4.0, 3 + drive + 0.1 * rng.standard_normal(n), 0.0),
    )
    utterances = tuple(
        Utterance(i, "T" if i % 2 else "C", "therapist" if i % 2 else "client", i * 10.0,
                  i * 10.0 + 8, "How are you feeling today about it all?")
        for i in range(30)
    )  # fmt: skip
    from attunement.analysis import AnalysisConfig
    from attunement.resonance import ResonanceConfig

    results = analyze_session(
        Session("s", utterances, signals),
        AnalysisConfig(resonance=ResonanceConfig(n_surrogates=19)),
    )
    assert results.metrics["eda_synchrony_p_value"] is None
    assert results.metrics["eda_synchrony"] is not None
    assert "not testable: 29 windows; at least 57 needed" in render_report(results)


def test_code_metrics_are_shown_with_their_intervals(conversation):
    results = analyze_session(conversation())
    html = render_report(results)
    d = results.to_dict()
    for name in ("reflection_to_question_ratio", "change_talk_share", "empathy_explorations"):
        card = re.search(rf'id="metric-{name}"><div class="v">(.*?)</div>', html)
        assert card, name
        assert re.fullmatch(r'[^<]+ <span class="ci">\(95% CI [^<]+–[^<]+\)</span>', card.group(1))
    low = d["intervals"]["change_talk_share"]["ci95_low"]
    assert f"(95% CI {100 * low:.0f}%–" in html
    assert re.search(r'class="score">[\d.]+</span> <span class="ci">\(95% CI 0\.\d\d–', html)
    # a measure without an interval is shown as before
    assert re.search(r'id="metric-therapist_talk_share"><div class="v">\d+%</div>', html)


def test_the_domain_sentence_sits_with_the_codes(conversation):
    html = render_report(analyze_session(conversation()))
    codes = html.index("Motivational interviewing (coded utterances)</h2>")
    note = html.index('id="coder-domain"')
    assert codes < note < html.index('id="metric-reflection_to_question_ratio"')
    assert html.count('id="coder-domain"') == 1


def test_a_session_outside_the_training_range_says_so():
    from attunement.report.html import domain_sentence

    long = " ".join(["and so what I am hearing from you is that"] * 15)
    utts = []
    for i in range(10):
        utts.append(Utterance(2 * i, "Therapist", "therapist", None, None, long))
        utts.append(Utterance(2 * i + 1, "Client", "client", None, None, "I see what you mean."))
    results = analyze_session(Session("long", tuple(utts)))
    html = render_report(results)
    text, caution = domain_sentence(results.to_dict()["domain"])
    assert caution
    assert text.startswith("This session lies outside what the coders were trained on")
    assert "the therapist's utterances are longer (150 words vs 7–42)" in text
    assert text.endswith("treat the codes with caution.")
    assert 'class="domain caution" id="coder-domain">This session lies outside' in html


def test_domain_sentences():
    from attunement.coding.domain import SIGNALS
    from attunement.report.html import _DOMAIN_WORDS, domain_sentence

    assert set(_DOMAIN_WORDS) == set(SIGNALS)

    def signal(value, low, high, checks="both", inside=True):
        return {"value": value, "low": low, "high": high, "checks": checks, "inside": inside}

    inside = {
        "available": True,
        "inside": True,
        "outside": [],
        "signals": {
            "english_share": signal(0.6, 0.55, 0.67, "low"),
            "therapist_words_per_unit": signal(18.0, 7.2, 42.0),
            "client_words_per_unit": signal(12.0, 6.8, 39.5),
            "therapist_word_share": signal(0.5, 0.3, 0.78),
            "coder_confidence": signal(0.85, 0.78, 0.92, "low"),
        },
    }
    text, caution = domain_sentence(inside)
    assert not caution
    assert text.startswith(
        "Within the coders' training range on all five signals checked: language"
    )
    # the shipped references show the confidence beside its range and flag nothing with it
    shown = {**inside, "signals": {**inside["signals"]}}
    shown["signals"]["coder_confidence"] = signal(0.70, 0.78, 0.92, "none", None)
    text, caution = domain_sentence(shown)
    assert not caution and "on all four signals checked" in text
    assert (
        "The coder confidence 0.70 (AnnoMI, its own training data: 0.78–0.92; "
        "shown, not used to flag)." in text
    )
    assert "could not be measured" not in text
    unmeasured = {**inside, "signals": {**inside["signals"]}}
    unmeasured["signals"]["english_share"] = signal(None, 0.55, 0.67, "low", None)
    text, _ = domain_sentence(unmeasured)
    assert "on the four signals measured" in text and "(language could not be measured)" in text
    unsure = {
        **inside,
        "inside": False,
        "outside": ["coder_confidence"],
        "signals": {**inside["signals"], "coder_confidence": signal(0.7, 0.78, 0.92, "low", False)},
    }
    text, caution = domain_sentence(unsure)
    assert caution and "the coders are less sure of their codes (0.70 vs at least 0.78)" in text
    assert "optimistic" in text
    short = {
        **inside,
        "inside": False,
        "outside": ["client_words_per_unit", "english_share"],
        "signals": {
            **inside["signals"],
            "client_words_per_unit": signal(3.0, 6.8, 39.5, "both", False),
            "english_share": signal(0.1, 0.55, 0.67, "low", False),
        },
    }
    text, _ = domain_sentence(short)
    assert "the client's utterances are shorter (3 words vs 7–40) and fewer of its" in text
    assert "(10% vs at least 55%: it may not be English)" in text and "optimistic" not in text
    text, caution = domain_sentence({"available": False, "signals": {}})
    assert "not available" in text and not caution


# -- moments of being seen ------------------------------------------------------------------


def _with_moments(effect, **kwargs):
    """A small analysed session whose moments are those of a simulated session (the report
    only reads them)."""
    import dataclasses

    from attunement.benchmarks.moments import simulate_session
    from attunement.moments.session import being_seen

    sim = simulate_session(minutes=15, effect=effect, seed=2)
    results = analyze_session(session(signals(), simulated=True))
    found = being_seen(sim.coded, eda=sim.eda, hr=sim.hr, **kwargs)
    return dataclasses.replace(results, moments=found)


def test_moments_section_says_what_differed_and_no_more():
    from attunement.report.html import FELT_SLOT

    html = render_report(_with_moments(1.0))
    assert "<h2>Moments of being seen</h2>" in html
    assert "After these moments the client&#39;s skin conductance rose more than after the " in html
    assert "this does not show that one caused the other" in html
    assert "caused by" not in html
    for fig in ("moments-timeline", "moments-comparison", "moments-curves"):
        assert f'id="fig-{fig}"' in html, fig
    assert 'id="moment-scr_us"' in html
    assert "client&#39;s pitch variability (no audio)" in html  # untested, with the reason
    assert "what the body did below is not a recording of this client" in html
    assert FELT_SLOT in html  # where the web app puts the client's own answer


def test_moments_section_without_a_difference():
    from attunement.report.html import moments_section

    found = moments_section(_with_moments(0.0))
    assert found["findings"] == [] or all("does not show" in f for f in found["findings"])
    statuses = {r["status"] for r in found["rows"]}
    assert statuses <= {"differs", "no clear difference", "not testable"}
    assert "no clear difference" in statuses


def test_the_reply_words_are_footnoted_as_taken_against_their_neighbours():
    from attunement.report.html import moments_section

    found = moments_section(_with_moments(0.0))
    tested_words = [r for r in found["rows"] if r["column"] == "words"]
    assert tested_words and tested_words[0]["status"] != "not testable"
    assert found["local"] and "Client's words in reply" in found["local_rows"]
    assert "the 20 therapist turns on either side" in render_report(_with_moments(0.0))
    plain = moments_section(_with_moments(0.0, baseline_turns=None))
    assert plain["local"] is False and plain["local_rows"] == []


def test_the_demo_report_shows_the_moments_and_the_client_s_mental_state_language():
    from attunement.analysis import AnalysisConfig
    from attunement.demo import demo_manifest
    from attunement.io import read_session
    from attunement.resonance import ResonanceConfig

    config = AnalysisConfig(resonance=ResonanceConfig(n_surrogates=19), interval_resamples=20)
    html = render_report(analyze_session(read_session(demo_manifest()), config), standalone=False)
    assert 'id="moments-of-being-seen"' in html
    assert 'id="fig-moments-curves"' in html and 'id="fig-mentalizing"' in html
    assert "SIMULATED" in html
    assert 'id="metric-client_mentalizing_rate"' in html
    assert 'id="metric-moment_client_scr"' not in html  # a table row, not a card
    assert "moment client scr" not in html  # nor left over as an "other measure"
