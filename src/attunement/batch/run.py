""":func:`run_batch`: many sessions to two Parquet tables, resumable, on any engine."""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from attunement.analysis import AnalysisConfig
from attunement.batch._setup import worker_setup_hooks
from attunement.batch.engine import RunOptions, check_engine, make_engine
from attunement.batch.inputs import SessionLoader, WorkItem, expand_inputs
from attunement.batch.progress import BatchProgress
from attunement.batch.pseudo import (
    DEFAULT_PSEUDO_PARTNERS,
    PairStore,
    check_partners,
    pseudo_dyad_columns,
)
from attunement.batch.resume import BatchState
from attunement.batch.writer import ItemResult, PartWriter, error_result, merge_outputs
from attunement.coding.loader import resolve_coder
from attunement.errors import InputError

__all__ = ["BatchSummary", "run_batch"]

logger = logging.getLogger(__name__)

#: Sessions in flight or waiting to be written, per worker: bounds the memory of the parent
#: while letting workers run ahead of a slow session.
WINDOW_PER_WORKER = 4


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """What a batch did.

    Attributes
    ----------
    n_ok, n_failed : int
        Sessions analysed in this run, and those that failed (each with a row whose ``status``
        is ``'error'``).
    n_skipped : int
        Sessions already done by an earlier run, not analysed again.
    seconds : float
        Wall-clock time of the run.
    sessions_path, utterances_path : pathlib.Path
        ``OUT/sessions.parquet`` and ``OUT/utterances.parquet``.
    failures : tuple of (str, str)
        ``(session_id, error)`` of each failed session, in input order.
    """

    n_ok: int
    n_failed: int
    n_skipped: int
    seconds: float
    sessions_path: Path
    utterances_path: Path
    failures: tuple[tuple[str, str], ...] = field(default=())

    @property
    def n_sessions(self) -> int:
        """Rows of sessions.parquet."""
        return self.n_ok + self.n_failed + self.n_skipped


def _names(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _process(
    todo: list[WorkItem],
    state: BatchState,
    store: PairStore,
    options: RunOptions,
    progress: BatchProgress,
    *,
    engine: str,
    workers: int,
    scheduler: str | None,
) -> list[tuple[str, str]]:
    """Analyse ``todo``, writing results in input order as they complete; return failures."""
    failures: list[tuple[str, str]] = []
    parts = PartWriter(state)
    loader = SessionLoader(**options.reader_options())
    pending: dict[int, ItemResult] = {}

    def arrived(pos: int, result: ItemResult) -> None:
        store.put(todo[pos].key, todo[pos].fingerprint, result.pairs)  # also forgets stale ones
        result.pairs = None
        pending[pos] = result
        if result.detail:
            logger.debug("%s: %s", result.session_id, result.detail)
        progress.advance(ok=result.ok, label=result.session_id, error=result.error)

    coder = options.config.coder if options.config is not None else None
    hooks = (*worker_setup_hooks(), functools.partial(resolve_coder, coder))
    runner = make_engine(engine, workers=workers, scheduler=scheduler, options=options, hooks=hooks)
    submitted = written = 0
    try:
        while written < len(todo):
            window = WINDOW_PER_WORKER * runner.n_workers
            while submitted < len(todo) and submitted - written < window:
                item = todo[submitted]
                try:
                    payload = loader.payload(item)
                except InputError as exc:
                    arrived(submitted, error_result(item, str(exc)))
                else:
                    runner.submit(submitted, item, payload)
                submitted += 1
            if written not in pending:
                arrived(*runner.next_done())
            while written in pending:
                result = pending.pop(written)
                if not result.ok:
                    failures.append((result.session_id, result.error or ""))
                parts.add(todo[written], result)
                written += 1
    finally:
        try:
            parts.flush()  # keep what is done, also when interrupted
        finally:
            runner.close()
    return failures


def _plan(items: Sequence[WorkItem], state: BatchState):
    """Each item's record with a session id unique in the batch (``ID_2``... for repeats)."""
    used: set[str] = set()
    plan = []
    repeats = 0
    for item in items:
        entry = state.entry(item.key)
        if entry is None:  # pragma: no cover - every item is recorded by now
            raise RuntimeError(f"{item.key} has no record")
        session_id, k = entry.session_id, 2
        while session_id in used:
            session_id, k = f"{entry.session_id}_{k}", k + 1
        repeats += session_id != entry.session_id
        used.add(session_id)
        plan.append((entry, session_id))
    if repeats:
        logger.warning(
            "%d sessions have an id that an earlier session has; they get a suffix _2, _3, ...",
            repeats,
        )
    return plan


def _pseudo_dyads(plan, store: PairStore, partners: int, config: AnalysisConfig):
    """The pseudo-dyad columns over every session of the plan that was analysed."""
    started = time.perf_counter()
    settings = config.resonance
    columns = pseudo_dyad_columns(
        [(e.key, e.fingerprint, sid) if e.status == "ok" else None for e, sid in plan],
        store,
        partners=partners,
        seed=settings.seed,
    )
    logger.info("pseudo-dyads tested in %.1f s", time.perf_counter() - started)
    return columns


def run_batch(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    out_dir: str | os.PathLike[str],
    engine: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    therapist: str | Sequence[str] | None = None,
    client: str | Sequence[str] | None = None,
    keep_names: bool = False,
    config: AnalysisConfig | None = None,
    progress: bool | None = None,
    pseudo_partners: int = DEFAULT_PSEUDO_PARTNERS,
    format: str | None = None,
    encoding: str | None = None,
) -> BatchSummary:
    """Analyse many sessions into ``OUT/sessions.parquet`` and ``OUT/utterances.parquet``.

    Sessions are listed by :func:`attunement.batch.inputs.expand_inputs`, analysed by
    :func:`attunement.analyze_session` on the chosen engine, and written in streaming fashion
    (:mod:`attunement.batch.writer`) in input order whatever the engine. A session that fails is
    recorded with its error and the batch goes on. Running again resumes: sessions already done
    from unchanged files are skipped (:mod:`attunement.batch.resume`) unless ``force``. At the
    end, the EDA and heart-rate synchrony of every session done so far is tested against
    pseudo-dyads across sessions (:mod:`attunement.batch.pseudo`).

    Parameters
    ----------
    inputs : path-like or iterable of path-like
        Transcripts, ``session.toml`` manifests, corpus files (AnnoMI CSV), folders, glob
        patterns and ``@FILE`` lists of them.
    out_dir : path-like
        Output folder (created when missing); it also holds the state folder
        ``.attunement-batch`` that resuming needs.
    engine : {'local', 'dask'}
        ``'local'``: worker processes on this machine; ``'dask'``: a Dask cluster.
    workers : int, optional
        Worker processes (default: every CPU core); with ``scheduler``, the cluster's workers
        are used instead.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``), with ``engine='dask'``;
        without it, a LocalCluster is started.
    force : bool
        Analyse every session again, forgetting earlier runs.
    therapist, client : str or sequence of str, optional
        Speaker names, as :func:`attunement.read_sessions`.
    keep_names : bool
        Keep speaker names instead of replacing them by roles.
    config : AnalysisConfig, optional
        Options of :func:`attunement.analyze_session`.
    progress : bool, optional
        Show a progress bar (default: when standard error is a terminal; otherwise progress is
        logged on ``attunement.batch.progress``).
    pseudo_partners : int
        Partner sessions per session for the pseudo-dyad columns of sessions.parquet
        (``eda_synchrony_pseudo_effect_size``, ``eda_synchrony_pseudo_p_value``,
        ``hr_synchrony_pseudo_effect_size``, ``hr_synchrony_pseudo_p_value``), chosen at
        random (seeded by the analysis configuration's resonance seed) among the sessions with
        the same signal at the same sampling rate, and rounded up to an even number; 0 leaves
        the columns out. Changing it does not analyse any session again.
    format : str, optional
        Read every transcript in this format (see ``attunement.io.transcripts.FORMATS``)
        instead of detecting it; only ``annomi`` files are then split into sessions.
    encoding : str, optional
        Read every transcript in this text encoding, e.g. ``cp1252`` (default: UTF-8, or
        UTF-16/32 with a byte-order mark).

    Returns
    -------
    BatchSummary

    Raises
    ------
    InputError
        Before anything is analysed: an input that does not exist, no session found, bad engine
        options, a negative ``pseudo_partners``, an unknown ``format`` or ``encoding``, an
        unreachable scheduler, an output folder in use by another batch or holding results made
        with other settings (without ``force``).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "s1.txt").write_text("Therapist: How was your week?\\nClient: Long.\\n")
    >>> summary = run_batch([d / "s1.txt"], out_dir=d / "out", workers=1, progress=False)
    >>> summary.n_ok, summary.n_failed, summary.sessions_path.name
    (1, 0, 'sessions.parquet')
    """
    started = time.perf_counter()
    n_workers = check_engine(engine, workers=workers, scheduler=scheduler)
    partners = check_partners(pseudo_partners)
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    out = Path(out_dir)
    items = expand_inputs(inputs, exclude=[out], format=format, encoding=encoding)
    options = RunOptions(
        _names(therapist), _names(client), bool(keep_names), config, format, encoding
    )
    sessions_path, utterances_path = out / "sessions.parquet", out / "utterances.parquet"
    with BatchState.open(out, options.settings(), force=force) as state:
        store = PairStore(state.pairs)
        todo = [item for item in items if not state.is_done(item.key, item.fingerprint)]
        n_skipped = len(items) - len(todo)
        failures: list[tuple[str, str]] = []
        if todo:
            with BatchProgress(len(todo), skipped=n_skipped, enabled=progress) as bar:
                failures = _process(
                    todo,
                    state,
                    store,
                    options,
                    bar,
                    engine=engine,
                    workers=n_workers,
                    scheduler=scheduler,
                )
        plan = _plan(items, state)
        extra = None
        if partners:
            extra = _pseudo_dyads(plan, store, partners, config or AnalysisConfig())
        merge_outputs(plan, state.part_path, sessions_path, utterances_path, extra)
        state.prune()
        store.prune(state.done_keys())
    return BatchSummary(
        n_ok=len(todo) - len(failures),
        n_failed=len(failures),
        n_skipped=n_skipped,
        seconds=time.perf_counter() - started,
        sessions_path=sessions_path,
        utterances_path=utterances_path,
        failures=tuple(failures),
    )
