import os

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
