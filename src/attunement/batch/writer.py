"""The batch's tables: one row per session, one per utterance, written as Parquet.

Results are written twice, both times in bounded memory:

1. **Parts.** As results arrive (in input order, see :mod:`attunement.batch.run`), they are
   gathered into parts of at most :data:`PART_SESSIONS` sessions, :data:`PART_ROWS` utterance
   rows or :data:`PART_SECONDS` seconds of work, and each part is written as two small Parquet
   files in the state folder (temporary name, then renamed) before the state records it (see
   :mod:`attunement.batch.resume`). A killed batch loses at most the part it was gathering.
2. **Outputs.** At the end, the parts of the sessions asked for are merged, in input order, into
   ``sessions.parquet`` and ``utterances.parquet`` with one streaming
   :class:`pyarrow.parquet.ParquetWriter` each, written under a temporary name and renamed into
   place, so a reader never sees a half-written file. Row groups have a fixed number of rows
   whatever the parts were, so the same sessions give byte-identical files whatever the engine.

``sessions.parquet`` columns: :data:`SESSION_COLUMNS`, then every ``metrics`` entry of
results.json, in the order results.json lists them (a metric that only later sessions have is
added where it is first met; a metric named like a fixed column gets a ``metric_`` prefix), then
the pseudo-dyad columns of :mod:`attunement.batch.pseudo` (when they are computed).
``utterances.parquet`` columns: ``session_id`` then the columns of
:attr:`attunement.analysis.SessionResults.utterances`.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "PART_ROWS",
    "PART_SECONDS",
    "PART_SESSIONS",
    "SESSION_COLUMNS",
    "UTTERANCE_COLUMNS",
    "ItemResult",
    "PartWriter",
    "error_result",
    "merge_outputs",
    "ok_result",
]

#: The fixed columns of sessions.parquet, with their types.
SESSION_COLUMNS: dict[str, pa.DataType] = {
    "session_id": pa.string(),
    "source_file": pa.string(),
    "source_index": pa.int64(),
    "status": pa.string(),
    "error": pa.string(),
    "warnings": pa.string(),
    "duration_s": pa.float64(),
    "n_utterances": pa.int64(),
}
#: The known columns of utterances.parquet, with their types (later columns are added as found).
UTTERANCE_COLUMNS: dict[str, pa.DataType] = {
    "session_id": pa.string(),
    "index": pa.int64(),
    "speaker": pa.string(),
    "role": pa.string(),
    "start_s": pa.float64(),
    "end_s": pa.float64(),
    "text": pa.string(),
}
#: A part is written when it holds this many sessions ...
PART_SESSIONS = 256
#: ... or this many utterance rows ...
PART_ROWS = 65_536
#: ... or when its first session arrived this many seconds ago.
PART_SECONDS = 10.0
#: Rows per row group of the outputs.
SESSION_ROW_GROUP = 8_192
UTTERANCE_ROW_GROUP = 65_536
_COMPRESSION = "zstd"


class _Item(Protocol):
    path: Path
    index: int
    key: str
    label: str
    fingerprint: str


@dataclass(slots=True)
class ItemResult:
    """What analysing one session gave: its sessions.parquet row and its utterance rows.

    Attributes
    ----------
    key : str
        The work item's key.
    row : dict
        Column -> value for sessions.parquet.
    utterances : pyarrow.Table or None
        The session's utterance rows (None when it failed).
    detail : str or None
        The traceback of an unexpected error, for the log.
    pairs : dict or None
        ``{kind: (sampling_rate, therapist, client)}``: the aligned pairs of the session's
        physiological synchrony, for the pseudo-dyads of :mod:`attunement.batch.pseudo` (None
        when it has none). The batch process stores them and drops them from the result.
    """

    key: str
    row: dict[str, Any]
    utterances: pa.Table | None = None
    detail: str | None = None
    pairs: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.row["status"] == "ok"

    @property
    def session_id(self) -> str:
        return self.row["session_id"]

    @property
    def error(self) -> str | None:
        return self.row["error"]


def _warnings_text(messages: Sequence[str]) -> str | None:
    return "\n".join(dict.fromkeys(messages)) or None


def _metric_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value, sort_keys=True)


def _utterance_table(session_id: str, frame: pd.DataFrame) -> pa.Table:
    frame = frame.drop(columns=["session_id"], errors="ignore")
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    for name, kind in UTTERANCE_COLUMNS.items():
        if name in table.column_names and table.schema.field(name).type != kind:
            i = table.column_names.index(name)
            table = table.set_column(i, name, table.column(i).cast(kind))
    ids = pa.array([session_id] * table.num_rows, pa.string())
    return table.add_column(0, "session_id", ids)


def ok_result(
    item: _Item,
    document: dict[str, Any],
    utterances: pd.DataFrame,
    warnings: Sequence[str] = (),
    pairs: dict[str, Any] | None = None,
) -> ItemResult:
    """The result of an analysed session.

    Parameters
    ----------
    item : WorkItem
    document : dict
        ``SessionResults.to_dict()``.
    utterances : pandas.DataFrame
        ``SessionResults.utterances``.
    warnings : sequence of str
        Warnings raised while reading and analysing.
    pairs : dict, optional
        The session's aligned pairs (see :attr:`ItemResult.pairs`).
    """
    session = document["session"]
    row: dict[str, Any] = {
        "session_id": session["id"],
        "source_file": item.path.as_posix(),
        "source_index": item.index,
        "status": "ok",
        "error": None,
        "warnings": _warnings_text(warnings),
        "duration_s": session.get("duration_s"),
        "n_utterances": session.get("n_utterances"),
    }
    for name, value in document["metrics"].items():
        row[f"metric_{name}" if name in SESSION_COLUMNS else name] = _metric_value(value)
    return ItemResult(item.key, row, _utterance_table(session["id"], utterances), pairs=pairs)


def error_result(
    item: _Item, message: str, warnings: Sequence[str] = (), detail: str | None = None
) -> ItemResult:
    """The result of a session that could not be read or analysed."""
    row = {
        "session_id": item.label,
        "source_file": item.path.as_posix(),
        "source_index": item.index,
        "status": "error",
        "error": message,
        "warnings": _warnings_text(warnings),
        "duration_s": None,
        "n_utterances": None,
    }
    return ItemResult(item.key, row, None, detail)


def _column(name: str, values: list[Any]) -> pa.Array:
    if name in SESSION_COLUMNS:
        return pa.array(values, SESSION_COLUMNS[name])
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed kinds: keep them as text
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _sessions_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    names = list(SESSION_COLUMNS)
    names += list(dict.fromkeys(k for row in rows for k in row if k not in SESSION_COLUMNS))
    return pa.table({name: _column(name, [row.get(name) for row in rows]) for name in names})


def _empty_utterances() -> pa.Table:
    return pa.schema(list(UTTERANCE_COLUMNS.items())).empty_table()


def _sync_and_rename(tmp: Path, final: Path) -> None:
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """Write a Parquet file under a temporary name, then rename it into place."""
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression=_COMPRESSION)
    _sync_and_rename(tmp, path)


class _State(Protocol):
    def next_seq(self) -> int: ...

    def part_path(self, seq: int, kind: str) -> Path: ...

    def commit(self, seq: int, entries: list[tuple[str, str, str, str, int, int, int]]) -> None: ...


class PartWriter:
    """Gathers results, in input order, into parts written to the state folder.

    Parameters
    ----------
    state : BatchState
        Where parts go and where they are recorded.
    clock : callable
        Seconds (for the age of a part); :func:`time.monotonic` by default.
    """

    def __init__(self, state: _State, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._state = state
        self._clock = clock
        self._reset()

    def _reset(self) -> None:
        self._rows: list[dict[str, Any]] = []
        self._tables: list[pa.Table] = []
        self._entries: list[tuple[str, str, str, str, int, int, int]] = []
        self._n_rows = 0
        self._since: float | None = None

    def add(self, item: _Item, result: ItemResult) -> None:
        """Add the next result in input order; write the part when it is full or old enough."""
        n = 0 if result.utterances is None else result.utterances.num_rows
        self._entries.append(
            (
                item.key,
                item.fingerprint,
                result.row["status"],
                result.session_id,
                len(self._rows),
                self._n_rows,
                n,
            )
        )
        self._rows.append(result.row)
        if n:
            self._tables.append(result.utterances)
        self._n_rows += n
        if self._since is None:
            self._since = self._clock()
        if (
            len(self._rows) >= PART_SESSIONS
            or self._n_rows >= PART_ROWS
            or self._clock() - self._since >= PART_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        """Write what has been gathered as one part and record it (nothing when empty)."""
        if not self._rows:
            return
        seq = self._state.next_seq()
        write_table_atomic(_sessions_table(self._rows), self._state.part_path(seq, "sessions"))
        utterances = (
            pa.concat_tables(self._tables, promote_options="permissive")
            if self._tables
            else _empty_utterances()
        )
        write_table_atomic(utterances, self._state.part_path(seq, "utterances"))
        self._state.commit(seq, self._entries)
        self._reset()


# --- merging parts into the outputs ------------------------------------------------------------


class PlanEntry(Protocol):
    seq: int
    row: int
    utt_offset: int
    utt_rows: int


def _common_type(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    if a == b or pa.types.is_null(b):
        return a
    if pa.types.is_null(a):
        return b
    try:
        return (
            pa.unify_schemas(
                [pa.schema([("x", a)]), pa.schema([("x", b)])], promote_options="permissive"
            )
            .field("x")
            .type
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pa.string()


def _unify(schemas: Iterable[pa.Schema], fixed: dict[str, pa.DataType], null: pa.DataType):
    types: dict[str, pa.DataType] = dict(fixed)
    for schema in schemas:
        for field in schema:
            if field.name in fixed:
                continue
            types[field.name] = _common_type(types.get(field.name, pa.null()), field.type)
    return pa.schema(
        [(name, null if pa.types.is_null(kind) else kind) for name, kind in types.items()]
    )


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            if column.type != field.type:
                column = column.cast(field.type)
        else:
            column = pa.nulls(table.num_rows, field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


class _RowGroups:
    """Feeds a ParquetWriter row groups of exactly ``size`` rows (the last one shorter)."""

    def __init__(self, writer: pq.ParquetWriter, size: int) -> None:
        self._writer, self._size = writer, size
        self._pieces: list[pa.Table] = []
        self._n = 0

    def add(self, table: pa.Table) -> None:
        self._pieces.append(table)
        self._n += table.num_rows
        if self._n >= self._size:
            self._emit(final=False)

    def _emit(self, *, final: bool) -> None:
        if not self._pieces:
            return
        table = pa.concat_tables(self._pieces)
        while table.num_rows >= self._size or (final and table.num_rows):
            head = table.slice(0, self._size).combine_chunks()
            self._writer.write_table(head, row_group_size=self._size)
            table = table.slice(self._size)
        self._pieces = [table.combine_chunks()] if table.num_rows else []
        self._n = table.num_rows

    def close(self) -> None:
        self._emit(final=True)


def _read_part(path: Path) -> pa.Table:
    with pq.ParquetFile(path) as part:
        return part.read(use_threads=False)


def _with_extra(schema: pa.Schema, extra: Mapping[str, Sequence[Any]]) -> pa.Schema:
    for name in extra:
        field = pa.field(name, pa.float64())
        i = schema.get_field_index(name)
        schema = schema.append(field) if i < 0 else schema.set(i, field)
    return schema


def _merge_one(
    kind: str,
    plan: Sequence[tuple[PlanEntry, str]],
    part_path: Callable[[int, str], Path],
    out: Path,
    extra: Mapping[str, Sequence[Any]] | None = None,
) -> None:
    fixed = SESSION_COLUMNS if kind == "sessions" else {"session_id": pa.string()}
    null = pa.float64() if kind == "sessions" else pa.string()
    group_rows = SESSION_ROW_GROUP if kind == "sessions" else UTTERANCE_ROW_GROUP
    runs = [(seq, list(run)) for seq, run in itertools.groupby(plan, key=lambda p: p[0].seq)]
    seqs = list(dict.fromkeys(seq for seq, _ in runs))
    schema = _unify((pq.read_schema(part_path(seq, kind)) for seq in seqs), fixed, null)
    if extra:
        schema = _with_extra(schema, extra)
    done = 0  # rows of the plan merged so far
    tmp = out.with_name(out.name + ".tmp")
    with pq.ParquetWriter(tmp, schema, compression=_COMPRESSION) as writer:
        groups = _RowGroups(writer, group_rows)
        cached: tuple[int, pa.Table] | None = None
        for seq, run in runs:
            if cached is None or cached[0] != seq:
                cached = (seq, _read_part(part_path(seq, kind)))
            rows: list[int] = []
            ids: list[str] = []
            for entry, session_id in run:
                if kind == "sessions":
                    span = range(entry.row, entry.row + 1)
                else:
                    span = range(entry.utt_offset, entry.utt_offset + entry.utt_rows)
                rows.extend(span)
                ids.extend([session_id] * len(span))
            first, done = done, done + len(run)
            if not rows:
                continue
            piece = cached[1].take(pa.array(rows, pa.int64()))
            piece = piece.set_column(
                piece.column_names.index("session_id"), "session_id", pa.array(ids, pa.string())
            )
            for name, values in (extra or {}).items():
                column = pa.array(values[first:done], pa.float64())
                i = piece.schema.get_field_index(name)
                piece = (
                    piece.append_column(name, column)
                    if i < 0
                    else piece.set_column(i, name, column)
                )
            groups.add(_conform(piece, schema))
        groups.close()
    _sync_and_rename(tmp, out)


def merge_outputs(
    plan: Sequence[tuple[PlanEntry, str]],
    part_path: Callable[[int, str], Path],
    sessions_path: Path,
    utterances_path: Path,
    extra: Mapping[str, Sequence[Any]] | None = None,
) -> None:
    """Write sessions.parquet and utterances.parquet from parts, in the order of ``plan``.

    Parameters
    ----------
    plan : sequence of (entry, session_id)
        The recorded entry of each session, in output order, with the session id to write.
    part_path : callable
        ``(seq, kind) -> path`` of a part file, kind ``'sessions'`` or ``'utterances'``.
    sessions_path, utterances_path : pathlib.Path
        The outputs; each is written under a temporary name and renamed into place.
    extra : mapping, optional
        Further float columns of sessions.parquet, each one value (or None) per entry of
        ``plan``, appended after the others (or replacing a column of the same name).
    """
    _merge_one("sessions", plan, part_path, sessions_path, extra)
    _merge_one("utterances", plan, part_path, utterances_path)
