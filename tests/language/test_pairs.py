"""The turn pairs' chance level: rotations of the client's turns (attunement.language._pairs)."""

import numpy as np
import pandas as pd
import pytest

from attunement.language._pairs import align_turn_values, rotated_positions


def test_rotations_keep_the_client_order_and_the_therapist_in_place():
    roles = np.array(["therapist", "client"] * 6 + ["other"])
    eligible = np.ones(roles.size, bool)
    eligible[5] = False  # this client turn has no value: it is not rotated
    index = rotated_positions(roles, eligible, 100, np.random.default_rng(0), min_shift=1)
    clients = np.array([1, 3, 7, 9, 11])
    assert index.shape == (4, 13)  # 5 client turns, shifts 1 ... 4: each once
    for row, shift in zip(index, range(1, 5), strict=True):
        np.testing.assert_array_equal(row[clients], clients[(np.arange(5) - shift) % 5])
        keep = np.setdiff1d(np.arange(13), clients)
        np.testing.assert_array_equal(row[keep], keep)


def test_many_rotations_are_drawn_and_too_few_turns_give_none():
    roles = np.array(["therapist", "client"] * 200)
    index = rotated_positions(roles, np.ones(400, bool), 50, np.random.default_rng(1))
    assert index.shape == (50, 400)
    shifts = (np.flatnonzero(roles == "client")[0] != index[:, 1]).all()
    assert shifts  # never the true alignment
    assert rotated_positions(roles[:6], np.ones(6, bool), 50, np.random.default_rng(1)).shape == (
        0,
        6,
    )


def _ar(n, phi, rng):
    x = np.empty(n)
    x[0] = rng.standard_normal()
    for i in range(1, n):
        x[i] = phi * x[i - 1] + rng.standard_normal()
    return x


def test_independent_drifting_speakers_are_above_chance_at_the_nominal_rate():
    # Both people's turn values drift (autocorrelation 0.8 from turn to turn) independently:
    # client-turn shuffles called 25% of such pairs synchronous at p <= 0.05; rotations do not.
    rng = np.random.default_rng(0)
    roles = np.array(["therapist", "client"] * 100)
    turns = pd.DataFrame({"role": roles, "speaker": roles})
    p = []
    for k in range(150):
        values = np.empty(roles.size)
        values[roles == "therapist"] = _ar(100, 0.8, rng)
        values[roles == "client"] = _ar(100, 0.8, rng)
        found = align_turn_values(
            values, turns, max_lag_turns=0, n_surrogates=99, seed=k, min_pairs=5, what="x",
            parameters={}, stacklevel=2,
        )  # fmt: skip
        p.append(found.summary.p_value)
    assert np.mean(np.array(p) <= 0.05) <= 0.10
    assert np.mean(np.array(p) <= 0.05) == pytest.approx(0.05, abs=0.05)
