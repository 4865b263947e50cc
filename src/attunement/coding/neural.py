"""The transformer utterance coder at run time: an int8 ONNX model read by ONNX Runtime.

The shipped model (``models/annomi_transformer``) is all-MiniLM-L6-v2 (Apache-2.0) fine-tuned on
AnnoMI by :mod:`attunement.training.finetune`, with four heads: therapist behaviour, reflection
type, question type and client talk type. ``model.onnx`` encodes each utterance with the other
person's preceding turn (:func:`attunement.coding.tokens.encode_pairs`), one utterance per call;
it is a *session coder*: ``sequence.onnx`` then reads each utterance's vector beside those of
the 8 utterances before and after it in the session (who spoke each included) and gives every
head's probabilities (:meth:`TransformerCoder.predict_session`; the behaviour and client-talk
heads read the neighbours, the subtype heads the utterance's own vector).

A folder with ``model.onnx``, ``tokenizer.json`` and ``model.json`` (as written by
``attunement train --transformer``) can replace it. A *pair coder* (trained with ``--context
0``) has no ``sequence.onnx``: its ``model.onnx`` gives every head's probabilities for each
(context, utterance) pair alone (:meth:`TransformerCoder.predict_all`), so an utterance is
encoded once however many codes it gets (:meth:`TransformerCoder.remembering`). Nothing here
needs PyTorch, and nothing is fetched: the model and its tokenizer are files on disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from attunement.coding.artifact import default_model_dir
from attunement.coding.tokens import ROLES, encode_pairs, roles_onehot
from attunement.errors import InputError

__all__ = [
    "TRANSFORMER_NAME",
    "TransformerCoder",
    "read_transformer",
    "transformer_model_dir",
]

#: Folder name, under the package's models, of the shipped transformer coder.
TRANSFORMER_NAME = "annomi_transformer"
#: Pairs per ONNX Runtime call. One: the int8 model quantizes its activations with a scale
#: computed over the whole batch, so in a batch of several an utterance's probabilities would
#: depend on the utterances beside it (by up to 0.26 in 2,540 AnnoMI utterances, batches of 16
#: sorted by length); coded one at a time, an utterance with its context always gets the same
#: codes. Batches of 16 are about 1.3 times faster.
#:
#: Parallelism comes from several calls at once instead: the session computes each call on one
#: thread and :attr:`TransformerCoder.threads` calls run side by side (ONNX Runtime sessions are
#: safe to call from several threads). On two cores that coded a 700-utterance session 1.2 to 1.9
#: times as fast as one call at a time on two threads (timed alternately), with the same numbers.
BATCH = 1


def transformer_model_dir() -> Path:
    """The package's folder of the shipped transformer coder."""
    return default_model_dir() / TRANSFORMER_NAME


@dataclass(eq=False)
class _Head:
    """One task of a :class:`TransformerCoder`, with the interface of a fitted
    :class:`~attunement.coding.estimator.TextCoder` (``classes_``, ``predict_proba``)."""

    model: TransformerCoder
    task: str
    classes_: np.ndarray

    def predict_proba(self, texts: Sequence[str], contexts: Sequence[str]) -> np.ndarray:
        return self.model.predict_all(texts, contexts)[self.task]


@dataclass(eq=False)
class TransformerCoder:
    """A multi-task transformer coder loaded from a folder.

    Attributes
    ----------
    directory : pathlib.Path
    meta : dict
        ``model.json``: ``heads`` (task -> labels in output order), ``config`` (``max_len``,
        ``max_text``, ...), and how it was trained and evaluated.
    """

    directory: Path
    meta: dict[str, Any]
    session: Any = field(repr=False)
    tokenizer: Any = field(repr=False)
    threads: int = 1
    sequence: Any = field(default=None, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def reads_sessions(self) -> bool:
        """Whether each utterance is coded beside its neighbours (a session coder, with
        ``sequence.onnx``): then :meth:`predict_session`, not :meth:`predict_all`."""
        return self.sequence is not None

    @property
    def heads(self) -> dict[str, list[str]]:
        return {t: [str(v) for v in labels] for t, labels in self.meta["heads"].items()}

    @contextlib.contextmanager
    def remembering(self) -> Iterator[None]:
        """Within this block (in this thread), a pair already coded is not computed again:
        :func:`attunement.coding.code_utterances` codes a session's therapist utterances for
        three tasks with one forward pass each. Outside it nothing is remembered."""
        previous = getattr(self._local, "cache", None)
        self._local.cache = {} if previous is None else previous
        try:
            yield
        finally:
            self._local.cache = previous

    def coders(self) -> dict[str, _Head]:
        """Task -> an object with ``classes_`` and ``predict_proba(texts, contexts)``."""
        return {
            task: _Head(self, task, np.asarray(labels, dtype=object))
            for task, labels in self.heads.items()
        }

    def predict_all(self, texts: Sequence[str], contexts: Sequence[str]) -> dict[str, np.ndarray]:
        """Every head's probabilities for each (context, utterance) pair: task -> array of
        shape (pairs, labels)."""
        texts = ["" if t is None else str(t) for t in texts]
        contexts = ["" if c is None else str(c) for c in contexts]
        if len(texts) != len(contexts):
            raise InputError(
                f"has {len(contexts)} contexts for {len(texts)} utterances; expected one each",
                field="contexts",
            )
        if self.reads_sessions:
            raise InputError(
                "is a session coder, which codes each utterance beside its neighbours; "
                "expected a whole session (predict_session, or code_utterances)",
                path=str(self.directory),
            )
        cache = getattr(self._local, "cache", None)
        if cache is None:
            return self._run(contexts, texts)
        heads = self.heads
        out = {t: np.zeros((len(texts), len(v)), dtype=np.float64) for t, v in heads.items()}
        keys = list(zip(contexts, texts, strict=True))
        todo = sorted({k for k in keys if k not in cache})
        if todo:
            found = self._run([k[0] for k in todo], [k[1] for k in todo])
            for j, k in enumerate(todo):
                cache[k] = {t: found[t][j] for t in heads}
        for i, k in enumerate(keys):
            for t in heads:
                out[t][i] = cache[k][t]
        return out

    def predict_session(
        self, roles: Sequence[str], texts: Sequence[str], contexts: Sequence[str]
    ) -> dict[str, np.ndarray]:
        """Every head's probabilities for each utterance of one session, in spoken order:
        task -> array of shape (utterances, labels).

        A session coder reads the therapist's and client's non-empty utterances as one
        sequence; other rows (another role, no text) are not coded and get NaN. Any other
        coder codes each (context, utterance) pair alone, as :meth:`predict_all` does.
        """
        roles = ["" if r is None else str(r) for r in roles]
        texts = ["" if t is None else str(t) for t in texts]
        contexts = ["" if c is None else str(c) for c in contexts]
        if not len(roles) == len(texts) == len(contexts):
            raise InputError(
                f"has {len(roles)} roles, {len(texts)} utterances and {len(contexts)} "
                "contexts; expected one of each per utterance",
                field="utterances",
            )
        order = [str(r) for r in self.meta.get("roles", ROLES)]
        rows = [
            i for i, (r, t) in enumerate(zip(roles, texts, strict=True)) if r in order and t.strip()
        ]
        heads = self.heads
        out = {t: np.full((len(texts), len(v)), np.nan) for t, v in heads.items()}
        if not rows:
            return out
        if not self.reads_sessions:
            found = self.predict_all([texts[i] for i in rows], [contexts[i] for i in rows])
        else:
            (pooled,) = self._forward(
                [contexts[i] for i in rows], [texts[i] for i in rows], ["pooled"]
            )
            inputs = {
                "pooled": pooled.astype(np.float32),
                "roles": roles_onehot([roles[i] for i in rows], order),
            }
            found = dict(
                zip(heads, self.sequence.run([f"p_{t}" for t in heads], inputs), strict=True)
            )
        for t in heads:
            out[t][rows] = found[t]
        return out

    def _run(self, contexts: list[str], texts: list[str]) -> dict[str, np.ndarray]:
        if not texts:
            return {t: np.zeros((0, len(v))) for t, v in self.heads.items()}
        names = [f"p_{t}" for t in self.heads]
        return dict(zip(self.heads, self._forward(contexts, texts, names), strict=True))

    def _forward(self, contexts: list[str], texts: list[str], names: list[str]) -> list[np.ndarray]:
        """``model.onnx``'s outputs ``names`` for each pair (rows in the order given), one
        pair per call, :attr:`threads` calls at a time."""
        config = self.meta["config"]
        encoded = encode_pairs(
            self.tokenizer,
            contexts,
            texts,
            max_len=int(config["max_len"]),
            max_text=int(config["max_text"]),
        )
        order = np.argsort([len(i) for i in encoded.ids], kind="stable")
        chunks = [order[start : start + BATCH] for start in range(0, len(order), BATCH)]

        def run(rows: np.ndarray) -> list[np.ndarray]:
            return self.session.run(names, encoded.batch(rows))

        if self.threads > 1 and len(chunks) > 1:
            with ThreadPoolExecutor(min(self.threads, len(chunks))) as pool:
                results = list(pool.map(run, chunks))
        else:
            results = [run(rows) for rows in chunks]
        out: list[np.ndarray] = []
        for j in range(len(names)):
            width = results[0][j].shape[1] if results else 0
            column = np.zeros((len(texts), width), dtype=np.float64)
            for rows, found in zip(chunks, results, strict=True):
                column[rows] = found[j]
            out.append(column)
        return out


def _threads() -> int:
    """How many ONNX Runtime calls run at once: ATTUNEMENT_THREADS if set, else all cores the
    process may use."""
    value = os.environ.get("ATTUNEMENT_THREADS")
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise InputError(
                f"is {value!r}; expected a whole number of threads", field="ATTUNEMENT_THREADS"
            ) from None
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def read_transformer(directory: str | Path) -> TransformerCoder:
    """Read a transformer coder folder every time it is called
    (:func:`attunement.coding.loader.resolve_coder` caches this).

    Raises
    ------
    InputError
        When a file is missing or cannot be read as what it should be.
    """
    directory = Path(directory)
    paths = {n: directory / n for n in ("model.json", "model.onnx", "tokenizer.json")}
    for p in paths.values():
        if not p.is_file():
            raise InputError(
                "was not found; expected a transformer coder folder (model.onnx, "
                "tokenizer.json and model.json, written by `attunement train --transformer`)",
                path=str(p),
            )
    try:
        meta = json.loads(paths["model.json"].read_text(encoding="utf-8"))
        heads = meta["heads"]
        config = meta["config"]
        if not isinstance(heads, Mapping) or not heads:
            raise ValueError("no heads")
        int(config["max_len"]), int(config["max_text"])
        context = int(config.get("context", 0) or 0)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            f"could not be read ({exc!r}); expected the coder's heads and config as JSON",
            path=str(paths["model.json"]),
        ) from None
    if context:
        paths["sequence.onnx"] = directory / "sequence.onnx"
        if not paths["sequence.onnx"].is_file():
            raise InputError(
                f"was not found; expected it beside model.onnx, since model.json says the "
                f"coder reads {context} utterances on each side (a session coder)",
                path=str(paths["sequence.onnx"]),
            )
    try:
        import onnxruntime as ort
        from tokenizers import Tokenizer
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise InputError(
            f"needs {exc.name}, which is not installed; expected attunement's dependencies "
            "(pip install attunement)",
            path=str(directory),
        ) from None
    try:
        tokenizer = Tokenizer.from_file(str(paths["tokenizer.json"]))
    except Exception as exc:  # tokenizers raises its own Exception type
        raise InputError(
            f"could not be read ({exc}); expected a Hugging Face tokenizer.json",
            path=str(paths["tokenizer.json"]),
        ) from None
    # No telemetry: ONNX Runtime's libraries carry a telemetry endpoint; clinical data never
    # leaves the machine, so its events are switched off before any session is made.
    if hasattr(ort, "disable_telemetry_events"):
        ort.disable_telemetry_events()
    options = ort.SessionOptions()
    threads = _threads()
    options.intra_op_num_threads = 1  # one thread per call; calls run side by side (BATCH)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3

    def load(name: str, outputs: list[str]) -> Any:
        try:
            session = ort.InferenceSession(
                str(paths[name]), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise InputError(
                f"could not be loaded by ONNX Runtime ({str(exc).splitlines()[0][:300]}); "
                "expected an ONNX model written by `attunement train --transformer`",
                path=str(paths[name]),
            ) from None
        found = {o.name for o in session.get_outputs()}
        missing = [o for o in outputs if o not in found]
        if missing:
            raise InputError(
                f"has no output {', '.join(missing)}; expected "
                + (
                    "one per head in model.json"
                    if outputs[0].startswith("p_")
                    else "the utterance vectors of a session coder"
                ),
                path=str(paths[name]),
            )
        return session

    probabilities = [f"p_{t}" for t in heads]
    session = load("model.onnx", ["pooled"] if context else probabilities)
    sequence = load("sequence.onnx", probabilities) if context else None
    return TransformerCoder(directory, meta, session, tokenizer, threads, sequence)
