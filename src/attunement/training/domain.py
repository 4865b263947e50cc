"""The reference ranges a coder's out-of-domain check reads (``domain.json``), computed at
training time over AnnoMI's transcripts (:mod:`attunement.coding.domain` reads them)."""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from attunement.coding.apply import code_utterances
from attunement.coding.domain import (
    CONFIDENCE_NOTE,
    DOMAIN_FILE,
    FORMAT_VERSION,
    PERCENTILES,
    SIGNALS,
    domain_signals,
)
from attunement.coding.loader import resolve_coder
from attunement.errors import AttunementWarning
from attunement.io.corpora import annomi_transcripts

__all__ = ["domain_reference", "write_domain_reference"]


def domain_reference(annomi: str | Path, coder: str | Path | None = None) -> dict[str, Any]:
    """The reference ranges of a coder: each signal over AnnoMI's transcripts (training time).

    Every transcript of ``AnnoMI-simple.csv`` is coded by ``coder`` (the coder itself, so for
    the shipped coders the transcripts are their own training data) and its signals
    (:func:`domain_signals`) computed; the 2.5th, 50th and 97.5th percentiles over
    transcripts (where a signal is defined) make the range.

    Parameters
    ----------
    annomi : str or path-like
        Folder holding AnnoMI-simple.csv.
    coder : str or path-like, optional
        As for :func:`attunement.coding.resolve_coder` (default: the default coder).

    Returns
    -------
    dict
        ``format_version``, ``coder`` (its kind), ``data``, ``n_transcripts``,
        ``percentiles``, ``note`` (what the ranges do not show), ``created`` and ``signals``:
        name -> ``low``, ``median``, ``high``, ``n`` (transcripts where defined),
        ``checks`` and ``definition``.

    Raises
    ------
    InputError
        When AnnoMI or the coder cannot be read.
    """
    transcripts = annomi_transcripts(annomi)
    loaded = resolve_coder(coder)
    found: dict[str, list[float]] = {name: [] for name in SIGNALS}
    n = 0
    for _, rows in transcripts.groupby("transcript_id", sort=True):
        frame = rows[["role", "text"]].reset_index(drop=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AttunementWarning)  # long utterances are cut
            coded = code_utterances(frame, coder=loaded)
        for name, value in domain_signals(coded).items():
            if math.isfinite(value):
                found[name].append(value)
        n += 1
    signals = {}
    for name, (_, checks, definition) in SIGNALS.items():
        values = np.asarray(found[name], dtype=float)
        low, median, high = np.percentile(values, PERCENTILES) if values.size else [math.nan] * 3
        signals[name] = {
            "low": round(float(low), 4),
            "median": round(float(median), 4),
            "high": round(float(high), 4),
            "n": int(values.size),
            "checks": checks,
            "definition": definition,
        }
    return {
        "format_version": FORMAT_VERSION,
        "coder": loaded.meta.get("kind"),
        "data": "AnnoMI (public domain), AnnoMI-simple.csv",
        "n_transcripts": n,
        "percentiles": list(PERCENTILES),
        "note": (
            "Ranges of the AnnoMI transcripts coded by this coder, which was trained on them; "
            + CONFIDENCE_NOTE
            + ". AnnoMI transcripts are demonstration videos, so real sessions may fall outside "
            "on length or balance and still be coded well; outside means untested, not wrong."
        ),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "signals": signals,
    }


def write_domain_reference(reference: Mapping[str, Any], directory: str | Path) -> Path:
    """Write ``domain.json`` into ``directory`` (a coder's folder).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / DOMAIN_FILE
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(dict(reference), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target
