"""Plotly figures of a session's results (display only: nothing here is a measurement)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from attunement.analysis import SessionResults
from attunement.model import Signal

__all__ = ["ROLE_COLOURS", "physiology_figure", "timeline_figure", "words_figure"]

ROLE_COLOURS = {"therapist": "#2563a8", "client": "#c2571a", "other": "#7a7a7a"}
_LAYOUT = dict(
    template="plotly_white",
    margin=dict(l=60, r=20, t=50, b=45),
    font=dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13),
    legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1),
)
#: Points per trace above which a signal is averaged into blocks for display.
MAX_POINTS = 4000


def _snippet(text: str, n: int = 140) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def timeline_figure(results: SessionResults) -> go.Figure | None:
    """Who spoke when: one bar per turn on the session clock (None without timing)."""
    t = results.turns
    if t.empty or t["start_s"].isna().any():
        return None
    start = t["start_s"].to_numpy(float)
    end = t["end_s"].to_numpy(float)
    # Sources without end times: draw each turn up to the next one (display only, capped at 60 s).
    next_start = np.r_[start[1:], start[-1] + 5.0]
    end = np.where(np.isnan(end), np.minimum(next_start, start + 60.0), end)
    width = np.maximum(end - start, 0.5)
    fig = go.Figure()
    for role in ("therapist", "client", "other"):
        m = (t["role"] == role).to_numpy()
        if not m.any():
            continue
        fig.add_trace(
            go.Bar(
                x=width[m] / 60,
                base=start[m] / 60,
                y=t["speaker"][m],
                orientation="h",
                name=role.capitalize(),
                marker_color=ROLE_COLOURS[role],
                customdata=np.c_[[_mmss(s) for s in start[m]], [_snippet(x) for x in t["text"][m]]],
                hovertemplate="%{y} at %{customdata[0]}<br>%{customdata[1]}<extra></extra>",
            )
        )
    fig.update_layout(
        **_LAYOUT,
        title="Who spoke when",
        barmode="overlay",
        height=140 + 40 * t["speaker"].nunique(),
        xaxis_title="minutes",
        bargap=0.3,
    )
    return fig


def words_figure(results: SessionResults) -> go.Figure | None:
    """Words per turn through the session."""
    t = results.turns
    if t.empty:
        return None
    timed = not t["start_s"].isna().any()
    x = t["start_s"] / 60 if timed else t["turn"] + 1
    # Bars a little wider than a turn's share of the axis, so short turns stay visible.
    width = max(float(x.max() - x.min()) / 250, 0.8 if not timed else 0.02) if len(t) > 1 else 1
    fig = go.Figure()
    for role in ("therapist", "client", "other"):
        m = t["role"] == role
        if not m.any():
            continue
        fig.add_trace(
            go.Bar(
                x=x[m],
                y=t["n_words"][m],
                width=width,
                name=role.capitalize(),
                marker_color=ROLE_COLOURS[role],
                customdata=[_snippet(s) for s in t["text"][m]],
                hovertemplate="%{y} words<br>%{customdata}<extra></extra>",
            )
        )
    fig.update_layout(
        **_LAYOUT,
        title="Words per turn",
        barmode="overlay",
        height=300,
        xaxis_title="minutes" if timed else "turn",
        yaxis_title="words",
    )
    return fig


def _display_series(sig: Signal) -> tuple[np.ndarray, np.ndarray]:
    t = sig.time_axis()
    v = sig.values if sig.values.ndim == 1 else np.linalg.norm(sig.values, axis=1)
    if len(v) > MAX_POINTS:
        k = int(np.ceil(len(v) / MAX_POINTS))
        n = len(v) // k * k
        t = t[:n].reshape(-1, k).mean(axis=1)
        v = np.nanmean(v[:n].reshape(-1, k), axis=1) if n else v[:0]
    return t, v


_TITLES = {"eda": "Skin conductance (EDA)", "hr": "Heart rate", "temp": "Skin temperature"}


def physiology_figure(results: SessionResults) -> go.Figure | None:
    """Both people's EDA, heart rate and skin temperature on the session clock."""
    session = results.session
    kinds = [k for k in ("eda", "hr", "temp") if any(s.kind == k for s in session.signals)]
    if not kinds:
        return None
    fig = make_subplots(
        rows=len(kinds),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=[_TITLES[k] for k in kinds],
    )
    shown: set[str] = set()
    for row, kind in enumerate(kinds, start=1):
        unit = ""
        for sig in session.signals:
            if sig.kind != kind or not len(sig):
                continue
            unit = sig.unit
            t, v = _display_series(sig)
            fig.add_trace(
                go.Scatter(
                    x=t / 60,
                    y=v,
                    mode="lines",
                    name=sig.role.capitalize(),
                    legendgroup=sig.role,
                    showlegend=sig.role not in shown,
                    line=dict(color=ROLE_COLOURS[sig.role], width=1.4),
                    hovertemplate=f"%{{y:.2f}} {unit}<extra>{sig.role}</extra>",
                ),
                row=row,
                col=1,
            )
            shown.add(sig.role)
        fig.update_yaxes(title_text=unit, row=row, col=1)
    for event in session.meta.get("events", []):
        fig.add_vline(x=event["time_s"] / 60, line=dict(color="#999", dash="dot", width=1))
    title = "Physiology"
    if session.meta.get("simulated_signals"):
        title += " — SIMULATED wristband data, not a real recording"
    fig.update_layout(
        **{**_LAYOUT, "margin": dict(l=60, r=20, t=80, b=45)},
        title=title,
        height=190 * len(kinds) + 110,
    )
    fig.update_xaxes(title_text="minutes", row=len(kinds), col=1)
    return fig


def _mmss(seconds: float) -> str:
    if seconds is None or not np.isfinite(seconds):
        return ""
    sign = "-" if seconds < 0 else ""
    s = round(abs(float(seconds)))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{s:02d}" if h else f"{sign}{m}:{s:02d}"


def clock(seconds: float | None) -> str:
    """Format seconds as m:ss or h:mm:ss for display ('' when missing)."""
    if seconds is None or pd.isna(seconds):
        return ""
    return _mmss(float(seconds))
