"""`attunement train --epitome` and `attunement benchmark coding --epitome` on a tiny fixture."""

import json

import pytest
from epitome_fixture import LICENSE_TEXT, write_tiny_epitome


@pytest.fixture
def tiny_epitome(tmp_path):
    return write_tiny_epitome(tmp_path / "epitome")


def test_train_with_epitome_writes_the_licensed_folder(
    tiny_annomi, tiny_epitome, tmp_path, run_cli
):
    out = tmp_path / "m"
    code, stdout, err = run_cli(
        "train", "--annomi", tiny_annomi, "--out", out, "--epitome", tiny_epitome,
        "--no-quality",
    )  # fmt: skip
    assert code == 0, err
    folder = out / "epitome"
    assert (out / "annomi_coders.npz").is_file()
    assert sorted(p.name for p in folder.iterdir()) == [
        "LICENSE", "README.md", "epitome_coders.json", "epitome_coders.npz"
    ]  # fmt: skip
    assert (folder / "LICENSE").read_text() == LICENSE_TEXT
    assert "EPITOME empathy model:" in stdout and "non-commercial academic license" in stdout
    meta = json.loads((folder / "epitome_coders.json").read_text())
    assert meta["tasks"]["ex"]["eval"]["seeds"] == [0, 1, 2]
    assert meta["tasks"]["ex"]["eval"]["macro_f1_mean"] == 1.0


def test_train_without_epitome_skips_it(tiny_annomi, tmp_path, run_cli):
    code, _, err = run_cli(
        "train", "--annomi", tiny_annomi, "--out", tmp_path / "m", "--no-evaluate", "--no-quality"
    )
    assert code == 0, err
    assert not (tmp_path / "m" / "epitome").exists()


def test_train_with_a_bad_epitome_folder(tiny_annomi, tmp_path, run_cli):
    folder = write_tiny_epitome(tmp_path / "epitome")
    (folder / "explorations-reddit.csv").unlink()
    code, _, err = run_cli(
        "train", "--annomi", tiny_annomi, "--out", tmp_path / "m", "--no-evaluate",
        "--no-quality", "--epitome", folder,
    )  # fmt: skip
    assert code == 1
    assert "explorations-reddit.csv: was not found; expected an EPITOME CSV file" in err
    assert "Traceback" not in err


def test_benchmark_coding_prints_the_epitome_rows(tiny_annomi, tiny_epitome, run_cli):
    code, out, err = run_cli(
        "benchmark", "coding", "--annomi", tiny_annomi, "--folds", "2", "--no-quality",
        "--epitome", tiny_epitome, "--seeds", "3",
    )  # fmt: skip
    assert code == 0, err
    for mechanism, anchor in (("er", "0.745"), ("ip", "0.626"), ("ex", "0.726")):
        line = next(x for x in out.splitlines() if f"macro_f1 epitome_{mechanism}" in x)
        assert anchor in line
    assert "utterances_per_s" in out


def test_benchmark_coding_seeds_must_be_positive(tiny_annomi, tiny_epitome, run_cli):
    code, _, err = run_cli(
        "benchmark", "coding", "--annomi", tiny_annomi, "--epitome", tiny_epitome, "--seeds", "0"
    )
    assert code == 2
    assert "--seeds" in err
