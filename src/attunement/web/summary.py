"""What pages show beside the report: feedback next to measurements, trends over sessions."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from attunement.report.csvsafe import safe_csv
from attunement.report.html import METRIC_INFO, format_metric, plot_data_block

__all__ = ["BESIDE_METRICS", "TREND_METRICS", "beside", "plot_block", "trend_csv", "trend_figures"]

#: Measurements shown beside what each person felt, in this order (when present).
BESIDE_METRICS: tuple[str, ...] = (
    "empathy_emotional_reactions",
    "empathy_interpretations",
    "empathy_explorations",
    "reflection_to_question_ratio",
    "percent_complex_reflections",
    "percent_open_questions",
    "change_talk_share",
    "mi_quality_score",
    "eda_synchrony",
    "hr_synchrony",
    "vocal_f0_synchrony",
    "vocal_intensity_synchrony",
    "language_style_matching",
    "therapist_talk_share",
)

#: Trend plots: title -> metric or feedback columns drawn in it.
TREND_METRICS: dict[str, tuple[str, ...]] = {
    "Empathy (EPITOME score, 0-2)": (
        "empathy_emotional_reactions",
        "empathy_interpretations",
        "empathy_explorations",
    ),
    "Reflections per question (MITI: fair 1, good 2)": ("reflection_to_question_ratio",),
    "Complex reflections and open questions (%)": (
        "percent_complex_reflections",
        "percent_open_questions",
    ),
    "Resonance": (
        "eda_synchrony",
        "hr_synchrony",
        "vocal_f0_synchrony",
        "vocal_intensity_synchrony",
        "language_style_matching",
    ),
    "How the client felt (0-10)": (
        "client_session_heard",
        "client_session_understood",
        "client_session_moved",
        "client_session_safe",
    ),
    "Symptoms (PHQ-9, GAD-7)": ("phq9_total", "gad7_total"),
    "How the therapist felt (0-10)": ("therapist_reflection_present", "therapist_reflection_moved"),
}


def _label(name: str) -> str:
    info = METRIC_INFO.get(name)
    return info[0] if info else name.replace("_", " ")


def plot_block(figure: Mapping[str, Any], element_id: str) -> str:
    """A figure (Plotly's JSON form: ``data`` and ``layout``) as a placeholder and a JSON data
    block, drawn by the page's own script."""
    return plot_data_block(json.dumps(figure, ensure_ascii=False, allow_nan=False), element_id)


def beside(metrics: Mapping[str, float | None], feedback: Sequence[Mapping[str, Any]]) -> dict:
    """The session's key measurements and what each person answered, for side-by-side display."""
    measured = []
    for name in BESIDE_METRICS:
        if name in metrics and metrics[name] is not None:
            info = METRIC_INFO.get(name, (name, "float2", ""))
            measured.append(
                {"name": name, "label": info[0], "value": format_metric(metrics[name], info[1])}
            )
    return {"measured": measured, "felt": list(feedback)}


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
