"""The training tests share the coding tests' fixture modules (a small tokenizer, a synthetic
EPITOME-shaped folder)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "coding"))
