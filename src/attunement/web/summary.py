"""What pages show beside the report: feedback next to measurements, trends over sessions."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from attunement import metrics as m
from attunement.report.csvsafe import safe_csv
from attunement.report.html import FELT_SLOT, format_metric, metric_format, plot_data_block

__all__ = [
    "BESIDE_METRICS",
    "MOVED_ITEM",
    "TREND_METRICS",
    "beside",
    "moved_answer",
    "plot_block",
    "split_report",
    "trend_csv",
    "trend_figures",
]

#: The feedback item shown beside the report's "Moments of being seen": (questionnaire, item)
#: of "Today I felt my therapist was moved by what I shared." (its score is the feedback metric
#: :data:`attunement.metrics.CLIENT_SESSION_MOVED`, ``<questionnaire>_<item>``).
MOVED_ITEM: tuple[str, str] = ("client_session", "moved")

#: Measurements shown beside what each person felt, in this order (when present).
BESIDE_METRICS: tuple[str, ...] = tuple(
    metric.name
    for metric in (
        m.EMPATHY_EMOTIONAL_REACTIONS,
        m.EMPATHY_INTERPRETATIONS,
        m.EMPATHY_EXPLORATIONS,
        m.REFLECTION_TO_QUESTION_RATIO,
        m.PERCENT_COMPLEX_REFLECTIONS,
        m.PERCENT_OPEN_QUESTIONS,
        m.CHANGE_TALK_SHARE,
        m.MI_QUALITY_SCORE,
        m.N_EMPATHIC_MOMENTS,
        m.CLIENT_MENTALIZING_RATE,
        m.EDA_SYNCHRONY,
        m.HR_SYNCHRONY,
        m.VOCAL_F0_SYNCHRONY,
        m.VOCAL_INTENSITY_SYNCHRONY,
        m.LANGUAGE_STYLE_MATCHING,
        m.THERAPIST_TALK_SHARE,
    )
)

#: Trend plots: title -> metric or feedback columns drawn in it.
TREND_METRICS: dict[str, tuple[str, ...]] = {
    title: tuple(metric.name for metric in group)
    for title, group in {
        "Empathy (EPITOME score, 0-2)": (
            m.EMPATHY_EMOTIONAL_REACTIONS,
            m.EMPATHY_INTERPRETATIONS,
            m.EMPATHY_EXPLORATIONS,
        ),
        "Reflections per question (MITI: fair 1, good 2)": (m.REFLECTION_TO_QUESTION_RATIO,),
        "Complex reflections and open questions (%)": (
            m.PERCENT_COMPLEX_REFLECTIONS,
            m.PERCENT_OPEN_QUESTIONS,
        ),
        "Resonance": (
            m.EDA_SYNCHRONY,
            m.HR_SYNCHRONY,
            m.VOCAL_F0_SYNCHRONY,
            m.VOCAL_INTENSITY_SYNCHRONY,
            m.LANGUAGE_STYLE_MATCHING,
        ),
        "Client's mental-state language (per 100 words)": (
            m.CLIENT_MENTALIZING_RATE,
            m.CLIENT_CAUSAL_MENTALIZING_RATE,
        ),
        "How the client felt (0-10)": (
            m.CLIENT_SESSION_HEARD,
            m.CLIENT_SESSION_UNDERSTOOD,
            m.CLIENT_SESSION_MOVED,
            m.CLIENT_SESSION_SAFE,
        ),
        "Symptoms (PHQ-9, GAD-7)": (m.PHQ9_TOTAL, m.GAD7_TOTAL),
        "How the therapist felt (0-10)": (
            m.THERAPIST_REFLECTION_PRESENT,
            m.THERAPIST_REFLECTION_MOVED,
        ),
    }.items()
}


def _label(name: str) -> str:
    """The label of a metric the report shows as a card; other names as they are, spaced."""
    metric = m.METRICS.get(name)
    if metric is None or metric.section is None:
        return name.replace("_", " ")
    return metric.label


def plot_block(figure: Mapping[str, Any], element_id: str) -> str:
    """A figure (Plotly's JSON form: ``data`` and ``layout``) as a placeholder and a JSON data
    block, drawn by the page's own script."""
    return plot_data_block(json.dumps(figure, ensure_ascii=False, allow_nan=False), element_id)


def beside(metrics: Mapping[str, float | None], feedback: Sequence[Mapping[str, Any]]) -> dict:
    """The session's key measurements and what each person answered, for side-by-side display."""
    measured = []
    for name in BESIDE_METRICS:
        if name in metrics and metrics[name] is not None:
            metric = m.METRICS[name]
            measured.append(
                {
                    "name": name,
                    "label": metric.label,
                    "value": format_metric(metrics[name], metric_format(metric)),
                }
            )
    return {"measured": measured, "felt": list(feedback)}


def moved_answer(
    feedback: Sequence[Mapping[str, Any]], questionnaires: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The client's own answer to "Today I felt my therapist was moved by what I shared."
    (:data:`MOVED_ITEM`), for the session page beside the moments of being seen.

    Parameters
    ----------
    feedback : sequence of mapping
        The session's stored answers (``questionnaire``, ``respondent``, ``answers``).
    questionnaires : mapping
        Questionnaire id -> its definition (:func:`attunement.ratings.builtin_questionnaires`).

    Returns
    -------
    dict or None
        ``text`` (the item as the client read it), ``answer`` ('7 of 10', or None when not
        answered yet), ``value``, ``min`` and ``max``; None when the questionnaire is unknown.

    Examples
    --------
    >>> from attunement.ratings import builtin_questionnaires
    >>> qs = builtin_questionnaires()
    >>> moved_answer([{"questionnaire": "client_session", "respondent": "client",
    ...                "answers": {"moved": 7}}], qs)["answer"]
    '7 of 10'
    >>> moved_answer([], qs)["answer"] is None
    True
    """
    qid, item_id = MOVED_ITEM
    q = questionnaires.get(qid)
    item = None if q is None else next((i for i in q.items if i.id == item_id), None)
    if item is None:
        return None
    value = None
    for r in feedback:
        if r.get("questionnaire") == qid and r.get("respondent", "client") == "client":
            value = (r.get("answers") or {}).get(item_id)
    return {
        "text": item.text,
        "answer": None if value is None else f"{value} of {item.max}",
        "value": value,
        "min": item.min,
        "max": item.max,
    }


def split_report(report: str) -> tuple[str, str] | None:
    """The report's HTML cut where the client's answer goes beside its "Moments of being
    seen" (:data:`attunement.report.html.FELT_SLOT`); None for a report without that section
    (no coded therapist turns, or written before it existed).

    Examples
    --------
    >>> split_report("<p>a</p><!-- attunement:moments-felt --><p>b</p>")
    ('<p>a</p>', '<p>b</p>')
    >>> split_report("<p>a</p>") is None
    True
    """
    before, found, after = report.partition(FELT_SLOT)
    return (before, after) if found else None


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def trend_figures(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """One line plot per :data:`TREND_METRICS` group that has data, as page-ready blocks.

    The figures are written in Plotly's JSON form directly (building ``go.Figure`` objects costs
    tens of milliseconds per page).
    """
    if not rows:
        return []
    dates = [str(r["held_on"]) for r in rows]
    out = []
    for i, (title, names) in enumerate(TREND_METRICS.items()):
        traces = []
        for name in names:
            ys = [_finite(r.get(name)) for r in rows]
            if all(y is None for y in ys):
                continue
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "x": dates,
                    "y": ys,
                    "name": _label(name),
                    "connectgaps": True,
                }
            )
        if not traces:
            continue
        layout = {
            "title": {"text": title},
            "height": 300,
            "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
            "legend": {"orientation": "h", "y": -0.25},
            "xaxis": {"type": "category"},
            "plot_bgcolor": "#fff",
            "paper_bgcolor": "#fff",
            "font": {"family": "system-ui, sans-serif"},
        }
        out.append(
            {"title": title, "html": plot_block({"data": traces, "layout": layout}, f"trend-{i}")}
        )
    return out


def trend_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """The trend rows as CSV: fixed leading columns, then every metric and score, sorted.

    Written by :func:`attunement.report.csvsafe.safe_csv`: a text cell (a client label, say) that
    a spreadsheet would run as a formula gets a leading ``'``; numbers are written as they are.
    """
    lead = ["held_on", "session_id", "client_id", "client_label", "therapist"]
    rest = sorted({k for r in rows for k in r} - set(lead))
    return safe_csv(rows, columns=lead + rest)


def feedback_view(
    feedback: Sequence[Mapping[str, Any]], questionnaires: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Stored answers as the session page shows them: each item's text with its answer label.

    The client's answers come first, then the therapist's reflection.
    """
    out = []
    for r in sorted(feedback, key=lambda r: (r["respondent"] != "client", r["questionnaire"])):
        q = questionnaires.get(r["questionnaire"])
        answers = r["answers"]
        items = []
        if q is None:
            items = [{"text": k, "answer": v} for k, v in answers.items()]
        else:
            for item in q.items:
                if item.id not in answers:
                    continue
                value = answers[item.id]
                if item.kind == "choice":
                    answer = item.label_for(value) or value
                elif item.kind == "scale":
                    answer = f"{value} of {item.max}"
                else:
                    answer = value
                items.append({"text": item.text, "answer": answer})
        scores = r.get("scores") or {}
        out.append(
            {
                "id": r["questionnaire"],
                "title": q.title if q else r["questionnaire"],
                "respondent": r["respondent"],
                "lines": items,
                "total": scores.get("total"),
                "band": scores.get("band"),
                "flags": scores.get("flags") or [],
                "attribution": q.attribution if q else "",
            }
        )
    return out
