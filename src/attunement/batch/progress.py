"""Progress of a batch: a rich progress bar on a terminal, plain log lines elsewhere.

The bar shows sessions done of those to do, sessions per second, the time left and the number of
failures; a failed session is printed above it. Without a terminal (a cluster job's log file),
the logger ``attunement.batch.progress`` gets an INFO line at most every :data:`LOG_EVERY_S`
seconds and at the end, and a WARNING per failed session.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["LOG_EVERY_S", "BatchProgress", "format_seconds"]

logger = logging.getLogger(__name__)

#: Seconds between two plain progress lines.
LOG_EVERY_S = 10.0


def format_seconds(seconds: float | None) -> str:
    """``h:mm:ss`` for a duration (``?`` when unknown).

    Examples
    --------
    >>> format_seconds(3725.2), format_seconds(None)
    ('1:02:05', '?')
    """
    if seconds is None:
        return "?"
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("? sessions/s" if speed is None else f"{speed:.1f} sessions/s")


class BatchProgress:
    """Reports sessions done; use as a context manager.

    Parameters
    ----------
    total : int
        Sessions to analyse in this run.
    skipped : int
        Sessions already done (not counted in ``total``).
    enabled : bool, optional
        Force the bar on or off; by default it is shown when ``stream`` is a terminal.
    stream : file, optional
        Where the bar goes (default: standard error).
    clock : callable
        Seconds, for rates and the log interval.

    Examples
    --------
    >>> with BatchProgress(2, enabled=False) as progress:
    ...     progress.advance(ok=True)
    ...     progress.advance(ok=False, label="s2", error="s2.txt: is empty")
    >>> progress.done, progress.failed
    (2, 1)
    """

    def __init__(
        self,
        total: int,
        *,
        skipped: int = 0,
        enabled: bool | None = None,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.skipped = total, skipped
        self.done = self.failed = 0
        self._clock = clock
        stream = stream if stream is not None else sys.stderr
        self._bar: Progress | None = None
        if enabled if enabled is not None else _is_terminal(stream):
            self._bar = Progress(
                TextColumn("[bold]sessions"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[failed]} failed"),
                console=Console(file=stream),
                speed_estimate_period=60,
            )
            self._task = self._bar.add_task("sessions", total=total, failed=0)

    def __enter__(self) -> BatchProgress:
        self._start = self._last_log = self._clock()
        if self._bar is not None:
            self._bar.start()
        else:
            logger.info(
                "sessions to analyse: %d%s",
                self.total,
                f" ({self.skipped} already done)" if self.skipped else "",
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self.total:
            self._log()

    def advance(self, *, ok: bool, label: str = "", error: str | None = None) -> None:
        """Count one session (``label`` and ``error`` name a failure)."""
        self.done += 1
        if not ok:
            self.failed += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, failed=self.failed)
            if not ok:
                self._bar.console.print(f"failed: {label}: {error}", markup=False, highlight=False)
            return
        if not ok:
            logger.warning("failed: %s: %s", label, error)
        if self._clock() - self._last_log >= LOG_EVERY_S:
            self._log()

    def _log(self) -> None:
        now = self._clock()
        self._last_log = now
        elapsed = now - self._start
        rate = self.done / elapsed if elapsed > 0 else None
        left = (self.total - self.done) / rate if rate else None
        logger.info(
            "%d/%d sessions done (%d failed), %s sessions/s, ETA %s",
            self.done,
            self.total,
            self.failed,
            "?" if rate is None else f"{rate:.1f}",
            format_seconds(left),
        )


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
