"""The bundled demonstration session.

``data/demo/`` holds a real counselling conversation from AnnoMI (transcript 68, "The Effective
School Counselor With a High Risk Teen: Motivational Interviewing Demonstration"; Wu et al.,
ICASSP 2022; released into the public domain by its authors), in AnnoMI's own CSV format, and a
*simulated* pair of Empatica E4 wristband exports, one for each person, made by
``scripts/make_demo_data.py``. The manifest marks the wristbands as simulated, and every output
says so.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["demo_manifest"]


def demo_manifest() -> Path:
    """Path of the bundled demonstration ``session.toml``.

    Examples
    --------
    >>> demo_manifest().name
    'session.toml'
    """
    return Path(str(resources.files("attunement") / "data" / "demo" / "session.toml"))
