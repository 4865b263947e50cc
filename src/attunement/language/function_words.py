"""The project's own open function-word lists for the nine categories of language style matching.

Ireland & Pennebaker (2010) compute language style matching over nine function-word categories of
the LIWC dictionary. LIWC's dictionaries are proprietary, so these lists were written for this
project from general descriptive grammar of English (the closed word classes: pronouns,
determiners, auxiliaries and modals, prepositions, conjunctions) and from common spoken-English
forms, without reference to LIWC's word lists. Their counts therefore differ somewhat from LIWC's.

How the lists were made:

* Only whole words, no wildcards: every inflected or contracted form is listed explicitly.
* A word goes into every category it commonly serves in conversation, so categories overlap:
  ``nothing`` is an impersonal pronoun and a negation, ``so`` an adverb and a conjunction,
  ``since`` a preposition and a conjunction. A contraction belongs to the categories of both its
  parts: ``don't`` is an auxiliary verb and a negation, ``I'm`` a personal pronoun and an
  auxiliary verb, ``it's`` an impersonal pronoun and an auxiliary verb, ``there's`` an adverb and
  an auxiliary verb. ``that`` counts as a (demonstrative or relative) impersonal pronoun only,
  not as a conjunction.
* Contractions are listed with an apostrophe, and also without one where the apostrophe-less
  spelling is not itself a common word (``dont``, ``im`` and ``thats`` yes; ``its``, ``well``,
  ``were``, ``ill`` and ``wont`` no, since they are other words).
* Words whose function-word use is rarer than their other uses are left out: ``one`` (mostly the
  number), ``like`` is kept as a preposition because it is one in most of its spoken uses,
  ``little`` and ``other`` (mostly adjectives) are left out. Numbers are not a category.

Tokenization (:func:`tokenize`): the text is lower-cased (``str.casefold``); curly and other
apostrophe-like marks (``’ ‘ ʼ ` ´ ′``) become ``'``; annotations in square brackets such as
``[laughs]`` or ``[inaudible]`` are removed; a word is then a run of letters and digits that may
contain inner apostrophes or hyphens (``don't``, ``well-being``); every word counts towards the
total, function word or not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from attunement.synchrony.result import Method

__all__ = ["CATEGORIES", "FUNCTION_WORDS", "METHOD", "category_counts", "rates", "tokenize"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NEGATED_AUXILIARIES = _words(
    """
    isn't aren't wasn't weren't ain't
    haven't hasn't hadn't
    don't doesn't didn't
    won't wouldn't can't cannot couldn't shan't shouldn't mightn't mustn't needn't oughtn't
    isnt arent wasnt werent aint havent hasnt hadnt dont doesnt didnt
    wouldnt cant couldnt shouldnt mustnt
    """
)

_PRONOUN_AUXILIARY_CONTRACTIONS = _words(
    """
    i'm i've i'd i'll im ive
    you're you've you'd you'll youre youve
    he's he'd he'll she's she'd she'll
    we're we've we'd we'll
    they're they've they'd they'll theyre theyve
    """
)

_IMPERSONAL_AUXILIARY_CONTRACTIONS = _words(
    """
    it's it'd it'll that's that'd that'll thats this'll
    what's what'd what'll whats who's who'd who'll
    something's someone's somebody's everything's everyone's nothing's
    """
)

_ADVERB_AUXILIARY_CONTRACTIONS = _words(
    """
    there's there'd there'll here's where's where'd how's how'd when's why's
    """
)

_PERSONAL_PRONOUNS = (
    _words(
        """
        i me my mine myself
        we us our ours ourselves
        you your yours yourself yourselves y'all ya
        he him his himself she her hers herself
        they them their theirs themselves themself
        let's
        """
    )
    | _PRONOUN_AUXILIARY_CONTRACTIONS
)

_IMPERSONAL_PRONOUNS = (
    _words(
        """
        it its itself
        this that these those
        what whatever which whichever who whom whose whoever whomever
        something anything everything nothing
        someone anyone everyone no-one
        somebody anybody everybody nobody
        another
        """
    )
    | _IMPERSONAL_AUXILIARY_CONTRACTIONS
)

_ARTICLES = _words("a an the")

_AUXILIARY_VERBS = (
    _words(
        """
        be am is are was were been being
        have has had having
        do does did
        will would shall should can could may might must ought
        gonna gotta
        would've could've should've might've must've wouldve couldve shouldve
        """
    )
    | _NEGATED_AUXILIARIES
    | _PRONOUN_AUXILIARY_CONTRACTIONS
    | _IMPERSONAL_AUXILIARY_CONTRACTIONS
    | _ADVERB_AUXILIARY_CONTRACTIONS
)

_ADVERBS = (
    _words(
        """
    very really so too quite rather pretty fairly somewhat
    just only even also still already yet again
    always usually often sometimes ever never rarely seldom occasionally
    now then today tonight soon later recently lately once
    here there everywhere somewhere anywhere away back
    almost nearly hardly barely
    maybe perhaps probably possibly actually basically certainly definitely exactly
    truly totally completely absolutely literally honestly seriously simply
    especially mostly mainly anyway anymore instead else together ago
    how when where why
    kinda sorta
    """
    )
    | _ADVERB_AUXILIARY_CONTRACTIONS
)

_PREPOSITIONS = _words(
    """
    about above across after against along alongside amid among amongst around as at
    before behind below beneath beside besides between beyond by
    despite down during except for from in inside into like near
    of off on onto out outside over past per since than through throughout till to toward
    towards under underneath unlike until up upon versus via with within without
    """
)

_CONJUNCTIONS = _words(
    """
    and but or nor so yet
    because cuz cos coz although though while whilst whereas
    if unless whether as since until till once
    """
)

_NEGATIONS = (
    _words(
        """
        no not never none nobody nothing nowhere neither nor no-one nope nah
        """
    )
    | _NEGATED_AUXILIARIES
)

_QUANTIFIERS = _words(
    """
    all any both each either every few fewer fewest less least
    lot lots many more most much several some enough plenty half whole none
    """
)

#: The nine categories of Ireland & Pennebaker (2010), in their usual order.
CATEGORIES: tuple[str, ...] = (
    "personal_pronouns",
    "impersonal_pronouns",
    "articles",
    "auxiliary_verbs",
    "adverbs",
    "prepositions",
    "conjunctions",
    "negations",
    "quantifiers",
)

#: Category -> its words (lower case, apostrophes as ``'``).
FUNCTION_WORDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "personal_pronouns": _PERSONAL_PRONOUNS,
        "impersonal_pronouns": _IMPERSONAL_PRONOUNS,
        "articles": _ARTICLES,
        "auxiliary_verbs": _AUXILIARY_VERBS,
        "adverbs": _ADVERBS,
        "prepositions": _PREPOSITIONS,
        "conjunctions": _CONJUNCTIONS,
        "negations": _NEGATIONS,
        "quantifiers": _QUANTIFIERS,
    }
)

#: The methods-paragraph entry of the word counts (:func:`category_counts`).
METHOD = Method(
    name="function_words",
    description=(
        "Function words were counted in nine categories (personal and impersonal pronouns, "
        "articles, auxiliary verbs, high-frequency adverbs, prepositions, conjunctions, negations "
        "and quantifiers; Ireland & Pennebaker, 2010) with open word lists written for this "
        "toolkit from English grammar, since the LIWC dictionaries are proprietary; a word may "
        'belong to several categories (e.g. "don\'t" is an auxiliary verb and a negation).'
    ),
    parameters={"n_words": {c: len(FUNCTION_WORDS[c]) for c in CATEGORIES}},
    citation=(
        "Ireland, M. E., & Pennebaker, J. W. (2010). Language style matching in writing: "
        "Synchrony in essays, correspondence, and poetry. Journal of Personality and Social "
        "Psychology, 99(3), 549-571."
    ),
)

_APOSTROPHES = str.maketrans({c: "'" for c in "’‘ʼ`´′"})
_ANNOTATION = re.compile(r"\[[^\]]*\]")
_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
_INDEX = {c: i for i, c in enumerate(CATEGORIES)}
_WORD_CATEGORIES: dict[str, tuple[int, ...]] = {}
for _category, _members in FUNCTION_WORDS.items():
    for _word in _members:
        _WORD_CATEGORIES[_word] = (*_WORD_CATEGORIES.get(_word, ()), _INDEX[_category])


def tokenize(text: str) -> list[str]:
    """Split text into lower-case words as the categories count them.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str

    Examples
    --------
    >>> tokenize("I DON’T know [laughs] -- it's well-being, 2 times!")
    ['i', "don't", 'know', "it's", 'well-being', '2', 'times']
    """
    text = _ANNOTATION.sub(" ", str(text).casefold().translate(_APOSTROPHES))
    return _WORD.findall(text)


def category_counts(text: str) -> tuple[np.ndarray, int]:
    """Count the words of each category.

    Parameters
    ----------
    text : str

    Returns
    -------
    counts : numpy.ndarray
        Shape (9,), int: words of each category, in the order of :data:`CATEGORIES`.
    n_words : int
        All words in the text.

    Examples
    --------
    >>> counts, n = category_counts("I don't think the answer is in the book.")
    >>> dict(zip(CATEGORIES, counts.tolist()))["articles"], n
    (2, 9)
    """
    counts = np.zeros(len(CATEGORIES), dtype=np.int64)
    words = tokenize(text)
    for word in words:
        for i in _WORD_CATEGORIES.get(word, ()):
            counts[i] += 1
    return counts, len(words)


def rates(text: str) -> dict[str, float]:
    """Percentage of the words of ``text`` in each category (NaN for a text without words).

    Parameters
    ----------
    text : str

    Returns
    -------
    dict
        Category -> percentage (0-100) of all words, as LIWC reports rates.

    Examples
    --------
    >>> rates("The cat and the dog.")["articles"]
    40.0
    """
    counts, n = category_counts(text)
    values = counts * (100.0 / n) if n else np.full(len(CATEGORIES), np.nan)
    return dict(zip(CATEGORIES, values.tolist(), strict=True))
