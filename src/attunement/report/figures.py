"""Plotly figures of a session's results (display only: nothing here is a measurement)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from attunement import metrics as registry
from attunement.analysis import SessionResults
from attunement.model import SIGNAL_UNITS, Signal

__all__ = [
    "MOMENT_AXES",
    "ROLE_COLOURS",
    "mentalizing_figure",
    "moments_comparison_figure",
    "moments_curve_figure",
    "moments_timeline_figure",
    "physiology_figure",
    "resonance_figure",
    "resonant_moments",
    "timeline_figure",
    "words_figure",
]

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


_KIND_TITLES = {"eda": "skin conductance", "hr": "heart rate"}


def resonance_figure(results: SessionResults, kind: str) -> go.Figure | None:
    """Both people's signal and the rolling synchrony with its surrogate band (session clock)."""
    if results.resonance is None or kind not in results.resonance.physiology:
        return None
    phys = results.resonance.physiology[kind]
    pair, band = phys.pair, phys.test.band
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        row_heights=[0.55, 0.45],
        subplot_titles=[
            f"Both people's {_KIND_TITLES[kind]} (aligned, {pair.sampling_rate:g} Hz)",
            "Synchrony per window and the chance band"
            + (f" ({phys.headline.spec.label})" if phys.headline is not None else ""),
        ],
    )
    t = (pair.start + np.arange(len(pair.therapist)) / pair.sampling_rate) / 60
    for role, values in (("therapist", pair.therapist), ("client", pair.client)):
        step = max(1, int(np.ceil(len(values) / MAX_POINTS)))
        fig.add_trace(
            go.Scatter(
                x=t[::step],
                y=values[::step],
                mode="lines",
                name=role.capitalize(),
                line=dict(color=ROLE_COLOURS[role], width=1.3),
                legendgroup=role,
            ),
            row=1,
            col=1,
        )
    mid = (pair.start + (band["start_s"] + band["end_s"]) / 2) / 60
    fig.add_trace(
        go.Scatter(
            x=mid,
            y=band["surrogate_high"],
            mode="lines",
            line=dict(width=0),
            showlegend=False,
            hoverinfo="skip",
        ),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=mid,
            y=band["surrogate_low"],
            mode="lines",
            line=dict(width=0),
            fill="tonexty",
            fillcolor="rgba(120,120,120,0.18)",
            name="chance (surrogates, 95%)",
            hoverinfo="skip",
        ),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=mid,
            y=band["observed"],
            mode="lines+markers",
            name="synchrony",
            line=dict(color="#6b3fa0", width=1.6),
            marker=dict(size=4),
            hovertemplate="%{y:.2f} at %{x:.1f} min<extra></extra>",
        ),
        row=2,
        col=1,
    )
    for moment in resonant_moments(results, kind):
        fig.add_vrect(
            x0=moment["start_s"] / 60,
            x1=moment["end_s"] / 60,
            fillcolor="#6b3fa0",
            opacity=0.08,
            line_width=0,
        )
    title = f"Resonance — {_KIND_TITLES[kind]}"
    if results.session.meta.get("simulated_signals"):
        title += " (SIMULATED signals)"
    fig.update_layout(
        **{
            **_LAYOUT,
            "margin": dict(l=60, r=20, t=70, b=80),
            # below the plots: above them it would cover the first subplot's title
            "legend": dict(orientation="h", yanchor="top", y=-0.13, xanchor="left", x=0),
        },
        title=title,
        height=540,
    )
    fig.update_xaxes(title_text="minutes", row=2, col=1)
    fig.update_yaxes(title_text=SIGNAL_UNITS[kind], row=1, col=1)
    fig.update_yaxes(title_text="|z|", row=2, col=1)
    return fig


def resonant_moments(results: SessionResults, kind: str, *, top: int = 3) -> list[dict]:
    """The windows of highest synchrony that also lie above their chance band.

    Returns
    -------
    list of dict
        ``start_s``, ``end_s`` (session clock), ``synchrony``, ``chance_high`` and
        ``utterances`` (rows of the transcript that overlap the window), best first; windows
        that overlap a better one are skipped.
    """
    if results.resonance is None or kind not in results.resonance.physiology:
        return []
    phys = results.resonance.physiology[kind]
    band = phys.test.band.dropna(subset=["observed"])
    band = band[band["observed"] > band["surrogate_high"]]
    chosen: list[dict] = []
    utter = results.utterances
    for row in band.sort_values("observed", ascending=False).itertuples():
        start, end = phys.pair.start + row.start_s, phys.pair.start + row.end_s
        if any(start < c["end_s"] and end > c["start_s"] for c in chosen):
            continue
        u_end = utter["end_s"].fillna(utter["start_s"])
        inside = utter[(utter["start_s"] < end) & (u_end >= start)]
        chosen.append(
            {
                "start_s": start,
                "end_s": end,
                "synchrony": float(row.observed),
                "chance_high": float(row.surrogate_high),
                "utterances": inside.to_dict("records"),
            }
        )
        if len(chosen) == top:
            break
    return chosen


# -- moments of being seen -----------------------------------------------------------------------

#: How the report names each response of the moments, and the axis unit.
MOMENT_AXES: dict[str, str] = {
    "scr_us": "client's skin-conductance response (µS)",
    "hr_change_bpm": "client's heart-rate change (bpm)",
    "words": "words the client said next",
}
_MOMENT_COLOUR = "#b5367a"
_OTHER_COLOUR = "#9aa3ad"


def _evidence_hover(row: dict) -> str:
    reasons = row.get("reasons") or "other utterance"
    reply = _snippet(row.get("response_text") or "(the therapist spoke again)", 120)
    return f"{_snippet(row['text'], 120)}<br><i>{reasons}</i><br>Client: {reply}"


def moments_timeline_figure(results: SessionResults) -> go.Figure | None:
    """The therapist's utterances on the session clock (or in order, untimed), the empathic
    moments marked, each at the height of the client's response after it: the skin-conductance
    response where there is one, else the words said next (None without moments)."""
    seen = results.moments
    if seen is None or seen.table.empty or not seen.table["is_moment"].any():
        return None
    t = seen.table
    column = next((c for c in ("scr_us", "hr_change_bpm") if t[c].notna().sum() >= 2), "words")
    timed = bool(t["start_s"].notna().all())
    x = t["start_s"] / 60 if timed else t["position"] + 1
    fig = go.Figure()
    for moment, name, colour, size in (
        (False, "Other therapist utterances", _OTHER_COLOUR, 6),
        (True, "Empathic moments", _MOMENT_COLOUR, 10),
    ):
        m = (t["is_moment"] == moment).to_numpy()
        rows = t[m].to_dict("records")
        fig.add_trace(
            go.Scatter(
                x=x[m],
                y=t[column][m],
                mode="markers",
                name=name,
                marker=dict(color=colour, size=size, line=dict(width=0)),
                customdata=[[_mmss(r["start_s"]), _evidence_hover(r)] for r in rows],
                hovertemplate="%{customdata[0]} %{y:.2f}<br>%{customdata[1]}<extra></extra>",
            )
        )
    title = "Empathic moments and the client's response"
    if column != "words" and results.session.meta.get("simulated_signals"):
        title += " (SIMULATED signals)"
    fig.update_layout(
        **_LAYOUT,
        title=title,
        height=330,
        xaxis_title="minutes" if timed else "therapist turn",
        yaxis_title=MOMENT_AXES[column],
    )
    return fig


def moments_comparison_figure(results: SessionResults) -> go.Figure | None:
    """Each tested response: the observed difference (moments minus other utterances, as
    Cohen's d) beside the band of the same difference over the shifted moment labels (95%),
    the chance band; None when nothing was testable."""
    seen = results.moments
    if seen is None:
        return None
    rows = []
    for column, metric in registry.MOMENT_RESPONSES.items():
        test = seen.tests.get(column)
        if test is None or test["n_shifts"] == 0 or not np.isfinite(test["effect_size"]):
            continue
        null = test.table["effect_size"].dropna().to_numpy()
        rows.append(
            (
                metric.label,
                float(np.quantile(null, 0.025)),
                float(np.quantile(null, 0.975)),
                float(test["effect_size"]),
                float(test["p_value"]),
            )
        )
    if not rows:
        return None
    labels = [r[0] for r in rows][::-1]
    rows = rows[::-1]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=labels,
            x=[hi - lo for _, lo, hi, _, _ in rows],
            base=[lo for _, lo, _, _, _ in rows],
            orientation="h",
            marker_color="rgba(120,120,120,0.25)",
            name="chance band (shifted moments, 95%)",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            y=labels,
            x=[d for *_, d, _ in rows],
            mode="markers",
            marker=dict(color=_MOMENT_COLOUR, size=11, symbol="diamond"),
            name="after the moments (d)",
            customdata=[p for *_, p in rows],
            hovertemplate="d = %{x:.2f}, p = %{customdata:.3f}<extra></extra>",
        )
    )
    fig.add_vline(x=0, line=dict(color="#666", width=1))
    fig.update_layout(
        **{**_LAYOUT, "margin": dict(l=230, r=20, t=60, b=45)},
        title="After empathic moments vs after the other utterances",
        height=120 + 34 * len(rows),
        xaxis_title="difference, in SDs of the responses (Cohen's d)",
        barmode="overlay",
    )
    return fig


def moments_curve_figure(results: SessionResults) -> go.Figure | None:
    """The client's skin conductance and heart rate around the end of the therapist's
    utterances (relative to the level just before): after the moments, after the other
    utterances, and the band the moments' average reaches over the shifted labels."""
    seen = results.moments
    if seen is None or seen.curves.empty:
        return None
    kinds = [k for k in ("eda", "hr") if (seen.curves["kind"] == k).any()]
    titles = {
        "eda": "Client's skin conductance (µS, from the level before)",
        "hr": "Client's heart rate (bpm, from the level before)",
    }
    fig = make_subplots(
        rows=1, cols=len(kinds), subplot_titles=[titles[k] for k in kinds], shared_yaxes=False
    )
    for col, kind in enumerate(kinds, start=1):
        c = seen.curves[seen.curves["kind"] == kind]
        first = col == 1
        fig.add_trace(
            go.Scatter(
                x=c["offset_s"],
                y=c["chance_high"],
                mode="lines",
                line=dict(width=0),
                showlegend=False,
                hoverinfo="skip",
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=c["offset_s"],
                y=c["chance_low"],
                mode="lines",
                line=dict(width=0),
                fill="tonexty",
                fillcolor="rgba(120,120,120,0.18)",
                name="chance (shifted moments, 95%)",
                showlegend=first,
                hoverinfo="skip",
            ),
            row=1,
            col=col,
        )
        for name, colour, key in (
            ("after the other utterances", _OTHER_COLOUR, "others"),
            ("after the empathic moments", _MOMENT_COLOUR, "moments"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=c["offset_s"],
                    y=c[key],
                    mode="lines",
                    name=name,
                    showlegend=first,
                    line=dict(color=colour, width=2),
                    hovertemplate="%{y:.3f} at %{x:.1f} s<extra></extra>",
                ),
                row=1,
                col=col,
            )
        fig.add_vline(x=0, line=dict(color="#999", dash="dot", width=1), row=1, col=col)
        fig.update_xaxes(title_text="seconds from the end of the utterance", row=1, col=col)
    title = "Time-locked to the end of the therapist's utterances"
    if results.session.meta.get("simulated_signals"):
        title += " (SIMULATED signals)"
    fig.update_layout(
        **{
            **_LAYOUT,
            "margin": dict(l=60, r=20, t=80, b=90),
            "legend": dict(orientation="h", yanchor="top", y=-0.25, xanchor="left", x=0),
        },
        title=title,
        height=400,
    )
    return fig


def mentalizing_figure(results: SessionResults) -> go.Figure | None:
    """The client's mental-state words per 100 words, turn by turn, with a running mean over
    ten turns (weighted by their words); None without client words."""
    found = results.mentalizing
    if found is None or found.table.empty or found["n_words"] == 0:
        return None
    t = found.table[found.table["n_words"] > 0]
    timed = bool(t["start_s"].notna().all())
    x = t["start_s"] / 60 if timed else t["turn"] + 1
    counts = t["mental_states"].rolling(10, min_periods=3, center=True).sum()
    words = t["n_words"].rolling(10, min_periods=3, center=True).sum()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=t["mental_state_rate"],
            mode="markers",
            name="per turn",
            marker=dict(color=ROLE_COLOURS["client"], size=5, opacity=0.5),
            customdata=np.c_[t["n_words"], t["causal_links"]],
            hovertemplate="%{y:.1f} per 100 words (%{customdata[0]} words, "
            "%{customdata[1]} causal links)<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=100 * counts / words,
            mode="lines",
            name="running mean (10 turns)",
            line=dict(color=ROLE_COLOURS["client"], width=2),
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        **_LAYOUT,
        title="Client's words for thoughts, feelings, wishes and beliefs",
        height=300,
        xaxis_title="minutes" if timed else "turn",
        yaxis_title="per 100 words",
    )
    return fig
