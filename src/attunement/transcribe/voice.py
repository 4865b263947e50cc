"""Voice embeddings: who a stretch of speech sounds like, by a network trained on real voices.

The encoder is Resemblyzer's (the GE2E speaker encoder of Wan et al. 2018, trained on
thousands of speakers), converted to ONNX and shipped with attunement
(``models/voice_encoder.onnx``, 5.7 MB, Apache 2.0; see ``models/NOTICE``): it runs on ONNX
Runtime, with no PyTorch and nothing downloaded. It takes 40-band mel power spectra, 25 ms
frames every 10 ms, and gives a 256-dimensional embedding of unit length; two stretches of one
person's speech have a high cosine similarity.

The mel spectra are computed here (:func:`mel_frames`) as Resemblyzer computes them with
librosa (Slaney mel scale and normalisation, a periodic Hann window, frames centred with zero
padding), checked against librosa to 1e-6 in the tests; librosa itself is not a dependency.

References
----------
Wan, L., Wang, Q., Papir, A., & Lopez Moreno, I. (2018). Generalized end-to-end loss for
speaker verification. ICASSP 2018, 4879-4883.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from attunement.io.recording import SAMPLING_RATE

__all__ = ["ENCODER_PATH", "WINDOW_S", "embed_windows", "mel_filters", "mel_frames"]

#: The shipped encoder.
ENCODER_PATH = Path(__file__).resolve().parent / "models" / "voice_encoder.onnx"
#: The stretch the encoder was trained on (160 frames): a word's window is at most this long.
WINDOW_S = 1.6
_NFFT, _HOP, _NMELS = 400, 160, 40
#: Resemblyzer's loudness normalisation: a quiet recording is raised to -30 dBFS.
_TARGET_DBFS = -30.0
#: Windows per call: the LSTM keeps every step of a batch (256 windows took 690 MB, 32 take
#: 250 MB, at the same speed).
_BATCH = 32


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear to 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=float)
    step = 200.0 / 3
    log_step = np.log(6.4) / 27.0
    return np.where(
        f >= 1000.0,
        1000.0 / step + np.log(np.maximum(f, 1e-10) / 1000.0) / log_step,
        f / step,
    )


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=float)
    step = 200.0 / 3
    log_step = np.log(6.4) / 27.0
    return np.where(m >= 1000.0 / step, 1000.0 * np.exp(log_step * (m - 1000.0 / step)), m * step)


@cache
def mel_filters() -> np.ndarray:
    """The 40 triangular mel filters over the 201 FFT bins of 25 ms at 16 kHz, each
    normalised by its width (librosa's ``norm="slaney"``): shape (40, 201), float32."""
    bins = np.linspace(0.0, SAMPLING_RATE / 2, 1 + _NFFT // 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLING_RATE / 2), _NMELS + 2))
    width = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    weights = np.maximum(
        0.0, np.minimum(-ramps[:-2] / width[:-1, None], ramps[2:] / width[1:, None])
    )
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_frames(samples: np.ndarray, *, chunk_frames: int = 3000, gain: float = 1.0) -> np.ndarray:
    """Mel power spectra of every 10 ms frame, frame ``i`` centred at ``i / 100`` s: shape
    (frames, 40), float32, of the samples times ``gain``.

    Computed ``chunk_frames`` at a time from pieces of the samples, each padded with zeros
    where it meets an end of the recording, so that an hour needs some 60 MB and no copy of
    its samples.
    """
    x = np.asarray(samples, dtype=np.float32)
    half = _NFFT // 2
    n = 1 + x.shape[0] // _HOP if x.shape[0] else 0
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_NFFT) / _NFFT)).astype(np.float32)
    filters = mel_filters().T * np.float32(gain * gain)  # power: the gain squared
    out = np.empty((n, _NMELS), dtype=np.float32)
    offsets = np.arange(_NFFT)[None, :]
    for a in range(0, n, chunk_frames):
        b = min(n, a + chunk_frames)
        lo, hi = a * _HOP - half, (b - 1) * _HOP + half  # the samples these frames cover
        piece = np.zeros(hi - lo, dtype=np.float32)
        src_lo, src_hi = max(lo, 0), min(hi, x.shape[0])
        piece[src_lo - lo : src_hi - lo] = x[src_lo:src_hi]
        frames = piece[np.arange(b - a)[:, None] * _HOP + offsets] * window
        out[a:b] = (np.abs(np.fft.rfft(frames, _NFFT)) ** 2).astype(np.float32) @ filters
    return out


@cache
def _session():
    import onnxruntime as ort

    from attunement.transcribe.asr import _no_telemetry

    _no_telemetry()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(
        str(ENCODER_PATH), sess_options=options, providers=["CPUExecutionProvider"]
    )


def _rms(samples: np.ndarray, *, piece: int = 1 << 20) -> float:
    """Root mean square, a piece at a time (no float64 copy of an hour)."""
    if not samples.size:
        return 0.0
    total = 0.0
    for i in range(0, samples.shape[0], piece):
        chunk = samples[i : i + piece].astype(np.float64)
        total += float(np.dot(chunk, chunk))
    return float(np.sqrt(total / samples.shape[0]))


def embed_windows(samples: np.ndarray, windows: Sequence[tuple[float, float]]) -> np.ndarray:
    """The voice embedding of each window (start, end) of ``samples`` (float32, 16 kHz).

    Returns
    -------
    numpy.ndarray
        (len(windows), 256), float32, each of unit length (zeros for an empty window).
    """
    rms = _rms(samples)
    target = 10 ** (_TARGET_DBFS / 20)
    mels = mel_frames(samples, gain=target / rms if 0 < rms < target else 1.0)
    out = np.zeros((len(windows), 256), dtype=np.float32)
    spans = []
    for a, b in windows:
        lo = min(max(int(a * 100), 0), max(mels.shape[0] - 1, 0))
        spans.append((lo, min(max(int(b * 100), lo + 1), mels.shape[0])))
    by_length: dict[int, list[int]] = {}
    for i, (lo, hi) in enumerate(spans):
        if hi > lo:
            by_length.setdefault(hi - lo, []).append(i)
    session = _session()
    for _, members in sorted(by_length.items()):
        for k in range(0, len(members), _BATCH):
            idx = members[k : k + _BATCH]
            batch = np.stack([mels[spans[i][0] : spans[i][1]] for i in idx])
            out[idx] = session.run(None, {"mels": batch})[0]
    return out
