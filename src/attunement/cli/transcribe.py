"""``transcribe``: a recording in, a WebVTT transcript with speakers out; and
``benchmark transcribe``.

Registered in the ``attunement`` app as ``app.command()(transcribe.transcribe)`` and
``benchmark.app.command("transcribe")(transcribe.benchmark_transcribe)``.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from attunement.cli._options import (
    AsrModelOpt,
    ChannelMode,
    ChannelsOpt,
    LanguageOpt,
    NamesOpt,
    SpeakersOpt,
    names_list,
)
from attunement.cli._render import err_console, out_console, print_frame

#: Show a progress bar for recordings at least this long (s).
PROGRESS_FROM_S = 120.0


@contextmanager
def progress_bar():
    """A callback ``progress(done_s, total_s)`` drawing a bar on stderr for long recordings
    (on a terminal only), and removing it at the end."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("transcribing"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    task = None

    def progress(done: float, total: float) -> None:
        nonlocal task
        if total < PROGRESS_FROM_S or not err_console.is_terminal:
            return
        if task is None:
            bar.start()
            task = bar.add_task("transcribing", total=total)
        bar.update(task, completed=done)

    try:
        yield progress
    finally:
        if task is not None:
            bar.stop()


def transcribe(
    audio: Annotated[
        list[Path],
        typer.Argument(
            help="The recording (WAV, FLAC, MP3, M4A, Ogg, or an MP4/MOV/MKV video), or one "
            "file per person (each file is one speaker, in the order given).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="The WebVTT transcript to write (default: the first recording's name with "
            ".vtt); its words and their timings go beside it in NAME.words.json.",
            show_default=False,
        ),
    ] = None,
    speakers: SpeakersOpt = None,
    names: NamesOpt = None,
    channels: ChannelsOpt = ChannelMode.auto,
    asr_model: AsrModelOpt = None,
    language: LanguageOpt = "en",
) -> None:
    """Transcribe a session's recording on this machine: a WebVTT transcript with who spoke
    each part, which `analyze` reads (name the therapist with --names or --therapist)."""
    from attunement.errors import InputError
    from attunement.outfiles import check_output_file
    from attunement.transcribe import sidecar_path, transcribe_recording, write_transcript

    target = out if out is not None else audio[0].with_suffix(".vtt")
    check_output_file(target, field="--out")
    check_output_file(sidecar_path(target), field="--out")
    resolved = {p.resolve() for p in audio}
    for p in (target, sidecar_path(target)):
        if p.resolve() in resolved:
            raise InputError("is also an input; expected a new file name", path=p, field="--out")

    with progress_bar() as progress:
        result = transcribe_recording(
            audio if len(audio) > 1 else audio[0],
            speakers=speakers,
            asr_model=asr_model,
            language=language,
            channels=channels.value,
            names=names_list(names),
            progress=progress,
        )
    vtt, words = write_transcript(result, target)
    how = {
        "files": "one per file",
        "channels": "one per channel",
        "diarized": "estimated from the voices" if result.method["speakers_estimated"] else "given",
        "one speaker": "given",
    }[result.method["speaker_source"]]
    out_console.print(
        f"transcript: {vtt}  ({len(result.turns)} cues, {len(result.words)} words, "
        f"{len(result.speakers)} speakers {how}, {result.duration_s / 60:.1f} min)",
        markup=False,
    )
    out_console.print(f"words: {words}", markup=False)


def benchmark_transcribe(
    speakers: Annotated[
        int | None,
        typer.Option(
            help="Give attunement the number of speakers (default: it estimates it).", min=1
        ),
    ] = None,
    repeat: Annotated[
        int,
        typer.Option(
            help="Repeat each dialogue's script this many times (longer recordings).", min=1
        ),
    ] = 1,
    wav: Annotated[
        Path | None,
        typer.Option(
            help="Also a real recording, with --rttm its reference of who spoke when (e.g. "
            "pyannote.audio's MIT-licensed sample.wav and sample.rttm): DER and words to the "
            "right person.",
            show_default=False,
        ),
    ] = None,
    rttm: Annotated[
        Path | None,
        typer.Option(help="The RTTM reference of --wav.", show_default=False),
    ] = None,
) -> None:
    """Word error rate, words given to the right person, diarization error rate and real-time
    factor on two-voice espeak-ng dialogues, beside faster-whisper called directly."""
    from attunement.benchmarks.transcribe import run_real_benchmark, run_transcribe_benchmark

    if (wav is None) != (rttm is None):
        raise typer.BadParameter("and --rttm go together", param_hint="--wav")
    for given, hint in ((wav, "--wav"), (rttm, "--rttm")):
        if given is not None and not given.is_file():
            raise typer.BadParameter(f"{given} is not a file", param_hint=hint)

    def say(text: str) -> None:
        err_console.print(text, style="dim", markup=False)

    table, info = run_transcribe_benchmark(speakers=speakers, repeat=repeat, progress=say)
    print_frame(
        table,
        title=f"transcribe benchmark ({os.cpu_count()} CPU cores; peer: faster-whisper "
        "directly, no speakers)",
    )
    out_console.print(
        f"peak memory: attunement {info['peak_rss_mb']:.0f} MB, faster-whisper "
        f"{info['peer_peak_rss_mb']:.0f} MB",
        markup=False,
    )
    if wav is not None:
        say(f"a real recording: {wav.name}")
        print_frame(
            run_real_benchmark(wav, rttm, speakers=speakers),
            title=f"who spoke when in {wav.name} against {rttm.name}",
        )
