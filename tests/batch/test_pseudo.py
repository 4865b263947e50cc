"""Pseudo-dyads across a batch's sessions: partners, the capped test, stored pairs, end to end."""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from corpus_fixture import plain_session

from attunement import cli
from attunement.batch import pseudo, run_batch
from attunement.batch.pseudo import (
    DEFAULT_PSEUDO_PARTNERS,
    PSEUDO_COLUMNS,
    PairStore,
    check_partners,
    pseudo_dyad_columns,
    ring_partners,
    ring_pseudo_dyad_test,
)
from attunement.cli.batch import batch as batch_command
from attunement.errors import InputError
from attunement.synchrony import pseudo_dyad_test

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from e4_fixture import HR_DELAY_S, write_e4_export

WINDOWS = {"window_s": 30.0, "lag_s": 5.0, "step_s": 10.0}
OPTS = {"sampling_rate": 1.0, **WINDOWS}
E4_START = 1614680000.0


def smooth(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    kernel = np.hanning(width)
    return np.convolve(rng.standard_normal(n + width), kernel / kernel.sum(), "same")[:n]


def coupled(rng: np.random.Generator, n: int, *, width: int, lag: int) -> tuple[np.ndarray, ...]:
    """A therapist series and a client series that follows it ``lag`` samples later."""
    base = smooth(rng, n + lag, width)
    return base[lag:], base[:-lag] + 0.5 * smooth(rng, n, width)


def array_pairs(n_sessions: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Coupled pairs of 200, 215 and 230 samples; the second has a gap of 10 samples."""
    rng = np.random.default_rng(seed)
    pairs = [coupled(rng, 200 + 15 * (i % 3), width=8, lag=2) for i in range(n_sessions)]
    if n_sessions > 1:
        pairs[1][1][100:110] = np.nan
    return pairs


# --- partners ------------------------------------------------------------------------------------


def test_partners_are_mutual_capped_and_rounded_up_to_even() -> None:
    names = [f"s{i:03d}" for i in range(41)]
    for partners, degree in [(1, 2), (4, 4), (5, 6), (39, 40), (40, 40), (500, 40)]:
        chosen = ring_partners(names, partners, seed=3)
        assert {len(p) for p in chosen} == {degree}
        assert all(i not in p for i, p in enumerate(chosen))
        assert all(i in chosen[j] for i, p in enumerate(chosen) for j in p)  # mutual
    assert ring_partners(names[:1], 5) == [[]]
    assert ring_partners(names, 0) == [[] for _ in names]


def test_partners_follow_ids_and_seed_not_input_order() -> None:
    names = [f"session-{i}" for i in range(30)]
    chosen = {names[i]: {names[j] for j in p} for i, p in enumerate(ring_partners(names, 6))}
    rev = names[::-1]
    again = {rev[i]: {rev[j] for j in p} for i, p in enumerate(ring_partners(rev, 6))}
    assert chosen == again
    other = ring_partners(names, 6, seed=1)
    assert [set(p) for p in other] != [set(p) for p in ring_partners(names, 6)]
    # one session more changes the partners of only its new neighbours
    grown = [*names, "session-new"]
    after = {grown[i]: {grown[j] for j in p} for i, p in enumerate(ring_partners(grown, 6))}
    changed = [n for n in names if after[n] != chosen[n]]
    assert len(changed) <= 6


@pytest.mark.parametrize("bad", [-1, 2.5, "10", True, None])
def test_bad_partner_counts_are_refused(bad) -> None:
    with pytest.raises(InputError, match=r"pseudo_partners: is .*; expected a whole number"):
        check_partners(bad)


# --- the test on arrays -------------------------------------------------------------------------


@pytest.mark.parametrize("partners", [6, 100])
def test_all_partners_is_the_full_pseudo_dyad_test(partners) -> None:
    pairs = array_pairs(7)  # series of different lengths: pseudo-pairs are truncated
    names = [f"s{i}" for i in range(7)]
    got = ring_pseudo_dyad_test(names, pairs.__getitem__, partners=partners, **OPTS)
    want = pseudo_dyad_test(pairs, **OPTS).chances
    for g, w in zip(got, want, strict=True):
        assert g.n_surrogates == w.n_surrogates == 12
        assert g.p_value == pytest.approx(w.p_value, abs=1e-12)
        np.testing.assert_allclose(
            [g.observed, g.surrogate_mean, g.surrogate_sd, g.effect_size],
            [w.observed, w.surrogate_mean, w.surrogate_sd, w.effect_size],
            rtol=1e-9,
        )
    assert max(s.p_value for s in got) == pytest.approx(1 / 13)  # coupled: the smallest p


def test_capped_partners_give_each_session_its_partners_pseudo_dyads(monkeypatch) -> None:
    monkeypatch.setattr(pseudo, "_CHUNK_BYTES", 1)  # one client series per kernel call
    pairs = array_pairs(9, seed=1)
    names = [f"s{i}" for i in range(9)]
    fetched: list[int] = []

    def fetch(i):
        fetched.append(i)
        return pairs[i]

    got = ring_pseudo_dyad_test(names, fetch, partners=3, seed=5, **OPTS)
    assert len(fetched) <= 9 + 2 * 2  # each session about once, a few more at the ring's seam
    for i, chosen in enumerate(ring_partners(names, 3, seed=5)):
        want = pseudo_dyad_test([pairs[i]] + [pairs[j] for j in chosen], **OPTS).chances[0]
        assert got[i].n_surrogates == 8
        assert got[i].p_value == pytest.approx(want.p_value)
        assert got[i].effect_size == pytest.approx(want.effect_size, rel=1e-9)


def test_one_session_alone_has_no_figures() -> None:
    (only,) = ring_pseudo_dyad_test(["a"], array_pairs(1).__getitem__, partners=10, **OPTS)
    assert np.isnan(only.p_value) and only.n_surrogates == 0


# --- stored pairs -------------------------------------------------------------------------------


def test_store_round_trips_forgets_and_prunes(tmp_path: Path, caplog) -> None:
    store = PairStore(tmp_path / "pairs")
    t, c = array_pairs(1)[0]
    store.put("k1", "1:1", {"eda": (4.0, t, c), "hr": (1.0, t[:50], c[:50])})
    store.put("k2", "1:1", {"hr": (1.0, t, c)})
    assert store.describe("k1", "1:1") == {"eda": 4.0, "hr": 1.0}
    assert store.describe("k1", "2:2") is None  # a changed file: its pairs are stale
    np.testing.assert_array_equal(store.load("k1", "hr")[1], c[:50])
    store.put("k2", "1:1", None)  # analysed again without pairs
    assert store.describe("k2", "1:1") is None
    store.put("k3", "1:1", {"eda": (4.0, t, c)})
    store.path("k3").write_bytes(b"PK\x03\x04 cut")
    assert store.describe("k3", "1:1") is None
    assert "unreadable stored pairs" in caplog.text
    store.prune(["k1"])
    assert [p.name for p in store.folder.iterdir()] == [store.name("k1")]


def test_columns_pair_only_sessions_at_the_same_rate(tmp_path: Path, caplog) -> None:
    store = PairStore(tmp_path)
    pairs = array_pairs(5, seed=2)
    for i, (t, c) in enumerate(pairs):
        rate = 2.0 if i == 4 else 1.0
        store.put(f"k{i}", "f", {"hr": (rate, t, c), **({"eda": (1.0, t, c)} if i < 1 else {})})
    sessions = [(f"k{i}", "f", f"s{i}") for i in range(5)] + [None]
    with caplog.at_level(logging.INFO, logger="attunement.batch.pseudo"):
        cols = pseudo_dyad_columns(sessions, store, partners=10)
    assert list(cols) == list(PSEUDO_COLUMNS)
    p = cols["hr_synchrony_pseudo_p_value"]
    assert p[:4] == [pytest.approx(1 / 7)] * 4 and p[4:] == [None, None]
    assert cols["eda_synchrony_pseudo_p_value"] == [None] * 6  # one session has EDA
    assert all(v > 1 for v in cols["hr_synchrony_pseudo_effect_size"][:4])
    assert "1 sessions have no other session with HR at the same sampling rate" in caplog.text
    assert "fewer than two sessions have EDA" in caplog.text


# --- end to end ----------------------------------------------------------------------------------

SECONDS = 180


def write_wearable_session(root: Path, name: str, seed: int, *, e4: bool = False) -> Path:
    """A manifest with a transcript and both people's EDA (4 Hz) and HR (1 Hz), coupled."""
    rng = np.random.default_rng(seed)
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "t.txt").write_text(plain_session(seed))
    t_eda, c_eda = coupled(rng, 4 * SECONDS, width=24, lag=8)
    t_hr, c_hr = coupled(rng, SECONDS, width=8, lag=2)
    manifest = f'id = "{name}"\n'
    if e4:
        start = dt.datetime.fromtimestamp(E4_START, dt.UTC).isoformat()
        manifest += f'start = "{start}"\n'
    manifest += '[transcript]\npath = "t.txt"\n'
    for role, eda, hr in (("therapist", t_eda, t_hr), ("client", c_eda, c_hr)):
        eda, hr = 2 + 0.2 * eda, 72 + 4 * hr
        if e4:
            n_hr = SECONDS - int(HR_DELAY_S)
            write_e4_export(
                folder / f"{role}.zip", start=E4_START, seconds=SECONDS, seed=seed, eda=eda,
                hr=hr[:n_hr],
            )  # fmt: skip
            manifest += f'[[wearables]]\nrole = "{role}"\npath = "{role}.zip"\n'
            continue
        rows = "".join(f"{i / 4:.2f},{v:.6f}\n" for i, v in enumerate(eda))
        (folder / f"{role}_eda.csv").write_text("time,eda\n" + rows)
        rows = "".join(f"{i},{v:.2f}\n" for i, v in enumerate(hr))
        (folder / f"{role}_hr.csv").write_text("time,hr\n" + rows)
        for kind in ("eda", "hr"):
            manifest += f'[[wearables]]\nrole = "{role}"\npath = "{role}_{kind}.csv"\n'
    (folder / "session.toml").write_text(manifest)
    return folder / "session.toml"


WITH_PAIRS = [f"w{i}" for i in range(1, 8)]


def write_wearable_corpus(root: Path) -> list[Path]:
    """7 coupled sessions (two from E4 zips), one with one wristband, two without any."""
    paths = [
        write_wearable_session(root, name, seed=i, e4=i in (2, 5))
        for i, name in enumerate(WITH_PAIRS, 1)
    ]
    one = write_wearable_session(root, "x_one_band", seed=50)
    text = one.read_text().split("[[wearables]]")
    one.write_text("[[wearables]]".join(text[:3]))  # the therapist's EDA and HR only
    for name in ("y_plain", "z_plain"):
        (root / f"{name}.txt").write_text(plain_session(len(name)))
    return [*paths, one, root / "y_plain.txt", root / "z_plain.txt"]


def sessions_table(out: Path):
    return pq.read_table(out / "sessions.parquet").to_pandas().set_index("session_id")


@pytest.fixture(scope="module")
def wearable_batch(tmp_path_factory):
    """The corpus analysed with two workers."""
    root = tmp_path_factory.mktemp("wearables")
    inputs = write_wearable_corpus(root / "corpus")
    summary = run_batch(inputs, out_dir=root / "out", workers=2, progress=False)
    return inputs, root / "out", summary


def test_true_pairs_beat_their_pseudo_dyads(wearable_batch) -> None:
    _, out, summary = wearable_batch
    assert summary.n_failed == 0
    table = sessions_table(out)
    assert list(table.columns[-4:]) == list(PSEUDO_COLUMNS)
    floor = 1 / (2 * (len(WITH_PAIRS) - 1) + 1)  # every pseudo-pair below the true pair
    for kind in ("eda", "hr"):
        paired = table.loc[WITH_PAIRS]
        p = paired[f"{kind}_synchrony_pseudo_p_value"]
        effect = paired[f"{kind}_synchrony_pseudo_effect_size"]
        if kind == "eda":
            assert p.tolist() == pytest.approx([floor] * len(WITH_PAIRS))
            assert (effect > 2).all()
        else:
            # 3 minutes of 1 Hz heart rate hold 17 of the headline's windows: the true pairs
            # still beat (nearly) every pseudo-dyad, by less
            assert p.median() == pytest.approx(floor) and (p <= 2 * floor + 1e-12).all()
            assert (effect > 1).all()
        assert paired[f"{kind}_synchrony"].notna().all()
        rest = table.drop(index=WITH_PAIRS)
        assert rest[[f"{kind}_synchrony_pseudo_p_value"]].isna().all().all()
        assert rest[[f"{kind}_synchrony_pseudo_effect_size"]].isna().all().all()
    pairs = out / ".attunement-batch" / "pairs"
    assert len(list(pairs.glob("*.npz"))) == len(WITH_PAIRS)  # only sessions with a pair


def test_resume_recomputes_over_all_sessions_and_one_worker_gives_the_same_bytes(
    wearable_batch, tmp_path
) -> None:
    inputs, out, _ = wearable_batch
    first = run_batch(inputs[:4], out_dir=tmp_path / "o", workers=1, progress=False)
    assert first.n_ok == 4
    early = sessions_table(tmp_path / "o")["eda_synchrony_pseudo_p_value"]
    assert early.loc[WITH_PAIRS[:4]].tolist() == pytest.approx([1 / 7] * 4)
    again = run_batch(inputs, out_dir=tmp_path / "o", workers=1, progress=False)
    assert (again.n_skipped, again.n_ok) == (4, len(inputs) - 4)
    assert (tmp_path / "o" / "sessions.parquet").read_bytes() == (
        out / "sessions.parquet"
    ).read_bytes()


def test_partner_count_changes_only_the_pseudo_columns(wearable_batch, tmp_path) -> None:
    inputs, out, _ = wearable_batch
    shutil.copytree(out, tmp_path / "o")
    capped = run_batch(inputs, out_dir=tmp_path / "o", pseudo_partners=2, progress=False)
    assert capped.n_skipped == len(inputs)  # nothing analysed again
    table, reference = sessions_table(tmp_path / "o"), sessions_table(out)
    p = table.loc[WITH_PAIRS, "hr_synchrony_pseudo_p_value"]
    assert p.tolist() == pytest.approx([1 / 5] * len(WITH_PAIRS))
    assert table.drop(columns=list(PSEUDO_COLUMNS)).equals(
        reference.drop(columns=list(PSEUDO_COLUMNS))
    )
    run_batch(inputs, out_dir=tmp_path / "o", pseudo_partners=0, progress=False)
    assert not set(PSEUDO_COLUMNS) & set(sessions_table(tmp_path / "o").columns)


def test_cli_option(wearable_batch, tmp_path, capsys) -> None:
    inputs, out, _ = wearable_batch
    shutil.copytree(out, tmp_path / "o")
    args = ["batch", *map(str, inputs), "--out", str(tmp_path / "o"), "--workers", "1"]
    assert inspect.signature(batch_command).parameters["pseudo_partners"].default == (
        DEFAULT_PSEUDO_PARTNERS
    )
    with pytest.raises(SystemExit) as exc:
        cli.main([*args, "--pseudo-partners", "-1"])
    assert exc.value.code == 2  # a usage error, refused before any work
    assert (
        "'--pseudo-partners': Input should be greater than or equal to 0" in capsys.readouterr().err
    )
    with pytest.raises(SystemExit) as exc:
        cli.main([*args, "--pseudo-partners", "0"])
        raise SystemExit(0)
    assert exc.value.code == 0
    assert not set(PSEUDO_COLUMNS) & set(sessions_table(tmp_path / "o").columns)
