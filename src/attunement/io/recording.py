"""Decode a recording into 16 kHz samples, in memory, with PyAV (FFmpeg's decoders).

WAV, FLAC, MP3, M4A/AAC, Ogg/Opus and the audio track of MP4, MOV, MKV and WebM videos are read
by the same code: FFmpeg recognises a file by its content, not its name.

Decisions:

* A recording longer than :data:`MAX_DURATION_S` (3 hours) is refused before it is decoded,
  from the length its header announces; a file whose header does not say (or says less) is
  refused as soon as decoding passes the limit, so an hours-long file never fills the memory.
* A file that decodes to less than its header announced (a download or copy cut off mid-way:
  WAV, FLAC, MP3 with a length header) is refused as truncated, since the missing part would
  read as silence. For WAV, FFmpeg trusts the file's size over its header, so the header's
  ``data`` size is checked here.
* Mono and stereo keep their channels (a stereo recording may hold one person per channel);
  a file with more channels is mixed down to one.
* Samples are decoded straight to 16 kHz signed 16-bit integers (half the memory of floats:
  an hour of stereo is 230 MB) and converted to float32 one channel at a time.
* Nothing is written to disk: a file held in memory
  (:class:`~attunement.io._common.InMemoryFile`, the web app's uploads) is decoded from there.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attunement.errors import InputError
from attunement.io._common import InMemoryFile, source_name

__all__ = ["MAX_DURATION_S", "SAMPLING_RATE", "Recording", "decode_recording"]

#: Samples per second of the decoded audio (what Whisper and Silero VAD take).
SAMPLING_RATE = 16000
#: The longest recording accepted (s): 3 hours, three times a long session.
MAX_DURATION_S = 3 * 3600.0
#: Share (and seconds) by which the decoded length may fall short of the announced one.
_SHORT_TOLERANCE = (0.02, 0.5)

EXPECTED = (
    "expected an audio or video file (WAV, FLAC, MP3, M4A, Ogg/Opus, or an MP4, MOV or MKV "
    "video with sound)"
)


@dataclass(frozen=True)
class Recording:
    """One decoded recording.

    Attributes
    ----------
    path : str
        The file it came from.
    samples : numpy.ndarray
        Shape (channels, n), int16 at :data:`SAMPLING_RATE`; ``channel(i)`` gives float32.
    container : str
        FFmpeg's name of the file format, e.g. ``"wav"``, ``"mov,mp4,m4a,3gp,3g2,mj2"``.
    codec : str
        FFmpeg's name of the audio codec, e.g. ``"pcm_s16le"``, ``"aac"``.
    source_rate : int
        The file's own sampling rate (Hz).
    """

    path: str
    samples: np.ndarray
    container: str
    codec: str
    source_rate: int

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.samples.shape[1] / SAMPLING_RATE

    def channel(self, index: int) -> np.ndarray:
        """One channel as float32 in [-1, 1)."""
        out = self.samples[index].astype(np.float32)
        out *= np.float32(1 / 32768.0)  # in place: an hour is 230 MB of float32
        return out

    def mono(self) -> np.ndarray:
        """All channels averaged, as float32 in [-1, 1)."""
        if self.n_channels == 1:
            return self.channel(0)
        total = np.zeros(self.samples.shape[1], dtype=np.float32)
        for i in range(self.n_channels):
            total += self.samples[i]
        total *= np.float32(1 / (32768.0 * self.n_channels))
        return total


def _open_binary(source: Path | InMemoryFile):
    return io.BytesIO(source.data) if isinstance(source, InMemoryFile) else source.open("rb")


def _size(source: Path | InMemoryFile) -> int:
    return len(source.data) if isinstance(source, InMemoryFile) else source.stat().st_size


def _wav_data_shortfall(path: Path | InMemoryFile) -> tuple[int, int] | None:
    """For a RIFF/WAVE file: (bytes its ``data`` chunk announces, bytes present), when fewer
    are present; otherwise None. Sizes 0 and 0xFFFFFFFF (written while still recording) are
    not promises and are not checked."""
    size = _size(path)
    with _open_binary(path) as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk = fh.read(8)
            if len(chunk) < 8:
                return None
            cid, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"data":
                present = size - pos - 8
                if length not in (0, 0xFFFFFFFF) and present < length:
                    return length, present
                return None
            pos += 8 + length + (length & 1)
    return None


def _check_file(path: Path | InMemoryFile) -> None:
    if isinstance(path, InMemoryFile):
        if not path.data:
            raise InputError(f"is empty (0 bytes); {EXPECTED}", path=path.name)
        return
    if not path.exists():
        raise InputError(f"no such file; {EXPECTED}", path=path)
    if path.is_dir():
        raise InputError(f"is a folder; {EXPECTED}", path=path)
    if path.stat().st_size == 0:
        raise InputError(f"is empty (0 bytes); {EXPECTED}", path=path)


def _fmt_duration(seconds: float) -> str:
    h, rest = divmod(round(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


def decode_recording(
    path: str | os.PathLike[str] | InMemoryFile,
    *,
    max_duration_s: float = MAX_DURATION_S,
    progress: Callable[[float], None] | None = None,
) -> Recording:
    """Decode the first audio track of ``path`` to 16 kHz int16 samples, every channel kept.

    Parameters
    ----------
    path : str, os.PathLike or InMemoryFile
        An audio file or a video with sound (or its bytes, held in memory).
    max_duration_s : float
        Refuse a recording longer than this (s); see :data:`MAX_DURATION_S`.
    progress : callable, optional
        Called now and then with the seconds decoded so far.

    Returns
    -------
    Recording

    Raises
    ------
    InputError
        Naming ``path``: missing, a folder, empty, not an audio or video file, without an audio
        track, with a codec FFmpeg does not decode, truncated or damaged, silent in the sense
        of holding no samples, or longer than ``max_duration_s``.

    Examples
    --------
    >>> import tempfile, wave
    >>> folder = tempfile.TemporaryDirectory()
    >>> p = Path(folder.name) / "tone.wav"
    >>> with wave.open(str(p), "wb") as w:
    ...     w.setnchannels(2); w.setsampwidth(2); w.setframerate(8000)
    ...     w.writeframes(bytes(4 * 8000))
    >>> rec = decode_recording(p)
    >>> rec.n_channels, rec.duration_s, rec.codec
    (2, 1.0, 'pcm_s16le')
    >>> folder.cleanup()
    """
    import av

    p = path if isinstance(path, InMemoryFile) else Path(path)
    _check_file(p)
    level = av.logging.get_level()
    av.logging.set_level(av.logging.PANIC)  # FFmpeg's own complaints become our messages
    try:
        return _decode(av, p, max_duration_s, progress)
    finally:
        av.logging.set_level(level)


def _decode(av, p: Path | InMemoryFile, max_duration_s: float, progress) -> Recording:
    where = source_name(p)
    target = io.BytesIO(p.data) if isinstance(p, InMemoryFile) else os.fspath(p)
    try:
        container = av.open(target, mode="r", metadata_errors="ignore")
    except av.error.InvalidDataError:
        raise InputError(
            f"is not an audio or video file FFmpeg can read (or its index is missing: a video "
            f"cut off while it was written); {EXPECTED}",
            path=where,
        ) from None
    except (av.error.FFmpegError, OSError) as exc:
        raise InputError(f"cannot be opened ({exc}); {EXPECTED}", path=where) from None
    with container:
        fmt = container.format.name
        audio = [s for s in container.streams if s.type == "audio"]
        if not audio:
            found = ", ".join(s.type for s in container.streams) or "no tracks"
            raise InputError(
                f"has no audio track (read as {fmt}, found: {found}); {EXPECTED}",
                path=where,
                field="audio",
            )
        stream = audio[0]
        if stream.codec_context is None:
            raise InputError(
                f"its audio track uses a codec FFmpeg cannot decode (container {fmt}); "
                "expected a common audio codec (PCM, FLAC, MP3, AAC, Opus, Vorbis); convert "
                "the file first",
                path=where,
            )
        codec = stream.codec_context.name
        source_rate = int(stream.codec_context.sample_rate or 0)
        announced = _announced_duration(container, stream)
        if announced is not None and announced > max_duration_s:
            raise InputError(
                f"is {_fmt_duration(announced)} long; expected at most "
                f"{_fmt_duration(max_duration_s)} (split the recording)",
                path=where,
            )
        # one person per channel is read from stereo only; more channels are mixed into one
        channels = 2 if int(stream.codec_context.channels or 1) == 2 else 1
        resampler = av.audio.resampler.AudioResampler(
            format="s16", layout="mono" if channels == 1 else "stereo", rate=SAMPLING_RATE
        )
        limit = int(max_duration_s * SAMPLING_RATE) + SAMPLING_RATE
        # one buffer of the announced length (grown when a file holds more), so that the
        # samples are not held twice while they are joined
        size = int((announced or 60.0) * SAMPLING_RATE) + SAMPLING_RATE
        buffer = np.empty((channels, min(size, limit + SAMPLING_RATE)), dtype=np.int16)
        n = 0

        def append(frame_out) -> None:
            nonlocal buffer, n
            a = frame_out.to_ndarray().reshape(-1, channels).T
            if n + a.shape[1] > buffer.shape[1]:
                grown = np.empty(
                    (channels, max(n + a.shape[1], int(buffer.shape[1] * 1.5))), dtype=np.int16
                )
                grown[:, :n] = buffer[:, :n]
                buffer = grown
            buffer[:, n : n + a.shape[1]] = a
            n += a.shape[1]

        damaged = 0
        last_report = 0.0
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.error.InvalidDataError:
                    damaged += 1
                    continue
                for frame in frames:
                    frame.pts = None
                    for out in resampler.resample(frame):
                        append(out)
                if n > limit:
                    raise InputError(
                        f"is longer than {_fmt_duration(max_duration_s)}; expected at most "
                        "that (split the recording)",
                        path=where,
                    )
                if progress is not None and n / SAMPLING_RATE - last_report >= 60:
                    last_report = n / SAMPLING_RATE
                    progress(last_report)
            for out in resampler.resample(None):
                append(out)
        except av.error.FFmpegError as exc:
            raise InputError(
                f"is damaged: decoding stopped at {n / SAMPLING_RATE:.1f} s ({exc}); "
                "expected a complete, uncorrupted file",
                path=where,
            ) from None
    if n == 0:
        raise InputError(f"holds no sound samples; {EXPECTED} with sound in it", path=where)
    samples = buffer[:, :n] if n == buffer.shape[1] else buffer[:, :n].copy()
    del buffer
    decoded = samples.shape[1] / SAMPLING_RATE
    shortfall = _wav_data_shortfall(p) if fmt == "wav" else None
    if shortfall is not None:
        wanted, present = shortfall
        raise InputError(
            f"is truncated: its header announces {wanted} bytes of samples but the file holds "
            f"{present}; expected the whole recording",
            path=where,
        )
    if fmt != "wav" and announced is not None:
        share, seconds = _SHORT_TOLERANCE
        if decoded < announced * (1 - share) - seconds:
            raise InputError(
                f"is truncated or damaged: its header announces {announced:.1f} s but only "
                f"{decoded:.1f} s could be decoded"
                + (f" ({damaged} damaged packet(s))" if damaged else "")
                + "; expected the whole recording",
                path=where,
            )
    return Recording(
        path=where, samples=samples, container=fmt, codec=codec, source_rate=source_rate
    )


def _announced_duration(container, stream) -> float | None:
    """The length (s) the file's headers announce, when they do."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None
