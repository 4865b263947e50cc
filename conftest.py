import csv
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def run_cli(capsys):
    """Run the ``attunement`` command in-process: ``run_cli(*args) -> (exit code, out, err)``."""
    from attunement.cli import main

    def run(*args):
        with pytest.raises(SystemExit) as exc:
            main(list(map(str, args)))
            raise SystemExit(0)
        out = capsys.readouterr()
        return exc.value.code or 0, out.out, out.err

    return run


@pytest.fixture
def conversation():
    """``conversation(n=30) -> Session``: ``n`` exchanges with varied therapist behaviours and
    client talk, untimed."""
    from attunement.model import Session, Utterance

    therapist = [
        "What would you like to talk about today?",
        "You are not sure drinking is a problem, but it matters to your wife.",
        "How do you feel about missing work on Mondays?",
        "Being someone people can count on is important to you.",
        "Many people find that cutting down helps their sleep.",
    ]
    client = [
        "My drinking, I guess. My wife thinks I drink too much.",
        "I want to cut down before it gets any worse.",
        "I do not think it is a problem for me, honestly.",
        "Yes, it really is important to me.",
        "Okay.",
    ]

    def make(n=30):
        utts = []
        for i in range(n):
            utts.append(Utterance(2 * i, "Therapist", "therapist", None, None, therapist[i % 5]))
            utts.append(Utterance(2 * i + 1, "Client", "client", None, None, client[(i * 3) % 5]))
        return Session("conv", tuple(utts))

    return make


# --- a tiny AnnoMI-like corpus (both files), written in AnnoMI's exact CSV layout ---------


SIMPLE_HEADER = [
    "transcript_id", "mi_quality", "video_title", "video_url", "topic", "utterance_id",
    "interlocutor", "timestamp", "utterance_text", "main_therapist_behaviour", "client_talk_type",
]  # fmt: skip
FULL_HEADER = [
    "mi_quality", "transcript_id", "video_title", "video_url", "topic", "utterance_id",
    "interlocutor", "timestamp", "utterance_text", "annotator_id", "therapist_input_exists",
    "therapist_input_subtype", "reflection_exists", "reflection_subtype", "question_exists",
    "question_subtype", "main_therapist_behaviour", "client_talk_type",
]  # fmt: skip

# (role, text, main behaviour or talk type, subtype)
DIALOGUE = [
    ("therapist", "What brings you here today?", "question", "open"),
    ("client", "I really want to quit drinking.", "change", None),
    ("therapist", "You feel torn about drinking and your health.", "reflection", "complex"),
    ("client", "I do not think drinking is a problem for me.", "sustain", None),
    ("therapist", "Do you drink every day?", "question", "closed"),
    ("client", "Yes, most days.", "neutral", None),
    ("therapist", "So you drink most days.", "reflection", "simple"),
    ("client", "I want to cut down and feel better.", "change", None),
    (
        "therapist",
        "Many people find that drinking less helps their sleep.",
        "therapist_input",
        None,
    ),
    ("client", "Okay.", "neutral", None),
    ("therapist", "Mm-hmm.", "other", None),
    ("client", "I like drinking with my friends, it is fun.", "sustain", None),
]


def _quality(t: int) -> str:
    return "low" if t % 4 == 3 else "high"


def _rows(n_videos: int):
    for t in range(n_videos):
        for i, (role, text, label, subtype) in enumerate(DIALOGUE):
            yield t, i, role, f"{text} {['', 'Right.', 'Well.'][t % 3]}".strip(), label, subtype


def write_tiny_annomi(folder: Path, n_videos: int = 12) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "AnnoMI-simple.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(SIMPLE_HEADER)
        for t, i, role, text, label, _ in _rows(n_videos):
            w.writerow(
                [t, _quality(t), f"Video {t}", f"https://example.org/v{t}", "alcohol", i, role,
                 f"00:00:{i:02d}", text, label if role == "therapist" else "n/a",
                 label if role == "client" else "n/a"]
            )  # fmt: skip
    with open(folder / "AnnoMI-full.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(FULL_HEADER)
        for annotator in (3, 1):  # transcript 0 coded twice: annotator 1 is kept
            for t, i, role, text, label, subtype in _rows(n_videos):
                if annotator == 3 and t != 0:
                    continue
                ther = role == "therapist"
                w.writerow(
                    [_quality(t), t, f"Video {t}", f"https://example.org/v{t}", "alcohol", i, role,
                     f"00:00:{i:02d}", text, annotator,
                     "n/a", "n/a",
                     "n/a", subtype if label == "reflection" else "n/a",
                     "n/a", subtype if label == "question" else "n/a",
                     label if ther else "n/a", "n/a" if ther else label]
                )  # fmt: skip
    return folder


@pytest.fixture
def tiny_annomi(tmp_path) -> Path:
    return write_tiny_annomi(tmp_path / "annomi")
