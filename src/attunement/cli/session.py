"""One session at a time: ``analyze``, ``demo``, ``validate`` and ``code``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from attunement.cli._options import (
    AnalyzeInputs,
    AsrModelOpt,
    ChannelMode,
    ChannelsOpt,
    ClientOpt,
    CoderOpt,
    EncodingOpt,
    FormatOpt,
    Inputs,
    KeepNamesOpt,
    LanguageOpt,
    NamesOpt,
    OutDirOpt,
    SpeakersOpt,
    TherapistOpt,
    coder_config,
    name,
    names_list,
    warn,
)
from attunement.cli._render import out_console


@dataclass(frozen=True)
class RecordingOptions:
    """How ``analyze`` transcribes a recording (``--speakers``, ``--names``, ...)."""

    speakers: int | None = None
    names: list[str] | None = None
    channels: str = "auto"
    asr_model: Path | None = None
    language: str = "en"


def read_all(
    inputs, therapist, client, keep_names, format, encoding, recording=None
) -> list[tuple]:
    """Every session of every input, read with the same options, each with the transcript
    made from its recording (None for a transcript).

    With ``recording`` (a :class:`RecordingOptions`), a recording or a manifest without a
    transcript is transcribed first; without it, either is refused with a message that says
    which command reads it.
    """
    from attunement.errors import InputError
    from attunement.io import read_sessions
    from attunement.io.manifest import read_manifest
    from attunement.io.sessions import session_from_manifest
    from attunement.transcribe.session import is_recording

    options = {"therapist": therapist, "client": client, "keep_names": keep_names}
    sessions: list[tuple] = []
    for path in inputs:
        manifest = read_manifest(path) if path.suffix.lower() == ".toml" else None
        if is_recording(path) or (manifest is not None and manifest.transcript is None):
            if recording is None:
                raise InputError(
                    "is a recording without a transcript; expected a transcript here "
                    "('attunement analyze' transcribes a recording, 'attunement transcribe' "
                    "writes its transcript)",
                    path=path,
                )
            sessions.append(_transcribe(path, manifest, options, recording))
        elif manifest is not None:
            found = session_from_manifest(
                manifest, format=name(format), encoding=encoding, **options
            )
            sessions.append((found, None))
        else:
            sessions.extend(
                (s, None)
                for s in read_sessions(path, format=name(format), encoding=encoding, **options)
            )
    return sessions


def _transcribe(path: Path, manifest, options: dict, recording: RecordingOptions) -> tuple:
    from attunement.cli.transcribe import progress_bar
    from attunement.transcribe.session import read_recording, read_recording_manifest

    with progress_bar() as progress:
        if manifest is not None:
            return read_recording_manifest(
                manifest, asr_model=recording.asr_model, progress=progress, **options
            )
        return read_recording(
            path,
            speakers=recording.speakers,
            names=recording.names,
            asr_model=recording.asr_model,
            language=recording.language,
            channels=recording.channels,
            progress=progress,
            **options,
        )


def _folder_name(session_id: str, used: set[str]) -> str:
    found = re.sub(r"[^\w.-]+", "_", session_id).strip("._") or "session"
    base, i = found, 2
    while found in used:
        found, i = f"{base}_{i}", i + 1
    used.add(found)
    return found


def _transcript_vtt(session) -> str:
    """The transcript a recording gave, as read: role labels, names replaced, its timings."""
    from attunement.transcribe.vtt import to_webvtt

    frame = session.utterances_frame().rename(columns={"start_s": "start", "end_s": "end"})
    return to_webvtt(frame[["speaker", "start", "end", "text"]])


def _analyze_and_write(sessions, out: Path, config=None) -> list[Path]:
    from attunement.analysis import analyze_session
    from attunement.report.write import write_outputs

    results = [(analyze_session(s, config), rec) for s, rec in sessions]
    used: set[str] = set()
    reports = []
    for r, rec in results:
        target = out if len(results) == 1 else out / _folder_name(r.session.id, used)
        extra = None if rec is None else {"transcript.vtt": _transcript_vtt(r.session)}
        reports.append(write_outputs(r, target, extra=extra)["report.html"])
    return reports


def analyze(
    inputs: AnalyzeInputs,
    therapist: TherapistOpt = None,
    client: ClientOpt = None,
    keep_names: KeepNamesOpt = False,
    format: FormatOpt = None,
    encoding: EncodingOpt = None,
    out: OutDirOpt = Path("attunement-results"),
    coder: CoderOpt = None,
    speakers: SpeakersOpt = None,
    names: NamesOpt = None,
    channels: ChannelsOpt = ChannelMode.auto,
    asr_model: AsrModelOpt = None,
    language: LanguageOpt = "en",
) -> None:
    """Analyse sessions; write report.html, results.json and utterances.csv.

    With several sessions, each gets a sub-folder named by its session id. A recording is
    transcribed on this machine first (its transcript.vtt is written too); the therapist is
    the speaker named with --therapist ("Speaker 1", or a name given with --names), else the
    one who says "you" most and "I" least, as the report says.
    """
    given = [
        flag
        for flag, value in (
            ("--speakers", speakers),
            ("--names", names),
            ("--asr-model", asr_model),
            ("--channels", None if channels == ChannelMode.auto else channels),
            ("--language", None if language == "en" else language),
        )
        if value is not None
    ]
    config = coder_config(coder)
    recording = RecordingOptions(
        speakers=speakers,
        names=names_list(names),
        channels=channels.value,
        asr_model=asr_model,
        language=language,
    )
    sessions = read_all(inputs, therapist, client, keep_names, format, encoding, recording)
    if given and all(rec is None for _, rec in sessions):
        raise typer.BadParameter(
            "describes a recording to transcribe; expected a recording (or a manifest without "
            "a transcript) among the inputs",
            param_hint=given[0],
        )
    for path in _analyze_and_write(sessions, out, config):
        out_console.print(f"report: {path}")


def demo(out: OutDirOpt = Path("attunement-demo")) -> None:
    """Analyse the bundled demonstration session and write its report.

    The transcript is a real counselling conversation from AnnoMI (public domain); the wristband
    signals are SIMULATED for demonstration.
    """
    from attunement.demo import demo_manifest

    sessions = read_all([demo_manifest()], None, None, False, None, None)
    (report,) = _analyze_and_write(sessions, out)
    out_console.print(
        "Demo session: a real counselling conversation from AnnoMI (public domain) with "
        "SIMULATED wristband signals."
    )
    out_console.print(f"report: {report.resolve()}")
    out_console.print(f"Open it in a browser, e.g. xdg-open {report}")


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

    sessions = [s for s, _ in read_all(inputs, therapist, client, keep_names, format, encoding)]
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


def code(
    transcript: Annotated[
        Path, typer.Argument(help="A transcript file or session.toml manifest.", show_default=False)
    ],
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="CSV to write (default: TRANSCRIPT-codes.csv here).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Deprecated: the CSV to write, as --csv (-o/--out names a folder in every "
            "other command).",
            show_default=False,
            hidden=True,
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

    from attunement.coding import code_utterances, resolve_coder
    from attunement.outfiles import atomic_write, check_output_file
    from attunement.report.csvsafe import safe_csv

    field = "--csv"
    if out is not None:
        if csv is not None:
            raise typer.BadParameter(
                "is the deprecated form of --csv; expected --csv only", param_hint="--out"
            )
        warn(
            "code -o/--out FILE is deprecated and goes in the next release; use --csv FILE "
            "(-o/--out names a folder in every other command)"
        )
        csv, field = out, "--out"
    target = csv if csv is not None else Path(f"{transcript.stem}-codes.csv")
    check_output_file(target, field=field)
    model = resolve_coder(coder)
    sessions = [
        s for s, _ in read_all([transcript], therapist, client, keep_names, format, encoding)
    ]
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
