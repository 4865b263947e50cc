"""One session's synchrony as a table: known coupling, the rows shown, movement, errors."""

import numpy as np
import pandas as pd
import pytest

from attunement.errors import InputError
from attunement.model import Session, Signal
from attunement.resonance import ResonanceConfig
from attunement.sync_table import TABLE_COLUMNS, SessionTable, session_table

RATE = 4.0
START = 100.0  # session-clock seconds of both people's first sample


def coupled_eda(seconds=600, lead=8, seed=0, start=START):
    """EDA in which the client follows the therapist by ``lead`` samples (2 s at 4 Hz)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    drive = np.convolve(rng.standard_normal(n + 100), np.ones(12) / 12, mode="same")
    return [
        Signal("eda", "therapist", RATE, 2 + drive[lead : n + lead], start=start),
        Signal("eda", "client", RATE, 3 + drive[:n], start=start),
    ]


def still_acc(role, seconds=600, moving=None, start=START):
    """A wristband at rest (1 g straight down, in 1/64 g), shaken hard over ``moving``."""
    values = np.tile([0.0, 0.0, 64.0], (int(seconds * 32), 1))
    if moving is not None:
        lo, hi = (int(t * 32) for t in moving)
        values[lo:hi:2] = [100.0, -100.0, 100.0]
        values[lo + 1 : hi : 2] = [-100.0, 100.0, -100.0]
    return Signal("acc", role, 32.0, values, start=start)


def rows(found: SessionTable) -> dict[str, str]:
    return dict(found.table.itertuples(index=False, name=None))


CONFIG = ResonanceConfig(n_surrogates=99)


def test_a_known_coupling_is_found_and_tested():
    found = session_table(Session("s", signals=tuple(coupled_eda())), kind="eda", config=CONFIG)
    assert tuple(found.table.columns) == TABLE_COLUMNS
    assert found.table["name"].tolist() == [
        "aligned",
        "synchrony (headline)",
        "chance test",
        "chance (surrogates)",
        "effect size (z)",
        "p-value",
        "rMEA WCLC (mean |z|)",
        "leader",
        "SCI (Marci et al. 2007)",
        "movement masked",
    ]
    shown = rows(found)
    assert shown["aligned"] == "600 s at 4 Hz"
    assert shown["p-value"] == "0.0100"  # the smallest p-value 99 surrogates give
    assert shown["leader"] == "therapist by 2.00 s"
    assert shown["chance test"].startswith("circular shifts of at least")
    assert shown["rMEA WCLC (mean |z|)"].endswith(
        "windows of 30 s, step 10 s, lags ±5 s; not tested)"
    )
    assert shown["movement masked"] == "therapist (no accelerometer), client (no accelerometer)"
    # the figures shown are those measured
    assert float(shown["synchrony (headline)"].split(":")[0]) == pytest.approx(
        found.synchrony.headline.value, abs=5e-4
    )
    assert found.synchrony.headline.p_value == pytest.approx(0.01)
    assert found.kind == "eda" and found.config is CONFIG and found.motion == {}


def test_the_band_is_on_the_session_clock():
    found = session_table(Session("s", signals=tuple(coupled_eda())), kind="eda", config=CONFIG)
    band = found.band
    assert band.columns.tolist() == [
        "start_s",
        "end_s",
        "observed",
        "surrogate_low",
        "surrogate_median",
        "surrogate_high",
    ]
    measured = found.synchrony.test.band
    assert band["start_s"].tolist() == pytest.approx((measured["start_s"] + START).tolist())
    assert band["end_s"].tolist() == pytest.approx((measured["end_s"] + START).tolist())
    assert band["start_s"].min() >= START and band["end_s"].max() <= START + 600
    pd.testing.assert_series_equal(band["observed"], measured["observed"])


def test_the_options_that_ran_are_the_ones_shown():
    config = ResonanceConfig(window_s=20, lag_s=3, step_s=5, n_surrogates=19, seed=4)
    found = session_table(Session("s", signals=tuple(coupled_eda())), config=config)
    assert "windows of 20 s, step 5 s, lags ±3 s" in rows(found)["rMEA WCLC (mean |z|)"]
    assert "19 surrogates" in rows(found)["chance test"]
    again = session_table(Session("s", signals=tuple(coupled_eda())), config=config)
    assert again.table.equals(found.table)  # the seed fixes the surrogates


def test_heart_rate_has_no_concordance_index():
    hr = [
        Signal(s.kind.replace("eda", "hr"), s.role, 1.0, 70 + 5 * s.values[::4], start=s.start)
        for s in coupled_eda()
    ]
    found = session_table(Session("s", signals=tuple(hr)), kind="hr", config=CONFIG)
    assert "SCI (Marci et al. 2007)" not in rows(found)
    assert rows(found)["aligned"] == "599 s at 1 Hz"  # first to last sample


def test_movement_is_masked_and_said():
    signals = (
        *coupled_eda(),
        still_acc("therapist"),
        still_acc("client", moving=(120, 240)),
    )
    found = session_table(Session("s", signals=signals), config=CONFIG)
    assert rows(found)["movement masked"] == (
        "therapist 0.0% of 1-s windows, client 20.0% of 1-s windows"
    )
    assert found.motion == {"therapist": 0.0, "client": pytest.approx(0.2)}
    moving = (found.band["start_s"] >= START + 125) & (found.band["end_s"] <= START + 235)
    assert found.band.loc[moving, "observed"].isna().all()
    kept = session_table(
        Session("s", signals=signals),
        config=ResonanceConfig(n_surrogates=99, motion_threshold_g=None),
    )
    assert rows(kept)["movement masked"] == "no (masking turned off)"
    assert kept.band.loc[moving, "observed"].notna().all()


def test_a_short_recording_is_not_testable():
    found = session_table(
        Session("s", signals=tuple(coupled_eda(seconds=120))), kind="eda", config=CONFIG
    )
    shown = rows(found)
    assert shown["chance test"].startswith("not testable: ")
    assert "p-value" not in shown and "effect size (z)" not in shown
    assert found.synchrony.headline.p_value is None


@pytest.mark.parametrize(
    ("signals", "kind", "message"),
    [
        (coupled_eda(), "bvp", "kind: is 'bvp'; expected one of eda, hr"),
        (coupled_eda()[:1], "eda", "kind: found no EDA for both people"),
        (coupled_eda(), "hr", "kind: found no HR for both people"),
        ((), "eda", "kind: found no EDA for both people"),
        # too short for the headline test's smallest circular shift
        (coupled_eda(seconds=20), "eda", "min_shift_s: a shift of at least 100 samples"),
    ],
)
def test_what_cannot_be_measured_is_refused(signals, kind, message):
    with pytest.raises(InputError, match=message):
        session_table(Session("s", signals=tuple(signals)), kind=kind, config=CONFIG)
