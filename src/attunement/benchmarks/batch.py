"""Benchmark of :func:`attunement.batch.run_batch`: sessions per second, scaling and memory.

A corpus of ``n_sessions`` AnnoMI-sized sessions, one AnnoMI-layout CSV file each, is analysed
from scratch by each configuration, each in a fresh process so that its memory is its own:

- ``local`` with each number of ``workers`` (1 and 2 by default);
- ``dask``: a Dask LocalCluster with ``dask_workers`` single-threaded worker processes.

The sessions are sampled (with replacement) from the AnnoMI corpus file when ``annomi`` is given,
otherwise simulated with AnnoMI's shape (therapist and client taking turns, about 20 and 10 words
per utterance, ``utterances`` utterances). Times are wall-clock times of the whole run: listing
the files, starting the workers, analysing and writing both Parquet files.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from attunement.errors import InputError

__all__ = ["run_batch_benchmark", "write_benchmark_corpus"]

_HEADER = ("transcript_id", "utterance_id", "interlocutor", "timestamp", "utterance_text")
_VOCABULARY = (
    "I you we it that the a to and of in my your feel think want really know what how about "
    "drinking week work family sleep change better worried maybe sometimes always never"
)
_WORDS = _VOCABULARY.split()


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def _simulated(rng: random.Random, n: int) -> list[tuple[str, float, str]]:
    rows, t = [], float(rng.randint(0, 20))
    for i in range(n):
        role = "therapist" if i % 2 == 0 else "client"
        k = max(1, round(rng.gauss(20 if role == "therapist" else 10, 6)))
        rows.append((role, t, " ".join(rng.choice(_WORDS) for _ in range(k)).capitalize() + "."))
        t += 1.0 + k * 0.4
    return rows


def _from_annomi(path: str | os.PathLike[str]) -> list[list[tuple[str, float, str]]]:
    from attunement.io.transcripts import read_transcripts

    return [
        [(u.role or "client", u.start or 0.0, u.text) for u in t.utterances]
        for t in read_transcripts(path, format="annomi")
        if t.utterances
    ]


def write_benchmark_corpus(
    folder: str | os.PathLike[str],
    n_sessions: int,
    *,
    annomi: str | os.PathLike[str] | None = None,
    utterances: int = 100,
    seed: int = 0,
) -> list[Path]:
    """Write ``n_sessions`` AnnoMI-layout CSV files, one session each.

    Parameters
    ----------
    folder : path-like
        Created when missing.
    n_sessions : int
    annomi : path-like, optional
        The AnnoMI CSV file (e.g. ``AnnoMI-simple.csv``) to sample transcripts from; without it,
        sessions are simulated.
    utterances : int
        Utterances per simulated session.
    seed : int

    Returns
    -------
    list of pathlib.Path

    Examples
    --------
    >>> paths = write_benchmark_corpus(tempfile.mkdtemp(), 2, utterances=4)
    >>> [p.name for p in paths]
    ['session-00000.csv', 'session-00001.csv']
    """
    if isinstance(n_sessions, bool) or not isinstance(n_sessions, int) or n_sessions < 1:
        raise InputError(f"is {n_sessions!r}; expected at least 1", field="n_sessions")
    rng = random.Random(seed)
    pool = _from_annomi(annomi) if annomi is not None else None
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n_sessions):
        rows = rng.choice(pool) if pool else _simulated(rng, utterances)
        path = out / f"session-{i:05d}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(_HEADER)
            for j, (role, start, text) in enumerate(rows):
                w.writerow((i, j, role, _clock(start), text))
        paths.append(path)
    return paths


def _tree_rss(proc: Any) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except Exception:  # the process ended meanwhile
            continue
    return total


def _measure(corpus: str, out: str, kwargs: dict[str, Any], results: Any) -> None:
    """Run in a fresh process: one batch, its time and peak memory."""
    from attunement.batch import run_batch

    peak = [0]
    stop = threading.Event()
    sampler = None
    try:
        import psutil

        proc = psutil.Process()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _tree_rss(proc))
                stop.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    except ImportError:  # pragma: no cover
        pass
    try:
        summary = run_batch([corpus], out_dir=out, progress=False, **kwargs)
    except BaseException as exc:  # report it to the parent rather than dying silently
        results.put({"error": f"{type(exc).__name__}: {exc}"})
        return
    finally:
        stop.set()
        if sampler is not None:
            sampler.join()
    scale = 1024 if sys.platform != "darwin" else 1  # ru_maxrss: KiB on Linux, bytes on macOS
    results.put(
        {
            "seconds": summary.seconds,
            "n_ok": summary.n_ok,
            "n_failed": summary.n_failed,
            "peak_parent_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20,
            "peak_total_mib": peak[0] / 2**20 if peak[0] else float("nan"),
        }
    )


def _run_fresh(corpus: Path, out: Path, kwargs: dict[str, Any]) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    child = ctx.Process(target=_measure, args=(str(corpus), str(out), kwargs, results))
    child.start()
    result = results.get()
    child.join()
    if "error" in result:
        raise RuntimeError(f"benchmark run {kwargs} failed: {result['error']}")
    return result


def run_batch_benchmark(
    n_sessions: int = 1000,
    *,
    annomi: str | os.PathLike[str] | None = None,
    workers: Sequence[int] = (1, 2),
    dask_workers: int | None = 2,
    utterances: int = 100,
    workdir: str | os.PathLike[str] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Time a batch of ``n_sessions`` AnnoMI-sized sessions on each engine.

    Parameters
    ----------
    n_sessions : int
        Sessions in the corpus.
    annomi : path-like, optional
        AnnoMI CSV to sample real transcripts from (default: simulated ones).
    workers : sequence of int
        Worker counts of the ``local`` runs; the first is the baseline of ``speedup``.
    dask_workers : int or None
        Workers of the Dask LocalCluster run; None skips it.
    utterances : int
        Utterances per simulated session.
    workdir : path-like, optional
        Where the corpus and outputs go (default: a temporary folder, removed afterwards).
    seed : int

    Returns
    -------
    pandas.DataFrame
        One row per run: ``engine``, ``workers``, ``n_sessions``, ``seconds`` (wall clock of the
        whole batch), ``sessions_per_s``, ``ms_per_session``, ``speedup`` (sessions/s over the
        first local run's), ``overhead_pct`` (for Dask: how much longer than the local run with
        the same workers, in percent of it; NaN otherwise), ``overhead_ms_per_session`` (the
        same in milliseconds per session), ``peak_parent_mib`` (peak resident memory of the
        batch process) and ``peak_total_mib`` (peak of the summed resident memory of it and its
        workers, sampled every 50 ms; shared pages count in each process).

    Raises
    ------
    InputError
        For ``n_sessions`` below 1 or an unreadable ``annomi`` file.

    Examples
    --------
    >>> table = run_batch_benchmark(3, workers=(1,), dask_workers=None, utterances=6)
    >>> table[["engine", "workers", "n_sessions", "speedup"]].to_dict("records")
    [{'engine': 'local', 'workers': 1, 'n_sessions': 3, 'speedup': 1.0}]
    """
    runs = [("local", w) for w in workers]
    if dask_workers is not None:
        runs.append(("dask", dask_workers))
    with tempfile.TemporaryDirectory(prefix="attunement-benchmark-") as tmp:
        base = Path(workdir) if workdir is not None else Path(tmp)
        corpus = base / "corpus"
        write_benchmark_corpus(corpus, n_sessions, annomi=annomi, utterances=utterances, seed=seed)
        rows = []
        for i, (engine, n) in enumerate(runs):
            out = base / f"out-{i}-{engine}-{n}"
            result = _run_fresh(corpus, out, {"engine": engine, "workers": n, "force": True})
            if result["n_ok"] != n_sessions:
                raise RuntimeError(f"{engine} with {n} workers analysed {result['n_ok']} sessions")
            rows.append({"engine": engine, "workers": n, "n_sessions": n_sessions, **result})
    table = pd.DataFrame(rows).drop(columns=["n_ok", "n_failed"])
    table["sessions_per_s"] = table["n_sessions"] / table["seconds"]
    table["ms_per_session"] = 1000 * table["seconds"] / table["n_sessions"]
    table["speedup"] = (table["sessions_per_s"] / table["sessions_per_s"].iloc[0]).round(3)
    local = table[table["engine"] == "local"].set_index("workers")["seconds"]
    same = table["workers"].map(local).where(table["engine"] == "dask")
    table["overhead_pct"] = 100 * (table["seconds"] - same) / same
    table["overhead_ms_per_session"] = 1000 * (table["seconds"] - same) / table["n_sessions"]
    columns = [
        "engine",
        "workers",
        "n_sessions",
        "seconds",
        "sessions_per_s",
        "ms_per_session",
        "speedup",
        "overhead_pct",
        "overhead_ms_per_session",
        "peak_parent_mib",
        "peak_total_mib",
    ]
    return table[columns]
