"""The context each utterance is coded in: what the other person said last before it."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CONTEXT_CHARS", "CONTEXT_UTTERANCES", "contexts"]

_OTHER = {"therapist": "client", "client": "therapist"}
#: The context is at most this many of the other person's last utterances, and characters.
CONTEXT_UTTERANCES, CONTEXT_CHARS = 2, 1000


def contexts(roles: Sequence[str], texts: Sequence[str]) -> list[str]:
    """What the other person said last before each utterance.

    For a therapist utterance, the client's most recent turn (its last two utterances, at most
    1,000 characters), and the reverse for a client utterance; '' where the other person has not
    spoken yet or the role is neither therapist nor client.

    Parameters
    ----------
    roles : sequence of str
        'therapist', 'client' or 'other', in spoken order.
    texts : sequence of str

    Returns
    -------
    list of str

    Examples
    --------
    >>> contexts(["therapist", "client", "client", "therapist", "therapist"],
    ...          ["Hi.", "I drink.", "A lot.", "A lot.", "Why?"])
    ['', 'Hi.', 'Hi.', 'I drink. A lot.', 'I drink. A lot.']
    """
    turns: dict[str, list[str]] = {"therapist": [], "client": []}
    previous = None
    out = []
    for role, text in zip(roles, texts, strict=True):
        other = _OTHER.get(role)
        out.append(" ".join(turns[other][-CONTEXT_UTTERANCES:])[-CONTEXT_CHARS:] if other else "")
        if role in turns:
            if role != previous:
                turns[role] = []
            turns[role].append("" if text is None else str(text))
            previous = role
    return out
