"""Where sessions are analysed: local worker processes, or the workers of a Dask cluster.

Both engines offer the same three calls, used by :func:`attunement.batch.run_batch`:
``submit(pos, item, payload)``, ``next_done() -> (pos, ItemResult)`` (in completion order) and
``close()``. A task reads its session (or unpacks the one the parent read from a corpus file),
analyses it and returns its rows; any exception is caught in the worker and returned as a failed
result, so one bad session never stops a batch.

Heavy objects (models) are loaded once per worker process, not once per session: a module
registers a function with :func:`attunement.batch.register_worker_setup` (see
:mod:`attunement.batch._setup`), and every worker runs the registered functions once when it
starts (a process-pool initializer locally, a worker plugin on Dask).

``local``: a :class:`concurrent.futures.ProcessPoolExecutor` (forkserver start method where
available, so workers start from a clean, preloaded process). When a worker process dies (killed,
out of memory, a crash in compiled code), the sessions that were running are run again one at a
time; the one whose worker dies alone is recorded as failed and the batch goes on.

``dask``: a :class:`distributed.Client` of the scheduler at ``scheduler``, or of a
:class:`distributed.LocalCluster` with ``workers`` single-threaded worker processes. Dask retries
a task whose worker dies and gives up after a few tries; the session is then recorded as failed.
The workers of an existing cluster need attunement installed and the input files at the same
paths; give them one thread each (``--nthreads 1``), as the warnings of a session are collected
with :func:`warnings.catch_warnings`, which threads share, and set ``ATTUNEMENT_THREADS`` on
them to the cores each worker process may use (local workers and a LocalCluster get their
machine's cores divided by the workers).
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
import traceback
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

from attunement import __version__
from attunement.analysis import AnalysisConfig, analyze_session
from attunement.batch._setup import run_worker_setup, setup_error
from attunement.batch.inputs import WorkItem, unpack_session
from attunement.batch.pseudo import session_pairs
from attunement.batch.writer import ItemResult, error_result, ok_result
from attunement.errors import AttunementError, InputError
from attunement.io import read_sessions

__all__ = [
    "ENGINES",
    "DaskEngine",
    "Engine",
    "LocalEngine",
    "RunOptions",
    "check_engine",
    "make_engine",
    "process_item",
]

logger = logging.getLogger(__name__)

#: The engines, by name.
ENGINES: tuple[str, ...] = ("local", "dask")

#: Seconds between two looks at the number of workers of a Dask cluster.
_RECOUNT_S = 5.0

_WORKER_DIED = (
    "the worker process died while analysing this session (killed, out of memory, or a crash "
    "in compiled code); expected it to finish"
)


def _exit_with_parent() -> None:
    """Stop this worker process when the batch process dies (also when it is killed)."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:  # pragma: no cover
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="attunement-parent-watch", daemon=True).start()


def worker_threads(workers: int) -> str:
    """The threads each worker's compiled models (ONNX Runtime) may use: this machine's cores
    shared among ``workers`` processes (``ATTUNEMENT_THREADS`` where set), so that workers do
    not oversubscribe the cores."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return os.environ.get("ATTUNEMENT_THREADS") or str(max(1, cores // max(1, workers)))


def _init_local_worker(hooks: Sequence[Callable[[], object]], threads: str) -> None:
    _exit_with_parent()
    os.environ["ATTUNEMENT_THREADS"] = threads
    run_worker_setup(hooks)


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How every session of a batch is read and analysed.

    ``format`` and ``encoding`` force the transcript format and text encoding, as in
    :func:`attunement.read_sessions` (None: detected).
    """

    therapist: tuple[str, ...] = ()
    client: tuple[str, ...] = ()
    keep_names: bool = False
    config: AnalysisConfig | None = None
    format: str | None = None
    encoding: str | None = None

    def reader_options(self) -> dict[str, Any]:
        return {
            "therapist": list(self.therapist) or None,
            "client": list(self.client) or None,
            "keep_names": self.keep_names,
            "format": self.format,
            "encoding": self.encoding,
        }

    def settings(self) -> dict[str, Any]:
        """What the results depend on, as JSON-able data (for resuming).

        The encoding is recorded by its codec's name, so that ``CP1252`` and ``windows-1252``
        resume what ``cp1252`` began.
        """
        encoding = self.encoding
        if encoding is not None:
            with contextlib.suppress(LookupError):  # refused when the sessions are listed
                encoding = codecs.lookup(encoding).name
        return {
            "attunement": __version__,
            "therapist": list(self.therapist),
            "client": list(self.client),
            "keep_names": self.keep_names,
            "config": repr(self.config or AnalysisConfig()),
            "format": self.format,
            "encoding": encoding,
        }


def _read(item: WorkItem, options: RunOptions):
    sessions = read_sessions(item.path, **options.reader_options())
    session = next(sessions, None)
    if session is None:
        raise InputError("holds no session; expected one", path=item.path)
    if next(sessions, None) is not None:
        raise InputError(
            "holds several sessions; expected one (a corpus file is split when listed)",
            path=item.path,
        )
    return session


def process_item(item: WorkItem, payload: dict[str, Any] | None, options: RunOptions) -> ItemResult:
    """Read (or unpack) and analyse one session; never raises for a bad session.

    Parameters
    ----------
    item : WorkItem
    payload : dict or None
        The packed session when the parent read it from a corpus file, else None (the file is
        read here).
    options : RunOptions

    Returns
    -------
    ItemResult
        Its rows and the aligned pairs of its physiological synchrony (for the batch's
        pseudo-dyads; only when it has them), or a failed result whose error is the
        InputError's message (``FILE:LINE: ...``) or, for an unexpected exception,
        ``TypeName: message``.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            failed_setup = setup_error()
            if failed_setup is not None:
                raise RuntimeError(failed_setup)
            session = unpack_session(payload) if payload is not None else _read(item, options)
            results = analyze_session(session, options.config)
            document = results.to_dict()
        except InputError as exc:
            return error_result(item, str(exc), [str(w.message) for w in caught])
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            detail = traceback.format_exc()
            return error_result(item, message, [str(w.message) for w in caught], detail)
        messages = [str(w.message) for w in caught]
        return ok_result(item, document, results.utterances, messages, session_pairs(results))


class Engine(Protocol):
    """What :func:`attunement.batch.run_batch` needs of an engine."""

    n_workers: int

    def submit(self, pos: int, item: WorkItem, payload: dict[str, Any] | None) -> None: ...

    def next_done(self) -> tuple[int, ItemResult]: ...

    def close(self) -> None: ...


_Task = tuple[int, WorkItem, "dict[str, Any] | None"]


def _mp_context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover


class LocalEngine:
    """Worker processes on this machine.

    Parameters
    ----------
    workers : int
        Number of worker processes.
    options : RunOptions
    hooks : sequence of callables
        Run once in each worker when it starts.
    """

    def __init__(
        self, workers: int, options: RunOptions, hooks: Sequence[Callable[[], object]] = ()
    ) -> None:
        self.n_workers = workers
        self._options = options
        self._hooks = tuple(hooks)
        self._ctx = _mp_context()
        self._pool = self._new_pool()
        self._running: dict[Future[ItemResult], _Task] = {}
        self._waiting: deque[_Task] = deque()
        self._suspects: deque[_Task] = deque()
        self._ready: deque[tuple[int, ItemResult]] = deque()
        self._interrupt: BaseException | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.n_workers,
            mp_context=self._ctx,
            initializer=_init_local_worker,
            initargs=(self._hooks, worker_threads(self.n_workers)),
        )

    def submit(self, pos: int, item: WorkItem, payload: dict[str, Any] | None) -> None:
        self._waiting.append((pos, item, payload))
        self._schedule()

    def _schedule(self) -> None:
        if self._suspects:  # after a worker died: one suspect at a time, alone
            if not self._running:
                self._start(self._suspects.popleft())
            return
        while self._waiting:
            self._start(self._waiting.popleft())

    def _start(self, task: _Task) -> None:
        future = self._pool.submit(process_item, task[1], task[2], self._options)
        self._running[future] = task

    def _settle(self, future: Future[ItemResult], task: _Task, lost: list[_Task]) -> None:
        exc = future.exception()
        if exc is None:
            self._ready.append((task[0], future.result()))
        elif isinstance(exc, BrokenProcessPool):
            lost.append(task)
        elif isinstance(exc, Exception):  # e.g. a result that cannot be sent back
            self._ready.append((task[0], error_result(task[1], f"{type(exc).__name__}: {exc}")))
        else:  # KeyboardInterrupt, SystemExit in the worker: stop, after what is done
            self._interrupt = exc

    def next_done(self) -> tuple[int, ItemResult]:
        while not self._ready:
            if self._interrupt is not None:
                raise self._interrupt
            self._schedule()
            if not self._running:
                raise RuntimeError("next_done() called with no session in flight")
            done, _ = wait(list(self._running), return_when=FIRST_COMPLETED)
            lost: list[_Task] = []
            for future in done:
                self._settle(future, self._running.pop(future), lost)
            if lost:
                self._recover(lost)
        return self._ready.popleft()

    def _recover(self, lost: list[_Task]) -> None:
        """A worker died: every session then running is lost with the pool; find the culprit."""
        for future, task in list(self._running.items()):
            self._settle(future, task, lost)  # a broken pool fails its futures promptly
        self._running.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._new_pool()
        if len(lost) == 1:
            pos, item, _ = lost[0]
            logger.warning("%s: %s", item.label, _WORKER_DIED)
            self._ready.append((pos, error_result(item, _WORKER_DIED)))
        else:
            logger.warning(
                "a worker process died; running the %d sessions it may have been analysing "
                "one at a time",
                len(lost),
            )
            self._suspects.extend(sorted(lost, key=lambda task: task[0]))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine:
    """The workers of a Dask cluster: an existing one at ``scheduler``, or a LocalCluster.

    Parameters
    ----------
    workers : int
        Worker processes of the LocalCluster (ignored with ``scheduler``).
    options : RunOptions
    hooks : sequence of callables
        Run once in each worker (also in workers that join later).
    scheduler : str, optional
        Address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``.
    """

    def __init__(
        self,
        workers: int,
        options: RunOptions,
        hooks: Sequence[Callable[[], object]] = (),
        *,
        scheduler: str | None = None,
    ) -> None:
        try:
            from distributed import Client, LocalCluster, as_completed
        except ImportError:  # pragma: no cover - depends on the installation
            raise AttunementError(
                "the dask engine needs dask.distributed: pip install 'attunement[batch]'"
            ) from None

        self._options = options
        self._cluster = None
        if scheduler:
            try:
                self._client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(
                    f"cannot connect to the Dask scheduler at {scheduler!r} ({exc}); expected "
                    "the address of a running scheduler, e.g. tcp://HOST:8786",
                    field="scheduler",
                ) from None
        else:
            import dask

            # The nanny's default MALLOC_TRIM_THRESHOLD_ (64 KiB) makes the many small
            # allocations of an analysis about twice as slow; keep the C library's default.
            environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
            environ.pop("MALLOC_TRIM_THRESHOLD_", None)
            environ["ATTUNEMENT_THREADS"] = worker_threads(workers)
            with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
                self._cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",  # its HTTP server, on a free loopback port
                    scheduler_kwargs={"dashboard": False},
                    silence_logs=logging.ERROR,
                )
            self._client = Client(self._cluster)
        try:
            if hooks:
                from attunement.batch._dask import WorkerSetup

                self._client.register_plugin(WorkerSetup(tuple(hooks)), name="attunement-setup")
            self._n_workers = max(1, sum(self._client.nthreads().values()))
        except BaseException:
            self.close()
            raise
        self._checked = time.monotonic()
        self._completed = as_completed()
        self._pending: dict[str, tuple[int, WorkItem]] = {}
        self._prefix = f"attunement-{uuid.uuid4().hex[:12]}"

    @property
    def n_workers(self) -> int:
        """Worker threads of the cluster, looked up again every few seconds (clusters grow)."""
        if time.monotonic() - self._checked > _RECOUNT_S:
            self._checked = time.monotonic()
            self._n_workers = max(1, sum(self._client.nthreads().values()))
        return self._n_workers

    def submit(self, pos: int, item: WorkItem, payload: dict[str, Any] | None) -> None:
        future = self._client.submit(
            process_item, item, payload, self._options, key=f"{self._prefix}-{pos}"
        )
        self._pending[future.key] = (pos, item)
        self._completed.add(future)

    def next_done(self) -> tuple[int, ItemResult]:
        future = next(self._completed)
        pos, item = self._pending.pop(future.key)
        try:
            result = future.result()
        except Exception as exc:  # the task could not run (e.g. its worker died repeatedly)
            result = error_result(item, f"{type(exc).__name__}: {exc}")
        future.release()
        return pos, result

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_engine(
    kind: str,
    *,
    workers: int | None,
    scheduler: str | None,
    options: RunOptions,
    hooks: Sequence[Callable[[], object]] = (),
) -> Engine:
    """Start an engine by name (see :data:`ENGINES`).

    Raises
    ------
    InputError
        As :func:`check_engine`, and for a scheduler that cannot be reached.
    """
    n = check_engine(kind, workers=workers, scheduler=scheduler)
    if kind == "local":
        return LocalEngine(n, options, hooks)
    return DaskEngine(n, options, hooks, scheduler=scheduler)


def check_engine(kind: str, *, workers: int | None, scheduler: str | None) -> int:
    """Check engine options; return the number of workers (default: every CPU core).

    Raises
    ------
    InputError
        For an unknown engine, a worker count below 1 or a scheduler with the local engine.

    Examples
    --------
    >>> check_engine("local", workers=2, scheduler=None)
    2
    """
    if kind not in ENGINES:
        raise InputError(f"is {kind!r}; expected one of {', '.join(ENGINES)}", field="engine")
    n = (os.cpu_count() or 1) if workers is None else workers
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"is {workers!r}; expected a whole number of at least 1", field="workers")
    if kind == "local" and scheduler:
        raise InputError(
            f"is {scheduler!r} but the engine is 'local'; expected --engine dask with a scheduler",
            field="scheduler",
        )
    return n
