"""Stereo recordings with one person per channel (a two-channel recorder with a microphone per
person, or a call recorded as caller left and callee right).

A stereo file is taken as *separated* when, over the 50 ms frames where anyone speaks (within
30 dB of the loudest 5% of frames), one
channel is at least :data:`DOMINANCE_DB` louder than the other in at least
:data:`SEPARATED_SHARE` of them, and each channel leads in at least :data:`MIN_LEAD_SHARE`. A
stereo recording of one room (two microphones hearing both people) or a dual-mono file is not
separated, and is mixed into one channel and diarized.

Each channel of a separated recording is then transcribed on its own, with the frames where the
other channel is much louder (the other person's voice bleeding into this microphone) silenced
first, so that a word is not transcribed twice.
"""

from __future__ import annotations

import numpy as np

from attunement.io.recording import SAMPLING_RATE

__all__ = [
    "DOMINANCE_DB",
    "MIN_LEAD_SHARE",
    "SEPARATED_SHARE",
    "channel_levels",
    "gate_bleed",
    "separation",
]

#: How much louder (dB) the speaking person's channel is than the other.
DOMINANCE_DB = 10.0
#: Share of speech frames in which one channel must dominate.
SEPARATED_SHARE = 0.8
#: Share of speech frames in which each channel must lead.
MIN_LEAD_SHARE = 0.05
_FRAME = SAMPLING_RATE // 20  # 50 ms


def channel_levels(samples: np.ndarray) -> np.ndarray:
    """Level (dBFS) of each 50 ms frame of each channel: shape (channels, frames); ``samples``
    is (channels, n), int16 or float in [-1, 1)."""
    scale = 32768.0 if samples.dtype.kind in "iu" else 1.0
    n = samples.shape[1] // _FRAME
    levels = np.empty((samples.shape[0], n), dtype=np.float64)
    for c in range(samples.shape[0]):
        frames = samples[c, : n * _FRAME].reshape(n, _FRAME).astype(np.float64) / scale
        levels[c] = 10.0 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
    return levels


def separation(samples: np.ndarray) -> dict:
    """Whether a two-channel recording holds one person per channel.

    Returns
    -------
    dict
        ``separated`` (bool), ``dominant_share`` (share of speech frames with one channel
        ``DOMINANCE_DB`` louder), ``lead_shares`` (share led by channel 0 and channel 1),
        ``speech_frames`` (how many 50 ms frames had speech).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(0, 0.1, 16000), rng.normal(0, 0.1, 16000)
    >>> quiet = np.zeros(16000)
    >>> split = np.stack([np.r_[a, quiet], np.r_[quiet, b]])
    >>> separation(split)["separated"], separation(np.stack([np.r_[a, b]] * 2))["separated"]
    (True, False)
    """
    if samples.shape[0] != 2:
        return {"separated": False, "dominant_share": 0.0, "lead_shares": (), "speech_frames": 0}
    levels = channel_levels(samples)
    loudest = levels.max(axis=0)
    if loudest.size == 0:
        return {
            "separated": False,
            "dominant_share": 0.0,
            "lead_shares": (0.0, 0.0),
            "speech_frames": 0,
        }
    # speech: within 30 dB of the loud frames (the 95th percentile), and above -60 dBFS
    active = (loudest > np.percentile(loudest, 95) - 30.0) & (loudest > -60.0)
    n_active = int(active.sum())
    if n_active == 0:
        return {
            "separated": False,
            "dominant_share": 0.0,
            "lead_shares": (0.0, 0.0),
            "speech_frames": 0,
        }
    diff = levels[0, active] - levels[1, active]
    dominant = float(np.mean(np.abs(diff) >= DOMINANCE_DB))
    leads = (float(np.mean(diff >= DOMINANCE_DB)), float(np.mean(diff <= -DOMINANCE_DB)))
    separated = dominant >= SEPARATED_SHARE and min(leads) >= MIN_LEAD_SHARE
    return {
        "separated": bool(separated),
        "dominant_share": round(dominant, 4),
        "lead_shares": (round(leads[0], 4), round(leads[1], 4)),
        "speech_frames": n_active,
    }


def gate_bleed(samples: np.ndarray, channel: int) -> np.ndarray:
    """Channel ``channel`` of ``samples`` (channels, n) as float32, silenced in the 50 ms
    frames (widened by 100 ms each side) where another channel is at least ``DOMINANCE_DB``
    louder."""
    scale = 32768.0 if samples.dtype.kind in "iu" else 1.0
    out = samples[channel].astype(np.float32)
    out *= np.float32(1 / scale)
    if samples.shape[0] < 2:
        return out
    levels = channel_levels(samples)
    others = np.delete(levels, channel, axis=0).max(axis=0)
    other_louder = others - levels[channel] >= DOMINANCE_DB
    # keep what this channel says, with 100 ms around it
    keep = ~other_louder
    widened = keep.copy()
    for shift in (1, 2):
        widened[shift:] |= keep[:-shift]
        widened[:-shift] |= keep[shift:]
    mute = np.repeat(~widened, _FRAME)
    out[: mute.size][mute] = 0.0
    return out
