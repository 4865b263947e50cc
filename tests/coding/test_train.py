import numpy as np
import pandas as pd
import pytest

from attunement.coding.artifact import read_coders
from attunement.coding.corpus import annomi_tasks
from attunement.coding.train import cross_validate, select_c, train_annomi
from attunement.errors import InputError


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
