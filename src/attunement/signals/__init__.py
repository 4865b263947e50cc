"""Wearable physiology, cleaned and aligned: EDA, heart rate, movement, and pairs on one clock."""

from attunement.signals.align import AlignedPair, Gap, align_pair, prepare_pair
from attunement.signals.eda import eda_process
from attunement.signals.heart import heart_rate
from attunement.signals.motion import mask_motion, motion_flags, motion_share

__all__ = [
    "AlignedPair",
    "Gap",
    "align_pair",
    "eda_process",
    "heart_rate",
    "mask_motion",
    "motion_flags",
    "motion_share",
    "prepare_pair",
]
