"""Render a session's results as one self-contained HTML file that opens offline."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pandas as pd
import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

from attunement import metrics as m
from attunement.analysis import SessionResults
from attunement.coding.quality import load_quality_model
from attunement.report import figures
from attunement.report.methods import methods_paragraph

__all__ = [
    "FELT_SLOT",
    "METRIC_GROUPS",
    "METRIC_INFO",
    "MOMENTS_SECTION",
    "UNIT_FORMATS",
    "domain_sentence",
    "format_interval",
    "format_metric",
    "metric_format",
    "moment_sentence",
    "moments_section",
    "plot_data_block",
    "render_report",
]

#: The report's format of each unit of :mod:`attunement.metrics` (any other: two decimals).
UNIT_FORMATS: dict[str, str] = {
    "share": "percent",
    "percent": "percent100",
    "count": "int",
    "words": "float1",
    "s": "seconds",
    "role": "leader",
}


def metric_format(metric: m.Metric) -> str:
    """How the report formats ``metric``'s values.

    Parameters
    ----------
    metric : attunement.metrics.Metric

    Returns
    -------
    str
        A ``kind`` of :func:`format_metric`: from :data:`UNIT_FORMATS` by the metric's unit,
        ``'float2'`` for any other unit.

    Examples
    --------
    >>> metric_format(m.THERAPIST_TALK_SHARE), metric_format(m.MARCI_SCI)
    ('percent', 'float2')
    """
    return UNIT_FORMATS.get(metric.unit, "float2")


#: How each metric is shown, by section (:data:`attunement.metrics.SECTIONS`, from the
#: registry): name -> (label, format, explanation). A metric with ``<name>_effect_size`` and
#: ``<name>_p_value`` is shown with its chance comparison.
METRIC_GROUPS: dict[str, dict[str, tuple[str, str, str]]] = {
    section: {
        metric.name: (metric.label, metric_format(metric), metric.note)
        for metric in m.METRICS.values()
        if metric.section == section
    }
    for section in m.SECTIONS
}
METRIC_INFO = {k: v for group in METRIC_GROUPS.values() for k, v in group.items()}
#: The section shown as its own block (a comparison table and plots), not as cards.
MOMENTS_SECTION = m.N_EMPATHIC_MOMENTS.section
#: Where the web app's session page puts the client's own answer beside the moments section
#: (an HTML comment: nothing in a standalone report).
FELT_SLOT = "<!-- attunement:moments-felt -->"
_SHOWN_WITH = {name for name, metric in m.METRICS.items() if metric.shown_with is not None}
#: The metrics computed from the coded utterances (those with intervals).
_CODED = frozenset(
    name for name, metric in m.METRICS.items() if metric.producer.startswith("attunement.coding.")
)


#: MITI 4.2.1 summary thresholds (fair, good) shown beside the measured values.
MITI_THRESHOLDS = {
    m.REFLECTION_TO_QUESTION_RATIO.name: (1.0, 2.0),
    m.PERCENT_COMPLEX_REFLECTIONS.name: (40, 50),
}


def _miti(name: str, value: Any) -> str:
    if name not in MITI_THRESHOLDS or value is None:
        return ""
    fair, good = MITI_THRESHOLDS[name]
    return "good" if value >= good else "fair" if value >= fair else "below fair"


def _chance(name: str, metrics: dict[str, Any]) -> str:
    z, p = metrics.get(m.companion(name, "effect_size")), metrics.get(m.companion(name, "p_value"))
    test = metrics.get(m.companion(name, "chance_test"))
    if p is None:
        return test if isinstance(test, str) and test.startswith("not testable") else ""
    verdict = "above chance" if p < 0.05 else "not above chance"
    z_text = "" if z is None else f"z = {z:.1f}, "
    against = f"; against {test}" if isinstance(test, str) and test else ""
    return f"{verdict} ({z_text}p = {p:.3f}{against})"


def format_interval(
    value: Any, interval: dict[str, Any] | None, kind: str, *, percent: int = 95
) -> str:
    """The interval shown beside a metric's value: '(95% CI low–high)', a reason where there
    is none, '' where the metric has no interval or no value.

    Examples
    --------
    >>> format_interval(0.4, {"ci95_low": 0.3, "ci95_high": 0.55, "n_units": 80}, "percent")
    '(95% CI 30%–55%)'
    >>> format_interval(2.0, {"ci95_low": None, "ci95_high": None, "n_units": 3}, "float2")
    '(no 95% CI: too few coded utterances)'
    """
    if value is None or not interval:
        return ""
    low, high = interval.get(f"ci{percent}_low"), interval.get(f"ci{percent}_high")
    if low is None or high is None:
        return f"(no {percent}% CI: too few coded utterances)"
    return f"({percent}% CI {_format(low, kind)}–{_format(high, kind)})"


def _cards(
    metrics: dict[str, Any], intervals: dict[str, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    intervals = intervals or {}
    groups = []
    seen = set(_SHOWN_WITH)
    for title, infos in METRIC_GROUPS.items():
        if title == MOMENTS_SECTION:
            for name in infos:
                seen.update({name, *(m.companion(name, part) for part in m.CHANCE_PARTS)})
            continue
        cards = []
        for name, (label, kind, help_text) in infos.items():
            if name not in metrics:
                continue
            seen.update({name, *(m.companion(name, part) for part in m.CHANCE_PARTS)})
            value = metrics[name]
            if kind == "leader":
                shown = _leader(value, metrics.get(m.EDA_LEAD_S.name))
            else:
                shown = _format(value, kind)
            cards.append(
                {
                    "name": name,
                    "label": label,
                    "value": shown,
                    "help": help_text,
                    "chance": _chance(name, metrics),
                    "missing": value is None,
                    "miti": _miti(name, value),
                    "ci": format_interval(value, intervals.get(name), kind),
                }
            )
        if cards and not all(c["missing"] for c in cards):
            groups.append({"title": title, "cards": cards})
    rest = [
        {
            "name": n,
            "label": n.replace("_", " "),
            "value": _format(v, ""),
            "help": "",
            "chance": "",
            "missing": v is None,
        }
        for n, v in metrics.items()
        if n not in seen
    ]
    if rest:
        groups.append({"title": "Other measures", "cards": rest})
    return groups


def _effect(driver: dict[str, Any]) -> str:
    if abs(driver["contribution"]) >= 0.005:
        return f"{driver['direction']} ({driver['contribution']:+.2f})"
    return "no effect (not measured)" if driver["value"] is None else "little effect"


def _quality(
    found: dict[str, Any] | None, interval: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The MI quality section: score, its interval, caveat and drivers (None when not
    measured)."""
    if not found or found.get("score") is None:
        return None
    meta = load_quality_model().meta
    train, cv = meta.get("training", {}), meta.get("cv", {})
    # a word model's drivers are phrases ('words:<n-gram>'), a code model's behaviours
    words = any(str(d.get("feature", "")).startswith("words:") for d in found.get("drivers", []))
    source = "words" if words else "automatic codes"
    caveat = (
        f"Estimated by a model trained on the {train.get('n_transcripts', 133)} AnnoMI "
        "demonstration transcripts (videos made to show high- or low-quality MI; "
        f"{train.get('n_high', 110)} high, {train.get('n_low', 23)} low), from the {source} "
        f"of this session's {found.get('n_therapist_utterances', 0)} coded therapist "
        "utterances (the fewer, the less certain), not from a MITI rating."
    )
    if cv.get("auc") is not None:
        caveat += (
            f" Under {cv.get('n_splits', 5)}-fold cross-validation grouped by video it separated "
            f"high from low quality with AUC {cv['auc']:.2f} (accuracy {cv['accuracy']:.2f}, "
            f"where always answering 'high' scores {cv['baseline']['accuracy']:.2f})."
        )
    if words:
        caveat += (
            " Each phrase's effect is what it added to (raised) or took from (lowered) the "
            "log-odds: associations learned from AnnoMI's demonstrations, not MITI norms, "
            "which include topic words of its low-quality videos, so discount a phrase that "
            "says nothing about how the therapist spoke."
        )
    else:
        caveat += (
            " Each behaviour's effect is what it added to (raised) or took from (lowered) the "
            "log-odds, relative to an average AnnoMI session: associations learned from "
            "AnnoMI's demonstrations, not MITI norms, and real sessions may differ."
        )
    drivers = [
        {
            "label": d["label"],
            "shown": d["shown"],
            "effect": _effect(d),
            "direction": d["direction"] if abs(d["contribution"]) >= 0.005 else "none",
        }
        for d in found.get("drivers", [])
    ]
    return {
        "score": f"{found['score']:.2f}",
        "ci": format_interval(found["score"], interval, "float2"),
        "caveat": caveat,
        "drivers": drivers,
        "driver": "phrase" if words else "behaviour",
    }


#: How the report names each signal of the domain check: (short name, higher, lower, format).
_DOMAIN_WORDS: dict[str, tuple[str, str, str, str]] = {
    "english_share": (
        "language",
        "more of its words are common English function words",
        "fewer of its words are common English function words",
        "percent",
    ),
    "therapist_words_per_unit": (
        "the therapist's utterance length",
        "the therapist's utterances are longer",
        "the therapist's utterances are shorter",
        "words",
    ),
    "client_words_per_unit": (
        "the client's utterance length",
        "the client's utterances are longer",
        "the client's utterances are shorter",
        "words",
    ),
    "therapist_word_share": (
        "speaker balance",
        "the therapist speaks a larger share of the words",
        "the therapist speaks a smaller share of the words",
        "percent",
    ),
    "coder_confidence": (
        "coder confidence",
        "the coders are surer of their codes",
        "the coders are less sure of their codes",
        "float2",
    ),
}


#: What the report adds after a signal's numbers when it is below its range.
_DOMAIN_BELOW = {"english_share": ": it may not be English"}


def _domain_value(value: float, kind: str, *, unit: bool = True) -> str:
    if kind == "words":
        return f"{value:.0f} words" if unit else f"{value:.0f}"
    if kind == "percent":
        return f"{100 * value:.0f}%" if unit else f"{100 * value:.0f}"
    return _format(value, kind)


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def domain_sentence(domain: dict[str, Any] | None) -> tuple[str, bool]:
    """The report's sentence on whether the session lies within what the coders were trained
    on, from results.json's ``domain`` block, and whether it calls for caution.

    Examples
    --------
    >>> block = {"available": True, "inside": False, "outside": ["therapist_words_per_unit"],
    ...          "signals": {"therapist_words_per_unit": {"value": 58.2, "low": 7.2,
    ...                      "high": 42.0, "checks": "both", "inside": False}}}
    >>> text, caution = domain_sentence(block)
    >>> caution, text.split(": ", 1)[1].split(";")[0]
    (True, "the therapist's utterances are longer (58 words vs 7–42)")
    >>> domain_sentence(None)
    ('Whether this session lies within what the coders were trained on was not checked.', False)
    """
    if not domain:
        return (
            "Whether this session lies within what the coders were trained on was not checked.",
            False,
        )
    if not domain.get("available"):
        return (
            "Whether this session lies within what the coders were trained on is not "
            "available: this coder has no reference ranges (domain.json beside it).",
            False,
        )
    signals = domain.get("signals", {})
    words = {n: _DOMAIN_WORDS.get(n, (n.replace("_", " "), n, n, "float2")) for n in signals}
    outside = [n for n in domain.get("outside", []) if n in signals]
    if outside:
        parts = []
        for name in outside:
            s = signals[name]
            _, higher, lower, kind = words[name]
            above = s["high"] is not None and s["value"] > s["high"] and s["checks"] == "both"
            if s["checks"] == "both":
                bounds = (
                    f"{_domain_value(s['low'], kind, unit=False)}–"
                    f"{_domain_value(s['high'], kind, unit=kind == 'percent')}"
                )
            else:
                bounds = f"at least {_domain_value(s['low'], kind)}"
            aside = "" if above else _DOMAIN_BELOW.get(name, "")
            parts.append(
                f"{higher if above else lower} "
                f"({_domain_value(s['value'], kind)} vs {bounds}{aside})"
            )
        optimistic = (
            " (a range measured on their own training data, so an optimistic one)"
            if outside == ["coder_confidence"]
            else ""
        )
        return (
            "This session lies outside what the coders were trained on (the middle 95% of "
            f"the AnnoMI transcripts they learned from): {_joined(parts)}{optimistic}; treat "
            "the codes with caution.",
            True,
        )
    measured = [n for n, s in signals.items() if s.get("inside") is not None]
    unmeasured = [
        words[n][0]
        for n, s in signals.items()
        if s.get("inside") is None and s.get("checks") != "none"
    ]
    if not measured:
        return (
            "Whether this session lies within what the coders were trained on could not be "
            "measured (too few coded utterances).",
            False,
        )
    shown = [
        f"{words[n][0]} {_domain_value(s['value'], words[n][3])} (AnnoMI, its own training data: "
        f"{_domain_value(s['low'], words[n][3], unit=False)}–"
        f"{_domain_value(s['high'], words[n][3])}; shown, not used to flag)"
        for n, s in signals.items()
        if s.get("checks") == "none" and s.get("value") is not None and s.get("low") is not None
    ]
    also = f" The {_joined(shown)}." if shown else ""
    what = _joined([words[n][0] for n in measured])
    count = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}.get(len(measured))
    among = "the middle 95% of the AnnoMI transcripts they learned from"
    if not unmeasured:
        return (
            f"Within the coders' training range on all {count or len(measured)} signals checked: "
            f"{what} each lie within {among}.{also}",
            False,
        )
    return (
        f"Within the coders' training range on the {count or len(measured)} signals measured: "
        f"{what} each lie within {among} ({_joined(unmeasured)} could not be measured).{also}",
        False,
    )


def _code(row: dict[str, Any]) -> str:
    """A short label of an utterance's codes ('' when it has none)."""

    def given(key: str) -> str | None:
        value = row.get(key)
        return None if value is None or pd.isna(value) else str(value)

    behaviour = given("mi_behaviour")
    if behaviour is not None:
        sub = given("reflection_type") or given("question_type")
        label = behaviour.replace("therapist_input", "input")
        return f"{sub} {label}" if sub else label
    talk = given("client_talk")
    return f"{talk} talk" if talk and talk != "neutral" else ""


def _leader(leader: str | None, lead_s: float | None) -> str:
    if leader is None:
        return "—"
    if leader == "none":
        return "No consistent leader"
    return f"{leader.capitalize()} leads" + ("" if lead_s is None else f" by {lead_s:.1f} s")


def _format(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "percent":
        return f"{100 * value:.0f}%"
    if kind == "percent100":
        return f"{value:.0f}%"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "seconds":
        return f"{value:.1f} s"
    if kind == "float1":
        return f"{value:.1f}"
    if kind == "float2":
        return f"{value:.2f}"
    if isinstance(value, str):
        return value
    return f"{value:.3g}"


#: A metric's value as the report shows it (``kind`` as in :data:`METRIC_GROUPS`).
format_metric = _format


#: How the moments section says what differed, per response: (more, less).
_MORE_LESS: dict[str, tuple[str, str]] = {
    "scr_us": (
        "the client's skin conductance rose more",
        "the client's skin conductance rose less",
    ),
    "hr_change_bpm": (
        "the client's heart rate rose more (or fell less)",
        "the client's heart rate rose less (or fell more)",
    ),
    "eda_local_r": (
        "both people's skin conductance moved together more",
        "both people's skin conductance moved together less",
    ),
    "f0_sd_st": ("the client's pitch varied more", "the client's pitch varied less"),
    "intensity_sd_db": ("the client's loudness varied more", "the client's loudness varied less"),
    "words": ("the client said more", "the client said less"),
    "feeling_words": ("the client used more feeling words", "the client used fewer feeling words"),
    "first_person_present": (
        "the client spoke more of themselves in the present ('I feel', 'I'm')",
        "the client spoke less of themselves in the present ('I feel', 'I'm')",
    ),
    "change_talk": (
        "more of what the client said was change talk",
        "less of what the client said was change talk",
    ),
    "mentalizing": (
        "the client used more words for thoughts, feelings, wishes and beliefs",
        "the client used fewer words for thoughts, feelings, wishes and beliefs",
    ),
}


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def moment_sentence(column: str, test: Any) -> tuple[str, str]:
    """What the comparison of one response says, in plain words, and its status.

    Parameters
    ----------
    column : str
        A response of :data:`attunement.metrics.MOMENT_RESPONSES`.
    test : attunement.moments.shifts.ShiftTest

    Returns
    -------
    (str, str)
        The sentence, and 'differs', 'no clear difference' or 'not testable'. No sentence
        claims more than the test: a difference is never said to be caused by the moments.

    Examples
    --------
    >>> from attunement.moments.shifts import shift_test
    >>> import numpy as np
    >>> moments = np.isin(np.arange(60), [1, 5, 6, 14, 20, 27, 33, 34, 41, 50, 57])
    >>> text, status = moment_sentence("scr_us", shift_test(moments * 0.3, moments))
    >>> status, text.split(" than ")[0]
    ('differs', "After these moments the client's skin conductance rose more")
    >>> text.endswith("this does not show that one caused the other.")
    True
    """
    chance = str(test["chance_test"])
    if chance.startswith("not testable"):
        return f"Not testable: {chance.split(': ', 1)[1]}.", "not testable"
    d, p = test["effect_size"], test["p_value"]
    counts = f"{test['n_moments']} moments, {test['n_others']} other utterances"
    d_text = "" if d is None or d != d else f", d = {d:.2f}"
    more, less = _MORE_LESS[column]
    if p < 0.05:
        what = more if test["difference"] > 0 else less
        return (
            f"After these moments {what} than after the therapist's other utterances "
            f"({_p(p)}{d_text}; {counts}); this does not show that one caused the other.",
            "differs",
        )
    return (
        "No clear difference from the therapist's other utterances: shifting the same moments "
        f"along the session gave a difference at least as large {p:.0%} of the time "
        f"({_p(p)}{d_text}; {counts}).",
        "no clear difference",
    )


def _signed(value: Any, kind: str) -> str:
    if value is None or value != value:
        return "—"
    if kind == "percent":
        return f"{100 * value:+.0f} points"
    return f"{value:+.2f}"


def _mean(value: Any, kind: str) -> str:
    if value is None or value != value:
        return "—"
    return f"{100 * value:.0f}%" if kind == "percent" else f"{value:.2f}"


def _clip(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _body(row: dict[str, Any]) -> str:
    """What the body did after one utterance, in short ('' without signals)."""
    parts = []
    if row.get("scr_us") == row.get("scr_us") and row.get("scr_us") is not None:
        parts.append(f"skin conductance {row['scr_us']:+.2f} µS")
    if (
        row.get("hr_change_bpm") == row.get("hr_change_bpm")
        and row.get("hr_change_bpm") is not None
    ):
        parts.append(f"heart rate {row['hr_change_bpm']:+.1f} bpm")
    return " · ".join(parts)


def moments_section(results: SessionResults) -> dict[str, Any] | None:
    """The report's "Moments of being seen" section (None without coded therapist turns).

    Returns
    -------
    dict or None
        ``intro`` (what the moments are and how many), ``rows`` (one per response:
        ``label``, ``unit``, ``moments``, ``others``, ``difference``, ``d``, ``p``, ``n``,
        ``sentence``, ``status``), ``findings`` (the sentences of the responses that differ),
        ``moments`` (each moment: ``time``, ``index``, ``text``, ``reasons``, ``reply``,
        ``reply_words``, ``body``) and ``simulated``.
    """
    seen = results.moments
    if seen is None or seen.table.empty:
        return None
    t = seen.table
    n_moments, n_units = int(t["is_moment"].sum()), len(t)
    counts = seen.table.loc[t["is_moment"], "reasons"]
    names = {
        "complex reflection": ("complex reflection", "complex reflections"),
        "emotional reactions": ("strong emotional reaction", "strong emotional reactions"),
        "interpretations": ("strong interpretation", "strong interpretations"),
        "explorations": ("strong exploration", "strong explorations"),
    }
    kinds = [
        (label, int(counts.str.contains(code, regex=False).sum())) for code, label in names.items()
    ]
    shown = [(label, n) for label, n in kinds if n]
    breakdown = ", ".join(f"{n} {label[0] if n == 1 else label[1]}" for label, n in shown)
    twice = "; a turn may count twice" if len(shown) > 1 else ""
    intro = (
        f"{n_moments} of the therapist's {n_units} turns were coded as highly empathic"
        + (f" ({breakdown}{twice})" if breakdown else "")
        + ". Below, what the client did after them, against what the client did after the "
        "therapist's other turns. Each comparison is tested against the same number of "
        "moments with the same spacing, shifted along the session: a difference counts only "
        "when it is larger than those shifts give by chance."
    )
    rows = []
    for column, metric in m.MOMENT_RESPONSES.items():
        test = seen.tests[column]
        kind = metric_format(metric)
        sentence, status = moment_sentence(column, test)
        chance = str(test["chance_test"])
        p = test["p_value"]
        rows.append(
            {
                "column": column,
                "label": metric.label,
                "unit": metric.unit,
                "moments": _mean(test["mean_moments"], kind),
                "others": _mean(test["mean_others"], kind),
                "difference": _signed(test["difference"], kind),
                "d": "—"
                if test["effect_size"] != test["effect_size"]
                else f"{test['effect_size']:.2f}",
                "p": "—" if p != p else f"{p:.3f}",
                "n": f"{test['n_moments']} / {test['n_others']}",
                "sentence": sentence,
                "status": status,
                "short": sentence if status == "differs" else status.capitalize(),
                "reason": chance.split(": ", 1)[1] if status == "not testable" else "",
            }
        )
    moments = [
        {
            "time": r["start_s"],
            "index": r["index"],
            "text": r["text"],
            "reasons": r["reasons"],
            "reply": _clip(r["response_text"] or "", 400),
            "reply_words": int(r["words"]) if r["words"] == r["words"] else 0,
            "body": _body(r),
        }
        for r in t[t["is_moment"]].to_dict("records")
    ]
    from attunement.moments.session import BASELINED

    turns = next(
        (
            x.parameters.get("baseline_turns")
            for x in seen.methods
            if "baseline_turns" in x.parameters
        ),
        None,
    )
    local = [
        r["label"]
        for r in rows
        if turns and r["column"] in BASELINED and r["status"] != "not testable"
    ]
    return {
        "intro": intro,
        "rows": rows,
        "local": bool(local),
        "local_rows": local,
        "local_turns": turns,
        "findings": [r["sentence"] for r in rows if r["status"] == "differs"],
        "tested": [r for r in rows if r["status"] != "not testable"],
        "untested": [r for r in rows if r["status"] == "not testable"],
        "moments": moments,
        "simulated": bool(results.session.meta.get("simulated_signals")),
    }


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("attunement.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = figures.clock
    return env


def plot_data_block(payload: str, element_id: str, *, classes: str = "js-plot") -> str:
    """A placeholder element and a figure's JSON (Plotly's ``data`` and ``layout``) in a data
    block that no browser runs as script; ``</`` is escaped so the block cannot end early. A
    page's own script draws it (the web app's ``static/app.js``).

    Examples
    --------
    >>> plot_data_block('{"name": "</script>"}', "p1")[35:]
    '<script type="application/json" data-plot="p1">{"name": "<\\\\/script>"}</script>'
    """
    payload = payload.replace("</", "<\\/")
    return (
        f'<div class="{classes}" id="{element_id}"></div>'
        f'<script type="application/json" data-plot="{element_id}">{payload}</script>'
    )


def _plot_block(fig: Any, name: str) -> str:
    return plot_data_block(
        pio.to_json(fig, validate=False, engine="json"),
        f"fig-{name}",
        classes="plotly-graph-div js-plot",
    )


def render_report(results: SessionResults, *, standalone: bool = True) -> str:
    """The report as a complete HTML document (Plotly's JavaScript included, nothing fetched).

    Parameters
    ----------
    results : SessionResults
    standalone : bool
        True: one self-contained document. False: the report's ``<style>`` and body only, with
        every figure as a JSON data block (``<script type="application/json" data-plot=ID>``)
        for a page that loads Plotly itself and allows no inline script (the web app); the
        styles apply inside an element of class ``report`` only.

    Returns
    -------
    str
    """
    data = results.to_dict()
    figs = [
        ("timeline", figures.timeline_figure(results)),
        ("physiology", figures.physiology_figure(results)),
        ("words", figures.words_figure(results)),
        ("mentalizing", figures.mentalizing_figure(results)),
        ("moments-timeline", figures.moments_timeline_figure(results)),
        ("moments-comparison", figures.moments_comparison_figure(results)),
        ("moments-curves", figures.moments_curve_figure(results)),
        ("resonance-eda", figures.resonance_figure(results, "eda")),
        ("resonance-hr", figures.resonance_figure(results, "hr")),
    ]
    plots = {
        name: pio.to_html(
            fig,
            include_plotlyjs=False,
            full_html=False,
            div_id=f"fig-{name}",
            config={"displaylogo": False, "responsive": True},
        )
        if standalone
        else _plot_block(fig, name)
        for name, fig in figs
        if fig is not None
    }
    intervals = data.get("intervals") or {}
    groups = _cards(data["metrics"], intervals)
    domain_text, caution = domain_sentence(data.get("domain"))
    for g in groups:
        if any(c["name"] in _CODED for c in g["cards"]):
            g["note"], g["caution"] = domain_text, caution  # near the codes, once
            break
    resonance = [
        {
            "kind": kind,
            "plot": plots.get(f"resonance-{kind}"),
            "moments": figures.resonant_moments(results, kind),
            "notes": results.resonance.physiology[kind].notes,
        }
        for kind in ("eda", "hr")
        if f"resonance-{kind}" in plots
    ]
    utter = results.utterances
    rows = [
        {
            "index": int(r["index"]),
            "speaker": r["speaker"],
            "role": r["role"],
            "start": r["start_s"],
            "text": r["text"],
            "code": _code(r),
        }
        for r in utter.to_dict("records")
    ]
    session = results.session
    page = (
        _env()
        .get_template("report.html.j2")
        .render(
            title=f"Session {session.id}",
            data=data,
            session=data["session"],
            meta=session.meta,
            groups=groups,
            quality=_quality(data.get("mi_quality"), intervals.get(m.MI_QUALITY_SCORE.name)),
            resonance=resonance,
            moments=moments_section(results),
            felt_slot=FELT_SLOT,
            plots=plots,
            rows=rows,
            timed=bool(utter["start_s"].notna().all()) and not utter.empty,
            coded="mi_behaviour" in utter.columns,
            methods=methods_paragraph(results),
            plotly_js=get_plotlyjs() if standalone else None,
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            colours=figures.ROLE_COLOURS,
        )
    )
    if standalone:
        return page
    # The report's rules are nested under .report (CSS nesting) so that they style the report
    # and nothing else of the page that embeds it; :root's variables move to .report itself.
    css = page[page.index("<style>") + len("<style>") : page.index("</style>")]
    css = css.replace(":root {", "& {", 1)
    body = page[page.index("<body>") + len("<body>") : page.rindex("</body>")]
    return f"<style>.report {{{css}}}</style>{body}"
