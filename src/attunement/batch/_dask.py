"""The Dask worker plugin that runs the worker set-up functions (imported only with Dask)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from distributed import WorkerPlugin

from attunement.batch._setup import run_worker_setup

__all__ = ["WorkerSetup"]


class WorkerSetup(WorkerPlugin):
    """Runs :func:`attunement.batch._setup.run_worker_setup` once in every worker."""

    idempotent = True

    def __init__(self, hooks: Sequence[Callable[[], object]]) -> None:
        self.hooks = tuple(hooks)

    def setup(self, worker: object) -> None:
        run_worker_setup(self.hooks)
