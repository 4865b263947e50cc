"""Synthetic voices with a known pitch and loudness in every turn.

Tests in ``tests/prosody`` import it as ``from voice_fixture import dialogue`` (pytest puts a
test file's folder on ``sys.path``).
"""

import numpy as np
import pandas as pd

RATE = 16000


def voice(f0: float, seconds: float, *, amplitude: float = 0.3, rate: int = RATE) -> np.ndarray:
    """A buzzy vowel-like tone: the first eight harmonics of ``f0`` with 1/k amplitudes."""
    t = np.arange(round(seconds * rate)) / rate
    wave = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 9))
    ramp = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)  # 10 ms fades: no clicks
    return amplitude * wave * ramp / 2.0


def dialogue(spec, *, gap: float = 0.3, rate: int = RATE, noise: float = 0.0, seed: int = 0):
    """Audio and turn table for ``spec`` = [(role, f0_hz, seconds, amplitude), ...].

    Turns follow each other with ``gap`` seconds of silence (plus optional white noise).
    """
    pieces, rows, now = [np.zeros(int(gap * rate))], [], gap
    for i, (role, f0, seconds, amplitude) in enumerate(spec):
        pieces.append(voice(f0, seconds, amplitude=amplitude, rate=rate))
        rows.append((i, role, role.title(), now, now + seconds))
        now += seconds
        pieces.append(np.zeros(int(gap * rate)))
        now += gap
    samples = np.concatenate(pieces)
    if noise:
        samples = samples + noise * np.random.default_rng(seed).standard_normal(samples.size)
    turns = pd.DataFrame(rows, columns=["turn", "role", "speaker", "start_s", "end_s"])
    return samples, turns
