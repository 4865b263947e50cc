"""The metrics registry: every figure results.json, the report and the web pages show.

Each :class:`Metric` says once what a figure is called (``name``, the key in results.json's
``metrics``), how it is shown (``label``, ``unit``, the report ``section`` and its one-line
``note``), which function computes it (``producer``) and what it means (``description``). The
report (:mod:`attunement.report.html`), the web pages (:mod:`attunement.web.summary`) and the
measurements' orchestration (:mod:`attunement.resonance`) read names from here, through the
module constants (``EDA_SYNCHRONY.name``), never as string literals; :func:`markdown_reference`
writes ``docs/results.md`` from it, together with :data:`RESULT_FIELDS`, the fields of
results.json around the metrics.

A figure tested against chance has companions named by rule (:func:`companion`):
``<name>_effect_size``, ``<name>_p_value`` and, where the test can be inapplicable,
``<name>_chance_test``; a comparison of the client's responses after the therapist's empathic
moments with those after the other utterances (``test='moments'``) also has ``<name>_n_moments``
and ``<name>_n_others``. They are registered with their figure and shown beside it.

This module is a table of records more than code; the descriptions make it long, and keeping
every metric in one place is its purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

__all__ = [
    "CHANCE_PARTS",
    "MENTALIZING_BY_COLUMN",
    "METRICS",
    "MOMENT_RESPONSES",
    "RESULT_FIELDS",
    "SECTIONS",
    "TESTS",
    "Field",
    "Metric",
    "companion",
    "markdown_reference",
    "names",
]

#: The report's sections, in the order they are shown.
SECTIONS: tuple[str, ...] = (
    "Conversation",
    "Motivational interviewing (coded utterances)",
    "Empathy (EPITOME)",
    "Physiological resonance",
    "Vocal resonance",
    "Language",
    "Moments of being seen",
)

#: Where a metric is kept: results.json's ``metrics`` block, or the web app's feedback scores.
WHERE: tuple[str, ...] = ("metrics", "feedback")

#: The companions of a figure tested against chance, in results.json's order.
CHANCE_PARTS: tuple[str, ...] = ("effect_size", "p_value", "chance_test", "n_moments", "n_others")
#: The kinds of chance test: against surrogates of the signals (synchrony), or the client's
#: responses after empathic moments against circular shifts of the moment labels.
TESTS: tuple[str, ...] = ("surrogates", "moments")


@dataclass(frozen=True, slots=True)
class Metric:
    """One figure: its name, how it is shown, what computes it and what it means.

    Attributes
    ----------
    name : str
        snake_case key (results.json's ``metrics``, the store, the trend CSV).
    label : str
        How pages name it ("Skin-conductance synchrony").
    unit : str
        Its unit or scale ('share' 0-1, 'percent' 0-100, 'count', 'words', 's', 'r',
        'Fisher z', ...); the report formats a value by it.
    producer : str
        Dotted path of the function that computes it.
    description : str
        What it means, for the reference (``docs/results.md``).
    section : str or None
        The report section (:data:`SECTIONS`) that shows it as a card; None when it is shown
        beside another metric (``shown_with``) or not in the report.
    note : str
        The one-line explanation the report prints under the card ('' for none).
    shown_with : str or None
        The metric whose card shows this one (a leader's lead, a figure's p-value).
    chance : tuple of str
        Its companions (:data:`CHANCE_PARTS`) when it is tested against chance.
    where : {'metrics', 'feedback'}
        results.json's ``metrics`` block, or a feedback score of the web app (stored as
        ``<questionnaire>_<score>``).
    test : {'surrogates', 'moments'}
        Which chance test its companions describe (:data:`TESTS`): a one-sided test against
        surrogates, or the two-sided comparison of moments with the other utterances.
    """

    name: str
    label: str
    unit: str
    producer: str
    description: str
    section: str | None = None
    note: str = ""
    shown_with: str | None = None
    chance: tuple[str, ...] = ()
    where: str = "metrics"
    test: str = "surrogates"

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name != self.name.lower():
            raise ValueError(f"metric name {self.name!r} is not a snake_case identifier")
        if self.section is not None and self.section not in SECTIONS:
            raise ValueError(f"{self.name}: section {self.section!r} is not one of {SECTIONS}")
        if self.where not in WHERE:
            raise ValueError(f"{self.name}: where {self.where!r} is not one of {WHERE}")
        if any(part not in CHANCE_PARTS for part in self.chance):
            raise ValueError(f"{self.name}: chance {self.chance!r} not among {CHANCE_PARTS}")
        if self.test not in TESTS:
            raise ValueError(f"{self.name}: test {self.test!r} is not one of {TESTS}")
        if self.test == "surrogates" and {"n_moments", "n_others"} & set(self.chance):
            raise ValueError(f"{self.name}: n_moments and n_others belong to test='moments'")


def companion(metric: Metric | str, part: str) -> str:
    """The name of ``metric``'s companion ``part``.

    Parameters
    ----------
    metric : Metric or str
        A figure, or its name.
    part : {'effect_size', 'p_value', 'chance_test', 'n_moments', 'n_others'}
        One of :data:`CHANCE_PARTS`.

    Returns
    -------
    str
        ``<name>_<part>``.

    Raises
    ------
    ValueError
        For another ``part``.

    Examples
    --------
    >>> companion(EDA_SYNCHRONY, "p_value")
    'eda_synchrony_p_value'
    """
    if part not in CHANCE_PARTS:
        raise ValueError(f"part {part!r} is not one of {CHANCE_PARTS}")
    name = metric.name if isinstance(metric, Metric) else metric
    return f"{name}_{part}"


def names(*metrics: Metric) -> tuple[str, ...]:
    """The names of ``metrics``, each followed by its companions.

    Parameters
    ----------
    *metrics : Metric

    Returns
    -------
    tuple of str
        Each metric's name, then those of its companions (:attr:`Metric.chance`, in order).

    Examples
    --------
    >>> names(MARCI_SCI, TURN_LANGUAGE_STYLE_MATCHING)
    ('marci_sci', 'turn_language_style_matching', 'turn_language_style_matching_effect_size', \
'turn_language_style_matching_p_value')
    """
    out: list[str] = []
    for m in metrics:
        out.append(m.name)
        out.extend(companion(m, part) for part in m.chance)
    return tuple(out)


def _companions(metric: Metric) -> list[Metric]:
    """The registered companions of a figure tested against chance."""
    texts = _moment_texts(metric) if metric.test == "moments" else _surrogate_texts(metric)
    out = []
    for part in metric.chance:
        what, unit, description = texts[part]
        out.append(
            replace(
                metric,
                name=companion(metric, part),
                label=f"{metric.label}: {what}",
                unit=unit,
                description=description,
                section=None,
                note="",
                shown_with=metric.name,
                chance=(),
            )
        )
    return out


def _moment_texts(metric: Metric) -> dict[str, tuple[str, str, str]]:
    """What each companion of a moments comparison means."""
    return {
        "effect_size": (
            "effect size",
            "d",
            f"Cohen's d of ``{metric.name}``: the difference over the pooled SD of the "
            "responses within the two groups; null when not testable.",
        ),
        "p_value": (
            "p-value",
            "p",
            f"Two-sided p-value of ``{metric.name}`` against circular shifts of the moment "
            "labels along the therapist's utterances (number and spacing kept): (1 + shifts "
            "whose absolute difference is at least the observed one) / (1 + shifts); null when "
            "not testable.",
        ),
        "chance_test": (
            "chance test",
            "text",
            "Which test ran ('circular shifts of the moment labels, 349 shifts (all)'), or "
            "'not testable: ' and the reason: too few moments or other utterances with a value "
            "(at least 5 of each, and 20 therapist utterances), no signal, no audio or no "
            "utterance times.",
        ),
        "n_moments": (
            "moments",
            "count",
            "Empathic moments with a value of the response (those the mean rests on).",
        ),
        "n_others": (
            "other utterances",
            "count",
            "The therapist's other utterances with a value of the response.",
        ),
    }


def _surrogate_texts(metric: Metric) -> dict[str, tuple[str, str, str]]:
    """What each companion of a figure tested against surrogates means."""
    return {
        "effect_size": (
            "effect size",
            "SD",
            f"(``{metric.name}`` - mean of its surrogates) / SD of its surrogates; null when "
            "not testable.",
        ),
        "p_value": (
            "p-value",
            "p",
            f"One-sided p-value of ``{metric.name}`` against its surrogates, (1 + number at "
            "least as large) / (1 + number of surrogates); null when not testable.",
        ),
        "chance_test": (
            "chance test",
            "text",
            "Which chance test was used ('circular shifts of at least 25 s, 1000 surrogates'), "
            "or 'not testable: ' and the reason when the recording is too short for a "
            "calibrated one.",
        ),
    }


_TALK = "attunement.language.turns.talk_metrics"
_HEADLINE = "attunement.synchrony.headline.headline_test"
_CODES = "attunement.coding.session_codes"
_SCORES = "attunement.ratings.score_responses"
_TESTED = ("effect_size", "p_value")
_HEADLINE_TESTED = (*_TESTED, "chance_test")

# -- conversation --------------------------------------------------------------------------------

THERAPIST_TALK_SHARE = Metric(
    "therapist_talk_share",
    "Therapist share of words",
    "share",
    _TALK,
    "Of the words spoken by therapist and client, the share spoken by the therapist (0-1).",
    "Conversation",
    "Of all words spoken by therapist and client, the share spoken by the therapist.",
)
THERAPIST_TALK_TIME_SHARE = Metric(
    "therapist_talk_time_share",
    "Therapist share of speaking time",
    "share",
    _TALK,
    "The same share in seconds of speech (turn end minus start); null without utterance times.",
    "Conversation",
    "The same, in seconds of speech.",
)
N_THERAPIST_UTTERANCES = Metric(
    "n_therapist_utterances",
    "Therapist utterances",
    "count",
    _TALK,
    "Utterances of the therapist in the transcript.",
    "Conversation",
)
N_CLIENT_UTTERANCES = Metric(
    "n_client_utterances",
    "Client utterances",
    "count",
    _TALK,
    "Utterances of the client in the transcript.",
    "Conversation",
)
N_TURNS = Metric(
    "n_turns",
    "Turns",
    "count",
    _TALK,
    "Turns: runs of consecutive utterances by one speaker (anyone's, ``other`` included).",
    "Conversation",
    "Runs of consecutive utterances by one speaker.",
)
MEAN_THERAPIST_WORDS_PER_TURN = Metric(
    "mean_therapist_words_per_turn",
    "Therapist words per turn",
    "words",
    _TALK,
    "Mean number of words in the therapist's turns; null without therapist turns.",
    "Conversation",
    "Mean.",
)
MEAN_CLIENT_WORDS_PER_TURN = Metric(
    "mean_client_words_per_turn",
    "Client words per turn",
    "words",
    _TALK,
    "Mean number of words in the client's turns; null without client turns.",
    "Conversation",
    "Mean.",
)
MEDIAN_THERAPIST_RESPONSE_LATENCY_S = Metric(
    "median_therapist_response_latency_s",
    "Therapist response latency",
    "s",
    _TALK,
    "Median time from the end of a client turn to the start of the therapist's next turn "
    "(negative when they overlap); null without utterance times.",
    "Conversation",
    "Median time from the end of the client's turn to the therapist's reply.",
)
MEDIAN_CLIENT_RESPONSE_LATENCY_S = Metric(
    "median_client_response_latency_s",
    "Client response latency",
    "s",
    _TALK,
    "Median time from the end of a therapist turn to the start of the client's next turn "
    "(negative when they overlap); null without utterance times.",
    "Conversation",
    "Median time from the end of the therapist's turn to the client's reply.",
)

# -- physiological resonance ---------------------------------------------------------------------

EDA_SYNCHRONY = Metric(
    "eda_synchrony",
    "Skin-conductance synchrony",
    "|Fisher z|",
    _HEADLINE,
    "The headline skin-conductance synchrony: mean |Fisher z| of windowed cross-lagged "
    "correlations of both people's first-differenced cleaned skin conductance (15 s windows "
    "stepped 10 s, lags up to +-5 s), tested against circular shifts of the client's series; "
    "null without both people's EDA.",
    "Physiological resonance",
    "Mean |Fisher z| of windowed cross-lagged correlations of both people's "
    "first-differenced skin conductance (15 s windows, lags up to ±5 s), tested "
    "against circular shifts of the client's series.",
    chance=_HEADLINE_TESTED,
)
HR_SYNCHRONY = Metric(
    "hr_synchrony",
    "Heart-rate synchrony",
    "Fisher z",
    _HEADLINE,
    "The headline heart-rate synchrony: signed mean Fisher z over the lags within +-2.5 s of "
    "windowed cross-lagged correlations of both people's 0.05 Hz high-passed heart rate (15 s "
    "windows stepped 10 s), tested against circular shifts; null without both people's heart "
    "rate.",
    "Physiological resonance",
    "Signed mean Fisher z of windowed cross-lagged correlations of both people's "
    "high-passed heart rate (15 s windows, lags within ±2.5 s): in-phase changes, "
    "tested against circular shifts.",
    chance=_HEADLINE_TESTED,
)
EDA_WCLC_ABS_Z = Metric(
    "eda_wclc_abs_z",
    "Skin-conductance WCLC (rMEA)",
    "|Fisher z|",
    "attunement.synchrony.wclc.wclc",
    "rMEA's grand average: mean |Fisher z| of windowed cross-lagged correlations of both "
    "people's skin-conductance levels (windows, lags and steps of the resonance settings: 30 s, "
    "+-5 s, 10 s by default); shown, not tested.",
    "Physiological resonance",
    "Mean |Fisher z| of the levels (30 s windows, ±5 s), as rMEA computes it; not "
    "tested, since on real pairs it did not differ from chance pairings.",
)
HR_WCLC_ABS_Z = Metric(
    "hr_wclc_abs_z",
    "Heart-rate WCLC (rMEA)",
    "|Fisher z|",
    "attunement.synchrony.wclc.wclc",
    "The same grand average for heart rate; shown, not tested.",
    "Physiological resonance",
    "The same for heart rate.",
)
MARCI_SCI = Metric(
    "marci_sci",
    "Skin-conductance concordance (SCI)",
    "log ratio",
    "attunement.synchrony.concordance.marci_sci",
    "Marci et al.'s (2007) skin-conductance concordance index: ln(sum of positive / |sum of "
    "negative| correlations of both people's 5 s skin-conductance slopes in 15 s windows); "
    "null when undefined.",
    "Physiological resonance",
    "Marci et al. (2007): ln(Σ positive / |Σ negative| slope correlations).",
)
EDA_LEADER = Metric(
    "eda_leader",
    "Who leads (skin conductance)",
    "role",
    "attunement.synchrony.leader.leader_follower",
    "'therapist', 'client' or 'none': whom the median lag of the windows' skin-conductance "
    "cross-correlation peaks points to, named only when the windows agree (sign test) and the "
    "median is more than one sample from 0.",
    "Physiological resonance",
)
EDA_LEAD_S = Metric(
    "eda_lead_s",
    "Lead (skin conductance)",
    "s",
    "attunement.synchrony.leader.leader_follower",
    "By how many seconds the leader leads: the magnitude of the median peak lag; null without "
    "peaks.",
    shown_with=EDA_LEADER.name,
)
THERAPIST_MOTION_SHARE = Metric(
    "therapist_motion_share",
    "Therapist wrist movement masked",
    "share",
    "attunement.signals.motion.motion_share",
    "Share of the therapist's accelerometer windows with wrist movement (ENMO above the "
    "resonance setting, 0.1 g by default), whose skin-conductance and heart-rate samples were "
    "left out of synchrony; null without an accelerometer or with masking off.",
    "Physiological resonance",
    "Share of the therapist's accelerometer windows with wrist movement (ENMO above "
    "0.1 g by default), left out of skin-conductance and heart-rate synchrony.",
)
CLIENT_MOTION_SHARE = Metric(
    "client_motion_share",
    "Client wrist movement masked",
    "share",
    "attunement.signals.motion.motion_share",
    "The same share for the client.",
    "Physiological resonance",
    "The same for the client.",
)

# -- vocal and linguistic resonance --------------------------------------------------------------

VOCAL_F0_SYNCHRONY = Metric(
    "vocal_f0_synchrony",
    "Pitch synchrony",
    "r",
    "attunement.prosody.vocal.vocal_synchrony",
    "Pearson r of within-speaker z-scored mean pitch (F0) across adjacent therapist-client "
    "turns, tested against rotations of the client's turns; null without audio and timed "
    "utterances.",
    "Vocal resonance",
    "Correlation of adjacent turns' mean pitch.",
    chance=_TESTED,
)
VOCAL_INTENSITY_SYNCHRONY = Metric(
    "vocal_intensity_synchrony",
    "Loudness synchrony",
    "r",
    "attunement.prosody.vocal.vocal_synchrony",
    "The same for mean intensity (dB).",
    "Vocal resonance",
    "Correlation of adjacent turns' mean intensity.",
    chance=_TESTED,
)
LANGUAGE_STYLE_MATCHING = Metric(
    "language_style_matching",
    "Language style matching",
    "LSM (0-1)",
    "attunement.language.lsm.session_lsm",
    "Ireland & Pennebaker's (2010) language style matching of all the therapist's words "
    "against all the client's, over nine function-word categories (1 = identical use).",
    "Language",
    "Ireland & Pennebaker (2010), whole session: 1 = identical function-word use.",
)
TURN_LANGUAGE_STYLE_MATCHING = Metric(
    "turn_language_style_matching",
    "Turn-by-turn style matching",
    "LSM (0-1)",
    "attunement.language.lsm.turn_lsm_test",
    "Mean language style matching of adjacent therapist-client turn pairs, tested against "
    "rotations of the client's turns.",
    "Language",
    "Mean over adjacent turn pairs.",
    chance=_TESTED,
)
AFFECT_ALIGNMENT = Metric(
    "affect_alignment",
    "Affect alignment",
    "r",
    "attunement.language.affect.affect_alignment",
    "Pearson r of within-speaker z-scored VADER valence across adjacent therapist-client "
    "turns, tested against rotations of the client's turns; null with fewer than 5 pairs.",
    "Language",
    "Correlation of adjacent turns' emotional tone (VADER valence).",
    chance=_TESTED,
)

# -- coded utterances ----------------------------------------------------------------------------

REFLECTION_TO_QUESTION_RATIO = Metric(
    "reflection_to_question_ratio",
    "Reflections per question",
    "ratio",
    _CODES,
    "Reflections / questions among the therapist's coded utterances (MITI 4.2.1: fair 1, good "
    "2); null without questions.",
    "Motivational interviewing (coded utterances)",
    "MITI 4.2.1 thresholds: fair 1.0, good 2.0.",
)
PERCENT_COMPLEX_REFLECTIONS = Metric(
    "percent_complex_reflections",
    "Complex reflections",
    "percent",
    _CODES,
    "100 x complex / all reflections (MITI 4.2.1: fair 40, good 50); null without reflections.",
    "Motivational interviewing (coded utterances)",
    "Share of reflections that are complex. MITI 4.2.1: fair 40%, good 50%.",
)
PERCENT_OPEN_QUESTIONS = Metric(
    "percent_open_questions",
    "Open questions",
    "percent",
    _CODES,
    "100 x open / all questions; null without questions.",
    "Motivational interviewing (coded utterances)",
    "Share of questions.",
)
CHANGE_TALK_SHARE = Metric(
    "change_talk_share",
    "Change talk",
    "share",
    _CODES,
    "Change talk / (change + sustain talk) among the client's coded utterances (0-1); null "
    "without either.",
    "Motivational interviewing (coded utterances)",
    "Change talk / (change + sustain talk) among the client's utterances.",
)
MI_QUALITY_SCORE = Metric(
    "mi_quality_score",
    "MI quality estimate",
    "probability",
    "attunement.coding.session_quality",
    "Estimated probability that the session is high-quality MI, from a session model trained "
    "on AnnoMI's high- and low-quality demonstration transcripts (see results.json's "
    "``mi_quality``); not a MITI rating.",
    "Motivational interviewing (coded utterances)",
    "Estimated probability that this is high-quality MI, from a model trained on AnnoMI "
    "demonstration videos; see the MI quality estimate section.",
)
EMPATHY_EMOTIONAL_REACTIONS = Metric(
    "empathy_emotional_reactions",
    "Emotional reactions",
    "EPITOME level (0-2)",
    _CODES,
    "EPITOME emotional reactions: the mean expected level (0 none, 1 weak, 2 strong) over the "
    "therapist's coded utterances; null without any.",
    "Empathy (EPITOME)",
    "Warmth, compassion, concern expressed: mean level over therapist utterances, "
    "0 none to 2 strong.",
)
EMPATHY_INTERPRETATIONS = Metric(
    "empathy_interpretations",
    "Interpretations",
    "EPITOME level (0-2)",
    _CODES,
    "EPITOME interpretations (communicated understanding of the client's feelings and "
    "experiences): the mean expected level, 0 to 2.",
    "Empathy (EPITOME)",
    "Communicates understanding of the client's feelings and experiences (0 to 2).",
)
EMPATHY_EXPLORATIONS = Metric(
    "empathy_explorations",
    "Explorations",
    "EPITOME level (0-2)",
    _CODES,
    "EPITOME explorations (of feelings and experiences the client has not stated): the mean "
    "expected level, 0 to 2.",
    "Empathy (EPITOME)",
    "Explores feelings and experiences the client has not stated (0 to 2).",
)

# -- mental-state language -----------------------------------------------------------------------

_MENTALIZING = "attunement.language.mentalizing.turn_mentalizing"

CLIENT_MENTALIZING_RATE = Metric(
    "client_mentalizing_rate",
    "Client's mental-state language",
    "per 100 words",
    _MENTALIZING,
    "Words for thoughts, feelings, wishes and beliefs (of self and others) per 100 of the "
    "client's words, from the project's open lexicon written after the markers of Fertuck et "
    "al.'s (2012) computerized reflective functioning (not their dictionary, and not an RF "
    "score); null without client words.",
    "Language",
    "Words for thoughts, feelings, wishes and beliefs per 100 of the client's words "
    "(an open lexicon after Fertuck et al., 2012; not a reflective-functioning score).",
)
CLIENT_CAUSAL_MENTALIZING_RATE = Metric(
    "client_causal_mentalizing_rate",
    "Client's links between states and reasons",
    "per 100 words",
    _MENTALIZING,
    "Causal markers ('because', 'that's why', 'makes me', ...) in the client's sentences that "
    "also hold a mental-state word ('I get angry because I think she ...'), per 100 client "
    "words; null without client words.",
    "Language",
    "'Because', 'that's why', 'makes me' ... in a sentence about a mental state, per 100 "
    "of the client's words.",
)
CLIENT_MENTALIZING_SLOPE = Metric(
    "client_mentalizing_slope",
    "Change in mental-state language over the session",
    "per 100 words",
    _MENTALIZING,
    "How the client's mental-state words per 100 words changed from the first client turn "
    "to the last: the weighted least-squares slope of the turns' rates (weighted by their "
    "words) over their position, 0 to 1; null with fewer than 10 client turns with words.",
    "Language",
    "From the first client turn to the last (weighted least squares); positive: more "
    "mental-state language as the session went on.",
)

# -- moments of being seen -----------------------------------------------------------------------

_MOMENTS = "attunement.moments.session.being_seen"
_MOMENT_TESTED = ("effect_size", "p_value", "chance_test", "n_moments", "n_others")
_SEEN = "Moments of being seen"
#: What every moments comparison is; each metric's description begins with its response.
_DIFFERENCE = (
    ": its mean after the therapist's empathic moments minus its mean after the therapist's "
    "other utterances"
)
_SHIFT_TEST = (
    "tested against circular shifts of the moment labels; null when not testable (see "
    "``_chance_test``)."
)
_AGAINST = f"{_DIFFERENCE}, {_SHIFT_TEST}"
#: The reply's words: each turn's value is first taken against its neighbours.
_AGAINST_LOCAL = (
    f"{_DIFFERENCE}, each utterance's value first taken against a local baseline (the mean "
    "of the 20 therapist utterances on either side, and the part the adjacent ones predict), "
    "so that slow drift and turn-to-turn likeness are not read as a response; "
    f"{_SHIFT_TEST}"
)


def _moment(
    name: str, label: str, unit: str, what: str, note: str, *, local: bool = False
) -> Metric:
    return Metric(
        name,
        label,
        unit,
        _MOMENTS,
        what + (_AGAINST_LOCAL if local else _AGAINST),
        _SEEN,
        note,
        chance=_MOMENT_TESTED,
        test="moments",
    )


N_EMPATHIC_MOMENTS = Metric(
    "n_empathic_moments",
    "Empathic moments",
    "count",
    "attunement.moments.empathic.empathic_moments",
    "The therapist's coded turns whose most probable codes are a complex reflection or an "
    "EPITOME emotional reaction, interpretation or exploration at level 2 (strong); null "
    "without coded therapist turns.",
    _SEEN,
    "Complex reflections, and strong (level 2) EPITOME emotional reactions, interpretations "
    "or explorations.",
)
MOMENT_CLIENT_SCR = _moment(
    "moment_client_scr",
    "Client's skin-conductance response",
    "µS",
    "The client's skin-conductance response after an utterance: the highest cleaned skin "
    "conductance 1-6 s after the utterance ends minus the mean over the 2 s before its end",
    "Highest skin conductance 1-6 s after the utterance minus the 2 s before its end.",
)
MOMENT_CLIENT_HR_CHANGE = _moment(
    "moment_client_hr_change",
    "Client's heart-rate change",
    "bpm",
    "The client's heart-rate change after an utterance: the mean heart rate 0-10 s after it "
    "ends minus the mean over the 5 s before its end",
    "Mean heart rate 0-10 s after the utterance minus the 5 s before its end.",
)
MOMENT_EDA_LOCAL_SYNCHRONY = _moment(
    "moment_eda_local_synchrony",
    "Local skin-conductance synchrony",
    "r",
    "Both people's local skin-conductance synchrony: the Pearson r of their first-differenced "
    "cleaned skin conductance in the 30 s centred on the utterance's end",
    "Correlation of both people's skin-conductance changes within ±15 s of the utterance's end.",
)
MOMENT_CLIENT_PITCH_VARIABILITY = _moment(
    "moment_client_pitch_variability",
    "Client's pitch variability",
    "semitones",
    "The client's pitch variability in the response (all the client says before the "
    "therapist speaks again): the SD of pitch in semitones over its voiced frames",
    "SD of the client's pitch in the next turn, in semitones.",
)
MOMENT_CLIENT_LOUDNESS_VARIABILITY = _moment(
    "moment_client_loudness_variability",
    "Client's loudness variability",
    "dB",
    "The client's loudness variability in the response: the SD of intensity (dB) over its "
    "voiced frames",
    "SD of the client's loudness in the next turn (dB).",
)
MOMENT_CLIENT_WORDS = _moment(
    "moment_client_words",
    "Client's words in reply",
    "words",
    "The length of the client's response in words (0 when the therapist speaks again first)",
    "Words the client says before the therapist speaks again.",
    local=True,
)
MOMENT_CLIENT_FEELING_WORDS = _moment(
    "moment_client_feeling_words",
    "Client's feeling words",
    "per 100 words",
    "Feeling words (the lexicon's emotion words) per 100 words of the client's response",
    "Emotion words per 100 words of the client's reply.",
    local=True,
)
MOMENT_CLIENT_FIRST_PERSON_PRESENT = _moment(
    "moment_client_first_person_present",
    "Client speaking of self now",
    "per 100 words",
    "First-person present-tense statements ('I feel', 'I'm scared', 'I don't know') per 100 "
    "words of the client's response",
    "'I feel', 'I'm', 'I don't know' ... per 100 words of the client's reply.",
    local=True,
)
MOMENT_CLIENT_CHANGE_TALK = _moment(
    "moment_client_change_talk",
    "Client's change talk",
    "share",
    "The share of the client's coded units in the response that the coder calls change talk",
    "Share of the client's reply coded change talk.",
    local=True,
)
MOMENT_CLIENT_MENTALIZING = _moment(
    "moment_client_mentalizing",
    "Client's mental-state language in reply",
    "per 100 words",
    "Mental-state words (thoughts, feelings, wishes, beliefs) per 100 words of the client's "
    "response",
    "Words for thoughts, feelings, wishes and beliefs per 100 words of the client's reply.",
    local=True,
)

# -- feedback scores (the web app) ---------------------------------------------------------------


def _felt(name: str, label: str, text: str) -> Metric:
    return Metric(name, label, "0-10", _SCORES, text, where="feedback")


CLIENT_SESSION_HEARD = _felt(
    "client_session_heard",
    "Felt heard",
    "The client's rating: 'Today I felt heard by my therapist.'",
)
CLIENT_SESSION_UNDERSTOOD = _felt(
    "client_session_understood",
    "Felt understood",
    "The client's rating: 'Today I felt understood by my therapist.'",
)
CLIENT_SESSION_MOVED = _felt(
    "client_session_moved",
    "Felt the therapist was moved",
    "The client's rating: 'Today I felt my therapist was moved by what I shared.'",
)
CLIENT_SESSION_SAFE = _felt(
    "client_session_safe",
    "Felt safe",
    "The client's rating: 'Today I felt safe with my therapist.'",
)
PHQ9_TOTAL = Metric(
    "phq9_total",
    "PHQ-9 total",
    "0-27",
    _SCORES,
    "The client's PHQ-9 depression score, the sum of its nine items (null unless all are "
    "answered).",
    where="feedback",
)
GAD7_TOTAL = Metric(
    "gad7_total",
    "GAD-7 total",
    "0-21",
    _SCORES,
    "The client's GAD-7 anxiety score, the sum of its seven items (null unless all are answered).",
    where="feedback",
)
THERAPIST_REFLECTION_PRESENT = _felt(
    "therapist_reflection_present",
    "Therapist felt present",
    "The therapist's own rating: 'How present did you feel with your client today?'",
)
THERAPIST_REFLECTION_MOVED = _felt(
    "therapist_reflection_moved",
    "Therapist felt moved",
    "The therapist's own rating: 'How moved were you by your client today?'",
)

#: Synchrony measured on each signal kind: kind -> (headline figure, rMEA-style figure).
PHYSIOLOGY_BY_KIND: Mapping[str, tuple[Metric, Metric]] = MappingProxyType(
    {"eda": (EDA_SYNCHRONY, EDA_WCLC_ABS_Z), "hr": (HR_SYNCHRONY, HR_WCLC_ABS_Z)}
)
#: Each person's movement share: role -> metric.
MOTION_SHARE_BY_ROLE: Mapping[str, Metric] = MappingProxyType(
    {"therapist": THERAPIST_MOTION_SHARE, "client": CLIENT_MOTION_SHARE}
)
#: Vocal synchrony: turn feature of :func:`attunement.prosody.features.turn_prosody` -> metric.
VOCAL_BY_FEATURE: Mapping[str, Metric] = MappingProxyType(
    {"f0_mean_hz": VOCAL_F0_SYNCHRONY, "intensity_mean_db": VOCAL_INTENSITY_SYNCHRONY}
)


#: The client's responses compared after moments and other utterances, in results.json's
#: order: the response's column in :mod:`attunement.moments.session` -> metric.
MOMENT_RESPONSES: Mapping[str, Metric] = MappingProxyType(
    {
        "scr_us": MOMENT_CLIENT_SCR,
        "hr_change_bpm": MOMENT_CLIENT_HR_CHANGE,
        "eda_local_r": MOMENT_EDA_LOCAL_SYNCHRONY,
        "f0_sd_st": MOMENT_CLIENT_PITCH_VARIABILITY,
        "intensity_sd_db": MOMENT_CLIENT_LOUDNESS_VARIABILITY,
        "words": MOMENT_CLIENT_WORDS,
        "feeling_words": MOMENT_CLIENT_FEELING_WORDS,
        "first_person_present": MOMENT_CLIENT_FIRST_PERSON_PRESENT,
        "change_talk": MOMENT_CLIENT_CHANGE_TALK,
        "mentalizing": MOMENT_CLIENT_MENTALIZING,
    }
)
#: Mental-state language: summary column of
#: :func:`attunement.language.mentalizing.turn_mentalizing` -> metric.
MENTALIZING_BY_COLUMN: Mapping[str, Metric] = MappingProxyType(
    {
        "mentalizing_rate": CLIENT_MENTALIZING_RATE,
        "causal_mentalizing_rate": CLIENT_CAUSAL_MENTALIZING_RATE,
        "mentalizing_slope": CLIENT_MENTALIZING_SLOPE,
    }
)


def _registry(metrics: Iterable[Metric]) -> Mapping[str, Metric]:
    out: dict[str, Metric] = {}
    for m in metrics:
        for one in (m, *_companions(m)):
            if one.name in out:
                raise ValueError(f"metric {one.name!r} is registered twice")
            out[one.name] = one
    return MappingProxyType(out)


#: Every metric, by name: results.json's order, then the feedback scores.
METRICS: Mapping[str, Metric] = _registry(
    (
        THERAPIST_TALK_SHARE,
        THERAPIST_TALK_TIME_SHARE,
        N_THERAPIST_UTTERANCES,
        N_CLIENT_UTTERANCES,
        N_TURNS,
        MEAN_THERAPIST_WORDS_PER_TURN,
        MEAN_CLIENT_WORDS_PER_TURN,
        MEDIAN_THERAPIST_RESPONSE_LATENCY_S,
        MEDIAN_CLIENT_RESPONSE_LATENCY_S,
        EDA_SYNCHRONY,
        HR_SYNCHRONY,
        EDA_WCLC_ABS_Z,
        HR_WCLC_ABS_Z,
        MARCI_SCI,
        EDA_LEADER,
        EDA_LEAD_S,
        THERAPIST_MOTION_SHARE,
        CLIENT_MOTION_SHARE,
        VOCAL_F0_SYNCHRONY,
        VOCAL_INTENSITY_SYNCHRONY,
        LANGUAGE_STYLE_MATCHING,
        TURN_LANGUAGE_STYLE_MATCHING,
        AFFECT_ALIGNMENT,
        REFLECTION_TO_QUESTION_RATIO,
        PERCENT_COMPLEX_REFLECTIONS,
        PERCENT_OPEN_QUESTIONS,
        CHANGE_TALK_SHARE,
        EMPATHY_EMOTIONAL_REACTIONS,
        EMPATHY_INTERPRETATIONS,
        EMPATHY_EXPLORATIONS,
        MI_QUALITY_SCORE,
        CLIENT_MENTALIZING_RATE,
        CLIENT_CAUSAL_MENTALIZING_RATE,
        CLIENT_MENTALIZING_SLOPE,
        N_EMPATHIC_MOMENTS,
        *MOMENT_RESPONSES.values(),
        CLIENT_SESSION_HEARD,
        CLIENT_SESSION_UNDERSTOOD,
        CLIENT_SESSION_MOVED,
        CLIENT_SESSION_SAFE,
        PHQ9_TOTAL,
        GAD7_TOTAL,
        THERAPIST_REFLECTION_PRESENT,
        THERAPIST_REFLECTION_MOVED,
    )
)


# -- the fields of results.json ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """One field of results.json outside ``metrics``.

    Attributes
    ----------
    path : str
        Dotted path; ``<name>`` stands for any key, ``[]`` for every item of a list
        (``session.signals[].kind``).
    kind : str
        JSON type ('string', 'number', 'integer', 'boolean', 'object', 'list'), with 'or null'
        where it may be null.
    description : str
    """

    path: str
    kind: str
    description: str


#: The fields of results.json, in document order (``metrics.<name>`` is :data:`METRICS`).
RESULT_FIELDS: tuple[Field, ...] = (
    Field("session", "object", "What was analysed."),
    Field("session.id", "string", "The session's id (from the manifest, or the file name)."),
    Field(
        "session.duration_s",
        "number or null",
        "Seconds from session second 0 (or an earlier first utterance) to the last utterance "
        "time; for an untimed transcript, the span both people's signals cover.",
    ),
    Field("session.n_utterances", "integer", "Utterances in the transcript."),
    Field("session.speakers", "object", "Speaker label (as in utterances.csv) -> what follows."),
    Field("session.speakers.<label>", "object", "One speaker."),
    Field("session.speakers.<label>.role", "string", "'therapist', 'client' or 'other'."),
    Field("session.speakers.<label>.n_utterances", "integer", "The speaker's utterances."),
    Field("session.speakers.<label>.n_words", "integer", "The speaker's words."),
    Field("session.signals", "list", "One item per wearable signal read."),
    Field(
        "session.signals[].kind",
        "string",
        "'eda', 'hr', 'ibi', 'bvp', 'temp', 'acc', 'f0' or 'intensity'.",
    ),
    Field("session.signals[].role", "string", "Whose signal: 'therapist' or 'client'."),
    Field(
        "session.signals[].sampling_rate",
        "number or null",
        "Hz; null for irregular samples (IBI).",
    ),
    Field(
        "session.signals[].start_s",
        "number",
        "Session-clock time of the first sample (s).",
    ),
    Field("session.signals[].end_s", "number", "Session-clock time of the last sample (s)."),
    Field("session.signals[].n_samples", "integer", "Samples."),
    Field(
        "session.signals[].simulated",
        "boolean",
        "True for simulated signals (the demo's wristbands).",
    ),
    Field("session.simulated_signals", "boolean", "True when any signal is simulated."),
    Field(
        "session.transcription",
        "object or null",
        "For a session transcribed from its recording: ``engine``, ``model``, ``language``, "
        "``speaker_source`` (files, channels, diarized or one speaker), ``n_speakers``, "
        "``speakers_estimated``, ``n_words``, ``duration_s`` and ``mean_word_probability`` "
        "(Whisper's, 0-1); null for a transcript read from a file.",
    ),
    Field(
        "session.roles_guessed",
        "object or null",
        "When the speakers were only numbered and no role was given: the ``rule`` that picked "
        "the therapist, the ``therapist`` (label) and ``therapist_as_written``, "
        "``other_as_written``, each speaker's ``scores`` and the ``margin``; null otherwise.",
    ),
    Field(
        "metrics",
        "object",
        "Metric name -> value: a number, a string (``eda_leader``, the ``*_chance_test`` "
        "texts) or null where undefined or not measured; the metrics are listed below.",
    ),
    Field(
        "intervals",
        "object",
        "Code-derived metric -> its 95% bootstrap interval over coded units "
        "(:func:`attunement.coding.uncertainty.code_intervals`).",
    ),
    Field("intervals.<metric>", "object", "One metric's interval."),
    Field("intervals.<metric>.ci95_low", "number or null", "Lower bound; null when undefined."),
    Field("intervals.<metric>.ci95_high", "number or null", "Upper bound; null when undefined."),
    Field("intervals.<metric>.n_units", "integer", "Coded units the value rests on."),
    Field(
        "mi_quality",
        "object or null",
        "The MI quality estimate and what drove it; null when not measured.",
    ),
    Field(
        "mi_quality.score",
        "number or null",
        "The estimate, also the metric ``mi_quality_score``.",
    ),
    Field("mi_quality.log_odds", "number or null", "Its log-odds."),
    Field("mi_quality.intercept", "number", "The model's intercept (log-odds)."),
    Field(
        "mi_quality.n_therapist_utterances",
        "integer",
        "Coded therapist utterances the estimate rests on.",
    ),
    Field("mi_quality.drivers", "list", "What moved the estimate most, largest effect first."),
    Field(
        "mi_quality.drivers[].feature",
        "string",
        "The model's feature (a behaviour, or ``words:<phrase>``).",
    ),
    Field("mi_quality.drivers[].label", "string", "The feature in words."),
    Field("mi_quality.drivers[].value", "number or null", "Its value in this session."),
    Field("mi_quality.drivers[].shown", "string", "The value as the report shows it."),
    Field("mi_quality.drivers[].standardized", "number or null", "The value standardised."),
    Field(
        "mi_quality.drivers[].contribution",
        "number",
        "What it added to (or took from) the log-odds.",
    ),
    Field("mi_quality.drivers[].direction", "string", "'raised' or 'lowered'."),
    Field(
        "domain",
        "object or null",
        "Whether the session lies within the coders' training range; null when not checked.",
    ),
    Field("domain.available", "boolean", "A reference range was found for the coder."),
    Field(
        "domain.inside",
        "boolean or null",
        "True: every measured signal within its range; False: one or more outside; null: not "
        "available or nothing measured.",
    ),
    Field("domain.outside", "list", "The signals outside their range."),
    Field("domain.reference", "string", "What the ranges come from, or why there are none."),
    Field(
        "domain.signals",
        "object",
        "Signal -> its check: english_share, therapist_words_per_unit, client_words_per_unit, "
        "therapist_word_share, coder_confidence.",
    ),
    Field("domain.signals.<signal>", "object", "One signal's check."),
    Field("domain.signals.<signal>.value", "number or null", "The session's value."),
    Field("domain.signals.<signal>.median", "number or null", "The training data's median."),
    Field("domain.signals.<signal>.low", "number or null", "Lower end of the range."),
    Field("domain.signals.<signal>.high", "number or null", "Upper end of the range."),
    Field(
        "domain.signals.<signal>.checks",
        "string",
        "Which ends are checked: 'both', 'low' or 'none' (shown, not used to flag).",
    ),
    Field("domain.signals.<signal>.inside", "boolean or null", "Within the range checked."),
    Field("provenance", "object", "How the results were made."),
    Field("provenance.attunement_version", "string", "The version that analysed the session."),
    Field("provenance.created", "string", "When (ISO 8601, UTC)."),
    Field("provenance.inputs", "list", "One item per input file."),
    Field("provenance.inputs[].file", "string", "The file's name."),
    Field("provenance.inputs[].kind", "string", "What it holds ('transcript', 'manifest', ...)."),
    Field("provenance.inputs[].format", "string", "How it was read."),
    Field("provenance.inputs[].sha256", "string", "Its SHA-256 checksum."),
    Field(
        "provenance.inputs[].simulated",
        "boolean",
        "Present and true for simulated input.",
    ),
    Field(
        "provenance.clock_origin",
        "string or null",
        "The wall-clock time of session second 0 (ISO 8601), when known.",
    ),
    Field(
        "provenance.names_kept",
        "boolean",
        "False when speaker names were replaced by their roles.",
    ),
    Field("provenance.parameters", "object", "The options that ran."),
    Field(
        "provenance.parameters.resonance",
        "object",
        "The synchrony options (:class:`attunement.resonance.ResonanceConfig`).",
    ),
    Field(
        "provenance.parameters.resonance.<option>",
        "number, string or null",
        "window_s, lag_s, step_s, n_surrogates, surrogate_method, seed, turn_lags, "
        "motion_threshold_g, motion_window_s.",
    ),
    Field("provenance.parameters.coder", "string or null", "The utterance coder's kind."),
    Field("provenance.parameters.intervals", "object", "The bootstrap's options."),
    Field("provenance.parameters.intervals.n_resamples", "integer", "Resamples."),
    Field("provenance.parameters.intervals.seed", "integer", "Their seed."),
    Field(
        "provenance.parameters.moments",
        "object",
        "The options of the comparisons after empathic moments "
        "(:func:`attunement.moments.session.being_seen`).",
    ),
    Field(
        "provenance.parameters.moments.n_permutations",
        "integer",
        "Most circular shifts of the moment labels per comparison.",
    ),
    Field("provenance.parameters.moments.seed", "integer", "The seed of shifts drawn."),
    Field("provenance.methods", "list", "One item per method that ran, in order."),
    Field("provenance.methods[].name", "string", "The method's snake_case name."),
    Field(
        "provenance.methods[].description",
        "string",
        "Sentences for a methods paragraph, written from the parameters that ran.",
    ),
    Field(
        "provenance.methods[].parameters",
        "object",
        "The parameters that ran (their keys depend on the method).",
    ),
    Field("provenance.methods[].citation", "string or null", "The reference(s) to cite."),
    Field(
        "provenance.methods[].licenses",
        "object",
        "Only where a method ships trained models under licences of their own (the utterance "
        "coders): model -> its licence.",
    ),
    Field("provenance.methods[].licenses.<model>", "string", "The model's licence."),
)


_ROLE = re.compile(r":(?:func|class|mod|data|meth|attr):`~?([^`]+)`")


def _cell(text: str) -> str:
    """``text`` as a Markdown table cell: inline code in single backticks, no bare ``|``."""
    text = _ROLE.sub(r"`\1`", text).replace("``", "`")
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_reference() -> str:
    """The reference of results.json and of every metric, as ``docs/results.md`` holds it.

    Returns
    -------
    str
        Markdown: the fields of results.json (:data:`RESULT_FIELDS`), then one table per report
        section and one for the feedback scores, each metric with its label, unit, producer
        and description.

    Examples
    --------
    >>> text = markdown_reference()
    >>> text.splitlines()[0]
    '# results.json reference'
    >>> "| `eda_synchrony_p_value` |" in text
    True
    """
    lines = [
        "# results.json reference",
        "",
        "<!-- Written by attunement.metrics.markdown_reference(); edit the registry "
        "(src/attunement/metrics.py), not this file. -->",
        "",
        "`attunement analyze` writes `results.json` beside the report: the session, its "
        "metrics, the intervals of the code-derived metrics, the MI quality estimate, the "
        "coders' domain check and the provenance. Undefined values are `null`.",
        "",
        "## Fields",
        "",
        "| Field | Type | Description |",
        "|---|---|---|",
    ]
    lines += [f"| `{f.path}` | {f.kind} | {_cell(f.description)} |" for f in RESULT_FIELDS]
    groups: dict[str, list[Metric]] = {s: [] for s in SECTIONS}
    groups["Not shown as a card"] = []
    groups["Feedback scores (web app)"] = []
    for m in METRICS.values():
        if m.where == "feedback":
            groups["Feedback scores (web app)"].append(m)
        elif m.section is not None:
            groups[m.section].append(m)
        elif m.shown_with is not None and METRICS[m.shown_with].section is not None:
            groups[METRICS[m.shown_with].section].append(m)
        else:
            groups["Not shown as a card"].append(m)
    lines += [
        "",
        "## Metrics",
        "",
        "Grouped as the report shows them. A figure tested against chance has an "
        "`_effect_size` and a `_p_value` beside it (the headline synchrony figures also a "
        "`_chance_test`; the moments comparisons a `_chance_test`, `_n_moments` and "
        "`_n_others`). Units: share 0-1, percent 0-100, SD (standard deviations of the "
        "surrogates), d (Cohen's d), p (probability).",
    ]
    for title, members in groups.items():
        if not members:
            continue
        lines += [
            "",
            f"### {title}",
            "",
            "| Metric | Label | Unit | Produced by | Description |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{m.name}` | {_cell(m.label)} | {_cell(m.unit)} | `{m.producer}` | "
            f"{_cell(m.description)} |"
            for m in members
        ]
    return "\n".join(lines) + "\n"
