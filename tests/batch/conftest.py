"""Fixtures of the batch tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_fixture import write_corpus

import attunement.batch._setup as setup


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def setup_hooks(monkeypatch: pytest.MonkeyPatch):
    """Set the worker set-up functions for one test."""

    def use(*hooks):
        monkeypatch.setattr(setup, "_SETUP_HOOKS", list(hooks))

    return use
