"""The ``attunement`` command: a thin shell over the library.

Errors in what the user gave print ``attunement: error: FILE[:LINE]: ...`` on stderr and exit 1;
usage errors exit 2. No traceback is shown for bad input.

One module per group of commands, each command parsing its options, making one call into the
library and showing what came back:

- :mod:`~attunement.cli.session`: ``analyze``, ``demo``, ``validate``, ``code``;
- :mod:`~attunement.cli.batch`: ``batch``;
- :mod:`~attunement.cli.sync`: ``sync``;
- :mod:`~attunement.cli.train`: ``train``;
- :mod:`~attunement.cli.web`: ``serve``, ``users ...``, ``audit ...``;
- :mod:`~attunement.cli.benchmark`: ``benchmark ...``;
- :mod:`~attunement.cli._options`: the choices and options they share, exit statuses, errors
  and warnings.
"""

from __future__ import annotations

import sys
import warnings
from typing import Annotated

import typer

from attunement import __version__
from attunement.cli import batch, benchmark, session, sync, train, transcribe, web
from attunement.cli._options import EXIT_ERROR, EXIT_INTERRUPTED, show_error, show_warning
from attunement.cli._render import err_console, out_console
from attunement.errors import AttunementError

__all__ = ["app", "main"]

app = typer.Typer(
    name="attunement",
    help="Empathy and therapist-client resonance in psychotherapy sessions, on your own machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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


# In the order `attunement --help` lists them.
for _command in (
    session.analyze,
    session.demo,
    session.validate,
    batch.batch,
    sync.sync,
    session.code,
    transcribe.transcribe,
    train.train,
    web.serve,
):
    app.command()(_command)
del _command
benchmark.app.command("transcribe")(transcribe.benchmark_transcribe)
app.add_typer(benchmark.app, name="benchmark")
app.add_typer(web.users_app, name="users")
app.add_typer(web.audit_app, name="audit")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``attunement`` console script."""
    warnings.showwarning = show_warning
    try:
        app(args=argv, prog_name="attunement")
    except AttunementError as exc:
        show_error(exc)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        err_console.print("attunement: interrupted", markup=False)
        sys.exit(EXIT_INTERRUPTED)
