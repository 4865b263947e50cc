import json

import numpy as np
import pytest

from attunement.coding.artifact import (
    EPITOME_LICENSE_NOTE,
    EPITOME_NAME,
    Coders,
    default_model_dir,
    epitome_model_dir,
    read_coders,
    save_coders,
)
from attunement.coding.estimator import TextCoder
from attunement.coding.loader import resolve_coder
from attunement.errors import InputError

TEXTS = ["How are you?", "What happened?", "You feel sad.", "You are worried."] * 3
LABELS = ["question", "question", "reflection", "reflection"] * 3


@pytest.fixture
def saved(tmp_path):
    coder = TextCoder().fit(TEXTS, LABELS, ["I am sad."] * 12)
    save_coders({"therapist_behaviour": coder}, tmp_path, info={"therapist_behaviour": {"n": 12}})
    return tmp_path, coder


def test_round_trip_gives_identical_probabilities(saved):
    folder, coder = saved
    loaded = read_coders(folder)
    assert isinstance(loaded, Coders)
    assert loaded.meta["tasks"]["therapist_behaviour"]["n"] == 12
    again = loaded.coders["therapist_behaviour"]
    np.testing.assert_array_equal(again.predict_proba(TEXTS), coder.predict_proba(TEXTS))
    assert again.classes_.tolist() == ["question", "reflection"]


def test_artifact_has_no_pickle(saved):
    folder, _ = saved
    with np.load(folder / "annomi_coders.npz", allow_pickle=False) as data:
        assert all(data[k].dtype != object for k in data.files)


def test_shipped_artifact_is_small_and_complete():
    size = sum(p.stat().st_size for p in default_model_dir().glob("annomi_coders.*"))
    assert size < 8 * 2**20
    meta = resolve_coder("ngram").meta
    assert set(meta["tasks"]) == {
        "therapist_behaviour", "reflection_type", "question_type", "client_talk"
    }  # fmt: skip
    assert all("cv_macro_f1" in t for t in meta["tasks"].values())


def test_missing_folder(tmp_path):
    with pytest.raises(InputError, match=r"annomi_coders\.json: was not found"):
        read_coders(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("annomi_coders.json", b"{not json", "is not valid JSON"),
        ("annomi_coders.json", b"\xff\xfe\x00", "is not valid JSON"),
        ("annomi_coders.json", b'{"format_version": 99}', "expected 1"),
        ("annomi_coders.npz", b"PK\x03\x04truncated", "expected a .npz archive"),
        ("annomi_coders.npz", b"", "expected a .npz archive"),
    ],
)
def test_broken_artifact(saved, name, content, match):
    folder, _ = saved
    (folder / name).write_bytes(content)
    with pytest.raises(InputError, match=match):
        read_coders(folder)


def test_artifact_missing_an_array(saved, tmp_path):
    folder, _ = saved
    with np.load(folder / "annomi_coders.npz") as data:
        arrays = {k: data[k] for k in data.files if not k.endswith("coef")}
    np.savez_compressed(folder / "annomi_coders.npz", **arrays)
    with pytest.raises(InputError, match="task therapist_behaviour: is not a valid coder"):
        read_coders(folder)


def test_metadata_is_json(saved):
    folder, _ = saved
    meta = json.loads((folder / "annomi_coders.json").read_text())
    assert meta["tasks"]["therapist_behaviour"]["classes"] == ["question", "reflection"]
    assert "AnnoMI" in meta["citation"]


# --- the EPITOME empathy model: a separate, separately licensed folder ------------------------


def test_named_artifact_round_trip(saved, tmp_path):
    _, coder = saved
    about = {"data": "synthetic", "citation": "nobody", "license": "test license"}
    path = save_coders({"er": coder}, tmp_path / "e", name=EPITOME_NAME, about=about)
    assert path == tmp_path / "e" / "epitome_coders.json"
    assert (tmp_path / "e" / "epitome_coders.npz").is_file()
    loaded = read_coders(tmp_path / "e", name=EPITOME_NAME)
    assert loaded.meta["license"] == "test license" and loaded.meta["data"] == "synthetic"
    np.testing.assert_array_equal(
        loaded.coders["er"].predict_proba(TEXTS), coder.predict_proba(TEXTS)
    )
    with pytest.raises(InputError, match=r"annomi_coders\.json: was not found"):
        read_coders(tmp_path / "e")
    assert resolve_coder(tmp_path / "e") is resolve_coder(tmp_path / "e")
    assert resolve_coder(tmp_path / "e").meta["kind"] == "epitome"


def test_shipped_epitome_model_is_separate_licensed_and_complete():
    folder = epitome_model_dir()
    assert folder == default_model_dir() / "epitome"
    assert sorted(p.name for p in folder.iterdir()) == [
        "LICENSE", "README.md", "epitome_coders.json", "epitome_coders.npz"
    ]  # fmt: skip
    assert not list(default_model_dir().glob("epitome_coders.*"))  # not beside the MIT models
    assert (folder / "epitome_coders.npz").stat().st_size < 8 * 2**20
    license_text = (folder / "LICENSE").read_text()
    assert "non-profit academic research purposes" in license_text
    assert "sharma2020empathy" in license_text
    readme = (folder / "README.md").read_text()
    assert "Sharma" in readme and "Miner" in readme and "Atkins" in readme and "Althoff" in readme
    assert "EMNLP" in readme and "not** under attunement's MIT" in readme
    loaded = resolve_coder("epitome")
    assert loaded is resolve_coder(folder)
    assert sorted(loaded.coders) == ["er", "ex", "ip"]
    assert loaded.meta["license"] == EPITOME_LICENSE_NOTE
    for task in loaded.meta["tasks"].values():
        assert len(task["eval"]["seeds"]) >= 3
        assert 0 < task["eval"]["macro_f1_mean"] < 1


def test_epitome_loader_says_what_license_governs_it():
    import attunement.coding.loader

    doc = " ".join(attunement.coding.loader.__doc__.split())
    assert "non-commercial academic research license" in doc
    assert "**not** under attunement's MIT license" in doc
    assert "Sharma" in EPITOME_LICENSE_NOTE and "not under attunement's MIT" in EPITOME_LICENSE_NOTE


def test_package_data_ships_the_epitome_folder():
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    data = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]
    assert "coding/models/epitome/*" in data["attunement"]
