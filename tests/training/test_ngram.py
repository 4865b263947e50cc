import numpy as np
import pandas as pd
import pytest

from attunement.coding.artifact import EPITOME_NAME, read_coders
from attunement.errors import InputError
from attunement.training.corpus import annomi_tasks
from attunement.training.epitome import epitome_split, epitome_tasks
from attunement.training.ngram import (
    cross_validate,
    evaluate_epitome,
    select_c,
    select_c_dev,
    train_annomi,
    train_epitome,
)


def test_train_writes_a_loadable_artifact(tiny_annomi, tmp_path):
    meta_path = train_annomi(tiny_annomi, tmp_path / "models", n_splits=2)
    assert meta_path.name == "annomi_coders.json"
    loaded = read_coders(tmp_path / "models")
    assert set(loaded.coders) == {
        "therapist_behaviour", "reflection_type", "question_type", "client_talk"
    }  # fmt: skip
    task = loaded.meta["tasks"]["therapist_behaviour"]
    assert task["n_train"] == 72 and task["n_videos"] == 12
    assert 0 <= task["cv_macro_f1"] <= 1
    assert task["labels"] == {"other": 12, "question": 24, "reflection": 24, "therapist_input": 12}
    # and the reference ranges the report's out-of-domain check reads, for this coder
    from attunement.coding.domain import read_domain_reference

    reference = read_domain_reference(tmp_path / "models" / "domain.json")
    assert reference["coder"] == "ngram" and reference["n_transcripts"] == 12
    assert set(reference["signals"]) >= {"english_share", "therapist_word_share"}


def test_training_is_reproducible(tiny_annomi, tmp_path):
    a = train_annomi(tiny_annomi, tmp_path / "a", evaluate=False).with_suffix(".npz")
    b = train_annomi(tiny_annomi, tmp_path / "b", evaluate=False).with_suffix(".npz")
    with np.load(a) as x, np.load(b) as y:
        assert x.files == y.files
        for k in x.files:
            np.testing.assert_array_equal(x[k], y[k])


def test_cross_validation_never_splits_a_video(tiny_annomi):
    table = annomi_tasks(tiny_annomi)["client_talk"]
    found = cross_validate(table, n_splits=3, inner_splits=2, grid=(1.0,))
    assert found["predicted"].shape == (len(table),)
    assert found["c_chosen"] == [1.0, 1.0, 1.0]
    c, score = select_c(table, grid=(0.3, 1.0), n_splits=2)
    assert c in (0.3, 1.0) and 0 <= score <= 1


def test_too_few_videos():
    table = pd.DataFrame(
        {"text": ["a b", "c d"] * 2, "context": "", "label": ["x", "y"] * 2, "group": [1, 1, 2, 2]}
    )
    with pytest.raises(InputError, match="has 2 videos; expected at least 5"):
        cross_validate(table)


# --- EPITOME ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_epitome(tmp_path_factory):
    from epitome_fixture import write_tiny_epitome

    return write_tiny_epitome(tmp_path_factory.mktemp("data") / "epitome")


@pytest.fixture(scope="module")
def trained_epitome(tiny_epitome, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "epitome"
    return train_epitome(tiny_epitome, out, seeds=(0, 1, 2), grid=(0.3, 3.0)), out


def test_epitome_known_answers(trained_epitome):
    from epitome_fixture import MARKERS

    _, out = trained_epitome
    loaded = read_coders(out, name=EPITOME_NAME)
    assert set(loaded.coders) == {"er", "ip", "ex"}
    for mechanism, coder in loaded.coders.items():
        assert coder.classes_.tolist() == ["0", "1", "2"]
        assert coder.max_context_features == 0
        phrases = [f"hey, {MARKERS[mechanism][level]}." for level in (0, 1, 2)]
        assert coder.predict(phrases, ["I feel alone."] * 3).tolist() == ["0", "1", "2"]


def test_epitome_artifact_metadata_license_and_readme(trained_epitome, tiny_epitome):
    from epitome_fixture import LICENSE_TEXT

    meta_path, out = trained_epitome
    assert meta_path == out / "epitome_coders.json"
    assert sorted(p.name for p in out.iterdir()) == [
        "LICENSE", "README.md", "epitome_coders.json", "epitome_coders.npz"
    ]  # fmt: skip
    assert (out / "LICENSE").read_text() == LICENSE_TEXT
    readme = (out / "README.md").read_text()
    assert "Sharma" in readme and "EMNLP 2020" in readme
    assert "non-commercial" in readme and "not** under attunement's MIT" in readme
    meta = read_coders(out, name=EPITOME_NAME).meta
    assert "non-commercial academic research license" in meta["license"]
    assert "Sharma, Miner, Atkins & Althoff" in meta["citation"]
    er = meta["tasks"]["er"]
    assert er["n_train"] == 73 and er["labels"] == {"0": 25, "1": 24, "2": 24}
    assert er["C"] == 0.3  # ties (every C is perfect here) go to the smaller C
    assert er["eval"]["c_chosen"] == [0.3, 0.3, 0.3]
    found = er["eval"]
    assert found["seeds"] == [0, 1, 2] and len(found["macro_f1"]) == 3
    assert found["macro_f1_mean"] == 1.0 and found["macro_f1_sd"] == 0.0
    assert f"| er | 73 | {er['C']:g} | 1.000 ± 0.000 | 0, 1, 2 |" in readme


def test_epitome_training_is_reproducible(tiny_epitome, trained_epitome, tmp_path):
    _, first = trained_epitome
    again = train_epitome(tiny_epitome, tmp_path / "again", evaluate=False, grid=(0.3, 3.0))
    with np.load(first / "epitome_coders.npz") as x, np.load(again.with_suffix(".npz")) as y:
        assert x.files == y.files
        for k in x.files:
            np.testing.assert_array_equal(x[k], y[k])
    assert "eval" not in read_coders(tmp_path / "again", name=EPITOME_NAME).meta["tasks"]["ip"]


def test_epitome_evaluation_never_looks_at_the_test_part(tiny_epitome):
    table = epitome_tasks(tiny_epitome)["ex"]
    found = evaluate_epitome(table, seeds=(0, 1, 2), grid=(1.0,))
    assert found["macro_f1"] == [1.0, 1.0, 1.0] and found["macro_f1_sd"] == 0.0
    assert found["n"] == 73 and len(found["n_test"]) == 3
    # blank out the test part of seed 0 (the split depends on ids and levels only): the choice
    # of C does not move, only the test score does
    _, _, test = epitome_split(table, seed=0)
    scrambled = table.copy()
    scrambled.loc[scrambled.index[test], "text"] = "hey, good luck buddy."
    worse = evaluate_epitome(scrambled, seeds=(0,), grid=(1.0,))
    assert worse["c_chosen"] == found["c_chosen"][:1]
    assert worse["macro_f1"][0] < 0.2


def test_dev_selection_prefers_the_smaller_c_on_ties(tiny_epitome):
    table = epitome_tasks(tiny_epitome)["er"]
    train, dev, _ = epitome_split(table, seed=0)
    coder, score = select_c_dev(table, train, dev, grid=(1.0, 0.3, 3.0))
    assert score == 1.0 and coder.C == 0.3
    assert coder.predict(["hey, so sorry sending hugs."]).tolist() == ["2"]


@pytest.mark.parametrize("bad", ["seeds", "license"])
def test_epitome_training_errors(tiny_epitome, tmp_path, bad):
    if bad == "seeds":
        with pytest.raises(InputError, match="seeds: is empty"):
            train_epitome(tiny_epitome, tmp_path / "m", seeds=())
        with pytest.raises(InputError, match="seeds: is empty"):
            evaluate_epitome(epitome_tasks(tiny_epitome)["er"], seeds=[])
    else:
        from epitome_fixture import write_tiny_epitome

        folder = write_tiny_epitome(tmp_path / "no_license", license=False)
        with pytest.raises(InputError, match=r"LICENSE-academic\.txt: was not found"):
            train_epitome(folder, tmp_path / "m")
    assert not (tmp_path / "m").exists()
