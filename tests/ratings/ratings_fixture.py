"""A small valid questionnaire definition that the ratings tests modify."""

from __future__ import annotations

TINY = """\
id = "tiny"
title = "Tiny check-in"
version = "1"
respondent = "client"
instructions = "How was it?"
attribution = "Made up for the tests."
license = "Public domain."

[option_sets]
often = [
    { value = 0, label = "Never" },
    { value = 1, label = "Sometimes" },
    { value = 2, label = "Often" },
]

[[items]]
id = "calm"
text = "I felt calm."
kind = "choice"
options = "often"
required = true

[[items]]
id = "tense"
text = "I felt tense."
kind = "choice"
options = [{ value = 0, label = "No" }, { value = 3, label = "Yes" }]
required = true

[[items]]
id = "close"
text = "I felt close to my therapist."
kind = "scale"
min = 1
max = 5
min_label = "not at all"
max_label = "very"
required = false

[[items]]
id = "note"
text = "Anything else?"
kind = "text"
max_length = 20
required = false
ask_if = { any_of = ["calm", "close"], at_least = 2 }

[scoring]
items = ["calm", "tense"]
bands = [
    { min = 0, max = 1, label = "low" },
    { min = 2, max = 5, label = "high" },
]

[[flags]]
item = "tense"
above = 0
message = "Tense today."
"""


def write_definition(folder, name: str = "tiny.toml", text: str = TINY):
    """Write ``text`` to ``folder / name`` (UTF-8) and return the path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
