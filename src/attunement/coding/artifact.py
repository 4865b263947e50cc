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

import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from attunement.coding.estimator import TextCoder
from attunement.errors import InputError

__all__ = [
    "ARTIFACT_NAME",
    "EPITOME_ABOUT",
    "EPITOME_CITATION",
    "EPITOME_LICENSE_NOTE",
    "EPITOME_NAME",
    "Coders",
    "default_model_dir",
    "epitome_model_dir",
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
#: How to cite EPITOME, the data the empathy coders were trained on.
EPITOME_CITATION = (
    "Sharma, Miner, Atkins & Althoff, A Computational Approach to Understanding Empathy "
    "Expressed in Text-Based Mental Health Support, EMNLP 2020"
)
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
    """Read an artifact folder every time it is called
    (:func:`attunement.coding.loader.resolve_coder` caches this).

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
