"""A small BERT-style WordPiece tokenizer whose ids are known, for the token and model tests."""

from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import WordPiece

WORDS = [
    "i", "you", "feel", "want", "to", "quit", "drink", "what", "how", "do", "does", "that",
    "sounds", "hard", "so", "it", "is", "are", "stop", "now", "why", "not", "a", "lot",
    "today", "here", "brings", "tell", "me", "more", "about", "?", ".", ",", "'", "t", "don",
    "really", "worried", "sad", "alone", "try", "should", "cut", "down",
]  # fmt: skip
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
VOCAB = {token: i for i, token in enumerate([*SPECIAL, *WORDS, "##s", "##ing"])}


def small_tokenizer() -> Tokenizer:
    tok = Tokenizer(WordPiece(VOCAB, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    return tok


def ids(text: str) -> list[int]:
    return small_tokenizer().encode(text, add_special_tokens=False).ids
