"""Speaker names -> roles, and names -> pseudonyms (names are protected health information).

Rules, in order:

1. a role the source itself carries (AnnoMI's ``interlocutor``) is kept;
2. speakers named with ``therapist=`` / ``client=`` (case and spacing ignored; failing an exact
   match, word order, punctuation and trailing parenthesised tags are ignored too, so "John
   Smith" finds Teams' "Smith, John (Guest)" and "Ashlee Kupor" finds Zoom's "Ashlee Kupor (SL)");
3. speakers whose name contains a role word: therapist, counsellor, counselor, interviewer,
   clinician, psychologist -> therapist; client, patient, interviewee -> client;
4. when no speaker can be recognised and every label is anonymous ("Speaker 1", "Speaker 2",
   as a transcribed recording or Otter writes them), :func:`guess_therapist` picks the
   therapist by how each speaker talks: the one who says "you" most and "I" least;
5. what is left: when a therapist is known and clients were not named, every other speaker is a
   client (a couple or family has several); when only the client side is known and one speaker is
   left, that speaker is the therapist; otherwise the rest are ``other`` (with a warning).

Unless ``keep_names=True``, each speaker is relabelled by role ("Therapist", "Client", or
"Client 1", "Client 2" when a role has several speakers), and capitalised parts of the speakers'
names are replaced by those labels inside the utterance texts too.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence

from attunement.errors import AttunementWarning, InputError
from attunement.io._common import RawTranscript
from attunement.model import Utterance

__all__ = ["ADDRESS_RULE", "assign_roles", "guess_role", "guess_therapist", "scrub_identifier"]

_THERAPIST = re.compile(
    r"\b(therapist|counsell?or|counselor|interviewer|clinician|psychologist)s?\b", re.I
)
_CLIENT = re.compile(r"\b(client|patient|interviewee)s?\b", re.I)


def guess_role(name: str) -> str | None:
    """The role a speaker's name announces, if any.

    Examples
    --------
    >>> guess_role("Counsellor"), guess_role("PATIENT 2"), guess_role("Dr Jones")
    ('therapist', 'client', None)
    """
    if _THERAPIST.search(name):
        return "therapist"
    if _CLIENT.search(name):
        return "client"
    return None


#: Labels that name nobody: a transcriber's or a diarizer's numbered speakers.
_ANONYMOUS = re.compile(r"^\s*(speaker|participant|unknown|person|voice|spk)[\s_-]*\d*\s*$", re.I)
_SECOND_PERSON = re.compile(
    r"\b(you|your|yours|yourself|yourselves|you're|you've|you'd|you'll|y'all)\b", re.I
)
_FIRST_SINGULAR = re.compile(r"\b(i|me|my|mine|myself|i'm|i've|i'd|i'll)\b", re.I)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

#: How :func:`guess_therapist` decides, as the report states it. Checked on transcripts with
#: known roles (``attunement benchmark roles``): right in 132 of 133 AnnoMI sessions, 97 of
#: 102 high/low-quality counselling sessions (HLQC) and 10 of 10 chatbot sessions (MIV6.3A);
#: whoever speaks first is the therapist in 87%, 49% and 100% of them.
ADDRESS_RULE = (
    "the therapist was taken to be the speaker who says 'you' most and 'I' least "
    "(second- minus first-person-singular pronouns per word)"
)


def guess_therapist(raw: RawTranscript) -> dict | None:
    """Pick the therapist of a transcript whose speakers are only numbered.

    Applies only when no utterance carries a role, no label announces one (:func:`guess_role`)
    and every label is anonymous ("Speaker 1", "Participant 2", "Unknown"); otherwise None.
    The therapist is the speaker with the highest rate of second-person pronouns minus
    first-person-singular ones per word (:data:`ADDRESS_RULE`): therapists address the client,
    clients speak of themselves.

    Returns
    -------
    dict or None
        ``therapist`` (the label picked), ``rule`` (:data:`ADDRESS_RULE`), ``scores`` (label
        -> the rate, rounded) and ``margin`` (the picked speaker's lead over the next).

    Examples
    --------
    >>> from attunement.io._common import RawTranscript, RawUtterance
    >>> raw = RawTranscript([RawUtterance("Speaker 1", "I feel stuck at work."),
    ...                      RawUtterance("Speaker 2", "What makes you feel stuck?")], "txt")
    >>> guess_therapist(raw)["therapist"]
    'Speaker 2'
    """
    labels = list(dict.fromkeys(u.speaker for u in raw.utterances))
    if len(labels) < 2 or any(u.role is not None for u in raw.utterances):
        return None
    if any(guess_role(n) is not None or not _ANONYMOUS.match(n) for n in labels):
        return None
    scores: dict[str, float] = {}
    for label in labels:
        text = " ".join(u.text for u in raw.utterances if u.speaker == label)
        words = len(_WORD.findall(text))
        if words:
            you, me = len(_SECOND_PERSON.findall(text)), len(_FIRST_SINGULAR.findall(text))
            scores[label] = (you - me) / words
    if len(scores) < 2:
        return None
    ranked = sorted(scores, key=lambda k: (-scores[k], labels.index(k)))
    return {
        "therapist": ranked[0],
        "rule": ADDRESS_RULE,
        "scores": {k: round(v, 4) for k, v in scores.items()},
        "margin": round(scores[ranked[0]] - scores[ranked[1]], 4),
    }


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def _without_tags(name: str) -> str:
    """``name`` without trailing parenthesised tags: Teams' "(Guest)", Zoom's "(SL)",
    "(she/her)", "(Host) (Me)" (stripped from the end, in time linear in the name's length)."""
    name = name.rstrip()
    while name.endswith(")"):
        at = name.rfind("(")
        if at < 0 or ")" in name[at + 1 : -1]:
            break
        name = name[:at].rstrip()
    return name


def _loose(name: str) -> frozenset[str]:
    """The words of a name, whatever their order, case and punctuation, without trailing
    parenthesised tags: "Smith, John (Guest)", "John Smith (SL)" and "john smith" give the same
    key.

    Examples
    --------
    >>> _loose("Ashlee Kupor (SL)") == _loose("ashlee  kupor")
    True
    """
    return frozenset(re.findall(r"\w+", _without_tags(name).casefold()))


def _find_speaker(given: str, names: Iterable[str]) -> list[str]:
    names = list(names)
    exact = [n for n in names if _norm(n) == _norm(given)]
    if exact:
        return exact[:1]
    key = _loose(given)
    return [n for n in names if key and _loose(n) == key]


def _as_list(names: str | Iterable[str] | None) -> list[str]:
    if names is None:
        return []
    if isinstance(names, str):
        return [names]
    return list(names)


def _describe(counts: Counter[str]) -> str:
    return ", ".join(
        f"{name!r} ({n} utterance{'s' if n != 1 else ''})" for name, n in counts.most_common()
    )


def assign_roles(
    raw: RawTranscript,
    *,
    therapist: str | Sequence[str] | None = None,
    client: str | Sequence[str] | None = None,
    keep_names: bool = False,
    path: str | None = None,
) -> tuple[tuple[Utterance, ...], dict[str, str]]:
    """Give every utterance a role and (unless ``keep_names``) a pseudonymous speaker label.

    Parameters
    ----------
    raw : RawTranscript
    therapist, client : str or sequence of str, optional
        Speaker names as written in the transcript.
    keep_names : bool
        Keep the speakers' names instead of role labels.
    path : str, optional
        The source file, for error messages.

    Returns
    -------
    utterances : tuple of Utterance
    speakers : dict
        Speaker label -> role, in order of first appearance.

    Raises
    ------
    InputError
        A given name matches no speaker, a name is given as both roles, or no speaker can be
        recognised as the therapist.
    """
    counts: Counter[str] = Counter(u.speaker for u in raw.utterances)

    role_of: dict[str, str] = {}
    for u in raw.utterances:
        if u.role is not None:
            role_of.setdefault(u.speaker, u.role)

    for role, names in (("therapist", _as_list(therapist)), ("client", _as_list(client))):
        for given in names:
            found = _find_speaker(given, counts)
            if len(found) != 1:
                what = "no speaker is named" if not found else "several speakers match"
                raise InputError(
                    f"{what} {given!r}; expected one of the speakers found: {_describe(counts)}",
                    path=path,
                    field=f"--{role}",
                )
            actual = found[0]
            if role_of.get(actual, role) != role:
                raise InputError(
                    f"{given!r} is given as both {role_of[actual]} and {role}; expected one role",
                    path=path,
                    field=f"--{role}",
                )
            role_of[actual] = role

    for name in counts:
        if name not in role_of and (guessed := guess_role(name)) is not None:
            role_of[name] = guessed

    left = [name for name in counts if name not in role_of]
    roles_known = set(role_of.values())
    if left:
        if "therapist" in roles_known and not _as_list(client) and "client" not in roles_known:
            for name in left:
                role_of[name] = "client"
        elif "therapist" not in roles_known and "client" in roles_known and len(left) == 1:
            role_of[left[0]] = "therapist"
        elif "therapist" in roles_known and ("client" in roles_known or _as_list(client)):
            for name in left:
                role_of[name] = "other"
            warnings.warn(
                f"{path or 'transcript'}: speakers {', '.join(map(repr, left))} are neither "
                "therapist nor client; they are kept with role 'other'",
                AttunementWarning,
                stacklevel=2,
            )
    if "therapist" not in role_of.values():
        raise InputError(
            "cannot tell which speaker is the therapist; expected a speaker named therapist, "
            "counsellor, counselor or interviewer, or one named with --therapist NAME "
            f"(speakers found: {_describe(counts)})",
            path=path,
        )

    labels: dict[str, str] = {}
    if keep_names:
        labels = {name: name for name in counts}
    else:
        members: dict[str, list[str]] = {}
        for name in counts:  # order of first appearance
            members.setdefault(role_of[name], []).append(name)
        for role, names in members.items():
            for i, name in enumerate(names, start=1):
                base = role.capitalize()
                labels[name] = base if len(names) == 1 else f"{base} {i}"

    scrub = None if keep_names else _name_scrubber(labels)
    utterances = []
    for i, u in enumerate(raw.utterances):
        text = u.text if scrub is None else scrub(u.text)
        try:
            utterances.append(
                Utterance(i, labels[u.speaker], role_of[u.speaker], u.start, u.end, text)
            )
        except InputError as exc:
            raise InputError(exc.message, path=path, line=u.line) from None
    speakers = {labels[name]: role_of[name] for name in counts}
    return tuple(utterances), speakers


def _name_scrubber(labels: dict[str, str]):
    """Replace capitalised parts of speakers' names (not role words) with their labels."""
    parts: dict[str, str] = {}
    for name, label in labels.items():
        for token in re.findall(r"[^\W\d_][\w'’-]*", name):
            if len(token) < 2 or not token[0].isupper() or guess_role(token) is not None:
                continue
            if token.casefold() in {"speaker", "unknown", "dr", "mr", "mrs", "ms", "mx", "prof"}:
                continue
            parts.setdefault(token, label)
    if not parts:
        return None
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(parts, key=len)[::-1])) + r")\b")
    return lambda text: pattern.sub(lambda m: f"[{parts[m.group(1)]}]", text)


#: Name parts never taken for a person's name in an identifier.
_NOT_NAMES = frozenset({"speaker", "unknown", "guest", "host", "participant", "user"})


def scrub_identifier(identifier: str, labels: dict[str, str]) -> str:
    """Replace the parts of speakers' names that appear in an identifier by their role labels.

    Session ids default to a file's name, which often holds the client's name
    (``jane_doe_week6.vtt``). Any part of at least three letters of a speaker's name (not a
    role word) is replaced wherever it stands between separators (``_``, ``-``, ``.``, space),
    in any case.

    Parameters
    ----------
    identifier : str
    labels : dict
        Speaker name as written in the transcript -> its label (``"Client"``).

    Returns
    -------
    str

    Examples
    --------
    >>> scrub_identifier("2026-03-02_jane_DOE_week6", {"Jane Doe": "Client", "Dr Lee": "Therapist"})
    '2026-03-02_client_client_week6'
    >>> scrub_identifier("session-1", {"Speaker 1": "Client"})
    'session-1'
    """
    parts: dict[str, str] = {}
    for name, label in labels.items():
        for token in re.findall(r"[^\W\d_]+", name):
            low = token.casefold()
            if len(token) < 3 or low in _NOT_NAMES or guess_role(token) is not None:
                continue
            parts.setdefault(low, label.casefold().replace(" ", "-"))
    if not parts:
        return identifier
    pattern = re.compile(
        r"(?<![^\W_])(" + "|".join(map(re.escape, sorted(parts, key=len)[::-1])) + r")(?![^\W_])",
        re.IGNORECASE,
    )
    return pattern.sub(lambda m: parts[m.group(1).casefold()], identifier)
