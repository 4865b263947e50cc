"""Render a session's results as one self-contained HTML file that opens offline."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

from attunement.analysis import SessionResults
from attunement.report import figures
from attunement.report.methods import methods_paragraph

__all__ = ["METRIC_INFO", "render_report"]

#: How each metric is shown: label, format, explanation.
METRIC_INFO: dict[str, tuple[str, str, str]] = {
    "therapist_talk_share": (
        "Therapist share of words",
        "percent",
        "Of all words spoken by therapist and client, the share spoken by the therapist.",
    ),
    "therapist_talk_time_share": (
        "Therapist share of speaking time",
        "percent",
        "The same, in seconds of speech.",
    ),
    "n_therapist_utterances": ("Therapist utterances", "int", ""),
    "n_client_utterances": ("Client utterances", "int", ""),
    "n_turns": ("Turns", "int", "Runs of consecutive utterances by one speaker."),
    "mean_therapist_words_per_turn": ("Therapist words per turn", "float1", "Mean."),
    "mean_client_words_per_turn": ("Client words per turn", "float1", "Mean."),
    "median_therapist_response_latency_s": (
        "Therapist response latency",
        "seconds",
        "Median time from the end of the client's turn to the therapist's reply.",
    ),
    "median_client_response_latency_s": (
        "Client response latency",
        "seconds",
        "Median time from the end of the therapist's turn to the client's reply.",
    ),
}


def _format(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "percent":
        return f"{100 * value:.0f}%"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "seconds":
        return f"{value:.1f} s"
    if kind == "float1":
        return f"{value:.1f}"
    return f"{value:.3g}"


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


def render_report(results: SessionResults) -> str:
    """The report as a complete HTML document (Plotly's JavaScript included, nothing fetched).

    Parameters
    ----------
    results : SessionResults

    Returns
    -------
    str
    """
    data = results.to_dict()
    figs = [
        ("timeline", figures.timeline_figure(results)),
        ("physiology", figures.physiology_figure(results)),
        ("words", figures.words_figure(results)),
    ]
    plots = {
        name: pio.to_html(
            fig,
            include_plotlyjs=False,
            full_html=False,
            div_id=f"fig-{name}",
            config={"displaylogo": False, "responsive": True},
        )
        for name, fig in figs
        if fig is not None
    }
    metrics = [
        {
            "name": name,
            "label": info[0],
            "value": _format(data["metrics"].get(name), info[1]),
            "help": info[2],
        }
        for name, info in METRIC_INFO.items()
        if name in data["metrics"]
    ]
    metrics += [
        {"name": name, "label": name.replace("_", " "), "value": _format(value, ""), "help": ""}
        for name, value in data["metrics"].items()
        if name not in METRIC_INFO
    ]
    utter = results.utterances
    rows = [
        {
            "index": int(r.index),
            "speaker": r.speaker,
            "role": r.role,
            "start": r.start_s,
            "text": r.text,
        }
        for r in utter.itertuples(index=False)
    ]
    session = results.session
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            title=f"Session {session.id}",
            data=data,
            session=data["session"],
            meta=session.meta,
            metrics=metrics,
            plots=plots,
            rows=rows,
            timed=bool(utter["start_s"].notna().all()) and not utter.empty,
            methods=methods_paragraph(results),
            plotly_js=get_plotlyjs(),
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            colours=figures.ROLE_COLOURS,
        )
    )
