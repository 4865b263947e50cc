"""Assemble :class:`~attunement.model.Session` objects from transcripts and manifests."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from attunement.errors import AttunementWarning, InputError
from attunement.io._common import InMemoryFile, RawTranscript, source_name
from attunement.io.manifest import Manifest, read_manifest, read_wearables, wearable_format
from attunement.io.roles import assign_roles, guess_therapist, scrub_identifier
from attunement.io.transcripts import read_transcripts
from attunement.model import Session, Signal

__all__ = [
    "MAX_SESSION_UTTERANCES",
    "MAX_SESSION_WORDS",
    "describe_input",
    "read_session",
    "read_sessions",
    "session_from_manifest",
]

Names = str | Sequence[str] | None

#: Largest session read (utterances, words): about 30 hours of conversation. A one-hour session
#: holds some 150 to 800 utterances and 6,000 to 10,000 words; analysing one at these caps takes
#: about a minute and under 2 GB. A larger "session" is a corpus in one file or not a transcript.
MAX_SESSION_UTTERANCES = 20_000
MAX_SESSION_WORDS = 300_000


def _check_session(
    utterances: Sequence[Any],
    speakers: dict[str, str],
    *,
    path: Path | InMemoryFile,
    session_id: str,
) -> None:
    """Refuse what cannot be analysed: a session without both people, or one far too long."""
    roles = set(speakers.values())
    for needed in ("therapist", "client"):
        if needed not in roles:
            found = ", ".join(f"{label!r} as {role}" for label, role in speakers.items())
            raise InputError(
                f"session {session_id!r} has no {needed} utterance (speakers: {found or 'none'}); "
                f"expected both a therapist and a client (name the {needed}'s label with "
                f"--{needed} NAME, or {needed} = in the manifest)",
                path=path,
            )
    words = sum(u.n_words for u in utterances)
    if len(utterances) > MAX_SESSION_UTTERANCES or words > MAX_SESSION_WORDS:
        raise InputError(
            f"session {session_id!r} holds {len(utterances):,} utterances and {words:,} words; "
            f"expected at most {MAX_SESSION_UTTERANCES:,} utterances and {MAX_SESSION_WORDS:,} "
            "words (about 30 hours of conversation; a one-hour session holds well under 1,000 "
            "utterances): split the file into sessions",
            path=path,
        )


def _sha256(path: Path | InMemoryFile) -> str | None:
    if isinstance(path, InMemoryFile):
        return hashlib.sha256(path.data).hexdigest()
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_input(
    path: Path | InMemoryFile, kind: str, fmt: str | None, **extra: Any
) -> dict[str, Any]:
    """The ``meta["inputs"]`` entry of one file: its name, kind, format and SHA-256."""
    return {"file": path.name, "kind": kind, "format": fmt, "sha256": _sha256(path), **extra}


def _merge(first: Names, second: Sequence[str]) -> list[str]:
    names = [first] if isinstance(first, str) else list(first or [])
    return names + [n for n in second if n not in names]


def _build(
    raw: RawTranscript,
    *,
    session_id: str,
    transcript_path: Path | InMemoryFile,
    therapist: Names,
    client: Names,
    keep_names: bool,
    signals: tuple[Signal, ...] = (),
    meta: dict[str, Any] | None = None,
    id_from_file: bool = True,
    transcript_kind: str = "transcript",
) -> Session:
    guessed = None
    if not therapist and not client:
        guessed = guess_therapist(raw)
        if guessed is not None:
            therapist = [guessed["therapist"]]
    utterances, speakers = assign_roles(
        raw, therapist=therapist, client=client, keep_names=keep_names, path=str(transcript_path)
    )
    if id_from_file and not keep_names:  # a file name often holds the client's name
        labels = {r.speaker: u.speaker for r, u in zip(raw.utterances, utterances, strict=True)}
        session_id = scrub_identifier(session_id, labels)
    _check_session(utterances, speakers, path=transcript_path, session_id=session_id)
    inputs = [describe_input(transcript_path, transcript_kind, raw.format)]
    full_meta: dict[str, Any] = {"source_format": raw.format, **raw.meta, **(meta or {})}
    if guessed is not None:
        first = {r.speaker: u.speaker for r, u in zip(raw.utterances, utterances, strict=True)}
        full_meta["roles_guessed"] = {
            "rule": guessed["rule"],
            "therapist": first[guessed["therapist"]],
            "therapist_as_written": guessed["therapist"],
            "other_as_written": next(k for k in guessed["scores"] if k != guessed["therapist"]),
            "scores": {first[k]: v for k, v in guessed["scores"].items()},
            "margin": guessed["margin"],
        }
        warnings.warn(
            f"{source_name(transcript_path)}: the speakers are only numbered, so "
            f"{guessed['rule']}: {guessed['therapist']!r}; if that is wrong, name the "
            f"therapist with --therapist {full_meta['roles_guessed']['other_as_written']!r}",
            AttunementWarning,
            stacklevel=3,
        )
    full_meta["inputs"] = inputs + list(full_meta.get("inputs", []))
    full_meta["speakers"] = speakers
    full_meta["names_kept"] = keep_names
    return Session(session_id, utterances, signals, {}, full_meta)


def read_sessions(
    path: str | os.PathLike[str],
    *,
    therapist: Names = None,
    client: Names = None,
    keep_names: bool = False,
    format: str | None = None,
    encoding: str | None = None,
) -> Iterator[Session]:
    """Read every session in a transcript file or session manifest.

    A corpus file (an AnnoMI-style CSV) yields one session per transcript; any other transcript
    or a ``session.toml`` manifest yields one.

    Parameters
    ----------
    path : path-like
        A transcript (VTT, SRT, Otter TXT, plain text, Rev JSON, CSV/JSON, AnnoMI CSV) or a
        ``.toml`` session manifest.
    therapist, client : str or sequence of str, optional
        Speaker names as written in the transcript (added to those a manifest names).
    keep_names : bool
        Keep speaker names instead of replacing them with role labels.
    format : str, optional
        Force a transcript format (see ``attunement.io.transcripts.FORMATS``).
    encoding : str, optional
        Force the transcript's text encoding.

    Yields
    ------
    Session

    Raises
    ------
    InputError
        For anything wrong with the files, naming the file and line.
    """
    p = Path(path)
    if p.suffix.lower() == ".toml":
        yield _from_manifest(p, therapist, client, keep_names, format, encoding)
        return
    raws = read_transcripts(p, format=format, encoding=encoding)
    seen: set[str] = set()
    for raw in raws:
        sid = p.stem if len(raws) == 1 and raw.id is None else f"{p.stem}-{raw.id}"
        if sid in seen:
            raise InputError(
                f"holds two transcripts with id {raw.id!r}; expected unique ids", path=p
            )
        seen.add(sid)
        yield _build(
            raw,
            session_id=sid,
            transcript_path=p,
            therapist=therapist,
            client=client,
            keep_names=keep_names,
        )


def read_session(
    path: str | os.PathLike[str],
    *,
    therapist: Names = None,
    client: Names = None,
    keep_names: bool = False,
    format: str | None = None,
    encoding: str | None = None,
) -> Session:
    """Read one session; parameters as :func:`read_sessions`.

    Raises
    ------
    InputError
        Also when the file holds several sessions (use :func:`read_sessions`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "s.txt").write_text("Therapist: How was your week?\\nClient: Long.\\n")
    >>> s = read_session(d / "s.txt")
    >>> [(u.speaker, u.text) for u in s.utterances]
    [('Therapist', 'How was your week?'), ('Client', 'Long.')]
    """
    sessions = read_sessions(
        path,
        therapist=therapist,
        client=client,
        keep_names=keep_names,
        format=format,
        encoding=encoding,
    )
    first = next(sessions)
    second = next(sessions, None)
    if second is not None:
        rest = sum(1 for _ in sessions)
        raise InputError(
            f"holds {rest + 2} sessions; expected one (read them with read_sessions, or "
            "'attunement analyze' writes one folder per session)",
            path=path,
        )
    return first


def _from_manifest(
    path: Path,
    therapist: Names,
    client: Names,
    keep_names: bool,
    format: str | None,
    encoding: str | None,
) -> Session:
    return session_from_manifest(
        read_manifest(path),
        therapist=therapist,
        client=client,
        keep_names=keep_names,
        format=format,
        encoding=encoding,
    )


def session_from_manifest(
    m: Manifest,
    *,
    therapist: Names = None,
    client: Names = None,
    keep_names: bool = False,
    format: str | None = None,
    encoding: str | None = None,
    transcript: RawTranscript | None = None,
) -> Session:
    """Read the session a :class:`~attunement.io.manifest.Manifest` describes.

    Its files may be paths or :class:`~attunement.io._common.InMemoryFile` bytes (nothing is
    then written anywhere); other parameters as :func:`read_sessions`.

    ``transcript`` is the session's transcript when it was made from its recording
    (:func:`attunement.transcribe.session.read_recording_manifest` does that for a manifest
    without ``[transcript]``); the manifest's own ``[transcript]``, if any, is then not read.

    Raises
    ------
    InputError
        As :func:`read_sessions`; and for a manifest without ``[transcript]`` when no
        ``transcript`` is given.
    """
    path = m.path
    t = m.transcript
    if transcript is not None:
        raws = [transcript]
        therapist_names = _merge(therapist, m.recording.therapist if m.recording else ())
        client_names = _merge(client, m.recording.client if m.recording else ())
        source, kind = m.audio if m.audio is not None else path, "recording, transcribed"
    elif t is None:
        raise InputError(
            "has no [transcript]; expected one, or its [audio] recording transcribed first "
            "('attunement analyze' does that, with pip install 'attunement[recordings]')",
            path=path,
            field="transcript",
        )
    else:
        raws = read_transcripts(t.path, format=format or t.format, encoding=encoding or t.encoding)
        therapist_names, client_names = _merge(therapist, t.therapist), _merge(client, t.client)
        source, kind = t.path, "transcript"
        if len(raws) != 1:
            raise InputError(
                f"names a transcript file with {len(raws)} sessions; expected one",
                path=path,
                field="transcript.path",
            )
    signals, events, origin = read_wearables(m)
    inputs = [
        describe_input(
            w.path,
            f"{w.role} wearable",
            wearable_format(w.path, w.format),
            simulated=w.simulated,
        )
        for w in m.wearables
    ]
    if m.audio is not None and transcript is None:
        inputs.append(describe_input(m.audio, "audio", m.audio.suffix.lstrip(".").lower() or None))
    manifest = (
        [describe_input(path, "manifest", "toml")]
        if isinstance(path, Path) and path.is_file()
        else []
    )
    meta: dict[str, Any] = {
        "inputs": [*manifest, *inputs],
        "events": events,
        "clock_origin": None
        if origin is None
        else dt.datetime.fromtimestamp(origin, tz=dt.UTC).isoformat(timespec="milliseconds"),
        "audio": m.audio if isinstance(m.audio, InMemoryFile | None) else str(m.audio),
        "simulated_signals": any(w.simulated for w in m.wearables),
    }
    sid = m.id or (path.parent.name if path.stem == "session" and path.parent.name else path.stem)
    id_from_file = m.id is None
    return _build(
        raws[0],
        session_id=sid,
        transcript_path=source,
        therapist=therapist_names,
        client=client_names,
        keep_names=keep_names or m.keep_names,
        signals=signals,
        meta=meta,
        id_from_file=id_from_file,
        transcript_kind=kind,
    )
