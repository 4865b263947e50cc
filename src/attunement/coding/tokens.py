"""Turning (context, utterance) pairs into the token arrays a transformer coder reads.

One function serves training and run time, so that both see exactly the same input:
``[CLS] context [SEP] utterance [SEP]``, token types 0 for the context and 1 for the utterance.
The utterance keeps its first ``max_text`` tokens; the context fills what is left of
``max_len`` with its *last* tokens (what was said just before matters most). Needs only NumPy and
Hugging Face ``tokenizers`` (a ``tokenizer.json`` file), not PyTorch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ROLES", "EncodedPairs", "encode_pairs", "roles_onehot"]

#: The speakers a session coder tells apart (one input channel each; other roles: none).
ROLES = ("therapist", "client")


def roles_onehot(roles: Sequence[str], order: Sequence[str] = ROLES) -> np.ndarray:
    """One float32 row per utterance, 1 in the column of its role in ``order``.

    Examples
    --------
    >>> roles_onehot(["client", "therapist", "other"]).tolist()
    [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]
    """
    column = {role: j for j, role in enumerate(order)}
    out = np.zeros((len(roles), len(column)), dtype=np.float32)
    for i, role in enumerate(roles):
        if role in column:
            out[i, column[role]] = 1.0
    return out


@dataclass(frozen=True, slots=True)
class EncodedPairs:
    """Token ids of several pairs, unpadded (one array per pair)."""

    ids: list[np.ndarray]
    types: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)

    def batch(self, rows: Sequence[int]) -> dict[str, np.ndarray]:
        """The rows padded to their longest: ``input_ids``, ``attention_mask`` and
        ``token_type_ids`` (int64 arrays of shape rows x length)."""
        width = max(len(self.ids[r]) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for i, r in enumerate(rows):
            n = len(self.ids[r])
            ids[i, :n] = self.ids[r]
            mask[i, :n] = 1
            types[i, :n] = self.types[r]
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def encode_pairs(
    tokenizer,
    contexts: Sequence[str],
    texts: Sequence[str],
    *,
    max_len: int,
    max_text: int,
) -> EncodedPairs:
    """Encode (context, utterance) pairs with a ``tokenizers.Tokenizer`` of a BERT vocabulary.

    Parameters
    ----------
    tokenizer : tokenizers.Tokenizer
        Must know the tokens ``[CLS]`` and ``[SEP]``.
    contexts, texts : sequence of str
        Same length; a context may be ''.
    max_len : int
        The most tokens of a pair, special tokens included.
    max_text : int
        The most tokens of the utterance (its first ones are kept).

    Returns
    -------
    EncodedPairs
    """
    if len(contexts) != len(texts):
        raise ValueError(f"{len(contexts)} contexts for {len(texts)} utterances")
    if not 0 < max_text <= max_len - 3:
        raise ValueError(f"max_text is {max_text}; expected 1..{max_len - 3}")
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    if cls is None or sep is None:
        raise ValueError("the tokenizer has no [CLS] or [SEP] token; expected a BERT vocabulary")
    # A tokenizer.json may pad or truncate every encoding to a fixed length (all-MiniLM-L6-v2's
    # pads to 128): here each part is cut by the rules above instead.
    tokenizer.no_padding()
    tokenizer.no_truncation()
    texts_enc = tokenizer.encode_batch([str(t) for t in texts], add_special_tokens=False)
    ctx_enc = tokenizer.encode_batch([str(c) for c in contexts], add_special_tokens=False)
    ids, types = [], []
    for c, t in zip(ctx_enc, texts_enc, strict=True):
        utt = t.ids[:max_text]
        room = max_len - 3 - len(utt)
        ctx = c.ids[-room:] if room > 0 else []
        row = [cls, *ctx, sep, *utt, sep]
        ids.append(np.asarray(row, dtype=np.int64))
        kinds = np.zeros(len(row), dtype=np.int64)
        kinds[len(ctx) + 2 :] = 1
        types.append(kinds)
    return EncodedPairs(ids, types)
