"""Wearable physiology, cleaned and aligned: EDA, heart rate, movement, and pairs on one clock."""

from attunement.signals.align import AlignedPair, Gap, align_pair, prepare_pair
from attunement.signals.eda import eda_process
from attunement.signals.heart import heart_rate
from attunement.signals.motion import motion_flags

__all__ = [
    "AlignedPair",
    "Gap",
    "align_pair",
    "eda_process",
    "heart_rate",
    "motion_flags",
    "prepare_pair",
]
