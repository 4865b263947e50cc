"""Tests of batch progress: a bar on a terminal, log lines elsewhere."""

from __future__ import annotations

import io
import logging

import pytest

import attunement.batch.progress as progress_module
from attunement.batch.progress import BatchProgress, format_seconds


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_every_interval_and_at_the_end(caplog) -> None:
    clock = Clock()
    caplog.set_level(logging.INFO, logger="attunement.batch.progress")
    with BatchProgress(4, skipped=6, enabled=False, clock=clock) as progress:
        clock.now = 1.0
        progress.advance(ok=True)  # too soon for a line
        clock.now = progress_module.LOG_EVERY_S
        progress.advance(ok=False, label="s2", error="s2.txt:3: broken")
        clock.now = 15.0
        progress.advance(ok=True)
        progress.advance(ok=True)
    assert [r.getMessage() for r in caplog.records] == [
        "sessions to analyse: 4 (6 already done)",
        "failed: s2: s2.txt:3: broken",
        "2/4 sessions done (1 failed), 0.2 sessions/s, ETA 0:00:10",
        "4/4 sessions done (1 failed), 0.3 sessions/s, ETA 0:00:00",
    ]
    assert caplog.records[1].levelno == logging.WARNING


def test_a_bar_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    with BatchProgress(3, stream=stream) as progress:
        progress.advance(ok=True)
        progress.advance(ok=False, label="s2", error="s2.txt: is empty")
        progress.advance(ok=True)
    text = stream.getvalue()
    assert "3/3" in text and "sessions/s" in text and "1 failed" in text
    assert "failed: s2: s2.txt: is empty" in text


def test_no_bar_when_not_a_terminal(caplog) -> None:
    stream = io.StringIO()
    caplog.set_level(logging.INFO, logger="attunement.batch.progress")
    with BatchProgress(1, stream=stream) as progress:
        progress.advance(ok=True)
    assert stream.getvalue() == ""
    assert "1/1 sessions done" in caplog.text


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0:00:00"), (61, "0:01:01"), (90061, "25:01:01"), (None, "?")]
)
def test_format_seconds(seconds, text) -> None:
    assert format_seconds(seconds) == text
