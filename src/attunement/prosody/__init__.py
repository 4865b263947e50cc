"""Vocal prosody from the session audio: per-turn pitch and loudness, and vocal synchrony."""

from attunement.prosody.features import signals_from_audio, turn_prosody
from attunement.prosody.vocal import vocal_synchrony

__all__ = ["signals_from_audio", "turn_prosody", "vocal_synchrony"]
