import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizer_fixture import VOCAB, WORDS, ids, small_tokenizer

from attunement.coding.tokens import encode_pairs

CLS, SEP = VOCAB["[CLS]"], VOCAB["[SEP]"]


def test_known_answer_context_then_utterance():
    enc = encode_pairs(
        small_tokenizer(), ["I feel sad."], ["How do you feel?"], max_len=32, max_text=16
    )
    assert enc.ids[0].tolist() == [CLS, *ids("I feel sad."), SEP, *ids("How do you feel?"), SEP]
    assert enc.types[0].tolist() == [0] * 6 + [1] * 6


def test_the_context_keeps_its_last_words_and_the_utterance_its_first():
    context = "i want to quit . i drink a lot"
    text = "what do you want to do today ?"
    enc = encode_pairs(small_tokenizer(), [context], [text], max_len=10, max_text=4)
    # 10 = [CLS] + 3 context + [SEP] + 4 utterance + [SEP]
    assert enc.ids[0].tolist() == [CLS, *ids("drink a lot"), SEP, *ids("what do you want"), SEP]


def test_no_context_and_an_utterance_longer_than_the_pair():
    enc = encode_pairs(small_tokenizer(), [""], ["you " * 50], max_len=8, max_text=5)
    assert enc.ids[0].tolist() == [CLS, SEP, *[VOCAB["you"]] * 5, SEP]
    assert enc.types[0].tolist() == [0, 0, 1, 1, 1, 1, 1, 1]


def test_a_tokenizer_that_pads_or_truncates_is_not_obeyed():
    tok = small_tokenizer()
    tok.enable_padding(length=40)
    tok.enable_truncation(max_length=3)
    enc = encode_pairs(tok, ["i feel sad ."], ["how do you feel ?"], max_len=32, max_text=16)
    assert VOCAB["[PAD]"] not in enc.ids[0].tolist()
    assert len(enc.ids[0]) == 12


def test_batch_pads_to_the_longest_row():
    enc = encode_pairs(
        small_tokenizer(), ["", "i feel sad"], ["why ?", "so"], max_len=16, max_text=8
    )
    batch = enc.batch([0, 1])
    # [CLS] [SEP] why ? [SEP] | [CLS] i feel sad [SEP] so [SEP]
    assert batch["input_ids"].shape == (2, 7)
    assert batch["attention_mask"].tolist() == [[1] * 5 + [0, 0], [1] * 7]
    assert batch["input_ids"][0, -1] == VOCAB["[PAD]"]
    assert all(v.dtype == np.int64 for v in batch.values())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"contexts": ["a"], "texts": ["a", "b"]}, "1 contexts for 2 utterances"),
        ({"max_len": 8, "max_text": 6}, "max_text is 6; expected 1..5"),
        ({"max_len": 8, "max_text": 0}, "max_text is 0"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"contexts": ["a"], "texts": ["b"], "max_len": 16, "max_text": 8, **kwargs}
    with pytest.raises(ValueError, match=match):
        encode_pairs(small_tokenizer(), **args)


def test_a_vocabulary_without_bert_tokens_is_refused():
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel

    tok = Tokenizer(WordLevel({"a": 0, "[UNK]": 1}, unk_token="[UNK]"))
    with pytest.raises(ValueError, match=r"no \[CLS\] or \[SEP\]"):
        encode_pairs(tok, ["a"], ["a"], max_len=8, max_text=4)


text = st.lists(st.sampled_from([*WORDS, "zebra", "é", "😀", "\n"]), max_size=60).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(context=text, utterance=text, max_len=st.integers(4, 40), data=st.data())
def test_every_pair_is_well_formed(context, utterance, max_len, data):
    max_text = data.draw(st.integers(1, max_len - 3))
    enc = encode_pairs(
        small_tokenizer(), [context], [utterance], max_len=max_len, max_text=max_text
    )
    row, kinds = enc.ids[0].tolist(), enc.types[0].tolist()
    assert len(row) <= max_len and len(row) == len(kinds)
    assert row[0] == CLS and row[-1] == SEP and row.count(SEP) == 2
    assert kinds == sorted(kinds)  # context (0) then utterance (1)
    n_text = len(ids(utterance)) if utterance.strip() else 0
    assert kinds.count(1) == min(n_text, max_text) + 1
