"""A coder's reference ranges, computed at training time (:mod:`attunement.training.domain`)."""

import json

from attunement.coding.domain import read_domain_reference
from attunement.training.domain import domain_reference, write_domain_reference


def test_reference_from_a_corpus_round_trips(tiny_annomi, tmp_path):
    ref = domain_reference(tiny_annomi, "ngram")
    assert ref["n_transcripts"] == 12 and ref["coder"] == "ngram"
    s = ref["signals"]["therapist_words_per_unit"]
    assert s["low"] <= s["median"] <= s["high"] and s["n"] == 12
    written = write_domain_reference(ref, tmp_path / "coder")
    assert read_domain_reference(written) == json.loads(json.dumps(ref))
    assert read_domain_reference(tmp_path / "coder")["signals"] == ref["signals"]
