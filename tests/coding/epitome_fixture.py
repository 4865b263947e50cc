"""A tiny synthetic EPITOME-shaped folder: the level of each response is set by obvious words.

Nothing here comes from EPITOME itself (its license forbids copying the data); only the layout
(file names and columns) is EPITOME's.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

FILES = {
    "er": "emotional-reactions-reddit.csv",
    "ip": "interpretations-reddit.csv",
    "ex": "explorations-reddit.csv",
}
HEADER = ["sp_id", "rp_id", "seeker_post", "response_post", "level", "rationales"]

#: Mechanism -> level -> the words that decide it.
MARKERS = {
    "er": {0: "try jogging daily", 1: "that sounds rough", 2: "so sorry sending hugs"},
    "ip": {0: "drink more water", 1: "makes sense", 2: "i understand i went through that too"},
    "ex": {0: "good luck buddy", 1: "tell me more", 2: "what makes you feel so alone"},
}
SEEKERS = [
    "I feel so lonely, nobody calls me anymore.",
    'My exams went badly and my parents "hate" me.',
    "Can't sleep again,\nthe thoughts keep coming back.",
    "I lost my job today and I don't know what to do.",
]
FILLERS = ["well", "honestly", "okay", "hey", "listen", "friend", "so", "yeah"]
LICENSE_TEXT = "Synthetic license text for tests: non-commercial academic research use only.\n"


def write_tiny_epitome(folder: Path, n_per_level: int = 24, license: bool = True) -> Path:
    """Write the three CSV files (``3 * n_per_level`` pairs each, one pair twice) and a license."""
    folder.mkdir(parents=True, exist_ok=True)
    for mechanism, name in FILES.items():
        rng = random.Random(mechanism)
        rows = []
        for level, marker in MARKERS[mechanism].items():
            for _ in range(n_per_level):
                filler = " ".join(rng.sample(FILLERS, 2))
                k = len(rows)
                rows.append(
                    [f"s{k}", f"r{k}", SEEKERS[k % len(SEEKERS)], f"{filler}, {marker}.", level,
                     marker if level else ""]
                )  # fmt: skip
        rows.append(rows[0])  # EPITOME repeats a few pairs
        rng.shuffle(rows)
        with open(folder / name, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(HEADER)
            w.writerows(rows)
    if license:
        (folder / "LICENSE-academic.txt").write_text(LICENSE_TEXT, encoding="utf-8")
    return folder
