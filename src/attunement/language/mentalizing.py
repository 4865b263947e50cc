"""Mental-state language: how much the client speaks of minds, their own and others'.

Reflective functioning is the capacity to understand behaviour -- one's own and other
people's -- in terms of mental states: thoughts, feelings, wishes and beliefs (Fonagy, Target,
Steele & Steele, 1998). Fertuck and colleagues (2012) showed that a computerized count of its
verbal markers in interview transcripts, a dictionary of mental-state words and of words that
link states to reasons, tracks the reflective functioning scored by trained raters. Their
dictionary is not freely licensed, so this module holds an **open lexicon written for this
project** after the same markers (the categories of the Reflective Functioning manual), not a
copy of it; its counts are not CRF scores, and their relation to rated reflective functioning
has not been measured here.

The lexicon (:data:`MENTAL_STATES`, :data:`CAUSAL_MARKERS`, :data:`OPACITY_MARKERS`):

* **Four kinds of mental state**, each word in one kind only: ``thoughts`` (cognition: *think,
  realise, remember, wonder*), ``feelings`` (emotion words: *angry, ashamed, lonely, relieved*
  and the verb *feel*), ``wishes`` (desire and intention: *want, wish, hope, need, rather*) and
  ``beliefs`` (*believe, expect, trust, blame, convinced*). Whole words only, every inflected
  form listed; words mostly used otherwise in conversation are left out (*like*, *mind*,
  *mean*, *care*, *down*, *figure*, *sure* as in *sure, okay*), and the filler *you know* is
  not counted as a thought.
* **Whose state.** A mental-state word is the speaker's own (``self``) when a first-person
  word (*I, I'm, me, my, myself, we, us, our*) stands within the three words before it, and
  another person's (``other``) when a second- or third-person one does (*you, he, she, they,
  him, her, them, his, their, people*, the nearest one deciding); a mental-state word among
  those three words passes its owner on ("she was furious and ashamed": both hers);
  otherwise it is unattributed.
* **Causal links** between states and actions: a causal marker (*because, cause, why, the
  reason, that's why, which is why, makes me, made me, due to, so that, therefore*) in a
  sentence that also holds a mental-state word ("I get angry because I think she ..."), one
  per marker.
* **Opacity**: words that acknowledge that minds cannot be read with certainty (*maybe,
  perhaps, probably, I wonder, not sure, I guess*); counted, not part of the rate.

Text is tokenized as the function-word lists are (:func:`attunement.language.function_words.
tokenize`); sentences end at ``. ! ? ;`` and line breaks.

References
----------
Fertuck, E. A., Mergenthaler, E., Target, M., Levy, K. N., & Clarkin, J. F. (2012).
Development and criterion validity of a computerized text analysis measure of reflective
functioning. *Psychotherapy Research*, 22(3), 298-305.

Fonagy, P., Target, M., Steele, H., & Steele, M. (1998). *Reflective-functioning manual,
version 5, for application to adult attachment interviews*. University College London.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from attunement.errors import InputError
from attunement.language.function_words import tokenize
from attunement.synchrony.result import MeasurementResult, Method, one_row

__all__ = [
    "CAUSAL_MARKERS",
    "KINDS",
    "MENTAL_STATES",
    "METHOD",
    "MIN_TURNS",
    "OPACITY_MARKERS",
    "MentalizingResult",
    "mental_state_counts",
    "turn_mentalizing",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Mental-state words by kind; a word belongs to one kind only.
MENTAL_STATES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "thoughts": _words(
            """
            think thinks thinking thought thoughts
            know knows knew knowing
            realise realises realised realising realize realizes realized realizing
            realisation realization
            understand understands understood understanding
            remember remembers remembered remembering memory memories
            forget forgets forgot forgotten forgetting
            wonder wonders wondered wondering
            suppose supposed supposing
            imagine imagines imagined imagining
            consider considers considered considering
            decide decides decided deciding decision
            notice notices noticed noticing
            aware awareness unaware
            recognise recognises recognised recognize recognizes recognized
            reckon reckons reckoned
            doubt doubts doubted
            puzzled confused confusion
            idea ideas
            reflect reflects reflected reflecting
            pretend pretends pretended pretending
            misunderstand misunderstood
            interpret interprets interpreted
            conclude concluded
            """
        ),
        "feelings": _words(
            """
            feel feels feeling feelings felt
            emotion emotions emotional
            angry anger mad furious annoyed irritated frustrated frustrating frustration
            resentful resentment bitter rage
            upset sad sadness unhappy depressed miserable gloomy grief grieving heartbroken
            lonely loneliness
            hurt hurts hurting
            scared afraid fear fears feared frightened terrified
            anxious anxiety worried worry worries worrying nervous stressed overwhelmed
            panic panicked panicky
            ashamed shame embarrassed embarrassment humiliated guilty guilt
            jealous jealousy envious envy
            hopeless helpless desperate disappointed disappointment
            rejected abandoned betrayed insecure vulnerable
            happy happiness glad joy joyful excited thrilled delighted
            relieved relief proud pride grateful thankful content calm peaceful
            comfortable uncomfortable
            love loved loves loving hate hated hates hating
            numb empty bored
            regret regrets regretted
            """
        ),
        "wishes": _words(
            """
            want wants wanted wanting
            wish wishes wished wishing
            hope hopes hoped hoping
            need needs needed needing
            desire desires desired
            longing
            crave craves craved craving
            prefer prefers preferred
            rather
            yearn yearning
            intend intends intended intention intentions
            tempted temptation urge urges
            motivated motivation
            """
        ),
        "beliefs": _words(
            """
            believe believes believed believing belief beliefs
            convinced
            expect expects expected expecting expectation expectations
            trust trusts trusted trusting distrust mistrust
            suspect suspects suspected suspicious
            assume assumes assumed assuming assumption
            opinion opinions
            blame blames blamed blaming
            judge judges judged judging
            seem seems seemed
            certain uncertain
            """
        ),
    }
)
#: The kinds of mental state, in the order the table lists them.
KINDS: tuple[str, ...] = tuple(MENTAL_STATES)

#: Causal markers: single words, and phrases of two or three words.
CAUSAL_MARKERS: tuple[str, ...] = (
    "because",
    "cause",
    "cos",
    "coz",
    "why",
    "therefore",
    "the reason",
    "that's why",
    "thats why",
    "which is why",
    "makes me",
    "made me",
    "make me",
    "making me",
    "due to",
    "so that",
)
#: Markers of opacity: acknowledging that a mind cannot be read with certainty.
OPACITY_MARKERS: tuple[str, ...] = (
    "maybe",
    "perhaps",
    "probably",
    "i wonder",
    "not sure",
    "i guess",
    "don't know why",
    "dont know why",
)
#: Words that make a following mental-state word the speaker's own.
SELF_WORDS = _words("i i'm i've i'd i'll im ive me my mine myself we we're we've us our ourselves")
#: Words that make it another person's.
OTHER_WORDS = _words(
    """
    you you're you've you'd your yourself he he's he'd she she's she'd they they're they've
    they'd him her hers herself himself them their themselves his people someone somebody
    everyone everybody
    """
)
#: Words before a mental-state word searched for its owner.
OWNER_WINDOW = 3
#: Client turns with words below which a session's slope is undefined.
MIN_TURNS = 10

_STATE_OF = {w: kind for kind, words in MENTAL_STATES.items() for w in words}
_SENTENCE = re.compile(r"[.!?;\n]+")


def _phrase_count(tokens: list[str], phrases: tuple[str, ...]) -> int:
    """Occurrences of ``phrases`` in ``tokens``, none overlapping, longer phrases first
    ("that's why" is one marker, not also "why")."""
    parts = sorted((p.split() for p in phrases), key=len, reverse=True)
    n, i = 0, 0
    while i < len(tokens):
        k = next((len(p) for p in parts if tokens[i : i + len(p)] == p), 0)
        n += bool(k)
        i += max(k, 1)
    return n


def _owner(tokens: list[str], i: int, owners: dict[int, str]) -> str:
    """Whose state the word at ``i`` is: the nearest pronoun in the words before it; else
    that of a mental-state word among them ("she was furious and ashamed")."""
    for j in range(i - 1, max(-1, i - 1 - OWNER_WINDOW), -1):
        if tokens[j] in SELF_WORDS:
            return "self"
        if tokens[j] in OTHER_WORDS:
            return "other"
        if owners.get(j, "none") != "none":
            return owners[j]
    return "none"


def mental_state_counts(text: str) -> dict[str, int]:
    """Count the mental-state language of one text.

    Parameters
    ----------
    text : str

    Returns
    -------
    dict
        ``n_words``; ``thoughts``, ``feelings``, ``wishes``, ``beliefs`` (words of each kind,
        :data:`MENTAL_STATES`) and their sum ``mental_states``; ``self_states`` and
        ``other_states`` (those attributed to the speaker or to someone else); ``causal_links``
        (causal markers in sentences with a mental-state word) and ``opacity`` (opacity
        markers).

    Examples
    --------
    >>> c = mental_state_counts("I get angry because I think she doesn't care. You know?")
    >>> c["feelings"], c["thoughts"], c["self_states"], c["causal_links"], c["n_words"]
    (1, 1, 2, 1, 11)
    >>> mental_state_counts("Maybe he felt ashamed.")["other_states"]
    2
    """
    counts = dict.fromkeys(
        ("n_words", *KINDS, "mental_states", "self_states", "other_states", "causal_links"), 0
    )
    counts["opacity"] = 0
    for sentence in _SENTENCE.split(str(text)):
        tokens = tokenize(sentence)
        if not tokens:
            continue
        counts["n_words"] += len(tokens)
        states = 0
        owners: dict[int, str] = {}
        for i, word in enumerate(tokens):
            kind = _STATE_OF.get(word)
            if kind is None:
                continue
            if word == "know" and i > 0 and tokens[i - 1] == "you":
                continue  # the filler 'you know'
            counts[kind] += 1
            states += 1
            owner = owners[i] = _owner(tokens, i, owners)
            if owner != "none":
                counts[f"{owner}_states"] += 1
        counts["mental_states"] += states
        if states:
            counts["causal_links"] += _phrase_count(tokens, CAUSAL_MARKERS)
        counts["opacity"] += _phrase_count(tokens, OPACITY_MARKERS)
    return counts


#: The methods-paragraph entry of :func:`turn_mentalizing`.
METHOD = Method(
    name="mental_state_language",
    description=(
        "The client's mental-state language was counted turn by turn with the project's own "
        "open lexicon, written after the markers of reflective functioning that Fertuck et al. "
        "(2012) counted by computer (not their dictionary): words for thoughts, feelings, "
        "wishes and beliefs, attributed to the speaker or to others by the nearest pronoun in "
        f"the {OWNER_WINDOW} words before them, and causal links (a causal marker such as "
        "'because' in a sentence with a mental-state word). Rates are per 100 words; the "
        "session's trajectory is the weighted least-squares slope of the turns' rates (weighted "
        "by their words) over the turns' position from the first client turn (0) to the last "
        f"(1), undefined with fewer than {MIN_TURNS} client turns with words."
    ),
    parameters={"owner_window": OWNER_WINDOW, "min_turns": MIN_TURNS},
    citation=(
        "Fertuck, Mergenthaler, Target, Levy & Clarkin, Development and criterion validity of "
        "a computerized text analysis measure of reflective functioning, Psychotherapy "
        "Research 22(3):298-305, 2012; Fonagy, Target, Steele & Steele, Reflective-functioning "
        "manual, version 5, 1998"
    ),
)

_TABLE_COLUMNS = (
    "turn",
    "start_s",
    "position",
    "n_words",
    *KINDS,
    "mental_states",
    "self_states",
    "other_states",
    "causal_links",
    "opacity",
    "mental_state_rate",
    "causal_rate",
)


@dataclass(frozen=True, slots=True, eq=False)
class MentalizingResult(MeasurementResult):
    """Result of :func:`turn_mentalizing`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per turn of the role: ``turn``, ``start_s`` (NaN without timing),
        ``position`` (0 at the first of these turns, 1 at the last), ``n_words``, the counts of
        :func:`mental_state_counts` (``thoughts``, ``feelings``, ``wishes``, ``beliefs``,
        ``mental_states``, ``self_states``, ``other_states``, ``causal_links``, ``opacity``),
        ``mental_state_rate`` and ``causal_rate`` (per 100 words; NaN for a turn without
        words).
    summary : pandas.DataFrame
        One row: ``mentalizing_rate`` (mental-state words per 100 words of all the turns),
        ``causal_mentalizing_rate`` (causal links per 100 words), ``self_share`` (share of the
        attributed states that are the speaker's own), ``mentalizing_slope`` (per 100 words,
        from the first turn to the last; NaN with fewer than :data:`MIN_TURNS` turns with
        words), ``n_turns`` and ``n_words``; NaN where there are no words.
    method : Method
        :data:`METHOD`.
    """


def _slope(position: np.ndarray, rate: np.ndarray, weight: np.ndarray) -> float:
    ok = np.isfinite(rate) & (weight > 0)
    if ok.sum() < MIN_TURNS:
        return float("nan")
    x, y, w = position[ok], rate[ok], weight[ok]
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    sxx = float(np.sum(w * (x - mx) ** 2))
    return float("nan") if sxx <= 0 else float(np.sum(w * (x - mx) * (y - my)) / sxx)


def turn_mentalizing(turns: pd.DataFrame, *, role: str = "client") -> MentalizingResult:
    """Mental-state language of one person's turns, and its trajectory over the session.

    Parameters
    ----------
    turns : pandas.DataFrame
        :func:`attunement.language.turns.turns` of a session (``turn``, ``role``, ``text``;
        ``start_s`` where there is one).
    role : {'client', 'therapist'}, default 'client'
        Whose turns.

    Returns
    -------
    MentalizingResult
        ``.table`` per turn, ``.summary`` for the session (see :class:`MentalizingResult`).

    Raises
    ------
    InputError
        When ``turns`` is not a DataFrame with ``role`` and ``text``, or ``role`` is neither
        client nor therapist.

    References
    ----------
    Fertuck et al. (2012); Fonagy et al. (1998): see the module.

    Examples
    --------
    >>> t = pd.DataFrame({"turn": [0, 1, 2], "role": ["therapist", "client", "client"],
    ...                   "text": ["How was it?", "I felt hurt because she forgot.",
    ...                            "We went home."]})
    >>> res = turn_mentalizing(t)
    >>> res.table[["turn", "n_words", "mental_states", "causal_links"]].values.tolist()
    [[1, 6, 3, 1], [2, 3, 0, 0]]
    >>> round(res["mentalizing_rate"], 1), res["n_turns"]
    (33.3, 2)
    """
    if not isinstance(turns, pd.DataFrame):
        raise InputError(f"got {type(turns).__name__}; expected a DataFrame", field="turns")
    missing = [c for c in ("role", "text") if c not in turns.columns]
    if missing:
        raise InputError(
            f"has no column {', '.join(missing)}; expected role and text (see "
            "attunement.language.turns.turns)",
            field="turns",
        )
    if role not in ("client", "therapist"):
        raise InputError(f"is {role!r}; expected 'client' or 'therapist'", field="role")
    own = turns.loc[turns["role"].astype(str) == role]
    rows = [mental_state_counts("" if pd.isna(t) else str(t)) for t in own["text"].tolist()]
    table = pd.DataFrame(rows, columns=_TABLE_COLUMNS[3:-2]).astype("int64")
    n = len(own)
    table.insert(0, "turn", own["turn"].to_numpy() if "turn" in own.columns else np.arange(n))
    start = own["start_s"].to_numpy(dtype=float) if "start_s" in own.columns else np.full(n, np.nan)
    table.insert(1, "start_s", start)
    table.insert(2, "position", np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(n))
    words = table["n_words"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["mental_state_rate"] = np.where(
            words > 0, 100 * table["mental_states"] / words, np.nan
        )
        table["causal_rate"] = np.where(words > 0, 100 * table["causal_links"] / words, np.nan)
    total = float(words.sum())
    attributed = float(table["self_states"].sum() + table["other_states"].sum())
    nan = float("nan")
    summary = one_row(
        mentalizing_rate=100 * float(table["mental_states"].sum()) / total if total else nan,
        causal_mentalizing_rate=100 * float(table["causal_links"].sum()) / total if total else nan,
        self_share=float(table["self_states"].sum()) / attributed if attributed else nan,
        mentalizing_slope=_slope(
            table["position"].to_numpy(), table["mental_state_rate"].to_numpy(), words
        ),
        n_turns=n,
        n_words=int(total),
    )
    return MentalizingResult(table=table.reset_index(drop=True), summary=summary, method=METHOD)
