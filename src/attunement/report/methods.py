"""The methods paragraph a report prints, written from the results' provenance."""

from __future__ import annotations

from attunement.analysis import SessionResults

__all__ = ["methods_paragraph"]

_FORMAT_NAMES = {
    "vtt": "WebVTT captions",
    "srt": "SubRip captions",
    "otter": "an Otter.ai text export",
    "zoom_captions": "Zoom's saved closed captions",
    "text": "a plain-text transcript",
    "rev": "a Rev JSON transcript",
    "csv": "a CSV transcript",
    "json": "a JSON transcript",
    "annomi": "the AnnoMI corpus (Wu et al., 2022)",
    "recording": "the session's recording, transcribed on this computer",
}
_SPEAKER_SOURCES = {
    "files": "each file being one person",
    "channels": "each stereo channel being one person",
    "diarized": "the speakers told apart by their voices (voice embeddings, spectral clustering)",
    "one speaker": "one speaker",
}


def methods_paragraph(results: SessionResults) -> str:
    """A paragraph describing what was read and how it was measured.

    Examples
    --------
    >>> from attunement.analysis import analyze_session
    >>> from attunement.model import Session, Utterance
    >>> s = Session("s", (Utterance(0, "Therapist", "therapist", None, None, "Hello."),
    ...                   Utterance(1, "Client", "client", None, None, "Hi.")))
    >>> methods_paragraph(analyze_session(s)).startswith("The session was analysed with")
    True
    """
    p = results.provenance
    session = results.session
    parts = [f"The session was analysed with attunement {p['attunement_version']}."]
    fmt = session.meta.get("source_format")
    if fmt:
        parts.append(
            f"The transcript ({len(session.utterances)} utterances) was read from "
            f"{_FORMAT_NAMES.get(fmt, fmt)}."
        )
    made = session.meta.get("transcription")
    if made:
        asr = made.get("asr", {})
        count = "their number estimated" if made.get("speakers_estimated") else "their number given"
        parts.append(
            f"It was transcribed by {asr.get('engine', 'faster-whisper')} with "
            f"{asr.get('model', 'Whisper')} ({made.get('n_words', 0)} words), "
            f"{_SPEAKER_SOURCES.get(made.get('speaker_source'), 'speakers as found')}"
            + (f", {count}" if made.get("speaker_source") == "diarized" else "")
            + "; automatic transcripts hold errors that the codes below inherit."
        )
    guessed = session.meta.get("roles_guessed")
    if guessed:
        parts.append(
            f"The speakers were only numbered, so {guessed['rule']}: "
            f"{guessed['therapist_as_written']}."
        )
    if not p.get("names_kept"):
        parts.append(
            "Speaker names were replaced by their roles when the transcript was read, and "
            "capitalised parts of those names were replaced inside the utterances."
        )
    if session.signals:
        kinds = sorted({s.kind.upper() for s in session.signals})
        simulated = (
            " (simulated, for demonstration)" if session.meta.get("simulated_signals") else ""
        )
        parts.append(
            f"Wearable signals{simulated} ({', '.join(kinds)}) were placed on the session clock "
            "from each device's own start time."
        )
    for method in p.get("methods", []):
        parts.append(method["description"])
        if method.get("citation"):
            parts.append(f"({method['citation']})")
    return " ".join(parts)
