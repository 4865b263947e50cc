"""Write the bundled demonstration session's SIMULATED wristband exports and its manifest.

The transcript (``src/attunement/data/demo/transcript.csv``) is AnnoMI transcript 68, a real
counselling conversation (public domain). The two Empatica E4 exports written here are
simulated: skin conductance with a shared arousal component (the therapist's responses follow
the client's by about 3 s for part of the session), heart rates that rise with arousal, and each
wristband switched on at a different moment before the session, so that the exports line up only
through their own start times. Run from the repository root::

    python scripts/make_demo_data.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "io"))

from e4_fixture import HR_DELAY_S, write_e4_export  # noqa: E402

DEMO = ROOT / "src" / "attunement" / "data" / "demo"
SEED = 20260302
#: Wall-clock time of transcript 0:00 (2026-03-02 14:00:00 UTC).
SESSION_START = 1772460000.0
SESSION_S = 1100.0
#: Each wristband was switched on this long before the session and ran this long after it.
LEAD_S = {"therapist": 95.0, "client": 62.0}
TAIL_S = 45.0
FOLLOW_LAG_S = 3.0


def scr(t: np.ndarray, onset: float, amplitude: float) -> np.ndarray:
    """A skin-conductance response: fast rise, slow recovery (Bateman function)."""
    lag = np.clip(t - onset, 0.0, None)
    return amplitude * (np.exp(-lag / 4.0) - np.exp(-lag / 0.75)) * (t > onset) / 0.58


def smooth_noise(rng: np.random.Generator, n: int, rate: float, tau_s: float) -> np.ndarray:
    """AR(1) noise with time constant ``tau_s``, unit variance."""
    phi = np.exp(-1.0 / (rate * tau_s))
    x = np.empty(n)
    x[0] = rng.standard_normal()
    e = rng.standard_normal(n) * np.sqrt(1 - phi**2)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return x


def simulate(rng: np.random.Generator) -> dict[str, dict[str, np.ndarray]]:
    """EDA (4 Hz) and HR (1 Hz) per role, each on its own device clock starting at 0."""
    out = {}
    # Client arousal events across the session clock; the therapist echoes most of them.
    events = np.sort(rng.uniform(20, SESSION_S - 20, size=34))
    amps = rng.uniform(0.08, 0.45, size=events.size)
    echoed = rng.random(events.size) < 0.7
    for role in ("client", "therapist"):
        seconds = LEAD_S[role] + SESSION_S + TAIL_S
        t_dev = np.arange(int(seconds * 4)) / 4.0
        t = t_dev - LEAD_S[role]  # session clock
        if role == "client":
            onsets, a = events, amps
            tonic0, drift = 2.6, -0.35
        else:
            onsets = events[echoed] + FOLLOW_LAG_S + rng.normal(0, 0.7, echoed.sum())
            a = amps[echoed] * 0.6
            own = rng.uniform(0, SESSION_S, size=8)
            onsets, a = np.r_[onsets, own], np.r_[a, rng.uniform(0.05, 0.2, own.size)]
            tonic0, drift = 1.7, 0.2
        phasic = sum(scr(t, o, x) for o, x in zip(onsets, a, strict=True))
        tonic = tonic0 + drift * np.clip(t, 0, SESSION_S) / SESSION_S
        tonic = tonic + 0.05 * smooth_noise(rng, t.size, 4.0, 60.0)
        eda = np.clip(tonic + phasic + rng.normal(0, 0.004, t.size), 0.01, None)
        n_hr = int(seconds - HR_DELAY_S)
        t_hr = np.arange(n_hr) + HR_DELAY_S - LEAD_S[role]
        arousal = np.interp(t_hr, t, phasic)
        base = 81.0 if role == "client" else 69.0
        hr = base + 9.0 * arousal + 2.0 * smooth_noise(rng, n_hr, 1.0, 20.0)
        out[role] = {"eda": eda, "hr": hr, "seconds": seconds}
    return out


MANIFEST = """\
# The bundled demonstration session.
# Transcript: AnnoMI transcript 68, "The Effective School Counselor With a High Risk Teen:
# Motivational Interviewing Demonstration" (Wu et al., ICASSP 2022; public domain).
# Wristbands: SIMULATED Empatica E4 exports (scripts/make_demo_data.py), not a recording.
id = "demo-annomi-68"
start = "2026-03-02T14:00:00Z"

[transcript]
path = "transcript.csv"

[[wearables]]
role = "therapist"
path = "therapist_e4.zip"
simulated = true

[[wearables]]
role = "client"
path = "client_e4.zip"
simulated = true
"""


def main() -> None:
    rng = np.random.default_rng(SEED)
    for i, (role, sig) in enumerate(simulate(rng).items()):
        write_e4_export(
            DEMO / f"{role}_e4.zip",
            start=SESSION_START - LEAD_S[role],
            seconds=sig["seconds"],
            seed=SEED + i,
            eda=sig["eda"],
            hr=sig["hr"],
        )
    (DEMO / "session.toml").write_text(MANIFEST, encoding="utf-8")


if __name__ == "__main__":
    main()
