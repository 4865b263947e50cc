"""Session audio: a WAV file (or any sound file Praat reads: AIFF, FLAC, MP3, NIST, ...), or a
recording Praat does not read (M4A/AAC, Ogg/Opus, the sound of an MP4/MOV/MKV/WebM video),
decoded to 16 kHz by FFmpeg (:mod:`attunement.io.recording`, with the ``recordings`` extra).

The file is read by Praat through praat-parselmouth, so the samples seen here are exactly the ones
the prosody measurements analyse. Praat recognises a sound file by its content, not its name: a
text file renamed ``.wav`` is refused, while an MP3 renamed ``.wav`` is read as the MP3 it is.

Decisions:

* A file Praat can only read by filling missing samples with zeros (a WAV cut off mid-way, whose
  header promises more samples than the file holds) is refused as truncated: zeros would be read
  as silence and bias every measure of voicing and loudness.
* Several channels are averaged into one (as Praat's *Convert to mono*) unless ``channel`` picks
  one, e.g. when each person was recorded on their own channel.
* Samples are float64 in Praat's scale (full scale = ±1).
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
import parselmouth

from attunement.errors import InputError
from attunement.io._common import InMemoryFile, Source, source_name

__all__ = ["FFMPEG_SUFFIXES", "Audio", "read_audio"]

#: Endings of recordings that Praat does not read, decoded by FFmpeg (PyAV) instead.
FFMPEG_SUFFIXES = frozenset(
    {".m4a", ".aac", ".ogg", ".oga", ".opus", ".mp4", ".m4v", ".mov", ".mkv", ".webm"}
)

_EXPECTED = "expected a sound file such as WAV (or AIFF, FLAC, MP3)"


class Audio(NamedTuple):
    """Samples of one channel and their sampling rate.

    Attributes
    ----------
    samples : numpy.ndarray
        Shape (n,), float64, full scale ±1; sample ``i`` is at ``i / sampling_rate`` seconds.
    sampling_rate : float
        Samples per second (Hz).
    """

    samples: np.ndarray
    sampling_rate: float

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.samples.shape[0] / self.sampling_rate


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0].rstrip(".") if message.strip() else "unknown error"


def _praat_sound(file: str, where: str | os.PathLike[str]) -> parselmouth.Sound:
    """Praat's reading of ``file``, refusing what it cannot read or reads only in part."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", parselmouth.PraatWarning)
        try:
            sound = parselmouth.Sound(file)
        except parselmouth.PraatError as exc:
            found = _first_line(str(exc))
            if found.lower().startswith("not an audio file"):
                raise InputError(f"is not a sound file; {_EXPECTED}", path=where) from None
            raise InputError(
                f"cannot be read as sound ({found}); {_EXPECTED}, complete and uncorrupted",
                path=where,
            ) from None
    for w in caught:
        if issubclass(w.category, parselmouth.PraatWarning):
            raise InputError(
                f"is truncated or damaged ({_first_line(str(w.message))}); expected all the "
                "samples its header announces",
                path=where,
            )
    return sound


def _sound_from_memory(file: InMemoryFile) -> parselmouth.Sound:
    """Praat reads a file by its path: give it one that lives in memory only.

    On Linux that is an anonymous memory file (``memfd_create``): never on disk, gone when the
    process ends, even by ``kill -9``. Elsewhere a WAV is decoded in memory (scipy) and other
    formats are refused, since writing them out would leave a plaintext copy on disk.
    """
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("attunement-audio", os.MFD_CLOEXEC)
        try:
            with os.fdopen(os.dup(fd), "wb") as fh:
                fh.write(file.data)
            return _praat_sound(f"/proc/self/fd/{fd}", file.name)
        finally:
            os.close(fd)
    from scipy.io import wavfile

    try:
        rate, samples = wavfile.read(io.BytesIO(file.data))
    except (ValueError, EOFError) as exc:
        raise InputError(
            f"cannot be read as WAV in memory ({exc}); expected a WAV file (other formats are "
            "read from memory on Linux only)",
            path=file.name,
        ) from None
    values = np.asarray(samples, dtype=float)
    if samples.dtype.kind in "iu":
        values = values / float(np.iinfo(samples.dtype).max)
    return parselmouth.Sound(values.T if values.ndim == 2 else values, sampling_frequency=rate)


def _decoded(path: Source, channel: int | None) -> Audio:
    """A recording Praat does not read, decoded by FFmpeg to 16 kHz (one channel or the mix)."""
    import importlib.util

    from attunement.io.recording import SAMPLING_RATE, decode_recording

    if importlib.util.find_spec("av") is None:
        raise InputError(
            f"is {Path(source_name(path)).suffix.lstrip('.').upper()}, which is read with the "
            "recordings extra; expected it installed (pip install 'attunement[recordings]') or "
            "a WAV, FLAC or MP3 file",
            path=source_name(path),
        )
    rec = decode_recording(path if isinstance(path, InMemoryFile) else Path(path))
    if channel is not None and not 0 <= channel < rec.n_channels:
        raise InputError(
            f"channel {channel} requested but the file has {rec.n_channels} channel(s); "
            f"expected 0 to {rec.n_channels - 1}",
            path=source_name(path),
            field="channel",
        )
    samples = rec.mono() if channel is None else rec.channel(channel)
    return Audio(samples.astype(np.float64), float(SAMPLING_RATE))


def read_audio(path: Source, *, channel: int | None = None) -> Audio:
    """Read a sound file into one channel of samples.

    Parameters
    ----------
    path : str, os.PathLike or InMemoryFile
        A WAV file, or any other sound file Praat reads (AIFF, FLAC, MP3, NIST, ...); an
        in-memory file is read without being written to disk (see :func:`_sound_from_memory`).
        A name ending in one of :data:`FFMPEG_SUFFIXES` (M4A, Ogg, a video) is decoded by
        FFmpeg at 16 kHz instead (the ``recordings`` extra).
    channel : int, optional
        0-based channel to keep; by default all channels are averaged.

    Returns
    -------
    Audio
        ``(samples, sampling_rate)``; unpacks as a tuple.

    Raises
    ------
    InputError
        Naming ``path``: missing, a folder, empty, not a sound file, truncated, without samples,
        with samples that are not finite, or without the requested ``channel``.

    Examples
    --------
    >>> import tempfile, wave
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "silence.wav"
    >>> with wave.open(str(path), "wb") as w:
    ...     w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    ...     w.writeframes(bytes(2 * 800))
    >>> audio = read_audio(path)
    >>> audio.sampling_rate, audio.samples.shape, audio.duration_s
    (8000.0, (800,), 0.1)
    >>> folder.cleanup()
    """
    if channel is not None and (isinstance(channel, bool) or not isinstance(channel, int)):
        raise InputError(f"is {channel!r}; expected a 0-based channel number", field="channel")
    name = path.name if isinstance(path, InMemoryFile) else os.fspath(path)
    if Path(name).suffix.lower() in FFMPEG_SUFFIXES:
        return _decoded(path, channel)
    if isinstance(path, InMemoryFile):
        p: Path | str = path.name
        if not path.data:
            raise InputError(f"is empty (0 bytes); {_EXPECTED}", path=p)
        sound = _sound_from_memory(path)
    else:
        p = Path(path)
        if not p.exists():
            raise InputError(f"no such file; {_EXPECTED}", path=p)
        if p.is_dir():
            raise InputError(f"is a folder; {_EXPECTED}", path=p)
        if p.stat().st_size == 0:
            raise InputError(f"is empty (0 bytes); {_EXPECTED}", path=p)
        sound = _praat_sound(os.fspath(p), p)
    values = sound.values  # (channels, n)
    rate = float(sound.sampling_frequency)
    if not (np.isfinite(rate) and rate > 0):
        raise InputError(f"has a sampling rate of {rate!r} Hz; expected a positive rate", path=p)
    if values.shape[1] == 0:
        raise InputError(f"holds no samples; {_EXPECTED} with sound in it", path=p)
    if channel is None:
        samples = values.mean(axis=0) if values.shape[0] > 1 else values[0]
    elif 0 <= channel < values.shape[0]:
        samples = values[channel]
    else:
        raise InputError(
            f"channel {channel} requested but the file has {values.shape[0]} channel(s); "
            f"expected 0 to {values.shape[0] - 1}",
            path=p,
            field="channel",
        )
    samples = np.ascontiguousarray(samples, dtype=float)
    bad = ~np.isfinite(samples)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"sample {first} ({first / rate:.3f} s) is {float(samples[first])}; expected finite "
            "sample values",
            path=p,
        )
    return Audio(samples, rate)
