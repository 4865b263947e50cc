"""Storing trained coders without pickle: a compressed ``.npz`` of plain arrays plus JSON.

``annomi_coders.npz`` holds, per task, the vocabularies (UTF-8 text), idf weights and the
logistic-regression coefficients; ``annomi_coders.json`` holds the parameters, labels and how
each coder was trained and evaluated. Loading rebuilds scikit-learn objects, so an artifact works
across scikit-learn versions, and nothing in it can execute code.

The empathy coders trained on EPITOME are stored the same way (``epitome_coders.npz`` and
``.json``) in a separate folder, ``models/epitome``, with their own ``LICENSE``: EPITOME's
non-commercial academic research license governs that model, not attunement's MIT license.
"""

from __future__ import annotations

import functools
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from attunement.coding.epitome import CITATION as EPITOME_CITATION
from attunement.coding.estimator import TextCoder
from attunement.errors import InputError

__all__ = [
    "ARTIFACT_NAME",
    "CODER_KINDS",
    "EPITOME_LICENSE_NOTE",
    "EPITOME_NAME",
    "Coders",
    "coder_dir",
    "coder_kind",
    "default_model_dir",
    "epitome_model_dir",
    "load_coder",
    "load_epitome",
    "read_coder",
    "read_coders",
    "save_coders",
]

ARTIFACT_NAME = "annomi_coders"
FORMAT_VERSION = 1
_CITATION = (
    "Wu et al., Creation, Analysis and Evaluation of AnnoMI, a Dataset of Expert-Annotated "
    "Counselling Dialogues, Future Internet 15(3):110, 2023"
)
_ANNOMI_ABOUT = {
    "data": "AnnoMI (public domain)",
    "citation": _CITATION,
    "license": "public domain (training data); the model is distributed with attunement (MIT)",
}
#: File stem of the EPITOME empathy coders (in :func:`epitome_model_dir`).
EPITOME_NAME = "epitome_coders"
#: What governs the EPITOME model, said wherever it is loaded.
EPITOME_LICENSE_NOTE = (
    "The EPITOME empathy model is trained on EPITOME (Sharma, Miner, Atkins & Althoff, EMNLP "
    "2020) and distributed under EPITOME's non-commercial academic research license (LICENSE "
    "in attunement/coding/models/epitome), not under attunement's MIT license: use it for "
    "non-commercial research only, and cite Sharma et al. (2020) in publications."
)
EPITOME_ABOUT = {
    "data": "EPITOME, Reddit portion (non-commercial academic research license)",
    "citation": EPITOME_CITATION,
    "license": EPITOME_LICENSE_NOTE,
}


@dataclass(frozen=True, slots=True, eq=False)
class Coders:
    """A set of trained coders, by task, with the metadata they were stored with.

    Attributes
    ----------
    coders : dict
        Task name -> fitted :class:`~attunement.coding.estimator.TextCoder`.
    meta : dict
        ``format_version``, ``trained_with`` (scikit-learn version), ``data``, ``citation``,
        ``license`` and ``tasks`` (task -> its training facts, e.g. ``cv_macro_f1``).
    """

    coders: Mapping[str, TextCoder]
    meta: Mapping[str, Any] = field(default_factory=dict)


def default_model_dir() -> Path:
    """The package's folder of shipped models."""
    return Path(str(resources.files("attunement.coding") / "models"))


def epitome_model_dir() -> Path:
    """The package's folder of the EPITOME empathy model (non-commercial academic license)."""
    return default_model_dir() / "epitome"


def save_coders(
    coders: Mapping[str, TextCoder],
    directory: str | Path,
    *,
    info: Mapping[str, Any] = (),
    name: str = ARTIFACT_NAME,
    about: Mapping[str, str] | None = None,
) -> Path:
    """Write ``{name}.npz`` and ``{name}.json`` into ``directory``.

    Parameters
    ----------
    coders : mapping
        Task name -> fitted TextCoder.
    directory : str or path-like
        Created if needed.
    info : mapping, optional
        Task name -> facts to store with it (training size, cross-validated macro-F1, ...).
    name : str, default 'annomi_coders'
        File stem (:data:`EPITOME_NAME` for the empathy coders).
    about : mapping, optional
        ``data``, ``citation`` and ``license`` of the training data and the model (default:
        AnnoMI's).

    Returns
    -------
    pathlib.Path
        The JSON file.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    tasks: dict[str, Any] = {}
    info = dict(info)
    for task, coder in coders.items():
        meta, task_arrays = coder.to_arrays()
        arrays.update({f"{task}.{k}": v for k, v in task_arrays.items()})
        tasks[task] = {**meta, **dict(info.get(task, {}))}
    document = {
        "format_version": FORMAT_VERSION,
        "trained_with": {"scikit-learn": sklearn.__version__},
        **{**_ANNOMI_ABOUT, **dict(about or {})},
        "tasks": tasks,
    }
    npz = directory / f"{name}.npz"
    tmp = npz.with_name(npz.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(npz)
    target = directory / f"{name}.json"
    target.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return target


def read_coders(directory: str | Path, *, name: str = ARTIFACT_NAME) -> Coders:
    """Read an artifact folder every time it is called (:func:`load_coder` caches this).

    Parameters
    ----------
    directory : str or path-like
    name : str, default 'annomi_coders'
        File stem (:data:`EPITOME_NAME` for the empathy coders).

    Raises
    ------
    InputError
        When the folder holds no valid artifact.
    """
    directory = Path(directory)
    meta_path = directory / f"{name}.json"
    npz_path = directory / f"{name}.npz"
    for p in (meta_path, npz_path):
        if not p.is_file():
            raise InputError(
                f"was not found; expected a coder artifact ({name}.json and "
                f"{name}.npz, written by `attunement train`)",
                path=str(p),
            )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"is not valid JSON ({exc}); expected coder metadata", path=str(meta_path)
        ) from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"has format_version {meta.get('format_version') if isinstance(meta, dict) else None}"
            f"; expected {FORMAT_VERSION}",
            path=str(meta_path),
        )
    try:
        data = np.load(npz_path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("a single array, not an archive of arrays")
        with data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(
            f"could not be read ({exc}); expected a .npz archive", path=str(npz_path)
        ) from None
    coders = {}
    for task, task_meta in meta.get("tasks", {}).items():
        prefix = f"{task}."
        mine = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        try:
            coders[task] = TextCoder.from_arrays(task_meta, mine)
        except InputError as exc:
            raise InputError(f"task {task}: {exc.args[0]}", path=str(npz_path)) from None
    return Coders(coders, meta)


@functools.cache
def _load(directory: str, name: str = ARTIFACT_NAME) -> Coders:
    return read_coders(Path(directory), name=name)


#: Names of the shipped AnnoMI coders: the fine-tuned transformer (the default) and the
#: TF-IDF n-gram coder (about 7 times faster, less accurate).
CODER_KINDS: tuple[str, ...] = ("transformer", "ngram")


def coder_kind(coder: str | Path | None = None) -> str:
    """The coder asked for, resolved: ``coder``, else ``ATTUNEMENT_CODER``, else
    'transformer'. Returns 'transformer', 'ngram' or a folder's path."""
    import os

    value = str(coder) if coder is not None else os.environ.get("ATTUNEMENT_CODER", "")
    return value.strip() or "transformer"


def coder_dir(coder: str | Path | None = None) -> Path:
    """The folder of a coder: a shipped one by name (see :data:`CODER_KINDS`) or a folder."""
    kind = coder_kind(coder)
    if kind == "transformer":
        from attunement.coding.neural import transformer_model_dir

        return transformer_model_dir()
    if kind == "ngram":
        return default_model_dir()
    return Path(kind)


def load_coder(path: str | Path | None = None) -> Coders:
    """The trained AnnoMI coders, loaded once per process for each folder.

    Parameters
    ----------
    path : str or path-like, optional
        'transformer' (the default, unless ``ATTUNEMENT_CODER`` names another): the
        fine-tuned transformer shipped with attunement (:mod:`attunement.coding.neural`);
        'ngram': the shipped TF-IDF coders; or a folder holding either a transformer coder
        (``model.onnx``, ``tokenizer.json``, ``model.json``) or n-gram coders
        (``annomi_coders.json`` and ``.npz``), as written by ``attunement train``.

    Returns
    -------
    Coders
        ``meta['kind']`` is 'transformer' or 'ngram'.

    Raises
    ------
    InputError
        When the folder holds no valid coder.

    Examples
    --------
    >>> sorted(load_coder().coders)
    ['client_talk', 'question_type', 'reflection_type', 'therapist_behaviour']
    >>> load_coder("ngram").meta["kind"], load_coder().meta["kind"]
    ('ngram', 'transformer')
    """
    return _load_coder(str(coder_dir(path).resolve()))


def read_coder(path: str | Path | None = None) -> Coders:
    """Like :func:`load_coder`, but read from disk every time it is called."""
    from attunement.coding.neural import read_transformer

    return _as_coders(coder_dir(path), read_transformer, read_coders)


@functools.cache
def _load_coder(directory: str) -> Coders:
    from attunement.coding.neural import load_transformer

    return _as_coders(Path(directory), load_transformer, _load)


def _as_coders(directory: Path, transformer: Any, ngram: Any) -> Coders:
    """The coder in ``directory``, read by ``transformer`` or ``ngram``, with its kind."""
    if (directory / "model.onnx").is_file() or (directory / "model.json").is_file():
        model = transformer(str(directory))
        return Coders(model.coders(), {**model.meta, "kind": "transformer"})
    coders = ngram(str(directory))
    return Coders(coders.coders, {**coders.meta, "kind": "ngram"})


def load_epitome(path: str | Path | None = None) -> Coders:
    """The EPITOME empathy coders, loaded once per process for each folder.

    The shipped model (``attunement/coding/models/epitome``) was trained on EPITOME's Reddit
    data (Sharma, Miner, Atkins & Althoff, EMNLP 2020) and is distributed under EPITOME's
    non-commercial academic research license (the ``LICENSE`` file beside it), **not** under
    attunement's MIT license: use it for non-commercial research only, and cite Sharma et al.
    (2020) in publications. Without that folder, attunement runs without empathy scores.

    Parameters
    ----------
    path : str or path-like, optional
        A folder holding ``epitome_coders.json`` and ``epitome_coders.npz`` (default: the
        shipped model, :func:`epitome_model_dir`).

    Returns
    -------
    Coders
        Tasks ``er`` (emotional reactions), ``ip`` (interpretations) and ``ex``
        (explorations), each predicting level '0', '1' or '2'; ``meta['license']`` repeats
        :data:`EPITOME_LICENSE_NOTE`.

    Raises
    ------
    InputError
        When the folder holds no valid artifact.

    Examples
    --------
    >>> sorted(load_epitome().coders)
    ['er', 'ex', 'ip']
    >>> "non-commercial" in load_epitome().meta["license"]
    True
    """
    directory = epitome_model_dir() if path is None else Path(path)
    return _load(str(directory.resolve()), EPITOME_NAME)
