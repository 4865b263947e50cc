"""Many sessions at once: local worker processes by default, a Dask cluster for clusters.

``run_batch(inputs, out_dir=...)`` lists the sessions of files, folders, globs and corpus files
(:mod:`~attunement.batch.inputs`), analyses them on an engine (:mod:`~attunement.batch.engine`),
gathers the results in input order into parts recorded in a state folder
(:mod:`~attunement.batch.resume`), and merges the parts into ``sessions.parquet`` and
``utterances.parquet`` (:mod:`~attunement.batch.writer`), reporting progress as it goes
(:mod:`~attunement.batch.progress`). Memory stays flat: at most a few sessions per worker are
in flight or waiting to be written, one part is gathered at a time, and the outputs are written
one row group at a time.
"""

try:
    import pyarrow  # noqa: F401  (the Parquet writer needs it; checked here to say what to do)
except ImportError:  # pragma: no cover - depends on the installation
    from attunement.errors import AttunementError

    raise AttunementError(
        "attunement batch needs its optional dependencies (pyarrow, dask): "
        "pip install 'attunement[batch]'"
    ) from None

from attunement.batch._setup import register_worker_setup
from attunement.batch.inputs import WorkItem, expand_inputs
from attunement.batch.run import BatchSummary, run_batch

__all__ = ["BatchSummary", "WorkItem", "expand_inputs", "register_worker_setup", "run_batch"]
