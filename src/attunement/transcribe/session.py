"""A session from its recording alone: transcribed on this machine, then read like a transcript.

:func:`read_recording` takes a recording (or one file per person) and
:func:`read_recording_manifest` a ``session.toml`` whose ``[audio]`` has no ``[transcript]``
beside it. Both transcribe (:func:`~attunement.transcribe.recording.transcribe_recording`),
turn the cues into a transcript (:func:`raw_transcript`) and read the session from it with the
readers' own rules (:func:`attunement.io.sessions.session_from_manifest`): roles from
``therapist=`` / ``client=`` (a label such as ``"Speaker 1"``, or a name given in ``names``),
else the stated rule of :func:`attunement.io.roles.guess_therapist`, which the report names;
speakers' names replaced by roles in the text, the session's wearables, and the recording kept
for the prosody analysis on the transcription's own clock.

The recording reaches the prosody analysis as the file itself (Praat reads WAV, FLAC and MP3;
FFmpeg decodes the rest at 16 kHz); several files, one per person, are mixed into one.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path, PurePath

import numpy as np

from attunement.errors import InputError
from attunement.io._common import InMemoryFile, RawTranscript, RawUtterance
from attunement.io.audio import Audio
from attunement.io.manifest import Manifest, RecordingEntry
from attunement.io.recording import SAMPLING_RATE, decode_recording
from attunement.io.sessions import Names, describe_input, session_from_manifest
from attunement.model import Session
from attunement.transcribe.recording import Progress, RecordingTranscript, transcribe_recording

__all__ = [
    "RECORDING_SUFFIXES",
    "is_recording",
    "raw_transcript",
    "read_recording",
    "read_recording_manifest",
]

#: File name endings read as a recording to transcribe (FFmpeg decodes them all).
RECORDING_SUFFIXES = frozenset(
    {
        ".wav",
        ".flac",
        ".mp3",
        ".m4a",
        ".aac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp4",
        ".m4v",
        ".mov",
        ".mkv",
        ".webm",
    }
)

AudioSource = str | os.PathLike[str] | InMemoryFile


def is_recording(path: AudioSource) -> bool:
    """Whether ``path`` is named as an audio or video recording.

    Examples
    --------
    >>> is_recording("week6.M4A"), is_recording("week6.vtt")
    (True, False)
    """
    return PurePath(path.name if isinstance(path, InMemoryFile) else path).suffix.lower() in (
        RECORDING_SUFFIXES
    )


def raw_transcript(result: RecordingTranscript) -> RawTranscript:
    """The cues of a transcribed recording as a transcript, before roles (format
    ``recording``; ``meta["transcription"]`` says how it was made)."""
    utterances = [
        RawUtterance(str(t.speaker), str(t.text), float(t.start), float(t.end))
        for t in result.turns.itertuples(index=False)
    ]
    meta = {
        "transcription": {
            **result.method,
            "n_words": len(result.words),
            "duration_s": round(result.duration_s, 3),
            "mean_word_probability": round(float(result.words["probability"].mean()), 4)
            if len(result.words)
            else None,
        }
    }
    return RawTranscript(utterances, "recording", meta=meta)


def _prosody_audio(sources: Sequence[AudioSource]) -> AudioSource | Audio:
    """What the prosody analysis reads: the recording itself
    (:func:`attunement.io.audio.read_audio` reads it), or several files mixed into one at
    16 kHz, as one microphone in the room would have heard them."""
    if len(sources) == 1:
        return sources[0]
    mixed: np.ndarray | None = None
    for source in sources:
        mono = decode_recording(_path(source)).mono()
        if mixed is None:
            mixed = mono.astype(np.float64)
        else:
            if mono.shape[0] > mixed.shape[0]:
                mixed = np.pad(mixed, (0, mono.shape[0] - mixed.shape[0]))
            mixed[: mono.shape[0]] += mono
        del mono
    np.clip(mixed, -1.0, 1.0, out=mixed)
    return Audio(mixed, float(SAMPLING_RATE))


def _with_audio(session: Session, audio) -> Session:
    return dataclasses.replace(session, meta={**session.meta, "audio": audio})


def read_recording_manifest(
    m: Manifest,
    *,
    therapist: Names = None,
    client: Names = None,
    keep_names: bool = False,
    asr_model: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> tuple[Session, RecordingTranscript]:
    """Transcribe a manifest's ``[audio]`` and read the session it describes.

    Parameters
    ----------
    m : Manifest
        With ``audio`` (a path or an in-memory file); its ``recording`` (how many speakers,
        their names, the therapist and client, language, channels) says how to transcribe.
        A ``[transcript]``, if the manifest has one, is not read.
    therapist, client : str or sequence of str, optional
        Labels (``"Speaker 1"``) or given names, added to the manifest's.
    keep_names : bool
        Keep speaker names (as given in ``names``) instead of role labels.
    asr_model : path-like, optional
        A faster-whisper model folder; default the packaged Whisper tiny.en.
    progress : callable, optional
        ``progress(seconds_done, seconds_total)`` while recognising.

    Returns
    -------
    (Session, RecordingTranscript)

    Raises
    ------
    InputError
        As :func:`~attunement.transcribe.recording.transcribe_recording` and
        :func:`~attunement.io.sessions.session_from_manifest`.
    """
    if m.audio is None:
        raise InputError(
            "has no [audio]; expected a recording to transcribe", path=m.path, field="audio"
        )
    rec = m.recording or RecordingEntry()
    sources = [_path(f) for f in rec.files] if len(rec.files) > 1 else [_path(m.audio)]
    result = transcribe_recording(
        sources if len(sources) > 1 else sources[0],
        speakers=rec.speakers,
        names=list(rec.names) or None,
        asr_model=asr_model,
        language=rec.language,
        channels=rec.channels,
        progress=progress,
    )
    session = session_from_manifest(
        dataclasses.replace(m, recording=rec),
        therapist=therapist,
        client=client,
        keep_names=keep_names,
        transcript=raw_transcript(result),
    )
    if len(sources) > 1:  # the first is described already
        others = [describe_input(src, "recording, transcribed", "recording") for src in sources[1:]]
        inputs = list(session.meta["inputs"])
        session = dataclasses.replace(
            session, meta={**session.meta, "inputs": [*inputs[:1], *others, *inputs[1:]]}
        )
    return _with_audio(session, _prosody_audio(sources)), result


def _path(source: AudioSource) -> Path | InMemoryFile:
    return source if isinstance(source, InMemoryFile) else Path(source)


def read_recording(
    audio: AudioSource | Sequence[AudioSource],
    *,
    therapist: Names = None,
    client: Names = None,
    keep_names: bool = False,
    speakers: int | None = None,
    names: Sequence[str] | None = None,
    asr_model: str | os.PathLike[str] | None = None,
    language: str | None = "en",
    channels: str = "auto",
    progress: Progress | None = None,
    session_id: str | None = None,
) -> tuple[Session, RecordingTranscript]:
    """Transcribe a recording (or one file per person) and read it as a session.

    Parameters are those of :func:`read_recording_manifest` and
    :func:`~attunement.transcribe.recording.transcribe_recording`; ``session_id`` defaults to
    the first file's name (its speakers' names, if given, replaced by their roles).

    Examples
    --------
    >>> read_recording("missing.m4a")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    attunement.errors.InputError: missing.m4a: no such file; expected an audio or video file ...
    """
    sources = [audio] if isinstance(audio, str | os.PathLike | InMemoryFile) else list(audio)
    if not sources:
        raise InputError("no recording given; expected at least one audio file", field="audio")
    first = _path(sources[0])
    m = Manifest(
        path=PurePath(first.name if isinstance(first, InMemoryFile) else os.fspath(first)),
        transcript=None,
        id=session_id,
        audio=first,
        recording=RecordingEntry(
            speakers=speakers,
            names=tuple(names or ()),
            language=language,
            channels=channels,
            files=tuple(_path(x) for x in sources) if len(sources) > 1 else (),
        ),
    )
    return read_recording_manifest(
        m,
        therapist=therapist,
        client=client,
        keep_names=keep_names,
        asr_model=asr_model,
        progress=progress,
    )
