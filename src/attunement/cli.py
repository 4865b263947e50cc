"""The ``attunement`` command: a thin shell over the library.

Errors in what the user gave print ``attunement: error: FILE[:LINE]: ...`` on stderr and exit 1;
usage errors exit 2. No traceback is shown for bad input.
"""

from __future__ import annotations

import re
import sys
import warnings
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
    str | None,
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
                format=format,
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


def _analyze_and_write(sessions, out: Path) -> list[Path]:
    from attunement.analysis import analyze_session
    from attunement.report.write import write_outputs

    results = [analyze_session(s) for s in sessions]
    used: set[str] = set()
    reports = []
    for r in results:
        target = out if len(results) == 1 else out / _folder_name(r.session.id, used)
        reports.append(write_outputs(r, target)["report.html"])
    return reports


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
) -> None:
    """Analyse sessions; write report.html, results.json and utterances.csv.

    With several sessions, each gets a sub-folder named by its session id.
    """
    sessions = _read_all(inputs, therapist, client, keep_names, format, encoding)
    for path in _analyze_and_write(sessions, out):
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
