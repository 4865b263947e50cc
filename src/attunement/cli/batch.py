"""``batch``: many sessions into two Parquet tables, locally or on a Dask cluster."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Annotated

import typer

from attunement.cli._options import (
    EXIT_SOME_FAILED,
    ClientOpt,
    CoderOpt,
    EncodingOpt,
    EngineName,
    FormatOpt,
    KeepNamesOpt,
    OutDirOpt,
    TherapistOpt,
    coder_config,
    name,
)
from attunement.cli._render import out_console


@contextmanager
def _progress_on_stderr():
    """The batch's progress log as ``attunement: ...`` lines on stderr while it runs."""
    import logging

    log = logging.getLogger("attunement.batch")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("attunement: %(message)s"))
    level, propagate = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        log.propagate = propagate


def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Transcripts, session.toml manifests, corpus files (AnnoMI CSV), folders, "
            "glob patterns such as 'corpus/**/*.vtt', or @FILE listing them one per line.",
            show_default=False,
        ),
    ],
    out: OutDirOpt,
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
            min=0,
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
    from attunement.batch import run_batch

    config = coder_config(coder)
    with _progress_on_stderr():
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
            format=name(format),
            encoding=encoding,
            pseudo_partners=pseudo_partners,
            config=config,
        )
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
