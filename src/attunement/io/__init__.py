"""Readers: one per format, each turning a file into the core model and validating it."""

from attunement.io.sessions import read_session, read_sessions

__all__ = ["read_session", "read_sessions"]
