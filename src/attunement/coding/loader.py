"""Finding and loading the trained coders at run time: one loader, one caching rule.

A coder is named by a *spec*:

- ``'transformer'`` (the default): the fine-tuned transformer shipped with attunement
  (:mod:`attunement.coding.neural`, ``models/annomi_transformer``);
- ``'ngram'``: the shipped TF-IDF n-gram coders (about 7 times faster, less accurate);
- ``'epitome'``: the shipped EPITOME empathy coders (``models/epitome``), trained on EPITOME's
  Reddit data (Sharma, Miner, Atkins & Althoff, EMNLP 2020) and distributed under EPITOME's
  non-commercial academic research license (the ``LICENSE`` file beside it), **not** under
  attunement's MIT license: use it for non-commercial research only, and cite Sharma et al.
  (2020) in publications. Without that folder, attunement runs without empathy scores;
- a folder written by ``attunement train``: a transformer coder (``model.onnx``,
  ``tokenizer.json``, ``model.json``), n-gram coders (``annomi_coders.json`` and ``.npz``)
  or empathy coders (``epitome_coders.json`` and ``.npz``), told apart by the files it holds.

The caching rule, for every model of :mod:`attunement.coding`: a ``resolve_*`` or ``load_*``
function reads a model once per process for each folder (by its absolute path) and returns the
same read-only object after, so a batch of sessions reads each model once;
``resolve_coder(spec, cached=False)`` and every ``read_*`` function read from disk each time
(training writes a folder and then reads it back). The library never reads the environment:
the command line and the web app turn ``ATTUNEMENT_CODER`` into a spec at their edge.
"""

from __future__ import annotations

import functools
from pathlib import Path

from attunement.coding.artifact import (
    EPITOME_NAME,
    Coders,
    default_model_dir,
    epitome_model_dir,
    read_coders,
)
from attunement.coding.neural import read_transformer, transformer_model_dir

__all__ = [
    "CODER_KINDS",
    "DEFAULT_CODER",
    "coder_dir",
    "coder_kind",
    "default_model_dir",
    "epitome_model_dir",
    "resolve_coder",
    "transformer_model_dir",
]

#: Names of the shipped AnnoMI coders: the fine-tuned transformer (the default) and the
#: TF-IDF n-gram coder (about 7 times faster, less accurate).
CODER_KINDS: tuple[str, ...] = ("transformer", "ngram")
#: The coder used when none is named.
DEFAULT_CODER = "transformer"
_SHIPPED = {
    "transformer": transformer_model_dir,
    "ngram": default_model_dir,
    "epitome": epitome_model_dir,
}


def coder_kind(spec: str | Path | None = None) -> str:
    """The coder a spec names: 'transformer' (also for None or ''), 'ngram', 'epitome', or the
    folder's path as given.

    Examples
    --------
    >>> coder_kind(), coder_kind(" ngram "), coder_kind("models/mine")
    ('transformer', 'ngram', 'models/mine')
    """
    value = "" if spec is None else str(spec).strip()
    return value or DEFAULT_CODER


def coder_dir(spec: str | Path | None = None) -> Path:
    """The folder a spec names (a shipped coder's folder, or the folder given).

    Examples
    --------
    >>> coder_dir("ngram") == default_model_dir()
    True
    """
    kind = coder_kind(spec)
    return _SHIPPED[kind]() if kind in _SHIPPED else Path(kind)


def resolve_coder(spec: str | Path | None = None, *, cached: bool = True) -> Coders:
    """The coders a spec names, loaded (once per process and folder unless ``cached=False``).

    Parameters
    ----------
    spec : str or path-like, optional
        'transformer' (default), 'ngram', 'epitome' or a folder (see the module's docstring).
    cached : bool, default True
        False reads the folder again (after training has rewritten it).

    Returns
    -------
    Coders
        ``meta['kind']`` is 'transformer', 'ngram' or 'epitome'. The AnnoMI coders have the
        tasks ``therapist_behaviour``, ``client_talk``, ``reflection_type`` and
        ``question_type``; the empathy coders ``er``, ``ip`` and ``ex`` (levels '0'-'2').

    Raises
    ------
    InputError
        When the folder holds no valid coder (the message names the file that is missing or
        cannot be read).

    Examples
    --------
    >>> sorted(resolve_coder().coders)
    ['client_talk', 'question_type', 'reflection_type', 'therapist_behaviour']
    >>> resolve_coder("ngram").meta["kind"], resolve_coder("epitome").meta["kind"]
    ('ngram', 'epitome')
    >>> resolve_coder("ngram") is resolve_coder("ngram")
    True
    """
    directory = str(coder_dir(spec).resolve())
    return _cached(directory) if cached else _read(directory)


@functools.cache
def _cached(directory: str) -> Coders:
    return _read(directory)


def _read(directory: str) -> Coders:
    folder = Path(directory)
    if (folder / "model.onnx").is_file() or (folder / "model.json").is_file():
        model = read_transformer(folder)
        return Coders(model.coders(), {**model.meta, "kind": "transformer"})
    if (folder / f"{EPITOME_NAME}.json").is_file():
        coders = read_coders(folder, name=EPITOME_NAME)
        return Coders(coders.coders, {**coders.meta, "kind": "epitome"})
    coders = read_coders(folder)
    return Coders(coders.coders, {**coders.meta, "kind": "ngram"})
