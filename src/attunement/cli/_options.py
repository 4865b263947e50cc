"""What the commands share: the choices, the options that mean the same everywhere, the exit
statuses, and how errors and warnings are shown.

Options that take one of a fixed set of names are choices (enums), so that another value is a
usage error (exit 2) whose message lists the names. The names are written out here rather than
imported, so that the command starts without importing the library; tests/test_cli.py checks
that they are the library's.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from attunement.cli._render import err_console

#: Exit statuses: success, an error in what the user gave (a file, a value the library
#: refused), a usage error (Click's own), some sessions of a batch failed, interrupted.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3
EXIT_INTERRUPTED = 130


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


class ChannelMode(StrEnum):
    """``--channels``: ``attunement.transcribe.recording.CHANNEL_MODES``."""

    auto = "auto"
    split = "split"
    mix = "mix"


class RoleName(StrEnum):
    """``users add --role``: ``attunement.store.models.ROLES``."""

    therapist = "therapist"
    supervisor = "supervisor"
    admin = "admin"


def name(choice: StrEnum | None) -> str | None:
    """The plain string of a choice (None stays None)."""
    return None if choice is None else choice.value


def above(low: float):
    """A callback for an option that must be greater than ``low``: Click's ``min`` includes
    its bound, and a window or step of 0 s is no window or step."""

    def check(value: float | None) -> float | None:
        if value is not None and not value > low:  # NaN too
            raise typer.BadParameter(f"Input should be greater than {low:g}")
        return value

    return check


def warn(text: str) -> None:
    """Show a warning of the command itself, as warnings of the library are shown."""
    err_console.print(f"attunement: warning: {text}", markup=False)


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` while a command runs: one line on stderr."""
    warn(str(message))


def show_error(exc: BaseException) -> None:
    """An error in what the user gave: one line on stderr, no traceback."""
    err_console.print(f"attunement: error: {exc}", markup=False)


# --- options that mean the same in every command --------------------------------------------

Inputs = Annotated[
    list[Path],
    typer.Argument(
        help="Transcript files (VTT, SRT, Otter TXT, text, Rev JSON, CSV, JSON, "
        "AnnoMI CSV) or session.toml manifests.",
        show_default=False,
    ),
]
#: ``analyze``'s inputs: transcripts, manifests, or recordings (transcribed first).
AnalyzeInputs = Annotated[
    list[Path],
    typer.Argument(
        help="Transcript files (VTT, SRT, Otter TXT, text, Rev JSON, CSV, JSON, AnnoMI CSV), "
        "session.toml manifests, or recordings (WAV, FLAC, MP3, M4A, Ogg, MP4/MOV/MKV), "
        "which are transcribed on this machine first; each is one session.",
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
# --- a recording to transcribe (transcribe, analyze) ------------------------------------------

SpeakersOpt = Annotated[
    int | None,
    typer.Option(
        help="A recording: how many people speak (default: estimated from their voices).",
        min=1,
        max=8,
        show_default=False,
    ),
]
NamesOpt = Annotated[
    str | None,
    typer.Option(
        help="A recording: speaker labels in the order they are first heard (or of the files), "
        'e.g. "Dr Lee,Sam" (default: Speaker 1, Speaker 2, ...).',
        show_default=False,
    ),
]
ChannelsOpt = Annotated[
    ChannelMode,
    typer.Option(
        help="A stereo recording: auto (one person per channel when the channels are clearly "
        "separated), split (always one person per channel) or mix (mix and diarize)."
    ),
]
AsrModelOpt = Annotated[
    Path | None,
    typer.Option(
        "--asr-model",
        help="A recording: a faster-whisper model folder on this machine (default: the "
        "packaged Whisper tiny.en). Nothing is downloaded.",
        show_default=False,
    ),
]
LanguageOpt = Annotated[
    str, typer.Option(help="A recording: the language spoken (a code such as en).")
]


def names_list(value: str | None) -> list[str] | None:
    """``--names "A,B"`` as a list."""
    if value is None:
        return None
    return [n.strip() for n in value.split(",")]


#: ``-o/--out``: always an output folder (a command that writes one table takes ``--csv FILE``).
OutDirOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
CoderOpt = Annotated[
    str | None,
    typer.Option(
        "--coder",
        help="Utterance coder: transformer (the default; fine-tuned, about 400 utterances/s on "
        "2 cores), ngram (TF-IDF, about 7 times faster, less accurate) or a folder written by "
        "`attunement train` (default: $ATTUNEMENT_CODER, else transformer).",
        envvar="ATTUNEMENT_CODER",
        show_default=False,
        show_envvar=False,
    ),
]
AnnomiDirOpt = Annotated[
    Path | None,
    typer.Option(
        help="Folder with AnnoMI-simple.csv and AnnoMI-full.csv (default: the vendored "
        "data/annomi).",
        show_default=False,
    ),
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where the web app keeps its database, key and encrypted files "
        "(default: ATTUNEMENT_DATA_DIR or ~/.local/share/attunement).",
        show_default=False,
    ),
]


def coder_config(coder: str | None):
    """AnalysisConfig for --coder, after checking that the coder loads (a clear error early)."""
    from attunement.analysis import AnalysisConfig
    from attunement.coding.loader import resolve_coder

    resolve_coder(coder)
    return AnalysisConfig(coder=coder)


# --- the transformer's fine-tuning (train --transformer, benchmark coding --transformer-cv) -

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


def transformer_config(
    context: int | None, context_heads: str | None, seed: int = 0, context_dropout: float = 0.0
):
    """The shipped transformer coder's fine-tuning, with --context, --context-heads,
    --fine-tune-seed and --context-dropout in place of its own."""
    from dataclasses import replace

    from attunement.training.transformer import HEADS, shipped_config

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
