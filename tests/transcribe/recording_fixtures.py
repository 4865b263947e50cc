"""Helpers of the transcription tests: the test dialogue's lines and writers of WAV files and
of other containers (PyAV)."""

import wave
from pathlib import Path

import numpy as np

LINES = (
    "What brings you in today?",
    "I keep saying I will cut down on drinking, and then I do not.",
    "Part of you wants to change, and part of you is not sure.",
    "Yes. I really want to be there for my kids.",
)
RATE = 16000


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    """Write float samples (n,) or (channels, n) as 16-bit PCM."""
    data = np.atleast_2d(samples)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(data.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(data.T, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def encode(path: Path, samples: np.ndarray, *, fmt: str, codec: str, video: bool = False):
    """Encode mono float samples with PyAV (and, for a video, a few black frames)."""
    import av

    with av.open(str(path), "w", format=fmt) as out:
        if video:
            v = out.add_stream("mpeg4", rate=5)
            v.width, v.height, v.pix_fmt = 32, 32, "yuv420p"
        a = out.add_stream(codec, rate=RATE)
        a.layout = "mono"
        if video:
            for _ in range(int(samples.size / RATE * 5)):
                frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
                for p in v.encode(frame):
                    out.mux(p)
            for p in v.encode():
                out.mux(p)
        frame = av.AudioFrame.from_ndarray(
            samples.astype(np.float32)[None], format="fltp", layout="mono"
        )
        frame.sample_rate = RATE
        for p in a.encode(frame):
            out.mux(p)
        for p in a.encode():
            out.mux(p)
    return path
