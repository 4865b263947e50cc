"""Fitting the coders and the MI-quality model; never imported at run time.

- :mod:`attunement.training.ngram`: the TF-IDF n-gram coders on AnnoMI, and the EPITOME
  empathy coders (:func:`~attunement.training.ngram.train_annomi`,
  :func:`~attunement.training.ngram.train_epitome`), with their nested cross-validation;
- :mod:`attunement.training.finetune` and :mod:`attunement.training.transformer`: fine-tuning
  the transformer coder (needs the ``train`` extra: PyTorch and transformers) and exporting it
  to ONNX for :mod:`attunement.coding.neural`;
- :mod:`attunement.training.quality`: the MI-quality model, on cross-fitted codes;
- :mod:`attunement.training.domain`: a coder's reference ranges (``domain.json``);
- :mod:`attunement.training.epitome`: EPITOME's files as training tables, and its splits;
- :mod:`attunement.training.folds`: the folds all of these share (grouped by video).

Corpora are read through :mod:`attunement.io.corpora`. What is trained is stored in the formats
:mod:`attunement.coding` reads at run time.
"""
