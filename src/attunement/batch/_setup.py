"""The worker set-up functions: registered in the parent, run once in every worker process.

A module registers a function with :func:`register_worker_setup` (e.g. to load a model into a
module-level cache); the engines (:mod:`attunement.batch.engine`) hand the registered functions
to every worker, which runs them with :func:`run_worker_setup` when it starts (a process-pool
initializer locally, the worker plugin of :mod:`attunement.batch._dask` on Dask). A set-up
function that fails is remembered in the worker (:func:`setup_error`) and fails every session
that worker analyses. This module imports nothing of the batch package, so that the engine and
the Dask plugin can both import it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

__all__ = ["register_worker_setup", "run_worker_setup", "setup_error", "worker_setup_hooks"]

logger = logging.getLogger(__name__)

_SETUP_HOOKS: list[Callable[[], object]] = []
_SETUP_ERROR: str | None = None


def register_worker_setup(func: Callable[[], object]) -> Callable[[], object]:
    """Run ``func`` once in every worker process when it starts (usable as a decorator).

    Use it to load a model into a module-level cache, so that every session a worker analyses
    finds it loaded. ``func`` must be a module-level function (workers import it by name).

    Examples
    --------
    >>> import functools
    >>> @functools.cache
    ... def load_model():
    ...     return {"weights": [0.1, 0.2]}
    >>> def warm_up():
    ...     load_model()
    >>> _ = register_worker_setup(warm_up)
    >>> warm_up in worker_setup_hooks()
    True
    >>> _SETUP_HOOKS.remove(warm_up)
    """
    if func not in _SETUP_HOOKS:
        _SETUP_HOOKS.append(func)
    return func


def worker_setup_hooks() -> tuple[Callable[[], object], ...]:
    """The functions registered with :func:`register_worker_setup`, in order."""
    return tuple(_SETUP_HOOKS)


def run_worker_setup(hooks: Sequence[Callable[[], object]]) -> None:
    """Run the set-up functions in this worker; a failure fails every session it analyses."""
    global _SETUP_ERROR
    for hook in hooks:
        try:
            hook()
        except Exception as exc:
            name = getattr(hook, "__qualname__", repr(hook))
            _SETUP_ERROR = f"worker set-up {name} failed: {type(exc).__name__}: {exc}"
            logger.exception("worker set-up %s failed", name)
            return


def setup_error() -> str | None:
    """Why this worker's set-up failed (``worker set-up NAME failed: ...``), or None."""
    return _SETUP_ERROR
